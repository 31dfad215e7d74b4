/* cmd_plan.c: `headroom plan model|diffusion|cache`: how a model, a
 * diffusion pipeline or a tensor cache fits this machine (or an assumed
 * one), with a reason for every choice. The decisions are the library's
 * (hr_plan.h); this file parses flags, gets the device (probe or
 * --assume-*), and prints. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

extern char **environ;

#define MAX_FLAG_SETTINGS 64

enum { SUB_MODEL = 1, SUB_DIFFUSION = 2, SUB_CACHE = 4, SUB_ALL = 7 };

/* Every flag of every subcommand; `subs` says where it is valid. */
enum {
    O_JSON = 256, O_HELP, O_ADEV, O_AMEM, O_AFREE, O_AGPUS, O_ARAM, O_MARGIN,
    O_PARAMS, O_MID, O_MDIR, O_CONTEXT, O_BATCH, O_DTYPE, O_NOQUANT, O_LAYERS, O_KVH, O_HDIM,
    O_SIZE, O_MODEL, O_CONFIG, O_MAXSIZE, O_ENABLE, O_DISABLE, O_SET, O_EXPLAIN,
    O_COUNT, O_CHANNELS, O_MODELMEM, O_PERSAMPLE
};

static const struct option longopts[] = {
    {"json", no_argument, NULL, O_JSON}, {"help", no_argument, NULL, O_HELP},
    {"assume-device", required_argument, NULL, O_ADEV},
    {"assume-memory", required_argument, NULL, O_AMEM},
    {"assume-free", required_argument, NULL, O_AFREE},
    {"assume-gpus", required_argument, NULL, O_AGPUS},
    {"assume-ram", required_argument, NULL, O_ARAM}, {"margin", required_argument, NULL, O_MARGIN},
    {"params", required_argument, NULL, O_PARAMS}, {"model-id", required_argument, NULL, O_MID},
    {"model-dir", required_argument, NULL, O_MDIR}, {"context", required_argument, NULL, O_CONTEXT},
    {"batch", required_argument, NULL, O_BATCH}, {"dtype", required_argument, NULL, O_DTYPE},
    {"no-quantization", no_argument, NULL, O_NOQUANT},
    {"layers", required_argument, NULL, O_LAYERS}, {"kv-heads", required_argument, NULL, O_KVH},
    {"head-dim", required_argument, NULL, O_HDIM}, {"size", required_argument, NULL, O_SIZE},
    {"model", required_argument, NULL, O_MODEL}, {"config", required_argument, NULL, O_CONFIG},
    {"max-size", required_argument, NULL, O_MAXSIZE},
    {"enable", required_argument, NULL, O_ENABLE}, {"disable", required_argument, NULL, O_DISABLE},
    {"set", required_argument, NULL, O_SET}, {"explain", no_argument, NULL, O_EXPLAIN},
    {"count", required_argument, NULL, O_COUNT}, {"channels", required_argument, NULL, O_CHANNELS},
    {"model-mem", required_argument, NULL, O_MODELMEM},
    {"per-sample-mem", required_argument, NULL, O_PERSAMPLE}, {NULL, 0, NULL, 0},
};

static int opt_subs(int id) {
    if (id <= O_MARGIN)
        return SUB_ALL;
    if (id == O_DTYPE)
        return SUB_MODEL | SUB_CACHE;
    if (id <= O_HDIM)
        return SUB_MODEL;
    if (id == O_SIZE)
        return SUB_DIFFUSION | SUB_CACHE;
    if (id <= O_EXPLAIN)
        return SUB_DIFFUSION;
    return SUB_CACHE;
}

typedef struct flag_setting {
    const char *key;
    const char *value;
    char origin[64];
    char keybuf[96];
} flag_setting;

typedef struct plan_args {
    int sub, json, explain, no_quant;
    const char *adev, *amem, *afree, *agpus, *aram, *margin;
    const char *params, *model_id, *model_dir, *context, *batch, *dtype, *layers, *kvh, *hdim;
    const char *size, *model, *config;
    const char *count, *channels, *model_mem, *per_sample;
    flag_setting *settings;
    int nsettings;
} plan_args;

static void help_plan(FILE *f) {
    fprintf(f,
            "usage: headroom plan <model|diffusion|cache> [options]\n\n"
            "How a model, a diffusion pipeline or a tensor cache fits this machine, with a\n"
            "reason for every choice. Memory comes from the device that runs the job: free\n"
            "VRAM (CUDA/ROCm), the Metal working set (Apple), available RAM (CPU).\n\n"
            "  model       device, dtype, quantization, placement and fallbacks for a model\n"
            "  diffusion   memory level, size cap and savers for a diffusion pipeline\n"
            "  cache       size and placement of a preprocessed tensor cache, batch size\n\n"
            "Any plan: --assume-device cuda|rocm|mps|cpu --assume-memory 16G [--assume-free 12G]\n"
            "[--assume-gpus N] [--assume-ram 64G] plans for another machine (no probe).\n"
            "--margin PCT (default 10) keeps a share of the budget free. --json prints the\n"
            "documented JSON (docs/PLANNER.md). Sizes: 16G/16GiB = 16 x 2^30 bytes, 16GB =\n"
            "16 x 10^9 bytes.\n\n"
            "exit codes: 0 a plan that fits, 1 no fit or the budget is unknown (or a runtime\n"
            "failure), 2 bad input.\n");
}

static void help_model(FILE *f) {
    fprintf(f,
            "usage: headroom plan model (--params 7B | --model-id ID | --model-dir DIR) [options]\n\n"
            "  --params P          parameter count: 7B, 1.5B, 270M, 8x7B (experts x size)\n"
            "  --model-id ID       a Hugging Face id; the size is read from it (Qwen/Qwen2.5-3B)\n"
            "  --model-dir DIR     exact: config.json + safetensors headers (or the index)\n"
            "  --context N         tokens of KV cache per sequence (default 4096)\n"
            "  --batch N           sequences at once (default 1)\n"
            "  --layers N --kv-heads N --head-dim N   model shape for the KV cache\n"
            "  --dtype D           force fp32|fp16|bf16|int8|int4 (int8/int4: bitsandbytes, CUDA)\n"
            "  --no-quantization   never propose bitsandbytes\n"
            "  --assume-* / --margin / --json   see 'headroom plan --help'\n");
}

static void help_diffusion(FILE *f) {
    fprintf(f,
            "usage: headroom plan diffusion --size WxH [--model sd15|sd2|sdxl|sd3|flux] [options]\n\n"
            "Configuration layers, later wins: defaults (seed 002's tables) -> JSON file\n"
            "(--config F, else HEADROOM_CONFIG, else DIFFUSIONAPI_MEMORY_CONFIG) -> environment\n"
            "(HEADROOM_MAX_IMAGE_SIZE=WxH, HEADROOM_<OPTION>=true|false|1|0; DIFFUSIONAPI_* as\n"
            "aliases) -> flags.\n\n"
            "  --size WxH          requested image size (required)\n"
            "  --model M           pipeline, for the weights check\n"
            "  --config FILE       JSON config (seed schema)\n"
            "  --max-size WxH      size cap for every device and level\n"
            "  --enable OPT / --disable OPT   e.g. --disable enable_attention_slicing\n"
            "  --set KEY=VALUE     any setting: --set memory_thresholds.low=10\n"
            "  --explain           show every layer and each setting's origin\n"
            "  --assume-* / --margin / --json   see 'headroom plan --help'\n");
}

static void help_cache(FILE *f) {
    fprintf(f,
            "usage: headroom plan cache --count N --size S|HxW [options]\n\n"
            "  --count N           samples in the cache\n"
            "  --size S | HxW      sample height and width in pixels\n"
            "  --channels C        channels per sample (default 3)\n"
            "  --dtype D           fp32 (default), fp16, bf16\n"
            "  --model-mem S       memory the model holds beside the cache (e.g. 1.6G)\n"
            "  --per-sample-mem S  activation memory per sample in a batch, for a batch size\n"
            "  --assume-* / --margin / --json   see 'headroom plan --help'\n");
}

static void help_for(int sub, FILE *f) {
    (sub == SUB_MODEL ? help_model : sub == SUB_DIFFUSION ? help_diffusion : help_cache)(f);
}

/* Prints an input error as "headroom: plan: WHAT: WHY" + hint; returns the exit code. */
static int plan_error(const hr_plan_error *e, hr_status s) {
    char what[200];
    snprintf(what, sizeof what, "plan: %s", e->what[0] ? e->what : "input");
    cli_error(what, e->why[0] ? e->why : hr_strerror(s), e->hint[0] ? e->hint : NULL);
    return s == HR_EIO || s == HR_EPERM || s == HR_ENOMEM ? HR_EXIT_FAIL : HR_EXIT_USAGE;
}

static int usage_error(const char *what, const char *why, const char *hint) {
    char w[160];
    snprintf(w, sizeof w, "plan: %s", what);
    cli_error(w, why, hint);
    return HR_EXIT_USAGE;
}

static int add_setting(plan_args *a, int id, const char *arg) {
    if (a->nsettings >= MAX_FLAG_SETTINGS)
        return usage_error("--set", "too many settings", NULL);
    flag_setting *s = &a->settings[a->nsettings++];
    memset(s, 0, sizeof *s);
    if (id == O_MAXSIZE) {
        s->key = "max_image_size";
        s->value = arg;
        snprintf(s->origin, sizeof s->origin, "--max-size");
    } else if (id == O_ENABLE || id == O_DISABLE) {
        snprintf(s->keybuf, sizeof s->keybuf, "%s%s", strchr(arg, '.') ? "" : "optimizations.", arg);
        s->key = s->keybuf;
        s->value = id == O_ENABLE ? "true" : "false";
        snprintf(s->origin, sizeof s->origin, "--%s %.40s", id == O_ENABLE ? "enable" : "disable", arg);
    } else {
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof s->keybuf)
            return usage_error("--set", "expected KEY=VALUE", "e.g. --set memory_thresholds.low=10");
        memcpy(s->keybuf, arg, (size_t)(eq - arg));
        s->key = s->keybuf;
        s->value = eq + 1;
        snprintf(s->origin, sizeof s->origin, "--set %.40s", s->keybuf);
    }
    return 0;
}

static const char **opt_slot(plan_args *a, int id) {
    const char **slots[] = {
        [O_ADEV - O_ADEV] = &a->adev, [O_AMEM - O_ADEV] = &a->amem, [O_AFREE - O_ADEV] = &a->afree,
        [O_AGPUS - O_ADEV] = &a->agpus, [O_ARAM - O_ADEV] = &a->aram,
        [O_MARGIN - O_ADEV] = &a->margin, [O_PARAMS - O_ADEV] = &a->params,
        [O_MID - O_ADEV] = &a->model_id, [O_MDIR - O_ADEV] = &a->model_dir,
        [O_CONTEXT - O_ADEV] = &a->context, [O_BATCH - O_ADEV] = &a->batch,
        [O_DTYPE - O_ADEV] = &a->dtype, [O_NOQUANT - O_ADEV] = NULL,
        [O_LAYERS - O_ADEV] = &a->layers, [O_KVH - O_ADEV] = &a->kvh, [O_HDIM - O_ADEV] = &a->hdim,
        [O_SIZE - O_ADEV] = &a->size, [O_MODEL - O_ADEV] = &a->model,
        [O_CONFIG - O_ADEV] = &a->config, [O_COUNT - O_ADEV] = &a->count,
        [O_CHANNELS - O_ADEV] = &a->channels, [O_MODELMEM - O_ADEV] = &a->model_mem,
        [O_PERSAMPLE - O_ADEV] = &a->per_sample,
    };
    int i = id - O_ADEV;
    return i >= 0 && i < (int)(sizeof slots / sizeof slots[0]) ? slots[i] : NULL;
}

/* Returns -1 to go on, or an exit code. */
static int parse_one(plan_args *a, int id, const char *arg, const char *name) {
    if (id == '?' || id == ':') {
        char why[160];
        snprintf(why, sizeof why, id == ':' ? "'%s' needs a value" : "unknown option '%s'", name);
        return usage_error("option", why, "see 'headroom plan <model|diffusion|cache> --help'");
    }
    if (!(opt_subs(id) & a->sub)) {
        const char *sub = a->sub == SUB_MODEL ? "model" : a->sub == SUB_DIFFUSION ? "diffusion"
                                                                                   : "cache";
        char why[96], hint[96];
        snprintf(why, sizeof why, "not an option of 'plan %s'", sub);
        snprintf(hint, sizeof hint, "see 'headroom plan %s --help'", sub);
        return usage_error(name, why, hint);
    }
    switch (id) {
    case O_JSON: a->json = 1; return -1;
    case O_EXPLAIN: a->explain = 1; return -1;
    case O_NOQUANT: a->no_quant = 1; return -1;
    case O_HELP: help_for(a->sub, stdout); return HR_EXIT_OK;
    case O_MAXSIZE:
    case O_ENABLE:
    case O_DISABLE:
    case O_SET: return add_setting(a, id, arg) == 0 ? -1 : HR_EXIT_USAGE;
    default: break;
    }
    const char **slot = opt_slot(a, id);
    if (slot)
        *slot = arg;
    return -1;
}

static int parse_args(int argc, char **argv, plan_args *a) {
    optind = 1;
    opterr = 0;
    int id, idx = -1;
    while ((id = getopt_long(argc, argv, "+:", longopts, &idx)) != -1) {
        char name[64];
        if (id == '?' || idx < 0)
            snprintf(name, sizeof name, "%.60s", argv[optind - 1]);
        else
            snprintf(name, sizeof name, "--%.58s", longopts[idx].name);
        idx = -1;
        int rc = parse_one(a, id, optarg, name);
        if (rc >= 0)
            return rc;
    }
    if (optind < argc)
        return usage_error(argv[optind], "unexpected argument",
                           "see 'headroom plan <model|diffusion|cache> --help'");
    return -1;
}

/* A whole number within [MIN, MAX]; 0 on success, else prints the error. */
static int parse_num(const char *flag, const char *s, long long min, long long max, long long *out) {
    char *end = NULL;
    errno = 0;
    long long v = s && *s != '-' ? strtoll(s, &end, 10) : 0;
    if (!s || s == end || *end != '\0' || errno != 0 || *s == '-' || v < min || v > max) {
        char why[160], hint[96];
        snprintf(why, sizeof why, "'%s' is not a whole number from %lld to %lld", s ? s : "", min,
                 max);
        snprintf(hint, sizeof hint, "give %s a number such as %lld", flag, min > 1 ? min : 1);
        usage_error(flag, why, hint);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_bytes_flag(const char *flag, const char *s, int64_t *out) {
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    snprintf(e.what, sizeof e.what, "%s", flag);
    hr_status st = hr_plan_parse_bytes(s, out, &e);
    return st == HR_OK ? 0 : (plan_error(&e, st), -1);
}

static int margin_of(const plan_args *a, int *pct) {
    long long v = 10;
    char buf[16];
    if (a->margin) {
        snprintf(buf, sizeof buf, "%s", a->margin);
        size_t n = strlen(buf);
        if (n && buf[n - 1] == '%')
            buf[n - 1] = '\0';
        if (parse_num("--margin", buf, 0, 90, &v) != 0)
            return -1;
    }
    *pct = (int)v;
    return 0;
}

static int device_from_probe(hr_plan_device *d) {
    hr_ctx *ctx = NULL;
    hr_probe *p = NULL;
    hr_status s = hr_ctx_new(&ctx);
    if (s == HR_OK)
        s = hr_probe_open(ctx, &p);
    if (s != HR_OK) {
        cli_error("plan: probe", ctx ? hr_ctx_last_error(ctx) : hr_strerror(s),
                  "plan for a stated machine with --assume-device KIND --assume-memory SIZE");
        hr_ctx_free(ctx);
        return HR_EXIT_FAIL;
    }
    s = hr_plan_device_from_probe(p, d);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    return s == HR_OK ? -1 : HR_EXIT_FAIL;
}

/* Fills D from --assume-* or the probe. Returns -1 to go on, or an exit code. */
static int get_device(const plan_args *a, hr_plan_device *d) {
    if (!a->adev) {
        const char *stray = a->amem ? "--assume-memory" : a->afree ? "--assume-free"
                          : a->agpus ? "--assume-gpus" : a->aram ? "--assume-ram" : NULL;
        if (stray)
            return usage_error(stray, "needs --assume-device", "add --assume-device cuda|rocm|mps|cpu");
        return device_from_probe(d);
    }
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    snprintf(e.what, sizeof e.what, "--assume-device");
    int32_t kind = 0;
    int64_t total = 0, free_b = -1, ram = 0;
    long long gpus = 1;
    hr_status s = hr_plan_parse_device_kind(a->adev, &kind, &e);
    if (s != HR_OK)
        return plan_error(&e, s);
    if (!a->amem)
        return usage_error("--assume-device", "needs --assume-memory",
                           "give the device's memory, e.g. --assume-memory 16G");
    if (parse_bytes_flag("--assume-memory", a->amem, &total) != 0 ||
        (a->afree && parse_bytes_flag("--assume-free", a->afree, &free_b) != 0) ||
        (a->agpus && parse_num("--assume-gpus", a->agpus, 1, HR_PLAN_MAX_GPUS, &gpus) != 0) ||
        (a->aram && parse_bytes_flag("--assume-ram", a->aram, &ram) != 0))
        return HR_EXIT_USAGE;
    s = hr_plan_device_assume(kind, total, free_b, (int)gpus, d, &e);
    if (s != HR_OK)
        return plan_error(&e, s);
    if (a->aram)
        d->host_available_bytes = (hr_reading){ram, HR_WHY_KNOWN, 0};
    return -1;
}

static int print_result(hr_status s, char *text) {
    if (s != HR_OK || !text) {
        cli_error("plan", hr_strerror(s), NULL);
        return HR_EXIT_FAIL;
    }
    fputs(text, stdout);
    if (text[0] && text[strlen(text) - 1] != '\n')
        fputc('\n', stdout);
    hr_free(text);
    return HR_EXIT_OK;
}

static int verdict_exit(int verdict) {
    return verdict == HR_VERDICT_NO_FIT || verdict == HR_VERDICT_UNKNOWN_BUDGET ? HR_EXIT_FAIL
                                                                              : HR_EXIT_OK;
}

static int shape_flag(const char *flag, const char *v, hr_reading *out) {
    long long n = 0;
    if (!v)
        return 0;
    if (parse_num(flag, v, 1, 1 << 20, &n) != 0)
        return -1;
    *out = (hr_reading){n, HR_WHY_KNOWN, 0};
    return 0;
}

/* Builds the model facts from --model-id, --model-dir, --params and shape flags. */
static int model_facts(const plan_args *a, hr_plan_model_facts *f) {
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    hr_plan_model_facts_init(f);
    if (!a->params && !a->model_id && !a->model_dir)
        return usage_error("model size", "no model given",
                           "give --params 7B, --model-id Qwen/Qwen2.5-3B or --model-dir DIR");
    hr_status s = HR_OK;
    if (a->model_id && (s = hr_plan_model_facts_from_id(f, a->model_id, &e)) != HR_OK)
        return plan_error(&e, s);
    if (a->model_dir && (s = hr_plan_model_dir_read(a->model_dir, f, &e)) != HR_OK)
        return plan_error(&e, s);
    if (a->params) {
        int64_t p = 0;
        snprintf(e.what, sizeof e.what, "--params");
        if ((s = hr_plan_parse_params(a->params, &p, &e)) != HR_OK)
            return plan_error(&e, s);
        f->params = (hr_reading){p, HR_WHY_KNOWN, 0};
        snprintf(f->params_source, sizeof f->params_source, "--params %s", a->params);
        if (!a->model_id && !a->model_dir)
            snprintf(f->name, sizeof f->name, "%s model", a->params);
    }
    if (shape_flag("--layers", a->layers, &f->layers) || shape_flag("--kv-heads", a->kvh, &f->kv_heads) ||
        shape_flag("--head-dim", a->hdim, &f->head_dim))
        return HR_EXIT_USAGE;
    return -1;
}

static int model_opts(const plan_args *a, hr_plan_model_opts *o) {
    hr_plan_model_opts_init(o);
    long long v = 0;
    int pct = 0;
    if (margin_of(a, &pct) != 0)
        return HR_EXIT_USAGE;
    o->margin_pct = pct;
    if (a->context && parse_num("--context", a->context, 1, 16LL << 20, &v) != 0)
        return HR_EXIT_USAGE;
    o->context_tokens = a->context ? v : o->context_tokens;
    if (a->batch && parse_num("--batch", a->batch, 1, 65536, &v) != 0)
        return HR_EXIT_USAGE;
    o->batch = a->batch ? (int32_t)v : o->batch;
    o->allow_quantization = !a->no_quant;
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    snprintf(e.what, sizeof e.what, "--dtype");
    hr_status s = a->dtype ? hr_plan_parse_dtype(a->dtype, &o->dtype, &e) : HR_OK;
    return s == HR_OK ? -1 : plan_error(&e, s);
}

static int run_model(const plan_args *a) {
    hr_plan_model_facts f;
    hr_plan_model_opts o;
    hr_plan_device d;
    int rc = model_facts(a, &f);
    if (rc < 0)
        rc = model_opts(a, &o);
    if (rc < 0)
        rc = get_device(a, &d);
    if (rc >= 0)
        return rc;
    hr_plan_model_result *r = malloc(sizeof *r);
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    hr_status s = r ? hr_plan_model(&f, &d, &o, r, &e) : HR_ENOMEM;
    if (s != HR_OK) {
        free(r);
        return plan_error(&e, s);
    }
    char *text = NULL;
    s = a->json ? hr_plan_model_to_json(r, 2, &text)
                : hr_plan_model_to_text(r, cli_use_color(stdout), &text);
    rc = print_result(s, text);
    int verdict = r->verdict;
    free(r);
    return rc != HR_EXIT_OK ? rc : verdict_exit(verdict);
}

/* Layers: file (--config, HEADROOM_CONFIG, DIFFUSIONAPI_MEMORY_CONFIG), env, flags. */
static int diffusion_layers(const plan_args *a, hr_plan_dconf *c) {
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    const char *path = NULL;
    char origin[64];
    hr_plan_dconf_config_path(c, a->config, (const char *const *)environ, &path, origin,
                              sizeof origin);
    hr_status s = path ? hr_plan_dconf_load_file(c, path, &e) : HR_OK;
    if (s == HR_OK)
        s = hr_plan_dconf_apply_env(c, (const char *const *)environ, &e);
    for (int i = 0; s == HR_OK && i < a->nsettings; i++)
        s = hr_plan_dconf_set(c, a->settings[i].key, a->settings[i].value, a->settings[i].origin, &e);
    return s == HR_OK ? -1 : plan_error(&e, s);
}

static int diffusion_req(const plan_args *a, hr_plan_diffusion_req *r) {
    hr_plan_diffusion_req_init(r);
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    if (!a->size)
        return usage_error("--size", "the image size is required", "e.g. --size 1024x1024");
    snprintf(e.what, sizeof e.what, "--size");
    hr_status s = hr_plan_parse_image_size(a->size, &r->width_px, &r->height_px, &e);
    if (s == HR_OK && a->model)
        s = hr_plan_parse_pipeline(a->model, &r->pipeline, &e);
    if (s != HR_OK)
        return plan_error(&e, s);
    int pct = 0;
    if (margin_of(a, &pct) != 0)
        return HR_EXIT_USAGE;
    r->margin_pct = pct;
    return -1;
}

static int run_diffusion(const plan_args *a) {
    hr_plan_diffusion_req req;
    hr_plan_device d;
    hr_plan_dconf *c = NULL;
    if (hr_plan_dconf_new(&c) != HR_OK)
        return HR_EXIT_FAIL;
    int rc = diffusion_req(a, &req);
    if (rc < 0)
        rc = diffusion_layers(a, c);
    if (rc < 0)
        rc = get_device(a, &d);
    hr_plan_diffusion_result *r = rc < 0 ? malloc(sizeof *r) : NULL;
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    hr_status s = rc >= 0 ? HR_OK : r ? hr_plan_diffusion(c, &d, &req, r, &e) : HR_ENOMEM;
    if (rc < 0 && s != HR_OK)
        rc = plan_error(&e, s);
    if (rc < 0) {
        char *text = NULL;
        s = a->json ? hr_plan_diffusion_to_json(r, c, a->explain, 2, &text)
                    : hr_plan_diffusion_to_text(r, c, a->explain, cli_use_color(stdout), &text);
        rc = print_result(s, text);
        rc = rc != HR_EXIT_OK ? rc : verdict_exit(r->verdict);
    }
    free(r);
    hr_plan_dconf_free(c);
    return rc;
}

static int cache_req(const plan_args *a, hr_plan_cache_req *q) {
    hr_plan_cache_req_init(q);
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    long long v = 0;
    if (!a->count || !a->size)
        return usage_error(a->count ? "--size" : "--count", "is required",
                           "e.g. headroom plan cache --count 5000 --size 384");
    if (parse_num("--count", a->count, 1, 1000000000LL, &v) != 0)
        return HR_EXIT_USAGE;
    q->count = v;
    snprintf(e.what, sizeof e.what, "--size");
    hr_status s = hr_plan_parse_image_size(a->size, &q->height_px, &q->width_px, &e);
    if (s != HR_OK)
        return plan_error(&e, s);
    if (a->channels && parse_num("--channels", a->channels, 1, 4096, &v) != 0)
        return HR_EXIT_USAGE;
    q->channels = a->channels ? (int32_t)v : q->channels;
    snprintf(e.what, sizeof e.what, "--dtype");
    if (a->dtype && (s = hr_plan_parse_dtype(a->dtype, &q->dtype, &e)) != HR_OK)
        return plan_error(&e, s);
    if ((a->model_mem && parse_bytes_flag("--model-mem", a->model_mem, &q->model_bytes) != 0) ||
        (a->per_sample && parse_bytes_flag("--per-sample-mem", a->per_sample, &q->per_sample_bytes) != 0))
        return HR_EXIT_USAGE;
    int pct = 0;
    if (margin_of(a, &pct) != 0)
        return HR_EXIT_USAGE;
    q->margin_pct = pct;
    return -1;
}

static int run_cache(const plan_args *a) {
    hr_plan_cache_req q;
    hr_plan_device d;
    int rc = cache_req(a, &q);
    if (rc < 0)
        rc = get_device(a, &d);
    if (rc >= 0)
        return rc;
    hr_plan_cache_result *r = malloc(sizeof *r);
    hr_plan_error e;
    memset(&e, 0, sizeof e);
    hr_status s = r ? hr_plan_cache(&d, &q, r, &e) : HR_ENOMEM;
    if (s != HR_OK) {
        free(r);
        return plan_error(&e, s);
    }
    char *text = NULL;
    s = a->json ? hr_plan_cache_to_json(r, 2, &text)
                : hr_plan_cache_to_text(r, cli_use_color(stdout), &text);
    rc = print_result(s, text);
    int unknown = r->placement == HR_PLACE_UNKNOWN;
    free(r);
    return rc != HR_EXIT_OK ? rc : unknown ? HR_EXIT_FAIL : HR_EXIT_OK;
}

int cmd_plan(int argc, char **argv) {
    if (argc < 2) {
        help_plan(stderr);
        return HR_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        help_plan(stdout);
        return HR_EXIT_OK;
    }
    static flag_setting settings[MAX_FLAG_SETTINGS];
    plan_args a;
    memset(&a, 0, sizeof a);
    a.settings = settings;
    a.sub = strcmp(sub, "model") == 0 ? SUB_MODEL : strcmp(sub, "diffusion") == 0 ? SUB_DIFFUSION
          : strcmp(sub, "cache") == 0 ? SUB_CACHE : 0;
    if (!a.sub)
        return usage_error(sub, "no such plan", "use 'headroom plan model|diffusion|cache'");
    int rc = parse_args(argc - 1, argv + 1, &a);
    if (rc >= 0)
        return rc;
    return a.sub == SUB_MODEL ? run_model(&a) : a.sub == SUB_DIFFUSION ? run_diffusion(&a)
                                                                       : run_cache(&a);
}

/* model.c: where and how a model runs here. Pure: facts, device and
 * options in; device, dtype, quantization, placement, fallbacks and a
 * reason for each out. The ladder, first that fits the budget less the
 * margin: preferred dtype on the device -> split across GPUs -> bitsandbytes
 * int8 -> int4 (CUDA only) -> CPU offload of part of the weights -> no fit. */
#include <stdio.h>
#include <string.h>

#include "plan/model_mem.h"

void hr_plan_model_opts_init(hr_plan_model_opts *o) {
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->context_tokens = 4096;
    o->batch = 1;
    o->dtype = HR_DTYPE_UNKNOWN;
    o->allow_quantization = 1;
    o->margin_pct = HR__PLAN_MARGIN_PCT;
}

static void set_reason(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(char *dst, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(dst, HR_PLAN_REASON_CAP, fmt, ap) < 0)
        dst[0] = '\0';
    va_end(ap);
}

/* The preferred 16-bit (or CPU fp32) dtype and why. */
static int32_t preferred_dtype(const hr__mplan *m, char *why) {
    const hr_plan_device *d = m->d;
    if (m->o->dtype != HR_DTYPE_UNKNOWN) {
        set_reason(why, "asked for with --dtype");
        return m->o->dtype;
    }
    if (d->kind == HR_ACCEL_CPU) {
        set_reason(why, "exact and fastest on CPUs without bf16 units; bf16 halves the memory "
                        "when fp32 does not fit");
        return HR_DTYPE_FP32;
    }
    if (d->kind == HR_ACCEL_MPS) {
        set_reason(why, "the MPS type every op supports and the fastest there; bf16 on MPS (%s) "
                        "is slower on many ops", d->bf16_reason);
        return HR_DTYPE_FP16;
    }
    if (d->bf16 == HR_PLAN_YES) {
        set_reason(why, "%s; same memory as fp16 with fp32's range", d->bf16_reason);
        return HR_DTYPE_BF16;
    }
    set_reason(why, "bf16 %s (%s)", d->bf16 == HR_PLAN_NO ? "not supported" : "not known",
               d->bf16_reason);
    return HR_DTYPE_FP16;
}

static hr_status check_forced(const hr__mplan *m, hr_plan_error *err) {
    int dt = m->o->dtype;
    if ((dt == HR_DTYPE_INT8 || dt == HR_DTYPE_INT4) && m->d->kind != HR_ACCEL_CUDA)
        return hr__plan_fail(err, HR_EINVAL, "--dtype", "use fp16 (or a GGUF/MLX 4-bit build) here",
                             "%s needs bitsandbytes, which runs only on CUDA, not %s",
                             hr_plan_dtype_name(dt), hr_plan_device_kind_name(m->d->kind));
    if ((dt == HR_DTYPE_INT8 || dt == HR_DTYPE_INT4) && !m->o->allow_quantization)
        return hr__plan_fail(err, HR_EINVAL, "--dtype", "drop --no-quantization or the dtype",
                             "%s asks for quantization and --no-quantization forbids it",
                             hr_plan_dtype_name(dt));
    if (dt == HR_DTYPE_BF16 && m->d->bf16 == HR_PLAN_NO)
        return hr__plan_fail(err, HR_EINVAL, "--dtype", "use fp16", "bf16 is not usable: %s",
                             m->d->bf16_reason);
    if (dt == HR_DTYPE_MIXED)
        return hr__plan_fail(err, HR_EINVAL, "--dtype", NULL, "mixed is not a load dtype");
    return HR_OK;
}

static int quant_of(int dtype) {
    return dtype == HR_DTYPE_INT8 ? HR_QUANT_BNB_INT8
           : dtype == HR_DTYPE_INT4 ? HR_QUANT_BNB_NF4 : HR_QUANT_NONE;
}

static void add_option(hr__mplan *m, int dtype, int available, const char *note) {
    hr_plan_model_result *r = m->r;
    hr__mneed n;
    if (r->noptions >= HR_PLAN_MAX_OPTIONS || !hr__mplan_need(m, dtype, quant_of(dtype), &n))
        return;
    hr_plan_option *o = &r->options[r->noptions++];
    o->dtype = dtype;
    o->quant = quant_of(dtype);
    o->available = available;
    o->weights_bytes = n.weights;
    o->total_bytes = n.total;
    o->fits = available && m->budget > 0 && n.total <= m->usable;
    hr__strlcpy(o->note, note, sizeof o->note);
}

static void fill_options(hr__mplan *m) {
    const hr_plan_device *d = m->d;
    int bnb = hr__mplan_bnb_ok(m);
    const char *bnb_note = d->kind != HR_ACCEL_CUDA ? "bitsandbytes runs only on CUDA"
                           : !m->o->allow_quantization ? "quantization turned off" : "bitsandbytes";
    add_option(m, HR_DTYPE_FP32, 1, d->kind == HR_ACCEL_CPU ? "" : "twice the 16-bit memory");
    add_option(m, HR_DTYPE_FP16, 1, d->kind == HR_ACCEL_CPU ? "slow on most CPUs" : "");
    add_option(m, HR_DTYPE_BF16, d->bf16 != HR_PLAN_NO, d->bf16_reason);
    add_option(m, HR_DTYPE_INT8, bnb, bnb_note);
    add_option(m, HR_DTYPE_INT4, bnb, bnb_note);
}

static void choose(hr__mplan *m, int verdict, int dtype, const hr__mneed *n) {
    hr_plan_model_result *r = m->r;
    r->verdict = verdict;
    r->dtype = dtype;
    r->quant = quant_of(dtype);
    r->need_bytes = n->total;
    r->device_kind = m->d->kind;
    hr__strlcpy(r->torch_device, m->d->torch_device, sizeof r->torch_device);
    hr__strlcpy(r->device_map, verdict == HR_VERDICT_FITS ? "none" : "auto", sizeof r->device_map);
    r->gpus_used = verdict == HR_VERDICT_SPLIT ? r->gpus_used : 1;
}

static int try_device(hr__mplan *m, int dtype) {
    hr__mneed n;
    if (!hr__mplan_need(m, dtype, quant_of(dtype), &n) || n.total > m->usable)
        return 0;
    choose(m, HR_VERDICT_FITS, dtype, &n);
    char need[32], use[32];
    hr__plan_fmt_bytes(need, sizeof need, n.total);
    hr__plan_fmt_bytes(use, sizeof use, m->usable);
    set_reason(m->r->verdict_reason, "needs %s of %s usable on %s at %s", need, use,
               m->d->torch_device, hr_plan_dtype_name(dtype));
    return 1;
}

/* Split across GPUs: each GPU keeps its runtime; weights, KV and
 * activations are spread in proportion to what each GPU can hold. */
static int try_split(hr__mplan *m, int dtype) {
    const hr_plan_device *d = m->d;
    hr__mneed n;
    if (d->ngpus < 2 || !hr__mplan_need(m, dtype, quant_of(dtype), &n))
        return 0;
    int64_t cap[HR_PLAN_MAX_GPUS] = {0}, sum = 0;
    int used = 0;
    for (int i = 0; i < d->ngpus && i < HR_PLAN_MAX_GPUS; i++) {
        if (!HR_IS_KNOWN(d->gpu_budget_bytes[i]))
            continue;
        cap[i] = hr__plan_usable(d->gpu_budget_bytes[i].v, m->o->margin_pct) - n.runtime;
        if (cap[i] <= 0)
            continue;
        sum += cap[i];
        used++;
    }
    int64_t body = n.total - n.runtime;
    if (used < 2 || body > sum)
        return 0;
    m->r->gpus_used = used;
    for (int i = 0; i < d->ngpus && i < HR_PLAN_MAX_GPUS; i++)
        m->r->per_gpu_bytes[i] = cap[i] > 0 ? (int64_t)((double)body * ((double)cap[i] / (double)sum)) + n.runtime : 0;
    choose(m, HR_VERDICT_SPLIT, dtype, &n);
    char need[32], use[32];
    hr__plan_fmt_bytes(need, sizeof need, body);
    hr__plan_fmt_bytes(use, sizeof use, sum);
    set_reason(m->r->verdict_reason, "too big for one GPU; %s spread over %d GPUs holding %s "
               "(device_map=\"auto\", each GPU keeps its own runtime)", need, used, use);
    return 1;
}

/* Offload: KV cache, activations and runtime stay on the device; the
 * weights that do not fit go to CPU RAM (device_map="auto", max_memory).
 * On unified memory the RAM is the same pool, so the device's share is
 * subtracted from it. */
static int try_offload(hr__mplan *m, int dtype) {
    hr__mneed n;
    if (!hr__mplan_need(m, dtype, HR_QUANT_NONE, &n))
        return 0;
    int64_t on_dev = m->usable - n.runtime - n.kv - n.act;
    int64_t host = hr__mplan_host_usable(m);
    if (on_dev <= 0 || on_dev >= n.weights)
        return 0;
    int64_t off = n.weights - on_dev;
    if (m->d->unified_memory && host >= 0)
        host -= m->usable;
    char o[32], h[32];
    hr__plan_fmt_bytes(o, sizeof o, off);
    if (host < off) {
        hr__plan_fmt_bytes(h, sizeof h, host < 0 ? 0 : host);
        hr__plan_note(m->r->notes, &m->r->nnotes, HR_PLAN_MAX_NOTES,
                      host < 0 ? "CPU offload of %s would need host RAM, which is unknown "
                                 "(pass --assume-ram)"
                               : "CPU offload of %s does not fit the %s of RAM left",
                      o, h);
        return 0;
    }
    choose(m, HR_VERDICT_OFFLOAD, dtype, &n);
    m->r->offload_bytes = off;
    hr__plan_fmt_bytes(h, sizeof h, on_dev);
    set_reason(m->r->verdict_reason, "%s of weights on %s, %s offloaded to CPU RAM "
               "(device_map=\"auto\" with max_memory; slower: offloaded layers cross the bus "
               "every token)", h, m->d->torch_device, o);
    return 1;
}

static int ladder_gpu(hr__mplan *m) {
    if (try_device(m, m->pref) || try_split(m, m->pref))
        return 1;
    if (m->o->dtype == HR_DTYPE_UNKNOWN && hr__mplan_bnb_ok(m) &&
        (try_device(m, HR_DTYPE_INT8) || try_split(m, HR_DTYPE_INT8) ||
         try_device(m, HR_DTYPE_INT4) || try_split(m, HR_DTYPE_INT4)))
        return 1;
    if (m->pref == HR_DTYPE_INT8 || m->pref == HR_DTYPE_INT4)
        return 0;
    return try_offload(m, m->pref);
}

static int ladder(hr__mplan *m) {
    switch (m->d->kind) {
    case HR_ACCEL_CUDA:
    case HR_ACCEL_ROCM:
        return ladder_gpu(m);
    case HR_ACCEL_MPS:
        return try_device(m, m->pref) || try_offload(m, m->pref);
    default:
        if (try_device(m, m->pref))
            return 1;
        return m->o->dtype == HR_DTYPE_UNKNOWN && m->d->bf16 != HR_PLAN_NO &&
               try_device(m, HR_DTYPE_BF16);
    }
}

static void set_items(hr__mplan *m, const hr__mneed *n) {
    hr_plan_model_result *r = m->r;
    const hr_plan_model_facts *f = m->f;
    char b[32];
    hr_plan_item *it = r->items;
    hr__strlcpy(it[0].name, "weights", sizeof it[0].name);
    it[0].bytes = n->weights;
    set_reason(it[0].reason, "%.1fB parameters at %s%s%s", (double)m->params / 1e9,
               hr_plan_dtype_name(r->dtype),
               r->quant != HR_QUANT_NONE ? (m->unq_assumed ? " (10 % assumed kept 16-bit)"
                                                           : " (embeddings/norms kept 16-bit)")
                                         : "",
               HR_IS_KNOWN(f->checkpoint_bytes) && f->checkpoint_dtype == r->dtype
                   ? " (exact checkpoint size)" : "");
    hr__strlcpy(it[1].name, "kv_cache", sizeof it[1].name);
    it[1].bytes = n->kv;
    if (n->kv_known)
        set_reason(it[1].reason, "2 x %lld layers x %lld KV heads x %lld head dim x %lld tokens x "
                   "batch %d x %d bytes", (long long)f->layers.v, (long long)f->kv_heads.v,
                   (long long)f->head_dim.v, (long long)m->o->context_tokens, m->o->batch,
                   r->dtype == HR_DTYPE_FP32 ? 4 : 2);
    else
        set_reason(it[1].reason, "allowance of 10 %% of the 16-bit weights: layers/heads unknown "
                   "(give --model-dir, or --layers --kv-heads --head-dim)");
    hr__strlcpy(it[2].name, "activations", sizeof it[2].name);
    it[2].bytes = n->act;
    set_reason(it[2].reason, "10 %% of the 16-bit weights, 256 MiB to 4 GiB%s",
               r->dtype == HR_DTYPE_FP32 ? ", doubled for fp32" : "");
    hr__strlcpy(it[3].name, "runtime", sizeof it[3].name);
    it[3].bytes = n->runtime;
    hr__plan_fmt_bytes(b, sizeof b, n->runtime);
    set_reason(it[3].reason, "%s for the %s context and library workspaces", b,
               hr_plan_device_kind_name(m->d->kind));
    r->nitems = 4;
    if (m->budget == 0)
        return; /* no budget, no margin: never a made-up 0 */
    hr__strlcpy(it[4].name, "margin", sizeof it[4].name);
    it[4].bytes = m->budget - m->usable;
    set_reason(it[4].reason, "%d %% of the budget kept free (accelerate's 90 %% rule for one GPU)",
               m->o->margin_pct);
    r->nitems = 5;
}

static void reason_device(hr__mplan *m) {
    hr_plan_model_result *r = m->r;
    const hr_plan_device *d = m->d;
    char b[32];
    switch (r->verdict) {
    case HR_VERDICT_UNKNOWN_BUDGET:
        set_reason(r->device_reason, "%s: memory budget unknown (%s)", d->torch_device,
                   d->budget_source[0] ? d->budget_source : "not measured");
        break;
    case HR_VERDICT_SPLIT:
        set_reason(r->device_reason, "%s and %d more GPU(s): too big for one", d->torch_device,
                   r->gpus_used - 1);
        break;
    case HR_VERDICT_OFFLOAD:
        hr__plan_fmt_bytes(b, sizeof b, r->offload_bytes);
        set_reason(r->device_reason, "%s, with %s of weights in CPU RAM", d->torch_device, b);
        break;
    case HR_VERDICT_NO_FIT:
        set_reason(r->device_reason, "%s: nothing fits (see the verdict)", d->torch_device);
        break;
    default:
        if (d->kind == HR_ACCEL_CPU)
            set_reason(r->device_reason, "cpu: no GPU accelerator %s; the model lives in RAM",
                       d->assumed ? "assumed" : "found");
        else
            set_reason(r->device_reason, "%s (%s): the whole model fits its budget",
                       d->torch_device, d->name);
    }
}

static void reason_quant(hr__mplan *m) {
    hr_plan_model_result *r = m->r;
    const char *dev = hr_plan_device_kind_name(m->d->kind);
    char a[32], b[32];
    hr__mneed n16, n8;
    int ok = hr__mplan_need(m, m->pref, HR_QUANT_NONE, &n16) &&
             hr__mplan_need(m, HR_DTYPE_INT8, HR_QUANT_BNB_INT8, &n8);
    hr__plan_fmt_bytes(a, sizeof a, ok ? n16.total : 0);
    hr__plan_fmt_bytes(b, sizeof b, ok ? n8.total : 0);
    if (m->o->dtype == HR_DTYPE_INT8 || m->o->dtype == HR_DTYPE_INT4)
        set_reason(r->quant_reason, "bitsandbytes %s: asked for with --dtype",
                   r->quant == HR_QUANT_BNB_INT8 ? "int8 (load_in_8bit)" : "NF4 (load_in_4bit)");
    else if (r->quant == HR_QUANT_BNB_INT8)
        set_reason(r->quant_reason, "bitsandbytes int8 (load_in_8bit): %s needs %s, int8 %s is the first that fits",
                   hr_plan_dtype_name(m->pref), a, b);
    else if (r->quant == HR_QUANT_BNB_NF4)
        set_reason(r->quant_reason, "bitsandbytes NF4 (load_in_4bit): int8 still needs %s", b);
    else if (m->d->kind != HR_ACCEL_CUDA)
        set_reason(r->quant_reason, "none: bitsandbytes runs only on CUDA, not on %s", dev);
    else if (!m->o->allow_quantization)
        set_reason(r->quant_reason, "none: quantization turned off (--no-quantization)");
    else
        set_reason(r->quant_reason, "none: %s fits without it; quantization would cost quality "
                   "for nothing", hr_plan_dtype_name(m->pref));
}

/* Verdict no_fit: the smallest available option and what is missing. */
static void reason_no_fit(hr__mplan *m) {
    hr_plan_model_result *r = m->r;
    const hr_plan_option *best = NULL;
    for (size_t i = 0; i < r->noptions; i++)
        if (r->options[i].available && (!best || r->options[i].total_bytes < best->total_bytes))
            best = &r->options[i];
    r->verdict = HR_VERDICT_NO_FIT;
    r->dtype = m->pref;
    r->device_kind = m->d->kind;
    hr__strlcpy(r->torch_device, m->d->torch_device, sizeof r->torch_device);
    hr__strlcpy(r->device_map, "none", sizeof r->device_map);
    char a[32], b[32];
    hr__plan_fmt_bytes(a, sizeof a, best ? best->total_bytes : 0);
    hr__plan_fmt_bytes(b, sizeof b, m->usable);
    set_reason(r->verdict_reason, "does not fit: the smallest option here (%s) needs %s, %s usable%s",
               best ? hr_plan_dtype_name(best->dtype) : "none", a, b,
               m->d->kind == HR_ACCEL_CUDA ? "" : "; a 4-bit GGUF/MLX build or a smaller model "
                                                  "would");
}

static void reason_dtype(hr__mplan *m, const char *pref_why) {
    hr_plan_model_result *r = m->r;
    if (r->quant != HR_QUANT_NONE)
        set_reason(r->dtype_reason, "%s weights, %s compute: %s", hr_plan_dtype_name(r->dtype),
                   hr_plan_dtype_name(m->pref), pref_why);
    else if (r->dtype == m->pref)
        set_reason(r->dtype_reason, "%s: %s", hr_plan_dtype_name(r->dtype), pref_why);
    else
        set_reason(r->dtype_reason, "%s: %s does not fit, %s halves the memory",
                   hr_plan_dtype_name(r->dtype), hr_plan_dtype_name(m->pref),
                   hr_plan_dtype_name(r->dtype));
}

static hr_status check_opts(const hr_plan_model_opts *o, hr_plan_error *err) {
    if (o->context_tokens < 1 || o->context_tokens > 16LL * 1024 * 1024)
        return hr__plan_fail(err, HR_EINVAL, "--context", "use 1 to 16777216 tokens",
                             "%lld tokens is out of range", (long long)o->context_tokens);
    if (o->batch < 1 || o->batch > 65536)
        return hr__plan_fail(err, HR_EINVAL, "--batch", "use 1 to 65536", "%d is out of range",
                             o->batch);
    if (o->margin_pct < 0 || o->margin_pct > 90)
        return hr__plan_fail(err, HR_EINVAL, "--margin", "use 0 to 90 (percent)",
                             "%d %% is out of range", o->margin_pct);
    return HR_OK;
}

static void setup(hr__mplan *m, const hr_plan_model_facts *f, const hr_plan_device *d,
                  const hr_plan_model_opts *o, hr_plan_model_result *out) {
    memset(m, 0, sizeof *m);
    m->f = f;
    m->d = d;
    m->o = o;
    m->r = out;
    m->params = f->params.v;
    m->unquantized = HR_IS_KNOWN(f->unquantized_params) && f->unquantized_params.v <= f->params.v
                         ? f->unquantized_params.v : f->params.v / 10;
    m->unq_assumed = !HR_IS_KNOWN(f->unquantized_params);
    m->budget = HR_IS_KNOWN(d->budget_bytes) && d->budget_bytes.v > 0 ? d->budget_bytes.v : 0;
    m->usable = hr__plan_usable(m->budget, o->margin_pct);
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->device = *d;
    out->model = *f;
    out->opts = *o;
    out->params = m->params;
    out->budget_bytes = m->budget;
    out->usable_bytes = m->usable;
}

hr_status hr_plan_model(const hr_plan_model_facts *f, const hr_plan_device *d,
                        const hr_plan_model_opts *o, hr_plan_model_result *out, hr_plan_error *err) {
    hr_plan_model_opts defaults;
    if (!o) {
        hr_plan_model_opts_init(&defaults);
        o = &defaults;
    }
    if (!f || !d || !out)
        return hr__plan_fail(err, HR_EINVAL, "plan", NULL, "missing input");
    if (!HR_IS_KNOWN(f->params) || f->params.v <= 0)
        return hr__plan_fail(err, HR_EINVAL, "model size",
                             "give --params 7B, a --model-id with a size such as "
                             "Qwen/Qwen2.5-3B, or --model-dir DIR with config.json and "
                             "*.safetensors", "the parameter count of '%s' is unknown",
                             f->name[0] ? f->name : "the model");
    hr_status s = check_opts(o, err);
    hr__mplan m;
    setup(&m, f, d, o, out);
    if (s == HR_OK)
        s = check_forced(&m, err);
    if (s != HR_OK)
        return s;
    char pref_why[HR_PLAN_REASON_CAP];
    m.pref = preferred_dtype(&m, pref_why);
    fill_options(&m);
    if (m.budget == 0) {
        out->verdict = HR_VERDICT_UNKNOWN_BUDGET;
        out->dtype = m.pref;
        out->device_kind = d->kind;
        hr__strlcpy(out->torch_device, d->torch_device, sizeof out->torch_device);
        hr__strlcpy(out->device_map, "none", sizeof out->device_map);
        set_reason(out->verdict_reason, "unknown: the %s memory budget could not be read (%s); "
                   "plan for a stated machine with --assume-device and --assume-memory",
                   hr_plan_device_kind_name(d->kind), hr_why_text(d->budget_bytes.why));
    } else if (!ladder(&m)) {
        reason_no_fit(&m);
    }
    hr__mneed n = {0, 0, 0, 0, 0, 0};
    if (hr__mplan_need(&m, out->dtype, out->quant, &n))
        set_items(&m, &n);
    out->need_bytes = n.total;
    reason_device(&m);
    reason_dtype(&m, pref_why);
    reason_quant(&m);
    hr__mplan_fallbacks(&m);
    return HR_OK;
}

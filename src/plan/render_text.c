/* render_text.c: plans as readable text for the terminal. Pure: builds a
 * string; the CLI prints it. Colour only when asked (the CLI honours
 * NO_COLOR and non-terminals). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

typedef struct sb {
    char *buf;
    size_t len, cap;
    int oom;
} sb;

static void sb_printf(sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sb *b, const char *fmt, ...) {
    if (b->oom)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static hr_status sb_done(sb *b, char **out) {
    if (b->oom || !b->buf) {
        free(b->buf);
        *out = NULL;
        return HR_ENOMEM;
    }
    *out = b->buf;
    return HR_OK;
}

static const char *bytes(char buf[32], int64_t v) {
    hr__plan_fmt_bytes(buf, 32, v);
    return buf;
}

static void verdict_line(sb *b, int verdict, const char *reason, int color) {
    const char *c = verdict == HR_VERDICT_FITS ? "\033[32m"
                    : verdict == HR_VERDICT_NO_FIT ? "\033[31m" : "\033[33m";
    sb_printf(b, "verdict   %s%s%s: %s\n", color ? c : "", hr_plan_verdict_name(verdict),
              color ? "\033[0m" : "", reason);
}

static void device_line(sb *b, const hr_plan_device *d) {
    char x[32];
    if (HR_IS_KNOWN(d->budget_bytes))
        sb_printf(b, "device    %s (%s): budget %s; %s\n", d->torch_device, d->name,
                  bytes(x, d->budget_bytes.v), d->budget_source);
    else
        sb_printf(b, "device    %s (%s): budget unknown (%s)%s%s\n", d->torch_device, d->name,
                  hr_why_text(d->budget_bytes.why), d->budget_source[0] ? "; source: " : "",
                  d->budget_source);
}

static void notes(sb *b, const char (*n)[HR_PLAN_REASON_CAP], size_t count) {
    if (count)
        sb_printf(b, "\nnotes\n");
    for (size_t i = 0; i < count; i++)
        sb_printf(b, "  - %s\n", n[i]);
}

static const char *quant_text(int q) {
    return q == HR_QUANT_BNB_INT8 ? "bitsandbytes int8"
           : q == HR_QUANT_BNB_NF4 ? "bitsandbytes NF4" : "no quantization";
}

static void model_memory(sb *b, const hr_plan_model_result *r) {
    char x[32];
    sb_printf(b, "\nmemory\n");
    for (size_t i = 0; i < r->nitems; i++)
        sb_printf(b, "  %-12s %10s  %s\n", r->items[i].name, bytes(x, r->items[i].bytes),
                  r->items[i].reason);
    if (r->verdict == HR_VERDICT_UNKNOWN_BUDGET)
        sb_printf(b, "  %-12s %10s  (budget unknown)\n", "total need", bytes(x, r->need_bytes));
    else
        sb_printf(b, "  %-12s %10s  of %s usable\n", "total need", bytes(x, r->need_bytes),
                  bytes((char[32]){0}, r->usable_bytes));
    sb_printf(b, "\nby dtype\n");
    for (size_t i = 0; i < r->noptions; i++) {
        const hr_plan_option *o = &r->options[i];
        sb_printf(b, "  %-5s %10s  %-13s %s\n", hr_plan_dtype_name(o->dtype),
                  bytes(x, o->total_bytes),
                  !o->available ? "unavailable" : r->budget_bytes == 0 ? "?" : o->fits ? "fits"
                                                                                 : "does not fit",
                  o->note);
    }
}

hr_status hr_plan_model_to_text(const hr_plan_model_result *r, int color, char **out) {
    if (!r || !out)
        return HR_EINVAL;
    sb b = {0};
    char x[32];
    sb_printf(&b, "model     %s: %.2fB parameters (%s)\n", r->model.name[0] ? r->model.name : "-",
              (double)r->params / 1e9, r->model.params_source);
    if (r->model.multimodal)
        sb_printf(&b, "          multimodal: %s\n", r->model.multimodal_reason);
    device_line(&b, &r->device);
    verdict_line(&b, r->verdict, r->verdict_reason, color);
    sb_printf(&b, "\nload it   %s, %s, %s, device_map %s", r->torch_device,
              hr_plan_dtype_name(r->dtype), quant_text(r->quant), r->device_map);
    if (r->verdict == HR_VERDICT_OFFLOAD)
        sb_printf(&b, ", %s offloaded to CPU RAM", bytes(x, r->offload_bytes));
    if (r->verdict == HR_VERDICT_SPLIT)
        sb_printf(&b, ", over %d GPUs", r->gpus_used);
    sb_printf(&b, "\n  device        %s\n  dtype         %s\n  quantization  %s\n",
              r->device_reason, r->dtype_reason, r->quant_reason);
    model_memory(&b, r);
    if (r->nfallbacks)
        sb_printf(&b, "\nif it runs out of memory, in order\n");
    for (size_t i = 0; i < r->nfallbacks; i++) {
        const hr_plan_fallback *f = &r->fallbacks[i];
        sb_printf(&b, "  %zu. %-8s %s", i + 1, f->when, f->action);
        if (f->need_bytes >= 0)
            sb_printf(&b, " (needs %s)", bytes(x, f->need_bytes));
        sb_printf(&b, ": %s\n", f->reason);
    }
    notes(&b, r->notes, r->nnotes);
    return sb_done(&b, out);
}

static void diffusion_savers(sb *b, const hr_plan_diffusion_result *r) {
    sb_printf(b, "\nsavers\n");
    for (size_t i = 0; i < r->nsavers; i++) {
        const hr_plan_saver *s = &r->savers[i];
        sb_printf(b, "  %-3s %-44s %s%s [%s]\n", s->on ? "on" : "off", s->name,
                  s->effective ? "" : "(no effect) ", s->reason, s->origin);
    }
    if (r->ncleanup)
        sb_printf(b, "\ncleanup\n");
    for (size_t i = 0; i < r->ncleanup; i++)
        sb_printf(b, "  - %s\n", r->cleanup[i]);
}

hr_status hr_plan_diffusion_to_text(const hr_plan_diffusion_result *r, const hr_plan_dconf *conf,
                                    int explain, int color, char **out) {
    if (!r || !out)
        return HR_EINVAL;
    sb b = {0};
    char x[32];
    sb_printf(&b, "request   %dx%d, pipeline %s\n", r->req.width_px, r->req.height_px,
              hr_plan_pipeline_name(r->req.pipeline));
    device_line(&b, &r->device);
    verdict_line(&b, r->verdict, r->verdict_reason, color);
    if (r->level != HR_LEVEL_UNKNOWN) {
        sb_printf(&b, "\nlevel     %s\nsize      %dx%d -> %dx%d: %s\n", r->level_reason,
                  r->req_w_px, r->req_h_px, r->out_w_px, r->out_h_px, r->size_reason);
        sb_printf(&b, "dtype     %s\ntiles     %s\n", r->dtype_reason, r->tile_reason);
        if (r->peak_bytes > 0)
            sb_printf(&b, "memory    weights %s, estimated peak %s of %s usable\n",
                      bytes(x, r->weights_bytes), bytes((char[32]){0}, r->peak_bytes),
                      bytes((char[32]){0}, r->usable_bytes));
        diffusion_savers(&b, r);
    }
    notes(&b, r->notes, r->nnotes);
    if (explain && conf) {
        sb_printf(&b, "\nconfiguration layers (defaults -> file -> env -> flags)\n");
        for (size_t i = 0; i < hr_plan_dconf_explain_count(conf); i++)
            sb_printf(&b, "  %s\n", hr_plan_dconf_explain_line(conf, i));
    }
    return sb_done(&b, out);
}

hr_status hr_plan_cache_to_text(const hr_plan_cache_result *r, int color, char **out) {
    if (!r || !out)
        return HR_EINVAL;
    sb b = {0};
    char x[32];
    sb_printf(&b, "cache     %s\n", r->size_reason);
    device_line(&b, &r->device);
    const char *c = r->placement == HR_PLACE_DEVICE ? "\033[32m"
                    : r->placement == HR_PLACE_DISK_STREAM ? "\033[31m" : "\033[33m";
    sb_printf(&b, "place     %s%s%s (%s): %s\n", color ? c : "",
              hr_plan_placement_name(r->placement), color ? "\033[0m" : "",
              hr_plan_dtype_name(r->dtype), r->placement_reason);
    if (r->placement != HR_PLACE_UNKNOWN)
        sb_printf(&b, "room      %s on the device after margin, runtime and model\n",
                  r->usable_bytes > 0 ? bytes(x, r->usable_bytes) : "nothing");
    if (r->batch >= 0)
        sb_printf(&b, "batch     %lld (max %lld): %s\n", (long long)r->batch,
                  (long long)r->batch_max, r->batch_reason);
    else
        sb_printf(&b, "batch     %s\n", r->batch_reason);
    notes(&b, r->notes, r->nnotes);
    return sb_done(&b, out);
}

/* model_fallbacks.c: what to try, in order, when loading or generation
 * runs out of memory after all (the budget moved, the estimate was low).
 * Seed 003 had one load fallback (CPU fp32, which needs more memory, not
 * less) and none for generation. Pure. */
#include <stdio.h>
#include <string.h>

#include "plan/model_mem.h"

static void add(hr__mplan *m, const char *when, int64_t need, const char *action, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
static void add(hr__mplan *m, const char *when, int64_t need, const char *action, const char *fmt,
                ...) {
    hr_plan_model_result *r = m->r;
    if (r->nfallbacks >= HR_PLAN_MAX_FALLBACKS)
        return;
    hr_plan_fallback *fb = &r->fallbacks[r->nfallbacks++];
    hr__strlcpy(fb->when, when, sizeof fb->when);
    hr__strlcpy(fb->action, action, sizeof fb->action);
    fb->need_bytes = need;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(fb->reason, sizeof fb->reason, fmt, ap) < 0)
        fb->reason[0] = '\0';
    va_end(ap);
}

static void load_quant(hr__mplan *m) {
    hr__mneed n;
    int q = m->r->quant;
    if (!hr__mplan_bnb_ok(m) || m->o->dtype != HR_DTYPE_UNKNOWN)
        return;
    if (q == HR_QUANT_NONE && hr__mplan_need(m, HR_DTYPE_INT8, HR_QUANT_BNB_INT8, &n))
        add(m, "load", n.total, "BitsAndBytesConfig(load_in_8bit=True)",
            "int8 weights: about half the 16-bit memory, small quality cost");
    if (q != HR_QUANT_BNB_NF4 && hr__mplan_need(m, HR_DTYPE_INT4, HR_QUANT_BNB_NF4, &n))
        add(m, "load", n.total,
            "BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=\"nf4\")",
            "NF4 weights: about a quarter of the 16-bit memory");
}

static void load_offload(hr__mplan *m) {
    const hr_plan_model_result *r = m->r;
    if (r->verdict != HR_VERDICT_FITS || m->d->kind == HR_ACCEL_CPU || m->usable <= 0)
        return;
    char action[128], dev[32];
    hr__plan_fmt_bytes(dev, sizeof dev, m->usable);
    snprintf(action, sizeof action, "device_map=\"auto\", max_memory={%s: \"%lldMiB\", \"cpu\": ...}",
             m->d->kind == HR_ACCEL_MPS ? "\"mps\"" : "0", (long long)(m->usable / HR__MIB));
    add(m, "load", -1, action,
        "keep at most %s on %s and offload the remaining layers to CPU RAM (slow: they cross the "
        "bus every token)", dev, m->d->torch_device);
}

static void load_cpu(hr__mplan *m) {
    hr__mneed n;
    if (m->d->kind == HR_ACCEL_CPU && m->r->dtype == HR_DTYPE_FP32 && m->d->bf16 != HR_PLAN_NO &&
        hr__mplan_need(m, HR_DTYPE_BF16, HR_QUANT_NONE, &n))
        add(m, "load", n.total, "torch_dtype=torch.bfloat16", "half the memory of fp32 on CPU");
}

/* A smaller model that would fit at the preferred dtype: weights plus the
 * 20 % allowance plus the runtime within the usable budget. */
static void load_smaller(hr__mplan *m) {
    if (m->r->verdict != HR_VERDICT_NO_FIT)
        return;
    int64_t per = hr__plan_elems_bytes(12, m->pref == HR_DTYPE_FP32 ? HR_DTYPE_FP32 : HR_DTYPE_FP16);
    int64_t room = m->usable - hr__plan_runtime_bytes(m->d->kind);
    if (room <= 0 || per <= 0)
        return;
    /* per is the bytes of 12 parameters; 1.2 x bytes/param = per / 10. */
    double max_b = (double)room * 10.0 / (double)per / 1e9;
    char action[128];
    snprintf(action, sizeof action, "a model of at most %.1fB parameters", max_b);
    add(m, "load", room, action, "fits at %s with the same allowances",
        hr_plan_dtype_name(m->pref));
}

/* No fit, but the KV cache is known: the context at which the smallest
 * available option would fit. */
static void load_context(hr__mplan *m) {
    const hr_plan_model_facts *f = m->f;
    const hr_plan_model_result *r = m->r;
    if (!HR_IS_KNOWN(f->layers) || !HR_IS_KNOWN(f->kv_heads) || !HR_IS_KNOWN(f->head_dim))
        return;
    const hr_plan_option *best = NULL;
    for (size_t i = 0; i < r->noptions; i++)
        if (r->options[i].available && (!best || r->options[i].total_bytes < best->total_bytes))
            best = &r->options[i];
    hr__mneed n;
    if (!best || !hr__mplan_need(m, best->dtype, best->quant, &n) || n.kv <= 0)
        return;
    int64_t per_token = n.kv / m->o->context_tokens;
    int64_t room = m->usable - (n.total - n.kv);
    int64_t ctx = per_token > 0 && room > 0 ? room / per_token : 0;
    if (ctx < 256)
        return;
    char action[128];
    snprintf(action, sizeof action, "--context %lld (prompt + max_new_tokens)", (long long)ctx);
    add(m, "load", n.total - n.kv + ctx * per_token, action,
        "the KV cache of %lld tokens is what does not fit; %s fits at that context",
        (long long)m->o->context_tokens, hr_plan_dtype_name(best->dtype));
}

static void gen_fallbacks(hr__mplan *m) {
    const hr_plan_model_facts *f = m->f;
    const hr_plan_model_opts *o = m->o;
    if (HR_IS_KNOWN(f->layers) && HR_IS_KNOWN(f->kv_heads) && HR_IS_KNOWN(f->head_dim)) {
        int64_t per1k = 2 * f->layers.v * f->kv_heads.v * f->head_dim.v * 1024 * o->batch *
                        (m->r->dtype == HR_DTYPE_FP32 ? 4 : 2);
        char b[32], action[128];
        hr__plan_fmt_bytes(b, sizeof b, per1k);
        snprintf(action, sizeof action, "shorten prompt + max_new_tokens to %lld tokens",
                 (long long)(o->context_tokens > 1 ? o->context_tokens / 2 : 1));
        add(m, "generate", -1, action, "the KV cache grows %s per 1024 tokens", b);
    } else {
        add(m, "generate", -1, "lower max_new_tokens and the prompt length",
            "the KV cache grows with every token (size unknown without config.json)");
    }
    if (o->batch > 1)
        add(m, "generate", -1, "generate with batch 1", "the KV cache scales with the batch");
    if (m->d->kind == HR_ACCEL_CUDA || m->d->kind == HR_ACCEL_ROCM)
        add(m, "generate", -1, "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True",
            "less fragmentation; and torch.cuda.empty_cache() between requests");
    else if (m->d->kind == HR_ACCEL_MPS)
        add(m, "generate", -1, "watch memory pressure (headroom probe)",
            "on unified memory MPS swaps before it raises an OOM error; "
            "PYTORCH_MPS_HIGH_WATERMARK_RATIO caps its pool (default 1.7 x the working set)");
}

void hr__mplan_fallbacks(hr__mplan *m) {
    if (m->r->verdict == HR_VERDICT_UNKNOWN_BUDGET)
        return;
    if (m->r->verdict == HR_VERDICT_NO_FIT) {
        /* Every smaller option was tried by the ladder: a shorter context or a smaller model. */
        load_context(m);
        load_smaller(m);
        return;
    }
    load_quant(m);
    load_offload(m);
    load_cpu(m);
    gen_fallbacks(m);
}

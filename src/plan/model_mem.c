/* model_mem.c: bytes a model needs for one (dtype, quantization):
 * weights + KV cache + activations + runtime. Pure.
 *
 * Weights: parameters x bytes per element, or the exact checkpoint size
 * when it is stored at that dtype. bitsandbytes leaves embeddings, lm_head,
 * norms and biases in 16 bits; int8 (LLM.int8) stores 1 byte per quantized
 * weight (row scales < 0.1 %), int4 (NF4, block 64, one fp32 absmax per
 * block) 0.5 + 4/64 = 0.5625 bytes. */
#include "plan/model_mem.h"

int hr__mplan_bnb_ok(const hr__mplan *m) {
    return m->d->kind == HR_ACCEL_CUDA && m->o->allow_quantization;
}

static int64_t weights_bytes(const hr__mplan *m, int dtype, int quant) {
    int64_t q = m->params - m->unquantized, out = 0;
    if (quant == HR_QUANT_BNB_INT8 || quant == HR_QUANT_BNB_NF4) {
        int64_t keep = 0, qb = 0;
        if (!hr__plan_mul(m->unquantized, 2, &keep))
            return -1;
        qb = quant == HR_QUANT_BNB_INT8 ? q : q / 16 * 9 + q % 16 * 9 / 16;
        return hr__plan_add(keep, qb, &out) ? out : -1;
    }
    const hr_plan_model_facts *f = m->f;
    if (HR_IS_KNOWN(f->checkpoint_bytes) && f->checkpoint_dtype == dtype)
        return f->checkpoint_bytes.v;
    return hr__plan_elems_bytes(m->params, dtype);
}

/* 2 (K and V) x layers x kv_heads x head_dim x tokens x batch x bytes. */
static int kv_bytes(const hr__mplan *m, int dtype, int64_t *out) {
    const hr_plan_model_facts *f = m->f;
    if (!HR_IS_KNOWN(f->layers) || !HR_IS_KNOWN(f->kv_heads) || !HR_IS_KNOWN(f->head_dim))
        return 0;
    int64_t v = 2;
    int64_t per = dtype == HR_DTYPE_FP32 ? 4 : 2;
    if (!hr__plan_mul(v, f->layers.v, &v) || !hr__plan_mul(v, f->kv_heads.v, &v) ||
        !hr__plan_mul(v, f->head_dim.v, &v) || !hr__plan_mul(v, m->o->context_tokens, &v) ||
        !hr__plan_mul(v, m->o->batch, &v) || !hr__plan_mul(v, per, &v))
        return -1;
    *out = v;
    return 1;
}

int hr__mplan_need(const hr__mplan *m, int dtype, int quant, hr__mneed *out) {
    int64_t w16 = 0;
    int act_scale = dtype == HR_DTYPE_FP32 ? 2 : 1;
    out->weights = weights_bytes(m, dtype, quant);
    if (out->weights < 0 || !hr__plan_mul(m->params, 2, &w16))
        return 0;
    /* Activations scale with the model's width, not with how its weights
     * are stored: 10 % of the 16-bit weights, 256 MiB to 4 GiB. */
    out->act = w16 / 100 * HR__PLAN_ACT_PCT;
    if (out->act < HR__PLAN_ACT_MIN_BYTES)
        out->act = HR__PLAN_ACT_MIN_BYTES;
    if (out->act > HR__PLAN_ACT_MAX_BYTES)
        out->act = HR__PLAN_ACT_MAX_BYTES;
    out->act *= act_scale;
    int k = kv_bytes(m, quant != HR_QUANT_NONE ? HR_DTYPE_FP16 : dtype, &out->kv);
    if (k < 0)
        return 0;
    out->kv_known = k == 1;
    if (!out->kv_known)
        out->kv = w16 / 100 * HR__PLAN_KV_ALLOW_PCT * act_scale;
    out->runtime = hr__plan_runtime_bytes(m->d->kind);
    int64_t t = 0;
    if (!hr__plan_add(out->weights, out->kv, &t) || !hr__plan_add(t, out->act, &t) ||
        !hr__plan_add(t, out->runtime, &t))
        return 0;
    out->total = t;
    return 1;
}

int64_t hr__mplan_host_usable(const hr__mplan *m) {
    if (!HR_IS_KNOWN(m->d->host_available_bytes))
        return -1;
    return hr__plan_usable(m->d->host_available_bytes.v, m->o->margin_pct);
}

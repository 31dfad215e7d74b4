/* diffusion_savers.c: which memory savers a diffusion run turns on, each
 * with the layer that decided and why. A value set by a layer above the
 * defaults (file, env, flag) is obeyed; a default is a starting point that
 * the device and level rules refine. Knobs with no effect (gradient
 * checkpointing at inference, the nonexistent enable_model_offload) are
 * reported as no-ops instead of pretending. Pure. */
#include <stdio.h>
#include <string.h>

#include "plan/diffusion.h"

static hr_plan_saver *saver(hr__dplan *p, const char *key) {
    hr_plan_diffusion_result *r = p->r;
    hr_plan_saver *s = &r->savers[r->nsavers++];
    char path[96];
    snprintf(path, sizeof path, "optimizations.%s", key);
    hr__strlcpy(s->name, key, sizeof s->name);
    s->on = hr__dconf_get(p->c, path)->num != 0;
    s->effective = 1;
    hr__strlcpy_tail(s->origin, hr__dconf_origin(p->c, path), sizeof s->origin);
    return s;
}

static int user(const hr__dplan *p, const char *key) {
    char path[96];
    snprintf(path, sizeof path, "optimizations.%s", key);
    return hr__dconf_user_set(p->c, path);
}

static void by_rule(hr_plan_saver *s, int on) {
    s->on = on;
    hr__strlcpy(s->origin, "rule", sizeof s->origin);
}

static void vae_tiling(hr__dplan *p) {
    hr_plan_saver *s = saver(p, "enable_vae_tiling");
    const hr_plan_diffusion_result *r = p->r;
    if (r->size_action == HR_SIZE_TILED) {
        int was_off = !s->on;
        by_rule(s, 1);
        snprintf(s->reason, sizeof s->reason, "required: the size is above the cap (kept because "
                 "it is within twice its area)%s", was_off ? "; overrides the setting false" : "");
    } else {
        s->effective = (int64_t)r->out_w_px * r->out_h_px > (int64_t)r->tile_px * r->tile_px;
        if (s->on)
            snprintf(s->reason, sizeof s->reason, "decodes in %d px tiles, bounding the VAE "
                     "peak%s", r->tile_px, s->effective ? "" : " (image within one tile)");
        else
            snprintf(s->reason, sizeof s->reason, "off (from %s)", s->origin);
    }
    p->tiling = s->on;
}

static void attention_slicing(hr__dplan *p) {
    hr_plan_saver *s = saver(p, "enable_attention_slicing");
    const hr_plan_device *d = p->d;
    if (user(p, s->name)) {
        snprintf(s->reason, sizeof s->reason, "set by %s", s->origin);
    } else if (d->kind == HR_ACCEL_MPS) {
        int small = !HR_IS_KNOWN(d->total_bytes) || d->total_bytes.v < 64 * HR__GIB;
        by_rule(s, small);
        snprintf(s->reason, sizeof s->reason, "diffusers advises it on Macs with under 64 GB of "
                 "RAM (this one: %s)", small ? "under, or unknown" : "64 GB or more");
    } else if (d->kind == HR_ACCEL_CPU) {
        snprintf(s->reason, sizeof s->reason, "lowers the peak RAM of attention on the CPU");
    } else {
        by_rule(s, p->r->level <= HR_LEVEL_LOW);
        snprintf(s->reason, sizeof s->reason, s->on ? "low memory level: slicing trades some "
                 "speed for memory" : "SDPA already keeps attention memory low; slicing would "
                 "only slow it");
    }
}

static void offload(hr__dplan *p) {
    hr_plan_saver *m = saver(p, "enable_model_cpu_offload");
    hr_plan_saver *q = saver(p, "enable_sequential_cpu_offload");
    hr_plan_diffusion_result *r = p->r;
    if (p->d->kind == HR_ACCEL_CPU) {
        by_rule(m, 0);
        by_rule(q, 0);
        m->effective = q->effective = 0;
        snprintf(m->reason, sizeof m->reason, "the pipeline already runs on the CPU");
        snprintf(q->reason, sizeof q->reason, "the pipeline already runs on the CPU");
        return;
    }
    int64_t work = hr__dplan_work(p, p->tiling);
    int64_t full = p->weights + work + p->runtime, part = p->largest + work + p->runtime;
    char a[32], b[32];
    hr__plan_fmt_bytes(b, sizeof b, r->usable_bytes);
    if (user(p, q->name)) {
        snprintf(q->reason, sizeof q->reason, "set by %s", q->origin);
    } else if (p->weights > 0) {
        by_rule(q, part > r->usable_bytes);
        hr__plan_fmt_bytes(a, sizeof a, part);
        snprintf(q->reason, sizeof q->reason, "largest component + working memory %s %s %s "
                 "usable%s", a, q->on ? "exceeds" : "fits", b, q->on ? " (very slow)" : "");
    } else {
        by_rule(q, r->level == HR_LEVEL_VERY_LOW);
        snprintf(q->reason, sizeof q->reason, q->on ? "very low memory level: submodules stream "
                 "to the device one by one (very slow)" : "memory level above very_low");
    }
    if (user(p, m->name)) {
        snprintf(m->reason, sizeof m->reason, "set by %s", m->origin);
    } else if (p->weights > 0) {
        by_rule(m, full > r->usable_bytes);
        hr__plan_fmt_bytes(a, sizeof a, full);
        snprintf(m->reason, sizeof m->reason, "weights + working memory %s %s %s usable", a,
                 m->on ? "exceed" : "fit", b);
    } else {
        by_rule(m, r->level <= HR_LEVEL_LOW);
        snprintf(m->reason, sizeof m->reason, m->on ? "low memory level: components move to the "
                 "device only while they run" : "memory level above low");
    }
    if (q->on && m->on) {
        m->effective = 0;
        snprintf(m->reason, sizeof m->reason, "superseded by sequential offload");
    }
}

static void attention_kinds(hr__dplan *p) {
    hr_plan_saver *s = saver(p, "enable_memory_efficient_attention");
    snprintf(s->reason, sizeof s->reason, s->on ? "PyTorch 2 scaled_dot_product_attention (the "
             "diffusers default processor)" : "classic attention: more memory");
    s = saver(p, "enable_xformers_memory_efficient_attention");
    if (p->d->kind != HR_ACCEL_CUDA) {
        by_rule(s, 0);
        s->effective = 0;
        snprintf(s->reason, sizeof s->reason, "xformers is CUDA-only");
    } else if (user(p, s->name)) {
        snprintf(s->reason, sizeof s->reason, "set by %s; needs the xformers package", s->origin);
    } else {
        by_rule(s, 0);
        snprintf(s->reason, sizeof s->reason, "SDPA already gives memory-efficient attention");
    }
    s = saver(p, "enable_attention_processor");
    s->effective = p->sdxl;
    snprintf(s->reason, sizeof s->reason, p->sdxl ? "SDXL UNet gets the SDPA processor "
             "(AttnProcessor2_0)" : "only used for SDXL");
}

/* SDXL on MPS: smaller VAE tiles (seed 002 set vae.config.sample_size to
 * 64 latents = 512 px). Decided before tiling so the tiles follow it. */
static void vae_sample(hr__dplan *p) {
    hr_plan_saver *s = saver(p, "reduce_vae_sample_size");
    hr_plan_diffusion_result *r = p->r;
    int applies = p->sdxl && p->d->kind == HR_ACCEL_MPS;
    if (!user(p, s->name))
        by_rule(s, applies);
    s->effective = applies;
    snprintf(s->reason, sizeof s->reason, applies ? "SDXL on MPS: 512 px VAE tiles instead of 1024 "
             "(vae.tile_sample_min_size = 512, tile_latent_min_size = 64)" : "only for SDXL on MPS");
    if (s->on && applies && r->tile_px > 512) {
        int32_t was = r->tile_px;
        r->tile_px = 512;
        if (r->tile_overlap_px * 2 >= r->tile_px)
            r->tile_overlap_px = r->tile_px / 4 / 8 * 8;
        snprintf(r->tile_reason, sizeof r->tile_reason, "512 px tiles, %d px overlap: "
                 "reduce_vae_sample_size for SDXL on MPS (the size rule gave %d px)",
                 r->tile_overlap_px, was);
    }
}

/* Lists the savers in the order of the seed's optimizations table. */
static void sort_savers(hr_plan_diffusion_result *r) {
    for (size_t i = 1; i < r->nsavers; i++) {
        for (size_t j = i; j > 0; j--) {
            char a[96], b[96];
            snprintf(a, sizeof a, "optimizations.%s", r->savers[j - 1].name);
            snprintf(b, sizeof b, "optimizations.%s", r->savers[j].name);
            if (hr__dconf_find(a) <= hr__dconf_find(b))
                break;
            hr_plan_saver t = r->savers[j];
            r->savers[j] = r->savers[j - 1];
            r->savers[j - 1] = t;
        }
    }
}

static void plain(hr__dplan *p, const char *key, int effective, const char *why) {
    hr_plan_saver *s = saver(p, key);
    s->effective = effective;
    hr__strlcpy(s->reason, why, sizeof s->reason);
}

static void cleanup(hr__dplan *p) {
    hr_plan_diffusion_result *r = p->r;
    char key[64];
    const char *empty = p->d->kind == HR_ACCEL_CPU ? "gc.collect()"
                        : p->d->kind == HR_ACCEL_MPS ? "gc.collect(); torch.mps.empty_cache()"
                                                     : "gc.collect(); torch.cuda.empty_cache()";
    snprintf(key, sizeof key, "device_settings.%s.aggressive_cleanup", p->dev);
    int aggressive = hr__dconf_get(p->c, key)->num != 0;
    if (hr__dconf_get(p->c, "optimizations.cleanup_before_loading")->num != 0)
        snprintf(r->cleanup[r->ncleanup++], HR_PLAN_REASON_CAP, "before loading: %s", empty);
    if (hr__dconf_get(p->c, "optimizations.force_cleanup_after_generation")->num != 0)
        snprintf(r->cleanup[r->ncleanup++], HR_PLAN_REASON_CAP, "after each %s: %s%s",
                 aggressive ? "image (aggressive_cleanup)" : "job", empty,
                 p->d->kind == HR_ACCEL_CUDA ? "; torch.cuda.synchronize()" : "");
    snprintf(key, sizeof key, "device_settings.%s.enable_memory_pooling", p->dev);
    if (p->d->kind != HR_ACCEL_CPU && hr__dconf_get(p->c, key)->num == 0)
        snprintf(r->cleanup[r->ncleanup++], HR_PLAN_REASON_CAP, "%s",
                 p->d->kind == HR_ACCEL_MPS ? "memory pooling off: PYTORCH_MPS_HIGH_WATERMARK_RATIO=1.0"
                                            : "memory pooling off: PYTORCH_NO_CUDA_MEMORY_CACHING=1 "
                                              "(slow)");
}

static void verdict(hr__dplan *p) {
    hr_plan_diffusion_result *r = p->r;
    int seq = 0, mod = 0;
    for (size_t i = 0; i < r->nsavers; i++) {
        seq |= strcmp(r->savers[i].name, "enable_sequential_cpu_offload") == 0 && r->savers[i].on;
        mod |= strcmp(r->savers[i].name, "enable_model_cpu_offload") == 0 && r->savers[i].on;
    }
    int off = (seq || mod) && p->d->kind != HR_ACCEL_CPU;
    r->verdict = off ? HR_VERDICT_OFFLOAD : HR_VERDICT_FITS;
    if (p->weights <= 0) {
        snprintf(r->verdict_reason, sizeof r->verdict_reason, "pipeline not given (--model): size "
                 "cap and savers from the %s level only, no weights check",
                 hr_plan_level_name(r->level));
        return;
    }
    int64_t work = hr__dplan_work(p, p->tiling);
    r->peak_bytes = seq ? work + p->runtime + 512 * HR__MIB
                  : mod ? p->largest + work + p->runtime : p->weights + work + p->runtime;
    char a[32], b[32];
    hr__plan_fmt_bytes(a, sizeof a, r->peak_bytes);
    hr__plan_fmt_bytes(b, sizeof b, r->usable_bytes);
    if (r->peak_bytes > r->usable_bytes)
        r->verdict = HR_VERDICT_NO_FIT;
    snprintf(r->verdict_reason, sizeof r->verdict_reason, "estimated peak %s %s %s usable%s", a,
             r->verdict == HR_VERDICT_NO_FIT ? "exceeds" : "within", b,
             seq ? " with sequential offload" : mod ? " with model CPU offload" : "");
}

void hr__dplan_savers(hr__dplan *p) {
    vae_sample(p);
    vae_tiling(p);
    attention_slicing(p);
    offload(p);
    attention_kinds(p);
    plain(p, "force_cleanup_after_generation", 1, "gc and cache release after each job");
    plain(p, "cleanup_before_loading", 1, "gc and cache release before the pipeline loads");
    plain(p, "enable_gradient_checkpointing", 0, "training only: no effect when generating");
    plain(p, "enable_vae_slicing", 1, "decodes a batch one image at a time (helps batches > 1)");
    plain(p, "enable_model_offload", 0, "no such diffusers method (seed 002 called a missing one); "
          "enable_model_cpu_offload is the real one");
    sort_savers(p->r);
    cleanup(p);
    verdict(p);
}

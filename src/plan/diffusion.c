/* diffusion.c: memory level, size cap and tiles for a diffusion run. The
 * level comes from the budget of the device that runs the pipeline (free
 * VRAM on CUDA/ROCm, the unified budget on MPS, RAM on CPU); seed 002 used
 * system RAM for every device. Pure. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plan/diffusion.h"

typedef struct pipe_def {
    const char *name;
    int32_t id;
    int64_t params;  /* all components */
    int64_t largest; /* the largest component */
    const char *parts;
} pipe_def;

/* Parameter counts from the published model cards/configs. */
static const pipe_def pipes[] = {
    {"sd15", HR_PIPE_SD15, 1066000000LL, 860000000LL, "UNet 860M, CLIP-L 123M, VAE 84M"},
    {"sd2", HR_PIPE_SD2, 1290000000LL, 866000000LL, "UNet 866M, OpenCLIP-H 340M, VAE 84M"},
    {"sdxl", HR_PIPE_SDXL, 3469000000LL, 2567000000LL,
     "UNet 2.57B, CLIP-L 123M, OpenCLIP-bigG 695M, VAE 84M"},
    {"sd3", HR_PIPE_SD3, 7690000000LL, 4760000000LL,
     "MMDiT 2.0B, CLIP-L, CLIP-G, T5-XXL 4.76B, VAE"},
    {"flux", HR_PIPE_FLUX, 16870000000LL, 11900000000LL,
     "transformer 11.9B, T5-XXL 4.76B, CLIP-L, VAE"},
};

static const pipe_def *pipe_find(int id) {
    for (size_t i = 0; i < sizeof pipes / sizeof pipes[0]; i++)
        if (pipes[i].id == id)
            return &pipes[i];
    return NULL;
}

hr_status hr_plan_parse_pipeline(const char *text, int32_t *out, hr_plan_error *err) {
    static const struct { const char *alias; int32_t id; } aliases[] = {
        {"sd1.5", HR_PIPE_SD15}, {"sd-1.5", HR_PIPE_SD15}, {"sd21", HR_PIPE_SD2},
        {"sd2.1", HR_PIPE_SD2}, {"sd-xl", HR_PIPE_SDXL}, {"sd3-medium", HR_PIPE_SD3},
        {"flux-dev", HR_PIPE_FLUX}, {"flux-schnell", HR_PIPE_FLUX}};
    for (size_t i = 0; text && i < sizeof pipes / sizeof pipes[0]; i++)
        if (hr__plan_ieq(text, pipes[i].name))
            return (*out = pipes[i].id), HR_OK;
    for (size_t i = 0; text && i < sizeof aliases / sizeof aliases[0]; i++)
        if (hr__plan_ieq(text, aliases[i].alias))
            return (*out = aliases[i].id), HR_OK;
    return hr__plan_fail(err, HR_EINVAL, "--model", "use one of sd15, sd2, sdxl, sd3, flux",
                         "'%s' is not a pipeline the planner knows", text ? text : "");
}

const char *hr_plan_pipeline_name(int pipeline) {
    const pipe_def *p = pipe_find(pipeline);
    return p ? p->name : "unknown";
}

const char *hr_plan_level_name(int level) {
    static const char *const names[] = {"very_low", "low", "medium", "high", "very_high"};
    return level >= 0 && level < 5 ? names[level] : "unknown";
}

void hr_plan_diffusion_req_init(hr_plan_diffusion_req *r) {
    memset(r, 0, sizeof *r);
    r->size = sizeof *r;
    r->pipeline = HR_PIPE_UNKNOWN;
    r->margin_pct = HR__PLAN_MARGIN_PCT;
}

int64_t hr__dplan_work(const hr__dplan *p, int tiled) {
    const hr_plan_diffusion_result *r = p->r;
    double mp = (double)r->out_w_px * (double)r->out_h_px / (1024.0 * 1024.0);
    double tile_mp = (double)r->tile_px * (double)r->tile_px / (1024.0 * 1024.0);
    double per = (double)HR__DIFF_WORK_PER_MP * (r->dtype == HR_DTYPE_FP32 ? 2.0 : 1.0);
    double w = tiled ? per / 3 * mp + per * 2 / 3 * (tile_mp < mp ? tile_mp : mp) : per * mp;
    return (int64_t)w;
}

static void level_from_budget(hr__dplan *p) {
    static const char *const th[] = {"memory_thresholds.very_low", "memory_thresholds.low",
                                     "memory_thresholds.medium", "memory_thresholds.high"};
    hr_plan_diffusion_result *r = p->r;
    double gib = (double)r->budget_bytes / (double)HR__GIB;
    int level = HR_LEVEL_VERY_HIGH;
    for (int i = 0; i < 4; i++) {
        if (gib < hr__dconf_get(p->c, th[i])->num) {
            level = i;
            break;
        }
    }
    r->level = level;
    const char *key = level < 4 ? th[level] : th[3];
    snprintf(r->level_reason, sizeof r->level_reason,
             "%s: %.1f GiB budget (%s) is %s the %s threshold of %g GiB (from %s)",
             hr_plan_level_name(level), gib, p->d->budget_source, level < 4 ? "under" : "at or above",
             strrchr(key, '.') + 1, hr__dconf_get(p->c, key)->num, hr__dconf_origin(p->c, key));
}

/* Rounds to the nearest multiple of 8 ((v + 4) div 8 x 8, seed 002), at least 8. */
static int32_t round8(int64_t v) {
    int64_t r = (v + 4) / 8 * 8;
    return (int32_t)(r < 8 ? 8 : r);
}

static void size_rule(hr__dplan *p) {
    hr_plan_diffusion_result *r = p->r;
    char key[64];
    snprintf(key, sizeof key, "max_image_sizes.%s.%s", p->dev, hr_plan_level_name(r->level));
    const hr__dc_val *cap = hr__dconf_get(p->c, key);
    r->max_w_px = cap->w;
    r->max_h_px = cap->h;
    int64_t area = (int64_t)r->req_w_px * r->req_h_px, cap_area = (int64_t)cap->w * cap->h;
    r->out_w_px = r->req_w_px;
    r->out_h_px = r->req_h_px;
    if (area > 2 * cap_area) {
        double s = sqrt((double)cap_area / (double)area);
        r->out_w_px = round8((int64_t)(r->req_w_px * s));
        r->out_h_px = round8((int64_t)(r->req_h_px * s));
        r->size_action = HR_SIZE_SCALED;
        snprintf(r->size_reason, sizeof r->size_reason,
                 "%dx%d is over twice the area of the %dx%d cap (%s, from %s): scaled by %.3f "
                 "keeping the aspect, sides rounded to multiples of 8", r->req_w_px, r->req_h_px,
                 cap->w, cap->h, key, hr__dconf_origin(p->c, key), s);
    } else if (area > cap_area) {
        r->size_action = HR_SIZE_TILED;
        snprintf(r->size_reason, sizeof r->size_reason,
                 "%dx%d is above the %dx%d cap (%s, from %s) but within twice its area: kept, "
                 "with VAE tiling", r->req_w_px, r->req_h_px, cap->w, cap->h, key,
                 hr__dconf_origin(p->c, key));
    } else {
        r->size_action = HR_SIZE_KEPT;
        snprintf(r->size_reason, sizeof r->size_reason, "%dx%d is within the %dx%d cap (%s)",
                 r->req_w_px, r->req_h_px, cap->w, cap->h, key);
    }
}

static void dtype_rule(hr__dplan *p) {
    hr_plan_diffusion_result *r = p->r;
    char key[64];
    snprintf(key, sizeof key, "device_settings.%s.dtype", p->dev);
    r->dtype = (int32_t)hr__dconf_get(p->c, key)->num;
    if (r->dtype == HR_DTYPE_BF16 && p->d->bf16 == HR_PLAN_NO) {
        r->dtype = HR_DTYPE_FP16;
        snprintf(r->dtype_reason, sizeof r->dtype_reason, "fp16: %s asks for bf16 (from %s) but %s",
                 key, hr__dconf_origin(p->c, key), p->d->bf16_reason);
        return;
    }
    snprintf(r->dtype_reason, sizeof r->dtype_reason, "%s: %s (from %s)%s",
             hr_plan_dtype_name(r->dtype), key, hr__dconf_origin(p->c, key),
             p->d->kind == HR_ACCEL_MPS ? "; MPS runs the pipeline (seed 002 sent Macs to the CPU)"
                                        : "");
}

/* The seed's tile helper (defined there but never called): above 4 MP
 * min(tile/2, 256); above 1 MP the tile size; else min(max_tile, 2 x tile);
 * rounded to 8. Without dynamic tiling the configured size stands. */
static void tile_rule(hr__dplan *p) {
    hr_plan_diffusion_result *r = p->r;
    char k1[64], k2[64], k3[64], k4[64];
    snprintf(k1, sizeof k1, "device_settings.%s.tile_size", p->dev);
    snprintf(k2, sizeof k2, "device_settings.%s.tile_overlap", p->dev);
    snprintf(k3, sizeof k3, "device_settings.%s.max_tile_size", p->dev);
    snprintf(k4, sizeof k4, "device_settings.%s.enable_dynamic_tiling", p->dev);
    int32_t tile = (int32_t)hr__dconf_get(p->c, k1)->num, maxt = (int32_t)hr__dconf_get(p->c, k3)->num;
    int64_t area = (int64_t)r->out_w_px * r->out_h_px;
    const char *why = "the configured tile size (dynamic tiling off)";
    if (hr__dconf_get(p->c, k4)->num != 0) {
        if (area > 4LL * 1024 * 1024) {
            tile = tile / 2 < 256 ? tile / 2 : 256;
            why = "above 4 MP: min(tile/2, 256)";
        } else if (area > 1024LL * 1024) {
            why = "1-4 MP: the tile size";
        } else {
            tile = 2 * tile < maxt ? 2 * tile : maxt;
            why = "up to 1 MP: min(max_tile_size, 2 x tile)";
        }
    }
    r->tile_px = round8(tile);
    r->tile_overlap_px = (int32_t)hr__dconf_get(p->c, k2)->num;
    if (r->tile_overlap_px * 2 >= r->tile_px) {
        r->tile_overlap_px = r->tile_px / 4 / 8 * 8;
        hr__plan_note(r->notes, &r->nnotes, HR_PLAN_MAX_NOTES,
                      "tile overlap lowered to %d px: %s is half the %d px tile or more",
                      r->tile_overlap_px, k2, r->tile_px);
    }
    snprintf(r->tile_reason, sizeof r->tile_reason, "%d px tiles, %d px overlap: %s (%s = %g)",
             r->tile_px, r->tile_overlap_px, why, k1, hr__dconf_get(p->c, k1)->num);
}

static void weights(hr__dplan *p) {
    const pipe_def *pd = pipe_find(p->req->pipeline);
    p->sdxl = p->req->pipeline == HR_PIPE_SDXL;
    p->runtime = hr__plan_runtime_bytes(p->d->kind);
    if (!pd)
        return;
    p->weights = hr__plan_elems_bytes(pd->params, p->r->dtype);
    p->largest = hr__plan_elems_bytes(pd->largest, p->r->dtype);
    p->r->weights_bytes = p->weights;
    char b[32];
    hr__plan_fmt_bytes(b, sizeof b, p->weights);
    hr__plan_note(p->r->notes, &p->r->nnotes, HR_PLAN_MAX_NOTES, "%s weights: %s at %s (%s)",
                  pd->name, b, hr_plan_dtype_name(p->r->dtype), pd->parts);
}

/* Settings the seed's schema has but no rule here reads: said, not ignored. */
static void note_unplanned(hr__dplan *p) {
    static const char *const parts[] = {"lora_settings.", "hires_settings.", "max_concurrent"};
    for (size_t i = 0; i < hr__dc_ndefs; i++) {
        const char *path = hr__dc_defs[i].path;
        int unplanned = 0;
        for (size_t k = 0; k < 3; k++)
            unplanned |= strstr(path, parts[k]) != NULL;
        if (unplanned && hr__dconf_user_set(p->c, path)) {
            hr__plan_note(p->r->notes, &p->r->nnotes, HR_PLAN_MAX_NOTES,
                          "%s (from %s) is kept in the configuration but no plan rule reads it",
                          path, hr__dconf_origin(p->c, path));
            return;
        }
    }
}

static hr_status check_req(const hr_plan_diffusion_req *r, hr_plan_error *err) {
    if (r->width_px < 8 || r->height_px < 8 || r->width_px > 65536 || r->height_px > 65536)
        return hr__plan_fail(err, HR_EINVAL, "--size", "use WxH with sides of 8 to 65536 pixels",
                             "%dx%d is out of range", r->width_px, r->height_px);
    if (r->margin_pct < 0 || r->margin_pct > 90)
        return hr__plan_fail(err, HR_EINVAL, "--margin", "use 0 to 90 (percent)",
                             "%d %% is out of range", r->margin_pct);
    if (r->pipeline != HR_PIPE_UNKNOWN && !pipe_find(r->pipeline))
        return hr__plan_fail(err, HR_EINVAL, "--model", NULL, "unknown pipeline %d", r->pipeline);
    return HR_OK;
}

static void setup(hr__dplan *p, const hr_plan_dconf *c, const hr_plan_device *d,
                  const hr_plan_diffusion_req *req, hr_plan_diffusion_result *out) {
    memset(p, 0, sizeof *p);
    memset(out, 0, sizeof *out);
    p->c = c;
    p->d = d;
    p->req = req;
    p->r = out;
    p->dev = d->kind == HR_ACCEL_MPS ? "mps" : d->kind == HR_ACCEL_CPU ? "cpu" : "cuda";
    out->size = sizeof *out;
    out->device = *d;
    out->req = *req;
    out->config_device = d->kind == HR_ACCEL_ROCM ? HR_ACCEL_CUDA : d->kind;
    out->level = HR_LEVEL_UNKNOWN;
    out->req_w_px = round8(req->width_px);
    out->req_h_px = round8(req->height_px);
    if (out->req_w_px != req->width_px || out->req_h_px != req->height_px)
        hr__plan_note(out->notes, &out->nnotes, HR_PLAN_MAX_NOTES,
                      "%dx%d rounded to %dx%d: diffusion sizes are multiples of 8", req->width_px,
                      req->height_px, out->req_w_px, out->req_h_px);
    if (d->kind == HR_ACCEL_ROCM)
        hr__plan_note(out->notes, &out->nnotes, HR_PLAN_MAX_NOTES,
                      "ROCm uses the cuda tables: PyTorch exposes ROCm GPUs as cuda devices");
    out->budget_bytes = HR_IS_KNOWN(d->budget_bytes) && d->budget_bytes.v > 0 ? d->budget_bytes.v : 0;
    out->usable_bytes = hr__plan_usable(out->budget_bytes, req->margin_pct);
}

hr_status hr_plan_diffusion(const hr_plan_dconf *c, const hr_plan_device *d,
                            const hr_plan_diffusion_req *req, hr_plan_diffusion_result *out,
                            hr_plan_error *err) {
    if (!c || !d || !req || !out)
        return hr__plan_fail(err, HR_EINVAL, "plan", NULL, "missing input");
    hr_status s = hr__dconf_validate(c, err);
    if (s == HR_OK)
        s = check_req(req, err);
    if (s != HR_OK)
        return s;
    hr__dplan p;
    setup(&p, c, d, req, out);
    dtype_rule(&p);
    weights(&p);
    note_unplanned(&p);
    if (out->budget_bytes == 0) {
        out->verdict = HR_VERDICT_UNKNOWN_BUDGET;
        snprintf(out->verdict_reason, sizeof out->verdict_reason,
                 "unknown: the %s memory budget could not be read (%s); plan for a stated machine "
                 "with --assume-device and --assume-memory", hr_plan_device_kind_name(d->kind),
                 hr_why_text(d->budget_bytes.why));
        return HR_OK;
    }
    level_from_budget(&p);
    size_rule(&p);
    tile_rule(&p);
    hr__dplan_savers(&p);
    return HR_OK;
}

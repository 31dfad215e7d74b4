/* probe.c: hr_govern_sensors from a probe's latest read.
 *
 * The GPU that matters for cooling is the one closest to its limit: the
 * least thermal margin (NVML's margin, else slowdown - temperature), else,
 * with no margins anywhere, the hottest. Lost GPUs are skipped. Its throttle
 * reasons come with it; another GPU's reasons are not merged in, so that a
 * reason and the temperature in the same text belong to the same device. */
#include <string.h>

#include "govern/govern_internal.h"

/* Margin in millidegrees, or 0 with *known = 0. */
static int64_t margin_mc(const hr_gpu_info *g, int *known) {
    *known = 1;
    if (HR_IS_KNOWN(g->temp_margin_mc))
        return g->temp_margin_mc.v;
    if (HR_IS_KNOWN(g->temp_mc) && HR_IS_KNOWN(g->temp_slowdown_mc) && g->temp_slowdown_mc.v > 0)
        return g->temp_slowdown_mc.v - g->temp_mc.v;
    *known = 0;
    return 0;
}

/* 1 when A is closer to its limit than B (B may be NULL). */
static int closer(const hr_gpu_info *a, const hr_gpu_info *b) {
    if (!b)
        return 1;
    int ka, kb;
    int64_t ma = margin_mc(a, &ka), mb = margin_mc(b, &kb);
    if (ka != kb)
        return ka;
    if (ka)
        return ma < mb;
    if (HR_IS_KNOWN(a->temp_mc) != HR_IS_KNOWN(b->temp_mc))
        return HR_IS_KNOWN(a->temp_mc);
    return HR_IS_KNOWN(a->temp_mc) && a->temp_mc.v > b->temp_mc.v;
}

static const hr_gpu_info *pick_gpu(const hr_probe *p) {
    const hr_gpu_info *best = NULL;
    for (size_t i = 0; p->gpus && i < p->ngpus; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        if (!g->lost && closer(g, best))
            best = g;
    }
    return best;
}

void hr_govern_sensors_from_probe(const hr_probe *p, int64_t t_ns, hr_govern_sensors *out) {
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->t_ns = t_ns;
    out->gpu_index = -1;
    if (!p)
        return;
    const hr_gpu_info *g = pick_gpu(p);
    if (g) {
        out->gpu_index = (int32_t)(g - p->gpus);
        out->gpu_temp_mc = g->temp_mc;
        out->gpu_temp_slowdown_mc = g->temp_slowdown_mc;
        out->gpu_temp_margin_mc = g->temp_margin_mc;
        out->gpu_throttle_reasons = g->throttle_reasons;
    }
    out->cpu_temp_mc = p->cpu.temp_mc;
    out->cpu_temp_crit_mc = p->cpu.temp_crit_mc;
    out->thermal_pressure = p->mem.thermal_pressure;
}

/* config.c: hr_govern_config defaults and validation, and the name tables.
 *
 * Defaults: the seed's ThermalManager where it had one (threshold 1.5,
 * critical 3.0, window 5, 30 s break; batch 10 and 60 s), ours where the
 * seed had none or was wrong; docs/GOVERNOR.md cites each. Validation is a
 * table of ranges, so that no field can be forgotten, plus the rules that
 * relate fields. */
#include <stdio.h>
#include <string.h>

#include "core/util/ranges.h"
#include "govern/govern_internal.h"

void hr_govern_config_defaults(hr_govern_config *c) {
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->policy = HR_POLICY_AUTO;
    c->baseline_s_per_unit = 0.0; /* learned */
    c->learn_steps = 5;           /* ours: the seed took the median of its first 3 */
    c->learn_quantile = 0.25;     /* ours: the job heats while it is learned */
    c->window = 5;                /* the seed's window_size */
    c->min_evidence_units = 5.0;  /* ours: 3 slow units of 5 (median); simulator */
    c->threshold = 1.5;           /* the seed's throttle_threshold */
    c->critical = 3.0;            /* the seed's critical_threshold (it never used it) */
    c->break_s = 5.0;             /* simulator (the seed's 30 s costs ~10 %) */
    c->critical_break_s = 120.0;  /* ours: an emergency throttle needs minutes */
    c->max_break_s = 300.0;       /* ours: a chassis cools in minutes */
    c->rest_ratio = 0.25;         /* simulator: long (per-image) steps need long rests */
    c->break_growth = 2.0;        /* ours: doubling, as in back-off */
    c->relearn_breaks = 1;        /* ours: one 300 s break with no speed-up */
    c->relearn_fast_ratio = 0.8;  /* ours: beyond step jitter (+-5 %) */
    c->batch_size = 10;           /* the seed's batch_size */
    c->batch_units = 0.0;         /* by steps, as the seed counted recordings */
    c->batch_break_s = 60.0;      /* the seed's batch_cooling_duration */
    c->gpu_pause_margin_c = 3.0;  /* simulator; nsight thermovision uses 10/40 for benchmarks */
    c->gpu_resume_margin_c = 6.0;
    c->gpu_pause_temp_c = 0.0;
    c->gpu_resume_temp_c = 0.0;
    c->near_limit_margin_c = 3.0; /* = gpu_pause_margin_c */
    c->thermal_reasons_mask = HR_THROTTLE_HW_THERMAL;
    c->near_reasons_mask = HR_THROTTLE_SW_THERMAL | HR_THROTTLE_HW_SLOWDOWN;
    c->power_reasons_mask = HR_THROTTLE_POWER_MASK;
    c->cpu_pause_margin_c = 5.0; /* ours: crit may be a shutdown trip point */
    c->cpu_resume_margin_c = 10.0;
    c->pressure_pause = HR_THERMAL_HEAVY;    /* issue 5: Heavy or worse */
    c->pressure_resume = HR_THERMAL_NOMINAL; /* issue 5: Nominal (or a plateau, or max) */
    c->min_break_s = 0.0;                    /* simulator: any minimum costs throughput */
    c->plateau_s = 5.0;                      /* simulator: pressure levels are coarse */
    c->plateau_c = 1.0;
    c->rearm_after_max_s = 60.0;
    c->stale_s = 10.0;
    c->critical_evidence_units = 2.0; /* simulator: a lone checkpoint step is not heat */
}

hr_status hr__govern_config_load(hr_govern_config *dst, const hr_govern_config *src, char *why,
                                 size_t cap) {
    hr_govern_config_defaults(dst);
    if (!src)
        return HR_OK;
    if (src->size < sizeof src->size || src->size > sizeof *src)
        return hr__ranges_say(why, cap, "size: must be between %zu and %zu (got %zu)",
                              sizeof src->size, sizeof *src, src->size);
    memcpy(dst, src, src->size);
    dst->size = sizeof *dst;
    return HR_OK;
}

#define RULE(f, t, lo, hi, lo_open, hi_open)                                                       \
    HR__RANGE(hr_govern_config, f, t, lo, hi, lo_open, hi_open)
#define F_DOUBLE HR__RANGE_DOUBLE
#define F_U32 HR__RANGE_U32
#define F_I32 HR__RANGE_I32

#define DAY_S 86400.0

static const hr__range_rule rules[] = {
    RULE(policy, F_I32, 0, HR_POLICY_COUNT, 0, 1),
    RULE(baseline_s_per_unit, F_DOUBLE, 0, DAY_S, 0, 0),
    RULE(learn_steps, F_U32, 1, HR__GOV_MAX_LEARN, 0, 0),
    RULE(learn_quantile, F_DOUBLE, 0, 1, 0, 0),
    RULE(window, F_U32, 1, HR__GOV_MAX_WINDOW, 0, 0),
    RULE(min_evidence_units, F_DOUBLE, 0, 1e9, 1, 0),
    RULE(threshold, F_DOUBLE, 1, 1000, 1, 0),
    RULE(critical, F_DOUBLE, 1, 1000, 1, 0),
    RULE(break_s, F_DOUBLE, 0, DAY_S, 1, 0),
    RULE(critical_break_s, F_DOUBLE, 0, DAY_S, 1, 0),
    RULE(max_break_s, F_DOUBLE, 0, DAY_S, 1, 0),
    RULE(rest_ratio, F_DOUBLE, 0, 100, 0, 0),
    RULE(break_growth, F_DOUBLE, 1, 100, 0, 0),
    RULE(relearn_breaks, F_U32, 0, 1000000, 0, 0),
    RULE(relearn_fast_ratio, F_DOUBLE, 0, 1, 0, 1),
    RULE(batch_size, F_U32, 0, 1000000000, 0, 0),
    RULE(batch_units, F_DOUBLE, 0, 1e12, 0, 0),
    RULE(batch_break_s, F_DOUBLE, 0, DAY_S, 1, 0),
    RULE(gpu_pause_margin_c, F_DOUBLE, -50, 200, 0, 0),
    RULE(gpu_resume_margin_c, F_DOUBLE, -50, 200, 0, 0),
    RULE(gpu_pause_temp_c, F_DOUBLE, 0, 200, 0, 0),
    RULE(gpu_resume_temp_c, F_DOUBLE, 0, 200, 0, 0),
    RULE(near_limit_margin_c, F_DOUBLE, -50, 200, 0, 0),
    RULE(cpu_pause_margin_c, F_DOUBLE, -50, 200, 0, 0),
    RULE(cpu_resume_margin_c, F_DOUBLE, -50, 200, 0, 0),
    RULE(pressure_pause, F_I32, HR_THERMAL_MODERATE, HR_THERMAL_SLEEPING, 0, 0),
    RULE(pressure_resume, F_I32, HR_THERMAL_NOMINAL, HR_THERMAL_TRAPPING, 0, 0),
    RULE(min_break_s, F_DOUBLE, 0, DAY_S, 0, 0),
    RULE(plateau_s, F_DOUBLE, 0, DAY_S, 0, 0),
    RULE(plateau_c, F_DOUBLE, 0, 200, 1, 0),
    RULE(rearm_after_max_s, F_DOUBLE, 0, DAY_S, 0, 0),
    RULE(stale_s, F_DOUBLE, 0, DAY_S, 1, 0),
    RULE(critical_evidence_units, F_DOUBLE, 0, 1e9, 1, 0),
};

/* Rules between fields. */
static hr_status check_relations(const hr_govern_config *c, char *why, size_t cap) {
    if (c->critical < c->threshold)
        return hr__ranges_say(why, cap, "critical: must not be below threshold %g (got %g)",
                              c->threshold, c->critical);
    if (c->break_s > c->max_break_s)
        return hr__ranges_say(why, cap, "break_s: must not exceed max_break_s %g (got %g)",
                              c->max_break_s, c->break_s);
    if (c->critical_break_s > c->max_break_s)
        return hr__ranges_say(why, cap, "critical_break_s: must not exceed max_break_s %g (got %g)",
                              c->max_break_s, c->critical_break_s);
    if (c->batch_break_s > c->max_break_s)
        return hr__ranges_say(why, cap, "batch_break_s: must not exceed max_break_s %g (got %g)",
                              c->max_break_s, c->batch_break_s);
    if (c->min_break_s > c->max_break_s)
        return hr__ranges_say(why, cap, "min_break_s: must not exceed max_break_s %g (got %g)",
                              c->max_break_s, c->min_break_s);
    if (c->gpu_resume_margin_c < c->gpu_pause_margin_c)
        return hr__ranges_say(
            why, cap, "gpu_resume_margin_c: must not be below gpu_pause_margin_c %g (got %g)",
            c->gpu_pause_margin_c, c->gpu_resume_margin_c);
    if (c->gpu_pause_temp_c > 0 &&
        !(c->gpu_resume_temp_c > 0 && c->gpu_resume_temp_c <= c->gpu_pause_temp_c))
        return hr__ranges_say(why, cap,
                              "gpu_resume_temp_c: must be in (0, gpu_pause_temp_c %g] (got %g)",
                              c->gpu_pause_temp_c, c->gpu_resume_temp_c);
    if (c->cpu_resume_margin_c < c->cpu_pause_margin_c)
        return hr__ranges_say(
            why, cap, "cpu_resume_margin_c: must not be below cpu_pause_margin_c %g (got %g)",
            c->cpu_pause_margin_c, c->cpu_resume_margin_c);
    if (c->pressure_resume >= c->pressure_pause)
        return hr__ranges_say(why, cap, "pressure_resume: must be below pressure_pause %d (got %d)",
                              (int)c->pressure_pause, (int)c->pressure_resume);
    return HR_OK;
}

hr_status hr_govern_config_validate(const hr_govern_config *c, char *why, size_t cap) {
    if (why && cap)
        why[0] = '\0';
    if (!c)
        return hr__ranges_say(why, cap, "config: NULL");
    hr_govern_config full;
    if (hr__govern_config_load(&full, c, why, cap) != HR_OK)
        return HR_EINVAL;
    if (hr__ranges_check(&full, rules, sizeof rules / sizeof rules[0], why, cap) != HR_OK)
        return HR_EINVAL;
    return check_relations(&full, why, cap);
}

static const char *const policy_names[HR_POLICY_COUNT] = {"auto", "timing", "batch", "sensor",
                                                          "off"};

const char *hr_govern_policy_name(int policy) {
    if (policy < 0 || policy >= HR_POLICY_COUNT)
        return "unknown";
    return policy_names[policy];
}

hr_status hr_govern_policy_from_name(const char *name, hr_govern_policy *out) {
    if (!name || !out)
        return HR_EINVAL;
    for (int i = 0; i < HR_POLICY_COUNT; i++) {
        if (strcmp(name, policy_names[i]) == 0) {
            *out = (hr_govern_policy)i;
            return HR_OK;
        }
    }
    return HR_EINVAL;
}

const char *hr_govern_reason_name(int reason) {
    switch (reason) {
#define HR__GREASON_CASE(name, num, id)                                                            \
    case num: return id;
        HR_GOVERN_REASON_MAP(HR__GREASON_CASE)
#undef HR__GREASON_CASE
    default: return "unknown";
    }
}

const char *hr_govern_action_name(int action) {
    switch (action) {
    case HR_GOVERN_CONTINUE: return "continue";
    case HR_GOVERN_PAUSE: return "pause";
    case HR_GOVERN_RESUME: return "resume";
    case HR_GOVERN_WARN: return "warn";
    default: return "unknown";
    }
}

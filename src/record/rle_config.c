/* rle_config.c: hr_rle_config defaults and validation.
 *
 * Defaults follow the seed's code where it had one (docs/seed-behaviour.md 5;
 * docs/RLE.md cites each), with windows in seconds instead of sample counts.
 * Validation is a table: every field with its allowed range, so that no field
 * can be forgotten. */
#include <stdio.h>
#include <string.h>

#include "core/util/ranges.h"
#include "record/rle_internal.h"

void hr_rle_config_defaults(hr_rle_config *c) {
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->stability_window_s = 10.0; /* hardware_monitor.py: last 10 samples at 1 Hz */
    c->smooth_window_s = 5.0;     /* smooth_n = 5 at 1 Hz */
    c->slope_window_s = 30.0;     /* ours: long enough to see 1 degree steps at 0.05 C/s */
    c->min_samples = 3;
    c->t_sustain_min_s = 1.0; /* the seed's clamp */
    c->t_sustain_max_s = 600.0;
    c->slope_floor_c_per_s = 1e-3; /* the seed's denominator floor */
    c->a_load_floor = 1e-3;        /* the seed's max(a_load, 1e-3) */
    c->power_limit_w = 0.0;
    c->temp_limit_c = 0.0;
    c->norm_baseline = HR_RLE_NORM_CPU_BASELINE;
    c->norm_optimum = HR_RLE_NORM_CPU_OPTIMUM;
    c->norm_peak_util_pct = HR_RLE_NORM_CPU_PEAK_UTIL_PCT;
    c->warmup_s = 60.0;           /* hardware_monitor.py warm-up */
    c->peak_decay_per_s = 0.998;  /* 0.998 per sample at 1 Hz */
    c->drop_frac = 0.65;          /* hard-coded in the seed (its CLI claimed 0.70) */
    c->sustain_s = 7.0;           /* 7 consecutive samples at 1 Hz (CLI claimed 5) */
    c->recover_s = 5.0;           /* ours: the seed had no hysteresis */
    c->load_gate_util_pct = 60.0; /* hard-coded (CLI claimed 50) */
    c->load_gate_a_load = 0.75;   /* hard-coded (CLI claimed 0.60) */
    c->heat_window_s = 20.0;      /* ours: the seed compared two samples */
    c->heat_c_per_s = 0.05;       /* 0.05 C per sample at 1 Hz */
    c->require_evidence = 1;
    c->evidence_thermal_pressure = HR_THERMAL_MODERATE;
    c->evidence_t_sustain_s = 60.0;
    c->evidence_temp_margin_c = 5.0;
    c->evidence_a_load = 0.95;
    c->evidence_throttle_thermal = HR_THROTTLE_THERMAL_MASK;
    c->evidence_throttle_power = HR_THROTTLE_POWER_MASK;
    c->alert_a_load = 1.10;
}

hr_status hr__rle_config_load(hr_rle_config *dst, const hr_rle_config *src, char *why, size_t cap) {
    hr_rle_config_defaults(dst);
    if (!src)
        return HR_OK;
    if (src->size < sizeof src->size || src->size > sizeof *src) {
        if (why && cap)
            snprintf(why, cap, "size: must be between %zu and %zu (got %zu)", sizeof src->size,
                     sizeof *src, src->size);
        return HR_EINVAL;
    }
    memcpy(dst, src, src->size);
    dst->size = sizeof *dst;
    return HR_OK;
}

#define RULE(f, t, lo, hi, lo_open, hi_open)                                                       \
    HR__RANGE(hr_rle_config, f, t, lo, hi, lo_open, hi_open)
#define F_DOUBLE HR__RANGE_DOUBLE
#define F_U32 HR__RANGE_U32
#define F_I32 HR__RANGE_I32

static const hr__range_rule rules[] = {
    RULE(stability_window_s, F_DOUBLE, 0, 3600, 1, 0),
    RULE(smooth_window_s, F_DOUBLE, 0, 3600, 1, 0),
    RULE(slope_window_s, F_DOUBLE, 0, 3600, 1, 0),
    RULE(min_samples, F_U32, 2, 1000000, 0, 0),
    RULE(t_sustain_min_s, F_DOUBLE, 1, 600, 0, 0),
    RULE(t_sustain_max_s, F_DOUBLE, 1, 600, 0, 0),
    RULE(slope_floor_c_per_s, F_DOUBLE, 0, 100, 1, 0),
    RULE(a_load_floor, F_DOUBLE, 0, 1, 1, 0),
    RULE(power_limit_w, F_DOUBLE, 0, 1e6, 0, 0),
    RULE(temp_limit_c, F_DOUBLE, 0, 500, 0, 0),
    RULE(norm_baseline, F_DOUBLE, 0, 1e6, 1, 0),
    RULE(norm_optimum, F_DOUBLE, 0, 1e6, 1, 0),
    RULE(norm_peak_util_pct, F_DOUBLE, 0, 100, 1, 1),
    RULE(warmup_s, F_DOUBLE, 0, 86400, 0, 0),
    RULE(peak_decay_per_s, F_DOUBLE, 0, 1, 1, 0),
    RULE(drop_frac, F_DOUBLE, 0, 1, 1, 1),
    RULE(sustain_s, F_DOUBLE, 0, 3600, 0, 0),
    RULE(recover_s, F_DOUBLE, 0, 3600, 0, 0),
    RULE(load_gate_util_pct, F_DOUBLE, 0, 100, 0, 0),
    RULE(load_gate_a_load, F_DOUBLE, 0, 100, 0, 0),
    RULE(heat_window_s, F_DOUBLE, 0, 3600, 1, 0),
    RULE(heat_c_per_s, F_DOUBLE, -100, 100, 0, 0),
    RULE(require_evidence, F_I32, 0, 1, 0, 0),
    RULE(evidence_thermal_pressure, F_I32, 0, HR_THERMAL_SLEEPING + 1, 0, 0),
    RULE(evidence_t_sustain_s, F_DOUBLE, 0, 600, 0, 0),
    RULE(evidence_temp_margin_c, F_DOUBLE, 0, 500, 0, 0),
    RULE(evidence_a_load, F_DOUBLE, 0, 100, 0, 0),
    RULE(alert_a_load, F_DOUBLE, 0, 100, 1, 0),
};

/* Rules between fields. */
static hr_status check_relations(const hr_rle_config *c, char *why, size_t cap) {
    if (c->t_sustain_min_s > c->t_sustain_max_s)
        return hr__ranges_say(why, cap,
                              "t_sustain_min_s: must not exceed t_sustain_max_s %g (got %g)",
                              c->t_sustain_max_s, c->t_sustain_min_s);
    if (c->norm_optimum <= c->norm_baseline)
        return hr__ranges_say(why, cap, "norm_optimum: must exceed norm_baseline %g (got %g)",
                              c->norm_baseline, c->norm_optimum);
    return HR_OK;
}

hr_status hr_rle_config_validate(const hr_rle_config *c, char *why, size_t cap) {
    if (why && cap)
        why[0] = '\0';
    if (!c)
        return hr__ranges_say(why, cap, "config: NULL");
    hr_rle_config full;
    if (hr__rle_config_load(&full, c, why, cap) != HR_OK)
        return HR_EINVAL;
    if (hr__ranges_check(&full, rules, sizeof rules / sizeof rules[0], why, cap) != HR_OK)
        return HR_EINVAL;
    return check_relations(&full, why, cap);
}

/* rle_collapse.c: the gated collapse detector (seed 004's evidence-gated
 * version, with every threshold from hr_rle_config and windows in seconds).
 *
 * On each tick with a known RLE:
 *   peak      P <- max(rle_smoothed, P * peak_decay_per_s ^ dt)
 *   dropped   rle_smoothed < drop_frac * P
 *   under load  util > load_gate_util_pct or a_load > load_gate_a_load
 *   heating   temperature slope over heat_window_s > heat_c_per_s
 * An event opens once dropped, under load and heating have held together for
 * sustain_s after warmup_s, and (when require_evidence) there is thermal or
 * power evidence on that tick. It closes once "not dropped or not under load"
 * has held for recover_s; its end is when that began. A tick without RLE
 * restarts both runs; an open event stays open until known values close it. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "record/rle_internal.h"

static void update_peak(hr__rle_collapse *c, const hr_rle_config *cfg, int64_t t, double smoothed) {
    if (isnan(c->peak)) {
        c->peak = smoothed;
    } else {
        double dt_s = (double)(t - c->t_peak_ns) / 1e9;
        c->peak = fmax(smoothed, c->peak * pow(cfg->peak_decay_per_s, dt_s));
    }
    c->t_peak_ns = t;
}

static int thermal_evidence(const hr_rle_config *cfg, const hr_rle_sample *in,
                            const hr_rle_result *r) {
    if (r->t_sustain_s < cfg->evidence_t_sustain_s)
        return 1;
    if (r->temp_c > r->temp_limit_c - cfg->evidence_temp_margin_c)
        return 1;
    if (HR_IS_KNOWN(in->throttle_reasons) &&
        ((uint64_t)in->throttle_reasons.v & cfg->evidence_throttle_thermal))
        return 1;
    return HR_IS_KNOWN(in->thermal_pressure) &&
           in->thermal_pressure.v >= cfg->evidence_thermal_pressure;
}

static int power_evidence(const hr_rle_config *cfg, const hr_rle_sample *in,
                          const hr_rle_result *r) {
    if (r->a_load > cfg->evidence_a_load)
        return 1;
    return HR_IS_KNOWN(in->throttle_reasons) &&
           ((uint64_t)in->throttle_reasons.v & cfg->evidence_throttle_power);
}

/* Appends printf-style text to BUF at *LEN, never past CAP. */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...) {
    if (*len >= cap - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = (size_t)n < cap - *len ? *len + (size_t)n : cap - 1;
}

static void describe_start(const hr_rle_config *cfg, const hr_rle_sample *in, hr_rle_result *r,
                           double held_s) {
    char *b = r->evidence_text;
    size_t cap = sizeof r->evidence_text, n = 0;
    append(b, cap, &n, "rle_smoothed %.4f < %.2f x peak %.4f for %.1f s; ", r->rle_smoothed,
           cfg->drop_frac, r->rolling_peak, held_s);
    append(b, cap, &n, "load: util %.1f %%, a_load %.3f; heating %.3f C/s over %g s", r->util_pct,
           r->a_load, r->heat_c_per_s, cfg->heat_window_s);
    if (r->evidence & HR_RLE_EVIDENCE_THERMAL)
        append(b, cap, &n, "; thermal: t_sustain %.1f s, %.1f C of %.1f C", r->t_sustain_s,
               r->temp_c, r->temp_limit_c);
    if (r->evidence & HR_RLE_EVIDENCE_POWER)
        append(b, cap, &n, "; power: a_load %.3f", r->a_load);
    if (HR_IS_KNOWN(in->throttle_reasons) && in->throttle_reasons.v != 0)
        append(b, cap, &n, "; throttle 0x%" PRIx64, (uint64_t)in->throttle_reasons.v);
    if (!r->evidence)
        append(b, cap, &n, "; no evidence required");
}

static void describe_end(const hr_rle_config *cfg, hr_rle_result *r, double held_s) {
    char *b = r->evidence_text;
    size_t cap = sizeof r->evidence_text, n = 0;
    if (!r->under_load)
        append(b, cap, &n, "load ended: util %.1f %%, a_load %.3f", r->util_pct, r->a_load);
    else
        append(b, cap, &n, "recovered: rle_smoothed %.4f >= %.2f x peak %.4f", r->rle_smoothed,
               cfg->drop_frac, r->rolling_peak);
    append(b, cap, &n, " for %.1f s", held_s);
}

/* Not in an event: extends or restarts the run, and opens an event when the
 * run is long enough and the evidence is there. */
static void watch(hr__rle_collapse *c, const hr_rle_config *cfg, const hr__rle_tick *tk,
                  hr_rle_result *r) {
    int64_t warm_ns = tk->t_first_ns + hr__rle_ns(cfg->warmup_s);
    if (!(r->dropped && r->under_load && r->heating && tk->t_ns >= warm_ns)) {
        c->in_run = 0;
        return;
    }
    if (!c->in_run) {
        c->in_run = 1;
        c->run_start_ns = tk->t_prev_ns > warm_ns ? tk->t_prev_ns : warm_ns;
    }
    double held_s = (double)(tk->t_ns - c->run_start_ns) / 1e9;
    if (held_s < cfg->sustain_s || (cfg->require_evidence && !r->evidence))
        return;
    c->in_collapse = 1;
    c->in_run = 0;
    c->in_recover = 0;
    c->event_start_ns = c->run_start_ns;
    r->collapse_started = 1;
    describe_start(cfg, tk->in, r, held_s);
}

/* In an event: closes it once recovery has held for recover_s. */
static void recover(hr__rle_collapse *c, const hr_rle_config *cfg, const hr__rle_tick *tk,
                    hr_rle_result *r) {
    if (r->dropped && r->under_load) {
        c->in_recover = 0;
        return;
    }
    if (!c->in_recover) {
        c->in_recover = 1;
        c->recover_ns = tk->t_prev_ns;
    }
    double held_s = (double)(tk->t_ns - c->recover_ns) / 1e9;
    if (held_s < cfg->recover_s)
        return;
    c->in_collapse = 0;
    c->in_recover = 0;
    r->collapse_ended = 1;
    r->event_end_ns = c->recover_ns;
    describe_end(cfg, r, held_s);
}

void hr__rle_collapse_tick(hr__rle_collapse *c, const hr_rle_config *cfg, const hr__rle_tick *tk,
                           hr_rle_result *r) {
    update_peak(c, cfg, tk->t_ns, r->rle_smoothed);
    r->rolling_peak = c->peak;
    r->dropped = r->rle_smoothed < cfg->drop_frac * c->peak;
    r->under_load = r->util_pct > cfg->load_gate_util_pct || r->a_load > cfg->load_gate_a_load;
    r->heating = !isnan(r->heat_c_per_s) && r->heat_c_per_s > cfg->heat_c_per_s;
    r->evidence = (thermal_evidence(cfg, tk->in, r) ? HR_RLE_EVIDENCE_THERMAL : 0) |
                  (power_evidence(cfg, tk->in, r) ? HR_RLE_EVIDENCE_POWER : 0);
    int64_t start = c->event_start_ns;
    if (c->in_collapse)
        recover(c, cfg, tk, r);
    else
        watch(c, cfg, tk, r);
    r->in_collapse = c->in_collapse;
    if (c->in_collapse || r->collapse_ended)
        r->event_start_ns = r->collapse_ended ? start : c->event_start_ns;
}

void hr__rle_collapse_gap(hr__rle_collapse *c, hr_rle_result *r) {
    c->in_run = 0;
    c->in_recover = 0;
    r->rolling_peak = c->peak;
    r->in_collapse = c->in_collapse;
    if (c->in_collapse)
        r->event_start_ns = c->event_start_ns;
}

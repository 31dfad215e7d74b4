/* rle.c: the RLE efficiency index, one component, one sample at a time
 * (include/headroom/hr_rle.h; docs/RLE.md for the formula and its defaults).
 *
 * Each push appends the sample to a history, computes the terms from running
 * sums over time windows of that history (rle_window.c), and hands a known RLE to the collapse
 * detector (rle_collapse.c). Inputs that are missing or out of range give no RLE for the tick;
 * terms that can still be computed are reported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/rle_internal.h"

struct hr_rle {
    hr_rle_config cfg;
    hr__rle_hist hist;
    hr__rle_acc util;   /* utilisation over stability_window_s */
    hr__rle_acc slope;  /* temperature over slope_window_s */
    hr__rle_acc heat;   /* temperature over heat_window_s */
    hr__rle_acc smooth; /* rle over smooth_window_s */
    hr__rle_collapse det;
    int started;        /* 1 after the first accepted push */
    int64_t t_first_ns; /* time of the first push */
    int64_t t_last_ns;  /* time of the latest push */
    int64_t keep_ns;    /* the longest window: older entries are dropped */
};

hr_status hr_rle_new(const hr_rle_config *c, hr_rle **out) {
    if (!out)
        return HR_EINVAL;
    *out = NULL;
    hr_rle_config cfg;
    if (hr__rle_config_load(&cfg, c, NULL, 0) != HR_OK ||
        hr_rle_config_validate(&cfg, NULL, 0) != HR_OK)
        return HR_EINVAL;
    hr_rle *r = calloc(1, sizeof *r);
    if (!r)
        return HR_ENOMEM;
    r->cfg = cfg;
    double keep = fmax(fmax(cfg.stability_window_s, cfg.smooth_window_s),
                       fmax(cfg.slope_window_s, cfg.heat_window_s));
    r->keep_ns = hr__rle_ns(keep);
    hr__rle_acc_init(&r->util, HR__RLE_UTIL, HR__RLE_WEIGHTED, cfg.stability_window_s);
    hr__rle_acc_init(&r->slope, HR__RLE_TEMP, HR__RLE_FIT, cfg.slope_window_s);
    hr__rle_acc_init(&r->heat, HR__RLE_TEMP, HR__RLE_FIT, cfg.heat_window_s);
    hr__rle_acc_init(&r->smooth, HR__RLE_RLE, HR__RLE_WEIGHTED, cfg.smooth_window_s);
    r->det.peak = NAN;
    *out = r;
    return HR_OK;
}

void hr_rle_free(hr_rle *r) {
    if (!r)
        return;
    hr__rle_hist_free(&r->hist);
    free(r);
}

/* The first unknown input's reason, in the order the formula needs them;
 * HR_WHY_KNOWN when none. Out-of-range values are HR_WHY_UNREADABLE. */
static int32_t input_why(const hr_rle_sample *in, const hr_rle_config *cfg) {
    if (!HR_IS_KNOWN(in->util_ppm))
        return in->util_ppm.why;
    if (in->util_ppm.v < 0 || in->util_ppm.v > 1000000)
        return HR_WHY_UNREADABLE;
    if (!HR_IS_KNOWN(in->temp_mc))
        return in->temp_mc.why;
    if (in->temp_mc.v < -273150)
        return HR_WHY_UNREADABLE;
    if (cfg->temp_limit_c <= 0 && !HR_IS_KNOWN(in->temp_limit_mc))
        return in->temp_limit_mc.why;
    if (!HR_IS_KNOWN(in->power_mw))
        return in->power_mw.why;
    if (in->power_mw.v < 0)
        return HR_WHY_UNREADABLE;
    if (cfg->power_limit_w <= 0 && !HR_IS_KNOWN(in->power_limit_mw))
        return in->power_limit_mw.why;
    if (cfg->power_limit_w <= 0 && in->power_limit_mw.v <= 0)
        return HR_WHY_UNREADABLE;
    return HR_WHY_KNOWN;
}

/* The inputs in the result's units; NAN where unknown or out of range. */
static void fill_inputs(const hr_rle *r, const hr_rle_sample *in, hr_rle_result *out) {
    const hr_rle_config *cfg = &r->cfg;
    if (HR_IS_KNOWN(in->util_ppm) && in->util_ppm.v >= 0 && in->util_ppm.v <= 1000000)
        out->util_pct = (double)in->util_ppm.v / 1e4;
    if (HR_IS_KNOWN(in->temp_mc) && in->temp_mc.v >= -273150)
        out->temp_c = (double)in->temp_mc.v / 1e3;
    if (cfg->temp_limit_c > 0)
        out->temp_limit_c = cfg->temp_limit_c;
    else if (HR_IS_KNOWN(in->temp_limit_mc))
        out->temp_limit_c = (double)in->temp_limit_mc.v / 1e3;
    if (HR_IS_KNOWN(in->power_mw) && in->power_mw.v >= 0)
        out->power_w = (double)in->power_mw.v / 1e3;
    if (cfg->power_limit_w > 0)
        out->power_limit_w = cfg->power_limit_w;
    else if (HR_IS_KNOWN(in->power_limit_mw) && in->power_limit_mw.v > 0)
        out->power_limit_w = (double)in->power_limit_mw.v / 1e3;
}

static void result_init(hr_rle_result *out) {
    memset(out, 0, sizeof *out);
    double *d[] = {
        &out->rle,           &out->rle_smoothed, &out->rle_norm,      &out->e_th,
        &out->e_pw,          &out->stability,    &out->a_load,        &out->t_sustain_s,
        &out->dtemp_c_per_s, &out->heat_c_per_s, &out->util_pct,      &out->temp_c,
        &out->temp_limit_c,  &out->power_w,      &out->power_limit_w, &out->rolling_peak};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        *d[i] = NAN;
    out->why = HR_WHY_NEEDS_INTERVAL;
}

/* A window is filled when the history reaches back over all of it and holds
 * enough known values. */
static int window_filled(const hr_rle *r, int64_t t_ns, double w_s, size_t count) {
    return t_ns - r->t_first_ns >= hr__rle_ns(w_s) && count >= r->cfg.min_samples;
}

/* stability = 1 / (1 + spread), the spread being the time-weighted population
 * standard deviation of utilisation in percent (the seed's units). */
static void term_stability(const hr_rle *r, int64_t t, hr_rle_result *out) {
    hr__rle_wstat s = hr__rle_acc_wstat(&r->util, &r->hist, t);
    if (window_filled(r, t, r->cfg.stability_window_s, s.count))
        out->stability = 1.0 / (1.0 + sqrt(s.var));
}

/* Temperature slopes: the T_sustain window and the heating-gate window. The
 * fitted temperature at t, not the latest reading, feeds T_sustain, so a
 * 1-degree step in the readings moves it by a fraction of a degree. */
static void term_t_sustain(const hr_rle *r, int64_t t, hr_rle_result *out) {
    const hr_rle_config *cfg = &r->cfg;
    hr__rle_fit h = hr__rle_acc_fit(&r->heat, t);
    if (h.ok && window_filled(r, t, cfg->heat_window_s, h.count))
        out->heat_c_per_s = h.slope;
    hr__rle_fit f = hr__rle_acc_fit(&r->slope, t);
    if (!f.ok || !window_filled(r, t, cfg->slope_window_s, f.count))
        return;
    out->dtemp_c_per_s = f.slope;
    if (isnan(out->temp_limit_c))
        return;
    double margin = out->temp_limit_c - f.fit;
    double tau = margin / fmax(f.slope, cfg->slope_floor_c_per_s);
    if (margin <= 0 || tau < cfg->t_sustain_min_s)
        tau = cfg->t_sustain_min_s;
    out->t_sustain_s = fmin(tau, cfg->t_sustain_max_s);
}

/* The seed's expected-curve normalisation, clamped to [0, 1]. */
static double rle_norm(const hr_rle_config *cfg, double rle, double util_pct) {
    double b = cfg->norm_baseline, o = cfg->norm_optimum, p = cfg->norm_peak_util_pct;
    double expected = util_pct <= p ? b + (o - b) * util_pct / p
                                    : o - (o - 0.5 * b) * (util_pct - p) / (100.0 - p);
    return fmin(1.0, fmax(0.0, rle / expected));
}

static void term_alerts(const hr_rle_config *cfg, hr_rle_result *out) {
    if (!isnan(out->temp_c) && !isnan(out->temp_limit_c) && out->temp_c >= out->temp_limit_c)
        out->alerts |= HR_RLE_ALERT_TEMP_LIMIT;
    if (!isnan(out->a_load) && out->a_load > cfg->alert_a_load)
        out->alerts |= HR_RLE_ALERT_A_LOAD;
}

/* Computes every term it can; returns 1 when the RLE itself is known. */
static int compute_terms(hr_rle *r, const hr_rle_sample *in, hr_rle_result *out) {
    const hr_rle_config *cfg = &r->cfg;
    int64_t t = in->t_mono_ns;
    fill_inputs(r, in, out);
    if (!isnan(out->power_w) && !isnan(out->power_limit_w))
        out->a_load = out->power_w / out->power_limit_w;
    term_stability(r, t, out);
    term_t_sustain(r, t, out);
    term_alerts(cfg, out);
    int32_t why = input_why(in, cfg);
    if (why == HR_WHY_KNOWN && (isnan(out->stability) || isnan(out->t_sustain_s)))
        why = HR_WHY_NEEDS_INTERVAL;
    out->why = why;
    if (why != HR_WHY_KNOWN)
        return 0;
    out->e_th = out->stability / (1.0 + 1.0 / out->t_sustain_s);
    out->e_pw = (out->util_pct / 100.0) / fmax(out->a_load, cfg->a_load_floor);
    out->rle = out->e_th * out->e_pw;
    out->rle_norm = rle_norm(cfg, out->rle, out->util_pct);
    return 1;
}

static void smooth(hr_rle *r, int64_t t, hr_rle_result *out) {
    hr__rle_wstat s = hr__rle_acc_wstat(&r->smooth, &r->hist, t);
    /* The current tick always weighs (its interval is after the previous
     * push), except on the very first push, where its own value stands. */
    out->rle_smoothed = s.count > 0 ? s.mean : out->rle;
}

hr_status hr_rle_push(hr_rle *r, const hr_rle_sample *in, hr_rle_result *out) {
    if (!r || !in || !out)
        return HR_EINVAL;
    if (r->started && in->t_mono_ns <= r->t_last_ns)
        return HR_EINVAL;
    hr__rle_entry e = {in->t_mono_ns, r->started ? r->t_last_ns : in->t_mono_ns, NAN, NAN, NAN};
    hr_rle_result res;
    result_init(&res);
    fill_inputs(r, in, &res);
    e.util_pct = res.util_pct;
    e.temp_c = res.temp_c;
    if (hr__rle_hist_push(&r->hist, &e) != HR_OK)
        return HR_ENOMEM;
    if (!r->started)
        r->t_first_ns = in->t_mono_ns;
    r->started = 1;
    r->t_last_ns = in->t_mono_ns;
    int64_t t = in->t_mono_ns;
    hr__rle_acc *level[] = {&r->util, &r->slope, &r->heat};
    for (size_t i = 0; i < sizeof level / sizeof level[0]; i++) {
        hr__rle_acc_add(level[i], &r->hist);
        hr__rle_acc_slide(level[i], &r->hist, t);
    }
    int known = compute_terms(r, in, &res);
    hr__rle_hist_last(&r->hist)->rle = known ? res.rle : NAN;
    hr__rle_acc_add(&r->smooth, &r->hist);
    hr__rle_acc_slide(&r->smooth, &r->hist, t);
    if (known) {
        smooth(r, t, &res);
        hr__rle_tick tk = {t, e.t_prev_ns, r->t_first_ns, in};
        hr__rle_collapse_tick(&r->det, &r->cfg, &tk, &res);
    } else {
        hr__rle_collapse_gap(&r->det, &res);
    }
    /* Every window has slid past what the longest one no longer needs. */
    hr__rle_hist_trim(&r->hist, t - r->keep_ns);
    *out = res;
    return HR_OK;
}

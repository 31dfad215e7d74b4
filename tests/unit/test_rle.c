/* test_rle.c: the RLE formula on constructed traces: each term, the clamps,
 * the windows, 1 degree quantisation, irregular sampling, missing inputs and
 * config validation. The collapse detector has its own file. */
#include "harness/hr_test.h"

#include <math.h>

#include "core/internal.h"

#define NS 1000000000LL

/* A sample with every input known. */
static hr_rle_sample mk(double t_s, double util_pct, double power_w, double limit_w, double temp_c,
                        double temp_limit_c) {
    hr_rle_sample s;
    memset(&s, 0, sizeof s);
    s.t_mono_ns = (int64_t)llround(t_s * 1e9);
    s.util_ppm = hr__known((int64_t)llround(util_pct * 1e4));
    s.power_mw = hr__known((int64_t)llround(power_w * 1e3));
    s.power_limit_mw = hr__known((int64_t)llround(limit_w * 1e3));
    s.temp_mc = hr__known((int64_t)llround(temp_c * 1e3));
    s.temp_limit_mc = hr__known((int64_t)llround(temp_limit_c * 1e3));
    s.throttle_reasons = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    s.thermal_pressure = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    return s;
}

static hr_rle *mk_rle(const hr_rle_config *c) {
    hr_rle *r = NULL;
    assert_int_equal(hr_rle_new(c, &r), HR_OK);
    return r;
}

static hr_rle_result push(hr_rle *r, hr_rle_sample s) {
    hr_rle_result out;
    assert_int_equal(hr_rle_push(r, &s, &out), HR_OK);
    return out;
}

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a__ = (a), b__ = (b);                                                               \
        if (!(fabs(a__ - b__) <= (tol)))                                                           \
            fail_msg("%s = %.9g, expected %.9g (+-%g)", #a, a__, b__, (double)(tol));              \
    } while (0)

/* Steady 1 Hz trace: util, power, limit, flat temperature; returns the result at T_END. */
static hr_rle_result steady(hr_rle *r, double t_end, double util, double pw, double lim,
                            double temp, double tlim) {
    hr_rle_result out;
    memset(&out, 0, sizeof out);
    for (int t = 0; t <= (int)t_end; t++)
        out = push(r, mk(t, util, pw, lim, temp, tlim));
    return out;
}

/* --- the formula, term by term -------------------------------------------- */

static void test_rle_formula_steady_state(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o = steady(r, 40, 80.0, 100.0, 200.0, 60.0, 80.0);
    assert_int_equal(o.why, HR_WHY_KNOWN);
    assert_near(o.stability, 1.0, 1e-12);     /* no utilisation spread */
    assert_near(o.a_load, 0.5, 1e-12);        /* 100 W of 200 W */
    assert_near(o.dtemp_c_per_s, 0.0, 1e-12); /* flat */
    /* Flat: (80 - 60) / floor 1e-3 = 20000 s, clamped to 600. */
    assert_near(o.t_sustain_s, 600.0, 1e-9);
    double e_th = 1.0 / (1.0 + 1.0 / 600.0), e_pw = 0.8 / 0.5;
    assert_near(o.e_th, e_th, 1e-12);
    assert_near(o.e_pw, e_pw, 1e-12);
    assert_near(o.rle, e_th * e_pw, 1e-12);
    assert_near(o.rle_smoothed, o.rle, 1e-12);
    assert_near(o.util_pct, 80.0, 1e-12);
    assert_near(o.temp_c, 60.0, 1e-12);
    assert_near(o.power_w, 100.0, 1e-12);
    /* rle_norm: expected CPU curve at 80 % (above the 67 % peak). */
    double exp_ = 5.0 - (5.0 - 0.15) * (80.0 - 67.0) / 33.0;
    assert_near(o.rle_norm, fmin(1.0, o.rle / exp_), 1e-12);
    hr_rle_free(r);
}

static void test_rle_stability_from_utilisation_spread(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o;
    memset(&o, 0, sizeof o);
    /* 50 / 54 % alternating: population stdev 2 % -> stability 1/3 (the seed's units). */
    for (int t = 0; t <= 40; t++)
        o = push(r, mk(t, t % 2 ? 54.0 : 50.0, 100.0, 200.0, 60.0, 80.0));
    assert_int_equal(o.why, HR_WHY_KNOWN);
    assert_near(o.stability, 1.0 / 3.0, 1e-9);
    assert_near(o.e_th, (1.0 / 3.0) / (1.0 + 1.0 / o.t_sustain_s), 1e-12);
    hr_rle_free(r);
}

static void test_rle_stability_window_is_used(void **state) {
    (void)state;
    /* 50 % until t = 49, 54 % from t = 50; at t = 54, a 10 s window holds
     * five of each (stdev 2), a 4 s window only 54 % (stdev 0). */
    double expect[] = {1.0 / 3.0, 1.0};
    double window[] = {10.0, 4.0};
    for (int k = 0; k < 2; k++) {
        hr_rle_config c;
        hr_rle_config_defaults(&c);
        c.stability_window_s = window[k];
        hr_rle *r = mk_rle(&c);
        hr_rle_result o;
        memset(&o, 0, sizeof o);
        for (int t = 0; t <= 54; t++)
            o = push(r, mk(t, t < 50 ? 50.0 : 54.0, 100.0, 200.0, 60.0, 80.0));
        assert_near(o.stability, expect[k], 1e-9);
        hr_rle_free(r);
    }
}

static void test_rle_a_load_uses_limit_and_override(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o = steady(r, 40, 90.0, 150.0, 200.0, 60.0, 80.0);
    assert_near(o.a_load, 0.75, 1e-12);
    assert_near(o.power_limit_w, 200.0, 1e-12);
    assert_near(o.e_pw, 0.9 / 0.75, 1e-12);
    hr_rle_free(r);

    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.power_limit_w = 100.0; /* overrides the sample's 200 W */
    r = mk_rle(&c);
    o = steady(r, 40, 90.0, 150.0, 200.0, 60.0, 80.0);
    assert_near(o.a_load, 1.5, 1e-12);
    assert_near(o.power_limit_w, 100.0, 1e-12);
    assert_near(o.e_pw, 0.9 / 1.5, 1e-12);
    hr_rle_free(r);
}

static void test_rle_a_load_floor_is_used(void **state) {
    (void)state;
    double floors[] = {1e-3, 0.5};
    for (int k = 0; k < 2; k++) {
        hr_rle_config c;
        hr_rle_config_defaults(&c);
        c.a_load_floor = floors[k];
        hr_rle *r = mk_rle(&c);
        hr_rle_result o = steady(r, 40, 50.0, 0.0, 200.0, 60.0, 80.0); /* 0 W */
        assert_near(o.a_load, 0.0, 1e-12);
        assert_near(o.e_pw, 0.5 / floors[k], 1e-9);
        hr_rle_free(r);
    }
}

static void test_rle_t_sustain_from_slope(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o;
    memset(&o, 0, sizeof o);
    /* 0.1 C/s from 50 C, limit 90 C: at t = 100 the fit is 60 C, so
     * t_sustain = 30 / 0.1 = 300 s. */
    for (int t = 0; t <= 100; t++)
        o = push(r, mk(t, 80.0, 100.0, 200.0, 50.0 + 0.1 * t, 90.0));
    assert_near(o.dtemp_c_per_s, 0.1, 1e-9);
    assert_near(o.t_sustain_s, 300.0, 1e-6);
    hr_rle_free(r);
}

static void test_rle_t_sustain_clamps(void **state) {
    (void)state;
    /* Above the limit: the lower clamp. */
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o = steady(r, 40, 80.0, 100.0, 200.0, 95.0, 90.0);
    assert_near(o.t_sustain_s, 1.0, 1e-12);
    assert_true(o.alerts & HR_RLE_ALERT_TEMP_LIMIT);
    hr_rle_free(r);
    /* Configured clamps below 600 and above 1 are used. */
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.t_sustain_max_s = 300.0;
    c.t_sustain_min_s = 20.0;
    r = mk_rle(&c);
    o = steady(r, 40, 80.0, 100.0, 200.0, 60.0, 90.0); /* flat: would be 600 */
    assert_near(o.t_sustain_s, 300.0, 1e-12);
    hr_rle_free(r);
    r = mk_rle(&c);
    o = steady(r, 40, 80.0, 100.0, 200.0, 95.0, 90.0); /* over: would be 1 */
    assert_near(o.t_sustain_s, 20.0, 1e-12);
    assert_false(o.alerts & HR_RLE_ALERT_A_LOAD);
    hr_rle_free(r);
}

static void test_rle_slope_floor_is_used(void **state) {
    (void)state;
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.slope_floor_c_per_s = 0.1; /* flat, 20 C margin -> 200 s instead of 600 */
    hr_rle *r = mk_rle(&c);
    hr_rle_result o = steady(r, 40, 80.0, 100.0, 200.0, 60.0, 80.0);
    assert_near(o.t_sustain_s, 200.0, 1e-9);
    hr_rle_free(r);
}

static void test_rle_slope_window_is_used(void **state) {
    (void)state;
    /* Flat 60 C until t = 40, then +0.1 C/s. At t = 50 a 10 s window sees
     * the pure ramp; a 30 s window sees mostly flat. */
    double window[] = {10.0, 30.0};
    double slope[2];
    for (int k = 0; k < 2; k++) {
        hr_rle_config c;
        hr_rle_config_defaults(&c);
        c.slope_window_s = window[k];
        hr_rle *r = mk_rle(&c);
        hr_rle_result o;
        memset(&o, 0, sizeof o);
        for (int t = 0; t <= 50; t++)
            o = push(r, mk(t, 80.0, 100.0, 200.0, t <= 40 ? 60.0 : 60.0 + 0.1 * (t - 40), 90.0));
        slope[k] = o.dtemp_c_per_s;
        hr_rle_free(r);
    }
    assert_near(slope[0], 0.1, 1e-9);
    assert_true(slope[1] > 0.0 && slope[1] < 0.06);
}

static void test_rle_temp_limit_override(void **state) {
    (void)state;
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.temp_limit_c = 70.0;
    c.slope_floor_c_per_s = 0.1;
    hr_rle *r = mk_rle(&c);
    hr_rle_result o = steady(r, 40, 80.0, 100.0, 200.0, 60.0, 99.0); /* sample says 99 */
    assert_near(o.temp_limit_c, 70.0, 1e-12);
    assert_near(o.t_sustain_s, 100.0, 1e-9); /* (70 - 60) / 0.1 */
    hr_rle_free(r);
}

static void test_rle_smoothing_window_is_used(void **state) {
    (void)state;
    /* RLE halves at t = 40 (power 100 -> 200 W). At t = 41 a 5 s window
     * averages four old and one new value (time-weighted, 1 s each); a 1 s
     * window has only the new one. */
    double window[] = {5.0, 1.0};
    for (int k = 0; k < 2; k++) {
        hr_rle_config c;
        hr_rle_config_defaults(&c);
        c.smooth_window_s = window[k];
        hr_rle *r = mk_rle(&c);
        hr_rle_result o, before;
        memset(&before, 0, sizeof before);
        for (int t = 0; t <= 39; t++)
            before = push(r, mk(t, 80.0, 100.0, 400.0, 60.0, 80.0));
        push(r, mk(40, 80.0, 200.0, 400.0, 60.0, 80.0));
        o = push(r, mk(41, 80.0, 200.0, 400.0, 60.0, 80.0));
        double lo = before.rle / 2.0;
        if (k == 0)
            assert_near(o.rle_smoothed, (3.0 * before.rle + 2.0 * lo) / 5.0, 1e-9);
        else
            assert_near(o.rle_smoothed, lo, 1e-9);
        hr_rle_free(r);
    }
}

static void test_rle_norm_constants_are_used(void **state) {
    (void)state;
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.norm_baseline = HR_RLE_NORM_GPU_BASELINE;
    c.norm_optimum = HR_RLE_NORM_GPU_OPTIMUM;
    c.norm_peak_util_pct = HR_RLE_NORM_GPU_PEAK_UTIL_PCT;
    hr_rle *r = mk_rle(&c);
    hr_rle_result o = steady(r, 40, 30.0, 100.0, 200.0, 60.0, 80.0);
    double expected = 0.1 + (3.0 - 0.1) * 30.0 / 60.0;
    assert_near(o.rle_norm, fmin(1.0, o.rle / expected), 1e-12);
    assert_true(o.rle_norm < 1.0); /* 0.6 / 1.55: not saturated, so the curve matters */
    hr_rle_free(r);
}

static void test_rle_alert_a_load_threshold(void **state) {
    (void)state;
    double thr[] = {1.04, 1.05, 1.06}; /* a_load is 210 / 200 = 1.05 */
    int want[] = {1, 0, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c;
        hr_rle_config_defaults(&c);
        c.alert_a_load = thr[k];
        hr_rle *r = mk_rle(&c);
        hr_rle_result o = steady(r, 5, 80.0, 210.0, 200.0, 60.0, 80.0);
        assert_int_equal(!!(o.alerts & HR_RLE_ALERT_A_LOAD), want[k]);
        hr_rle_free(r);
    }
}

/* --- quantisation: why a slope over a window ----------------------------- */

/* The seed's T_sustain: two consecutive samples at the nominal tick. */
static double seed_t_sustain(double t_now, double t_prev, double limit) {
    double d = fmax((t_now - t_prev) / 1.0, 1e-3);
    return fmin(600.0, fmax(1.0, (limit - t_now) / d));
}

static void test_rle_t_sustain_survives_1c_quantisation(void **state) {
    (void)state;
    /* The true temperature rises 0.1 C/s from 50 C; the sensor reports whole
     * degrees (NVML). True t_sustain = (90 - T) / 0.1, from 370 s to 100 s. */
    hr_rle *r = mk_rle(NULL);
    double worst_ours = 0.0, sum_ours = 0.0, worst_seed = 0.0, seed_min = 600.0, seed_max = 0.0;
    int n = 0;
    double prev_q = 50.0;
    for (int t = 0; t <= 300; t++) {
        double truth = 50.0 + 0.1 * t, q = floor(truth);
        hr_rle_result o = push(r, mk(t, 80.0, 100.0, 200.0, q, 90.0));
        double tau = (90.0 - truth) / 0.1;
        double s = seed_t_sustain(q, prev_q, 90.0);
        prev_q = q;
        if (t < 30)
            continue;
        assert_int_equal(o.why, HR_WHY_KNOWN);
        worst_ours = fmax(worst_ours, fabs(o.t_sustain_s / tau - 1.0));
        sum_ours += fabs(o.t_sustain_s / tau - 1.0);
        n++;
        worst_seed = fmax(worst_seed, fabs(s / tau - 1.0));
        seed_min = fmin(seed_min, s);
        seed_max = fmax(seed_max, s);
    }
    /* The two-sample estimate swings between ~10 s (on a 1 C step) and the
     * 600 s clamp (no step), several times the truth either way. */
    assert_true(worst_seed > 2.0);
    assert_true(seed_max / seed_min > 10.0);
    /* The regression stays within 25 % of the truth throughout and within
     * 10 % on average: a 30 s window holds three 1 C steps, which bounds the
     * slope error to about 11 %, and truncation biases the fit by -0.5 C. */
    if (worst_ours > 0.25 || sum_ours / n > 0.10)
        fail_msg("regression t_sustain off by %.1f %% (mean %.1f %%)", worst_ours * 100.0,
                 sum_ours / n * 100.0);
    hr_rle_free(r);
}

/* --- windows filling, irregular sampling, time --------------------------- */

static void test_rle_needs_interval_while_windows_fill(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    for (int t = 0; t < 30; t++) {
        hr_rle_result o = push(r, mk(t, 80.0, 100.0, 200.0, 60.0, 80.0));
        assert_int_equal(o.why, HR_WHY_NEEDS_INTERVAL);
        assert_true(isnan(o.rle) && isnan(o.rle_smoothed) && isnan(o.rle_norm));
        assert_near(o.a_load, 0.5, 1e-12); /* instantaneous terms are there */
        if (t >= 10)
            assert_near(o.stability, 1.0, 1e-12); /* 10 s window full */
        else
            assert_true(isnan(o.stability));
    }
    hr_rle_result o = push(r, mk(30, 80.0, 100.0, 200.0, 60.0, 80.0)); /* 30 s slope window */
    assert_int_equal(o.why, HR_WHY_KNOWN);
    hr_rle_free(r);
}

static void test_rle_min_samples_is_used(void **state) {
    (void)state;
    /* At 1 Hz a 10 s window never holds more than 10 samples. */
    uint32_t min[] = {10, 11};
    int want[] = {HR_WHY_KNOWN, HR_WHY_NEEDS_INTERVAL};
    for (int k = 0; k < 2; k++) {
        hr_rle_config c;
        hr_rle_config_defaults(&c);
        c.min_samples = min[k];
        hr_rle *r = mk_rle(&c);
        hr_rle_result o = steady(r, 60, 80.0, 100.0, 200.0, 60.0, 80.0);
        assert_int_equal(o.why, want[k]);
        hr_rle_free(r);
    }
}

static void test_rle_irregular_sampling_matches_regular(void **state) {
    (void)state;
    /* The same signals sampled every second and at jittered 0.2..2.3 s
     * intervals: a temperature ramp and a utilisation square wave of period
     * 4 s whose interval averages are exact in both cases. */
    hr_rle *reg = mk_rle(NULL), *irr = mk_rle(NULL);
    hr_rle_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    for (int t = 0; t <= 120; t++)
        a = push(reg, mk(t, 70.0, 120.0, 200.0, 50.0 + 0.05 * t, 90.0));
    double t = 0.0;
    unsigned seed = 12345;
    while (t < 120.0) {
        b = push(irr, mk(t, 70.0, 120.0, 200.0, 50.0 + 0.05 * t, 90.0));
        seed = seed * 1103515245u + 12345u;
        t += 0.2 + (double)(seed >> 16 & 0x7fff) / 32767.0 * 2.1;
    }
    b = push(irr, mk(120.0, 70.0, 120.0, 200.0, 50.0 + 0.05 * 120.0, 90.0));
    assert_int_equal(b.why, HR_WHY_KNOWN);
    assert_near(b.dtemp_c_per_s, 0.05, 1e-4); /* temperatures are whole mC */
    assert_near(b.t_sustain_s, a.t_sustain_s, 0.01);
    assert_near(b.rle, a.rle, 1e-6);
    hr_rle_free(reg);
    hr_rle_free(irr);
}

static void test_rle_irregular_utilisation_is_time_weighted(void **state) {
    (void)state;
    /* In a 10 s window: 9 s at 40 % (one sample covering 9 s) and 1 s at
     * 100 % (one sample covering 1 s). Time-weighted mean 46, variance
     * 0.9 * 36 + 0.1 * 2916 = 324 -> stdev 18; per-sample stdev would be 30. */
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.min_samples = 2;
    hr_rle *r = mk_rle(&c);
    push(r, mk(0, 40.0, 100.0, 200.0, 60.0, 80.0));
    push(r, mk(1, 40.0, 100.0, 200.0, 60.0, 80.0));
    push(r, mk(10, 40.0, 100.0, 200.0, 60.0, 80.0));
    hr_rle_result o = push(r, mk(11, 100.0, 100.0, 200.0, 60.0, 80.0));
    assert_near(o.stability, 1.0 / 19.0, 1e-9);
    hr_rle_free(r);
}

static void test_rle_time_must_increase(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o;
    hr_rle_sample s = mk(5, 80.0, 100.0, 200.0, 60.0, 80.0);
    assert_int_equal(hr_rle_push(r, &s, &o), HR_OK);
    assert_int_equal(hr_rle_push(r, &s, &o), HR_EINVAL); /* repeated */
    s.t_mono_ns -= NS;
    assert_int_equal(hr_rle_push(r, &s, &o), HR_EINVAL); /* backwards */
    /* Refused samples changed nothing: the windows fill from t = 5. */
    for (int t = 6; t < 35; t++)
        assert_int_equal(push(r, mk(t, 80.0, 100.0, 200.0, 60.0, 80.0)).why, HR_WHY_NEEDS_INTERVAL);
    assert_int_equal(push(r, mk(35, 80.0, 100.0, 200.0, 60.0, 80.0)).why, HR_WHY_KNOWN);
    assert_int_equal(hr_rle_push(NULL, &s, &o), HR_EINVAL);
    assert_int_equal(hr_rle_push(r, NULL, &o), HR_EINVAL);
    assert_int_equal(hr_rle_push(r, &s, NULL), HR_EINVAL);
    hr_rle_free(r);
    hr_rle_free(NULL);
}

static void test_rle_long_run_keeps_bounded_history(void **state) {
    (void)state;
    /* 100 Hz for 10 minutes: the history is trimmed to the longest window,
     * and the values stay right. */
    hr_rle *r = mk_rle(NULL);
    hr_rle_result o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i <= 60000; i++)
        o = push(r, mk(i / 100.0, 80.0, 100.0, 200.0, 60.0, 80.0));
    assert_int_equal(o.why, HR_WHY_KNOWN);
    assert_near(o.stability, 1.0, 1e-12);
    assert_near(o.t_sustain_s, 600.0, 1e-9);
    hr_rle_free(r);
}

/* --- missing inputs ------------------------------------------------------- */

static void test_rle_missing_inputs_mean_no_rle(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    steady(r, 40, 80.0, 100.0, 200.0, 60.0, 80.0);
    struct {
        size_t off;
        int why;
    } cases[] = {
        {offsetof(hr_rle_sample, util_ppm), HR_WHY_NEEDS_INTERVAL},
        {offsetof(hr_rle_sample, temp_mc), HR_WHY_VANISHED},
        {offsetof(hr_rle_sample, temp_limit_mc), HR_WHY_NOT_SUPPORTED},
        {offsetof(hr_rle_sample, power_mw), HR_WHY_NO_PERMISSION},
        {offsetof(hr_rle_sample, power_limit_mw), HR_WHY_DRIVER_ERROR},
    };
    int t = 41;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++, t++) {
        hr_rle_sample s = mk(t, 80.0, 100.0, 200.0, 60.0, 80.0);
        hr_reading *rd = (hr_reading *)((char *)&s + cases[i].off);
        *rd = hr__unknown((hr_why)cases[i].why, 5);
        hr_rle_result o = push(r, s);
        assert_int_equal(o.why, cases[i].why);
        assert_true(isnan(o.rle) && isnan(o.rle_smoothed) && isnan(o.e_th) && isnan(o.e_pw));
        assert_true(isnan(o.rle_norm));
    }
    /* Back to known: RLE again (history was kept). */
    assert_int_equal(push(r, mk(t, 80.0, 100.0, 200.0, 60.0, 80.0)).why, HR_WHY_KNOWN);
    hr_rle_free(r);
}

static void test_rle_out_of_range_inputs_are_unreadable(void **state) {
    (void)state;
    hr_rle *r = mk_rle(NULL);
    steady(r, 40, 80.0, 100.0, 200.0, 60.0, 80.0);
    hr_rle_sample s = mk(41, 80.0, 100.0, 200.0, 60.0, 80.0);
    s.util_ppm = hr__known(1000001);
    assert_int_equal(push(r, s).why, HR_WHY_UNREADABLE);
    s = mk(42, 80.0, 100.0, 200.0, 60.0, 80.0);
    s.power_mw = hr__known(-5);
    assert_int_equal(push(r, s).why, HR_WHY_UNREADABLE);
    s = mk(43, 80.0, 100.0, 200.0, 60.0, 80.0);
    s.power_limit_mw = hr__known(0);
    hr_rle_result o = push(r, s);
    assert_int_equal(o.why, HR_WHY_UNREADABLE);
    assert_true(isnan(o.a_load)); /* never power / 0 */
    s = mk(44, 80.0, 100.0, 200.0, 60.0, 80.0);
    s.temp_mc = hr__known(-300000);
    assert_int_equal(push(r, s).why, HR_WHY_UNREADABLE);
    hr_rle_free(r);
}

static void test_rle_override_makes_missing_limit_fine(void **state) {
    (void)state;
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.power_limit_w = 125.0;
    c.temp_limit_c = 85.0;
    hr_rle *r = mk_rle(&c);
    hr_rle_result o;
    memset(&o, 0, sizeof o);
    for (int t = 0; t <= 40; t++) {
        hr_rle_sample s = mk(t, 80.0, 100.0, 200.0, 60.0, 80.0);
        s.power_limit_mw = hr__unknown(HR_WHY_ABSENT, 0);
        s.temp_limit_mc = hr__unknown(HR_WHY_ABSENT, 0);
        o = push(r, s);
    }
    assert_int_equal(o.why, HR_WHY_KNOWN);
    assert_near(o.a_load, 0.8, 1e-12);
    hr_rle_free(r);
}

/* --- configuration -------------------------------------------------------- */

static void test_rle_config_defaults_validate(void **state) {
    (void)state;
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    char why[160] = "x";
    assert_int_equal(hr_rle_config_validate(&c, why, sizeof why), HR_OK);
    assert_string_equal(why, "");
    assert_int_equal(c.size, sizeof c);
    assert_near(c.drop_frac, 0.65, 0);
    assert_near(c.sustain_s, 7.0, 0);
    assert_near(c.peak_decay_per_s, 0.998, 0);
}

static void test_rle_config_rejects_each_bad_field(void **state) {
    (void)state;
    /* Each field set out of range in turn; the message names the field. */
    hr_rle_config c;
    char why[160];
#define CHECK_BAD(field, value)                                                                    \
    do {                                                                                           \
        hr_rle_config_defaults(&c);                                                                \
        c.field = value;                                                                           \
        assert_int_equal(hr_rle_config_validate(&c, why, sizeof why), HR_EINVAL);                  \
        if (strncmp(why, #field ":", strlen(#field ":")) != 0)                                     \
            fail_msg("%s = %s: message \"%s\"", #field, #value, why);                              \
        hr_rle *r__ = (hr_rle *)&c;                                                                \
        assert_int_equal(hr_rle_new(&c, &r__), HR_EINVAL);                                         \
        assert_null(r__);                                                                          \
    } while (0)
    CHECK_BAD(stability_window_s, 0.0);
    CHECK_BAD(smooth_window_s, -1.0);
    CHECK_BAD(slope_window_s, NAN);
    CHECK_BAD(min_samples, 1);
    CHECK_BAD(t_sustain_min_s, 0.5);
    CHECK_BAD(t_sustain_max_s, 601.0);
    CHECK_BAD(t_sustain_min_s, 700.0);
    CHECK_BAD(slope_floor_c_per_s, 0.0);
    CHECK_BAD(a_load_floor, 0.0);
    CHECK_BAD(power_limit_w, -1.0);
    CHECK_BAD(temp_limit_c, INFINITY);
    CHECK_BAD(norm_baseline, 0.0);
    CHECK_BAD(norm_optimum, 0.1); /* below the baseline */
    CHECK_BAD(norm_peak_util_pct, 100.0);
    CHECK_BAD(warmup_s, -1.0);
    CHECK_BAD(peak_decay_per_s, 1.5);
    CHECK_BAD(peak_decay_per_s, 0.0);
    CHECK_BAD(drop_frac, 1.0);
    CHECK_BAD(drop_frac, 1.5);
    CHECK_BAD(sustain_s, -1.0);
    CHECK_BAD(recover_s, 1e9);
    CHECK_BAD(load_gate_util_pct, 101.0);
    CHECK_BAD(load_gate_a_load, -0.1);
    CHECK_BAD(heat_window_s, 0.0);
    CHECK_BAD(heat_c_per_s, NAN);
    CHECK_BAD(require_evidence, 2);
    CHECK_BAD(evidence_thermal_pressure, -1);
    CHECK_BAD(evidence_t_sustain_s, 601.0);
    CHECK_BAD(evidence_temp_margin_c, -1.0);
    CHECK_BAD(evidence_a_load, NAN);
    CHECK_BAD(alert_a_load, 0.0);
#undef CHECK_BAD
    hr_rle_config_defaults(&c);
    c.drop_frac = 1.5;
    assert_int_equal(hr_rle_config_validate(&c, why, sizeof why), HR_EINVAL);
    assert_string_equal(why, "drop_frac: must be in (0, 1) (got 1.5)");
    assert_int_equal(hr_rle_config_validate(&c, NULL, 0), HR_EINVAL);
    assert_int_equal(hr_rle_config_validate(NULL, why, sizeof why), HR_EINVAL);
}

static void test_rle_config_size_versions(void **state) {
    (void)state;
    hr_rle_config c;
    char why[160];
    hr_rle_config_defaults(&c);
    c.size = sizeof c + 8; /* a newer caller than this library */
    assert_int_equal(hr_rle_config_validate(&c, why, sizeof why), HR_EINVAL);
    assert_non_null(strstr(why, "size"));
    c.size = 0;
    assert_int_equal(hr_rle_config_validate(&c, why, sizeof why), HR_EINVAL);
    /* An older caller: fields past its size take the defaults, even if the
     * bytes there are garbage. */
    memset(&c, 0xff, sizeof c);
    c.size = offsetof(hr_rle_config, slope_window_s);
    c.stability_window_s = 4.0;
    c.smooth_window_s = 2.0;
    assert_int_equal(hr_rle_config_validate(&c, why, sizeof why), HR_OK);
    hr_rle *r = NULL;
    assert_int_equal(hr_rle_new(&c, &r), HR_OK);
    hr_rle_result o = steady(r, 40, 80.0, 100.0, 200.0, 60.0, 80.0);
    assert_int_equal(o.why, HR_WHY_KNOWN);
    hr_rle_free(r);
    assert_int_equal(hr_rle_new(NULL, NULL), HR_EINVAL);
    hr_rle_config_defaults(NULL); /* harmless */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_formula_steady_state),
        cmocka_unit_test(test_rle_stability_from_utilisation_spread),
        cmocka_unit_test(test_rle_stability_window_is_used),
        cmocka_unit_test(test_rle_a_load_uses_limit_and_override),
        cmocka_unit_test(test_rle_a_load_floor_is_used),
        cmocka_unit_test(test_rle_t_sustain_from_slope),
        cmocka_unit_test(test_rle_t_sustain_clamps),
        cmocka_unit_test(test_rle_slope_floor_is_used),
        cmocka_unit_test(test_rle_slope_window_is_used),
        cmocka_unit_test(test_rle_temp_limit_override),
        cmocka_unit_test(test_rle_smoothing_window_is_used),
        cmocka_unit_test(test_rle_norm_constants_are_used),
        cmocka_unit_test(test_rle_alert_a_load_threshold),
        cmocka_unit_test(test_rle_t_sustain_survives_1c_quantisation),
        cmocka_unit_test(test_rle_needs_interval_while_windows_fill),
        cmocka_unit_test(test_rle_min_samples_is_used),
        cmocka_unit_test(test_rle_irregular_sampling_matches_regular),
        cmocka_unit_test(test_rle_irregular_utilisation_is_time_weighted),
        cmocka_unit_test(test_rle_time_must_increase),
        cmocka_unit_test(test_rle_long_run_keeps_bounded_history),
        cmocka_unit_test(test_rle_missing_inputs_mean_no_rle),
        cmocka_unit_test(test_rle_out_of_range_inputs_are_unreadable),
        cmocka_unit_test(test_rle_override_makes_missing_limit_fine),
        cmocka_unit_test(test_rle_config_defaults_validate),
        cmocka_unit_test(test_rle_config_rejects_each_bad_field),
        cmocka_unit_test(test_rle_config_size_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

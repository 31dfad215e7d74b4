/* test_govern.c: the governor's timing and batch rules, breaks, statistics
 * and configuration, on hand-built step sequences with hand-computed
 * expectations. Sensor rules: test_govern_sensor.c; the simulator:
 * test_govern_sim.c. */
#include "harness/hr_test.h"

#include <math.h>

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a__ = (a), b__ = (b);                                                               \
        if (!(fabs(a__ - b__) <= (tol)))                                                           \
            fail_msg("%s = %.9g, expected %.9g (tol %g)", #a, a__, b__, (double)(tol));            \
    } while (0)

static int64_t ns(double t_s) {
    return (int64_t)llround(t_s * 1e9);
}

/* A config for POLICY with a given baseline (0: learned); evidence from one
 * step, a window of one, no rest scaling: each step is judged alone. */
static hr_govern_config single(int policy, double baseline) {
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = policy;
    c.baseline_s_per_unit = baseline;
    c.window = 1;
    c.min_evidence_units = 1;
    c.critical_evidence_units = 1;
    c.rest_ratio = 0;
    return c;
}

static hr_governor *mk(const hr_govern_config *c) {
    hr_governor *g = NULL;
    assert_int_equal(hr_govern_new(c, &g), HR_OK);
    assert_non_null(g);
    return g;
}

/* Feeds a step of D seconds and U units ending at *t + D. */
static hr_govern_decision step(hr_governor *g, double *t, double d, double u) {
    hr_govern_decision out;
    *t += d;
    assert_int_equal(hr_govern_step(g, ns(*t), d, u, &out), HR_OK);
    return out;
}

static hr_govern_decision tick(hr_governor *g, double t) {
    hr_govern_decision out;
    assert_int_equal(hr_govern_tick(g, ns(t), &out), HR_OK);
    return out;
}

static hr_govern_stats stats(const hr_governor *g) {
    hr_govern_stats s;
    assert_int_equal(hr_govern_stats_get(g, &s), HR_OK);
    return s;
}

/* Ends the break on with a tick at its planned end; returns that time. */
static double finish_break(hr_governor *g) {
    hr_govern_stats s = stats(g);
    assert_int_equal(s.paused, 1);
    double end = (double)s.break_until_ns / 1e9;
    hr_govern_decision d = tick(g, end);
    assert_int_equal(d.action, HR_GOVERN_RESUME);
    return end;
}

static void test_govern_config_defaults_validate(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    char why[160];
    assert_int_equal(hr_govern_config_validate(&c, why, sizeof why), HR_OK);
    assert_string_equal(why, "");
    assert_int_equal(c.policy, HR_POLICY_AUTO);
    assert_near(c.threshold, 1.5, 0);
    assert_near(c.critical, 3.0, 0);
    assert_int_equal(c.batch_size, 10);
    assert_near(c.batch_break_s, 60, 0);
    assert_int_equal(c.pressure_pause, HR_THERMAL_HEAVY);
    assert_int_equal(c.pressure_resume, HR_THERMAL_NOMINAL);
    assert_int_equal(c.thermal_reasons_mask, HR_THROTTLE_HW_THERMAL);
}

/* One invalid change per case; returns the field the message must name. */
static const char *break_config(int i, hr_govern_config *c) {
    switch (i) {
    case 0: c->threshold = 1.0; return "threshold";
    case 1: c->threshold = NAN; return "threshold";
    case 2: c->critical = 1.4; return "critical";
    case 3: c->break_s = 0; return "break_s";
    case 4: c->break_s = 400; return "break_s";
    case 5: c->critical_break_s = 301; return "critical_break_s";
    case 6: c->batch_break_s = 301; return "batch_break_s";
    case 7: c->policy = HR_POLICY_COUNT; return "policy";
    case 8: c->policy = -1; return "policy";
    case 9: c->window = 0; return "window";
    case 10: c->window = 65; return "window";
    case 11: c->learn_steps = 0; return "learn_steps";
    case 12: c->learn_quantile = 1.5; return "learn_quantile";
    case 13: c->baseline_s_per_unit = -1; return "baseline_s_per_unit";
    case 14: c->break_growth = 0.5; return "break_growth";
    case 15: c->gpu_resume_margin_c = 2; return "gpu_resume_margin_c";
    case 16: c->cpu_resume_margin_c = 4; return "cpu_resume_margin_c";
    case 17: c->gpu_pause_temp_c = 85; return "gpu_resume_temp_c";
    case 18: c->pressure_resume = HR_THERMAL_HEAVY; return "pressure_resume";
    case 19: c->pressure_pause = HR_THERMAL_NOMINAL; return "pressure_pause";
    case 20: c->min_break_s = 301; return "min_break_s";
    case 21: c->stale_s = 0; return "stale_s";
    case 22: c->relearn_fast_ratio = 1.0; return "relearn_fast_ratio";
    case 23: c->min_evidence_units = 0; return "min_evidence_units";
    case 24: c->plateau_c = 0; return "plateau_c";
    case 25: c->critical_evidence_units = 0; return "critical_evidence_units";
    case 26: c->critical_evidence_units = NAN; return "critical_evidence_units";
    default: return NULL;
    }
}

/* Each invalid field is refused, and the message names it. */
static void test_govern_config_rejects(void **state) {
    (void)state;
    for (int i = 0;; i++) {
        hr_govern_config c;
        hr_govern_config_defaults(&c);
        const char *name = break_config(i, &c);
        if (!name)
            break;
        char why[160] = "";
        assert_int_equal(hr_govern_config_validate(&c, why, sizeof why), HR_EINVAL);
        if (!strstr(why, name))
            fail_msg("case %d: \"%s\" does not name %s", i, why, name);
        hr_governor *g = (hr_governor *)&c; /* must be overwritten with NULL */
        assert_int_equal(hr_govern_new(&c, &g), HR_EINVAL);
        assert_null(g);
    }
    assert_int_equal(hr_govern_config_validate(NULL, NULL, 0), HR_EINVAL);
}

/* A caller built with an older, shorter struct gets defaults past its size. */
static void test_govern_config_size(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.threshold = 2.0;
    c.size = offsetof(hr_govern_config, critical);
    c.critical = 1.2; /* past the size: ignored, the default 3.0 applies */
    assert_int_equal(hr_govern_config_validate(&c, NULL, 0), HR_OK);
    hr_governor *g = mk(&c);
    hr_govern_free(g);
    /* A caller built before critical_evidence_units (0.1): its garbage
     * there is not read. */
    hr_govern_config_defaults(&c);
    c.size = offsetof(hr_govern_config, critical_evidence_units);
    c.critical_evidence_units = 0;
    assert_int_equal(hr_govern_config_validate(&c, NULL, 0), HR_OK);
    c.size = sizeof c;
    assert_int_equal(hr_govern_config_validate(&c, NULL, 0), HR_EINVAL);
    c.size = sizeof c + 8;
    char why[128];
    assert_int_equal(hr_govern_config_validate(&c, why, sizeof why), HR_EINVAL);
    assert_non_null(strstr(why, "size"));
    c.size = 2;
    assert_int_equal(hr_govern_config_validate(&c, NULL, 0), HR_EINVAL);
    assert_int_equal(hr_govern_new(NULL, NULL), HR_EINVAL);
    g = mk(NULL); /* NULL config: the defaults */
    assert_int_equal(stats(g).policy, HR_POLICY_AUTO);
    hr_govern_free(g);
    hr_govern_free(NULL);
}

static void test_govern_names(void **state) {
    (void)state;
    for (int p = 0; p < HR_POLICY_COUNT; p++) {
        hr_govern_policy back;
        assert_int_equal(hr_govern_policy_from_name(hr_govern_policy_name(p), &back), HR_OK);
        assert_int_equal(back, p);
    }
    hr_govern_policy back;
    assert_int_equal(hr_govern_policy_from_name("Auto", &back), HR_EINVAL);
    assert_int_equal(hr_govern_policy_from_name(NULL, &back), HR_EINVAL);
    assert_string_equal(hr_govern_policy_name(99), "unknown");
    assert_string_equal(hr_govern_reason_name(HR_GREASON_SLOWDOWN), "slowdown");
    assert_string_equal(hr_govern_reason_name(HR_GREASON_PLATEAU), "plateau");
    assert_string_equal(hr_govern_reason_name(HR_GREASON_LAST), "unknown");
    for (int r = 0; r < HR_GREASON_LAST; r++)
        assert_string_not_equal(hr_govern_reason_name(r), "unknown");
    assert_string_equal(hr_govern_action_name(HR_GOVERN_PAUSE), "pause");
    assert_string_equal(hr_govern_action_name(7), "unknown");
}

/* Bad inputs are refused and change nothing. */
static void test_govern_step_rejects(void **state) {
    (void)state;
    hr_governor *g = mk(NULL);
    hr_govern_decision d;
    assert_int_equal(hr_govern_step(g, ns(10), -1, 1, &d), HR_EINVAL);
    assert_int_equal(hr_govern_step(g, ns(10), NAN, 1, &d), HR_EINVAL);
    assert_int_equal(hr_govern_step(g, ns(10), 1, INFINITY, &d), HR_EINVAL);
    assert_int_equal(hr_govern_step(g, ns(10), 1, -2, &d), HR_EINVAL);
    assert_int_equal(hr_govern_step(g, ns(10), 1, 1, NULL), HR_EINVAL);
    assert_int_equal(hr_govern_step(NULL, ns(10), 1, 1, &d), HR_EINVAL);
    assert_int_equal(stats(g).steps, 0);
    assert_int_equal(hr_govern_step(g, ns(10), 1, 1, &d), HR_OK);
    /* Time going backwards, on every input. */
    assert_int_equal(hr_govern_step(g, ns(9), 1, 1, &d), HR_EINVAL);
    assert_int_equal(hr_govern_tick(g, ns(9), &d), HR_EINVAL);
    hr_govern_sensors s;
    memset(&s, 0, sizeof s);
    s.t_ns = ns(9);
    assert_int_equal(hr_govern_sample(g, &s, &d), HR_EINVAL);
    assert_int_equal(hr_govern_break_ended(g, ns(9)), HR_EINVAL);
    assert_int_equal(stats(g).steps, 1);
    assert_int_equal(hr_govern_tick(g, -1, &d), HR_EINVAL);
    assert_int_equal(hr_govern_tick(g, INT64_MAX, &d), HR_EINVAL);
    /* Equal times are fine. */
    assert_int_equal(hr_govern_tick(g, ns(10), &d), HR_OK);
    assert_int_equal(hr_govern_stats_get(g, NULL), HR_EINVAL);
    hr_govern_free(g);
}

/* The learned baseline: the unit-weighted lower quartile of the first 5 steps. */
static void test_govern_baseline_learned(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 0);
    hr_governor *g = mk(&c);
    double t = 0;
    const double x[5] = {4.0, 4.2, 3.8, 4.4, 4.1};
    for (int i = 0; i < 4; i++) {
        hr_govern_decision d = step(g, &t, x[i], 1);
        assert_int_equal(d.action, HR_GOVERN_CONTINUE);
        assert_true(isnan(stats(g).baseline_s_per_unit));
    }
    hr_govern_decision d = step(g, &t, x[4], 1);
    assert_int_equal(d.action, HR_GOVERN_WARN);
    assert_int_equal(d.reason, HR_GREASON_BASELINE);
    /* Sorted 3.8 4.0 4.1 4.2 4.4; a quarter of the weight is reached at 4.0. */
    hr_govern_stats s = stats(g);
    assert_near(s.baseline_s_per_unit, 4.0, 1e-12);
    assert_int_equal(s.baseline_learned, 1);
    /* Ideal time and loss of the learning steps are counted once learned. */
    assert_near(s.ideal_s, 20.0, 1e-9);
    assert_near(s.throttle_loss_s, 0.2 + 0.1 + 0.4, 1e-9);
    hr_govern_free(g);

    /* The median when asked, and units weigh: one 3-unit step at 5 s/unit
     * outweighs two 1-unit steps at 3 s/unit. */
    c.learn_quantile = 0.5;
    c.learn_steps = 3;
    g = mk(&c);
    t = 0;
    step(g, &t, 3, 1);
    step(g, &t, 15, 3);
    d = step(g, &t, 3, 1);
    assert_int_equal(d.reason, HR_GREASON_BASELINE);
    assert_near(stats(g).baseline_s_per_unit, 5.0, 1e-12);
    hr_govern_free(g);
}

/* Seconds per unit: a 25-unit step is not 25x slow. */
static void test_govern_per_unit(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    c.baseline_s_per_unit = 4.0;
    hr_governor *g = mk(&c);
    double t = 0;
    for (int i = 0; i < 10; i++) {
        hr_govern_decision d = step(g, &t, 100.0, 25);
        assert_int_equal(d.action, HR_GOVERN_CONTINUE);
    }
    assert_near(stats(g).last_ratio, 1.0, 1e-12);
    /* 160 s for 25 units is 6.4 s/unit, 1.6x; the window's median turns
     * once three of its five images are slow. */
    assert_int_equal(step(g, &t, 160.0, 25).action, HR_GOVERN_CONTINUE);
    assert_near(stats(g).last_ratio, 1.6, 1e-12);
    assert_int_equal(step(g, &t, 160.0, 25).action, HR_GOVERN_CONTINUE);
    hr_govern_decision d = step(g, &t, 160.0, 25);
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_int_equal(d.reason, HR_GREASON_SLOWDOWN);
    assert_near(d.ratio, 1.6, 1e-12);
    assert_non_null(strstr(d.text, "1.6x baseline (threshold 1.5)"));
    hr_govern_free(g);

    /* Right after a break one slow image is the whole window: 25 units of
     * evidence, enough on its own. */
    g = mk(&c);
    t = 0;
    d = step(g, &t, 160.0, 25);
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    hr_govern_free(g);
}

/* The threshold and the critical threshold: below, at, above. */
static void test_govern_thresholds(void **state) {
    (void)state;
    struct {
        double x;
        int action, reason, critical;
    } cases[] = {
        {5.996, HR_GOVERN_CONTINUE, HR_GREASON_NONE, 0},      /* 1.499x */
        {6.0, HR_GOVERN_PAUSE, HR_GREASON_SLOWDOWN, 0},       /* 1.5x: at */
        {6.4, HR_GOVERN_PAUSE, HR_GREASON_SLOWDOWN, 0},       /* above */
        {11.996, HR_GOVERN_PAUSE, HR_GREASON_SLOWDOWN, 0},    /* just under critical */
        {12.0, HR_GOVERN_PAUSE, HR_GREASON_CRITICAL, 1},      /* 3.0x: critical */
        {40.0, HR_GOVERN_PAUSE, HR_GREASON_CRITICAL, 1},      /* above */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hr_govern_config c = single(HR_POLICY_TIMING, 4.0);
        hr_governor *g = mk(&c);
        double t = 0;
        step(g, &t, 4.0, 1);
        hr_govern_decision d = step(g, &t, cases[i].x, 1);
        if (d.action != cases[i].action || d.reason != cases[i].reason)
            fail_msg("x=%g: got %s/%s, expected %s/%s", cases[i].x, hr_govern_action_name(d.action),
                     hr_govern_reason_name(d.reason), hr_govern_action_name(cases[i].action),
                     hr_govern_reason_name(cases[i].reason));
        assert_int_equal(d.critical, cases[i].critical);
        if (d.action == HR_GOVERN_PAUSE) {
            assert_near(d.pause_s, cases[i].critical ? c.critical_break_s : c.break_s, 1e-9);
            assert_int_equal(d.policy, HR_POLICY_TIMING);
        }
        hr_govern_free(g);
    }
}

/* The default window is a median over 5 steps needing 5 units: one spike
 * (a checkpoint, a hiccup) does not pause; a sustained slowdown does. */
static void test_govern_median_ignores_spike(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    c.baseline_s_per_unit = 4.0;
    hr_governor *g = mk(&c);
    double t = 0;
    const double xs[] = {4, 4, 10, 4, 4, 4, 9, 4, 4, 4};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
        assert_int_equal(step(g, &t, xs[i], 1).action, HR_GOVERN_CONTINUE);
    assert_int_equal(step(g, &t, 7, 1).action, HR_GOVERN_CONTINUE); /* 9 4 4 4 7 */
    assert_int_equal(step(g, &t, 7, 1).action, HR_GOVERN_CONTINUE); /* 4 4 4 7 7 */
    hr_govern_decision d = step(g, &t, 7, 1);                      /* 4 4 7 7 7 */
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_near(d.ratio, 7.0 / 4.0, 1e-12);
    hr_govern_free(g);
}

/* A break clears the evidence that caused it: one slow step, one break
 * (the seed took up to five for one spike). */
static void test_govern_break_clears_evidence(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    c.baseline_s_per_unit = 4.0;
    c.min_evidence_units = 1; /* one step can trigger, as in the seed */
    c.rest_ratio = 0;
    hr_governor *g = mk(&c);
    double t = 0;
    step(g, &t, 4, 1);
    hr_govern_decision d = step(g, &t, 9, 1); /* the window median: (4 + 9) / 2 = 6.5: 1.6x */
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    t = finish_break(g);
    /* Without clearing, the 9 s step would sit in the window for four more steps. */
    for (int i = 0; i < 10; i++)
        assert_int_equal(step(g, &t, 4.4, 1).action, HR_GOVERN_CONTINUE);
    hr_govern_stats s = stats(g);
    assert_int_equal(s.breaks, 1);
    assert_near(s.break_total_s, 5.0, 1e-9);
    hr_govern_free(g);
}

/* A break lasts its planned length: not before, at. */
static void test_govern_break_length(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 4.0);
    hr_governor *g = mk(&c);
    double t = 0;
    hr_govern_decision d = step(g, &t, 8, 1);
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_near(d.pause_s, 5.0, 0);
    hr_govern_stats s = stats(g);
    assert_int_equal(s.paused, 1);
    assert_int_equal(s.break_reason, HR_GREASON_SLOWDOWN);
    assert_int_equal(s.break_start_ns, ns(8));
    assert_int_equal(s.break_until_ns, ns(13));
    assert_int_equal(tick(g, 12.999).action, HR_GOVERN_CONTINUE);
    assert_near(stats(g).break_total_s, 4.999, 1e-6); /* the break on counts */
    d = tick(g, 13.0);
    assert_int_equal(d.action, HR_GOVERN_RESUME);
    assert_int_equal(d.reason, HR_GREASON_BREAK_DONE);
    assert_near(d.pause_s, 5.0, 1e-9);
    assert_int_equal(tick(g, 14).action, HR_GOVERN_CONTINUE);
    s = stats(g);
    assert_int_equal(s.paused, 0);
    assert_int_equal(s.break_until_ns, 0);
    assert_near(s.break_total_s, 5.0, 1e-9);
    /* The caller may end a break; with none on, that is a state error. */
    assert_int_equal(hr_govern_break_ended(g, ns(14)), HR_ESTATE);
    t = 14;
    assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_PAUSE);
    assert_int_equal(hr_govern_break_ended(g, ns(24)), HR_OK);
    s = stats(g);
    assert_int_equal(s.paused, 0);
    assert_near(s.break_total_s, 7.0, 1e-9);
    hr_govern_free(g);
}

/* The critical break is longer, and counted. It needs
 * critical_evidence_units (2) units of consecutive critical steps: a lone
 * 1-unit spike (a checkpoint save) is not heat, a second one in a row is, and
 * one 25-unit image past critical is at once. */
static void test_govern_critical_break(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    c.baseline_s_per_unit = 4.0;
    hr_governor *g = mk(&c);
    double t = 0;
    step(g, &t, 4, 1);
    /* Spikes of 12.4x with normal steps between them: never critical (and
     * the median of the window ignores them). */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(step(g, &t, 49.6, 1).action, HR_GOVERN_CONTINUE);
        for (int k = 0; k < 4; k++)
            assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
    }
    assert_int_equal(step(g, &t, 49.6, 1).action, HR_GOVERN_CONTINUE);
    /* Two in a row: the median window has 2 slow units of 5, not enough for
     * the threshold rule, but two units past critical are. */
    hr_govern_decision d = step(g, &t, 49.6, 1);
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_int_equal(d.reason, HR_GREASON_CRITICAL);
    assert_int_equal(d.critical, 1);
    assert_near(d.pause_s, 120, 0);
    assert_non_null(strstr(d.text, "critical 3"));
    assert_int_equal(tick(g, t + 119).action, HR_GOVERN_CONTINUE);
    assert_int_equal(tick(g, t + 120).action, HR_GOVERN_RESUME);
    hr_govern_stats s = stats(g);
    assert_int_equal(s.critical_breaks, 1);
    assert_int_equal(s.breaks, 1);
    hr_govern_free(g);

    /* One image of 25 units past critical is 25 units of evidence. */
    g = mk(&c);
    t = 0;
    step(g, &t, 100, 25);
    d = step(g, &t, 25 * 13.0, 25);
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_int_equal(d.reason, HR_GREASON_CRITICAL);
    hr_govern_free(g);

    /* critical_evidence_units = 1: any one step, as before 0.2. */
    c.critical_evidence_units = 1;
    g = mk(&c);
    t = 0;
    step(g, &t, 4, 1);
    assert_int_equal(step(g, &t, 49.6, 1).reason, HR_GREASON_CRITICAL);
    hr_govern_free(g);
}

/* A break that did not help makes the next one longer; a step under the
 * threshold resets the length. */
static void test_govern_break_growth(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 4.0);
    c.relearn_breaks = 0;
    hr_governor *g = mk(&c);
    double t = 0;
    const double want[] = {5, 10, 20, 40, 80, 160, 300, 300};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        hr_govern_decision d = step(g, &t, 8, 1);
        assert_int_equal(d.action, HR_GOVERN_PAUSE);
        assert_near(d.pause_s, want[i], 1e-9);
        t = finish_break(g);
    }
    assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
    hr_govern_decision d = step(g, &t, 8, 1);
    assert_near(d.pause_s, 5, 1e-9);
    hr_govern_free(g);
}

/* Long slow steps get long rests: rest_ratio x the slow time since the
 * previous break. */
static void test_govern_rest_ratio(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    c.baseline_s_per_unit = 4.0;
    hr_governor *g = mk(&c);
    double t = 0;
    hr_govern_decision d = step(g, &t, 160, 25);
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_near(d.pause_s, 0.25 * 160, 1e-9);
    hr_govern_free(g);
}

/* Breaks of max_break_s after which no step ran even 10 % faster: the
 * slowdown is not thermal; the baseline is learned again. */
static void test_govern_relearn(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 4.0);
    c.max_break_s = c.critical_break_s = c.batch_break_s = 20;
    c.learn_steps = 3;
    hr_governor *g = mk(&c);
    double t = 0;
    const double want[] = {5, 10, 20};
    for (size_t i = 0; i < 3; i++) {
        hr_govern_decision d = step(g, &t, 8, 1);
        assert_int_equal(d.action, HR_GOVERN_PAUSE);
        assert_near(d.pause_s, want[i], 1e-9);
        t = finish_break(g);
    }
    /* Still 2x after a break of the maximum length: re-learn, no fourth break. */
    hr_govern_decision d = step(g, &t, 8, 1);
    assert_int_equal(d.action, HR_GOVERN_WARN);
    assert_int_equal(d.reason, HR_GREASON_RELEARN);
    assert_int_equal(stats(g).relearns, 1);
    assert_int_equal(stats(g).paused, 0);
    assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_CONTINUE);
    assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_CONTINUE);
    d = step(g, &t, 8, 1);
    assert_int_equal(d.action, HR_GOVERN_WARN);
    assert_int_equal(d.reason, HR_GREASON_BASELINE);
    assert_non_null(strstr(d.text, "re-learned"));
    assert_near(stats(g).baseline_s_per_unit, 8.0, 1e-12);
    for (int i = 0; i < 10; i++)
        assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_CONTINUE);
    assert_int_equal(stats(g).breaks, 3);
    hr_govern_free(g);

    /* Thermal-like: every break is of the maximum length, and each buys a
     * step at least 10 % faster than the one that caused it: never re-learned. */
    c.max_break_s = c.critical_break_s = c.batch_break_s = 5;
    g = mk(&c);
    t = 0;
    for (int i = 0; i < 12; i++) {
        assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_PAUSE); /* 2x */
        t = finish_break(g);
        assert_int_equal(step(g, &t, 7, 1).action, HR_GOVERN_PAUSE); /* 1.75x <= 0.9 x 2x */
        t = finish_break(g);
        assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
    }
    assert_int_equal(stats(g).relearns, 0);
    assert_int_equal(stats(g).breaks, 24);
    hr_govern_free(g);
}

/* A learned baseline that a full window beats by 20 % is lowered; a given
 * one is not. */
static void test_govern_baseline_lowered(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    hr_governor *g = mk(&c);
    double t = 0;
    for (int i = 0; i < 5; i++)
        step(g, &t, 5.0, 1);
    assert_near(stats(g).baseline_s_per_unit, 5.0, 1e-12);
    for (int i = 0; i < 4; i++)
        assert_int_equal(step(g, &t, 3.9, 1).action, HR_GOVERN_CONTINUE);
    hr_govern_decision d = step(g, &t, 3.9, 1); /* the window is full */
    assert_int_equal(d.action, HR_GOVERN_WARN);
    assert_int_equal(d.reason, HR_GREASON_BASELINE);
    assert_near(stats(g).baseline_s_per_unit, 3.9, 1e-12);
    hr_govern_free(g);

    /* 4.1 is not 20 % faster than 5: kept. */
    g = mk(&c);
    t = 0;
    for (int i = 0; i < 5; i++)
        step(g, &t, 5.0, 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(step(g, &t, 4.1, 1).action, HR_GOVERN_CONTINUE);
    assert_near(stats(g).baseline_s_per_unit, 5.0, 1e-12);
    hr_govern_free(g);

    c.baseline_s_per_unit = 5.0;
    g = mk(&c);
    t = 0;
    for (int i = 0; i < 10; i++)
        assert_int_equal(step(g, &t, 3.0, 1).action, HR_GOVERN_CONTINUE);
    assert_near(stats(g).baseline_s_per_unit, 5.0, 1e-12);
    assert_int_equal(stats(g).baseline_learned, 0);
    hr_govern_free(g);
}

/* Batch: a break every batch_size steps (or batch_units units); any break
 * restarts the count. */
static void test_govern_batch_cadence(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_BATCH;
    c.baseline_s_per_unit = 4.0;
    c.batch_size = 3;
    hr_governor *g = mk(&c);
    double t = 0;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
        assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
        hr_govern_decision d = step(g, &t, 4, 1);
        assert_int_equal(d.action, HR_GOVERN_PAUSE);
        assert_int_equal(d.reason, HR_GREASON_BATCH);
        assert_int_equal(d.policy, HR_POLICY_BATCH);
        assert_near(d.pause_s, 60, 0);
        assert_int_equal(tick(g, t + 59.5).action, HR_GOVERN_CONTINUE);
        t = finish_break(g);
    }
    assert_int_equal(stats(g).batch_breaks, 3);
    /* The timing rule still applies, and its break restarts the batch. */
    assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
    for (int i = 0; i < 4; i++)
        step(g, &t, 13, 1); /* critical: a break */
    assert_int_equal(stats(g).critical_breaks >= 1, 1);
    hr_govern_free(g);

    c.batch_size = 0;
    c.batch_units = 10;
    g = mk(&c);
    t = 0;
    assert_int_equal(step(g, &t, 16, 4).action, HR_GOVERN_CONTINUE);
    assert_int_equal(step(g, &t, 16, 4).action, HR_GOVERN_CONTINUE);
    hr_govern_decision d = step(g, &t, 16, 4); /* 12 units */
    assert_int_equal(d.action, HR_GOVERN_PAUSE);
    assert_int_equal(d.reason, HR_GREASON_BATCH);
    hr_govern_free(g);
}

/* `off` records and never pauses; `timing` ignores the batch. */
static void test_govern_off_records(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_OFF, 4.0);
    hr_governor *g = mk(&c);
    double t = 0;
    for (int i = 0; i < 30; i++)
        assert_int_equal(step(g, &t, 20, 1).action, HR_GOVERN_CONTINUE);
    hr_govern_stats s = stats(g);
    assert_int_equal(s.breaks, 0);
    assert_int_equal(s.steps, 30);
    assert_near(s.throttle_loss_s, 30 * 16.0, 1e-9);
    assert_near(s.throttled_s[HR_GTHROTTLE_SLOWDOWN], 600, 1e-9);
    hr_govern_free(g);

    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    c.baseline_s_per_unit = 4.0;
    c.batch_size = 2;
    g = mk(&c);
    t = 0;
    for (int i = 0; i < 10; i++)
        assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
    hr_govern_free(g);
}

/* Time the job was held paused inside a step is not step time; a step that
 * arrives during a break is counted but is not evidence. */
static void test_govern_step_spanning_break(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 4.0);
    hr_governor *g = mk(&c);
    double t = 0;
    assert_int_equal(step(g, &t, 4, 1).action, HR_GOVERN_CONTINUE);
    assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_PAUSE); /* at 12, until 17 */
    /* A line that was on its way when the job stopped: 30x, during the break. */
    hr_govern_decision d;
    assert_int_equal(hr_govern_step(g, ns(13), 0.5, 0.004, &d), HR_OK);
    assert_int_equal(d.action, HR_GOVERN_CONTINUE);
    assert_int_equal(stats(g).paused, 1);
    assert_int_equal(tick(g, 17).action, HR_GOVERN_RESUME);
    /* Started at 12 (when the job stopped), ended at 21: 5 s of it paused. */
    assert_int_equal(hr_govern_step(g, ns(21), 9, 1, &d), HR_OK);
    assert_int_equal(d.action, HR_GOVERN_CONTINUE);
    hr_govern_stats s = stats(g);
    assert_near(s.last_ratio, 1.0, 1e-9);
    assert_near(s.productive_s, 4 + 8 + 0 + 4, 1e-9);
    assert_int_equal(s.steps, 4);
    hr_govern_free(g);
}

/* A step whose end comes after the break's planned end ends the break (the
 * caller missed the tick): RESUME reaches the caller. */
static void test_govern_step_ends_overdue_break(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 4.0);
    hr_governor *g = mk(&c);
    double t = 0;
    assert_int_equal(step(g, &t, 8, 1).action, HR_GOVERN_PAUSE); /* until 13 */
    hr_govern_decision d;
    assert_int_equal(hr_govern_step(g, ns(17), 4, 1, &d), HR_OK);
    assert_int_equal(d.action, HR_GOVERN_RESUME);
    assert_int_equal(d.reason, HR_GREASON_BREAK_DONE);
    hr_govern_stats s = stats(g);
    assert_int_equal(s.paused, 0);
    assert_near(s.break_total_s, 5, 1e-9);
    hr_govern_free(g);
}

/* The statistics of the Lincoln portrait study: 228 min of work at the
 * baseline took 530 min. Efficiency is 228/530 = 43.0 %, so 57.0 % was lost;
 * the seed's document said "45.1 % efficiency loss", which its own numbers
 * do not give. */
static void test_govern_stats_lincoln(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_OFF, 4.0);
    hr_governor *g = mk(&c);
    double t = 0;
    /* 3420 units x 4 s = 13680 s = 228 min ideal. */
    step(g, &t, 12000, 3000);            /* 3000 units at 4 s/unit */
    step(g, &t, 31800 - 12000, 420);     /* 420 units at 47.1 s/unit */
    hr_govern_stats s = stats(g);
    assert_near(s.units, 3420, 0);
    assert_near(s.wall_s, 31800, 1e-6);
    assert_near(s.ideal_s, 13680, 1e-6);
    assert_near(s.throttle_loss_s, 18120, 1e-6); /* 302 min */
    assert_near(s.productive_s, 31800, 1e-6);
    assert_near(s.efficiency, 13680.0 / 31800.0, 1e-12);
    assert_near(100 * s.efficiency, 43.0189, 1e-3);
    assert_near(100 * (1 - s.efficiency), 56.9811, 1e-3);
    assert_true(fabs(100 * (1 - s.efficiency) - 45.1) > 10);
    hr_govern_free(g);
}

/* Wall time includes breaks; efficiency = ideal / wall. */
static void test_govern_stats_with_breaks(void **state) {
    (void)state;
    hr_govern_config c = single(HR_POLICY_TIMING, 2.0);
    hr_governor *g = mk(&c);
    double t = 10; /* the first step starts at 10 */
    step(g, &t, 2, 1);   /* 12 */
    step(g, &t, 4, 1);   /* 16: 2x: a 5 s break to 21 */
    t = finish_break(g); /* 21 */
    step(g, &t, 2, 1);   /* 23 */
    hr_govern_stats s = stats(g);
    assert_near(s.wall_s, 13, 1e-9);
    assert_near(s.productive_s, 8, 1e-9);
    assert_near(s.break_total_s, 5, 1e-9);
    assert_near(s.ideal_s, 6, 1e-9);
    assert_near(s.throttle_loss_s, 2, 1e-9);
    assert_near(s.efficiency, 6.0 / 13.0, 1e-12);
    assert_near(s.throttled_s[HR_GTHROTTLE_SLOWDOWN], 4, 1e-9);
    assert_int_equal(s.breaks, 1);
    /* Unknown stays unknown: no baseline, no efficiency. */
    hr_govern_free(g);
    c.baseline_s_per_unit = 0;
    g = mk(&c);
    t = 0;
    step(g, &t, 2, 1);
    s = stats(g);
    assert_true(isnan(s.baseline_s_per_unit));
    assert_true(isnan(s.efficiency));
    assert_true(isnan(s.throttle_loss_s));
    assert_true(isnan(s.last_ratio));
    /* Zero-unit steps (an evaluation pass) count time, not evidence. */
    hr_govern_decision d = step(g, &t, 50, 0);
    assert_int_equal(d.action, HR_GOVERN_CONTINUE);
    assert_near(stats(g).productive_s, 52, 1e-9);
    hr_govern_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_govern_config_defaults_validate),
        cmocka_unit_test(test_govern_config_rejects),
        cmocka_unit_test(test_govern_config_size),
        cmocka_unit_test(test_govern_names),
        cmocka_unit_test(test_govern_step_rejects),
        cmocka_unit_test(test_govern_baseline_learned),
        cmocka_unit_test(test_govern_per_unit),
        cmocka_unit_test(test_govern_thresholds),
        cmocka_unit_test(test_govern_median_ignores_spike),
        cmocka_unit_test(test_govern_break_clears_evidence),
        cmocka_unit_test(test_govern_break_length),
        cmocka_unit_test(test_govern_critical_break),
        cmocka_unit_test(test_govern_break_growth),
        cmocka_unit_test(test_govern_rest_ratio),
        cmocka_unit_test(test_govern_relearn),
        cmocka_unit_test(test_govern_baseline_lowered),
        cmocka_unit_test(test_govern_batch_cadence),
        cmocka_unit_test(test_govern_off_records),
        cmocka_unit_test(test_govern_step_spanning_break),
        cmocka_unit_test(test_govern_step_ends_overdue_break),
        cmocka_unit_test(test_govern_stats_lincoln),
        cmocka_unit_test(test_govern_stats_with_breaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

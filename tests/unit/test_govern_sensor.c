/* test_govern_sensor.c: the governor's sensor rule (hysteresis edges, NVML
 * reasons, power caps, unknown inputs, maximum break, plateau), `auto`, the
 * throttle-time accounting and hr_govern_sensors_from_probe. */
#include "harness/hr_test.h"

#include <math.h>

#include "core/internal.h"

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a__ = (a), b__ = (b);                                                               \
        if (!(fabs(a__ - b__) <= (tol)))                                                           \
            fail_msg("%s = %.9g, expected %.9g (tol %g)", #a, a__, b__, (double)(tol));            \
    } while (0)

static int64_t ns(double t_s) {
    return (int64_t)llround(t_s * 1e9);
}

static hr_governor *mk(const hr_govern_config *c) {
    hr_governor *g = NULL;
    assert_int_equal(hr_govern_new(c, &g), HR_OK);
    return g;
}

static hr_govern_config sensor_cfg(void) {
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_SENSOR;
    c.plateau_s = 0; /* hysteresis alone, unless a test asks */
    return c;
}

/* All unknown, as a zeroed struct is. */
static hr_govern_sensors none(double t) {
    hr_govern_sensors s;
    memset(&s, 0, sizeof s);
    s.t_ns = ns(t);
    s.gpu_index = -1;
    return s;
}

/* A GPU with a margin (and temperature 90 - margin... computed from a
 * slowdown of 90) and reasons. */
static hr_govern_sensors gpu(double t, double margin_c, uint64_t reasons) {
    hr_govern_sensors s = none(t);
    s.gpu_index = 0;
    s.gpu_temp_margin_mc = hr__known((int64_t)llround(margin_c * 1000));
    s.gpu_temp_slowdown_mc = hr__known(90000);
    s.gpu_temp_mc = hr__known(90000 - (int64_t)llround(margin_c * 1000));
    s.gpu_throttle_reasons = hr__known((int64_t)reasons);
    return s;
}

static hr_govern_sensors cpu(double t, double temp_c, double crit_c) {
    hr_govern_sensors s = none(t);
    s.cpu_temp_mc = hr__known((int64_t)llround(temp_c * 1000));
    s.cpu_temp_crit_mc = hr__known((int64_t)llround(crit_c * 1000));
    return s;
}

static hr_govern_sensors pressure(double t, int level) {
    hr_govern_sensors s = none(t);
    s.thermal_pressure = hr__known(level);
    return s;
}

static hr_govern_decision sample(hr_governor *g, hr_govern_sensors s) {
    hr_govern_decision d;
    assert_int_equal(hr_govern_sample(g, &s, &d), HR_OK);
    return d;
}

static hr_govern_stats stats(const hr_governor *g) {
    hr_govern_stats s;
    assert_int_equal(hr_govern_stats_get(g, &s), HR_OK);
    return s;
}

#define assert_action(d, act, why)                                                                 \
    do {                                                                                           \
        hr_govern_decision d__ = (d);                                                              \
        if (d__.action != (act) || d__.reason != (why))                                            \
            fail_msg("%s: got %s/%s (\"%s\"), expected %s/%s", #d,                                 \
                     hr_govern_action_name(d__.action), hr_govern_reason_name(d__.reason),         \
                     d__.text, hr_govern_action_name(act), hr_govern_reason_name(why));            \
    } while (0)

/* Unknown is neither hot nor cool: no decision, and auto stays on timing. */
static void test_govern_sensor_unknown_no_decision(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    for (int i = 0; i < 5; i++)
        assert_action(sample(g, none(i)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    /* Unknown for another reason than "not read". */
    hr_govern_sensors s = none(6);
    s.gpu_temp_margin_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 3);
    s.gpu_throttle_reasons = hr__unknown(HR_WHY_DEVICE_LOST, 15);
    s.cpu_temp_mc = hr__known(120000); /* hot, but without a limit: not judged */
    s.cpu_temp_crit_mc = hr__unknown(HR_WHY_ABSENT, 0);
    s.thermal_pressure = hr__known(-1); /* not a level */
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    /* A temperature alone, no limit, no absolute thresholds: not judged. */
    s = none(7);
    s.gpu_temp_mc = hr__known(99000);
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_int_equal(stats(g).breaks, 0);
    hr_govern_free(g);

    c.policy = HR_POLICY_AUTO;
    g = mk(&c);
    sample(g, none(0));
    assert_int_equal(stats(g).active_policy, HR_POLICY_TIMING);
    hr_govern_free(g);
}

/* GPU margin: pause at the pause margin, not before; resume at the resume
 * margin, not before. */
static void test_govern_sensor_gpu_margin_edges(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    assert_action(sample(g, gpu(0, 20, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, gpu(1, 3.001, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_decision d = sample(g, gpu(2, 3, 0));
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    assert_int_equal(d.policy, HR_POLICY_SENSOR);
    assert_near(d.pause_s, c.max_break_s, 0);
    assert_non_null(strstr(d.text, "GPU 87 \xc2\xb0" "C, 3 \xc2\xb0" "C below slowdown"));
    assert_true(isnan(d.ratio));
    assert_action(sample(g, gpu(3, 1, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, gpu(4, 5.999, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    d = sample(g, gpu(5, 6, 0));
    assert_action(d, HR_GOVERN_RESUME, HR_GREASON_COOLED);
    assert_near(d.pause_s, 3, 1e-9);
    assert_non_null(strstr(d.text, "cooled after 3 s"));
    hr_govern_stats s = stats(g);
    assert_int_equal(s.sensor_breaks, 1);
    assert_near(s.break_total_s, 3, 1e-9);
    hr_govern_free(g);
}

/* The margin is computed from temperature and slowdown when NVML has none;
 * absolute temperatures work where asked for. */
static void test_govern_sensor_gpu_margin_from_temp(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    hr_govern_sensors s = none(0);
    s.gpu_temp_mc = hr__known(87000);
    s.gpu_temp_slowdown_mc = hr__known(90000);
    assert_action(sample(g, s), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    hr_govern_free(g);

    c.gpu_pause_temp_c = 80;
    c.gpu_resume_temp_c = 70;
    g = mk(&c);
    s = none(0);
    s.gpu_temp_mc = hr__known(79999);
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    s.t_ns = ns(1);
    s.gpu_temp_mc = hr__known(80000);
    assert_action(sample(g, s), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    s.t_ns = ns(2);
    s.gpu_temp_mc = hr__known(70001);
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    s.t_ns = ns(3);
    s.gpu_temp_mc = hr__known(70000);
    assert_action(sample(g, s), HR_GOVERN_RESUME, HR_GREASON_COOLED);
    hr_govern_free(g);
}

/* NVML reasons: HW thermal pauses anywhere; SW thermal and HW slowdown only
 * near the limit; power caps are reported, never cooled. */
static void test_govern_sensor_reasons(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    hr_govern_decision d = sample(g, gpu(0, 20, HR_THROTTLE_HW_THERMAL));
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_GPU_THERMAL);
    assert_non_null(strstr(d.text, "GPU 70 \xc2\xb0" "C"));
    assert_non_null(strstr(d.text, "HW thermal slowdown"));
    /* Cool margin but the reason still on: not cool. */
    assert_action(sample(g, gpu(1, 20, HR_THROTTLE_HW_THERMAL)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, gpu(2, 20, 0)), HR_GOVERN_RESUME, HR_GREASON_COOLED);
    /* SW thermal is DVFS at work: reported, not paused, far from the limit. */
    assert_action(sample(g, gpu(3, 10, HR_THROTTLE_SW_THERMAL)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, gpu(4, 3.5, HR_THROTTLE_SW_THERMAL)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    hr_govern_free(g);
    /* ... and pauses near it (with a near margin wider than the pause margin). */
    c.near_limit_margin_c = 5;
    g = mk(&c);
    assert_action(sample(g, gpu(0, 5.001, HR_THROTTLE_SW_THERMAL)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, gpu(1, 5, HR_THROTTLE_SW_THERMAL)), HR_GOVERN_PAUSE,
                  HR_GREASON_GPU_THERMAL);
    hr_govern_free(g);
    g = mk(&c);
    assert_action(sample(g, gpu(0, 12, HR_THROTTLE_HW_SLOWDOWN)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    d = sample(g, gpu(1, 4, HR_THROTTLE_HW_SLOWDOWN));
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_GPU_THERMAL);
    assert_non_null(strstr(d.text, "HW slowdown"));
    hr_govern_free(g);
    /* 0x8 without a margin: cannot be judged thermal. */
    g = mk(&c);
    hr_govern_sensors s = none(0);
    s.gpu_throttle_reasons = hr__known((int64_t)HR_THROTTLE_HW_SLOWDOWN);
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_free(g);
}

/* Power caps: a warning at onset, time counted, never a break. */
static void test_govern_sensor_power_cap(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    hr_govern_decision d = sample(g, gpu(0, 20, HR_THROTTLE_SW_POWER_CAP));
    assert_action(d, HR_GOVERN_WARN, HR_GREASON_POWER_CAP);
    assert_non_null(strstr(d.text, "SW power cap"));
    assert_non_null(strstr(d.text, "not cooled"));
    assert_action(sample(g, gpu(1, 20, HR_THROTTLE_SW_POWER_CAP)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, gpu(2, 20, HR_THROTTLE_HW_POWER_BRAKE)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, gpu(3, 20, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, gpu(4, 20, HR_THROTTLE_HW_POWER_BRAKE)), HR_GOVERN_WARN,
                  HR_GREASON_POWER_CAP);
    /* A power cap with a thermal emergency: the pause wins. */
    assert_action(sample(g, gpu(5, 2, HR_THROTTLE_HW_POWER_BRAKE)), HR_GOVERN_PAUSE,
                  HR_GREASON_GPU_MARGIN);
    hr_govern_stats s = stats(g);
    assert_int_equal(s.breaks, 1);
    assert_near(s.throttled_s[HR_GTHROTTLE_GPU_POWER], 4, 1e-9); /* 0-1, 1-2, 2-3, 4-5 */
    hr_govern_free(g);
}

/* CPU against its critical limit: pause at crit - 5, resume at crit - 10. */
static void test_govern_sensor_cpu_edges(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    assert_action(sample(g, cpu(0, 94.999, 100)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_decision d = sample(g, cpu(1, 95, 100));
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_CPU_TEMP);
    assert_non_null(strstr(d.text, "CPU 95 \xc2\xb0" "C (critical 100 \xc2\xb0" "C)"));
    assert_action(sample(g, cpu(2, 90.001, 100)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, cpu(3, 90, 100)), HR_GOVERN_RESUME, HR_GREASON_COOLED);
    /* A critical limit of 0 is no limit. */
    assert_action(sample(g, cpu(4, 95, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_free(g);
}

/* macOS thermal pressure: pause at Heavy or worse, resume at Nominal. */
static void test_govern_sensor_pressure_edges(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    assert_action(sample(g, pressure(0, HR_THERMAL_MODERATE)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    hr_govern_decision d = sample(g, pressure(1, HR_THERMAL_HEAVY));
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_PRESSURE);
    assert_string_equal(d.text, "thermal pressure heavy");
    assert_action(sample(g, pressure(2, HR_THERMAL_TRAPPING)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, pressure(3, HR_THERMAL_MODERATE)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_action(sample(g, pressure(4, HR_THERMAL_NOMINAL)), HR_GOVERN_RESUME,
                  HR_GREASON_COOLED);
    assert_action(sample(g, pressure(5, HR_THERMAL_TRAPPING)), HR_GOVERN_PAUSE,
                  HR_GREASON_PRESSURE);
    hr_govern_free(g);
}

/* A break ends at the maximum even when still hot, or when the cause went
 * unknown; then no sensor break for rearm_after_max_s, with one warning. */
static void test_govern_sensor_max_break(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    assert_action(sample(g, gpu(0, 2, 0)), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    /* The sensor vanishes: unknown is not cool. */
    for (int t = 1; t < 300; t += 7)
        assert_action(sample(g, none(t)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_decision d;
    assert_int_equal(hr_govern_tick(g, ns(299.9), &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_int_equal(hr_govern_tick(g, ns(300), &d), HR_OK);
    assert_action(d, HR_GOVERN_RESUME, HR_GREASON_MAX_BREAK);
    assert_near(d.pause_s, 300, 1e-9);
    /* Hot again right away: one warning, then quiet, then a break. */
    d = sample(g, gpu(301, 2, 0));
    assert_action(d, HR_GOVERN_WARN, HR_GREASON_STILL_HOT);
    assert_non_null(strstr(d.text, "still hot"));
    assert_action(sample(g, gpu(330, 2, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, gpu(359.9, 2, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, gpu(360, 2, 0)), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    /* A sample past the maximum ends the break too. */
    assert_action(sample(g, gpu(660, 2, 0)), HR_GOVERN_RESUME, HR_GREASON_MAX_BREAK);
    hr_govern_free(g);
}

/* Cooling that stalls short of the resume level, nothing hot: resume after
 * plateau_s; still hot: keep cooling. */
static void test_govern_sensor_plateau(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    c.plateau_s = 5;
    hr_governor *g = mk(&c);
    assert_action(sample(g, gpu(0, 3, 0)), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    assert_action(sample(g, gpu(1, 4, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE); /* +1: cooling */
    assert_action(sample(g, gpu(2, 4.5, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_action(sample(g, gpu(5.9, 4.9, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_decision d = sample(g, gpu(6, 4.9, 0)); /* 5 s since the last 1 degree */
    assert_action(d, HR_GOVERN_RESUME, HR_GREASON_PLATEAU);
    assert_non_null(strstr(d.text, "stopped cooling"));
    /* Stuck hot: no plateau resume. */
    assert_action(sample(g, gpu(7, 2, 0)), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    for (int t = 8; t < 60; t++)
        assert_action(sample(g, gpu(t, 2.5, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_free(g);
}

/* Every group hot during a break must be cool before it ends. */
static void test_govern_sensor_groups(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    hr_governor *g = mk(&c);
    hr_govern_sensors s = gpu(0, 2, 0);
    s.cpu_temp_mc = hr__known(50000);
    s.cpu_temp_crit_mc = hr__known(100000);
    assert_action(sample(g, s), HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    s = gpu(1, 10, 0);
    s.cpu_temp_mc = hr__known(97000); /* the CPU heats during the break */
    s.cpu_temp_crit_mc = hr__known(100000);
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    s = gpu(2, 10, 0);
    s.cpu_temp_mc = hr__known(92000); /* between: not cool */
    s.cpu_temp_crit_mc = hr__known(100000);
    assert_action(sample(g, s), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    s = gpu(3, 10, 0);
    s.cpu_temp_mc = hr__known(89000);
    s.cpu_temp_crit_mc = hr__known(100000);
    hr_govern_decision d = sample(g, s);
    assert_action(d, HR_GOVERN_RESUME, HR_GREASON_COOLED);
    assert_non_null(strstr(d.text, "GPU"));
    assert_non_null(strstr(d.text, "CPU"));
    hr_govern_free(g);
}

/* auto: sensor decisions while a usable sample is fresh (timing breaks are
 * then not taken); timing when the sensors go stale or are unknown. */
static void test_govern_auto(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.baseline_s_per_unit = 4;
    c.min_evidence_units = 1;
    c.window = 1;
    hr_governor *g = mk(&c);
    hr_govern_decision d;
    assert_action(sample(g, gpu(0, 20, 0)), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_int_equal(stats(g).active_policy, HR_POLICY_SENSOR);
    /* A slow step with cool sensors: no timing break under sensor. */
    assert_int_equal(hr_govern_step(g, ns(8), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    d = sample(g, gpu(9, 3, 0));
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_GPU_MARGIN);
    assert_int_equal(d.policy, HR_POLICY_SENSOR);
    assert_action(sample(g, gpu(10, 7, 0)), HR_GOVERN_RESUME, HR_GREASON_COOLED);
    /* 10 s (stale_s) after the last sample the sensors are stale: timing. */
    assert_int_equal(hr_govern_step(g, ns(20), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_int_equal(hr_govern_step(g, ns(28.001), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_SLOWDOWN);
    assert_int_equal(d.policy, HR_POLICY_TIMING);
    assert_int_equal(stats(g).active_policy, HR_POLICY_TIMING);
    hr_govern_free(g);

    /* Sensor policy: steps never pause; timing policy: samples never pause. */
    c.policy = HR_POLICY_SENSOR;
    g = mk(&c);
    assert_int_equal(hr_govern_step(g, ns(8), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_free(g);
    c.policy = HR_POLICY_TIMING;
    g = mk(&c);
    assert_action(sample(g, gpu(0, 1, HR_THROTTLE_HW_THERMAL)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    /* ... but the throttle time is still recorded. */
    sample(g, gpu(2, 1, 0));
    assert_near(stats(g).throttled_s[HR_GTHROTTLE_GPU_THERMAL], 2, 1e-9);
    hr_govern_free(g);
}

/* auto on thermal pressure alone (macOS) keeps the timing rule as well:
 * pressure levels are coarse and, where DVFS floors at the limit, Heavy
 * comes with the emergency (docs/GOVERNOR.md). A temperature with a limit
 * does not need it. */
static void test_govern_auto_pressure_keeps_timing(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.baseline_s_per_unit = 4;
    c.min_evidence_units = 1;
    c.window = 1;
    hr_governor *g = mk(&c);
    hr_govern_decision d;
    assert_action(sample(g, pressure(0, HR_THERMAL_NOMINAL)), HR_GOVERN_CONTINUE,
                  HR_GREASON_NONE);
    assert_int_equal(stats(g).active_policy, HR_POLICY_SENSOR);
    assert_int_equal(hr_govern_step(g, ns(8), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_SLOWDOWN);
    assert_int_equal(d.policy, HR_POLICY_TIMING);
    hr_govern_free(g);

    /* A GPU margin with pressure: the sensors alone decide. */
    g = mk(&c);
    hr_govern_sensors both = gpu(0, 20, 0);
    both.thermal_pressure = hr__known(HR_THERMAL_NOMINAL);
    assert_action(sample(g, both), HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_int_equal(hr_govern_step(g, ns(8), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_free(g);

    /* The sensor policy asked for by name never takes timing breaks. */
    c.policy = HR_POLICY_SENSOR;
    g = mk(&c);
    sample(g, pressure(0, HR_THERMAL_NOMINAL));
    assert_int_equal(hr_govern_step(g, ns(8), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    hr_govern_free(g);
}

/* A step that a break cut in two (it worked before the break and after it)
 * is counted but is no evidence for another break: its time mixes the heat
 * that called the break with the cooling after it. */
static void test_govern_step_cut_by_break_is_not_evidence(void **state) {
    (void)state;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.baseline_s_per_unit = 4;
    c.min_evidence_units = 1;
    c.window = 1;
    hr_governor *g = mk(&c);
    hr_govern_decision d;
    sample(g, pressure(0, HR_THERMAL_NOMINAL));
    /* A step from 0 s; Heavy at 5 s pauses the job until Nominal at 20 s. */
    assert_action(sample(g, pressure(5, HR_THERMAL_HEAVY)), HR_GOVERN_PAUSE,
                  HR_GREASON_PRESSURE);
    assert_action(sample(g, pressure(20, HR_THERMAL_NOMINAL)), HR_GOVERN_RESUME,
                  HR_GREASON_COOLED);
    /* It ends at 23 s: 8 s of work (2x baseline) around the 15 s break. */
    assert_int_equal(hr_govern_step(g, ns(23), 23, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_CONTINUE, HR_GREASON_NONE);
    assert_int_equal(stats(g).steps, 1);
    assert_near(stats(g).productive_s, 8, 1e-6);
    /* The next slow step, wholly after the break, is evidence. */
    sample(g, pressure(24, HR_THERMAL_NOMINAL));
    assert_int_equal(hr_govern_step(g, ns(31), 8, 1, &d), HR_OK);
    assert_action(d, HR_GOVERN_PAUSE, HR_GREASON_SLOWDOWN);
    hr_govern_free(g);
}

/* Throttle time: each sample's state held until the next, at most stale_s. */
static void test_govern_sensor_throttle_time(void **state) {
    (void)state;
    hr_govern_config c = sensor_cfg();
    c.policy = HR_POLICY_OFF;
    hr_governor *g = mk(&c);
    sample(g, gpu(0, 20, HR_THROTTLE_SW_THERMAL));
    sample(g, gpu(1, 20, HR_THROTTLE_SW_THERMAL | HR_THROTTLE_HW_SLOWDOWN));
    sample(g, gpu(2.5, 20, 0));
    sample(g, gpu(100, 20, HR_THROTTLE_SW_POWER_CAP));
    sample(g, gpu(200, 20, 0)); /* 100 s apart: counted as stale_s = 10 */
    sample(g, pressure(201, HR_THERMAL_HEAVY));
    sample(g, cpu(204, 99, 100));
    sample(g, none(205));
    hr_govern_stats s = stats(g);
    assert_near(s.throttled_s[HR_GTHROTTLE_GPU_THERMAL], 2.5, 1e-9);
    assert_near(s.throttled_s[HR_GTHROTTLE_GPU_HW_SLOWDOWN], 1.5, 1e-9);
    assert_near(s.throttled_s[HR_GTHROTTLE_GPU_POWER], 10, 1e-9);
    assert_near(s.throttled_s[HR_GTHROTTLE_PRESSURE], 3, 1e-9);
    assert_near(s.throttled_s[HR_GTHROTTLE_CPU_HOT], 1, 1e-9);
    assert_int_equal(s.breaks, 0);
    hr_govern_free(g);
}

/* From a probe: the GPU closest to its limit, lost GPUs skipped. */
static void test_govern_sensors_from_probe(void **state) {
    (void)state;
    hr_gpu_info gpus[3];
    memset(gpus, 0, sizeof gpus);
    for (int i = 0; i < 3; i++)
        gpus[i].index = i;
    gpus[0].temp_mc = hr__known(70000);
    gpus[0].temp_margin_mc = hr__known(10000);
    gpus[1].temp_mc = hr__known(80000);
    gpus[1].temp_margin_mc = hr__known(4000);
    gpus[1].throttle_reasons = hr__known((int64_t)HR_THROTTLE_SW_THERMAL);
    gpus[2].temp_mc = hr__known(95000);
    gpus[2].temp_margin_mc = hr__known(1000);
    gpus[2].lost = 1;
    hr_probe p;
    memset(&p, 0, sizeof p);
    p.gpus = gpus;
    p.ngpus = 3;
    p.cpu.temp_mc = hr__known(61000);
    p.cpu.temp_crit_mc = hr__unknown(HR_WHY_ABSENT, 0);
    p.mem.thermal_pressure = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    hr_govern_sensors s;
    hr_govern_sensors_from_probe(&p, ns(5), &s);
    assert_int_equal(s.t_ns, ns(5));
    assert_int_equal(s.gpu_index, 1);
    assert_known(s.gpu_temp_mc, 80000);
    assert_known(s.gpu_temp_margin_mc, 4000);
    assert_known(s.gpu_throttle_reasons, (int64_t)HR_THROTTLE_SW_THERMAL);
    assert_known(s.cpu_temp_mc, 61000);
    assert_unknown(s.cpu_temp_crit_mc, HR_WHY_ABSENT);
    assert_unknown(s.thermal_pressure, HR_WHY_NOT_APPLICABLE);
    /* No margins anywhere: the hottest; slowdown - temp counts as a margin. */
    gpus[0].temp_margin_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 3);
    gpus[1].temp_margin_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 3);
    hr_govern_sensors_from_probe(&p, 0, &s);
    assert_int_equal(s.gpu_index, 1);
    gpus[0].temp_slowdown_mc = hr__known(72000); /* margin 2: closest */
    hr_govern_sensors_from_probe(&p, 0, &s);
    assert_int_equal(s.gpu_index, 0);
    /* No probe, or no GPU: all unknown. */
    hr_govern_sensors_from_probe(NULL, ns(7), &s);
    assert_int_equal(s.gpu_index, -1);
    assert_int_equal(s.t_ns, ns(7));
    assert_unknown(s.gpu_temp_mc, HR_WHY_NOT_READ);
    assert_unknown(s.cpu_temp_mc, HR_WHY_NOT_READ);
    p.ngpus = 0;
    hr_govern_sensors_from_probe(&p, 0, &s);
    assert_int_equal(s.gpu_index, -1);
    assert_unknown(s.gpu_throttle_reasons, HR_WHY_NOT_READ);
    hr_govern_sensors_from_probe(&p, 0, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_govern_sensor_unknown_no_decision),
        cmocka_unit_test(test_govern_sensor_gpu_margin_edges),
        cmocka_unit_test(test_govern_sensor_gpu_margin_from_temp),
        cmocka_unit_test(test_govern_sensor_reasons),
        cmocka_unit_test(test_govern_sensor_power_cap),
        cmocka_unit_test(test_govern_sensor_cpu_edges),
        cmocka_unit_test(test_govern_sensor_pressure_edges),
        cmocka_unit_test(test_govern_auto_pressure_keeps_timing),
        cmocka_unit_test(test_govern_step_cut_by_break_is_not_evidence),
        cmocka_unit_test(test_govern_sensor_max_break),
        cmocka_unit_test(test_govern_sensor_plateau),
        cmocka_unit_test(test_govern_sensor_groups),
        cmocka_unit_test(test_govern_auto),
        cmocka_unit_test(test_govern_sensor_throttle_time),
        cmocka_unit_test(test_govern_sensors_from_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

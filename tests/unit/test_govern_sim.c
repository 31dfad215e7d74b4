/* test_govern_sim.c: the governor against the thermal simulator
 * (tests/sim/thermal_sim.c, compiled into this test): the scenario
 * reproduces the seed-000 study's failure, and headroom meets its targets
 * (docs/GOVERNOR.md): never the emergency throttle, no later than the seed's
 * policy, within 5 % of the best fixed duty cycle. Behaviour, not timing:
 * the simulator is deterministic and runs in simulated time. */
#include "harness/hr_test.h"

#include <math.h>

#include "sim/thermal_sim.c"

static hr_sim_row main_rows[HR_SIM_ROWS];
static hr_sim_row image_rows[HR_SIM_ROWS];

static int setup(void **state) {
    (void)state;
    hr_sim_params p;
    hr_sim_params_default(&p);
    if (hr_sim_compare(&p, main_rows) != 0)
        return -1;
    p.units_per_step = p.units_per_image;
    return hr_sim_compare(&p, image_rows);
}

static const hr_sim_result *row(const hr_sim_row *rows, hr_sim_row_id id) {
    assert_true(rows[id].ok);
    return &rows[id].r;
}

/* The model is shaped like the study: ~4 s/unit when cool, 30-60 s/unit in
 * the emergency, and without a policy the job spends a long time there. */
static void test_sim_reproduces_the_study(void **state) {
    (void)state;
    hr_sim_params p;
    hr_sim_params_default(&p);
    assert_true(p.s_per_unit >= 3.4 && p.s_per_unit <= 4.6);
    assert_true(p.emerg_s_per_unit >= 30 && p.emerg_s_per_unit <= 60);
    assert_int_equal(p.units, 35 * 25);
    const hr_sim_result *none = row(main_rows, HR_SIM_ROW_NONE);
    assert_true(none->finished);
    assert_true(none->emergency);
    assert_true(none->emergency_s > 30 * 60);
    assert_true(none->finish_s > 1.2 * p.units * p.s_per_unit);
    /* The seed's policy, as its guide uses it, does not avoid it either. */
    assert_true(row(main_rows, HR_SIM_ROW_SEED)->emergency);
    assert_true(row(main_rows, HR_SIM_ROW_SEED_UNITS)->emergency);
    /* The best fixed duty cycle found avoids it. */
    const hr_sim_result *duty = row(main_rows, HR_SIM_ROW_DUTY);
    assert_false(duty->emergency);
    assert_true(duty->finish_s < none->finish_s);
}

/* The targets, for headroom's default policy on a machine with sensors. */
static void test_sim_targets_auto_with_sensors(void **state) {
    (void)state;
    const hr_sim_result *h = row(main_rows, HR_SIM_ROW_AUTO_NVIDIA);
    const hr_sim_result *duty = row(main_rows, HR_SIM_ROW_DUTY);
    assert_true(h->finished);
    assert_false(h->emergency);
    assert_true(h->finish_s <= row(main_rows, HR_SIM_ROW_SEED)->finish_s);
    assert_true(h->finish_s <= row(main_rows, HR_SIM_ROW_SEED_UNITS)->finish_s);
    if (h->finish_s > 1.05 * duty->finish_s)
        fail_msg("auto finished at %.0f s, more than 5 %% after the best duty cycle (%.0f s)",
                 h->finish_s, duty->finish_s);
    /* auto with sensors is the sensor policy. */
    assert_true(fabs(h->finish_s - row(main_rows, HR_SIM_ROW_SENSOR_NVIDIA)->finish_s) < 1e-9);
}

/* Every headroom policy, with or without sensors, one step per line or one
 * per image: never the emergency throttle, and faster than no policy. */
static void test_sim_never_emergency(void **state) {
    (void)state;
    const hr_sim_row *sets[] = {main_rows, image_rows};
    const hr_sim_row_id ids[] = {HR_SIM_ROW_TIMING,        HR_SIM_ROW_BATCH,
                                 HR_SIM_ROW_SENSOR_NVIDIA, HR_SIM_ROW_SENSOR_APPLE,
                                 HR_SIM_ROW_AUTO_NVIDIA,   HR_SIM_ROW_AUTO_APPLE,
                                 HR_SIM_ROW_AUTO_NONE};
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            const hr_sim_result *r = row(sets[k], ids[i]);
            if (!r->finished || r->emergency)
                fail_msg("%s (set %zu): finished %d, emergency %.0f s", sets[k][ids[i]].name, k,
                         r->finished, r->emergency_s);
            assert_true(r->peak_die_c < 100.0);
            assert_true(r->finish_s < row(sets[k], HR_SIM_ROW_NONE)->finish_s);
        }
    }
}

/* Without sensors the timing rule cannot see how far the emergency is once
 * DVFS is at its floor (docs/GOVERNOR.md): it is safe, no later than the
 * seed's policy, but not within 5 % of the best duty cycle. Bounds measured
 * on this model, kept as a guard against regressions. */
static void test_sim_timing_bounds(void **state) {
    (void)state;
    const hr_sim_result *t = row(main_rows, HR_SIM_ROW_AUTO_NONE);
    const hr_sim_result *duty = row(main_rows, HR_SIM_ROW_DUTY);
    assert_true(t->finish_s <= row(main_rows, HR_SIM_ROW_SEED)->finish_s);
    assert_true(t->finish_s <= 1.15 * duty->finish_s);
    /* One progress line per image: per-unit times, so not a break per image. */
    const hr_sim_result *img = row(image_rows, HR_SIM_ROW_TIMING);
    assert_true(img->breaks < 35);
    assert_true(img->finish_s <= row(image_rows, HR_SIM_ROW_SEED)->finish_s);
    assert_true(img->finish_s <= 1.15 * row(image_rows, HR_SIM_ROW_DUTY)->finish_s);
    /* macOS pressure alone, and auto there (pressure with the timing rule):
     * no later than the seed's policy. */
    const hr_sim_result *mac = row(main_rows, HR_SIM_ROW_SENSOR_APPLE);
    assert_true(mac->finish_s <= row(main_rows, HR_SIM_ROW_SEED)->finish_s);
    const hr_sim_row *sets[] = {main_rows, image_rows};
    for (size_t k = 0; k < 2; k++) {
        const hr_sim_result *a = row(sets[k], HR_SIM_ROW_AUTO_APPLE);
        assert_true(a->finish_s <= row(sets[k], HR_SIM_ROW_SEED)->finish_s);
    }
}

/* DVFS at its floor only at the emergency limit: the step time warns until
 * the last degree, so timing stays out of the emergency and close to the
 * best duty cycle there. */
static void test_sim_timing_floor_at_limit(void **state) {
    (void)state;
    hr_sim_params p;
    hr_sim_params_default(&p);
    p.dvfs_band_c = p.t_hard_c - p.t_soft_c;
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    hr_sim_result t, seed, duty;
    assert_int_equal(hr_sim_run_governor(&p, &c, HR_SIM_SENSORS_NONE, &t, NULL), 0);
    hr_sim_seed sd;
    hr_sim_seed_default(&sd);
    assert_int_equal(hr_sim_run_seed(&p, &sd, &seed), 0);
    assert_int_equal(hr_sim_best_duty(&p, &duty), 0);
    assert_true(t.finished);
    assert_false(t.emergency);
    assert_true(t.finish_s <= seed.finish_s);
    assert_true(t.finish_s <= 1.10 * duty.finish_s);
    /* Pressure alone reaches the emergency here (Heavy comes with it); auto
     * on pressure keeps the timing rule, which sees DVFS before it. */
    hr_sim_result pressure, auto_mac;
    c.policy = HR_POLICY_SENSOR;
    assert_int_equal(hr_sim_run_governor(&p, &c, HR_SIM_SENSORS_APPLE, &pressure, NULL), 0);
    c.policy = HR_POLICY_AUTO;
    assert_int_equal(hr_sim_run_governor(&p, &c, HR_SIM_SENSORS_APPLE, &auto_mac, NULL), 0);
    assert_true(pressure.emergency);
    assert_true(auto_mac.finished);
    assert_false(auto_mac.emergency);
    assert_true(auto_mac.finish_s <= seed.finish_s);
}

/* Why critical_evidence_units is 2: the job's checkpoint steps (2.5x work,
 * 4.2x baseline at the DVFS floor) are lone spikes; calling a 120 s critical
 * break for each costs time and buys no safety. */
static void test_sim_lone_spikes_are_not_critical(void **state) {
    (void)state;
    hr_sim_params p;
    hr_sim_params_default(&p);
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = HR_POLICY_TIMING;
    hr_sim_result two, one;
    hr_govern_stats s2, s1;
    assert_int_equal(hr_sim_run_governor(&p, &c, HR_SIM_SENSORS_NONE, &two, &s2), 0);
    c.critical_evidence_units = 1;
    assert_int_equal(hr_sim_run_governor(&p, &c, HR_SIM_SENSORS_NONE, &one, &s1), 0);
    assert_true(s1.critical_breaks >= 5);
    assert_int_equal(s2.critical_breaks, 0);
    assert_false(two.emergency);
    assert_true(two.finish_s < one.finish_s - 300);
}

/* The simulator obeys pauses and is deterministic. */
static void test_sim_mechanics(void **state) {
    (void)state;
    hr_sim_params p;
    hr_sim_params_default(&p);
    p.units = 50;
    p.jitter = 0;
    p.spike_every = 0;
    hr_sim_result a, b;
    hr_sim_run_duty(&p, 10, 10, &a);
    hr_sim_run_duty(&p, 10, 10, &b);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.finished);
    /* Cool and half paused: 50 units x 4 s of work, about as much rest. */
    assert_false(a.emergency);
    assert_true(fabs(a.paused_s - 200) <= 10.5);
    assert_true(fabs(a.finish_s - 400) <= 10.5);
    /* Unpaused, the die reaches the DVFS range in the last seconds (the
     * chassis warms at 40 W): a little over 200 s. */
    hr_sim_run_none(&p, &a);
    assert_true(a.finish_s >= 200 && a.finish_s <= 210);
    assert_true(a.peak_die_c > p.t_soft_c);
    assert_true(a.paused_s == 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_reproduces_the_study),
        cmocka_unit_test(test_sim_targets_auto_with_sensors),
        cmocka_unit_test(test_sim_never_emergency),
        cmocka_unit_test(test_sim_timing_bounds),
        cmocka_unit_test(test_sim_timing_floor_at_limit),
        cmocka_unit_test(test_sim_lone_spikes_are_not_critical),
        cmocka_unit_test(test_sim_mechanics),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

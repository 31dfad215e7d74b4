/* test_rle_collapse.c: the gated collapse detector on a constructed trace.
 * Every threshold is tested below, at (where the quantity is exact) and
 * above the value the trace presents, proving each one is used.
 *
 * The base trace, 1 Hz: utilisation 90 % throughout (stability 1), power
 * 100 W of 200 W except during the drop (196 W: a_load 0.98, power
 * evidence), temperature 60 C + 0.1 C/s (heating), a 200 C temperature
 * limit so that t_sustain sits at its 600 s clamp. RLE falls during the drop
 * to 100/196 = 0.51 of its peak. The test config makes the quantities exact:
 * 1 s smoothing and no peak decay, unless a test varies them. */
#include "harness/hr_test.h"

#include <math.h>

#include "core/internal.h"

typedef struct trace {
    int t_end;              /* last sample, seconds */
    int drop_from, drop_to; /* power is high for drop_from <= t < drop_to */
    int rec_from, rec_to;   /* within the drop: power back to low (a recovery gap) */
    double util_pct;
    double p_low_w, p_high_w, limit_w;
    double temp0_c, temp_slope; /* temperature = temp0 + slope * t */
    int heat_until;             /* temperature flat after this time (0: never) */
    int64_t throttle;           /* -1: unknown */
    int64_t pressure;           /* -1: unknown */
    int missing_at;             /* a tick with power unknown (0: none) */
} trace;

typedef struct outcome {
    int started;          /* collapse_started count */
    int ended;            /* collapse_ended count */
    double first_start_t; /* tick of the first collapse_started */
    double event_start_t; /* its event_start_ns */
    double end_t;         /* tick of the first collapse_ended */
    double event_end_t;   /* its event_end_ns */
    int open_at_end;
    char text[256];
    char end_text[256];
    int dropped_at_check;
} outcome;

static trace base_trace(void) {
    trace tr = {140, 90, 120, 0, 0, 90.0, 100.0, 196.0, 200.0, 60.0, 0.1, 0, -1, -1, 0};
    return tr;
}

static hr_rle_config base_config(void) {
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.smooth_window_s = 1.0;
    c.peak_decay_per_s = 1.0;
    c.temp_limit_c = 200.0;
    return c;
}

static double temp_at(const trace *tr, int t) {
    int te = tr->heat_until && t > tr->heat_until ? tr->heat_until : t;
    return tr->temp0_c + tr->temp_slope * te;
}

static hr_rle_sample sample_at(const trace *tr, int t) {
    int high = t >= tr->drop_from && t < tr->drop_to && !(t >= tr->rec_from && t < tr->rec_to);
    hr_rle_sample s;
    memset(&s, 0, sizeof s);
    s.t_mono_ns = (int64_t)t * 1000000000LL;
    s.util_ppm = hr__known((int64_t)llround(tr->util_pct * 1e4));
    s.power_mw = hr__known((int64_t)llround((high ? tr->p_high_w : tr->p_low_w) * 1e3));
    s.power_limit_mw = hr__known((int64_t)llround(tr->limit_w * 1e3));
    s.temp_mc = hr__known((int64_t)llround(temp_at(tr, t) * 1e3));
    s.temp_limit_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    s.throttle_reasons =
        tr->throttle < 0 ? hr__unknown(HR_WHY_NOT_APPLICABLE, 0) : hr__known(tr->throttle);
    s.thermal_pressure =
        tr->pressure < 0 ? hr__unknown(HR_WHY_NOT_APPLICABLE, 0) : hr__known(tr->pressure);
    if (tr->missing_at && t == tr->missing_at)
        s.power_mw = hr__unknown(HR_WHY_VANISHED, 0);
    return s;
}

static outcome run(const trace *tr, const hr_rle_config *c) {
    outcome o;
    memset(&o, 0, sizeof o);
    o.first_start_t = o.end_t = NAN;
    hr_rle *r = NULL;
    assert_int_equal(hr_rle_new(c, &r), HR_OK);
    for (int t = 0; t <= tr->t_end; t++) {
        hr_rle_sample s = sample_at(tr, t);
        hr_rle_result res;
        assert_int_equal(hr_rle_push(r, &s, &res), HR_OK);
        if (t == tr->drop_from + 3)
            o.dropped_at_check = res.dropped;
        if (res.collapse_started && o.started++ == 0) {
            o.first_start_t = t;
            o.event_start_t = (double)res.event_start_ns / 1e9;
            hr__strlcpy(o.text, res.evidence_text, sizeof o.text);
            assert_true(res.in_collapse);
        }
        if (res.collapse_ended && o.ended++ == 0) {
            o.end_t = t;
            o.event_end_t = (double)res.event_end_ns / 1e9;
            hr__strlcpy(o.end_text, res.evidence_text, sizeof o.end_text);
            assert_false(res.in_collapse);
        }
        o.open_at_end = res.in_collapse;
    }
    hr_rle_free(r);
    return o;
}

/* --- the base case -------------------------------------------------------- */

static void test_collapse_base_trace_fires_once_and_ends(void **state) {
    (void)state;
    trace tr = base_trace();
    hr_rle_config c = base_config();
    outcome o = run(&tr, &c);
    assert_int_equal(o.started, 1);
    assert_int_equal(o.ended, 1);
    /* First dropped tick is t = 90 (covering 89..90); 7 s later, t = 96. */
    assert_true(o.first_start_t == 96.0);
    assert_true(o.event_start_t == 89.0);
    /* Recovery from t = 120 (covering 119..120); 5 s later, t = 124. */
    assert_true(o.end_t == 124.0);
    assert_true(o.event_end_t == 119.0);
    assert_non_null(strstr(o.text, "power: a_load 0.980"));
    assert_non_null(strstr(o.text, "for 7.0 s"));
    assert_non_null(strstr(o.end_text, "recovered"));
    assert_false(o.open_at_end);
}

static void test_collapse_defaults_fire_on_the_base_trace(void **state) {
    (void)state;
    /* Plain defaults (5 s smoothing, 0.998/s decay): still one event. */
    trace tr = base_trace();
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.temp_limit_c = 200.0;
    outcome o = run(&tr, &c);
    assert_int_equal(o.started, 1);
    assert_int_equal(o.ended, 1);
}

static void test_collapse_none_without_drop(void **state) {
    (void)state;
    trace tr = base_trace();
    tr.p_high_w = tr.p_low_w; /* nothing happens */
    hr_rle_config c = base_config();
    outcome o = run(&tr, &c);
    assert_int_equal(o.started, 0);
}

/* --- each threshold: below, at, above ------------------------------------- */

static void test_collapse_drop_frac(void **state) {
    (void)state;
    trace tr = base_trace(); /* ratio 100 / 196 = 0.5102 */
    double thr[] = {0.50, 0.51, 0.52, 0.65};
    int want[] = {0, 0, 1, 1};
    for (int k = 0; k < 4; k++) {
        hr_rle_config c = base_config();
        c.drop_frac = thr[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

static void test_collapse_peak_decay(void **state) {
    (void)state;
    /* drop_frac 0.52 just above the 0.5102 ratio: a peak decaying 1 %/s
     * lifts the ratio above 0.52 within 2 s, so the drop never lasts 7 s. */
    trace tr = base_trace();
    double decay[] = {0.99, 0.9995, 1.0};
    int want[] = {0, 1, 1};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.drop_frac = 0.52;
        c.peak_decay_per_s = decay[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

static void test_collapse_sustain_s(void **state) {
    (void)state;
    /* Drop for 8 ticks (90..97): the run reaches 8.0 s at t = 97. */
    trace tr = base_trace();
    tr.drop_to = 98;
    double thr[] = {7.5, 8.0, 8.5};
    int want[] = {1, 1, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.sustain_s = thr[k];
        outcome o = run(&tr, &c);
        assert_int_equal(o.started, want[k]);
        if (want[k])
            assert_true(o.first_start_t == 89.0 + ceil(thr[k]));
    }
}

static void test_collapse_recover_s(void **state) {
    (void)state;
    /* Inside the drop, power is back to low for 4 ticks (100..103), then
     * high again: the recovery run reaches 4.0 s at t = 103. */
    trace tr = base_trace();
    tr.rec_from = 100;
    tr.rec_to = 104;
    double thr[] = {3.5, 4.0, 4.5};
    int ended_in_gap[] = {1, 1, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.recover_s = thr[k];
        outcome o = run(&tr, &c);
        assert_true(o.first_start_t == 96.0);
        if (ended_in_gap[k]) {
            assert_true(o.end_t == 99.0 + ceil(thr[k]));
            assert_true(o.event_end_t == 99.0);
            assert_int_equal(o.started, 2); /* the drop resumes and fires again */
        } else {
            assert_true(o.end_t > 120.0);
            assert_int_equal(o.started, 1);
        }
    }
}

static void test_collapse_load_gate_util(void **state) {
    (void)state;
    /* Only the utilisation gate counts (the a_load gate is out of reach). */
    trace tr = base_trace(); /* util exactly 90 % */
    double thr[] = {89.0, 90.0, 91.0};
    int want[] = {1, 0, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.load_gate_a_load = 100.0;
        c.load_gate_util_pct = thr[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

static void test_collapse_load_gate_a_load(void **state) {
    (void)state;
    trace tr = base_trace(); /* a_load exactly 0.98 during the drop */
    double thr[] = {0.97, 0.98, 0.99};
    int want[] = {1, 0, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.load_gate_util_pct = 100.0;
        c.load_gate_a_load = thr[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

static void test_collapse_heat_threshold(void **state) {
    (void)state;
    trace tr = base_trace(); /* slope 0.1 C/s */
    double thr[] = {0.09, 0.11, -0.01};
    int want[] = {1, 0, 1};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.heat_c_per_s = thr[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
    /* Cooling is not heating; a threshold below the cooling rate lets it through. */
    tr.temp0_c = 100.0;
    tr.temp_slope = -0.1;
    hr_rle_config c = base_config();
    assert_int_equal(run(&tr, &c).started, 0);
    c.heat_c_per_s = -0.2;
    assert_int_equal(run(&tr, &c).started, 1);
}

static void test_collapse_heat_window(void **state) {
    (void)state;
    /* Heating stops at t = 80; the drop starts at 90. A 10 s window sees a
     * flat temperature; a 60 s window still sees the rise. */
    trace tr = base_trace();
    tr.heat_until = 80;
    double win[] = {10.0, 60.0};
    int want[] = {0, 1};
    for (int k = 0; k < 2; k++) {
        hr_rle_config c = base_config();
        c.heat_window_s = win[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

static void test_collapse_heating_survives_quantised_temperature(void **state) {
    (void)state;
    /* Whole-degree readings of a 0.1 C/s rise: the seed's per-sample test
     * (rise > 0.05 C since the previous sample) holds on one tick in ten, so
     * its 7-sample counter never filled. The windowed slope does. */
    trace tr = base_trace();
    hr_rle_config c = base_config();
    hr_rle *r = NULL;
    assert_int_equal(hr_rle_new(&c, &r), HR_OK);
    int fired = 0, seed_run = 0, seed_best = 0;
    double prev = 0.0;
    for (int t = 0; t <= tr.t_end; t++) {
        hr_rle_sample s = sample_at(&tr, t);
        double q = floor(temp_at(&tr, t));
        s.temp_mc = hr__known((int64_t)q * 1000);
        hr_rle_result res;
        assert_int_equal(hr_rle_push(r, &s, &res), HR_OK);
        fired += res.collapse_started;
        seed_run = t > 0 && q - prev > 0.05 ? seed_run + 1 : 0;
        seed_best = seed_run > seed_best ? seed_run : seed_best;
        prev = q;
    }
    hr_rle_free(r);
    assert_int_equal(fired, 1);
    assert_true(seed_best < 7);
}

static void test_collapse_warmup(void **state) {
    (void)state;
    /* Drop for 15 ticks (90..104). */
    trace tr = base_trace();
    tr.drop_to = 105;
    double thr[] = {95.0, 97.0, 100.0};
    int want[] = {1, 1, 0}; /* 97 + 7 = 104: the last dropped tick */
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.warmup_s = thr[k];
        outcome o = run(&tr, &c);
        assert_int_equal(o.started, want[k]);
        if (want[k])
            assert_true(o.event_start_t >= thr[k]);
    }
}

static void test_collapse_require_evidence(void **state) {
    (void)state;
    trace tr = base_trace();
    hr_rle_config c = base_config();
    c.evidence_a_load = 0.99; /* no power evidence; t_sustain 600, far from the limit */
    assert_int_equal(run(&tr, &c).started, 0);
    c.require_evidence = 0;
    outcome o = run(&tr, &c);
    assert_int_equal(o.started, 1);
    assert_non_null(strstr(o.text, "no evidence required"));
}

static void test_collapse_evidence_a_load(void **state) {
    (void)state;
    trace tr = base_trace(); /* a_load exactly 0.98 */
    double thr[] = {0.97, 0.98, 0.99};
    int want[] = {1, 0, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.evidence_a_load = thr[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

static void test_collapse_evidence_t_sustain(void **state) {
    (void)state;
    /* Clamp t_sustain at exactly 50 s; only thermal evidence can count. */
    trace tr = base_trace();
    double thr[] = {60.0, 50.0, 40.0};
    int want[] = {1, 0, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.evidence_a_load = 2.0;
        c.t_sustain_max_s = 50.0;
        c.evidence_t_sustain_s = thr[k];
        outcome o = run(&tr, &c);
        assert_int_equal(o.started, want[k]);
        if (want[k])
            assert_non_null(strstr(o.text, "thermal: t_sustain 50.0 s"));
    }
}

static void test_collapse_evidence_temp_margin(void **state) {
    (void)state;
    /* The limit is 200 C; the temperature is 69.6 C at t = 96 (when the run
     * reaches 7 s), exactly 70.0 C at t = 100 and 71.9 C at the drop's last
     * tick. Thermal evidence is T > 200 - margin, checked on every tick
     * while the run goes on, so the event opens when the evidence appears. */
    trace tr = base_trace();
    double thr[] = {131.0, 130.0, 127.0};
    double want_t[] = {96.0, 101.0, NAN}; /* at 130: 70.0 is not > 70.0 */
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.evidence_a_load = 2.0;
        c.evidence_temp_margin_c = thr[k];
        outcome o = run(&tr, &c);
        if (isnan(want_t[k])) {
            assert_int_equal(o.started, 0);
        } else {
            assert_int_equal(o.started, 1);
            assert_true(o.first_start_t == want_t[k]);
            assert_true(o.event_start_t == 89.0); /* the drop's start, not the evidence's */
        }
    }
}

static void test_collapse_evidence_throttle_masks(void **state) {
    (void)state;
    trace tr = base_trace();
    hr_rle_config c = base_config();
    c.evidence_a_load = 2.0; /* no other evidence */
    tr.throttle = (int64_t)HR_THROTTLE_HW_THERMAL;
    assert_int_equal(run(&tr, &c).started, 1);
    c.evidence_throttle_thermal = 0;
    assert_int_equal(run(&tr, &c).started, 0);
    tr.throttle = (int64_t)HR_THROTTLE_SW_POWER_CAP;
    assert_int_equal(run(&tr, &c).started, 1);
    c.evidence_throttle_power = HR_THROTTLE_HW_POWER_BRAKE;
    assert_int_equal(run(&tr, &c).started, 0);
    tr.throttle = (int64_t)HR_THROTTLE_GPU_IDLE; /* not evidence by default */
    hr_rle_config d = base_config();
    d.evidence_a_load = 2.0;
    assert_int_equal(run(&tr, &d).started, 0);
}

static void test_collapse_evidence_thermal_pressure(void **state) {
    (void)state;
    trace tr = base_trace();
    tr.pressure = HR_THERMAL_HEAVY; /* 2 */
    int32_t thr[] = {1, 2, 3};
    int want[] = {1, 1, 0};
    for (int k = 0; k < 3; k++) {
        hr_rle_config c = base_config();
        c.evidence_a_load = 2.0;
        c.evidence_thermal_pressure = thr[k];
        assert_int_equal(run(&tr, &c).started, want[k]);
    }
}

/* --- gaps ----------------------------------------------------------------- */

static void test_collapse_missing_tick_restarts_the_run(void **state) {
    (void)state;
    /* Power unknown at t = 93: the run restarts at t = 94 (covering 93..94)
     * and fires 7 s later, at t = 100. */
    trace tr = base_trace();
    tr.missing_at = 93;
    hr_rle_config c = base_config();
    outcome o = run(&tr, &c);
    assert_int_equal(o.started, 1);
    assert_true(o.first_start_t == 100.0);
    assert_true(o.event_start_t == 93.0);
}

static void test_collapse_missing_tick_keeps_an_open_event(void **state) {
    (void)state;
    trace tr = base_trace();
    tr.missing_at = 110; /* inside the event */
    hr_rle_config c = base_config();
    hr_rle *r = NULL;
    assert_int_equal(hr_rle_new(&c, &r), HR_OK);
    for (int t = 0; t <= 111; t++) {
        hr_rle_sample s = sample_at(&tr, t);
        hr_rle_result res;
        assert_int_equal(hr_rle_push(r, &s, &res), HR_OK);
        if (t == 110) {
            assert_int_equal(res.why, HR_WHY_VANISHED);
            assert_true(res.in_collapse);
            assert_true(res.event_start_ns == 89000000000LL);
            assert_false(res.collapse_ended);
        }
    }
    hr_rle_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collapse_base_trace_fires_once_and_ends),
        cmocka_unit_test(test_collapse_defaults_fire_on_the_base_trace),
        cmocka_unit_test(test_collapse_none_without_drop),
        cmocka_unit_test(test_collapse_drop_frac),
        cmocka_unit_test(test_collapse_peak_decay),
        cmocka_unit_test(test_collapse_sustain_s),
        cmocka_unit_test(test_collapse_recover_s),
        cmocka_unit_test(test_collapse_load_gate_util),
        cmocka_unit_test(test_collapse_load_gate_a_load),
        cmocka_unit_test(test_collapse_heat_threshold),
        cmocka_unit_test(test_collapse_heat_window),
        cmocka_unit_test(test_collapse_heating_survives_quantised_temperature),
        cmocka_unit_test(test_collapse_warmup),
        cmocka_unit_test(test_collapse_require_evidence),
        cmocka_unit_test(test_collapse_evidence_a_load),
        cmocka_unit_test(test_collapse_evidence_t_sustain),
        cmocka_unit_test(test_collapse_evidence_temp_margin),
        cmocka_unit_test(test_collapse_evidence_throttle_masks),
        cmocka_unit_test(test_collapse_evidence_thermal_pressure),
        cmocka_unit_test(test_collapse_missing_tick_restarts_the_run),
        cmocka_unit_test(test_collapse_missing_tick_keeps_an_open_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

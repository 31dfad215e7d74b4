/* test_recorder_rle.c: the recorder feeds the RLE calculator every tick,
 * stores <component>/rle and friends as channels, writes a collapse as an
 * event with its start and end, and stores no RLE when an input is missing. */
#include <math.h>

#include "test_recorder_fake.h"

#define SEC 1000000000LL

/* 90 % busy, heating 0.2 C/s from 40 C (limit 90 C); power 50 W, then
 * 98 W of a 100 W limit between 100 s and 140 s: RLE halves under load
 * while heating, with power evidence (a_load 0.98 > 0.95). */
static void collapse_trace(int k, hr_probe *p) {
    p->cpu.util_ppm = hr__known(900000);
    p->cpu.temp_mc = hr__known(40000 + 200 * (int64_t)k);
    p->cpu.temp_crit_mc = hr__known(90000);
    p->cpu.power_mw = hr__known(k >= 100 && k < 140 ? 98000 : 50000);
}

typedef struct run {
    char *dir;
    char path[4200];
    hr_ctx *ctx;
    hr_session *s;
    fake_clock clock;
    hr_clock hc;
    hr_probe *probe;
    fake_script script;
    int64_t start;
} run;

static void run_trace(run *r, void (*trace)(int, hr_probe *), double power_limit_w,
                      int64_t duration_ns) {
    r->dir = tsu_mkdtemp();
    tsu_path(r->path, sizeof r->path, r->dir, "rle.db");
    assert_int_equal(hr_ctx_new(&r->ctx), HR_OK);
    assert_int_equal(hr_session_create(r->ctx, r->path, 0, &r->s), HR_OK);
    fake_clock_init(&r->clock);
    r->hc = (hr_clock){fc_now, fc_wall, fc_sleep_until, &r->clock};
    r->probe = fake_probe_new();
    fake_script_init(&r->script, &r->clock, r->probe);
    r->script.trace = trace;
    r->start = r->clock.t;
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.duration_ns = duration_ns;
    c.clock = &r->hc;
    c.probe = r->probe;
    c.refresh = fake_refresh;
    c.refresh_user = &r->script;
    c.rle_cpu.power_limit_w = power_limit_w;
    hr_recorder *rec = NULL;
    assert_int_equal(hr_recorder_start(r->ctx, r->s, &c, &rec), HR_OK);
    assert_int_equal(hr_recorder_wait(rec, 60 * SEC), HR_OK);
    assert_int_equal(hr_recorder_stop(rec), HR_OK);
}

static void run_free(run *r) {
    hr_session_close(r->s);
    fake_probe_free(r->probe);
    hr_ctx_free(r->ctx);
    tsu_rmdir(r->dir);
}

static void test_recorder_rle_collapse_event(void **state) {
    (void)state;
    run r;
    run_trace(&r, collapse_trace, 100, 180 * SEC);
    int32_t rle = hr_session_find_channel(r.s, "cpu", "rle");
    int32_t collapse = hr_session_find_channel(r.s, "cpu", "collapse");
    int32_t a_load = hr_session_find_channel(r.s, "cpu", "a_load");
    assert_true(rle > 0 && collapse > 0 && a_load > 0);
    const hr_channel *ch = hr_session_channel(r.s, (size_t)rle - 1);
    assert_string_equal(ch->unit, "micro");
    assert_true(ch->scale == 1e-6);

    /* The event: opened after the power step, closed after it ended. */
    hr_event_cursor *ec = NULL;
    hr_event ev, found;
    int n = 0;
    assert_int_equal(hr_session_events(r.s, &ec), HR_OK);
    while (hr_event_cursor_next(ec, &ev) == HR_OK)
        if (strcmp(ev.kind, "collapse") == 0) {
            found = ev;
            found.detail = NULL;
            n++;
            assert_non_null(strstr(ev.detail, "cpu: "));
        }
    hr_event_cursor_free(ec);
    assert_int_equal(n, 1);
    double start_s = (double)(found.start_mono_ns - r.start) / 1e9;
    double end_s = (double)(found.end_mono_ns - r.start) / 1e9;
    if (start_s < 99 || start_s > 115 || end_s < 135 || end_s > 150)
        fail_msg("collapse from %.1f s to %.1f s", start_s, end_s);

    /* The channels agree with the event, and RLE is lower during it. */
    hr_tick_cursor *tc = NULL;
    hr_tick_row row;
    double rle_before = NAN, rle_during = NAN;
    int known = 0;
    assert_int_equal(hr_session_ticks(r.s, &tc), HR_OK);
    while (hr_tick_cursor_next(tc, &row) == HR_OK) {
        int in = row.t_mono_ns >= found.start_mono_ns && row.t_mono_ns < found.end_mono_ns;
        hr_reading c = row.values[collapse - 1];
        assert_true(HR_IS_KNOWN(c));
        /* The event is dated from when the drop began; the detector flags
         * it once the drop has held for sustain_s (7 s). */
        if (row.t_mono_ns > found.start_mono_ns + 8 * SEC && row.t_mono_ns < found.end_mono_ns)
            assert_int_equal(c.v, 1);
        if (!in && row.t_mono_ns < found.start_mono_ns)
            assert_int_equal(c.v, 0);
        hr_reading v = row.values[rle - 1];
        known += HR_IS_KNOWN(v);
        if (row.tick == 90)
            rle_before = HR_IS_KNOWN(v) ? (double)v.v * 1e-6 : NAN;
        if (row.tick == 130)
            rle_during = HR_IS_KNOWN(v) ? (double)v.v * 1e-6 : NAN;
        if (row.tick == 120)
            assert_true(HR_IS_KNOWN(row.values[a_load - 1]) &&
                        llabs(row.values[a_load - 1].v - 980000) < 10);
    }
    hr_tick_cursor_free(tc);
    if (known < 140)
        fail_msg("cpu/rle known on %d of 180 ticks", known);
    assert_true(rle_during < 0.65 * rle_before);
    run_free(&r);
}

/* Without a CPU power limit (the probe knows none and none was configured)
 * there is no CPU RLE at all: the channel exists but holds no value. */
static void test_recorder_rle_needs_power_limit(void **state) {
    (void)state;
    run r;
    run_trace(&r, collapse_trace, 0, 20 * SEC);
    int32_t rle = hr_session_find_channel(r.s, "cpu", "rle");
    assert_true(rle > 0);
    hr_tick_cursor *tc = NULL;
    hr_tick_row row;
    int ticks = 0;
    assert_int_equal(hr_session_ticks(r.s, &tc), HR_OK);
    while (hr_tick_cursor_next(tc, &row) == HR_OK) {
        ticks++;
        assert_false(HR_IS_KNOWN(row.values[rle - 1]));
    }
    hr_tick_cursor_free(tc);
    assert_int_equal(ticks, 20);
    run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorder_rle_collapse_event),
        cmocka_unit_test(test_recorder_rle_needs_power_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

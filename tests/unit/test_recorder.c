/* test_recorder.c: the recorder's cadence and missed-tick accounting on a
 * simulated clock (no real sleeping), channels that vanish, failed
 * refreshes, steps and events from several threads, prompt stop, storage
 * failure, configuration errors. */
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "record/recorder.h"
#include "test_recorder_fake.h"

#define MS 1000000LL
#define SEC 1000000000LL

typedef struct fixture {
    char *dir;
    char path[4200];
    hr_ctx *ctx;
    hr_session *s;
    fake_clock clock;
    hr_clock hc;
    hr_probe *probe;
    fake_script script;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = tsu_mkdtemp();
    tsu_path(f->path, sizeof f->path, f->dir, "rec.db");
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &f->s), HR_OK);
    fake_clock_init(&f->clock);
    f->hc = (hr_clock){fc_now, fc_wall, fc_sleep_until, &f->clock};
    f->probe = fake_probe_new();
    fake_script_init(&f->script, &f->clock, f->probe);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hr_session_close(f->s);
    fake_probe_free(f->probe);
    hr_ctx_free(f->ctx);
    tsu_rmdir(f->dir);
    free(f);
    return 0;
}

static hr_record_config sim_config(fixture *f, double hz, int64_t duration_ns, int writer) {
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.hz = hz;
    c.duration_ns = duration_ns;
    c.writer_thread = writer;
    c.clock = &f->hc;
    c.probe = f->probe;
    c.refresh = fake_refresh;
    c.refresh_user = &f->script;
    return c;
}

/* Runs a simulated recording to its end; returns the final stats. */
static hr_record_stats run_sim(fixture *f, const hr_record_config *c) {
    hr_recorder *rec = NULL;
    hr_status st = hr_recorder_start(f->ctx, f->s, c, &rec);
    if (st != HR_OK)
        fail_msg("start: %s", hr_ctx_last_error(f->ctx));
    assert_int_equal(hr_recorder_wait(rec, 30 * SEC), HR_OK);
    hr_record_stats stats = {.size = sizeof stats};
    assert_int_equal(hr_recorder_stats(rec, &stats), HR_OK);
    assert_int_equal(stats.running, 0);
    st = hr_recorder_stop(rec);
    if (st != HR_OK)
        fail_msg("stop: %s", hr_session_last_error(f->s));
    return stats;
}

/* The stored tick times, in order; returns their count. */
static size_t tick_times(hr_session *s, int64_t *out, size_t cap) {
    hr_tick_cursor *c = NULL;
    assert_int_equal(hr_session_ticks(s, &c), HR_OK);
    hr_tick_row row;
    size_t n = 0;
    while (hr_tick_cursor_next(c, &row) == HR_OK)
        if (n < cap)
            out[n++] = row.t_mono_ns;
    hr_tick_cursor_free(c);
    return n;
}

static void test_recorder_next_deadline(void **state) {
    (void)state;
    int64_t next = 0;
    /* On time: the next deadline, nothing missed. */
    assert_int_equal(hr__rec_next_deadline(500, 550, 100, INT64_MAX, &next), 0);
    assert_int_equal(next, 600);
    /* Finishing exactly on the next deadline misses nothing. */
    assert_int_equal(hr__rec_next_deadline(500, 600, 100, INT64_MAX, &next), 0);
    assert_int_equal(next, 600);
    /* One past it: that deadline is missed. */
    assert_int_equal(hr__rec_next_deadline(500, 601, 100, INT64_MAX, &next), 1);
    assert_int_equal(next, 700);
    /* 350 late: 600, 700, 800 missed, next is 900 (not 600: no bunching). */
    assert_int_equal(hr__rec_next_deadline(500, 850, 100, INT64_MAX, &next), 3);
    assert_int_equal(next, 900);
    assert_int_equal(hr__rec_next_deadline(500, 900, 100, INT64_MAX, &next), 3);
    assert_int_equal(next, 900);
    /* Deadlines at or past the end are not counted as missed. */
    assert_int_equal(hr__rec_next_deadline(500, 850, 100, 750, &next), 2);
    assert_int_equal(hr__rec_next_deadline(500, 850, 100, 600, &next), 0);
}

static void check_cadence(fixture *f, int writer) {
    hr_record_config c = sim_config(f, 10, 3 * SEC, writer);
    int64_t start = f->clock.t;
    hr_record_stats st = run_sim(f, &c);
    assert_int_equal(st.ticks, 30);
    assert_int_equal(st.written, 30);
    assert_int_equal(st.missed, 0);
    assert_true(fabs(st.achieved_hz - 10.0) < 1e-9);
    int64_t t[64];
    assert_int_equal(tick_times(f->s, t, 64), 30);
    /* Absolute deadlines: tick k is at start + k * 100 ms exactly, although
     * each tick's work took 1 ms (a relative sleep would drift 1 ms a tick). */
    for (int k = 0; k < 30; k++)
        assert_int_equal(t[k], start + k * 100 * MS);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_FINISHED);
    assert_true(info.requested_hz == 10);
    assert_int_equal(info.missed_ticks, 0);
    assert_int_equal(info.start_mono_ns, start);
    assert_int_equal(info.end_mono_ns, start + 3 * SEC);
}

static void test_recorder_cadence_writer_thread(void **state) { check_cadence(*state, 1); }

static void test_recorder_cadence_inline(void **state) { check_cadence(*state, 0); }

static void check_missed(fixture *f, int writer) {
    hr_record_config c = sim_config(f, 10, 2 * SEC, writer);
    f->script.slow_tick = 5;
    f->script.slow_ns = 350 * MS;
    int64_t start = f->clock.t;
    hr_record_stats st = run_sim(f, &c);
    assert_int_equal(st.missed, 3);
    assert_int_equal(st.ticks, 17);
    assert_int_equal(st.ticks + st.missed, 20);
    int64_t t[64];
    assert_int_equal(tick_times(f->s, t, 64), 17);
    assert_int_equal(t[5], start + 500 * MS);
    /* The late tick is followed by the next future deadline, not a burst. */
    assert_int_equal(t[6], start + 900 * MS);
    for (int k = 1; k < 17; k++)
        assert_true(t[k] - t[k - 1] >= 100 * MS);
    assert_true(fabs(st.achieved_hz - 16.0 / 1.9) < 1e-9);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.missed_ticks, 3);
}

static void test_recorder_missed_ticks_writer_thread(void **state) { check_missed(*state, 1); }

static void test_recorder_missed_ticks_inline(void **state) { check_missed(*state, 0); }

/* Work longer than the period on every tick: every other deadline is
 * skipped, and ticks + missed still account for every deadline. */
static void test_recorder_always_late(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 10, 2 * SEC, 1);
    f->script.work_ns = 150 * MS;
    hr_record_stats st = run_sim(f, &c);
    assert_int_equal(st.ticks, 10);
    assert_int_equal(st.missed, 10);
    assert_true(fabs(st.achieved_hz - 5.0) < 1e-9);
    assert_true(st.sample_p50_ns >= 140 * MS && st.sample_p50_ns <= 160 * MS);
}

static int32_t channel(hr_session *s, const char *comp, const char *metric) {
    int32_t id = hr_session_find_channel(s, comp, metric);
    if (id <= 0)
        fail_msg("no channel %s/%s", comp, metric);
    return id;
}

static void test_recorder_sensor_vanishes(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 1, 10 * SEC, 1);
    f->script.vanish_tick = 4;
    int64_t start = f->clock.t;
    hr_record_stats st = run_sim(f, &c);
    assert_int_equal(st.ticks, 10);
    int32_t a = channel(f->s, "fakechip", "A"), b = channel(f->s, "fakechip", "B");
    int32_t util = channel(f->s, "cpu", "util");
    const hr_channel *ch = hr_session_channel(f->s, (size_t)a - 1);
    assert_string_equal(ch->unit, "mc");
    assert_string_equal(ch->base_unit, "celsius");
    hr_tick_cursor *cur = NULL;
    hr_tick_row row;
    assert_int_equal(hr_session_ticks(f->s, &cur), HR_OK);
    for (int k = 0; k < 10; k++) {
        assert_int_equal(hr_tick_cursor_next(cur, &row), HR_OK);
        if (k < 4)
            assert_known(row.values[a - 1], fake_sensor_value("A", k));
        else
            assert_unknown(row.values[a - 1], HR_WHY_ABSENT);
        assert_known(row.values[b - 1], fake_sensor_value("B", k));
        assert_known(row.values[util - 1], 100000 + k);
    }
    hr_tick_cursor_free(cur);
    hr_event_cursor *ec = NULL;
    hr_event ev;
    int found = 0;
    assert_int_equal(hr_session_events(f->s, &ec), HR_OK);
    while (hr_event_cursor_next(ec, &ev) == HR_OK)
        if (strcmp(ev.kind, "channel_missing") == 0) {
            found++;
            assert_int_equal(ev.start_mono_ns, start + 4 * SEC);
            assert_int_equal(ev.end_mono_ns, 0);
            assert_non_null(strstr(ev.detail, "fakechip/A"));
            assert_non_null(strstr(ev.detail, hr_why_text(HR_WHY_VANISHED)));
        }
    hr_event_cursor_free(ec);
    assert_int_equal(found, 1);
}

/* A GPU that disappears (GPU_IS_LOST, unplugged): its channels and its RLE
 * go missing, the CPU's go on. */
static void test_recorder_gpu_lost(void **state) {
    fixture *f = *state;
    fake_probe_add_gpu(f->probe);
    hr_record_config c = sim_config(f, 1, 60 * SEC, 1);
    f->script.gpu_lost_tick = 40;
    hr_record_stats st = run_sim(f, &c);
    assert_int_equal(st.ticks, 60);
    int32_t util = channel(f->s, "gpu0", "util"), temp = channel(f->s, "gpu0", "temp");
    int32_t limit = channel(f->s, "gpu0", "power_limit"), rle = channel(f->s, "gpu0", "rle");
    int32_t cpu = channel(f->s, "cpu", "util");
    assert_int_equal(hr_session_find_channel(f->s, "gpu0", "fan"), 0); /* never known: no channel */
    hr_tick_cursor *cur = NULL;
    hr_tick_row row;
    assert_int_equal(hr_session_ticks(f->s, &cur), HR_OK);
    for (int k = 0; k < 60; k++) {
        assert_int_equal(hr_tick_cursor_next(cur, &row), HR_OK);
        assert_known(row.values[cpu - 1], 100000 + k);
        if (k < 40) {
            assert_known(row.values[util - 1], 900000);
            assert_known(row.values[temp - 1], 60000 + 100 * k);
            assert_known(row.values[limit - 1], 250000);
        } else {
            assert_false(HR_IS_KNOWN(row.values[util - 1]));
            assert_false(HR_IS_KNOWN(row.values[temp - 1]));
            assert_false(HR_IS_KNOWN(row.values[rle - 1]));
        }
        /* RLE needs its 30 s temperature window (slope_window_s) first. */
        if (k == 35 && !HR_IS_KNOWN(row.values[rle - 1]))
            fail_msg("gpu0/rle unknown on tick 35 with every input known");
    }
    hr_tick_cursor_free(cur);
}

/* A failed refresh leaves that tick's readings missing, never stale. */
static void test_recorder_failed_refresh_is_missing(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 1, 6 * SEC, 0);
    c.rle = 0;
    f->script.fail_tick = 3;
    hr_record_stats st = run_sim(f, &c);
    assert_int_equal(st.ticks, 6);
    /* cpu util, temp, temp_crit, power; mem available; sensors A and B. */
    assert_int_equal(hr_session_channel_count(f->s), 7);
    int32_t util = channel(f->s, "cpu", "util");
    hr_tick_cursor *cur = NULL;
    hr_tick_row row;
    assert_int_equal(hr_session_ticks(f->s, &cur), HR_OK);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(hr_tick_cursor_next(cur, &row), HR_OK);
        if (k == 3)
            for (size_t i = 0; i < row.n; i++)
                assert_false(HR_IS_KNOWN(row.values[i]));
        else
            assert_known(row.values[util - 1], 100000 + k);
    }
    hr_tick_cursor_free(cur);
}

/* Steps and events from four threads while a real-clock recorder runs. */
static void test_recorder_steps_from_threads(void **state) {
    fixture *f = *state;
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.hz = 200;
    c.probe = f->probe;
    c.refresh = fake_refresh;
    c.refresh_user = &f->script;
    f->script.work_ns = 0;
    hr_recorder *rec = NULL;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_OK);
    const step_plan plan = {.steps = 50, .units = 8, .nvalues = 2, .event_every = 5};
    run_step_threads(rec, 4, &plan);
    assert_int_equal(hr_recorder_stop(rec), HR_OK);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.steps, 200);
    assert_int_equal(info.events, 40);
    assert_true(info.ticks >= 1);
    hr_step_cursor *sc = NULL;
    hr_step step;
    int n = 0;
    assert_int_equal(hr_session_steps(f->s, &sc), HR_OK);
    while (hr_step_cursor_next(sc, &step) == HR_OK) {
        n++;
        assert_int_equal(step.nvalues, 2);
        assert_string_equal(step.names[0], "grad_norm");
        assert_string_equal(step.names[1], "loss");
        assert_true(step.duration_ns >= 0);
        assert_true(step.units == 8);
    }
    hr_step_cursor_free(sc);
    assert_int_equal(n, 200);
}

/* With a 5 s period, stop does not wait for the next deadline. */
static void test_recorder_stop_is_prompt(void **state) {
    fixture *f = *state;
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.hz = 0.2;
    c.probe = f->probe;
    c.refresh = fake_refresh;
    c.refresh_user = &f->script;
    f->script.work_ns = 0;
    hr_recorder *rec = NULL;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_OK);
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);
    assert_int_equal(hr_recorder_wait(rec, 10 * MS), HR_ETIMEDOUT);
    hr_reading r;
    assert_int_equal(hr_recorder_latest(rec, "cpu", "util", &r), HR_OK);
    assert_known(r, 100000);
    assert_int_equal(hr_recorder_latest(rec, "cpu", "nope", &r), HR_ENOENT);
    int64_t t0 = hr__now_mono_ns();
    assert_int_equal(hr_recorder_stop(rec), HR_OK);
    assert_true(hr__now_mono_ns() - t0 < 1 * SEC);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_FINISHED);
    assert_int_equal(info.ticks, 1);
}

static void test_recorder_config_errors(void **state) {
    fixture *f = *state;
    hr_recorder *rec = NULL;
    hr_record_config c = sim_config(f, 0, 0, 1);
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_EINVAL);
    c.hz = 1001;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_EINVAL);
    assert_non_null(strstr(hr_ctx_last_error(f->ctx), "1001"));
    c.hz = NAN;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_EINVAL);
    c.hz = 1;
    c.duration_ns = -1;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_EINVAL);
    c.duration_ns = 0;
    c.rle_cpu.drop_frac = 1.5;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_EINVAL);
    assert_non_null(strstr(hr_ctx_last_error(f->ctx), "drop_frac"));
    assert_null(rec);
    /* Nothing was added to the session by the refused starts. */
    assert_int_equal(hr_session_channel_count(f->s), 0);
    assert_int_equal(hr_session_add_channel(f->s, "x", "y", "count", "count", 1, NULL, NULL),
                     HR_OK);
    c.rle_cpu.drop_frac = 0.65;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_ESTATE);
    assert_int_equal(hr_recorder_start(f->ctx, NULL, &c, &rec), HR_EINVAL);
    assert_int_equal(hr_recorder_stop(NULL), HR_OK);
}

/* A storage failure (file size limit, in a child) stops recording with a
 * clear error, and what was stored stays consistent. */
static void test_recorder_storage_failure_stops(void **state) {
    fixture *f = *state;
    hr_session_close(f->s);
    f->s = NULL;
    unlink(f->path);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {1024 * 1024, 1024 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        hr_session *s = NULL;
        if (hr_session_create(f->ctx, f->path, 0, &s) != HR_OK)
            _exit(2);
        hr_record_config c = sim_config(f, 100, 3600 * SEC, 1);
        hr_recorder *rec = NULL;
        if (hr_recorder_start(f->ctx, s, &c, &rec) != HR_OK)
            _exit(3);
        if (hr_recorder_wait(rec, 60 * SEC) != HR_OK)
            _exit(4);
        hr_record_stats st = {.size = sizeof st};
        hr_recorder_stats(rec, &st);
        if (st.status != HR_ESTORE || !strstr(st.error, "file size limit") ||
            st.ticks >= 360000 || st.written < 10)
            _exit(5);
        if (hr_recorder_stop(rec) != HR_ESTORE)
            _exit(6);
        hr_session_close(s);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char text[64];
    tsu_sql_text(f->path, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
    long long ticks = tsu_sql_int(f->path, "SELECT count(*) FROM ticks");
    assert_true(ticks > 10);
    /* Every stored tick is complete: the sensor channels are on every tick. */
    assert_int_equal(
        tsu_sql_int(f->path, "SELECT count(*) FROM samples_long WHERE component = 'fakechip'"),
        2 * ticks);
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'state'", text, sizeof text);
    assert_string_equal(text, "interrupted");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorder_next_deadline),
        cmocka_unit_test_setup_teardown(test_recorder_cadence_writer_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_cadence_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_missed_ticks_writer_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_missed_ticks_inline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_always_late, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_sensor_vanishes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_failed_refresh_is_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_gpu_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_steps_from_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_stop_is_prompt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_config_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recorder_storage_failure_stops, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

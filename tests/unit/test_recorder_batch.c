/* test_recorder_batch.c: the writer's group commit. Above 10 Hz the ticks
 * sampled within 100 ms share one transaction, at 10 Hz and below every
 * tick has its own; the writer thread is woken once per batch, not once per
 * tick; every tick, step and event is in the file after a clean stop.
 * Transactions are observed with SQLite's commit hook on the session's
 * connection, independently of the recorder's own counters. */
#include <math.h>

#include "record/recorder.h"
#include "store/store.h"
#include "test_recorder_fake.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define MAX_TX 4096

/* Ticks per committed transaction, from the session's tick counter at each
 * commit (the hook runs on the committing thread, under the session lock).
 * Transactions without ticks (start-up meta, the finish) are not listed. */
typedef struct tx_log {
    hr_session *s;
    int64_t seen; /* ticks accounted for by earlier commits */
    size_t n;
    int64_t ticks[MAX_TX]; /* ticks in each tick-carrying transaction */
} tx_log;

static int on_commit(void *user) {
    tx_log *log = user;
    int64_t now = log->s->next_tick;
    if (now > log->seen && log->n < MAX_TX)
        log->ticks[log->n++] = now - log->seen;
    log->seen = now;
    return 0; /* let it commit */
}

typedef struct fixture {
    char *dir;
    char path[4200];
    hr_ctx *ctx;
    hr_session *s;
    fake_clock clock;
    hr_clock hc;
    hr_probe *probe;
    fake_script script;
    tx_log log;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = tsu_mkdtemp();
    tsu_path(f->path, sizeof f->path, f->dir, "batch.db");
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &f->s), HR_OK);
    f->log.s = f->s;
    sqlite3_commit_hook(f->s->db, on_commit, &f->log);
    fake_clock_init(&f->clock);
    f->hc = (hr_clock){fc_now, fc_wall, fc_sleep_until, &f->clock};
    f->probe = fake_probe_new();
    fake_script_init(&f->script, &f->clock, f->probe);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sqlite3_commit_hook(f->s->db, NULL, NULL);
    hr_session_close(f->s);
    fake_probe_free(f->probe);
    hr_ctx_free(f->ctx);
    tsu_rmdir(f->dir);
    free(f);
    return 0;
}

static hr_record_config sim_config(fixture *f, double hz, int64_t duration_ns) {
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.hz = hz;
    c.duration_ns = duration_ns;
    c.clock = &f->hc;
    c.probe = f->probe;
    c.refresh = fake_refresh;
    c.refresh_user = &f->script;
    f->script.work_ns = 100000; /* 0.1 ms per refresh: on time even at 1000 Hz */
    return c;
}

typedef struct outcome {
    hr_record_stats stats;
    int64_t commits; /* the recorder's own count */
    int64_t wakes;   /* the writer's wake-ups */
} outcome;

/* Runs a simulated recording to its end and stops it cleanly. */
static outcome run_sim(fixture *f, const hr_record_config *c) {
    outcome o = {.stats = {.size = sizeof o.stats}};
    hr_recorder *rec = NULL;
    if (hr_recorder_start(f->ctx, f->s, c, &rec) != HR_OK)
        fail_msg("start: %s", hr_ctx_last_error(f->ctx));
    assert_int_equal(hr_recorder_wait(rec, 60 * SEC), HR_OK);
    assert_int_equal(hr_recorder_stats(rec, &o.stats), HR_OK);
    pthread_mutex_lock(&rec->mu);
    o.commits = rec->commits;
    o.wakes = rec->writer_wakes;
    pthread_mutex_unlock(&rec->mu);
    if (hr_recorder_stop(rec) != HR_OK)
        fail_msg("stop: %s", hr_session_last_error(f->s));
    return o;
}

/* The stored tick times in order; returns their count. */
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

/* Every transaction covers at most 100 ms of sampling ([first tick, last
 * tick + period)), and the transactions account for every stored tick. */
static void check_spans(fixture *f, int64_t period_ns, int64_t nticks) {
    int64_t *t = calloc((size_t)nticks + 1, sizeof *t);
    assert_int_equal(tick_times(f->s, t, (size_t)nticks + 1), nticks);
    int64_t at = 0;
    for (size_t i = 0; i < f->log.n; i++) {
        int64_t first = t[at], last = t[at + f->log.ticks[i] - 1];
        if (f->log.ticks[i] > 1 && last - first + period_ns > HR__REC_BATCH_NS)
            fail_msg("transaction %zu holds %lld ticks over %lld ns", i, (long long)f->log.ticks[i],
                     (long long)(last - first + period_ns));
        at += f->log.ticks[i];
    }
    assert_int_equal(at, nticks);
    free(t);
}

/* The rule itself: a tick fits a batch while the batch covers at most
 * 100 ms of sampling. */
static void test_batch_rule(void **state) {
    (void)state;
    /* 1 Hz and 10 Hz: a second tick never fits. */
    assert_false(hr__rec_batch_fits(0, SEC, SEC));
    assert_false(hr__rec_batch_fits(0, 100 * MS, 100 * MS));
    assert_false(hr__rec_batch_fits(0, 95 * MS, 95 * MS)); /* 10.5 Hz: two would cover 190 ms */
    /* 20 Hz: two ticks (0 and 50 ms) cover 100 ms, a third does not fit. */
    assert_true(hr__rec_batch_fits(0, 50 * MS, 50 * MS));
    assert_false(hr__rec_batch_fits(0, 100 * MS, 50 * MS));
    /* 100 Hz: ten ticks, 0 .. 90 ms. */
    assert_true(hr__rec_batch_fits(0, 90 * MS, 10 * MS));
    assert_false(hr__rec_batch_fits(0, 100 * MS, 10 * MS));
    /* A late tick that skipped deadlines fits only within the 100 ms. */
    assert_false(hr__rec_batch_fits(0, 95 * MS, 10 * MS));
    assert_true(hr__rec_batch_fits(40 * MS, 130 * MS, 10 * MS));
}

/* 100 Hz for 10 s: 1000 ticks in 100 transactions of 10 ticks, the writer
 * woken at most once per transaction. */
static void test_batch_100hz(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 100, 10 * SEC);
    outcome o = run_sim(f, &c);
    int64_t n = o.stats.ticks;
    assert_int_equal(n, 1000);
    assert_int_equal(o.stats.written, n);
    assert_int_equal(o.stats.missed, 0);
    assert_true((int64_t)f->log.n <= n / 10 + 1);
    assert_true((int64_t)f->log.n >= n / 10);
    for (size_t i = 0; i < f->log.n; i++)
        assert_true(f->log.ticks[i] >= 1 && f->log.ticks[i] <= 10);
    assert_int_equal(o.commits, (int64_t)f->log.n);
    assert_true(o.wakes <= o.commits);
    check_spans(f, 10 * MS, n);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM ticks"), n);
    assert_int_equal(tsu_sql_int(f->path, "SELECT max(tick) FROM ticks"), n - 1);
    char text[200];
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'durability'", text, sizeof text);
    assert_non_null(strstr(text, "per batch of up to 100 ms"));
}

/* At 10 Hz and 1 Hz every tick is its own transaction. */
static void check_one_per_tick(fixture *f, double hz, int64_t duration_ns, int64_t want) {
    hr_record_config c = sim_config(f, hz, duration_ns);
    outcome o = run_sim(f, &c);
    assert_int_equal(o.stats.ticks, want);
    assert_int_equal(o.stats.written, want);
    assert_int_equal((int64_t)f->log.n, want);
    for (size_t i = 0; i < f->log.n; i++)
        assert_int_equal(f->log.ticks[i], 1);
    assert_int_equal(o.commits, want);
    char text[200];
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'durability'", text, sizeof text);
    assert_non_null(strstr(text, "one transaction per tick"));
}

static void test_batch_1hz(void **state) { check_one_per_tick(*state, 1, 30 * SEC, 30); }

static void test_batch_10hz(void **state) { check_one_per_tick(*state, 10, 5 * SEC, 50); }

/* 20 Hz: two ticks per transaction. */
static void test_batch_20hz(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 20, 3 * SEC);
    outcome o = run_sim(f, &c);
    assert_int_equal(o.stats.ticks, 60);
    assert_int_equal((int64_t)f->log.n, 30);
    for (size_t i = 0; i < f->log.n; i++)
        assert_int_equal(f->log.ticks[i], 2);
    check_spans(f, 50 * MS, 60);
}

/* 1000 Hz: a hundred ticks per transaction. */
static void test_batch_1000hz(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 1000, 2 * SEC);
    outcome o = run_sim(f, &c);
    assert_int_equal(o.stats.ticks, 2000);
    assert_int_equal(o.stats.written, 2000);
    assert_int_equal((int64_t)f->log.n, 20);
    for (size_t i = 0; i < f->log.n; i++)
        assert_int_equal(f->log.ticks[i], 100);
    check_spans(f, 1 * MS, 2000);
}

/* A slow tick skips deadlines: the batch then closes on sampling time, not
 * on a count, so no transaction covers more than 100 ms. Tick 15 (150 ms)
 * takes 45 ms, so 160 .. 190 ms are missed: the batch that began at 100 ms
 * has 6 ticks and the tick at 200 ms starts the next one. */
static void test_batch_missed_ticks(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 100, 2 * SEC);
    f->script.slow_tick = 15;
    f->script.slow_ns = 45 * MS;
    outcome o = run_sim(f, &c);
    assert_int_equal(o.stats.missed, 4);
    assert_int_equal(o.stats.ticks, 196);
    assert_int_equal((int64_t)f->log.n, 20);
    assert_int_equal(f->log.ticks[0], 10);
    assert_int_equal(f->log.ticks[1], 6);
    assert_int_equal(f->log.ticks[2], 10);
    check_spans(f, 10 * MS, 196);
}

/* A small queue closes a batch when it fills, so the sampler never waits
 * on a writer that is waiting for the batch to close. */
static void test_batch_small_queue(void **state) {
    fixture *f = *state;
    hr_record_config c = sim_config(f, 100, 1 * SEC);
    c.queue_ticks = 4;
    outcome o = run_sim(f, &c);
    assert_int_equal(o.stats.ticks, 100);
    assert_int_equal(o.stats.written, 100);
    assert_true(o.stats.queue_max <= 4);
    for (size_t i = 0; i < f->log.n; i++)
        assert_true(f->log.ticks[i] <= 4);
}

/* The real clock at 100 Hz with steps and events from two threads joining
 * the batches: after a clean stop every tick, step and event is stored,
 * transactions hold at most 10 ticks and the writer woke about once per
 * batch (once per tick would be ten times as many). */
static void test_batch_real_clock_steps(void **state) {
    fixture *f = *state;
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.hz = 100;
    c.probe = f->probe;
    c.refresh = fake_refresh;
    c.refresh_user = &f->script;
    f->script.work_ns = 0;
    hr_recorder *rec = NULL;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_OK);
    const step_plan plan = {.steps = 40, .units = 1, .nvalues = 1, .event_every = 4,
                            .pause_ns = 3 * MS};
    run_step_threads(rec, 2, &plan);
    hr_record_stats st = {.size = sizeof st};
    assert_int_equal(hr_recorder_stats(rec, &st), HR_OK);
    pthread_mutex_lock(&rec->mu);
    int64_t wakes = rec->writer_wakes, commits = rec->commits;
    pthread_mutex_unlock(&rec->mu);
    assert_true(st.ticks >= 10);
    assert_true(wakes <= commits + 1);
    assert_int_equal(hr_recorder_stop(rec), HR_OK);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_FINISHED);
    assert_int_equal(info.steps, 80);
    assert_int_equal(info.events, 20);
    int64_t ticks = info.ticks;
    assert_true(ticks >= st.ticks);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM ticks"), ticks);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM steps"), 80);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM step_values"), 80);
    /* Batches start more than 100 ms - period apart (a late tick that does
     * not fit closes one early), so over the sampled deadlines: */
    int64_t span_ns = (ticks + info.missed_ticks) * 10 * MS;
    assert_true((int64_t)f->log.n <= span_ns / (90 * MS) + 2);
    for (size_t i = 0; i < f->log.n; i++)
        assert_true(f->log.ticks[i] >= 1 && f->log.ticks[i] <= 10);
}

/* A refresh that hangs (a GPU falling off the bus) leaves a batch open: the
 * writer stores it after HR__REC_BATCH_STALL_NS of real time, so a kill -9
 * during the hang still loses at most about the last second. */
static hr_status stalling_refresh(hr_probe *p, void *user) {
    fake_script *sc = user;
    if (sc->tick == 4) {
        struct timespec ts = {1, 500 * MS};
        nanosleep(&ts, NULL);
    }
    return fake_refresh(p, user);
}

static void test_batch_stalled_sampler_is_stored(void **state) {
    fixture *f = *state;
    hr_record_config c;
    hr_record_config_defaults(&c);
    c.hz = 100;
    c.probe = f->probe;
    c.refresh = stalling_refresh;
    c.refresh_user = &f->script;
    f->script.work_ns = 0;
    hr_recorder *rec = NULL;
    assert_int_equal(hr_recorder_start(f->ctx, f->s, &c, &rec), HR_OK);
    /* Ticks 0-3 open a batch at ~0-30 ms; the fifth refresh hangs 1.5 s. */
    struct timespec ts = {1, 100 * MS};
    nanosleep(&ts, NULL);
    /* 1.1 s in, the fifth refresh still hangs: the four ticks before it
     * are in the file, read through another connection. */
    int64_t stored = tsu_sql_int(f->path, "SELECT count(*) FROM ticks");
    assert_int_equal(hr_recorder_stop(rec), HR_OK);
    assert_int_equal(stored, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_rule),
        cmocka_unit_test_setup_teardown(test_batch_100hz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_1hz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_10hz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_20hz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_1000hz, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_missed_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_small_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_real_clock_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_stalled_sampler_is_stored, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_store.c: the session store: round trips, schema and version checks,
 * argument and state errors, recovery of interrupted sessions, read-only
 * targets and a full disk. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "test_store_util.h"

typedef struct fixture {
    char *dir;
    char path[4096];
    hr_ctx *ctx;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = tsu_mkdtemp();
    tsu_path(f->path, sizeof f->path, f->dir, "s.db");
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hr_ctx_free(f->ctx);
    tsu_rmdir(f->dir);
    free(f);
    return 0;
}

/* Three channels; ticks at 1 s with channel 2 missing on tick 1. */
static hr_session *make_session(fixture *f) {
    hr_session *s = NULL;
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &s), HR_OK);
    int32_t id = 0;
    assert_int_equal(hr_session_add_channel(s, "cpu", "util", "ppm", "ratio", 1e-6, "busy", &id),
                     HR_OK);
    assert_int_equal(id, 1);
    assert_int_equal(hr_session_add_channel(s, "cpu", "temp", "mc", "celsius", 1e-3, NULL, &id),
                     HR_OK);
    assert_int_equal(id, 2);
    assert_int_equal(
        hr_session_add_channel(s, "mem", "available", "bytes", "bytes", 1, NULL, &id), HR_OK);
    assert_int_equal(id, 3);
    return s;
}

static void write_ticks(hr_session *s, int n) {
    for (int k = 0; k < n; k++) {
        hr_reading v[3] = {hr__known(250000 + k), hr__known(45000 + 1000 * k),
                           hr__known(8000000000LL + k)};
        if (k == 1)
            v[1] = hr__unknown(HR_WHY_VANISHED, 0);
        int64_t tick = -1;
        assert_int_equal(hr_session_write_tick(s, 1000000000LL * (k + 1),
                                               1700000000000000000LL + 1000000000LL * k, v, 3,
                                               &tick),
                         HR_OK);
        assert_int_equal(tick, k);
    }
}

static void test_store_round_trip(void **state) {
    fixture *f = *state;
    hr_session *s = make_session(f);
    assert_int_equal(hr_session_set_meta_i64(s, "start_mono_ns", 1000000000LL), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(s, "start_wall_ns", 1700000000000000000LL), HR_OK);
    assert_int_equal(hr_session_set_meta(s, "notes", "first \"run\""), HR_OK);
    assert_int_equal(hr_session_set_tag(s, "model", "sdxl"), HR_OK);
    write_ticks(s, 4);
    const char *names[] = {"loss", "lr"};
    double vals[] = {0.5, NAN};
    hr_step step = {7, 2500000000LL, 1700000001500000000LL, 800000000LL, 16, 2, names, vals};
    assert_int_equal(hr_session_add_step(s, &step), HR_OK);
    int64_t ev = 0;
    assert_int_equal(hr_session_add_event(s, "collapse", 2000000000LL, 0, "cpu: hot", &ev), HR_OK);
    assert_int_equal(hr_session_end_event(s, ev, 3000000000LL), HR_OK);
    assert_int_equal(hr_session_add_event(s, "mark", 3500000000LL, 0, NULL, NULL), HR_OK);
    assert_int_equal(hr_session_finish(s, 4000000000LL, 1700000003000000000LL, 1.0, 2), HR_OK);
    assert_int_equal(hr_session_close(s), HR_OK);

    assert_int_equal(hr_session_open(f->ctx, f->path, HR_SESSION_READONLY, &s), HR_OK);
    assert_int_equal(hr_session_channel_count(s), 3);
    const hr_channel *c = hr_session_channel(s, 1);
    assert_string_equal(c->component, "cpu");
    assert_string_equal(c->metric, "temp");
    assert_string_equal(c->unit, "mc");
    assert_string_equal(c->base_unit, "celsius");
    assert_true(c->scale == 1e-3);
    assert_string_equal(hr_session_channel(s, 0)->label, "busy");
    assert_null(hr_session_channel(s, 3));
    assert_int_equal(hr_session_find_channel(s, "mem", "available"), 3);
    assert_int_equal(hr_session_find_channel(s, "mem", "nope"), 0);

    hr_tick_cursor *tc = NULL;
    assert_int_equal(hr_session_ticks(s, &tc), HR_OK);
    hr_tick_row row;
    for (int k = 0; k < 4; k++) {
        assert_int_equal(hr_tick_cursor_next(tc, &row), HR_OK);
        assert_int_equal(row.tick, k);
        assert_int_equal(row.t_mono_ns, 1000000000LL * (k + 1));
        assert_int_equal(row.n, 3);
        assert_known(row.values[0], 250000 + k);
        if (k == 1)
            assert_unknown(row.values[1], HR_WHY_ABSENT); /* missing, never 0 */
        else
            assert_known(row.values[1], 45000 + 1000 * k);
        assert_known(row.values[2], 8000000000LL + k);
    }
    assert_int_equal(hr_tick_cursor_next(tc, &row), HR_ENOENT);
    hr_tick_cursor_free(tc);

    hr_step_cursor *sc = NULL;
    hr_step st;
    assert_int_equal(hr_session_steps(s, &sc), HR_OK);
    assert_int_equal(hr_step_cursor_next(sc, &st), HR_OK);
    assert_int_equal(st.index, 7);
    assert_int_equal(st.duration_ns, 800000000LL);
    assert_true(st.units == 16);
    assert_int_equal(st.nvalues, 2);
    assert_string_equal(st.names[0], "loss");
    assert_true(st.values[0] == 0.5);
    assert_string_equal(st.names[1], "lr");
    assert_true(isnan(st.values[1]));
    assert_int_equal(hr_step_cursor_next(sc, &st), HR_ENOENT);
    hr_step_cursor_free(sc);

    hr_event_cursor *ec = NULL;
    hr_event e;
    assert_int_equal(hr_session_events(s, &ec), HR_OK);
    assert_int_equal(hr_event_cursor_next(ec, &e), HR_OK);
    assert_string_equal(e.kind, "collapse");
    assert_int_equal(e.start_mono_ns, 2000000000LL);
    assert_int_equal(e.end_mono_ns, 3000000000LL);
    assert_string_equal(e.detail, "cpu: hot");
    assert_int_equal(hr_event_cursor_next(ec, &e), HR_OK);
    assert_string_equal(e.kind, "mark");
    assert_int_equal(e.end_mono_ns, 0);
    assert_int_equal(hr_event_cursor_next(ec, &e), HR_ENOENT);
    hr_event_cursor_free(ec);

    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_FINISHED);
    assert_int_equal(info.schema_version, HR_SESSION_SCHEMA_VERSION);
    assert_int_equal(info.ticks, 4);
    assert_int_equal(info.missed_ticks, 2);
    assert_int_equal(info.steps, 1);
    assert_int_equal(info.events, 2);
    assert_true(fabs(info.achieved_hz - 1.0) < 1e-9);
    assert_true(info.requested_hz == 1.0);
    assert_int_equal(info.start_mono_ns, 1000000000LL);
    assert_int_equal(info.end_mono_ns, 4000000000LL);

    char *notes = NULL;
    assert_int_equal(hr_session_get_meta(s, "notes", &notes), HR_OK);
    assert_string_equal(notes, "first \"run\"");
    hr_free(notes);
    assert_int_equal(hr_session_get_meta(s, "no-such-key", &notes), HR_ENOENT);
    assert_null(notes);

    char *json = NULL;
    assert_int_equal(hr_session_meta_json(s, 2, &json), HR_OK);
    assert_non_null(strstr(json, "\"state\": \"finished\""));
    assert_non_null(strstr(json, "\"model\": \"sdxl\""));
    assert_non_null(strstr(json, "\"component\": \"mem\""));
    assert_non_null(strstr(json, "\"missed_ticks\": 2"));
    assert_null(strstr(json, "writer_boot_id"));
    hr_free(json);
    /* A read-only handle refuses writes. */
    assert_int_equal(hr_session_set_meta(s, "x", "y"), HR_ESTATE);
    assert_int_equal(hr_session_begin_tick(s, 9000000000LL, 0, NULL), HR_ESTATE);
    assert_int_equal(hr_session_close(s), HR_OK);
}

/* The long-form view gives base units and leaves missing readings out. */
static void test_store_views_long_form(void **state) {
    fixture *f = *state;
    hr_session *s = make_session(f);
    write_ticks(s, 3);
    assert_int_equal(hr_session_close(s), HR_OK);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples_long"), 8);
    assert_int_equal(
        tsu_sql_int(f->path, "SELECT count(*) FROM samples_long WHERE metric = 'temp'"), 2);
    char text[128];
    tsu_sql_text(f->path,
                 "SELECT unit || ' ' || printf('%.3f', value) || ' ' || time_utc FROM samples_long "
                 "WHERE tick = 2 AND metric = 'temp'",
                 text, sizeof text);
    assert_string_equal(text, "celsius 47.000 2023-11-14T22:13:22.000Z");
    tsu_sql_text(f->path,
                 "SELECT printf('%.2f', value) FROM samples_long WHERE tick = 0 AND metric = 'util'",
                 text, sizeof text);
    assert_string_equal(text, "0.25");
    assert_int_equal(tsu_sql_int(f->path, "PRAGMA user_version"), HR_SESSION_SCHEMA_VERSION);
    assert_int_equal(
        tsu_sql_int(f->path, "SELECT value FROM meta WHERE key = 'schema_version'"),
        HR_SESSION_SCHEMA_VERSION);
    char mode[16];
    tsu_sql_text(f->path, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
}

static void test_store_refuses_other_files(void **state) {
    fixture *f = *state;
    hr_session *s = NULL;
    char p[4200];
    tsu_path(p, sizeof p, f->dir, "missing.db");
    assert_int_equal(hr_session_open(f->ctx, p, 0, &s), HR_ENOENT);
    assert_null(s);
    /* Not SQLite at all. */
    tsu_path(p, sizeof p, f->dir, "junk.db");
    FILE *fp = fopen(p, "w");
    fputs("timestamp,device\n1,2\n", fp);
    fclose(fp);
    assert_int_equal(hr_session_open(f->ctx, p, 0, &s), HR_EPARSE);
    assert_non_null(strstr(hr_ctx_last_error(f->ctx), "not a headroom session"));
    /* SQLite, but not a session. */
    tsu_path(p, sizeof p, f->dir, "other.db");
    sqlite3 *db = NULL;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_int_equal(hr_session_open(f->ctx, p, 0, &s), HR_EPARSE);
    /* A session from a newer headroom. */
    s = make_session(f);
    assert_int_equal(hr_session_finish(s, 1, 1, 0, 0), HR_OK);
    hr_session_close(s);
    sqlite3_open(f->path, &db);
    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_int_equal(hr_session_open(f->ctx, f->path, 0, &s), HR_ENOTSUP);
    assert_non_null(strstr(hr_ctx_last_error(f->ctx), "99"));
    /* Bad flags and arguments. */
    assert_int_equal(hr_session_open(f->ctx, f->path, 0x80, &s), HR_EINVAL);
    assert_int_equal(hr_session_create(f->ctx, "", 0, &s), HR_EINVAL);
}

static void test_store_create_existing(void **state) {
    fixture *f = *state;
    hr_session *s = make_session(f);
    hr_session_close(s);
    hr_session *t = NULL;
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &t), HR_EINVAL);
    assert_non_null(strstr(hr_ctx_last_error(f->ctx), "already exists"));
    assert_int_equal(hr_session_create(f->ctx, f->path, HR_SESSION_OVERWRITE, &t), HR_OK);
    assert_int_equal(hr_session_channel_count(t), 0);
    hr_session_close(t);
}

static void test_store_argument_and_state_errors(void **state) {
    fixture *f = *state;
    hr_session *s = make_session(f);
    int32_t id = 0;
    assert_int_equal(hr_session_add_channel(s, "cpu", "util", "ppm", "ratio", 1e-6, NULL, &id),
                     HR_EINVAL); /* duplicate */
    assert_int_equal(hr_session_add_channel(s, "", "x", "ppm", "ratio", 1, NULL, &id), HR_EINVAL);
    assert_int_equal(hr_session_add_channel(s, "a", "x", "ppm", "ratio", 0, NULL, &id), HR_EINVAL);
    assert_int_equal(hr_session_add_channel(s, "a", "x", "ppm", "ratio", NAN, NULL, &id),
                     HR_EINVAL);
    assert_int_equal(hr_session_put(s, 1, 5), HR_ESTATE);
    assert_int_equal(hr_session_commit_tick(s), HR_ESTATE);
    assert_int_equal(hr_session_begin_tick(s, 100, 100, NULL), HR_OK);
    assert_int_equal(hr_session_begin_tick(s, 200, 200, NULL), HR_ESTATE);
    assert_int_equal(hr_session_put(s, 1, 5), HR_OK);
    assert_int_equal(hr_session_put(s, 1, 6), HR_EINVAL); /* twice on one tick */
    assert_int_equal(hr_session_put(s, 4, 6), HR_EINVAL); /* no such channel */
    assert_int_equal(hr_session_put(s, 0, 6), HR_EINVAL);
    assert_int_equal(hr_session_add_channel(s, "x", "y", "ppm", "ratio", 1, NULL, &id), HR_ESTATE);
    assert_int_equal(hr_session_finish(s, 1, 1, 0, 0), HR_ESTATE);
    assert_int_equal(hr_session_commit_tick(s), HR_OK);
    assert_int_equal(hr_session_begin_tick(s, 100, 100, NULL), HR_EINVAL); /* time not after */
    /* An aborted tick leaves nothing behind and does not use its number. */
    int64_t tick = -1;
    assert_int_equal(hr_session_begin_tick(s, 150, 150, &tick), HR_OK);
    assert_int_equal(tick, 1);
    assert_int_equal(hr_session_put(s, 2, 7), HR_OK);
    hr_session_abort_tick(s);
    assert_int_equal(hr_session_begin_tick(s, 160, 160, &tick), HR_OK);
    assert_int_equal(tick, 1);
    assert_int_equal(hr_session_commit_tick(s), HR_OK);
    assert_int_equal(hr_session_add_event(s, "", 1, 0, NULL, NULL), HR_EINVAL);
    assert_int_equal(hr_session_add_event(s, "k", 10, 5, NULL, NULL), HR_EINVAL);
    assert_int_equal(hr_session_end_event(s, 12345, 10), HR_EINVAL);
    const char *dup[] = {"loss", "loss"};
    double dv[] = {1, 2};
    hr_step step = {1, 1, 1, -1, NAN, 2, dup, dv};
    assert_int_equal(hr_session_add_step(s, &step), HR_EINVAL);
    assert_int_equal(hr_session_set_meta(s, "", "v"), HR_EINVAL);
    assert_int_equal(hr_session_set_sync_interval(s, -1), HR_EINVAL);
    hr_reading v[4] = {hr__known(1), hr__known(2), hr__known(3), hr__known(4)};
    assert_int_equal(hr_session_write_tick(s, 500, 500, v, 4, NULL), HR_EINVAL);
    assert_int_equal(hr_session_close(s), HR_OK);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM ticks"), 2);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), 1);
}

static void test_store_channel_limit(void **state) {
    fixture *f = *state;
    hr_session *s = NULL;
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &s), HR_OK);
    char m[32];
    for (int i = 0; i < HR_SESSION_MAX_CHANNELS; i++) {
        snprintf(m, sizeof m, "m%d", i);
        assert_int_equal(hr_session_add_channel(s, "c", m, "count", "count", 1, NULL, NULL), HR_OK);
    }
    assert_int_equal(hr_session_add_channel(s, "c", "last", "count", "count", 1, NULL, NULL),
                     HR_EINVAL);
    /* The highest channel id packs into the key without touching the tick. */
    assert_int_equal(hr_session_begin_tick(s, 10, 10, NULL), HR_OK);
    assert_int_equal(hr_session_put(s, HR_SESSION_MAX_CHANNELS, 42), HR_OK);
    assert_int_equal(hr_session_put(s, 1, 41), HR_OK);
    assert_int_equal(hr_session_commit_tick(s), HR_OK);
    assert_int_equal(hr_session_close(s), HR_OK);
    assert_int_equal(hr_session_open(f->ctx, f->path, 0, &s), HR_OK);
    hr_tick_cursor *tc = NULL;
    hr_tick_row row;
    assert_int_equal(hr_session_ticks(s, &tc), HR_OK);
    assert_int_equal(hr_tick_cursor_next(tc, &row), HR_OK);
    assert_known(row.values[HR_SESSION_MAX_CHANNELS - 1], 42);
    assert_known(row.values[0], 41);
    assert_unknown(row.values[1], HR_WHY_ABSENT);
    hr_tick_cursor_free(tc);
    hr_session_close(s);
}

/* A child that records N ticks and dies by SIGKILL without closing. */
static void record_and_die(fixture *f, int n) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        hr_ctx *ctx = NULL;
        hr_ctx_new(&ctx);
        hr_session *s = NULL;
        if (hr_session_create(ctx, f->path, 0, &s) != HR_OK)
            _exit(3);
        hr_session_add_channel(s, "cpu", "util", "ppm", "ratio", 1e-6, NULL, NULL);
        hr_session_set_meta_i64(s, "start_mono_ns", 1000);
        for (int k = 0; k < n; k++) {
            hr_reading v = hr__known(k);
            if (hr_session_write_tick(s, 1000 + 1000LL * k, 5000 + 1000LL * k, &v, 1, NULL) !=
                HR_OK)
                _exit(4);
        }
        kill(getpid(), SIGKILL);
        _exit(5);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_store_reopen_marks_interrupted(void **state) {
    fixture *f = *state;
    record_and_die(f, 5);
    char text[64];
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'state'", text, sizeof text);
    assert_string_equal(text, "running");
    /* A read-only open reports the recovered state without writing it. */
    hr_session *s = NULL;
    hr_status ost = hr_session_open(f->ctx, f->path, HR_SESSION_READONLY, &s);
    if (ost != HR_OK)
        fail_msg("%s", hr_ctx_last_error(f->ctx));
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_INTERRUPTED);
    assert_int_equal(info.end_mono_ns, 5000);
    assert_int_equal(info.ticks, 5);
    hr_session_close(s);
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'state'", text, sizeof text);
    assert_string_equal(text, "running");
    /* A writable open marks it, with the last tick's times as its end. */
    ost = hr_session_open(f->ctx, f->path, 0, &s);
    if (ost != HR_OK)
        fail_msg("%s", hr_ctx_last_error(f->ctx));
    info.size = sizeof info;
    assert_int_equal(hr_session_info_get(s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_INTERRUPTED);
    assert_int_equal(info.end_mono_ns, 5000);
    assert_int_equal(info.end_wall_ns, 9000);
    hr_session_close(s);
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'state'", text, sizeof text);
    assert_string_equal(text, "interrupted");
    assert_int_equal(tsu_sql_int(f->path, "SELECT value FROM meta WHERE key = 'end_mono_ns'"),
                     5000);
    tsu_sql_text(f->path, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
}

/* A session whose writer is alive (this process) is not marked. */
static void test_store_live_writer_not_interrupted(void **state) {
    fixture *f = *state;
    hr_session *w = make_session(f);
    write_ticks(w, 2);
    hr_session *r = NULL;
    assert_int_equal(hr_session_open(f->ctx, f->path, 0, &r), HR_OK);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(r, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_RUNNING);
    assert_int_equal(info.end_mono_ns, 0);
    hr_session_close(r);
    /* The writer goes on, then closes without finishing: interrupted at its last tick. */
    hr_reading v[3] = {hr__known(1), hr__known(2), hr__known(3)};
    assert_int_equal(hr_session_write_tick(w, 9000000000LL, 9100000000LL, v, 3, NULL), HR_OK);
    assert_int_equal(hr_session_close(w), HR_OK);
    char text[64];
    tsu_sql_text(f->path, "SELECT value FROM meta WHERE key = 'state'", text, sizeof text);
    assert_string_equal(text, "interrupted");
    assert_int_equal(tsu_sql_int(f->path, "SELECT value FROM meta WHERE key = 'end_wall_ns'"),
                     9100000000LL);
}

/* Runs FN in a child as user nobody when we are root (root ignores file
 * modes); returns the child's exit code. */
static int as_unprivileged(int (*fn)(void *), void *arg) {
    pid_t pid = fork();
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(90);
        _exit(fn(arg));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int try_create_readonly_dir(void *arg) {
    fixture *f = arg;
    char p[4200];
    tsu_path(p, sizeof p, f->dir, "ro/s.db");
    hr_ctx *ctx = NULL;
    hr_ctx_new(&ctx);
    hr_session *s = NULL;
    hr_status st = hr_session_create(ctx, p, 0, &s);
    const char *err = hr_ctx_last_error(ctx);
    int ok = st == HR_ESTORE && !s && strstr(err, "permission denied") && strstr(err, p) &&
             access(p, F_OK) != 0;
    if (!ok)
        fprintf(stderr, "create in read-only dir: %s: %s\n", hr_status_name(st), err);
    hr_ctx_free(ctx);
    return ok ? 0 : 1;
}

static int try_write_readonly_file(void *arg) {
    fixture *f = arg;
    hr_ctx *ctx = NULL;
    hr_ctx_new(&ctx);
    hr_session *s = NULL;
    hr_status st = hr_session_open(ctx, f->path, 0, &s);
    if (st != HR_OK)
        fprintf(stderr, "open read-only file: %s\n", hr_ctx_last_error(ctx));
    int ok = st == HR_OK && hr_session_readonly(s) &&
             hr_session_set_meta(s, "k", "v") == HR_ESTATE &&
             strstr(hr_session_last_error(s), "read-only") != NULL &&
             hr_session_channel_count(s) == 3;
    hr_session_close(s);
    hr_ctx_free(ctx);
    return ok ? 0 : 1;
}

static void test_store_readonly_targets(void **state) {
    fixture *f = *state;
    chmod(f->dir, 0755);
    char ro[4200];
    tsu_path(ro, sizeof ro, f->dir, "ro");
    assert_int_equal(mkdir(ro, 0555), 0);
    assert_int_equal(as_unprivileged(try_create_readonly_dir, f), 0);
    /* An existing session that is not writable opens read-only, with its data. */
    hr_session *s = make_session(f);
    write_ticks(s, 2);
    hr_session_finish(s, 5, 5, 1, 0);
    hr_session_close(s);
    chmod(f->path, 0444);
    assert_int_equal(as_unprivileged(try_write_readonly_file, f), 0);
}

/* A child limited to a small file size (RLIMIT_FSIZE, SIGXFSZ ignored, so
 * writes fail with EFBIG as on a full disk) records until the store fails. */
static void test_store_disk_full(void **state) {
    fixture *f = *state;
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {2 * 1024 * 1024, 2 * 1024 * 1024};
        setrlimit(RLIMIT_FSIZE, &rl);
        hr_ctx *ctx = NULL;
        hr_ctx_new(&ctx);
        hr_session *s = NULL;
        if (hr_session_create(ctx, f->path, 0, &s) != HR_OK)
            _exit(3);
        char m[16];
        for (int i = 0; i < 60; i++) {
            snprintf(m, sizeof m, "m%d", i);
            hr_session_add_channel(s, "c", m, "count", "count", 1, NULL, NULL);
        }
        hr_reading v[60];
        hr_status st = HR_OK;
        long k;
        for (k = 0; k < 100000 && st == HR_OK; k++) {
            for (int i = 0; i < 60; i++)
                v[i] = hr__known(k * 1000003 + i);
            st = hr_session_write_tick(s, 1 + k, 1 + k, v, 60, NULL);
        }
        char msg[600];
        snprintf(msg, sizeof msg, "%d %ld %s", (int)st, k - 1, hr_session_last_error(s));
        if (write(pipefd[1], msg, strlen(msg)) < 0)
            _exit(6);
        hr_session_close(s);
        _exit(0);
    }
    close(pipefd[1]);
    char msg[600] = "";
    ssize_t n = read(pipefd[0], msg, sizeof msg - 1);
    close(pipefd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(n > 0);
    msg[n] = '\0';
    int st = -1;
    long committed = -1;
    sscanf(msg, "%d %ld", &st, &committed);
    if (st != HR_ESTORE)
        fail_msg("%s", msg);
    print_message("disk full: %s\n", msg);
    if (!strstr(msg, "file size limit") && !strstr(msg, "disk is full"))
        fail_msg("unclear disk-full error: %s", msg);
    assert_non_null(strstr(msg, f->path));
    assert_non_null(strstr(msg, "SQLite"));
    assert_true(committed > 10);
    /* What was committed before is intact and complete. */
    char text[64];
    tsu_sql_text(f->path, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
    long long ticks = tsu_sql_int(f->path, "SELECT count(*) FROM ticks");
    assert_true(ticks >= committed - 1 && ticks <= committed);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), ticks * 60);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_views_long_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_refuses_other_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_create_existing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_argument_and_state_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_channel_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_reopen_marks_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_live_writer_not_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_readonly_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_disk_full, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

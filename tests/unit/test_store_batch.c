/* test_store_batch.c: group commit in the store (store/batch.h). A batch
 * is one transaction: another connection sees none of its ticks, steps or
 * events until it commits, then all of them; a rolled-back or failed batch
 * leaves the session after its last committed tick, and the numbering goes
 * on from there; closing with a batch or a tick open ends the session at
 * its last committed tick. */
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "store/batch.h"
#include "test_store_util.h"

#define SEC 1000000000LL

typedef struct fixture {
    char *dir;
    char path[4096];
    hr_ctx *ctx;
    hr_session *s;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = tsu_mkdtemp();
    tsu_path(f->path, sizeof f->path, f->dir, "b.db");
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &f->s), HR_OK);
    assert_int_equal(hr_session_add_channel(f->s, "cpu", "util", "ppm", "ratio", 1e-6, NULL, NULL),
                     HR_OK);
    assert_int_equal(
        hr_session_add_channel(f->s, "mem", "available", "bytes", "bytes", 1, NULL, NULL), HR_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hr_session_close(f->s);
    hr_ctx_free(f->ctx);
    tsu_rmdir(f->dir);
    free(f);
    return 0;
}

/* Tick K at K seconds with both channels known; returns its number. */
static int64_t tick(hr_session *s, int k) {
    int64_t n = -1;
    assert_int_equal(hr_session_begin_tick(s, k * SEC, 1700000000 * SEC + k * SEC, &n), HR_OK);
    assert_int_equal(hr_session_put(s, 1, 100000 + k), HR_OK);
    assert_int_equal(hr_session_put(s, 2, 8000000000LL - k), HR_OK);
    assert_int_equal(hr_session_commit_tick(s), HR_OK);
    return n;
}

static long long ticks_on_disk(fixture *f) {
    return tsu_sql_int(f->path, "SELECT count(*) FROM ticks");
}

static void test_batch_one_transaction(void **state) {
    fixture *f = *state;
    assert_int_equal(tick(f->s, 1), 0);
    assert_int_equal(hr__session_begin_batch(f->s), HR_OK);
    for (int k = 2; k <= 6; k++)
        assert_int_equal(tick(f->s, k), k - 1);
    const char *names[] = {"loss"};
    double v[] = {0.5};
    hr_step step = {7, 3 * SEC, 3 * SEC, SEC, 1.0, 1, names, v};
    assert_int_equal(hr_session_add_step(f->s, &step), HR_OK);
    int64_t ev = 0;
    assert_int_equal(hr_session_add_event(f->s, "mark", 4 * SEC, 0, "in a batch", &ev), HR_OK);
    assert_int_equal(hr_session_end_event(f->s, ev, 5 * SEC), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(f->s, "missed_ticks", 2), HR_OK);
    /* Nothing of the batch is visible to another connection yet. */
    assert_int_equal(ticks_on_disk(f), 1);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), 2);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM steps"), 0);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM events"), 0);
    assert_int_equal(hr__session_commit_batch(f->s), HR_OK);
    /* Now all of it. */
    assert_int_equal(ticks_on_disk(f), 6);
    assert_int_equal(tsu_sql_int(f->path, "SELECT max(tick) FROM ticks"), 5);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), 12);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM steps"), 1);
    assert_int_equal(tsu_sql_int(f->path, "SELECT end_mono_ns FROM events"), 5 * SEC);
    assert_int_equal(tsu_sql_int(f->path, "SELECT value FROM meta WHERE key = 'missed_ticks'"), 2);
    /* A tick outside a batch is its own transaction again. */
    assert_int_equal(tick(f->s, 7), 6);
    assert_int_equal(ticks_on_disk(f), 7);
}

static void test_batch_abort(void **state) {
    fixture *f = *state;
    assert_int_equal(tick(f->s, 1), 0);
    assert_int_equal(hr__session_begin_batch(f->s), HR_OK);
    tick(f->s, 2);
    tick(f->s, 3);
    hr__session_abort_batch(f->s);
    assert_int_equal(ticks_on_disk(f), 1);
    /* Numbering and times go on from the last committed tick: tick 1 may
     * again be at 2 s. */
    assert_int_equal(tick(f->s, 2), 1);
    /* hr_session_abort_tick inside a batch drops the whole batch. */
    assert_int_equal(hr__session_begin_batch(f->s), HR_OK);
    tick(f->s, 3);
    assert_int_equal(hr_session_begin_tick(f->s, 4 * SEC, 4 * SEC, NULL), HR_OK);
    assert_int_equal(hr_session_put(f->s, 1, 1), HR_OK);
    hr_session_abort_tick(f->s);
    assert_int_equal(hr__session_commit_batch(f->s), HR_ESTATE);
    assert_non_null(strstr(hr_session_last_error(f->s), "no batch open"));
    assert_int_equal(ticks_on_disk(f), 2);
    assert_int_equal(tick(f->s, 3), 2);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), 6);
    hr__session_abort_batch(f->s); /* none open: nothing happens */
    assert_int_equal(ticks_on_disk(f), 3);
}

static void test_batch_state_errors(void **state) {
    fixture *f = *state;
    assert_int_equal(hr__session_begin_batch(NULL), HR_EINVAL);
    assert_int_equal(hr__session_commit_batch(NULL), HR_EINVAL);
    hr__session_abort_batch(NULL);
    assert_int_equal(hr__session_commit_batch(f->s), HR_ESTATE);
    assert_int_equal(hr__session_begin_batch(f->s), HR_OK);
    assert_int_equal(hr__session_begin_batch(f->s), HR_ESTATE);
    /* A tick still open: the batch cannot commit, and stays usable. */
    assert_int_equal(hr_session_begin_tick(f->s, SEC, SEC, NULL), HR_OK);
    assert_int_equal(hr__session_commit_batch(f->s), HR_ESTATE);
    assert_non_null(strstr(hr_session_last_error(f->s), "tick open"));
    assert_int_equal(hr_session_put(f->s, 1, 7), HR_OK);
    assert_int_equal(hr_session_commit_tick(f->s), HR_OK);
    assert_int_equal(hr__session_commit_batch(f->s), HR_OK);
    assert_int_equal(ticks_on_disk(f), 1);
    /* A tick open outside a batch refuses one. */
    assert_int_equal(hr_session_begin_tick(f->s, 2 * SEC, 2 * SEC, NULL), HR_OK);
    assert_int_equal(hr__session_begin_batch(f->s), HR_ESTATE);
    assert_int_equal(hr_session_commit_tick(f->s), HR_OK);
    /* A read-only session has none. */
    assert_int_equal(hr_session_finish(f->s, 3 * SEC, 3 * SEC, 1, 0), HR_OK);
    hr_session_close(f->s);
    assert_int_equal(hr_session_open(f->ctx, f->path, HR_SESSION_READONLY, &f->s), HR_OK);
    assert_int_equal(hr__session_begin_batch(f->s), HR_ESTATE);
}

/* Closing a writer with a batch (or a lone tick) open keeps only what was
 * committed and ends the session at its last committed tick. */
static void check_close_open(fixture *f, int batch) {
    tick(f->s, 1);
    tick(f->s, 2);
    if (batch) {
        assert_int_equal(hr__session_begin_batch(f->s), HR_OK);
        tick(f->s, 3);
    }
    assert_int_equal(hr_session_begin_tick(f->s, 4 * SEC, 4 * SEC, NULL), HR_OK);
    assert_int_equal(hr_session_put(f->s, 1, 1), HR_OK);
    assert_int_equal(hr_session_close(f->s), HR_OK);
    f->s = NULL;
    assert_int_equal(ticks_on_disk(f), 2);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), 4);
    assert_int_equal(hr_session_open(f->ctx, f->path, HR_SESSION_READONLY, &f->s), HR_OK);
    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_INTERRUPTED);
    assert_int_equal(info.ticks, 2);
    assert_int_equal(info.end_mono_ns, 2 * SEC);
}

static void test_batch_close_with_batch_open(void **state) { check_close_open(*state, 1); }

static void test_batch_close_with_tick_open(void **state) { check_close_open(*state, 0); }

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* A batch whose writes fail (file size limit: EFBIG, as a full disk) is
 * rolled back whole, with the failure described; once space is back the
 * numbering goes on after the last committed tick. In a child, for the
 * limit, on its own session (a connection must not cross fork). */
static int failing_batch(fixture *f) {
    signal(SIGXFSZ, SIG_IGN);
    hr_session *s = NULL;
    if (hr_session_create(f->ctx, f->path, 0, &s) != HR_OK ||
        hr_session_add_channel(s, "cpu", "util", "ppm", "ratio", 1e-6, NULL, NULL) != HR_OK ||
        hr_session_add_channel(s, "mem", "available", "bytes", "bytes", 1, NULL, NULL) != HR_OK)
        return 2;
    hr_session_set_sync_interval(s, 0);
    tick(s, 1);
    char wal[4200];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    long long limit = file_size(wal) > file_size(f->path) ? file_size(wal) : file_size(f->path);
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    struct rlimit small = {(rlim_t)limit, rl.rlim_max};
    if (setrlimit(RLIMIT_FSIZE, &small) != 0 || hr__session_begin_batch(s) != HR_OK)
        return 3;
    hr_status st = HR_OK;
    for (int k = 2; st == HR_OK && k < 3000; k++) {
        st = hr_session_begin_tick(s, k * SEC, k * SEC, NULL);
        if (st == HR_OK)
            st = hr_session_put(s, 1, 123456789 + k);
        if (st == HR_OK)
            st = hr_session_put(s, 2, 987654321 + k);
        if (st == HR_OK)
            st = hr_session_commit_tick(s);
    }
    if (st == HR_OK)
        st = hr__session_commit_batch(s);
    else
        hr__session_abort_batch(s);
    if (st != HR_ESTORE || !strstr(hr_session_last_error(s), "file size limit")) {
        fprintf(stderr, "batch: %d %s\n", st, hr_session_last_error(s));
        return 4;
    }
    setrlimit(RLIMIT_FSIZE, &rl);
    int64_t n = -1;
    if (hr_session_write_tick(s, 2 * SEC, 2 * SEC, NULL, 0, &n) != HR_OK || n != 1)
        return 5;
    hr_session_finish(s, 3 * SEC, 3 * SEC, 1, 0);
    hr_session_close(s);
    return 0;
}

static void test_batch_failure_rolls_back(void **state) {
    fixture *f = *state;
    hr_session_close(f->s);
    f->s = NULL;
    unlink(f->path);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(failing_batch(f));
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char text[64];
    tsu_sql_text(f->path, "PRAGMA integrity_check", text, sizeof text);
    assert_string_equal(text, "ok");
    /* The committed tick and the one after the failure; none of the batch. */
    assert_int_equal(ticks_on_disk(f), 2);
    assert_int_equal(tsu_sql_int(f->path, "SELECT max(tick) FROM ticks"), 1);
    assert_int_equal(tsu_sql_int(f->path, "SELECT count(*) FROM samples"), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_one_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_state_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_close_with_batch_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_close_with_tick_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_failure_rolls_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

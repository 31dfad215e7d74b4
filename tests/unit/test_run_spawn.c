/* test_run_spawn.c: the runner with real processes: output passed through
 * byte for byte, exit statuses, steps from the channel (pipe and socket)
 * and from progress lines, pause and resume of a whole process group,
 * signals, exec failures, a forced pseudo-terminal, orphans reaped. */
#include "harness/hr_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "headroom/hr_run.h"

typedef struct outcome {
    hr_run_event steps[64];
    char step_names[64][4][48];
    int nsteps;
    int signals;
    int exit_code, term_signal;
    hr_run_stats stats;
} outcome;

static int tmp_file(char *path, size_t cap) {
    snprintf(path, cap, "/tmp/hr-test-run-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    return fd;
}

static char *slurp(const char *path, size_t *n) {
    static char buf[1 << 20];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    *n = fread(buf, 1, sizeof buf - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static void keep_step(outcome *o, const hr_run_event *ev) {
    if (o->nsteps >= 64)
        return;
    o->steps[o->nsteps] = *ev;
    for (size_t i = 0; i < ev->nvalues && i < 4; i++)
        snprintf(o->step_names[o->nsteps][i], 48, "%s", ev->names[i]);
    o->nsteps++;
}

/* Polls RUN until the job's exit (at most 10 s), collecting events. */
static void wait_exit(hr_run *run, outcome *o) {
    int64_t t0 = (int64_t)time(NULL);
    for (;;) {
        hr_run_event ev;
        assert_int_equal(hr_run_poll(run, 100000000LL, &ev), HR_OK);
        if (ev.kind == HR_RUN_EV_STEP)
            keep_step(o, &ev);
        if (ev.kind == HR_RUN_EV_SIGNAL)
            o->signals++;
        if (ev.kind == HR_RUN_EV_EXIT) {
            o->exit_code = ev.exit_code;
            o->term_signal = ev.term_signal;
            break;
        }
        if ((int64_t)time(NULL) - t0 > 10)
            fail_msg("the job did not end within 10 s");
    }
    hr_run_event ev;
    assert_int_equal(hr_run_poll(run, 0, &ev), HR_ESTATE);
    o->stats.size = sizeof o->stats;
    assert_int_equal(hr_run_stats_get(run, &o->stats), HR_OK);
}

/* Runs ARGV with stdout and stderr into files; OUT/ERR get their paths. */
static void run_files(const char *const *argv, outcome *o, char *out, char *err, int io) {
    memset(o, 0, sizeof *o);
    int ofd = tmp_file(out, 64), efd = tmp_file(err, 64);
    hr_ctx *ctx = hr_test_ctx(NULL);
    hr_run_config c;
    hr_run_config_defaults(&c);
    c.argv = argv;
    c.io = io;
    c.stdout_fd = ofd;
    c.stderr_fd = efd;
    hr_run *run = NULL;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_OK);
    wait_exit(run, o);
    hr_run_free(run);
    close(ofd);
    close(efd);
    hr_ctx_free(ctx);
}

static void test_run_passes_output_through_and_exit_codes(void **state) {
    (void)state;
    outcome o;
    char out[64], err[64];
    const char *argv[] = {"sh", "-c",
                          "printf 'a\\000b\\r\\nc'; printf 'to stderr' >&2; "
                          "head -c 200000 /dev/zero | tr '\\0' x; exit 3",
                          NULL};
    run_files(argv, &o, out, err, HR_RUN_IO_PIPES);
    assert_int_equal(o.exit_code, 3);
    assert_int_equal(o.term_signal, 0);
    size_t n = 0;
    const char *s = slurp(out, &n);
    assert_int_equal(n, 6 + 200000);
    assert_memory_equal(s, "a\0b\r\nc", 6);
    assert_true(s[6] == 'x' && s[n - 1] == 'x');
    s = slurp(err, &n);
    assert_int_equal(n, 9);
    assert_memory_equal(s, "to stderr", 9);
    assert_true(o.stats.bytes_out == 200006 && o.stats.bytes_err == 9);
    assert_int_equal(o.stats.io, HR_RUN_IO_PIPES);
    unlink(out);
    unlink(err);

    /* Death by a signal is 128 + N. */
    const char *killed[] = {"sh", "-c", "kill -9 $$", NULL};
    run_files(killed, &o, out, err, HR_RUN_IO_PIPES);
    assert_int_equal(o.exit_code, 137);
    assert_int_equal(o.term_signal, 9);
    unlink(out);
    unlink(err);
}

static void test_run_steps_from_the_channel(void **state) {
    (void)state;
    outcome o;
    char out[64], err[64];
    const char *argv[] = {"sh", "-c",
                          "echo 'step=1 units=2 loss=0.5' >&$HEADROOM_STEP_FD; "
                          "echo 'not a step' >&$HEADROOM_STEP_FD; "
                          "echo 'loss=0.25 lr=1e-4' >&$HEADROOM_STEP_FD; "
                          "printf 'step=7 dt=0.5' >&$HEADROOM_STEP_FD",
                          NULL};
    run_files(argv, &o, out, err, HR_RUN_IO_PIPES);
    assert_int_equal(o.exit_code, 0);
    assert_int_equal(o.nsteps, 3);
    assert_int_equal(o.steps[0].source, HR_RUN_STEP_CHANNEL);
    assert_int_equal(o.steps[0].index, 1);
    assert_true(o.steps[0].units == 2.0);
    assert_int_equal(o.steps[0].nvalues, 1);
    assert_string_equal(o.step_names[0][0], "loss");
    assert_int_equal(o.steps[0].new_stream, 1);
    /* No step= : the next number; no units= : 1. */
    assert_int_equal(o.steps[1].index, 2);
    assert_true(o.steps[1].units == 1.0);
    assert_int_equal(o.steps[1].nvalues, 2);
    assert_int_equal(o.steps[1].new_stream, 0);
    /* The last line has no newline: it counts at the end; dt sets the start. */
    assert_int_equal(o.steps[2].index, 7);
    assert_true(o.steps[2].t_ns - o.steps[2].start_ns == 500000000LL);
    assert_int_equal(o.stats.channel_steps, 3);
    assert_int_equal(o.stats.channel_malformed, 1);
    /* One digit, so that any shell can write ">&$HEADROOM_STEP_FD". */
    assert_true(o.stats.step_fd >= 3 && o.stats.step_fd <= 9);
    assert_non_null(strstr(o.stats.last_malformed, "no '='"));
    unlink(out);
    unlink(err);
}

static void test_run_steps_from_the_socket(void **state) {
    (void)state;
    if (access("/usr/bin/python3", X_OK) != 0)
        skip();
    outcome o;
    char out[64], err[64];
    const char *argv[] = {"/usr/bin/python3", "-c",
                          "import os, socket\n"
                          "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                          "p = os.environ['HEADROOM_STEP_SOCKET']\n"
                          "s.sendto(b'step=5 units=3 acc=0.9', p)\n"
                          "s.sendto(b'step=6 units=3\\nstep=7 units=1\\n', p)\n",
                          NULL};
    run_files(argv, &o, out, err, HR_RUN_IO_PIPES);
    assert_int_equal(o.exit_code, 0);
    assert_int_equal(o.nsteps, 3);
    assert_int_equal(o.steps[0].index, 5);
    assert_true(o.steps[0].units == 3.0);
    assert_string_equal(o.step_names[0][0], "acc");
    assert_int_equal(o.steps[2].index, 7);
    /* The socket's directory is gone after the run. */
    assert_true(o.stats.step_socket[0] == '/');
    assert_int_equal(access(o.stats.step_socket, F_OK), -1);
    unlink(out);
    unlink(err);
}

static void test_run_steps_from_progress_lines(void **state) {
    (void)state;
    outcome o;
    char out[64], err[64];
    const char *argv[] = {
        "sh", "-c",
        "for i in 0 1 2 3 4; do printf '\\r%3d%%|#   | %d/4 [00:0%d<00:01,  1.00it/s, loss=0.%d]' "
        "$((i * 25)) $i $i $i >&2; sleep 0.02; done; echo >&2",
        NULL};
    run_files(argv, &o, out, err, HR_RUN_IO_PIPES);
    assert_int_equal(o.exit_code, 0);
    /* 0 starts the bar, 1 is its first advance, 2..4 are steps; the first
     * covers 0..2 (the work before the bar was the primary counts too). */
    assert_int_equal(o.nsteps, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(o.steps[i].source, HR_RUN_STEP_PROGRESS);
        assert_int_equal(o.steps[i].index, i + 2);
        assert_int_equal(o.steps[i].total, 4);
        assert_true(o.steps[i].units == (i == 0 ? 2.0 : 1.0));
        assert_true(o.steps[i].start_ns <= o.steps[i].t_ns);
        assert_string_equal(o.step_names[i][0], "loss");
    }
    assert_int_equal(o.steps[0].new_stream, 1);
    assert_int_equal(o.stats.progress_readings, 5);
    unlink(out);
    unlink(err);
}

static void test_run_exec_failures(void **state) {
    (void)state;
    hr_ctx *ctx = hr_test_ctx(NULL);
    hr_run_config c;
    hr_run_config_defaults(&c);
    hr_run *run = NULL;
    const char *missing[] = {"/nonexistent/headroom-no-such-command", NULL};
    c.argv = missing;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_ENOENT);
    assert_null(run);
    assert_non_null(strstr(hr_ctx_last_error(ctx), "cannot run"));
    char path[64];
    int fd = tmp_file(path, sizeof path);
    close(fd);
    chmod(path, 0600);
    const char *noexec[] = {path, NULL};
    c.argv = noexec;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_EPERM);
    unlink(path);
    const char *empty[] = {NULL};
    c.argv = empty;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_EINVAL);
    /* After a failure a new run can start (nothing was left installed). */
    const char *ok[] = {"true", NULL};
    c.argv = ok;
    c.stdout_fd = c.stderr_fd = open("/dev/null", O_WRONLY);
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_OK);
    hr_run *second = NULL;
    assert_int_equal(hr_run_start(ctx, &c, &second), HR_EBUSY);
    outcome o;
    memset(&o, 0, sizeof o);
    wait_exit(run, &o);
    assert_int_equal(o.exit_code, 0);
    hr_run_free(run);
    close(c.stdout_fd);
    hr_ctx_free(ctx);
}

/* The state letter of PID in /proc/PID/stat, or 0. */
static char proc_state(int pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : 0;
}

/* The pids in process group PGID (from /proc), up to CAP. */
static int group_members(int pgid, int *pids, int cap) {
    int n = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < cap) {
        int pid = atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *p = strrchr(buf, ')');
        int ppid = 0, pg = 0;
        char st = 0;
        if (p && sscanf(p + 2, "%c %d %d", &st, &ppid, &pg) == 3 && pg == pgid)
            pids[n++] = pid;
    }
    closedir(d);
    return n;
}

static void test_run_pause_stops_the_whole_group(void **state) {
    (void)state;
    if (access("/proc/self/stat", R_OK) != 0)
        skip();
    hr_ctx *ctx = hr_test_ctx(NULL);
    hr_run_config c;
    hr_run_config_defaults(&c);
    /* Two workers forked by the main process, all in one group. */
    const char *argv[] = {"sh", "-c", "sleep 30 & sleep 30 & wait", NULL};
    c.argv = argv;
    c.stdout_fd = c.stderr_fd = open("/dev/null", O_WRONLY);
    hr_run *run = NULL;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_OK);
    int pid = hr_run_pid(run);
    int members[8], n = 0;
    for (int i = 0; i < 100 && n < 3; i++) {
        hr_run_event ev;
        hr_run_poll(run, 20000000LL, &ev);
        n = group_members(pid, members, 8);
    }
    assert_int_equal(n, 3);
    assert_int_equal(hr_run_pause(run, 1000000000LL), HR_OK);
    assert_int_equal(hr_run_paused(run), 1);
    assert_int_equal(hr_run_pause(run, 0), HR_ESTATE);
    for (int i = 0; i < n; i++) {
        char st = 0;
        for (int k = 0; k < 50 && st != 'T'; k++) {
            st = proc_state(members[i]);
            if (st != 'T')
                usleep(10000);
        }
        if (st != 'T')
            fail_msg("member %d is '%c', not stopped", members[i], st);
    }
    assert_int_equal(hr_run_resume(run), HR_OK);
    assert_int_equal(hr_run_resume(run), HR_ESTATE);
    for (int i = 0; i < n; i++) {
        char st = 'T';
        for (int k = 0; k < 50 && st == 'T'; k++) {
            st = proc_state(members[i]);
            if (st == 'T')
                usleep(10000);
        }
        if (st == 'T')
            fail_msg("member %d still stopped after resume", members[i]);
    }
    /* A signal while paused: resumed first, then delivered to the group. */
    assert_int_equal(hr_run_pause(run, 1000000000LL), HR_OK);
    assert_int_equal(hr_run_signal(run, SIGTERM), HR_OK);
    assert_int_equal(hr_run_paused(run), 0);
    outcome o;
    memset(&o, 0, sizeof o);
    wait_exit(run, &o);
    assert_int_equal(o.exit_code, 143);
    assert_int_equal(o.stats.pauses, 2);
    assert_true(o.stats.paused_ns > 0);
    hr_run_free(run);
    for (int i = 0; i < n; i++) {
        char st = 0;
        for (int k = 0; k < 100; k++) {
            st = proc_state(members[i]);
            if (st == 0 || st == 'Z')
                break;
            usleep(10000);
        }
        if (st != 0 && st != 'Z')
            fail_msg("member %d survived SIGTERM to the group ('%c')", members[i], st);
    }
    close(c.stdout_fd);
    hr_ctx_free(ctx);
}

static void test_run_forced_pty_and_stdin(void **state) {
    (void)state;
    outcome o;
    char out[64], err[64];
    const char *argv[] = {"sh", "-c",
                          "test -t 1 && echo tty || echo notty; test -t 2 && echo err-tty", NULL};
    run_files(argv, &o, out, err, HR_RUN_IO_PTY);
    assert_int_equal(o.exit_code, 0);
    assert_int_equal(o.stats.io, HR_RUN_IO_PTY);
    size_t n = 0;
    const char *s = slurp(out, &n);
    /* The pty's line discipline writes CR LF; stderr is on the pty too. */
    assert_string_equal(s, "tty\r\nerr-tty\r\n");
    unlink(out);
    unlink(err);

    /* Pipe mode: stdin is the caller's own, passed straight through. */
    char in[64];
    int ifd = tmp_file(in, sizeof in);
    assert_int_equal(write(ifd, "from stdin\n", 11), 11);
    lseek(ifd, 0, SEEK_SET);
    int ofd = tmp_file(out, sizeof out);
    hr_ctx *ctx = hr_test_ctx(NULL);
    hr_run_config c;
    hr_run_config_defaults(&c);
    const char *cat[] = {"cat", NULL};
    c.argv = cat;
    c.stdin_fd = ifd;
    c.stdout_fd = ofd;
    c.stderr_fd = ofd;
    hr_run *run = NULL;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_OK);
    memset(&o, 0, sizeof o);
    wait_exit(run, &o);
    hr_run_free(run);
    s = slurp(out, &n);
    assert_string_equal(s, "from stdin\n");
    close(ifd);
    close(ofd);
    unlink(in);
    unlink(out);
    hr_ctx_free(ctx);
}

static void test_run_reaps_orphans(void **state) {
    (void)state;
    outcome o;
    char out[64], err[64];
    /* The subshell exits at once: its sleep is reparented to us. */
    const char *argv[] = {"sh", "-c", "(sleep 0.1 >/dev/null 2>&1 &); sleep 0.5", NULL};
    run_files(argv, &o, out, err, HR_RUN_IO_PIPES);
    assert_int_equal(o.exit_code, 0);
    assert_true(o.stats.orphans_reaped >= 1);
    unlink(out);
    unlink(err);
}

/* Ending the run while the job still runs leaves it running (resumed if
 * paused), its output relayed by the guardian; a clean end lets the guardian
 * go at once. */
static void test_run_free_hands_over_to_the_guardian(void **state) {
    (void)state;
    char out[64];
    int ofd = tmp_file(out, sizeof out);
    hr_ctx *ctx = hr_test_ctx(NULL);
    hr_run_config c;
    hr_run_config_defaults(&c);
    const char *argv[] = {"sh", "-c", "echo early; sleep 0.4; echo late", NULL};
    c.argv = argv;
    c.stdout_fd = ofd;
    c.stderr_fd = ofd;
    hr_run *run = NULL;
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_OK);
    hr_run_event ev;
    hr_run_poll(run, 100000000LL, &ev);
    assert_int_equal(hr_run_pause(run, 1000000000LL), HR_OK);
    hr_run_stats rs = {.size = sizeof rs};
    assert_int_equal(hr_run_stats_get(run, &rs), HR_OK);
    int pid = rs.pid, guardian = rs.guardian_pid;
    assert_true(rs.guardian_alive && guardian > 0);
    hr_run_free(run); /* paused, running: resumed and handed over */
    close(ofd);
    usleep(150000);
    char st = proc_state(pid);
    assert_true(st != 0 && st != 'T');
    for (int i = 0; i < 100 && proc_state(pid) != 0 && proc_state(pid) != 'Z'; i++)
        usleep(20000);
    usleep(100000);
    size_t n = 0;
    assert_string_equal(slurp(out, &n), "early\nlate\n");
    unlink(out);

    /* A clean end: the guardian is gone when hr_run_free returns. */
    const char *quick[] = {"true", NULL};
    c.argv = quick;
    c.stdout_fd = c.stderr_fd = open("/dev/null", O_WRONLY);
    assert_int_equal(hr_run_start(ctx, &c, &run), HR_OK);
    outcome o;
    memset(&o, 0, sizeof o);
    wait_exit(run, &o);
    guardian = o.stats.guardian_pid;
    hr_run_free(run);
    assert_true(proc_state(guardian) == 0);
    close(c.stdout_fd);
    hr_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_passes_output_through_and_exit_codes),
        cmocka_unit_test(test_run_steps_from_the_channel),
        cmocka_unit_test(test_run_steps_from_the_socket),
        cmocka_unit_test(test_run_steps_from_progress_lines),
        cmocka_unit_test(test_run_exec_failures),
        cmocka_unit_test(test_run_pause_stops_the_whole_group),
        cmocka_unit_test(test_run_forced_pty_and_stdin),
        cmocka_unit_test(test_run_reaps_orphans),
        cmocka_unit_test(test_run_free_hands_over_to_the_guardian),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

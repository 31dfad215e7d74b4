/* run.c: the runner's public API (hr_run.h): start, poll, pause, resume,
 * signals, reaping, and the end. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "run/run_internal.h"

#define STOP_WAIT_NS 1000000000LL

/* Signals read from the self-pipe but not yet acted on. */
static int pending[32];
static size_t npending;
static int subreaper_saved = -1;

void hr_run_config_defaults(hr_run_config *c) {
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->io = HR_RUN_IO_AUTO;
    c->forward_signals = 1;
    c->parse_progress = 1;
    c->step_fd = 1;
    c->step_socket = 1;
    c->stdin_fd = 0;
    c->stdout_fd = 1;
    c->stderr_fd = 2;
    c->exit_grace_ns = 200000000LL;
}

void hr__guard_send(hr_run *r, char msg, const void *more, size_t len) {
    if (r->lifeline < 0)
        return;
    unsigned char b[8];
    b[0] = (unsigned char)msg;
    if (len > sizeof b - 1)
        len = sizeof b - 1;
    if (len)
        memcpy(b + 1, more, len);
    ssize_t w;
    do
        w = write(r->lifeline, b, len + 1);
    while (w < 0 && errno == EINTR);
}

static void push_simple(hr_run *r, int kind, int sig, int64_t stopped_ns, int was_paused) {
    hr__qev q;
    memset(&q, 0, sizeof q);
    q.ev.kind = kind;
    q.ev.t_ns = hr__now_mono_ns();
    q.ev.signal = sig;
    q.ev.stopped_ns = stopped_ns;
    q.ev.was_paused = was_paused;
    q.ev.total = -1;
    hr__queue_push(r, &q);
}

/* --- reaping --- */

static void leader_ended(hr_run *r, int status) {
    int64_t now = hr__now_mono_ns();
    if (r->paused)
        r->stats.paused_ns += now - r->pause_start_ns;
    if (r->foreign_start_ns)
        r->stats.foreign_stop_ns += now - r->foreign_start_ns;
    r->paused = 0;
    r->foreign_start_ns = 0;
    r->running = 0;
    r->exit_ns = now;
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
        r->term_signal = 0;
    } else {
        r->term_signal = WTERMSIG(status);
        r->exit_code = 128 + r->term_signal;
    }
}

static void leader_continued(hr_run *r) {
    int64_t now = hr__now_mono_ns();
    r->leader_stopped = 0;
    if (r->expect_cont) {
        r->expect_cont = 0;
        return;
    }
    if (r->paused) {
        /* Someone else continued the job during a pause: the pause is over. */
        int64_t d = now - r->pause_start_ns;
        r->stats.paused_ns += d;
        r->paused = 0;
        push_simple(r, HR_RUN_EV_CONTINUED, SIGCONT, d, 0);
    } else if (r->foreign_start_ns) {
        int64_t d = now - r->foreign_start_ns;
        r->stats.foreign_stop_ns += d;
        r->foreign_start_ns = 0;
        push_simple(r, HR_RUN_EV_CONTINUED, SIGCONT, d, 0);
    }
}

static void leader_changed(hr_run *r, int status) {
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        leader_ended(r, status);
    } else if (WIFSTOPPED(status)) {
        r->leader_stopped = 1;
        if (!r->paused && !r->suspending && !r->foreign_start_ns) {
            r->foreign_start_ns = hr__now_mono_ns();
            push_simple(r, HR_RUN_EV_STOPPED, WSTOPSIG(status), 0, 0);
        }
    } else if (WIFCONTINUED(status)) {
        leader_continued(r);
    }
}

void hr__run_reap(hr_run *r) {
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED | WCONTINUED);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid <= 0)
            return;
        int ended = WIFEXITED(status) || WIFSIGNALED(status);
        if (pid == r->pid && r->running)
            leader_changed(r, status);
        else if (pid == r->guardian && ended)
            r->guardian_alive = 0;
        else if (pid != r->pid && pid != r->guardian && ended)
            r->stats.orphans_reaped++;
    }
}

/* --- signals --- */

static void sig_read(void) {
    unsigned char b[64];
    ssize_t n;
    while ((n = read(hr__sig_fd(), b, sizeof b)) > 0)
        for (ssize_t i = 0; i < n; i++) {
            int sig = b[i];
            int dup = sig == SIGCHLD;
            for (size_t k = 0; k < npending && !dup; k++)
                dup = pending[k] == sig;
            if (!dup && npending < sizeof pending / sizeof pending[0])
                pending[npending++] = sig;
        }
}

/* Sends SIGSTOP to the group and waits up to TIMEOUT_NS for the main
 * process to report it. Returns HR_OK, HR_ETIMEDOUT or HR_ESTATE. */
static hr_status stop_group(hr_run *r, int64_t timeout_ns) {
    if (killpg(r->pid, SIGSTOP) != 0)
        return HR_ESTATE;
    int64_t deadline = hr__now_mono_ns() + (timeout_ns < 0 ? STOP_WAIT_NS : timeout_ns);
    for (;;) {
        hr__run_reap(r);
        if (r->leader_stopped || !r->running)
            return HR_OK;
        int64_t left = deadline - hr__now_mono_ns();
        if (left <= 0)
            return HR_ETIMEDOUT;
        struct pollfd p = {hr__sig_fd(), POLLIN, 0};
        poll(&p, 1, (int)((left + 999999) / 1000000));
        sig_read();
    }
}

static void send_cont(hr_run *r) {
    r->expect_cont = r->leader_stopped;
    killpg(r->pid, SIGCONT);
}

/* Ctrl-Z: the job stops, then headroom; both continue together. */
static void suspend(hr_run *r) {
    int we_stop = r->running && !r->paused;
    int64_t t0 = hr__now_mono_ns();
    r->suspending = 1;
    if (we_stop)
        stop_group(r, STOP_WAIT_NS);
    hr__tty_leave(r);
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, &old);
    raise(SIGTSTP);
    sigaction(SIGTSTP, &old, NULL);
    hr__tty_enter(r);
    if (we_stop && r->running)
        send_cont(r);
    r->suspending = 0;
    int64_t d = hr__now_mono_ns() - t0;
    r->stats.foreign_stop_ns += d;
    push_simple(r, HR_RUN_EV_SUSPENDED, SIGTSTP, d, 0);
}

static void act_on(hr_run *r, int sig) {
    if (sig == SIGWINCH) {
        hr__tty_winsize(r);
    } else if (sig == SIGCONT) {
        hr__tty_enter(r);
    } else if (sig == SIGTSTP) {
        suspend(r);
    } else if (r->running && r->cfg.forward_signals) {
        int was = r->paused;
        if (hr_run_signal(r, sig) == HR_OK)
            push_simple(r, HR_RUN_EV_SIGNAL, sig, 0, was);
    }
}

int hr__run_has_pending(void) { return npending > 0; }

void hr__run_signals(hr_run *r) {
    sig_read();
    hr__run_reap(r);
    while (npending) {
        int sig = pending[0];
        memmove(pending, pending + 1, (npending - 1) * sizeof pending[0]);
        npending--;
        act_on(r, sig);
    }
}

/* --- start and end --- */

static void init_fds(hr_run *r) {
    r->lifeline = r->master = r->slave = -1;
    r->step_rd = r->step_wr = r->step_job_fd = r->sock_fd = r->winsize_fd = -1;
    for (int k = 0; k < 2; k++) {
        r->streams[k].src = r->streams[k].dst = -1;
        r->streams[k].eof = 1;
        r->pipe_wr[k] = -1;
    }
    r->job_fd[0] = r->job_fd[1] = r->job_fd[2] = -1;
    r->pid = r->guardian = -1;
}

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* 1 while the job or its leftovers may still write output or steps. */
static int output_open(const hr_run *r) {
    if (r->running || r->step_rd >= 0)
        return 1;
    for (int k = 0; k < 2; k++)
        if (r->streams[k].src >= 0)
            return 1;
    return 0;
}

static void wait_guardian(hr_run *r) {
    for (int i = 0; i < 200 && r->guardian_alive; i++) {
        int status;
        pid_t p = waitpid(r->guardian, &status, WNOHANG);
        if (p == r->guardian || (p < 0 && errno == ECHILD))
            r->guardian_alive = 0;
        else
            nanosleep(&(struct timespec){0, 5000000}, NULL);
    }
}

/* Everything but the job: the guardian told, descriptors closed, signals
 * and the subreaper flag restored. */
static void destroy(hr_run *r, int sig_installed) {
    int open = r->pid > 0 && output_open(r);
    if (r->lifeline >= 0) {
        hr__guard_send(r, open ? HR__GUARD_RELAY : HR__GUARD_QUIT, NULL, 0);
        close_fd(&r->lifeline);
    }
    if (!open)
        wait_guardian(r);
    if (r->master >= 0 && r->streams[0].src != r->master && r->streams[1].src != r->master)
        close_fd(&r->master);
    for (int k = 0; k < 2; k++) {
        close_fd(&r->streams[k].src);
        close_fd(&r->pipe_wr[k]);
    }
    close_fd(&r->slave);
    close_fd(&r->step_rd);
    close_fd(&r->step_wr);
    close_fd(&r->sock_fd);
    if (r->sock_path[0] && (!open || !r->guardian_alive)) {
        unlink(r->sock_path);
        rmdir(r->sock_dir);
    }
    if (sig_installed)
        hr__sig_restore();
    npending = 0;
#ifdef __linux__
    if (subreaper_saved >= 0)
        prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)subreaper_saved, 0, 0, 0);
#endif
    subreaper_saved = -1;
    free(r->readbuf);
    free(r);
}

static hr_status check_config(hr_ctx *ctx, const hr_run_config *c) {
    if (!c->argv || !c->argv[0] || !c->argv[0][0])
        return hr__fail(ctx, HR_EINVAL, 0, "no command to run");
    if (c->io < HR_RUN_IO_AUTO || c->io > HR_RUN_IO_PTY)
        return hr__fail(ctx, HR_EINVAL, 0, "io: %d is not an hr_run_io", c->io);
    if (c->stdin_fd < 0 || c->stdout_fd < 0 || c->stderr_fd < 0 || c->exit_grace_ns < 0)
        return hr__fail(ctx, HR_EINVAL, 0, "negative descriptor or grace time");
    return HR_OK;
}

static void become_subreaper(void) {
#ifdef __linux__
    int old = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &old, 0, 0, 0) == 0 &&
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
        subreaper_saved = old;
#endif
}

hr_status hr_run_start(hr_ctx *ctx, const hr_run_config *config, hr_run **out) {
    if (!ctx || !out)
        return HR_EINVAL;
    *out = NULL;
    hr_run_config c;
    hr_run_config_defaults(&c);
    if (config) {
        size_t n = config->size && config->size < sizeof c ? config->size : sizeof c;
        memcpy(&c, config, n);
        c.size = sizeof c;
    }
    hr_status st = check_config(ctx, &c);
    if (st != HR_OK)
        return st;
    hr_run *r = calloc(1, sizeof *r);
    char *buf = malloc(HR__RUN_READ_CAP);
    if (!r || !buf) {
        free(r);
        free(buf);
        return hr__fail(ctx, HR_ENOMEM, ENOMEM, "out of memory");
    }
    init_fds(r);
    r->readbuf = buf;
    r->ctx = ctx;
    r->cfg = c;
    r->stats.step_fd = -1;
    hr__tracker_init(&r->track);
    r->stats.start_ns = hr__now_mono_ns();
    if ((st = hr__sig_install(r)) != HR_OK) {
        destroy(r, 0);
        return st;
    }
    become_subreaper();
    if ((st = hr__spawn_io(r)) == HR_OK) {
        st = hr__spawn_job(r);
        r->stats.step_fd = r->step_rd >= 0 ? r->step_job_fd : -1;
    }
    if (st != HR_OK) {
        destroy(r, 1);
        return st;
    }
    r->running = 1;
    hr__tty_enter(r);
    *out = r;
    return HR_OK;
}

void hr_run_free(hr_run *r) {
    if (!r)
        return;
    if (r->paused && r->running)
        hr_run_resume(r);
    hr__tty_leave(r);
    destroy(r, 1);
}

/* --- poll --- */

static int pop(hr_run *r, hr_run_event *ev) {
    if (r->qlen == 0)
        return 0;
    r->cur = r->queue[r->qhead];
    r->qhead = (r->qhead + 1) % HR__RUN_QUEUE;
    r->qlen--;
    *ev = r->cur.ev;
    ev->nvalues = 0;
    ev->names = NULL;
    ev->values = NULL;
    if (ev->kind == HR_RUN_EV_STEP && r->cur.nvalues) {
        for (size_t i = 0; i < r->cur.nvalues; i++)
            r->cur_names[i] = r->cur.names[i];
        ev->nvalues = r->cur.nvalues;
        ev->names = r->cur_names;
        ev->values = r->cur.values;
    }
    return 1;
}

static int all_output_ended(const hr_run *r) {
    return r->streams[0].src < 0 && r->streams[1].src < 0;
}

static int exit_ready(const hr_run *r, int64_t now) {
    return !r->running && (all_output_ended(r) || now >= r->exit_ns + r->cfg.exit_grace_ns);
}

static void report_exit(hr_run *r, hr_run_event *ev) {
    memset(ev, 0, sizeof *ev);
    ev->kind = HR_RUN_EV_EXIT;
    ev->t_ns = r->exit_ns;
    ev->total = -1;
    ev->exit_code = r->exit_code;
    ev->term_signal = r->term_signal;
    r->exit_reported = 1;
}

/* How long the next round may wait: until the deadline, or the end of the
 * exit grace time. */
static int64_t round_wait(const hr_run *r, int64_t deadline, int64_t now) {
    int64_t wait = deadline < 0 ? -1 : (deadline > now ? deadline - now : 0);
    if (!r->running) {
        int64_t left = r->exit_ns + r->cfg.exit_grace_ns - now;
        if (left < 0)
            left = 0;
        if (wait < 0 || left < wait)
            wait = left;
    }
    return wait;
}

hr_status hr_run_poll(hr_run *r, int64_t timeout_ns, hr_run_event *ev) {
    if (!r || !ev)
        return HR_EINVAL;
    int64_t deadline = timeout_ns < 0 ? -1 : hr__now_mono_ns() + timeout_ns;
    for (;;) {
        if (pop(r, ev))
            return HR_OK;
        if (r->exit_reported)
            return HR_ESTATE;
        hr__run_reap(r);
        if (r->qlen)
            continue;
        int64_t now = hr__now_mono_ns();
        if (exit_ready(r, now)) {
            hr__relay_flush_steps(r);
            if (pop(r, ev))
                return HR_OK;
            report_exit(r, ev);
            return HR_OK;
        }
        hr__relay_round(r, round_wait(r, deadline, now));
        if (!r->qlen && deadline >= 0 && hr__now_mono_ns() >= deadline &&
            !exit_ready(r, hr__now_mono_ns())) {
            memset(ev, 0, sizeof *ev);
            ev->kind = HR_RUN_EV_NONE;
            ev->t_ns = hr__now_mono_ns();
            ev->total = -1;
            return HR_OK;
        }
    }
}

/* --- pause, resume, signal --- */

hr_status hr_run_pause(hr_run *r, int64_t timeout_ns) {
    if (!r)
        return HR_EINVAL;
    if (!r->running || r->paused)
        return HR_ESTATE;
    int64_t now = hr__now_mono_ns();
    if (r->foreign_start_ns) {
        r->stats.foreign_stop_ns += now - r->foreign_start_ns;
        r->foreign_start_ns = 0;
    }
    r->paused = 1;
    r->pause_start_ns = now;
    r->stats.pauses++;
    hr_status st = stop_group(r, timeout_ns);
    if (st == HR_OK && !r->running)
        st = HR_ESTATE; /* it ended meanwhile: there is nothing to pause */
    if (st == HR_ESTATE) {
        r->paused = 0;
        r->stats.pauses--;
    }
    return st;
}

hr_status hr_run_resume(hr_run *r) {
    if (!r)
        return HR_EINVAL;
    if (!r->paused)
        return HR_ESTATE;
    r->stats.paused_ns += hr__now_mono_ns() - r->pause_start_ns;
    r->paused = 0;
    if (r->running)
        send_cont(r);
    return HR_OK;
}

int hr_run_paused(const hr_run *r) { return r ? r->paused : 0; }

int hr_run_pid(const hr_run *r) { return r ? (int)r->pid : -1; }

hr_status hr_run_signal(hr_run *r, int sig) {
    if (!r || sig <= 0 || sig >= NSIG)
        return HR_EINVAL;
    if (!r->running)
        return HR_ESTATE;
    if (r->paused)
        hr_run_resume(r);
    if (killpg(r->pid, sig) != 0)
        return HR_ESTATE;
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)
        killpg(r->pid, SIGCONT);
    return HR_OK;
}

hr_status hr_run_stats_get(const hr_run *r, hr_run_stats *stats) {
    if (!r || !stats)
        return HR_EINVAL;
    size_t n = stats->size && stats->size < sizeof *stats ? stats->size : sizeof *stats;
    hr_run_stats s = r->stats;
    int64_t now = hr__now_mono_ns();
    s.size = n;
    s.pid = (int32_t)r->pid;
    s.guardian_pid = (int32_t)r->guardian;
    s.io = r->io;
    s.running = r->running;
    s.paused = r->paused;
    s.guardian_alive = r->guardian_alive;
    if (r->paused)
        s.paused_ns += now - r->pause_start_ns;
    if (r->foreign_start_ns)
        s.foreign_stop_ns += now - r->foreign_start_ns;
    s.exit_code = r->running ? 0 : r->exit_code;
    s.term_signal = r->running ? 0 : r->term_signal;
    hr__strlcpy(s.step_socket, r->sock_path, sizeof s.step_socket);
    memcpy(stats, &s, n);
    return HR_OK;
}

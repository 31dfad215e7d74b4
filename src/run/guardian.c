/* guardian.c: the guardian process (docs/RUN.md, "Failure table").
 *
 * Forked before the job, in a session of its own (so terminal signals and
 * kills of headroom's process group do not reach it), it blocks on the read
 * end of the lifeline, a pipe whose write end only headroom holds. Messages:
 *   'G' pgid  the job's process group
 *   'X' n     headroom stopped relaying source n (its reader went away):
 *             drop our copy too, so that the job sees the broken pipe
 *   'Q'       clean end: exit at once
 *   'R'       headroom is leaving while the job's output is still open:
 *             relay it to the end
 * End of file without 'Q' or 'R' means headroom died (kill -9, a crash, the
 * OOM killer): the guardian sends SIGCONT to the job's group, restores the
 * terminal, and relays the job's output (and drains its step channel, so
 * that a step write never breaks the job) until the job closes it.
 *
 * The process forks from a multi-threaded parent and never execs, so it
 * only calls async-signal-safe functions: no malloc, no stdio. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "run/run_internal.h"

static char guard_buf[HR__RUN_READ_CAP];

/* Every signal at its default, the ones a bystander might get ignored. */
static void guard_signals(void) {
    struct sigaction dfl, ign;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    ign = dfl;
    ign.sa_handler = SIG_IGN;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            sigaction(sig, &dfl, NULL);
    static const int ignored[] = {SIGINT,  SIGQUIT, SIGTSTP,  SIGTTIN, SIGTTOU, SIGHUP,
                                  SIGPIPE, SIGTERM, SIGWINCH, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sigaction(ignored[i], &ign, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Writes all of BUF to FD; returns 0, or -1 when FD is gone. */
static int guard_write(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w > 0) {
            buf += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 1000);
            continue;
        }
        return -1;
    }
    return 0;
}

static void guard_close(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Relays source I once; closes it at its end or when its destination fails. */
static void guard_relay_one(hr__guardian_spec *s, int i) {
    ssize_t n = read(s->relay_src[i], guard_buf, sizeof guard_buf);
    if (n > 0) {
        if (guard_write(s->relay_dst[i], guard_buf, (size_t)n) != 0)
            guard_close(&s->relay_src[i]);
        return;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        guard_close(&s->relay_src[i]);
}

static void guard_drain_one(hr__guardian_spec *s, int i) {
    ssize_t n = read(s->drain[i], guard_buf, sizeof guard_buf);
    /* The socket never ends by itself; only the pipe closes. */
    if (i == 0 && (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)))
        guard_close(&s->drain[i]);
}

/* Relays until every source and the step pipe have ended, then exits. */
static void guard_takeover(hr__guardian_spec *s, pid_t pgid, int resume) {
    if (resume && pgid > 0)
        killpg(pgid, SIGCONT);
    if (resume && s->tty_fd >= 0)
        tcsetattr(s->tty_fd, TCSANOW, &s->tty_saved);
    for (;;) {
        struct pollfd p[HR__GUARD_RELAYS + 2];
        int who[HR__GUARD_RELAYS + 2], n = 0, open_srcs = 0;
        for (int i = 0; i < HR__GUARD_RELAYS; i++)
            if (s->relay_src[i] >= 0) {
                p[n] = (struct pollfd){s->relay_src[i], POLLIN, 0};
                who[n++] = i;
                open_srcs++;
            }
        for (int i = 0; i < 2; i++)
            if (s->drain[i] >= 0) {
                p[n] = (struct pollfd){s->drain[i], POLLIN, 0};
                who[n++] = HR__GUARD_RELAYS + i;
                open_srcs += i == 0;
            }
        if (open_srcs == 0)
            break;
        if (poll(p, (nfds_t)n, -1) < 0)
            continue;
        for (int k = 0; k < n; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
                continue;
            if (who[k] < HR__GUARD_RELAYS)
                guard_relay_one(s, who[k]);
            else
                guard_drain_one(s, who[k] - HR__GUARD_RELAYS);
        }
    }
    if (s->sock_path[0])
        unlink(s->sock_path);
    if (s->sock_dir[0])
        rmdir(s->sock_dir);
    _exit(0);
}

/* Reads lifeline messages until the end. */
static void guard_main(hr__guardian_spec *s) {
    unsigned char msg[16];
    size_t have = 0;
    pid_t pgid = 0;
    for (;;) {
        ssize_t n = read(s->lifeline, msg + have, sizeof msg - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            guard_takeover(s, pgid, 1);
        have += (size_t)n;
        size_t used = 0;
        while (used < have) {
            unsigned char m = msg[used];
            size_t need = m == HR__GUARD_PGID ? 5 : m == HR__GUARD_CLOSE ? 2 : 1;
            if (have - used < need)
                break;
            if (m == HR__GUARD_PGID) {
                int32_t g;
                memcpy(&g, msg + used + 1, sizeof g);
                pgid = (pid_t)g;
            } else if (m == HR__GUARD_CLOSE && msg[used + 1] < HR__GUARD_RELAYS) {
                guard_close(&s->relay_src[msg[used + 1]]);
            } else if (m == HR__GUARD_QUIT) {
                _exit(0);
            } else if (m == HR__GUARD_RELAY) {
                guard_takeover(s, pgid, 0);
            }
            used += need;
        }
        memmove(msg, msg + used, have - used);
        have -= used;
    }
}

/* 1 when FD is one the guardian needs. */
static int guard_needs(const hr__guardian_spec *s, int fd) {
    if (fd == s->lifeline || fd == s->tty_fd || fd == s->drain[0] || fd == s->drain[1])
        return 1;
    for (int i = 0; i < HR__GUARD_RELAYS; i++)
        if (fd == s->relay_src[i] || fd == s->relay_dst[i])
            return 1;
    return 0;
}

/* Closes every inherited descriptor from 3 up that it does not need: the
 * job's ends (or the job would never see end of file), the lifeline's write
 * end (or the guardian would never see it), headroom's files. */
static void guard_close_others(const hr__guardian_spec *s) {
    struct rlimit rl;
    int max = 4096;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        max = rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    for (int fd = 3; fd < max; fd++)
        if (!guard_needs(s, fd))
            close(fd);
}

pid_t hr__guardian_spawn(const hr__guardian_spec *spec) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    hr__guardian_spec s = *spec;
    setsid();
#ifdef __linux__
    prctl(PR_SET_NAME, "headroom-guard", 0, 0, 0);
#endif
    guard_signals();
    guard_close_others(&s);
    guard_main(&s);
    _exit(0);
}

/* signals.c: the runner's signal handling (a self-pipe: handlers only
 * write the signal's number) and the terminal on stdin. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "run/run_internal.h"

/* Signals the runner handles, and whether only with forward_signals. */
static const struct {
    int sig;
    int forward_only;
} handled[] = {
    {SIGCHLD, 0}, {SIGINT, 1},  {SIGTERM, 1}, {SIGHUP, 1},
    {SIGQUIT, 1}, {SIGTSTP, 1}, {SIGCONT, 1}, {SIGWINCH, 1},
};

/* Signals ignored while a run exists (with forward_signals): a write to a
 * vanished reader must be an error, not a death; a background read or
 * terminal change must not stop headroom. */
static const int ignored[] = {SIGPIPE, SIGTTIN, SIGTTOU};

#define NHANDLED (sizeof handled / sizeof handled[0])
#define NIGNORED (sizeof ignored / sizeof ignored[0])

static int sig_pipe[2] = {-1, -1};
static struct sigaction saved_handled[NHANDLED];
static struct sigaction saved_ignored[NIGNORED];
static int installed_handled[NHANDLED];
static int installed_ignored[NIGNORED];
static int active;

static void on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (sig_pipe[1] >= 0)
        (void)!write(sig_pipe[1], &b, 1);
    errno = saved;
}

int hr__sig_fd(void) { return sig_pipe[0]; }

hr_status hr__sig_install(hr_run *r) {
    if (active)
        return hr__fail(r->ctx, HR_EBUSY, 0, "another run is active in this process");
    if (pipe(sig_pipe) != 0 || hr__fd_flags(sig_pipe[0], 1) || hr__fd_flags(sig_pipe[1], 1)) {
        int e = errno;
        hr__sig_restore();
        return hr__fail(r->ctx, HR_EIO, e, "signal pipe: %s", strerror(e));
    }
    active = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    /* No SA_RESTART: a blocked write to a slow reader returns, so a signal is
     * acted on. */
    for (size_t i = 0; i < NHANDLED; i++) {
        if (handled[i].forward_only && !r->cfg.forward_signals)
            continue;
        sa.sa_flags = 0; /* SIGCHLD for stops too: pauses are confirmed */
        installed_handled[i] = sigaction(handled[i].sig, &sa, &saved_handled[i]) == 0;
    }
    if (r->cfg.forward_signals) {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        for (size_t i = 0; i < NIGNORED; i++)
            installed_ignored[i] = sigaction(ignored[i], &ign, &saved_ignored[i]) == 0;
    }
    return HR_OK;
}

void hr__sig_restore(void) {
    for (size_t i = 0; i < NHANDLED; i++)
        if (installed_handled[i])
            sigaction(handled[i].sig, &saved_handled[i], NULL);
    for (size_t i = 0; i < NIGNORED; i++)
        if (installed_ignored[i])
            sigaction(ignored[i], &saved_ignored[i], NULL);
    memset(installed_handled, 0, sizeof installed_handled);
    memset(installed_ignored, 0, sizeof installed_ignored);
    for (int i = 0; i < 2; i++) {
        if (sig_pipe[i] >= 0)
            close(sig_pipe[i]);
        sig_pipe[i] = -1;
    }
    active = 0;
}

/* What a disposition becomes across exec: ignored stays, anything else is
 * the default. */
static void child_reset(int sig, const struct sigaction *orig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = orig->sa_handler == SIG_IGN ? SIG_IGN : SIG_DFL;
    sigaction(sig, &sa, NULL);
}

void hr__sig_child_defaults(void) {
    for (size_t i = 0; i < NHANDLED; i++)
        if (installed_handled[i])
            child_reset(handled[i].sig, &saved_handled[i]);
    for (size_t i = 0; i < NIGNORED; i++)
        if (installed_ignored[i])
            child_reset(ignored[i], &saved_ignored[i]);
}

void hr__sig_block_all(sigset_t *old) {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, old);
}

void hr__sig_unblock(const sigset_t *old) { pthread_sigmask(SIG_SETMASK, old, NULL); }

/* --- the terminal on stdin --- */

static int in_foreground(int fd) {
    pid_t fg = tcgetpgrp(fd);
    return fg > 0 && fg == getpgrp();
}

void hr__tty_enter(hr_run *r) {
    if (!r->in_tty)
        return;
    int fd = r->cfg.stdin_fd;
    r->in_active = in_foreground(fd);
    if (!r->in_active || r->tty_raw)
        return;
    struct termios t = r->tty_saved;
    /* Bytes pass through as typed (the pty does the line editing and echo);
     * ISIG stays, so Ctrl-C and Ctrl-Z reach headroom, which forwards them;
     * output processing stays, so headroom's own lines look right. */
    t.c_iflag &= (tcflag_t) ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= (tcflag_t) ~(ECHO | ECHONL | ICANON | IEXTEN);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    r->tty_raw = tcsetattr(fd, TCSANOW, &t) == 0;
}

void hr__tty_leave(hr_run *r) {
    if (r->tty_raw)
        tcsetattr(r->cfg.stdin_fd, TCSANOW, &r->tty_saved);
    r->tty_raw = 0;
    r->in_active = 0;
}

void hr__tty_winsize(hr_run *r) {
    struct winsize ws;
    if (r->master < 0 || r->winsize_fd < 0)
        return;
    if (ioctl(r->winsize_fd, TIOCGWINSZ, &ws) == 0)
        ioctl(r->master, TIOCSWINSZ, &ws);
}

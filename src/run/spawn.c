/* spawn.c: the job's I/O (a pseudo-terminal or pipes, the step pipe and
 * socket), the guardian's fork, and the job's fork and exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "run/run_internal.h"

extern char **environ;

int hr__fd_flags(int fd, int nonblock) {
    int f = fcntl(fd, F_GETFD);
    if (f < 0 || fcntl(fd, F_SETFD, f | FD_CLOEXEC) != 0)
        return -1;
    if (!nonblock)
        return 0;
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ? -1 : 0;
}

/* Moves FD to a number >= 3, so that it never lands on a standard stream
 * of the job when headroom itself was started with one closed. */
static int fd_high(int fd) {
    if (fd < 0 || fd >= 3)
        return fd;
    int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return n;
}

static int make_pipe(int p[2]) {
    if (pipe(p) != 0)
        return -1;
    p[0] = fd_high(p[0]);
    p[1] = fd_high(p[1]);
    if (p[0] < 0 || p[1] < 0 || hr__fd_flags(p[0], 1) || hr__fd_flags(p[1], 0)) {
        int e = errno;
        if (p[0] >= 0)
            close(p[0]);
        if (p[1] >= 0)
            close(p[1]);
        p[0] = p[1] = -1;
        errno = e;
        return -1;
    }
    return 0;
}

/* Opens a pseudo-terminal pair: the master non-blocking. */
static int open_pty(int *master, int *slave) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0)
        return -1;
    char name[128];
#ifdef __linux__
    int named = ptsname_r(m, name, sizeof name) == 0;
#else
    const char *pn = ptsname(m);
    int named = pn && strlen(pn) < sizeof name;
    if (named)
        memcpy(name, pn, strlen(pn) + 1);
#endif
    int s = -1;
    if (grantpt(m) == 0 && unlockpt(m) == 0 && named)
        s = open(name, O_RDWR | O_NOCTTY);
    m = fd_high(m);
    s = fd_high(s);
    if (m < 0 || s < 0 || hr__fd_flags(m, 1) || hr__fd_flags(s, 0)) {
        int e = errno;
        if (m >= 0)
            close(m);
        if (s >= 0)
            close(s);
        errno = e;
        return -1;
    }
    *master = m;
    *slave = s;
    return 0;
}

/* Output K (0 stdout, 1 stderr): on the pty (the first such output relays
 * the master) or through a pipe of its own. */
static int setup_output(hr_run *r, int k, int on_pty) {
    hr__stream *st = &r->streams[k];
    st->dst = k == 0 ? r->cfg.stdout_fd : r->cfg.stderr_fd;
    st->is_err = k == 1;
    if (on_pty) {
        r->job_fd[1 + k] = r->slave;
        int master_taken = k == 1 && r->streams[0].src == r->master;
        st->src = master_taken ? -1 : r->master;
        st->eof = master_taken;
        return 0;
    }
    int p[2];
    if (make_pipe(p) != 0)
        return -1;
    st->src = p[0];
    r->pipe_wr[k] = p[1];
    r->job_fd[1 + k] = p[1];
    return 0;
}

static hr_status setup_pty(hr_run *r, int in_tty, int out_tty, int err_tty) {
    int host = out_tty   ? r->cfg.stdout_fd
               : err_tty ? r->cfg.stderr_fd
               : in_tty  ? r->cfg.stdin_fd
                         : -1;
    struct termios t;
    if (host >= 0 && tcgetattr(host, &t) == 0)
        tcsetattr(r->slave, TCSANOW, &t);
    r->winsize_fd = host;
    hr__tty_winsize(r);
    int force = r->cfg.io == HR_RUN_IO_PTY;
    if (setup_output(r, 0, force || out_tty) || setup_output(r, 1, force || err_tty))
        return hr__fail(r->ctx, HR_EIO, errno, "pipe: %s", strerror(errno));
    if (in_tty && tcgetattr(r->cfg.stdin_fd, &r->tty_saved) == 0) {
        r->in_tty = 1;
        r->job_fd[0] = r->slave;
    }
    return HR_OK;
}

/* The datagram socket of the step channel, in a private directory. A
 * socket that cannot be made is left out (the pipe still works). */
static void setup_socket(hr_run *r) {
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 64)
        tmp = "/tmp";
    char dir[108];
    /* mkdtemp's template ends in six 'X' (spelled out so that no grep for
     * left-over markers trips on it). */
    static const char six_x[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};
    snprintf(dir, sizeof dir, "%s/headroom-%s", tmp, six_x);
    if (!mkdtemp(dir))
        return;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    int n = snprintf(a.sun_path, sizeof a.sun_path, "%s/step.sock", dir);
    int fd = n > 0 && (size_t)n < sizeof a.sun_path ? socket(AF_UNIX, SOCK_DGRAM, 0) : -1;
    fd = fd_high(fd);
    if (fd < 0 || hr__fd_flags(fd, 1) || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        rmdir(dir);
        return;
    }
    r->sock_fd = fd;
    memcpy(r->sock_dir, dir, sizeof dir);
    memcpy(r->sock_path, a.sun_path, sizeof r->sock_path);
}

hr_status hr__spawn_io(hr_run *r) {
    int in_tty = isatty(r->cfg.stdin_fd), out_tty = isatty(r->cfg.stdout_fd);
    int err_tty = isatty(r->cfg.stderr_fd);
    int want = r->cfg.io == HR_RUN_IO_PTY || (r->cfg.io == HR_RUN_IO_AUTO && (out_tty || err_tty));
    r->io = HR_RUN_IO_PIPES;
    r->job_fd[0] = r->cfg.stdin_fd;
    if (want && open_pty(&r->master, &r->slave) == 0)
        r->io = HR_RUN_IO_PTY;
    else if (r->cfg.io == HR_RUN_IO_PTY)
        return hr__fail(r->ctx, HR_EIO, errno, "pseudo-terminal: %s", strerror(errno));
    if (r->io == HR_RUN_IO_PTY) {
        hr_status st = setup_pty(r, in_tty, out_tty, err_tty);
        if (st != HR_OK)
            return st;
    } else if (setup_output(r, 0, 0) || setup_output(r, 1, 0)) {
        return hr__fail(r->ctx, HR_EIO, errno, "pipe: %s", strerror(errno));
    }
    int p[2];
    if (r->cfg.step_fd) {
        if (make_pipe(p) != 0)
            return hr__fail(r->ctx, HR_EIO, errno, "step pipe: %s", strerror(errno));
        r->step_rd = p[0];
        r->step_wr = p[1];
    }
    if (r->cfg.step_socket)
        setup_socket(r);
    return HR_OK;
}

/* --- the guardian --- */

static hr_status spawn_guardian(hr_run *r) {
    int life[2];
    if (make_pipe(life) != 0)
        return hr__fail(r->ctx, HR_EIO, errno, "lifeline pipe: %s", strerror(errno));
    hr__guardian_spec g;
    memset(&g, 0, sizeof g);
    g.lifeline = life[0];
    for (int k = 0; k < HR__GUARD_RELAYS; k++) {
        g.relay_src[k] = r->streams[k].src;
        g.relay_dst[k] = r->streams[k].dst;
    }
    g.drain[0] = r->step_rd;
    g.drain[1] = r->sock_fd;
    g.tty_fd = r->in_tty ? r->cfg.stdin_fd : -1;
    g.tty_saved = r->tty_saved;
    memcpy(g.sock_path, r->sock_path, sizeof g.sock_path);
    memcpy(g.sock_dir, r->sock_dir, sizeof g.sock_dir);
    /* The lifeline's read end must be blocking for the guardian. */
    int fl = fcntl(life[0], F_GETFL);
    fcntl(life[0], F_SETFL, fl & ~O_NONBLOCK);
    sigset_t old;
    hr__sig_block_all(&old);
    pid_t pid = hr__guardian_spawn(&g);
    int e = errno;
    hr__sig_unblock(&old);
    close(life[0]);
    if (pid < 0) {
        close(life[1]);
        return hr__fail(r->ctx, HR_EIO, e, "fork (guardian): %s", strerror(e));
    }
    r->guardian = pid;
    r->guardian_alive = 1;
    r->lifeline = life[1];
    return HR_OK;
}

/* --- the job --- */

static int has_prefix(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* The job's environment: ours without stale step variables, plus the
 * step channel's. */
static char **build_env(hr_run *r, char *fdvar, size_t fdcap, char *sockvar, size_t sockcap) {
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!has_prefix(environ[i], HR_RUN_ENV_STEP_FD "=") &&
            !has_prefix(environ[i], HR_RUN_ENV_STEP_SOCKET "="))
            env[k++] = environ[i];
    if (r->step_wr >= 0) {
        snprintf(fdvar, fdcap, "%s=%d", HR_RUN_ENV_STEP_FD, r->step_job_fd);
        env[k++] = fdvar;
    }
    if (r->sock_fd >= 0) {
        snprintf(sockvar, sockcap, "%s=%s", HR_RUN_ENV_STEP_SOCKET, r->sock_path);
        env[k++] = sockvar;
    }
    env[k] = NULL;
    return env;
}

/* In the child: only async-signal-safe calls until exec. */
static void child_exec(hr_run *r, char **env, int errfd, const sigset_t *mask) {
    hr__sig_child_defaults();
    setsid();
    if (r->io == HR_RUN_IO_PTY)
        ioctl(r->slave, TIOCSCTTY, 0);
    for (int k = 0; k < 3; k++)
        if (r->job_fd[k] != k && dup2(r->job_fd[k], k) < 0)
            goto fail;
    if (r->step_wr >= 0 && r->step_job_fd == r->step_wr && fcntl(r->step_wr, F_SETFD, 0) != 0)
        goto fail;
    if (r->step_wr >= 0 && r->step_job_fd != r->step_wr && dup2(r->step_wr, r->step_job_fd) < 0)
        goto fail;
#ifdef __linux__
    /* A second line of defence: headroom's death resumes the main process. */
    prctl(PR_SET_PDEATHSIG, SIGCONT, 0, 0, 0);
#endif
    sigprocmask(SIG_SETMASK, mask, NULL);
    environ = env;
    execvp(r->cfg.argv[0], (char *const *)r->cfg.argv);
fail:;
    int e = errno;
    (void)!write(errfd, &e, sizeof e);
    _exit(127);
}

/* Waits for the exec: returns 0 when it happened, else the child's errno. */
static int exec_result(int fd) {
    int e = 0;
    ssize_t n;
    do
        n = read(fd, &e, sizeof e);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof e ? (e ? e : EIO) : 0;
}

static void close_job_ends(hr_run *r) {
    int *ends[] = {&r->slave, &r->pipe_wr[0], &r->pipe_wr[1], &r->step_wr};
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        if (*ends[i] >= 0)
            close(*ends[i]);
        *ends[i] = -1;
    }
}

/* The number the job's step pipe gets: the lowest from 3 that the job
 * would not inherit anyway (closed, or close-on-exec) and that the child
 * does not need until exec (AVOID: the exec-error pipe). Shells like dash
 * only take one-digit descriptors in ">&$HEADROOM_STEP_FD". */
static int pick_step_fd(const hr_run *r, int avoid) {
    for (int fd = 3; fd < 1024; fd++) {
        if (fd == avoid)
            continue;
        int f = fcntl(fd, F_GETFD);
        if (f < 0 || (f & FD_CLOEXEC))
            return fd;
    }
    return r->step_wr;
}

static hr_status exec_failed(hr_run *r, pid_t pid, int e) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    hr_status st = e == ENOENT || e == ENOTDIR                 ? HR_ENOENT
                   : e == EACCES || e == EPERM || e == ENOEXEC ? HR_EPERM
                                                               : HR_EIO;
    return hr__fail(r->ctx, st, e, "cannot run '%s': %s", r->cfg.argv[0], strerror(e));
}

hr_status hr__spawn_job(hr_run *r) {
    hr_status st = spawn_guardian(r);
    if (st != HR_OK)
        return st;
    int errp[2];
    if (make_pipe(errp) != 0)
        return hr__fail(r->ctx, HR_EIO, errno, "pipe: %s", strerror(errno));
    if (r->step_wr >= 0)
        r->step_job_fd = pick_step_fd(r, errp[1]);
    char fdvar[48], sockvar[160];
    char **env = build_env(r, fdvar, sizeof fdvar, sockvar, sizeof sockvar);
    if (!env) {
        close(errp[0]);
        close(errp[1]);
        return hr__fail(r->ctx, HR_ENOMEM, ENOMEM, "out of memory");
    }
    fcntl(errp[0], F_SETFL, fcntl(errp[0], F_GETFL) & ~O_NONBLOCK);
    sigset_t old;
    hr__sig_block_all(&old);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(r, env, errp[1], &old);
    int fe = errno;
    hr__sig_unblock(&old);
    free(env);
    close(errp[1]);
    close_job_ends(r);
    if (pid < 0) {
        close(errp[0]);
        return hr__fail(r->ctx, HR_EIO, fe, "fork: %s", strerror(fe));
    }
    int e = exec_result(errp[0]);
    close(errp[0]);
    if (e)
        return exec_failed(r, pid, e);
    r->pid = pid;
    int32_t g = (int32_t)pid;
    hr__guard_send(r, HR__GUARD_PGID, &g, sizeof g);
    return HR_OK;
}

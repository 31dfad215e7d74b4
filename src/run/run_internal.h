/* run_internal.h: the runner's state and the pieces shared by its files:
 * spawn.c (I/O setup, the job's fork and exec), guardian.c (the guardian
 * process), signals.c (self-pipe, dispositions, the terminal), relay.c (the
 * poll loop: output, stdin, step sources, events) and run.c (public API,
 * reaping, pause and resume). */
#ifndef HR_RUN_RUN_INTERNAL_H
#define HR_RUN_RUN_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "core/internal.h"
#include "headroom/hr_run.h"
#include "run/progress.h"
#include "run/step_line.h"

#define HR__RUN_QUEUE 32
#define HR__RUN_READ_CAP 65536

/* Messages on the lifeline (this process -> guardian); see guardian.c. */
#define HR__GUARD_PGID 'G'  /* followed by the pgid as 4 bytes, native order */
#define HR__GUARD_CLOSE 'X' /* followed by one byte: stop holding relay source N */
#define HR__GUARD_QUIT 'Q'  /* a clean end: exit without doing anything */
#define HR__GUARD_RELAY 'R' /* this process leaves while output is still open: relay it */

/* The relays and drains a guardian takes over. */
#define HR__GUARD_RELAYS 2
typedef struct hr__guardian_spec {
    int lifeline;                      /* read end */
    int relay_src[HR__GUARD_RELAYS];   /* -1: unused */
    int relay_dst[HR__GUARD_RELAYS];
    int drain[2];                      /* step pipe, step socket; -1: unused */
    int tty_fd;                        /* the terminal to restore; -1: none */
    struct termios tty_saved;
    char sock_path[108];               /* unlinked at the end when not "" */
    char sock_dir[108];
} hr__guardian_spec;

/* Forks the guardian. Returns its pid, or -1 with errno. Call with every
 * signal blocked (the child sets its own dispositions, then unblocks). */
pid_t hr__guardian_spawn(const hr__guardian_spec *spec);

/* One output of the job being relayed. */
typedef struct hr__stream {
    int src;              /* pipe read end or pty master; -1 when closed */
    int dst;              /* where it goes (the caller's stdout or stderr) */
    int eof;
    int is_err;           /* counts as bytes_err */
    hr__segmenter seg;
} hr__stream;

/* A queued event with its own copy of the names and values. */
typedef struct hr__qev {
    hr_run_event ev;
    size_t nvalues;
    char names[HR__STEP_MAX_VALUES][HR__NAME_MAX + 1];
    double values[HR__STEP_MAX_VALUES];
} hr__qev;

struct hr_run {
    hr_ctx *ctx;
    hr_run_config cfg;
    pid_t pid;
    pid_t guardian;
    int guardian_alive;
    int lifeline;              /* write end; -1 once closed */
    int io;                    /* HR_RUN_IO_PIPES or HR_RUN_IO_PTY */

    hr__stream streams[2];     /* [0]: stdout (or the pty), [1]: stderr (pipe mode, or not a tty) */
    int master;                /* pty master, -1 in pipe mode */
    int slave;                 /* pty slave until the job is spawned */
    int job_fd[3];             /* the job's stdin, stdout, stderr (before spawn) */
    int pipe_wr[2];            /* write ends of the output pipes (before spawn) */

    /* stdin relay (pty mode with a terminal on stdin) */
    int in_tty;                /* stdin is a terminal given to the job through the pty */
    int in_active;             /* relaying now (this process is in the foreground) */
    char inbuf[4096];
    size_t inlen, inoff;
    int tty_raw;               /* the terminal on stdin is in relay mode */
    struct termios tty_saved;
    int winsize_fd;            /* the terminal whose size the pty follows; -1 */

    /* step sources */
    int step_rd, step_wr;
    int step_job_fd;           /* the number the job finds it under */
    int step_eof;
    hr__linebuf step_lb;
    int sock_fd;
    char sock_path[108], sock_dir[108];
    hr__tracker track;
    int channel_seen;
    int last_source;
    int64_t last_channel_ns;
    int64_t last_channel_index;
    int64_t seen_ns;           /* the time stamp of the data being parsed */

    /* events */
    hr__qev queue[HR__RUN_QUEUE];
    size_t qhead, qlen;
    hr__qev cur;
    const char *cur_names[HR__STEP_MAX_VALUES];

    /* the job's state */
    int running;
    int exit_reported;
    int exit_code, term_signal;
    int64_t exit_ns;
    int paused;
    int64_t pause_start_ns;
    int leader_stopped;
    int expect_cont;
    int suspending;            /* inside the Ctrl-Z dance: stops are ours */
    int64_t foreign_start_ns;  /* 0 unless stopped by someone else */

    hr_run_stats stats;
    char *readbuf;
};

/* --- signals.c --- */

/* Installs the handlers (SIGCHLD always; the rest with forward_signals)
 * and the self-pipe. Returns HR_OK, HR_EBUSY (another run), HR_EIO. */
hr_status hr__sig_install(hr_run *r);

/* Restores every disposition and closes the self-pipe. */
void hr__sig_restore(void);

/* The self-pipe's read end. */
int hr__sig_fd(void);

/* In a freshly forked child: the dispositions the process had before the
 * run (ignored stays ignored, caught becomes default). */
void hr__sig_child_defaults(void);

/* Blocks every signal, saving the mask in OLD; hr__sig_unblock restores. */
void hr__sig_block_all(sigset_t *old);
void hr__sig_unblock(const sigset_t *old);

/* Puts the terminal on stdin in relay mode when this process is in its
 * foreground (and marks stdin active), or restores it. */
void hr__tty_enter(hr_run *r);
void hr__tty_leave(hr_run *r);

/* Copies the terminal's window size to the pty. */
void hr__tty_winsize(hr_run *r);

/* --- spawn.c --- */

/* Creates the pipes / pty, the step pipe and socket. */
hr_status hr__spawn_io(hr_run *r);

/* Forks and execs the job; closes the job's ends here. */
hr_status hr__spawn_job(hr_run *r);

/* Sets FD_CLOEXEC (and O_NONBLOCK when NONBLOCK) on FD. Returns 0 or -1. */
int hr__fd_flags(int fd, int nonblock);

/* --- relay.c --- */

/* One round of waiting (up to WAIT_NS, < 0 forever) and handling what is
 * ready. */
void hr__relay_round(hr_run *r, int64_t wait_ns);

/* Reads what the step sources hold now and ends their last lines (at exit). */
void hr__relay_flush_steps(hr_run *r);

/* Queues an event (steps may merge into the last queued step when full). */
void hr__queue_push(hr_run *r, const hr__qev *e);

/* --- run.c --- */

/* Reaps every child that changed state; updates the job's state. */
void hr__run_reap(hr_run *r);

/* Handles the signals waiting on the self-pipe, and those read from it
 * while a pause was being confirmed. */
void hr__run_signals(hr_run *r);

/* 1 when signals were read from the self-pipe but not yet acted on. */
int hr__run_has_pending(void);

/* Tells the guardian MSG (one byte) and LEN more bytes. */
void hr__guard_send(hr_run *r, char msg, const void *more, size_t len);

#endif /* HR_RUN_RUN_INTERNAL_H */

/* hr_run.h: the runner: a job started under watch, its output passed
 * through, its steps found, and its process group paused and resumed.
 *
 * hr_run_start runs ARGV (execvp: no shell) in a new session and process
 * group of its own. Its output goes through this process unchanged: on a
 * pseudo-terminal when the caller's stdout or stderr is a terminal (so that
 * progress bars and colours look as without headroom; the window size
 * follows SIGWINCH), else through pipes relayed byte for byte with stdout
 * and stderr kept apart. Stdin is the caller's own (on a terminal: relayed
 * to the pseudo-terminal). Steps come from tqdm-style progress lines in the
 * output and from a step channel (HEADROOM_STEP_FD, HEADROOM_STEP_SOCKET;
 * the line protocol is in docs/RUN.md).
 *
 * Pausing sends SIGSTOP to the job's group and resuming SIGCONT. A guardian
 * process, forked before the job and blocked on a pipe that only this
 * process writes, resumes the group and takes over relaying the output when
 * this process dies for any reason (kill -9 included): a paused job is never
 * stranded and never loses its output. docs/RUN.md has the failure table.
 *
 * Signals (config.forward_signals): SIGINT, SIGTERM, SIGHUP and SIGQUIT sent
 * to this process are forwarded to the job's group, after resuming it if it
 * was paused; SIGTSTP (Ctrl-Z) stops the job, then this process, and both
 * continue together. SIGCHLD, SIGWINCH, SIGCONT, SIGTTIN, SIGTTOU and SIGPIPE
 * are handled while a run exists; the dispositions are restored by
 * hr_run_free, and the job starts with the ones the process had before.
 * This process becomes a child subreaper (Linux): orphans of the job are
 * reparented to it and reaped. Every child of the process is reaped while
 * a run exists, so use one runner per process (HR_EBUSY for a second).
 *
 * The library prints nothing: all output is the job's. */
#ifndef HR_RUN_H
#define HR_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The environment variables a job finds (docs/RUN.md). */
#define HR_RUN_ENV_STEP_FD "HEADROOM_STEP_FD"
#define HR_RUN_ENV_STEP_SOCKET "HEADROOM_STEP_SOCKET"

typedef enum hr_run_io {
    HR_RUN_IO_AUTO = 0,  /* a pseudo-terminal when stdout or stderr is a terminal, else pipes */
    HR_RUN_IO_PIPES = 1, /* pipes, even on a terminal */
    HR_RUN_IO_PTY = 2    /* a pseudo-terminal for stdout and stderr, even when not a terminal */
} hr_run_io;

typedef struct hr_run_config {
    size_t size;               /* sizeof(hr_run_config) as the caller was built */
    const char *const *argv;   /* the command, NULL-terminated; argv[0] is looked up in PATH */
    int32_t io;                /* hr_run_io (AUTO) */
    int32_t forward_signals;   /* 1 (default): handle and forward signals (see above) */
    int32_t parse_progress;    /* 1 (default): steps from progress lines in the output */
    int32_t step_fd;           /* 1 (default): pass a step pipe as HEADROOM_STEP_FD */
    int32_t step_socket;       /* 1 (default): pass a datagram socket as HEADROOM_STEP_SOCKET */
    int32_t stdin_fd;          /* the streams the job's I/O goes through (0, 1, 2) */
    int32_t stdout_fd;
    int32_t stderr_fd;
    int64_t exit_grace_ns;     /* after the job's main process ends, how long output still
                                * held open by its leftovers is relayed before the exit is
                                * reported (200 ms); the guardian relays the rest */
} hr_run_config;

/* Fills C with the defaults above. */
HR_EXTERN void hr_run_config_defaults(hr_run_config *c);

typedef struct hr_run hr_run;

typedef enum hr_run_event_kind {
    HR_RUN_EV_NONE = 0,      /* the wait ran out: nothing happened */
    HR_RUN_EV_STEP = 1,      /* the job finished a step (fields below) */
    HR_RUN_EV_SIGNAL = 2,    /* a signal for the job arrived and was forwarded to its group */
    HR_RUN_EV_SUSPENDED = 3, /* Ctrl-Z: the job and this process were stopped, and are back */
    HR_RUN_EV_STOPPED = 4,   /* the job was stopped by someone else */
    HR_RUN_EV_CONTINUED = 5, /* the job was continued by someone else */
    HR_RUN_EV_EXIT = 6       /* the job's main process ended (its output relayed) */
} hr_run_event_kind;

typedef enum hr_run_step_source {
    HR_RUN_STEP_PROGRESS = 1, /* a progress bar in the output advanced */
    HR_RUN_STEP_CHANNEL = 2   /* a line on the step channel */
} hr_run_step_source;

/* One event. Pointers are valid until the next call on the run. */
typedef struct hr_run_event {
    int32_t kind;             /* hr_run_event_kind */
    int32_t source;           /* STEP: hr_run_step_source */
    int64_t t_ns;             /* when this process saw it (CLOCK_MONOTONIC) */
    /* STEP */
    int64_t index;            /* the job's step number (progress: the bar's count) */
    double units;             /* units of work in the step (progress: the count's growth) */
    int64_t total;            /* progress: the bar's total; -1 when none */
    int64_t start_ns;         /* when the step began, as far as the output tells (the bar's
                               * previous advance; a channel step's dt; else the previous
                               * step of its source, or the job's start) */
    int32_t new_stream;       /* 1 when steps now come from another bar or source */
    int32_t reserved;
    size_t nvalues;           /* named numbers the job reported (loss=0.3 ...) */
    const char *const *names;
    const double *values;
    /* SIGNAL */
    int32_t signal;           /* the signal number */
    int32_t was_paused;       /* 1: the job was paused and has been resumed first */
    /* SUSPENDED, STOPPED / CONTINUED (times on the same clock) */
    int64_t stopped_ns;       /* how long the job was stopped (SUSPENDED, CONTINUED) */
    /* EXIT */
    int32_t exit_code;        /* what a shell would report: the code, or 128 + signal */
    int32_t term_signal;      /* the signal that ended it, 0 for a normal exit */
} hr_run_event;

/* Starts the job. Returns HR_OK; HR_EINVAL (no command, bad config);
 * HR_ENOENT (command not found: a shell would exit 127); HR_EPERM (found but
 * not executable: 126); HR_EBUSY (another run exists in this process);
 * HR_EIO (pipes, pseudo-terminal or fork failed); HR_ENOMEM. The detail is on
 * CTX (hr_ctx_last_error). */
HR_EXTERN hr_status hr_run_start(hr_ctx *ctx, const hr_run_config *config, hr_run **out);

/* Relays output and waits up to TIMEOUT_NS (0: do not wait; < 0: no limit)
 * for the next event. Returns HR_OK with EV filled (kind NONE when the time
 * ran out), HR_ESTATE once the EXIT event has been returned, HR_EINVAL. */
HR_EXTERN hr_status hr_run_poll(hr_run *run, int64_t timeout_ns, hr_run_event *ev);

/* Stops the job's process group (SIGSTOP) and waits up to TIMEOUT_NS for
 * its main process to report the stop. Returns HR_OK (stopped);
 * HR_ETIMEDOUT (sent, the stop not seen in time: the job counts as paused);
 * HR_ESTATE (already paused, or the job has ended). */
HR_EXTERN hr_status hr_run_pause(hr_run *run, int64_t timeout_ns);

/* Continues the job's process group (SIGCONT). Returns HR_OK, or HR_ESTATE
 * when it was not paused. */
HR_EXTERN hr_status hr_run_resume(hr_run *run);

/* 1 while paused by hr_run_pause. */
HR_EXTERN int hr_run_paused(const hr_run *run);

/* Sends SIG to the job's group as a forwarded signal would be: resumed
 * first if paused, and for SIGINT, SIGTERM, SIGHUP and SIGQUIT followed by
 * SIGCONT (a stopped member must be able to act on it). Returns HR_OK,
 * HR_EINVAL, HR_ESTATE (the job has ended). */
HR_EXTERN hr_status hr_run_signal(hr_run *run, int sig);

/* The job's process id (also its process group and session id). */
HR_EXTERN int hr_run_pid(const hr_run *run);

/* The job's cumulative I/O counters from /proc/PID/io (through the
 * context's root): RCHAR_BYTES, bytes it asked read() for (page cache
 * included: re-reading cached files counts), and READ_BYTES, bytes fetched
 * from storage. The kernel adds the counters of threads that ended and of
 * children the job reaped (data-loader workers). Unknown, with the reason,
 * once the job is gone or where the file cannot be read. Returns HR_OK or
 * HR_EINVAL. */
HR_EXTERN hr_status hr_run_read_io(const hr_run *run, hr_reading *rchar_bytes,
                                   hr_reading *read_bytes);

typedef struct hr_run_stats {
    size_t size;                /* set by the caller: sizeof(hr_run_stats), or 0 for all */
    int32_t pid;
    int32_t guardian_pid;
    int32_t io;                 /* what is used: HR_RUN_IO_PIPES or HR_RUN_IO_PTY */
    int32_t running;            /* 1 until the main process has ended */
    int32_t paused;
    int32_t guardian_alive;
    int64_t start_ns;
    int64_t bytes_out;          /* relayed to stdout (the pseudo-terminal's output included) */
    int64_t bytes_err;          /* relayed to stderr */
    int64_t write_errors;       /* failed writes to stdout/stderr (the data was dropped) */
    int64_t progress_readings;  /* output segments that were progress readings */
    int64_t progress_steps;
    int64_t channel_steps;
    int64_t channel_malformed;  /* step lines skipped as malformed */
    int64_t pauses;
    int64_t paused_ns;          /* time paused by hr_run_pause (the pause on included) */
    int64_t foreign_stop_ns;    /* time stopped by others or suspended (Ctrl-Z) */
    int64_t orphans_reaped;     /* processes reaped that were not the job nor the guardian */
    int32_t step_fd;            /* the fd number the job got; -1 none */
    int32_t exit_code;          /* valid once running is 0 */
    int32_t term_signal;
    int32_t reserved;
    char step_socket[108];      /* the socket path the job got; "" none */
    char last_malformed[128];   /* why the latest malformed step line was skipped */
} hr_run_stats;

/* Fills STATS. Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_run_stats_get(const hr_run *run, hr_run_stats *stats);

/* Ends the run: a paused job is resumed; the terminal and the signal
 * dispositions are restored. When the job or its leftovers still hold their
 * output open, the guardian takes over relaying it (the job is never killed);
 * otherwise the guardian exits. NULL is allowed. */
HR_EXTERN void hr_run_free(hr_run *run);

#ifdef __cplusplus
}
#endif

#endif /* HR_RUN_H */

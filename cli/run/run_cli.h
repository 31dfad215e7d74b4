/* run_cli.h: `headroom run -- CMD ARGS...`, the pieces its files share: the
 * options, the state of one run, and what each file offers the others.
 * CLI-internal (prefix run_): none of it is library API.
 *
 *   cmd_run.c  cmd_run(): the phases in order, and cleanup
 *   options.c  the usage text and the options (run_opts)
 *   session.c  the session file: its meta, the events and steps written to
 *              it; the job's start
 *   sensors.c  what is read each tick: the sensors fed to the governor, the
 *              job's I/O counters; throttle and slowdown intervals
 *   govern.c   the governor's decisions, cooling breaks, the event loop
 *   summary.c  the totals over step streams, the text and JSON summaries,
 *              the end of the session */
#ifndef HR_CLI_RUN_RUN_CLI_H
#define HR_CLI_RUN_RUN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "headroom/hr_exporter.h"
#include "headroom/hr_govern.h"
#include "headroom/hr_probe.h"
#include "headroom/hr_record.h"
#include "headroom/hr_run.h"
#include "headroom/hr_session.h"

#define RUN_MAX_PENDING 256 /* steps seen at one instant fed one by one; more are merged */

/* ------------------------------------------------------------------ */
/* types */

/* The command line, parsed (options.c). */
typedef struct run_opts {
    hr_govern_config gov;
    const char *output;
    const char *json_summary;
    const char *root;
    double hz;
    int io;
    int no_record;
    int force;
    int quiet;
    const char *serve;     /* --serve ADDR: Prometheus /metrics while the job runs */
    int64_t dataset_bytes; /* --dataset-bytes: the job's input size, for the re-read check */
    int gave_break, gave_crit_break; /* lengths given on the command line */
    char **cmd;                      /* NULL-terminated */
} run_opts;

/* An interval of some condition (throttling, slowdown) to record as an event. */
typedef struct run_interval {
    int on;
    int64_t start_ns;
    char detail[192];
} run_interval;

enum { IV_GPU_THERMAL, IV_GPU_POWER, IV_PRESSURE, IV_CPU_HOT, IV_SLOWDOWN, IV_COUNT };

/* The governors' statistics summed over the streams of steps (a new stream:
 * a new governor, see new_stream in hr_run.h). */
typedef struct run_totals {
    uint64_t steps, breaks, critical_breaks, batch_breaks, sensor_breaks, streams;
    double units, wall_s, productive_s, break_total_s, ideal_s, ideal_wall_s, loss_s;
    double throttled_s[HR_GTHROTTLE_COUNT];
} run_totals;

typedef struct run_state {
    const run_opts *o;
    hr_ctx *ctx;
    hr_session *sess;
    hr_recorder *rec;
    hr_exporter *srv;             /* --serve */
    hr_reading io_rchar, io_read; /* the job's /proc/PID/io counters, latest known */
    int64_t cooling_ns;           /* ended breaks, for the exporter's job status */
    hr_probe *probe;              /* --no-record: sensors read here */
    hr_governor *gov;
    hr_run *run;
    int armed; /* 0 after a terminating signal was forwarded: no more pauses */
    int rec_failed;
    int64_t gov_last_t;
    int64_t ticks_seen;
    int64_t next_tick_ns, tick_ns;
    int64_t next_probe_ns; /* --no-record: when our probe is read next (at --hz) */
    int64_t job_start_ns, job_end_ns;
    int64_t foreign_at_step;
    struct {
        int active;
        int64_t t_ns, start_ns;
        int new_stream;
        int n; /* steps seen at t_ns */
        double units[RUN_MAX_PENDING];
    } pend;
    struct {
        int active;
        int64_t start_ns;
        int reason, policy;
        double planned_s;
        char text[192];
    } brk;
    run_interval iv[IV_COUNT];
    run_totals done;     /* governors already replaced */
    hr_run_stats rstats; /* the runner's figures at the job's end */
    uint64_t recorded_steps;
    uint64_t breaks_started; /* every break this run, for --serve */
    char session_path[512];
} run_state;

/* ------------------------------------------------------------------ */
/* time */

static inline int64_t run_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline double run_s_of(int64_t ns) { return (double)ns / 1e9; }

/* ------------------------------------------------------------------ */
/* options.c */

/* Fills O from ARGV (O->cmd points into ARGV). Returns -1 after --help
 * (printed on stdout), 0 when parsed, else the usage exit code (the error
 * printed). */
int run_parse_args(int argc, char **argv, run_opts *o);

/* ------------------------------------------------------------------ */
/* session.c */

/* The session and the recorder (or, with --no-record, a probe), and the
 * exporter with --serve. Returns 0, or -1 with the error printed. */
int run_open_recording(run_state *st, char **argv);

/* Starts the job. Returns 0, or the exit code (127, 126, 1) with the error
 * printed. */
int run_start_job(run_state *st);

/* Records an event; a storage failure is reported once and recording stops
 * (the job goes on). No-op without a recorder. */
void run_record_event(run_state *st, const char *kind, int64_t start, int64_t end,
                      const char *detail);

/* Records the step EV, with the same failure rule as run_record_event. */
void run_record_step(run_state *st, const hr_run_event *ev);

/* ------------------------------------------------------------------ */
/* sensors.c */

/* A new sample when one is due: the recorder's newest tick, or (without a
 * session) a refresh of our own probe. Returns 1 when S was filled. */
int run_new_sample(run_state *st, int64_t t, hr_govern_sensors *s);

/* Keeps the job's latest known I/O counters (st->io_rchar, st->io_read). */
void run_read_job_io(run_state *st);

/* Opens or closes at T the throttle intervals that sample S shows. */
void run_iv_from_sensors(run_state *st, const hr_govern_sensors *s, int64_t t);

/* Opens or closes the slowdown interval from the governor's latest ratio,
 * after the pending steps (st->pend) were fed. */
void run_iv_slowdown(run_state *st);

/* Closes every open interval at T. */
void run_iv_close_all(run_state *st, int64_t t);

/* ------------------------------------------------------------------ */
/* govern.c */

/* Runs until the job's exit (st->job_end_ns set); returns its exit code, or
 * HR_EXIT_FAIL when the runner fails. */
int run_main_loop(run_state *st);

/* Tells the exporter (--serve) what the job is doing; no-op without one. */
void run_publish_job(run_state *st, hr_job_state state, int64_t now);

/* Ends the break (if any) and closes the intervals at T. */
void run_close_open(run_state *st, int64_t t);

/* ------------------------------------------------------------------ */
/* summary.c */

/* "45 s", "1.5 s", "2 min 30 s", "unknown". Returns BUF. */
const char *run_fmt_secs(double s, char *buf, size_t cap);

/* Adds a governor's statistics to T (one more stream). */
void run_totals_add(run_totals *t, const hr_govern_stats *g);

/* After the job's exit with CODE: the last events, the session finished,
 * the summaries. Returns CODE. */
int run_finish(run_state *st, int code);

#endif /* HR_CLI_RUN_RUN_CLI_H */

/* cmd_run.c: `headroom run -- CMD ARGS...`: the job under watch
 * (hr_run.h), its steps and the sensors fed to the governor (hr_govern.h),
 * cooling breaks as pauses of its process group, everything recorded in a
 * session (hr_record.h), one line on stderr per break and a summary at the
 * end. The job's own output is untouched: headroom writes only to stderr.
 * Exit code: the job's (128 + N for a signal); 127 / 126 when it cannot be
 * started; 1 for other failures before it starts; 2 for usage errors. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "headroom/hr_exporter.h"
#include "headroom/hr_govern.h"
#include "headroom/hr_plan.h"
#include "headroom/hr_run.h"

#define NS 1000000000LL
#define MAX_GPUS 16
#define PAUSE_CONFIRM_NS 200000000LL /* the stop seen, or the break goes on unconfirmed */
#define MAX_PENDING 256              /* steps seen at one instant fed one by one; more are merged */

/* ------------------------------------------------------------------ */
/* options */

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
    const char *serve; /* --serve ADDR: Prometheus /metrics while the job runs */
    int64_t dataset_bytes; /* --dataset-bytes: the job's input size, for the re-read check */
    int gave_break, gave_crit_break; /* lengths given on the command line */
    char **cmd;                      /* NULL-terminated */
} run_opts;

static void usage(FILE *f) {
    hr_govern_config d;
    hr_govern_config_defaults(&d);
    fprintf(
        f,
        "usage: headroom run [--policy auto|timing|batch|sensor|off] [-o FILE] [--hz N]\n"
        "                    [--baseline S] [--threshold X] [--critical X]\n"
        "                    [--critical-units N] [--window N]\n"
        "                    [--batch-size N] [--break S] [--critical-break S] [--max-break S]\n"
        "                    [--json-summary FILE] [--no-record] [--io auto|pty|pipes]\n"
        "                    [--force] [--quiet] [--root DIR] [--serve ADDR] -- CMD [ARGS...]\n\n"
        "Runs CMD (no shell) under watch: its output passes through unchanged (on a\n"
        "pseudo-terminal when yours is a terminal), Ctrl-C and other signals reach it,\n"
        "and headroom exits with its status. Steps are read from tqdm-style progress\n"
        "lines and from the step channel (HEADROOM_STEP_FD / HEADROOM_STEP_SOCKET:\n"
        "one line per step, \"step=12 units=25 loss=0.31\"; see docs/RUN.md). The\n"
        "governor pauses the job (SIGSTOP of its process group) for cooling breaks\n"
        "and resumes it; if headroom dies, a guardian process resumes the job.\n\n"
        "  --policy P          auto (default: sensor where sensors exist, else timing),\n"
        "                      timing, batch, sensor, or off (only record)\n"
        "  -o, --output FILE   session file (default run-YYYYmmdd-HHMMSS.db)\n"
        "      --hz N          sensor samples per second, up to 1000 (default 1)\n"
        "      --baseline S    seconds per unit of work when not slowed (default: learned)\n"
        "      --threshold X   slowdown ratio that calls a break (default %g)\n"
        "      --critical X    a step ratio that calls a longer break (default %g), once\n"
        "                      consecutive such steps hold --critical-units units (default\n"
        "                      %g: a lone checkpoint step is not heat)\n"
        "      --window N      recent steps the slowdown is judged on (default %u)\n"
        "      --batch-size N  batch policy: a break every N steps (default %u)\n"
        "      --break S       length of a timing or batch break: 45, 45s, 2m\n"
        "                      (default %g s; batch %g s)\n"
        "      --critical-break S  length of a critical break (default %g s)\n"
        "      --max-break S   longest break of any kind (default %g s)\n"
        "      --json-summary FILE  also write the summary as JSON\n"
        "      --no-record     no session file (sensors are still read for the governor)\n"
        "      --io MODE       auto (default), pty or pipes: how the job's output is relayed\n"
        "      --force         replace the session file if it exists\n"
        "      --quiet         no break lines and no summary\n"
        "      --dataset-bytes SIZE  the size of the job's input data (12G, 500MB): the report\n"
        "                      compares it with what the job read (/proc/PID/io)\n"
        "      --serve ADDR    also serve Prometheus /metrics at ADDR (127.0.0.1:9968), with\n"
        "                      the job's state, steps and cooling time; needs recording\n"
        "      --root DIR      read DIR/sys and DIR/proc instead of /sys and /proc\n\n"
        "Each break prints one line on stderr (\"headroom: cooling 45 s: GPU 87 °C, HW\n"
        "thermal slowdown\"); a summary follows the job's end (units, productive time,\n"
        "breaks, throttle loss, efficiency). Everything is in the session file.\n\n"
        "exit codes: the job's own (128 + N when a signal ended it); 127 command not\n"
        "found, 126 not executable, 1 runtime failure before the job started, 2 usage.\n",
        d.threshold, d.critical, d.critical_evidence_units, (unsigned)d.window, (unsigned)d.batch_size, d.break_s,
        d.batch_break_s, d.critical_break_s, d.max_break_s);
}

/* A duration in seconds, at most 1e9 (cli_parse_seconds). Returns 0 or -1. */
static int parse_seconds(const char *s, double *out) {
    double v;
    if (cli_parse_seconds(s, &v) != 0 || v > 1e9)
        return -1;
    *out = v;
    return 0;
}

static int parse_number(const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_count(const char *s, uint32_t *out) {
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < 0 || v > 1000000)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

enum {
    OPT_POLICY = 256,
    OPT_HZ,
    OPT_BASELINE,
    OPT_THRESHOLD,
    OPT_CRITICAL,
    OPT_CRIT_UNITS,
    OPT_WINDOW,
    OPT_BATCH,
    OPT_BREAK,
    OPT_CRIT_BREAK,
    OPT_MAX_BREAK,
    OPT_JSON,
    OPT_NO_RECORD,
    OPT_IO,
    OPT_FORCE,
    OPT_QUIET,
    OPT_ROOT,
    OPT_SERVE,
    OPT_DATASET
};

static const struct option long_opts[] = {
    {"policy", required_argument, NULL, OPT_POLICY},
    {"output", required_argument, NULL, 'o'},
    {"hz", required_argument, NULL, OPT_HZ},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"critical", required_argument, NULL, OPT_CRITICAL},
    {"critical-units", required_argument, NULL, OPT_CRIT_UNITS},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"batch-size", required_argument, NULL, OPT_BATCH},
    {"break", required_argument, NULL, OPT_BREAK},
    {"critical-break", required_argument, NULL, OPT_CRIT_BREAK},
    {"max-break", required_argument, NULL, OPT_MAX_BREAK},
    {"json-summary", required_argument, NULL, OPT_JSON},
    {"no-record", no_argument, NULL, OPT_NO_RECORD},
    {"io", required_argument, NULL, OPT_IO},
    {"force", no_argument, NULL, OPT_FORCE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"serve", required_argument, NULL, OPT_SERVE},
    {"dataset-bytes", required_argument, NULL, OPT_DATASET},
    {"root", required_argument, NULL, OPT_ROOT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad_value(const char *opt, const char *arg, const char *what) {
    return cli_usage_error("run", "%s: '%s' is not %s", opt, arg, what);
}

/* The governor's knobs. Returns 0, or the usage exit code. */
static int parse_knob(run_opts *o, int c, const char *arg) {
    hr_govern_config *g = &o->gov;
    double v = 0;
    switch (c) {
    case OPT_BASELINE:
        return parse_seconds(arg, &g->baseline_s_per_unit) || !(g->baseline_s_per_unit > 0)
                   ? bad_value("--baseline", arg, "seconds per unit > 0")
                   : 0;
    case OPT_THRESHOLD:
        return parse_number(arg, &g->threshold) ? bad_value("--threshold", arg, "a ratio") : 0;
    case OPT_CRITICAL:
        return parse_number(arg, &g->critical) ? bad_value("--critical", arg, "a ratio") : 0;
    case OPT_CRIT_UNITS:
        return parse_number(arg, &g->critical_evidence_units)
                   ? bad_value("--critical-units", arg, "a number of units")
                   : 0;
    case OPT_WINDOW:
        return parse_count(arg, &g->window) ? bad_value("--window", arg, "a count") : 0;
    case OPT_BATCH:
        return parse_count(arg, &g->batch_size) ? bad_value("--batch-size", arg, "a count") : 0;
    case OPT_BREAK:
        if (parse_seconds(arg, &v))
            return bad_value("--break", arg, "a duration (45, 45s, 2m)");
        g->break_s = g->batch_break_s = v;
        o->gave_break = 1;
        return 0;
    case OPT_CRIT_BREAK:
        o->gave_crit_break = 1;
        return parse_seconds(arg, &g->critical_break_s)
                   ? bad_value("--critical-break", arg, "a duration")
                   : 0;
    case OPT_MAX_BREAK:
        return parse_seconds(arg, &g->max_break_s) ? bad_value("--max-break", arg, "a duration")
                                                   : 0;
    default: return cli_usage_error("run", "unknown option");
    }
}

static int parse_one(run_opts *o, int c, const char *arg) {
    hr_govern_policy p;
    switch (c) {
    case OPT_POLICY:
        if (hr_govern_policy_from_name(arg, &p) != HR_OK)
            return bad_value("--policy", arg, "auto, timing, batch, sensor or off");
        o->gov.policy = (int32_t)p;
        return 0;
    case 'o': o->output = arg; return 0;
    case OPT_HZ:
        return parse_number(arg, &o->hz) || !(o->hz > 0) || o->hz > HR_RECORD_MAX_HZ
                   ? bad_value("--hz", arg, "a rate in (0, 1000]")
                   : 0;
    case OPT_JSON: o->json_summary = arg; return 0;
    case OPT_NO_RECORD: o->no_record = 1; return 0;
    case OPT_FORCE: o->force = 1; return 0;
    case OPT_QUIET: o->quiet = 1; return 0;
    case OPT_SERVE: o->serve = arg; return 0;
    case OPT_DATASET: {
        hr_plan_error e;
        if (hr_plan_parse_bytes(arg, &o->dataset_bytes, &e) != HR_OK || o->dataset_bytes <= 0)
            return bad_value("--dataset-bytes", arg, "a size such as 12G, 500MB or 1048576");
        return 0;
    }
    case OPT_ROOT: o->root = arg; return 0;
    case OPT_IO:
        if (strcmp(arg, "auto") && strcmp(arg, "pty") && strcmp(arg, "pipes"))
            return bad_value("--io", arg, "auto, pty or pipes");
        o->io = !strcmp(arg, "pty")     ? HR_RUN_IO_PTY
                : !strcmp(arg, "pipes") ? HR_RUN_IO_PIPES
                                        : HR_RUN_IO_AUTO;
        return 0;
    default: return parse_knob(o, c, arg);
    }
}

/* Returns -1 after --help, 0 when parsed, else the usage exit code. */
static int parse_args(int argc, char **argv, run_opts *o) {
    memset(o, 0, sizeof *o);
    hr_govern_config_defaults(&o->gov);
    o->hz = 1.0;
    optind = 1;
    opterr = 0;
    int c;
    /* "+": options end at the command, so its own options stay its own. */
    while ((c = getopt_long(argc, argv, "+:o:h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?' || c == ':')
            return cli_usage_error("run", "%s option '%s'",
                                   c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
        int rc = parse_one(o, c, optarg);
        if (rc)
            return rc;
    }
    if (optind >= argc)
        return cli_usage_error("run", "no command given (headroom run [options] -- CMD [ARGS...])");
    o->cmd = argv + optind;
    if (o->serve && o->no_record)
        return cli_usage_error("run", "--serve needs recording (it serves the recorder's samples); "
                                      "drop --no-record");
    /* A --max-break below the default lengths shortens them too. */
    hr_govern_config *g = &o->gov;
    if (!o->gave_break && g->break_s > g->max_break_s)
        g->break_s = g->max_break_s;
    if (!o->gave_break && g->batch_break_s > g->max_break_s)
        g->batch_break_s = g->max_break_s;
    if (!o->gave_crit_break && g->critical_break_s > g->max_break_s)
        g->critical_break_s = g->max_break_s;
    char why[192];
    if (hr_govern_config_validate(&o->gov, why, sizeof why) != HR_OK)
        return cli_usage_error("run", "%s", why);
    return 0;
}

/* ------------------------------------------------------------------ */
/* the state of a run */

/* An interval of some condition (throttling, slowdown) to record as an event. */
typedef struct interval {
    int on;
    int64_t start_ns;
    char detail[192];
} interval;

enum { IV_GPU_THERMAL, IV_GPU_POWER, IV_PRESSURE, IV_CPU_HOT, IV_SLOWDOWN, IV_COUNT };
static const char *const iv_kinds[IV_COUNT] = {"throttle", "throttle", "throttle", "throttle",
                                               "slowdown"};

/* The governors' statistics summed over the streams of steps (a new stream:
 * a new governor, see new_stream in hr_run.h). */
typedef struct totals {
    uint64_t steps, breaks, critical_breaks, batch_breaks, sensor_breaks, streams;
    double units, wall_s, productive_s, break_total_s, ideal_s, ideal_wall_s, loss_s;
    double throttled_s[HR_GTHROTTLE_COUNT];
} totals;

typedef struct run_state {
    const run_opts *o;
    hr_ctx *ctx;
    hr_session *sess;
    hr_recorder *rec;
    hr_exporter *srv; /* --serve */
    hr_reading io_rchar, io_read; /* the job's /proc/PID/io counters, latest known */
    int64_t cooling_ns; /* ended breaks, for the exporter's job status */
    hr_probe *probe; /* --no-record: sensors read here */
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
        double units[MAX_PENDING];
    } pend;
    struct {
        int active;
        int64_t start_ns;
        int reason, policy;
        double planned_s;
        char text[192];
    } brk;
    interval iv[IV_COUNT];
    totals done;         /* governors already replaced */
    hr_run_stats rstats; /* the runner's figures at the job's end */
    uint64_t recorded_steps;
    uint64_t breaks_started; /* every break this run, for --serve */
    char session_path[512];
} run_state;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static double s_of(int64_t ns) { return (double)ns / 1e9; }

/* "45 s", "1.5 s", "2 min 30 s". */
static const char *fmt_secs(double s, char *buf, size_t cap) {
    if (!isfinite(s))
        snprintf(buf, cap, "unknown");
    else if (s < 10 && s != floor(s))
        snprintf(buf, cap, "%.1f s", s);
    else if (s < 120)
        snprintf(buf, cap, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, cap, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

/* Records an event; a storage failure is reported once and recording stops
 * (the job goes on). */
static void record_event(run_state *st, const char *kind, int64_t start, int64_t end,
                         const char *detail) {
    if (!st->rec || st->rec_failed)
        return;
    if (hr_recorder_add_event(st->rec, kind, start, end, detail) != HR_OK) {
        st->rec_failed = 1;
        cli_error("run", "recording failed; the job goes on unrecorded", NULL);
    }
}

/* ------------------------------------------------------------------ */
/* intervals */

static void iv_set(run_state *st, int k, int on, int64_t t, const char *detail) {
    interval *v = &st->iv[k];
    if (on && !v->on) {
        v->on = 1;
        v->start_ns = t;
        snprintf(v->detail, sizeof v->detail, "%s", detail);
    } else if (!on && v->on) {
        v->on = 0;
        record_event(st, iv_kinds[k], v->start_ns, t > v->start_ns ? t : v->start_ns, v->detail);
    }
}

static void iv_from_sensors(run_state *st, const hr_govern_sensors *s, int64_t t) {
    char text[160], detail[192];
    uint64_t mask = HR_IS_KNOWN(s->gpu_throttle_reasons) ? (uint64_t)s->gpu_throttle_reasons.v : 0;
    /* Every thermal reason counts here, also those that pause only near the limit. */
    uint64_t th = mask & (st->o->gov.thermal_reasons_mask | st->o->gov.near_reasons_mask);
    uint64_t pw = mask & st->o->gov.power_reasons_mask;
    hr_throttle_reasons_text(th, text, sizeof text);
    snprintf(detail, sizeof detail, "gpu%d thermal: %s", s->gpu_index, text);
    iv_set(st, IV_GPU_THERMAL, th != 0, t, detail);
    hr_throttle_reasons_text(pw, text, sizeof text);
    snprintf(detail, sizeof detail, "gpu%d power cap: %s", s->gpu_index, text);
    iv_set(st, IV_GPU_POWER, pw != 0, t, detail);
    int heavy =
        HR_IS_KNOWN(s->thermal_pressure) && s->thermal_pressure.v >= st->o->gov.pressure_pause;
    snprintf(detail, sizeof detail, "thermal pressure level %lld",
             (long long)s->thermal_pressure.v);
    iv_set(st, IV_PRESSURE, heavy, t, detail);
    int hot = HR_IS_KNOWN(s->cpu_temp_mc) && HR_IS_KNOWN(s->cpu_temp_crit_mc) &&
              (double)s->cpu_temp_mc.v >=
                  (double)s->cpu_temp_crit_mc.v - st->o->gov.cpu_pause_margin_c * 1000.0;
    snprintf(detail, sizeof detail, "cpu %.1f °C, near its limit %.1f °C",
             (double)s->cpu_temp_mc.v / 1000.0, (double)s->cpu_temp_crit_mc.v / 1000.0);
    iv_set(st, IV_CPU_HOT, hot, t, detail);
}

/* ------------------------------------------------------------------ */
/* sensors */

/* A reading of COMP/METRIC from the recorder's latest tick (unknown else). */
static hr_reading latest(run_state *st, const char *comp, const char *metric, int *exists) {
    hr_reading r;
    memset(&r, 0, sizeof r);
    hr_status s = hr_recorder_latest(st->rec, comp, metric, &r);
    if (exists)
        *exists = s != HR_ENOENT;
    if (s != HR_OK)
        memset(&r, 0, sizeof r);
    return r;
}

/* The margin to the slowdown threshold, as hr_govern_sensors_from_probe
 * judges it: NVML's, else slowdown - temperature. */
static int gpu_margin(const hr_govern_sensors *g, int64_t *m) {
    if (HR_IS_KNOWN(g->gpu_temp_margin_mc)) {
        *m = g->gpu_temp_margin_mc.v;
        return 1;
    }
    if (HR_IS_KNOWN(g->gpu_temp_mc) && HR_IS_KNOWN(g->gpu_temp_slowdown_mc) &&
        g->gpu_temp_slowdown_mc.v > 0) {
        *m = g->gpu_temp_slowdown_mc.v - g->gpu_temp_mc.v;
        return 1;
    }
    return 0;
}

/* 1 when candidate A is closer to its limit than the current pick B. */
static int gpu_closer(const hr_govern_sensors *a, const hr_govern_sensors *b) {
    if (b->gpu_index < 0)
        return 1;
    int64_t ma = 0, mb = 0;
    int ka = gpu_margin(a, &ma), kb = gpu_margin(b, &mb);
    if (ka != kb)
        return ka;
    if (ka)
        return ma < mb;
    if (HR_IS_KNOWN(a->gpu_temp_mc) != HR_IS_KNOWN(b->gpu_temp_mc))
        return HR_IS_KNOWN(a->gpu_temp_mc);
    return HR_IS_KNOWN(a->gpu_temp_mc) && a->gpu_temp_mc.v > b->gpu_temp_mc.v;
}

/* The sensors from the recorder's latest tick: the GPU closest to its limit. */
static void sensors_from_recorder(run_state *st, int64_t t, hr_govern_sensors *s) {
    memset(s, 0, sizeof *s);
    s->t_ns = t;
    s->gpu_index = -1;
    for (int i = 0; i < MAX_GPUS; i++) {
        char comp[16];
        snprintf(comp, sizeof comp, "gpu%d", i);
        int exists = 0;
        hr_govern_sensors c;
        memset(&c, 0, sizeof c);
        c.gpu_index = i;
        c.gpu_temp_mc = latest(st, comp, "temp", &exists);
        if (!exists)
            continue;
        c.gpu_temp_slowdown_mc = latest(st, comp, "temp_slowdown", NULL);
        c.gpu_temp_margin_mc = latest(st, comp, "temp_margin", NULL);
        c.gpu_throttle_reasons = latest(st, comp, "throttle_reasons", NULL);
        if (gpu_closer(&c, s)) {
            s->gpu_index = i;
            s->gpu_temp_mc = c.gpu_temp_mc;
            s->gpu_temp_slowdown_mc = c.gpu_temp_slowdown_mc;
            s->gpu_temp_margin_mc = c.gpu_temp_margin_mc;
            s->gpu_throttle_reasons = c.gpu_throttle_reasons;
        }
    }
    s->cpu_temp_mc = latest(st, "cpu", "temp", NULL);
    s->cpu_temp_crit_mc = latest(st, "cpu", "temp_crit", NULL);
    s->thermal_pressure = latest(st, "system", "thermal_pressure", NULL);
}

/* A new sample when one is due: the recorder's newest tick, or (without a
 * session) a refresh of our own probe. Returns 1 when S was filled. */
static int new_sample(run_state *st, int64_t t, hr_govern_sensors *s) {
    if (st->rec) {
        hr_record_stats rs = {.size = sizeof rs};
        if (hr_recorder_stats(st->rec, &rs) != HR_OK || rs.ticks == st->ticks_seen)
            return 0;
        st->ticks_seen = rs.ticks;
        sensors_from_recorder(st, t, s);
        return 1;
    }
    if (!st->probe || t < st->next_probe_ns)
        return 0;
    st->next_probe_ns = t + (int64_t)(1e9 / st->o->hz);
    if (hr_probe_refresh(st->probe) != HR_OK)
        return 0;
    hr_govern_sensors_from_probe(st->probe, t, s);
    return 1;
}

/* ------------------------------------------------------------------ */
/* the governor's decisions */

static int64_t gov_time(run_state *st, int64_t t) {
    if (t < st->gov_last_t)
        t = st->gov_last_t;
    st->gov_last_t = t;
    return t;
}

/* Tells the exporter (--serve) what the job is doing; no-op without one. */
static void publish_job(run_state *st, hr_job_state state, int64_t now) {
    if (!st->srv)
        return;
    int64_t cooling = st->cooling_ns + (st->brk.active ? now - st->brk.start_ns : 0);
    hr_job_status j;
    memset(&j, 0, sizeof j);
    j.size = sizeof j;
    j.state = (hr_reading){state, HR_WHY_KNOWN, 0};
    j.steps = (hr_reading){(int64_t)st->recorded_steps, HR_WHY_KNOWN, 0};
    j.cooling_ns = (hr_reading){cooling > 0 ? cooling : 0, HR_WHY_KNOWN, 0};
    j.cooling_breaks = (hr_reading){(int64_t)st->breaks_started, HR_WHY_KNOWN, 0};
    hr_exporter_set_job(st->srv, &j);
}

static void end_break(run_state *st, int64_t t, const char *how) {
    if (!st->brk.active)
        return;
    char detail[512], len[32];
    snprintf(detail, sizeof detail, "%s: %s; planned %s; ended: %s after %s",
             hr_govern_reason_name(st->brk.reason), st->brk.text,
             fmt_secs(st->brk.planned_s, len, sizeof len), how,
             fmt_secs(s_of(t - st->brk.start_ns), (char[32]){0}, 32));
    record_event(st, "cooling_break", st->brk.start_ns, t > st->brk.start_ns ? t : st->brk.start_ns,
                 detail);
    st->brk.active = 0;
    st->cooling_ns += t > st->brk.start_ns ? t - st->brk.start_ns : 0;
    publish_job(st, HR_JOB_RUNNING, t);
}

static void start_break(run_state *st, const hr_govern_decision *d, int64_t t) {
    hr_status ps = hr_run_pause(st->run, PAUSE_CONFIRM_NS);
    if (ps != HR_OK && ps != HR_ETIMEDOUT) {
        hr_govern_break_ended(st->gov, gov_time(st, t));
        return; /* the job has ended, or is paused already */
    }
    st->brk.active = 1;
    st->breaks_started++;
    st->brk.start_ns = t;
    st->brk.reason = d->reason;
    st->brk.policy = d->policy;
    st->brk.planned_s = d->pause_s;
    snprintf(st->brk.text, sizeof st->brk.text, "%s", d->text);
    publish_job(st, HR_JOB_PAUSED, t);
    if (!st->o->quiet) {
        char len[32];
        fmt_secs(d->pause_s, len, sizeof len);
        fprintf(stderr, "headroom: cooling %s%s: %s\n",
                d->policy == HR_POLICY_SENSOR ? "up to " : "", len,
                d->text[0] ? d->text : hr_govern_reason_name(d->reason));
    }
}

static void apply(run_state *st, const hr_govern_decision *d, int64_t t) {
    switch (d->action) {
    case HR_GOVERN_PAUSE:
        if (!st->armed || st->brk.active || hr_run_paused(st->run)) {
            hr_govern_break_ended(st->gov, gov_time(st, t));
            return;
        }
        start_break(st, d, t);
        return;
    case HR_GOVERN_RESUME:
        if (!st->brk.active)
            return;
        hr_run_resume(st->run);
        end_break(st, t, hr_govern_reason_name(d->reason));
        return;
    case HR_GOVERN_WARN:
        if (!st->o->quiet)
            fprintf(stderr, "headroom: %s\n", d->text);
        record_event(st, "governor_warn", t, t, d->text);
        return;
    default: return;
    }
}

/* A new stream of steps gets a new governor; the old one's figures are kept. */
static void add_totals(totals *t, const hr_govern_stats *g) {
    t->streams++;
    t->steps += g->steps;
    t->units += g->units;
    t->wall_s += g->wall_s;
    t->productive_s += g->productive_s;
    t->breaks += g->breaks;
    t->critical_breaks += g->critical_breaks;
    t->batch_breaks += g->batch_breaks;
    t->sensor_breaks += g->sensor_breaks;
    t->break_total_s += g->break_total_s;
    if (isfinite(g->ideal_s) && isfinite(g->wall_s)) {
        t->ideal_s += g->ideal_s;
        t->ideal_wall_s += g->wall_s;
    }
    if (isfinite(g->throttle_loss_s))
        t->loss_s += g->throttle_loss_s;
    for (int i = 0; i < HR_GTHROTTLE_COUNT; i++)
        if (isfinite(g->throttled_s[i]))
            t->throttled_s[i] += g->throttled_s[i];
}

static void new_governor(run_state *st) {
    hr_govern_stats gs = {.size = sizeof gs};
    if (hr_govern_stats_get(st->gov, &gs) != HR_OK || gs.steps == 0)
        return;
    hr_governor *g = NULL;
    if (hr_govern_new(&st->o->gov, &g) != HR_OK)
        return;
    add_totals(&st->done, &gs);
    hr_govern_free(st->gov);
    st->gov = g;
    st->gov_last_t = 0;
    record_event(st, "step_stream", st->pend.t_ns, st->pend.t_ns,
                 "steps now come from another progress bar or the step channel: "
                 "the governor starts afresh");
}

/* The slowdown interval, from the governor's latest ratio after a step. */
static void slowdown_interval(run_state *st) {
    hr_govern_stats gs = {.size = sizeof gs};
    if (hr_govern_stats_get(st->gov, &gs) != HR_OK)
        return;
    char detail[96];
    snprintf(detail, sizeof detail, "steps at or above %.2fx the baseline", st->o->gov.threshold);
    int slow = isfinite(gs.last_ratio) && gs.last_ratio >= st->o->gov.threshold;
    iv_set(st, IV_SLOWDOWN, slow, slow ? st->pend.start_ns : st->pend.t_ns, detail);
}

/* Feeds the pending steps to the governor. They were all seen at one
 * instant (read in one go), so their time is shared out evenly. */
static void flush_pending(run_state *st) {
    if (!st->pend.active)
        return;
    st->pend.active = 0;
    if (st->pend.new_stream && !st->brk.active)
        new_governor(st);
    hr_run_stats rs = {.size = sizeof rs};
    hr_run_stats_get(st->run, &rs);
    /* Time the job spent stopped by others (Ctrl-Z, kill -STOP) is no step time. */
    int64_t foreign = rs.foreign_stop_ns - st->foreign_at_step;
    st->foreign_at_step = rs.foreign_stop_ns;
    double dur = s_of(st->pend.t_ns - st->pend.start_ns - foreign) / st->pend.n;
    int64_t t = gov_time(st, st->pend.t_ns);
    for (int i = 0; i < st->pend.n; i++) {
        hr_govern_decision d;
        if (hr_govern_step(st->gov, t, dur > 0 ? dur : 0, st->pend.units[i], &d) != HR_OK)
            continue;
        slowdown_interval(st);
        apply(st, &d, st->pend.t_ns);
    }
}

/* ------------------------------------------------------------------ */
/* events from the runner */

static void on_step(run_state *st, const hr_run_event *ev) {
    if (st->rec && !st->rec_failed &&
        hr_recorder_add_step(st->rec, ev->index, ev->units, ev->names, ev->values, ev->nvalues) !=
            HR_OK) {
        st->rec_failed = 1;
        cli_error("run", "recording failed; the job goes on unrecorded", NULL);
    }
    st->recorded_steps++;
    if (!st->brk.active)
        publish_job(st, HR_JOB_RUNNING, ev->t_ns);
    if (st->pend.active && ev->t_ns != st->pend.t_ns)
        flush_pending(st);
    if (!st->pend.active) {
        st->pend.active = 1;
        st->pend.t_ns = ev->t_ns;
        st->pend.start_ns = ev->start_ns;
        st->pend.n = 0;
        st->pend.new_stream = 0;
    }
    if (st->pend.n < MAX_PENDING)
        st->pend.units[st->pend.n++] = ev->units;
    else
        st->pend.units[MAX_PENDING - 1] += ev->units;
    st->pend.new_stream |= ev->new_stream;
    if (ev->start_ns < st->pend.start_ns)
        st->pend.start_ns = ev->start_ns;
}

static void on_signal(run_state *st, const hr_run_event *ev) {
    char detail[96];
    snprintf(detail, sizeof detail, "%s forwarded to the job's process group%s",
             strsignal(ev->signal), ev->was_paused ? " (resumed first)" : "");
    record_event(st, "signal", ev->t_ns, ev->t_ns, detail);
    st->armed = 0; /* the job is being stopped: no more breaks */
    if (st->brk.active) {
        hr_govern_break_ended(st->gov, gov_time(st, ev->t_ns));
        end_break(st, ev->t_ns, strsignal(ev->signal));
    }
}

static void on_event(run_state *st, const hr_run_event *ev) {
    char detail[96];
    switch (ev->kind) {
    case HR_RUN_EV_STEP: on_step(st, ev); break;
    case HR_RUN_EV_SIGNAL: on_signal(st, ev); break;
    case HR_RUN_EV_SUSPENDED:
        record_event(st, "suspended", ev->t_ns - ev->stopped_ns, ev->t_ns,
                     "headroom and the job were suspended (Ctrl-Z)");
        break;
    case HR_RUN_EV_STOPPED:
        snprintf(detail, sizeof detail, "the job was stopped by someone else (%s)",
                 strsignal(ev->signal));
        record_event(st, "job_stopped", ev->t_ns, ev->t_ns, detail);
        break;
    case HR_RUN_EV_CONTINUED:
        record_event(st, "job_continued", ev->t_ns - ev->stopped_ns, ev->t_ns,
                     "the job was continued by someone else");
        if (st->brk.active) {
            hr_govern_break_ended(st->gov, gov_time(st, ev->t_ns));
            end_break(st, ev->t_ns, "continued by someone else");
        }
        break;
    default: break;
    }
}

/* The sampling tick: a sensor sample (when a new one exists) and time. */
/* Keeps the job's latest known I/O counters: once it has exited its /proc
 * entry is gone, so the last value read while it ran is the total. */
static void read_job_io(run_state *st) {
    hr_reading rchar, rbytes;
    if (!st->run || hr_run_read_io(st->run, &rchar, &rbytes) != HR_OK)
        return;
    if (HR_IS_KNOWN(rchar))
        st->io_rchar = rchar;
    if (HR_IS_KNOWN(rbytes))
        st->io_read = rbytes;
}

static void on_tick(run_state *st, int64_t t) {
    hr_govern_sensors s;
    hr_govern_decision d;
    if (new_sample(st, t, &s)) {
        iv_from_sensors(st, &s, t);
        s.t_ns = gov_time(st, t);
        if (hr_govern_sample(st->gov, &s, &d) == HR_OK)
            apply(st, &d, t);
    }
    if (hr_govern_tick(st->gov, gov_time(st, t), &d) == HR_OK)
        apply(st, &d, t);
    publish_job(st, st->brk.active ? HR_JOB_PAUSED : HR_JOB_RUNNING, t);
    read_job_io(st);
}

/* Runs until the job's exit; returns its exit code. */
static int main_loop(run_state *st) {
    for (;;) {
        int64_t now = now_ns();
        int64_t wait = st->pend.active ? 0 : (st->next_tick_ns > now ? st->next_tick_ns - now : 0);
        hr_run_event ev;
        if (hr_run_poll(st->run, wait, &ev) != HR_OK)
            return HR_EXIT_FAIL;
        if (ev.kind == HR_RUN_EV_STEP) {
            on_step(st, &ev);
        } else {
            flush_pending(st);
            if (ev.kind == HR_RUN_EV_EXIT) {
                st->job_end_ns = ev.t_ns;
                return ev.exit_code;
            }
            on_event(st, &ev);
        }
        now = now_ns();
        if (now >= st->next_tick_ns) {
            on_tick(st, now);
            st->next_tick_ns += st->tick_ns;
            if (st->next_tick_ns <= now)
                st->next_tick_ns = now + st->tick_ns;
        }
    }
}

/* ------------------------------------------------------------------ */
/* start and finish */

/* ARGV as one shell-quoted line. */
static void quote_argv(char *const *argv, const char *prefix, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "%s", prefix);
    for (int i = 0; argv[i] && n < cap; i++) {
        int plain = argv[i][0] && !strpbrk(argv[i], " \t\n'\"\\$`*?;&|<>(){}[]#~!");
        n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s", n ? " " : "", plain ? "" : "'", argv[i],
                              plain ? "" : "'");
    }
}

/* 1 when CMD can be executed (found in PATH when it has no '/'). */
static int findable(const char *cmd, int *not_exec) {
    *not_exec = 0;
    if (strchr(cmd, '/')) {
        if (access(cmd, F_OK) != 0)
            return 0;
        *not_exec = access(cmd, X_OK) != 0;
        return !*not_exec;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char full[4096];
        snprintf(full, sizeof full, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd);
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (access(full, X_OK) == 0)
                return 1;
            *not_exec = 1;
        }
        p += len + (e != NULL);
    }
    return 0;
}

static char *config_json(const hr_govern_config *g) {
    json_t *o = json_object();
    json_object_set_new(o, "policy", json_string(hr_govern_policy_name(g->policy)));
    const struct {
        const char *k;
        double v;
    } f[] = {
        {"baseline_s_per_unit", g->baseline_s_per_unit},
        {"learn_steps", g->learn_steps},
        {"window", g->window},
        {"learn_quantile", g->learn_quantile},
        {"min_evidence_units", g->min_evidence_units},
        {"threshold", g->threshold},
        {"critical", g->critical},
        {"break_s", g->break_s},
        {"critical_break_s", g->critical_break_s},
        {"max_break_s", g->max_break_s},
        {"rest_ratio", g->rest_ratio},
        {"break_growth", g->break_growth},
        {"relearn_breaks", g->relearn_breaks},
        {"relearn_fast_ratio", g->relearn_fast_ratio},
        {"batch_size", g->batch_size},
        {"batch_units", g->batch_units},
        {"batch_break_s", g->batch_break_s},
        {"gpu_pause_margin_c", g->gpu_pause_margin_c},
        {"gpu_resume_margin_c", g->gpu_resume_margin_c},
        {"gpu_pause_temp_c", g->gpu_pause_temp_c},
        {"gpu_resume_temp_c", g->gpu_resume_temp_c},
        {"near_limit_margin_c", g->near_limit_margin_c},
        {"thermal_reasons_mask", (double)g->thermal_reasons_mask},
        {"near_reasons_mask", (double)g->near_reasons_mask},
        {"power_reasons_mask", (double)g->power_reasons_mask},
        {"cpu_pause_margin_c", g->cpu_pause_margin_c},
        {"cpu_resume_margin_c", g->cpu_resume_margin_c},
        {"pressure_pause", g->pressure_pause},
        {"pressure_resume", g->pressure_resume},
        {"min_break_s", g->min_break_s},
        {"plateau_s", g->plateau_s},
        {"plateau_c", g->plateau_c},
        {"rearm_after_max_s", g->rearm_after_max_s},
        {"stale_s", g->stale_s},
        {"critical_evidence_units", g->critical_evidence_units},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        json_object_set_new(o, f[i].k, json_real(f[i].v));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static int session_meta(run_state *st, int argc, char **argv) {
    char line[4096];
    hr_session *s = st->sess;
    quote_argv(argv, "headroom", line, sizeof line);
    hr_status rc = hr_session_set_meta(s, "command_line", line);
    (void)argc;
    if (rc == HR_OK)
        rc = hr_session_set_meta(s, "created_by", "headroom run");
    quote_argv(st->o->cmd, "", line, sizeof line);
    if (rc == HR_OK)
        rc = hr_session_set_meta(s, "job_command", line);
    if (rc == HR_OK)
        rc = hr_session_set_meta(s, "run_policy", hr_govern_policy_name(st->o->gov.policy));
    if (rc == HR_OK && st->o->dataset_bytes > 0)
        rc = hr_session_set_meta_i64(s, "dataset_bytes", st->o->dataset_bytes);
    char *cj = config_json(&st->o->gov);
    if (rc == HR_OK && cj)
        rc = hr_session_set_meta(s, "governor_config", cj);
    free(cj);
    if (rc != HR_OK)
        cli_error("run", hr_session_last_error(s), NULL);
    return rc == HR_OK ? 0 : -1;
}

static void default_output(char *buf, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "run-%Y%m%d-%H%M%S.db", &tm);
}

/* The session and the recorder (or, with --no-record, a probe). */
static int open_recording(run_state *st, int argc, char **argv) {
    const run_opts *o = st->o;
    if (o->no_record) {
        if (hr_probe_open(st->ctx, &st->probe) != HR_OK)
            st->probe = NULL; /* no sensors: timing still works */
        return 0;
    }
    if (o->output)
        snprintf(st->session_path, sizeof st->session_path, "%s", o->output);
    else
        default_output(st->session_path, sizeof st->session_path);
    if (hr_session_create(st->ctx, st->session_path, o->force ? HR_SESSION_OVERWRITE : 0,
                          &st->sess) != HR_OK) {
        cli_error("run", hr_ctx_last_error(st->ctx),
                  "use --force to replace it, -o to choose another file, or --no-record");
        return -1;
    }
    if (session_meta(st, argc, argv) != 0)
        return -1;
    hr_record_config rc;
    hr_record_config_defaults(&rc);
    rc.hz = o->hz;
    if (o->serve && hr_exporter_start_for_recorder(st->ctx, o->serve, &rc, &st->srv) != HR_OK) {
        cli_error("run: --serve", hr_ctx_last_error(st->ctx),
                  "give a free ADDR:PORT, e.g. 127.0.0.1:9968");
        return -1;
    }
    if (hr_recorder_start(st->ctx, st->sess, &rc, &st->rec) != HR_OK) {
        cli_error("run", hr_ctx_last_error(st->ctx), NULL);
        return -1;
    }
    if (st->srv && !o->quiet)
        fprintf(stderr, "headroom: run: serving %s\n", hr_exporter_url(st->srv));
    return 0;
}

static int start_job(run_state *st) {
    int not_exec = 0;
    if (!findable(st->o->cmd[0], &not_exec)) {
        cli_error("run", not_exec ? "permission denied" : "command not found",
                  not_exec ? "make it executable (chmod +x)" : "check the name and your PATH");
        return not_exec ? 126 : 127;
    }
    hr_run_config c;
    hr_run_config_defaults(&c);
    c.argv = (const char *const *)st->o->cmd;
    c.io = st->o->io;
    hr_status s = hr_run_start(st->ctx, &c, &st->run);
    if (s != HR_OK) {
        cli_error("run", hr_ctx_last_error(st->ctx), NULL);
        return s == HR_ENOENT ? 127 : s == HR_EPERM ? 126 : HR_EXIT_FAIL;
    }
    st->job_start_ns = now_ns();
    char line[4096];
    quote_argv(st->o->cmd, "", line, sizeof line);
    record_event(st, "job_start", st->job_start_ns, st->job_start_ns, line);
    return 0;
}

/* ------------------------------------------------------------------ */
/* the summary */

static void totals_now(const run_state *st, totals *t, hr_govern_stats *last) {
    *t = st->done;
    memset(last, 0, sizeof *last);
    last->size = sizeof *last;
    if (hr_govern_stats_get(st->gov, last) == HR_OK)
        add_totals(t, last);
}

static const char *exit_words(int code, char *buf, size_t cap) {
    if (code > 128 && code < 128 + 65)
        snprintf(buf, cap, "was ended by %s (exit %d)", strsignal(code - 128), code);
    else
        snprintf(buf, cap, "exited with %d", code);
    return buf;
}

static void print_summary(const run_state *st, int code) {
    totals t;
    hr_govern_stats g;
    totals_now(st, &t, &g);
    char a[48], b[48], w[96];
    fprintf(stderr, "headroom: %s %s after %s\n", st->o->cmd[0], exit_words(code, w, sizeof w),
            fmt_secs(s_of(st->job_end_ns - st->job_start_ns), a, sizeof a));
    fprintf(stderr, "  policy            %s", hr_govern_policy_name(g.policy));
    if (g.policy == HR_POLICY_AUTO)
        fprintf(stderr, " (%s)", hr_govern_policy_name(g.active_policy));
    if (isfinite(g.baseline_s_per_unit))
        fprintf(stderr, ", baseline %.3g s/unit%s", g.baseline_s_per_unit,
                g.baseline_learned ? " (learned)" : "");
    fprintf(stderr, "\n  work              %.6g units in %llu steps\n", t.units,
            (unsigned long long)t.steps);
    fprintf(stderr, "  productive time   %s\n", fmt_secs(t.productive_s, a, sizeof a));
    fprintf(stderr, "  cooling breaks    %llu, %s in all\n", (unsigned long long)t.breaks,
            fmt_secs(t.break_total_s, b, sizeof b));
    if (t.ideal_wall_s > 0)
        fprintf(stderr, "  throttle loss     %s above the baseline\n",
                fmt_secs(t.loss_s, a, sizeof a));
    else
        fprintf(stderr, "  throttle loss     unknown (no baseline)\n");
    if (t.ideal_wall_s > 0)
        fprintf(stderr, "  efficiency        %.1f %% (ideal time / time taken)\n",
                100.0 * t.ideal_s / t.ideal_wall_s);
    else
        fprintf(stderr, "  efficiency        unknown (no baseline)\n");
    if (st->sess)
        fprintf(stderr, "  session           %s\n", st->session_path);
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *summary_json(const run_state *st, int code) {
    totals t;
    hr_govern_stats g;
    totals_now(st, &t, &g);
    const hr_run_stats rs = st->rstats;
    json_t *o = json_object();
    json_object_set_new(o, "exit_code", json_integer(code));
    json_object_set_new(o, "term_signal", json_integer(rs.term_signal));
    json_object_set_new(o, "policy", json_string(hr_govern_policy_name(g.policy)));
    json_object_set_new(o, "active_policy", json_string(hr_govern_policy_name(g.active_policy)));
    json_object_set_new(o, "job_s", json_real(s_of(st->job_end_ns - st->job_start_ns)));
    json_object_set_new(o, "steps", json_integer((json_int_t)t.steps));
    json_object_set_new(o, "units", json_real(t.units));
    json_object_set_new(o, "productive_s", json_real(t.productive_s));
    json_object_set_new(o, "breaks", json_integer((json_int_t)t.breaks));
    json_object_set_new(o, "critical_breaks", json_integer((json_int_t)t.critical_breaks));
    json_object_set_new(o, "batch_breaks", json_integer((json_int_t)t.batch_breaks));
    json_object_set_new(o, "sensor_breaks", json_integer((json_int_t)t.sensor_breaks));
    json_object_set_new(o, "break_total_s", json_real(t.break_total_s));
    json_object_set_new(o, "baseline_s_per_unit", num_or_null(g.baseline_s_per_unit));
    int known = t.ideal_wall_s > 0;
    json_object_set_new(o, "ideal_s", known ? json_real(t.ideal_s) : json_null());
    json_object_set_new(o, "throttle_loss_s", known ? json_real(t.loss_s) : json_null());
    json_object_set_new(o, "efficiency",
                        known ? json_real(t.ideal_s / t.ideal_wall_s) : json_null());
    static const char *const cats[HR_GTHROTTLE_COUNT] = {
        "gpu_thermal", "gpu_power", "gpu_hw_slowdown", "cpu_hot", "pressure", "slowdown"};
    json_t *th = json_object();
    for (int i = 0; i < HR_GTHROTTLE_COUNT; i++)
        json_object_set_new(th, cats[i], json_real(t.throttled_s[i]));
    json_object_set_new(o, "throttled_s", th);
    json_object_set_new(o, "step_streams", json_integer((json_int_t)t.streams));
    json_object_set_new(o, "steps_from_progress", json_integer(rs.progress_steps));
    json_object_set_new(o, "steps_from_channel", json_integer(rs.channel_steps));
    json_object_set_new(o, "malformed_step_lines", json_integer(rs.channel_malformed));
    json_object_set_new(o, "paused_s", json_real(s_of(rs.paused_ns)));
    json_object_set_new(o, "io", json_string(rs.io == HR_RUN_IO_PTY ? "pty" : "pipes"));
    json_object_set_new(o, "session", st->sess ? json_string(st->session_path) : json_null());
    return o;
}

/* Closes what is open in the intervals and the break at T. */
static void close_open(run_state *st, int64_t t) {
    if (st->brk.active) {
        hr_govern_break_ended(st->gov, gov_time(st, t));
        end_break(st, t, "the job ended");
    }
    for (int k = 0; k < IV_COUNT; k++)
        iv_set(st, k, 0, t, "");
}

/* After the job's exit: events, the session finished, the summaries. */
static int finish(run_state *st, int code) {
    int rc = code;
    close_open(st, st->job_end_ns);
    char detail[128];
    record_event(st, "job_exit", st->job_end_ns, st->job_end_ns,
                 exit_words(code, detail, sizeof detail));
    json_t *sum = summary_json(st, code);
    publish_job(st, HR_JOB_EXITED, st->job_end_ns);
    if (st->rec && hr_recorder_stop(st->rec) != HR_OK)
        cli_error("run", hr_session_last_error(st->sess),
                  "the steps and ticks stored so far are kept");
    st->rec = NULL;
    hr_exporter_stop(st->srv);
    st->srv = NULL;
    if (st->sess) {
        char *js = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
        hr_session_set_meta_i64(st->sess, "job_exit_code", code);
        if (HR_IS_KNOWN(st->io_rchar))
            hr_session_set_meta_i64(st->sess, "job_rchar_bytes", st->io_rchar.v);
        if (HR_IS_KNOWN(st->io_read))
            hr_session_set_meta_i64(st->sess, "job_read_bytes", st->io_read.v);
        if (js)
            hr_session_set_meta(st->sess, "run_summary", js);
        free(js);
    }
    if (st->o->json_summary &&
        json_dump_file(sum, st->o->json_summary, JSON_INDENT(2) | JSON_SORT_KEYS)) {
        cli_error("run", "cannot write the JSON summary", st->o->json_summary);
    }
    json_decref(sum);
    if (!st->o->quiet)
        print_summary(st, code);
    return rc;
}

static void cleanup(run_state *st) {
    hr_run_free(st->run);
    if (st->rec)
        hr_recorder_stop(st->rec);
    hr_exporter_stop(st->srv);
    if (st->sess && hr_session_close(st->sess) != HR_OK)
        cli_error("run", "closing the session failed", NULL);
    hr_probe_free(st->probe);
    hr_govern_free(st->gov);
    hr_ctx_free(st->ctx);
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? HR_EXIT_OK : rc;
    run_state st;
    memset(&st, 0, sizeof st);
    st.o = &o;
    st.armed = 1;
    st.tick_ns = (int64_t)(1e9 / o.hz);
    if (st.tick_ns > 250000000LL)
        st.tick_ns = 250000000LL; /* breaks end on time even at 1 Hz */
    if (hr_ctx_new(&st.ctx) != HR_OK || hr_govern_new(&o.gov, &st.gov) != HR_OK) {
        cli_error("run", "out of memory", NULL);
        cleanup(&st);
        return HR_EXIT_FAIL;
    }
    if (o.root && hr_ctx_set_root(st.ctx, o.root) != HR_OK) {
        cli_error("run", hr_ctx_last_error(st.ctx), NULL);
        cleanup(&st);
        return HR_EXIT_USAGE;
    }
    rc = open_recording(&st, argc, argv) ? HR_EXIT_FAIL : start_job(&st);
    if (rc == 0) {
        st.next_tick_ns = now_ns() + st.tick_ns;
        rc = main_loop(&st);
        st.rstats.size = sizeof st.rstats;
        hr_run_stats_get(st.run, &st.rstats);
        /* The terminal back to normal before headroom writes its summary. */
        hr_run_free(st.run);
        st.run = NULL;
        rc = finish(&st, rc);
    }
    cleanup(&st);
    return rc;
}

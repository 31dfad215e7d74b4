/* options.c: the command line of `headroom run`: the usage text, the option
 * table, the value checks and the defaults that follow from the options
 * given (a short --max-break shortens the default breaks). Owns every
 * usage error message of the command. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "headroom/hr_plan.h"
#include "run_cli.h"

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
        d.threshold, d.critical, d.critical_evidence_units, (unsigned)d.window,
        (unsigned)d.batch_size, d.break_s, d.batch_break_s, d.critical_break_s, d.max_break_s);
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
int run_parse_args(int argc, char **argv, run_opts *o) {
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

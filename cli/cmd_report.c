/* cmd_report.c: `headroom report SESSION [-o PATH] [--format html|md|text|json]`:
 * what happened in a session and why (findings with their evidence, where
 * the time went, charts), from a file written by `headroom record`,
 * `headroom run` or `headroom import rle-csv`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct report_opts {
    const char *session;
    const char *output; /* NULL: the format's default; "-": stdout */
    int format;         /* hr_report_format, -1 until known */
    hr_report_options ro;
} report_opts;

static const char *const session_hint =
    "give the session file written by 'headroom record', 'headroom run' or 'headroom import'";

static void usage(FILE *f) {
    fprintf(f,
            "usage: headroom report SESSION [-o PATH] [--format html|md|text|json]\n"
            "                       [--steps FILE --time-column COL] [--tolerance S]\n\n"
            "Says what happened in a session and why: findings with their evidence (input-bound,\n"
            "thermally throttled, power-capped, memory pressure, step time tracking temperature),\n"
            "where the job's time went, per-component figures, RLE, and the job's numbers\n"
            "correlated with the telemetry. HTML is one self-contained file with charts that\n"
            "works offline; every format states the same facts (docs/REPORT.md).\n\n"
            "  -o, --output PATH   where to write ('-' for stdout); default: SESSION without .db\n"
            "                      plus .html for HTML, stdout for the other formats\n"
            "  --format F          html, md, text or json (default: from -o's extension, else\n"
            "                      html)\n"
            "  --steps FILE        join an external log (CSV with a header row, or .jsonl) whose\n"
            "                      rows carry wall time; its numeric columns are correlated too\n"
            "  --time-column COL   the log's time column: Unix seconds or ISO-8601 (default t)\n"
            "  --tolerance S       as-of join: a step takes the latest tick at most S seconds\n"
            "                      before it (default: 2 tick intervals, at least 1 s)\n"
            "  --slow X            a step is slow at X times the baseline (default 1.5)\n"
            "  --critical X        and critically slow at X times (default 3)\n\n"
            "exit codes: 0 written, 1 runtime failure, 2 usage error.\n");
}

static int format_from_ext(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return -1;
    if (strcmp(dot, ".txt") == 0)
        return HR_REPORT_TEXT;
    return hr_report_format_from_name(dot + 1);
}

static int parse_double(const char *s, double lo, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || v < lo)
        return -1;
    *out = v;
    return 0;
}

static int parse_option(int c, report_opts *o) {
    switch (c) {
    case 'o': o->output = optarg; return 0;
    case 'f':
        if ((o->format = hr_report_format_from_name(optarg)) < 0)
            return cli_usage_error("report", "--format: '%s' is not html, md, text or json",
                                   optarg);
        return 0;
    case 's': o->ro.steps_path = optarg; return 0;
    case 't': o->ro.time_column = optarg; return 0;
    case 'T':
        if (parse_double(optarg, 0, &o->ro.tolerance_s) != 0 || o->ro.tolerance_s <= 0)
            return cli_usage_error("report",
                                   "--tolerance: '%s' is not a positive number of "
                                   "seconds",
                                   optarg);
        return 0;
    case 'S':
        if (parse_double(optarg, 1.0, &o->ro.slow_factor) != 0 || o->ro.slow_factor <= 1.0)
            return cli_usage_error("report", "--slow: '%s' is not a factor above 1", optarg);
        return 0;
    case 'C':
        if (parse_double(optarg, 1.0, &o->ro.critical_factor) != 0 || o->ro.critical_factor <= 1.0)
            return cli_usage_error("report", "--critical: '%s' is not a factor above 1", optarg);
        return 0;
    default: return -2;
    }
}

/* Returns -1 after --help, 0 when parsed, else the usage exit code. */
static int parse_args(int argc, char **argv, report_opts *o) {
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'f'},
        {"steps", required_argument, NULL, 's'},
        {"time-column", required_argument, NULL, 't'},
        {"tolerance", required_argument, NULL, 'T'},
        {"slow", required_argument, NULL, 'S'},
        {"critical", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->format = -1;
    hr_report_options_defaults(&o->ro);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        int rc = parse_option(c, o);
        if (rc == -2)
            return cli_usage_error("report", "%s option '%s'",
                                   c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
        if (rc != 0)
            return rc;
    }
    if (optind != argc - 1)
        return cli_usage_error("report", optind >= argc ? "which session? (SESSION)"
                                                        : "one session at a time");
    o->session = argv[optind];
    if (o->ro.critical_factor <= o->ro.slow_factor)
        return cli_usage_error("report", "--critical (%g) must be above --slow (%g)",
                               o->ro.critical_factor, o->ro.slow_factor);
    if (o->format < 0)
        o->format = o->output && strcmp(o->output, "-") != 0 && format_from_ext(o->output) >= 0
                        ? format_from_ext(o->output)
                        : HR_REPORT_HTML;
    return 0;
}

/* The default output: HTML beside the session, other formats on stdout. */
static const char *output_path(const report_opts *o, char *buf, size_t cap) {
    if (o->output)
        return o->output;
    if (o->format != HR_REPORT_HTML)
        return "-";
    size_t n = strlen(o->session);
    if (n > 3 && strcmp(o->session + n - 3, ".db") == 0)
        n -= 3;
    snprintf(buf, cap, "%.*s.html", (int)n, o->session);
    return buf;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Writes TEXT to PATH through a temporary file and a rename. */
static int write_file(const char *path, const char *text, size_t len) {
    if (strcmp(path, "-") == 0) {
        if (write_all(STDOUT_FILENO, text, len) != 0) {
            cli_error("report", strerror(errno), NULL);
            return -1;
        }
        return 0;
    }
    char tmp[4300];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        cli_error(path, "path too long", NULL);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        cli_error(path, strerror(errno), "choose a writable place with -o PATH");
        return -1;
    }
    int err = write_all(fd, text, len) != 0 ? errno : 0;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        cli_error(path, strerror(err), NULL);
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void session_error(const char *path, hr_status st, const char *detail) {
    char what[4200];
    snprintf(what, sizeof what, "report: %s", path);
    const char *why = detail && *detail ? detail : hr_strerror(st);
    size_t n = strlen(path);
    if (strncmp(why, path, n) == 0 && strncmp(why + n, ": ", 2) == 0)
        why += n + 2; /* the library's detail starts with the path already */
    if (st == HR_ENOENT)
        why = "no such file";
    cli_error(what, why, session_hint);
}

static hr_session *open_session(hr_ctx *ctx, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        session_error(path, errno == ENOENT ? HR_ENOENT : HR_EIO, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(sb.st_mode)) {
        session_error(path, HR_EINVAL, "is a directory");
        return NULL;
    }
    hr_session *s = NULL;
    hr_status st = hr_session_open(ctx, path, HR_SESSION_READONLY, &s);
    if (st != HR_OK) {
        session_error(path, st, hr_ctx_last_error(ctx));
        return NULL;
    }
    return s;
}

static int run(const report_opts *o) {
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK) {
        cli_error("report", "out of memory", NULL);
        return HR_EXIT_FAIL;
    }
    int rc = HR_EXIT_FAIL;
    hr_report *r = NULL;
    char *text = NULL;
    size_t len = 0;
    hr_session *s = open_session(ctx, o->session);
    if (!s)
        goto out;
    hr_status st = hr_report_build(s, &o->ro, &r);
    if (st != HR_OK) {
        char what[4200];
        snprintf(what, sizeof what, "report: %s", o->session);
        cli_error(what, hr_session_last_error(s),
                  o->ro.steps_path ? "--steps takes a CSV with a header row or JSON Lines, with "
                                     "wall time in --time-column (Unix seconds or ISO-8601)"
                                   : NULL);
        goto out;
    }
    st = hr_report_render(r, o->format, &text, &len);
    if (st != HR_OK) {
        cli_error("report", hr_strerror(st), NULL);
        goto out;
    }
    char buf[4200];
    const char *path = output_path(o, buf, sizeof buf);
    if (write_file(path, text, len) != 0)
        goto out;
    if (strcmp(path, "-") != 0)
        fprintf(stderr, "report: %s (%zu findings)\n", path, hr_report_finding_count(r));
    rc = HR_EXIT_OK;
out:
    hr_free(text);
    hr_report_free(r);
    hr_session_close(s);
    hr_ctx_free(ctx);
    return rc;
}

int cmd_report(int argc, char **argv) {
    report_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? HR_EXIT_OK : rc;
    return run(&o);
}

/* cmd_serve.c: `headroom serve`: this machine's telemetry for Prometheus at
 * /metrics, sampled on a steady cadence, until Ctrl-C or SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct serve_opts {
    const char *listen;
    double hz;
    const char *root;
    const char *nvml;
    double cpu_power_limit_w;
    int no_rle;
    unsigned max_connections;
} serve_opts;

static void serve_help(FILE *f) {
    fprintf(f,
            "usage: headroom serve [--listen ADDR] [--hz N] [--root DIR] [--nvml-library PATH]\n"
            "                      [--cpu-power-limit W] [--no-rle] [--max-connections N]\n\n"
            "Serves this machine's telemetry (CPU, memory and pressure, sensors, RAPL, GPUs with\n"
            "throttle reasons, RLE per component) for Prometheus at http://ADDR/metrics, from a\n"
            "sample taken N times a second. A scrape never gets stale values: when there is no\n"
            "fresh sample it fails with HTTP 503. Runs until Ctrl-C or SIGTERM.\n\n"
            "  --listen ADDR          where to listen (default %s): HOST:PORT, [IPV6]:PORT,\n"
            "                         :PORT for every IPv4 interface, or PORT on loopback.\n"
            "                         Only loopback unless you name another address.\n"
            "  --hz N                 samples per second, up to 1000 (default 1)\n"
            "  --root DIR             read DIR/sys and DIR/proc instead of /sys and /proc\n"
            "  --nvml-library PATH    load NVML from PATH instead of libnvidia-ml.so.1\n"
            "  --cpu-power-limit W    the CPU's rated power, for its RLE (without it the CPU has\n"
            "                         no RLE; GPUs know their own limit)\n"
            "  --no-rle               no RLE metrics\n"
            "  --max-connections N    connections served at once, 1 to 1024 (default 32)\n"
            "  --help                 this text\n\n"
            "The metrics are listed in docs/METRICS.md.\n"
            "exit codes: 0 stopped by a signal, 1 runtime failure (e.g. the address is in use),\n"
            "2 usage error (also a malformed --listen)\n",
            HR_EXPORTER_DEFAULT_LISTEN);
}

static int parse_number(const char *s, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || !(v > lo) || v > hi)
        return -1;
    *out = v;
    return 0;
}

enum { OPT_LISTEN = 256, OPT_HZ, OPT_ROOT, OPT_NVML, OPT_CPU_POWER, OPT_NO_RLE, OPT_MAXCONN };

static int parse_one(serve_opts *o, int c, const char *arg) {
    double v;
    switch (c) {
    case OPT_LISTEN: o->listen = arg; return 0;
    case OPT_HZ:
        if (parse_number(arg, 0, HR_RECORD_MAX_HZ, &o->hz))
            return cli_usage_error("serve", "--hz: '%s' is not a rate in (0, 1000]", arg);
        return 0;
    case OPT_ROOT: o->root = arg; return 0;
    case OPT_NVML: o->nvml = arg; return 0;
    case OPT_CPU_POWER:
        if (parse_number(arg, 0, 100000, &o->cpu_power_limit_w))
            return cli_usage_error("serve", "--cpu-power-limit: '%s' is not watts above 0", arg);
        return 0;
    case OPT_NO_RLE: o->no_rle = 1; return 0;
    case OPT_MAXCONN:
        if (parse_number(arg, 0, 1024, &v) || v != floor(v))
            return cli_usage_error("serve", "--max-connections: '%s' is not 1 to 1024", arg);
        o->max_connections = (unsigned)v;
        return 0;
    default: return cli_usage_error("serve", "unknown option");
    }
}

/* Returns -1 after --help, 0 when parsed, else the usage exit code. */
static int parse_args(int argc, char **argv, serve_opts *o) {
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"hz", required_argument, NULL, OPT_HZ},
        {"root", required_argument, NULL, OPT_ROOT},
        {"nvml-library", required_argument, NULL, OPT_NVML},
        {"cpu-power-limit", required_argument, NULL, OPT_CPU_POWER},
        {"no-rle", no_argument, NULL, OPT_NO_RLE},
        {"max-connections", required_argument, NULL, OPT_MAXCONN},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->hz = 1.0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            serve_help(stdout);
            return -1;
        }
        if (c == '?' || c == ':')
            return cli_usage_error("serve", "%s option '%s'",
                                   c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
        int rc = parse_one(o, c, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    return 0;
}

static const char *start_hint(hr_status st) {
    switch (st) {
    case HR_EBUSY: return "another program listens there; choose another port with --listen";
    case HR_EPERM: return "ports below 1024 need privileges; choose a higher port with --listen";
    case HR_EINVAL: return "--listen takes 127.0.0.1:9968, [::1]:9968, :9968 or a port";
    default: return NULL;
    }
}

/* 1 when URL is served beyond this machine. */
static int beyond_loopback(const char *url) {
    return strncmp(url, "http://127.", 11) != 0 && strncmp(url, "http://[::1]", 12) != 0;
}

/* Blocks SIGINT and SIGTERM in this thread and in every thread started
 * from now on, so that sigwait below receives them. */
static void block_signals(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int serve_run(hr_ctx *ctx, const serve_opts *o) {
    hr_exporter_config cfg;
    hr_exporter_config_defaults(&cfg);
    cfg.listen = o->listen;
    cfg.hz = o->hz;
    cfg.rle = !o->no_rle;
    if (o->cpu_power_limit_w > 0)
        cfg.rle_cpu.power_limit_w = o->cpu_power_limit_w;
    if (o->max_connections)
        cfg.max_connections = o->max_connections;
    sigset_t set;
    block_signals(&set);
    hr_exporter *srv = NULL;
    hr_status st = hr_exporter_start(ctx, &cfg, &srv);
    if (st != HR_OK) {
        cli_error("serve", hr_ctx_last_error(ctx), start_hint(st));
        /* A malformed --listen is the user's to fix: a usage error. */
        return st == HR_EINVAL ? HR_EXIT_USAGE : HR_EXIT_FAIL;
    }
    printf("serving %s (Ctrl-C to stop)\n", hr_exporter_url(srv));
    fflush(stdout);
    if (beyond_loopback(hr_exporter_url(srv)))
        fprintf(stderr, "headroom: serve: note: %s is reachable from other machines\n",
                hr_exporter_url(srv));
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    hr_exporter_stop(srv);
    return HR_EXIT_OK;
}

int cmd_serve(int argc, char **argv) {
    serve_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? HR_EXIT_OK : rc;
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK) {
        cli_error("serve", "cannot create a context", NULL);
        return HR_EXIT_FAIL;
    }
    if (o.root && hr_ctx_set_root(ctx, o.root) != HR_OK) {
        cli_error("serve", hr_ctx_last_error(ctx), NULL);
        hr_ctx_free(ctx);
        return HR_EXIT_USAGE;
    }
    if (o.nvml && hr_ctx_set_nvml_library(ctx, o.nvml) != HR_OK) {
        cli_error("serve", hr_ctx_last_error(ctx), NULL);
        hr_ctx_free(ctx);
        return HR_EXIT_USAGE;
    }
    rc = serve_run(ctx, &o);
    hr_ctx_free(ctx);
    return rc;
}

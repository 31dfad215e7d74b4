/* cmd_record.c: `headroom record`: telemetry into a session file on a
 * steady cadence until a duration runs out or Ctrl-C / SIGTERM, with a
 * one-line live status on a terminal and a summary at the end. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "format.h"

#define MAX_TAGS 64
#define MAX_RLE_SETS 64
#define POLL_NS 100000000LL /* how often the main thread looks at signals and the status */

typedef struct record_opts {
    const char *output;
    double hz;
    int64_t duration_ns;
    char notes[4096];
    const char *tags[MAX_TAGS];
    int ntags;
    const char *rle_sets[MAX_RLE_SETS];
    int nrle_sets;
    const char *root;
    int force;
    int no_rle;
    int writer_inline;
    int quiet;
    const char *serve; /* --serve ADDR: also expose /metrics while recording */
} record_opts;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

static void usage(FILE *f) {
    fprintf(f,
            "usage: headroom record [-o FILE] [--hz N] [--duration D] [--note TEXT] [--tag K=V]...\n"
            "                       [--cpu-power-limit W] [--cpu-temp-limit C] [--rle [cpu.|gpu.]NAME=V]...\n"
            "                       [--no-rle] [--writer thread|inline] [--root DIR] [--force] [--quiet]\n"
            "                       [--serve ADDR]\n\n"
            "Records telemetry (CPU, memory, sensors, GPUs, RLE per component) into a session\n"
            "file until the duration runs out or Ctrl-C / SIGTERM, then finishes it cleanly.\n\n"
            "  -o, --output FILE      session file (default record-YYYYmmdd-HHMMSS.db)\n"
            "      --hz N             ticks per second, up to 1000 (default 1)\n"
            "      --duration D       stop after D: 90, 90s, 10m, 1h30m, 500ms (default: until stopped)\n"
            "      --note TEXT        a note kept in the session (repeatable)\n"
            "      --tag K=V          a tag kept in the session (repeatable)\n"
            "      --cpu-power-limit W  the CPU's rated power for its RLE (the probe knows none;\n"
            "                         without it the CPU has no RLE)\n"
            "      --cpu-temp-limit C the CPU temperature limit for its RLE (default: critical trip)\n"
            "      --rle NAME=V       any RLE threshold (docs/RLE.md), for both or one component\n"
            "      --no-rle           no RLE channels and no collapse detection\n"
            "      --writer MODE      thread (default): store on a writer thread; inline: on the\n"
            "                         sampling thread\n"
            "      --root DIR         read DIR/sys and DIR/proc instead of /sys and /proc\n"
            "      --force            replace FILE if it exists\n"
            "      --quiet            no live status line and no summary\n"
            "      --serve ADDR       also serve Prometheus /metrics at ADDR (127.0.0.1:9968;\n"
            "                         loopback unless you name another address)\n\n"
            "exit codes: 0 recorded and finished, 1 runtime failure, 2 usage error.\n");
}

/* A duration (cli_parse_seconds) in nanoseconds. Returns 0 or -1. */
static int parse_duration(const char *s, int64_t *ns) {
    double secs;
    if (cli_parse_seconds(s, &secs) != 0 || secs > 9.0e9)
        return -1;
    *ns = (int64_t)llround(secs * 1e9);
    return 0;
}

static int parse_hz(const char *s, double *hz) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v > 0) || v > HR_RECORD_MAX_HZ)
        return -1;
    *hz = v;
    return 0;
}

static int tag_ok(const char *t) {
    const char *eq = strchr(t, '=');
    return eq && eq != t && (size_t)(eq - t) < 64;
}

static void add_note(record_opts *o, const char *text) {
    size_t n = strlen(o->notes);
    snprintf(o->notes + n, sizeof o->notes - n, "%s%s", n ? "\n" : "", text);
}

enum {
    OPT_HZ = 256, OPT_DURATION, OPT_NOTE, OPT_TAG, OPT_ROOT, OPT_FORCE, OPT_NO_RLE, OPT_RLE,
    OPT_CPU_POWER, OPT_CPU_TEMP, OPT_WRITER, OPT_QUIET, OPT_SERVE
};

static const struct option long_opts[] = {
    {"output", required_argument, NULL, 'o'},
    {"hz", required_argument, NULL, OPT_HZ},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"note", required_argument, NULL, OPT_NOTE},
    {"tag", required_argument, NULL, OPT_TAG},
    {"root", required_argument, NULL, OPT_ROOT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"no-rle", no_argument, NULL, OPT_NO_RLE},
    {"rle", required_argument, NULL, OPT_RLE},
    {"cpu-power-limit", required_argument, NULL, OPT_CPU_POWER},
    {"cpu-temp-limit", required_argument, NULL, OPT_CPU_TEMP},
    {"writer", required_argument, NULL, OPT_WRITER},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"serve", required_argument, NULL, OPT_SERVE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Keeps "cpu.NAME=V" built from a shortcut option alive for the run. */
static char shortcut_sets[2][64];

static int add_rle_set(record_opts *o, const char *set) {
    if (o->nrle_sets >= MAX_RLE_SETS)
        return cli_usage_error("record", "too many --rle settings");
    o->rle_sets[o->nrle_sets++] = set;
    return 0;
}

static int parse_one(record_opts *o, int c, const char *arg) {
    switch (c) {
    case 'o': o->output = arg; return 0;
    case OPT_HZ:
        return parse_hz(arg, &o->hz) ? cli_usage_error("record", "--hz: '%s' is not a rate in (0, 1000]", arg) : 0;
    case OPT_DURATION:
        return parse_duration(arg, &o->duration_ns) || o->duration_ns == 0
                   ? cli_usage_error("record", "--duration: '%s' is not a duration (10s, 10m, 1h)", arg)
                   : 0;
    case OPT_NOTE: add_note(o, arg); return 0;
    case OPT_TAG:
        if (!tag_ok(arg) || o->ntags >= MAX_TAGS)
            return cli_usage_error("record", "--tag: '%s' is not KEY=VALUE", arg);
        o->tags[o->ntags++] = arg;
        return 0;
    case OPT_ROOT: o->root = arg; return 0;
    case OPT_FORCE: o->force = 1; return 0;
    case OPT_NO_RLE: o->no_rle = 1; return 0;
    case OPT_QUIET: o->quiet = 1; return 0;
    case OPT_SERVE: o->serve = arg; return 0;
    case OPT_RLE: return add_rle_set(o, arg);
    case OPT_CPU_POWER:
    case OPT_CPU_TEMP:
        snprintf(shortcut_sets[c == OPT_CPU_TEMP], sizeof shortcut_sets[0], "cpu.%s=%s",
                 c == OPT_CPU_POWER ? "power_limit_w" : "temp_limit_c", arg);
        return add_rle_set(o, shortcut_sets[c == OPT_CPU_TEMP]);
    case OPT_WRITER:
        if (strcmp(arg, "thread") != 0 && strcmp(arg, "inline") != 0)
            return cli_usage_error("record", "--writer: '%s' is not thread or inline", arg);
        o->writer_inline = strcmp(arg, "inline") == 0;
        return 0;
    default: return cli_usage_error("record", "unknown option");
    }
}

/* Returns -1 after --help, 0 when parsed, else the usage exit code. */
static int parse_args(int argc, char **argv, record_opts *o) {
    memset(o, 0, sizeof *o);
    o->hz = 1.0;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return -1;
        }
        if (c == '?' || c == ':')
            return cli_usage_error("record", "%s option '%s'", c == ':' ? "missing value for" : "unknown",
                                   argv[optind - 1]);
        int rc = parse_one(o, c, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error("record", "unexpected argument '%s'", argv[optind]);
    return 0;
}

/* --- RLE settings by name --- */

typedef struct rle_field {
    const char *name;
    size_t offset;
    int kind; /* 0 double, 1 int32, 2 uint32, 3 uint64 */
} rle_field;

#define RD(n) {#n, offsetof(hr_rle_config, n), 0}
#define RI(n) {#n, offsetof(hr_rle_config, n), 1}
static const rle_field rle_fields[] = {
    RD(stability_window_s), RD(smooth_window_s), RD(slope_window_s),
    {"min_samples", offsetof(hr_rle_config, min_samples), 2},
    RD(t_sustain_min_s), RD(t_sustain_max_s), RD(slope_floor_c_per_s), RD(a_load_floor),
    RD(power_limit_w), RD(temp_limit_c), RD(norm_baseline), RD(norm_optimum),
    RD(norm_peak_util_pct), RD(warmup_s), RD(peak_decay_per_s), RD(drop_frac), RD(sustain_s),
    RD(recover_s), RD(load_gate_util_pct), RD(load_gate_a_load), RD(heat_window_s),
    RD(heat_c_per_s), RI(require_evidence), RI(evidence_thermal_pressure),
    RD(evidence_t_sustain_s), RD(evidence_temp_margin_c), RD(evidence_a_load),
    {"evidence_throttle_thermal", offsetof(hr_rle_config, evidence_throttle_thermal), 3},
    {"evidence_throttle_power", offsetof(hr_rle_config, evidence_throttle_power), 3},
    RD(alert_a_load),
};
#undef RD
#undef RI

static int set_field(hr_rle_config *c, const rle_field *f, const char *text) {
    char *end = NULL;
    errno = 0;
    char *base = (char *)c + f->offset;
    if (f->kind == 0) {
        double v = strtod(text, &end);
        if (end == text || *end || errno || !isfinite(v))
            return -1;
        memcpy(base, &v, sizeof v);
        return 0;
    }
    long long v = strtoll(text, &end, 0);
    if (end == text || *end || errno || v < 0)
        return -1;
    if (f->kind == 1 || f->kind == 2) {
        if (v > INT32_MAX)
            return -1;
        int32_t x = (int32_t)v;
        memcpy(base, &x, sizeof x);
    } else {
        uint64_t x = (uint64_t)v;
        memcpy(base, &x, sizeof x);
    }
    return 0;
}

/* Applies "[cpu.|gpu.]NAME=VALUE" to the recorder's RLE configs. */
static int apply_rle_set(hr_record_config *cfg, const char *set) {
    const char *name = set;
    int cpu = 1, gpu = 1;
    if (strncmp(set, "cpu.", 4) == 0 || strncmp(set, "gpu.", 4) == 0) {
        cpu = set[0] == 'c';
        gpu = !cpu;
        name = set + 4;
    }
    const char *eq = strchr(name, '=');
    if (!eq)
        return cli_usage_error("record", "--rle: '%s' is not NAME=VALUE", set);
    for (size_t i = 0; i < sizeof rle_fields / sizeof rle_fields[0]; i++) {
        const rle_field *f = &rle_fields[i];
        if (strlen(f->name) != (size_t)(eq - name) || strncmp(f->name, name, (size_t)(eq - name)))
            continue;
        if ((cpu && set_field(&cfg->rle_cpu, f, eq + 1)) || (gpu && set_field(&cfg->rle_gpu, f, eq + 1)))
            return cli_usage_error("record", "--rle: '%s' is not a number", eq + 1);
        return 0;
    }
    return cli_usage_error("record", "--rle: no threshold named '%.*s' (see docs/RLE.md)",
                           (int)(eq - name), name);
}

/* --- the run --- */

static void default_output(char *buf, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "record-%Y%m%d-%H%M%S.db", &tm);
}

/* ARGV as one shell-quoted line, for the session's metadata. */
static void command_line(int argc, char **argv, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "headroom");
    for (int i = 0; i < argc && n < cap; i++) {
        int plain = argv[i][0] && !strpbrk(argv[i], " \t\n'\"\\$`*?;&|<>()");
        n += (size_t)snprintf(buf + n, cap - n, plain ? " %s" : " '%s'", argv[i]);
    }
}

static int session_meta(hr_session *s, const record_opts *o, int argc, char **argv) {
    char cmd[2048];
    command_line(argc, argv, cmd, sizeof cmd);
    hr_status st = hr_session_set_meta(s, "command_line", cmd);
    if (st == HR_OK)
        st = hr_session_set_meta(s, "created_by", "headroom record");
    if (st == HR_OK && o->notes[0])
        st = hr_session_set_meta(s, "notes", o->notes);
    for (int i = 0; st == HR_OK && i < o->ntags; i++) {
        char key[64];
        const char *eq = strchr(o->tags[i], '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - o->tags[i]), o->tags[i]);
        st = hr_session_set_tag(s, key, eq + 1);
    }
    if (st != HR_OK)
        cli_error(hr_session_path(s), hr_session_last_error(s), NULL);
    return st == HR_OK ? 0 : -1;
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Appends " LABEL VALUE" for a known reading of COMPONENT/METRIC. */
static void status_item(hr_recorder *rec, const char *comp, const char *metric, const char *label,
                        char *line, size_t cap) {
    hr_reading r;
    if (hr_recorder_latest(rec, comp, metric, &r) != HR_OK || !HR_IS_KNOWN(r))
        return;
    char v[48];
    if (strcmp(metric, "temp") == 0)
        fmt_temp(&r, v, sizeof v);
    else if (strcmp(metric, "power") == 0)
        fmt_watts(&r, v, sizeof v);
    else if (strcmp(metric, "util") == 0)
        fmt_pct(&r, v, sizeof v);
    else if (strcmp(metric, "available") == 0)
        fmt_bytes(&r, v, sizeof v);
    else
        snprintf(v, sizeof v, "%.3f", (double)r.v / 1e6);
    size_t n = strlen(line);
    snprintf(line + n, cap - n, "  %s %s", label, v);
}

static void print_status(hr_recorder *rec, int64_t t0) {
    hr_record_stats st = {.size = sizeof st};
    if (hr_recorder_stats(rec, &st) != HR_OK)
        return;
    char line[512];
    long long secs = (long long)((hr_recorder_now_ns(rec) - t0) / 1000000000LL);
    if (isfinite(st.achieved_hz))
        snprintf(line, sizeof line, "%02lld:%02lld:%02lld  %.2f Hz", secs / 3600, secs / 60 % 60,
                 secs % 60, st.achieved_hz);
    else
        snprintf(line, sizeof line, "%02lld:%02lld:%02lld  -- Hz", secs / 3600, secs / 60 % 60,
                 secs % 60);
    status_item(rec, "cpu", "util", "cpu", line, sizeof line);
    status_item(rec, "cpu", "temp", "", line, sizeof line);
    status_item(rec, "cpu", "power", "", line, sizeof line);
    status_item(rec, "mem", "available", "mem avail", line, sizeof line);
    status_item(rec, "gpu0", "util", "gpu0", line, sizeof line);
    status_item(rec, "gpu0", "temp", "", line, sizeof line);
    status_item(rec, "gpu0", "power", "", line, sizeof line);
    status_item(rec, "cpu", "rle", "rle", line, sizeof line);
    size_t n = strlen(line);
    if (st.missed)
        snprintf(line + n, sizeof line - n, "  (%lld missed)", (long long)st.missed);
    printf("\r\033[K%s", line);
    fflush(stdout);
}

/* Waits for the duration, a signal or an error; returns the signal or 0. */
static int wait_loop(hr_recorder *rec, int live) {
    int64_t t0 = hr_recorder_now_ns(rec), last_status = 0;
    while (!got_signal) {
        if (hr_recorder_wait(rec, POLL_NS) == HR_OK)
            break;
        int64_t now = hr_recorder_now_ns(rec);
        if (live && now - last_status >= 1000000000LL) {
            print_status(rec, t0);
            last_status = now;
        }
    }
    if (live) {
        printf("\r\033[K");
        fflush(stdout);
    }
    return got_signal;
}

static void print_summary(hr_session *s, const hr_record_stats *st) {
    hr_session_info info = {.size = sizeof info};
    if (hr_session_info_get(s, &info) != HR_OK)
        return;
    double secs = (double)(info.end_mono_ns - info.start_mono_ns) / 1e9;
    printf("recorded %lld ticks in %.1f s to %s (%s)\n", (long long)info.ticks, secs,
           hr_session_path(s), hr_session_state_name(info.state));
    if (isfinite(info.achieved_hz))
        printf("  rate      %.3f Hz achieved of %.3f Hz requested, %lld missed\n",
               info.achieved_hz, info.requested_hz, (long long)info.missed_ticks);
    else
        printf("  rate      unknown (needs two ticks) of %.3f Hz requested, %lld missed\n",
               info.requested_hz, (long long)info.missed_ticks);
    printf("  channels  %zu; steps %lld; events %lld\n", info.nchannels, (long long)info.steps,
           (long long)info.events);
    printf("  timing    tick wake-up late by p50 %.3f ms, p99 %.3f ms; store p50 %.3f ms, "
           "p99 %.3f ms\n",
           (double)st->lateness_p50_ns / 1e6, (double)st->lateness_p99_ns / 1e6,
           (double)st->commit_p50_ns / 1e6, (double)st->commit_p99_ns / 1e6);
}

static int build_config(const record_opts *o, hr_record_config *cfg) {
    hr_record_config_defaults(cfg);
    cfg->hz = o->hz;
    cfg->duration_ns = o->duration_ns;
    cfg->rle = !o->no_rle;
    cfg->writer_thread = !o->writer_inline;
    for (int i = 0; i < o->nrle_sets; i++)
        if (apply_rle_set(cfg, o->rle_sets[i]))
            return HR_EXIT_USAGE;
    char why[160];
    if (hr_rle_config_validate(&cfg->rle_cpu, why, sizeof why) != HR_OK ||
        hr_rle_config_validate(&cfg->rle_gpu, why, sizeof why) != HR_OK)
        return cli_usage_error("record", "--rle: %s", why);
    return 0;
}

static hr_session *open_output(hr_ctx *ctx, const record_opts *o) {
    char name[64];
    const char *path = o->output;
    if (!path) {
        default_output(name, sizeof name);
        path = name;
    }
    hr_session *s = NULL;
    hr_status st = hr_session_create(ctx, path, o->force ? HR_SESSION_OVERWRITE : 0, &s);
    if (st != HR_OK)
        cli_error("record", hr_ctx_last_error(ctx),
                  st == HR_EINVAL ? "use --force to replace it, or -o to choose another file"
                                  : "choose a writable directory with free space (-o FILE)");
    return s;
}

/* Records until done; returns the exit code. */
static int record_run(hr_ctx *ctx, hr_session *s, const record_opts *o, const hr_record_config *cfg) {
    install_signals();
    hr_recorder *rec = NULL;
    hr_record_config rc = *cfg;
    hr_exporter *srv = NULL;
    if (o->serve && hr_exporter_start_for_recorder(ctx, o->serve, &rc, &srv) != HR_OK) {
        cli_error("record: --serve", hr_ctx_last_error(ctx),
                  "give a free ADDR:PORT, e.g. 127.0.0.1:9968");
        return HR_EXIT_FAIL;
    }
    if (hr_recorder_start(ctx, s, &rc, &rec) != HR_OK) {
        cli_error("record", hr_ctx_last_error(ctx), NULL);
        hr_exporter_stop(srv);
        return HR_EXIT_FAIL;
    }
    if (srv)
        fprintf(stderr, "headroom: record: serving %s\n", hr_exporter_url(srv));
    int live = !o->quiet && isatty(STDOUT_FILENO);
    wait_loop(rec, live);
    hr_record_stats st = {.size = sizeof st};
    hr_recorder_stats(rec, &st);
    hr_status rs = hr_recorder_stop(rec);
    hr_exporter_stop(srv);
    if (rs != HR_OK) {
        cli_error("record", st.error[0] ? st.error : hr_session_last_error(s),
                  "the ticks stored before the failure are kept");
        return HR_EXIT_FAIL;
    }
    if (!o->quiet)
        print_summary(s, &st);
    return HR_EXIT_OK;
}

int cmd_record(int argc, char **argv) {
    record_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? HR_EXIT_OK : rc;
    hr_record_config cfg;
    if ((rc = build_config(&o, &cfg)) != 0)
        return rc;
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK) {
        cli_error("record", "cannot create a context", NULL);
        return HR_EXIT_FAIL;
    }
    if (o.root && hr_ctx_set_root(ctx, o.root) != HR_OK) {
        cli_error("record", hr_ctx_last_error(ctx), NULL);
        hr_ctx_free(ctx);
        return HR_EXIT_USAGE;
    }
    hr_session *s = open_output(ctx, &o);
    rc = HR_EXIT_FAIL;
    if (s && session_meta(s, &o, argc, argv) == 0)
        rc = record_run(ctx, s, &o, &cfg);
    if (s && hr_session_close(s) != HR_OK && rc == HR_EXIT_OK) {
        cli_error("record", "closing the session failed", NULL);
        rc = HR_EXIT_FAIL;
    }
    hr_ctx_free(ctx);
    return rc;
}

/* cmd_probe.c: `headroom probe`: what this machine is, every value or
 * "unknown (why)". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "format.h"

typedef struct probe_opts {
    int json;
    int verbose;
    const char *root;
    const char *nvml;
    double interval_s; /* pause between the two reads that make rates known */
} probe_opts;

static void probe_help(FILE *f) {
    fprintf(f, "usage: headroom probe [--json] [--verbose] [--root DIR] [--nvml-library PATH]\n"
               "                      [--interval SECONDS]\n\n"
               "What this machine is and what its sensors say now: host, CPU, memory and its\n"
               "budget, hwmon sensors, thermal zones, RAPL power, GPUs (NVIDIA via NVML, AMD via\n"
               "sysfs, Apple via IOKit) and the accelerator a PyTorch job would use. A value the\n"
               "machine cannot give is shown as \"unknown (why)\", never as 0.\n\n"
               "  --json               the documented JSON schema (docs/PROBE.md), base units\n"
               "  --verbose            also list every source and why it did or did not answer\n"
               "  --root DIR           read DIR/sys and DIR/proc instead of /sys and /proc\n"
               "  --nvml-library PATH  load NVML from PATH instead of libnvidia-ml.so.1\n"
               "  --interval SECONDS   time between the two reads that give rates (default 0.2;\n"
               "                       0 reads once and leaves rates unknown)\n"
               "  --help               this text\n\n"
               "exit codes: 0 ok, 1 the machine could not be probed, 2 usage error\n");
}

static int parse_interval(const char *arg, double *out) {
    char *end = NULL;
    double v = strtod(arg, &end);
    if (end == arg || *end != '\0' || !(v >= 0.0) || v > 60.0)
        return -1;
    *out = v;
    return 0;
}

static int parse_opts(int argc, char **argv, probe_opts *o) {
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"verbose", no_argument, NULL, 'v'},
        {"root", required_argument, NULL, 'r'},
        {"nvml-library", required_argument, NULL, 'n'},
        {"interval", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->interval_s = 0.2;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+jvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o->json = 1; break;
        case 'v': o->verbose = 1; break;
        case 'r': o->root = optarg; break;
        case 'n': o->nvml = optarg; break;
        case 'i':
            if (parse_interval(optarg, &o->interval_s) != 0)
                return cli_usage_error("probe",
                                       "--interval: expected seconds between 0 and 60, "
                                       "got '%s'",
                                       optarg);
            break;
        case 'h': probe_help(stdout); return -1;
        default: return cli_usage_error("probe", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("probe", "unexpected argument '%s'", argv[optind]);
    return 0;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Text output, one section per part of the machine. */

static void print_host(const hr_probe *p) {
    const hr_host_info *h = &p->host;
    char a[64], b[64], c[64];
    printf("Host\n");
    fmt_row(stdout, "name", "%s", *h->hostname ? h->hostname : "unknown");
    fmt_row(stdout, "system", "%s, kernel %s, %s", *h->os_release ? h->os_release : h->os,
            *h->kernel ? h->kernel : "unknown", *h->arch ? h->arch : "unknown arch");
    fmt_row(stdout, "model", "%s", *h->machine_model ? h->machine_model : "unknown (not reported)");
    fmt_row(stdout, "CPU", "%s", *h->cpu_model ? h->cpu_model : "unknown (not reported)");
    fmt_row(stdout, "cores", "%s logical, %s physical, %s package(s)",
            fmt_int(&h->cpus_logical, "", a, sizeof a),
            fmt_int(&h->cores_physical, "", b, sizeof b), fmt_int(&h->packages, "", c, sizeof c));
    if (HR_IS_KNOWN(h->cores_performance))
        fmt_row(stdout, "P/E cores", "%lld performance, %s efficiency",
                (long long)h->cores_performance.v, fmt_int(&h->cores_efficiency, "", a, sizeof a));
    if (HR_IS_KNOWN(h->uptime_ns))
        fmt_row(stdout, "uptime", "%s", fmt_duration_ns(h->uptime_ns.v, a, sizeof a));
}

static void print_cpu(const hr_probe *p) {
    const hr_cpu_info *c = &p->cpu;
    char a[64], b[64];
    printf("CPU\n");
    fmt_row(stdout, "utilisation", "%s (iowait %s)", fmt_pct(&c->util_ppm, a, sizeof a),
            fmt_pct(&c->iowait_ppm, b, sizeof b));
    if (HR_IS_KNOWN(c->temp_mc))
        fmt_row(stdout, "temperature", "%s (critical %s) from %s",
                fmt_temp(&c->temp_mc, a, sizeof a), fmt_temp(&c->temp_crit_mc, b, sizeof b),
                c->temp_source);
    else
        fmt_row(stdout, "temperature", "%s", fmt_temp(&c->temp_mc, a, sizeof a));
    fmt_row(stdout, "package power", "%s", fmt_watts(&c->power_mw, a, sizeof a));
    fmt_row(stdout, "throttle events", "%s", fmt_int(&c->package_throttle_count, "", a, sizeof a));
    if (p->ncores == 0)
        return;
    int64_t lo = -1, hi = -1, mx = -1;
    for (size_t i = 0; i < p->ncores; i++) {
        const hr_cpu_core *k = &p->cores[i];
        if (HR_IS_KNOWN(k->clock_mhz)) {
            lo = lo < 0 || k->clock_mhz.v < lo ? k->clock_mhz.v : lo;
            hi = k->clock_mhz.v > hi ? k->clock_mhz.v : hi;
        }
        if (HR_IS_KNOWN(k->clock_max_mhz) && k->clock_max_mhz.v > mx)
            mx = k->clock_max_mhz.v;
    }
    if (lo >= 0)
        fmt_row(stdout, "clocks", "%lld-%lld MHz (max %lld MHz)", (long long)lo, (long long)hi,
                (long long)mx);
    else
        fmt_row(stdout, "clocks", "%s", fmt_unknown(&p->cores[0].clock_mhz, a, sizeof a));
}

static const char *const pressure_names[] = {"normal", "warning", "critical"};
static const char *const thermal_names[] = {"nominal", "moderate", "heavy", "trapping", "sleeping"};

static void print_level(const char *label, const hr_reading *r, const char *const *names, int n) {
    char a[64];
    if (HR_IS_KNOWN(*r) && r->v >= 0 && r->v < n)
        fmt_row(stdout, label, "%s", names[r->v]);
    else
        fmt_row(stdout, label, "%s", fmt_unknown(r, a, sizeof a));
}

static void print_mem(const hr_probe *p) {
    const hr_mem_info *m = &p->mem;
    char a[64], b[64];
    printf("Memory\n");
    fmt_row(stdout, "total", "%s", fmt_bytes(&m->total_bytes, a, sizeof a));
    fmt_row(stdout, "available", "%s", fmt_bytes(&m->available_bytes, a, sizeof a));
    fmt_row(stdout, "swap free", "%s of %s", fmt_bytes(&m->swap_free_bytes, a, sizeof a),
            fmt_bytes(&m->swap_total_bytes, b, sizeof b));
    if (m->cgroup_limit_bytes.why == HR_WHY_UNLIMITED)
        fmt_row(stdout, "cgroup limit", "none (cgroup v%d, no limit set)", m->cgroup_version);
    else if (HR_IS_KNOWN(m->cgroup_limit_bytes))
        fmt_row(stdout, "cgroup limit", "%s (cgroup v%d, %s in use)",
                fmt_bytes(&m->cgroup_limit_bytes, a, sizeof a), m->cgroup_version,
                fmt_bytes(&m->cgroup_usage_bytes, b, sizeof b));
    else
        fmt_row(stdout, "cgroup limit", "%s", fmt_unknown(&m->cgroup_limit_bytes, a, sizeof a));
    fmt_row(stdout, "budget", "%s", fmt_bytes(&m->budget_bytes, a, sizeof a));
    print_level("pressure", &m->pressure_level, pressure_names, 3);
    if (HR_IS_KNOWN(m->psi_memory.some_avg10_ppm))
        fmt_row(stdout, "stalls (10 s)", "memory %s, cpu %s, io %s",
                fmt_pct(&m->psi_memory.some_avg10_ppm, a, sizeof a),
                fmt_pct(&m->psi_cpu.some_avg10_ppm, b, sizeof b),
                fmt_pct(&m->psi_io.some_avg10_ppm, (char[64]){0}, 64));
    if (m->thermal_pressure.why != HR_WHY_NOT_APPLICABLE)
        print_level("thermal pressure", &m->thermal_pressure, thermal_names, 5);
}

static void print_sensors(const hr_probe *p) {
    if (p->nsensors == 0)
        return;
    char a[64], b[64], c[64], label[112];
    printf("Sensors\n");
    for (size_t i = 0; i < p->nsensors; i++) {
        const hr_sensor *s = &p->sensors[i];
        snprintf(label, sizeof label, "%s %s", s->chip, s->label);
        switch (s->kind) {
        case HR_SENSOR_TEMP:
            if (HR_IS_KNOWN(s->max) || HR_IS_KNOWN(s->crit))
                fmt_row(stdout, label, "%s (max %s, crit %s)", fmt_temp(&s->value, a, sizeof a),
                        fmt_temp(&s->max, b, sizeof b), fmt_temp(&s->crit, c, sizeof c));
            else
                fmt_row(stdout, label, "%s", fmt_temp(&s->value, a, sizeof a));
            break;
        case HR_SENSOR_FAN:
            fmt_row(stdout, label, "%s", fmt_int(&s->value, "rpm", a, sizeof a));
            break;
        case HR_SENSOR_POWER:
            fmt_row(stdout, label, "%s", fmt_watts(&s->value, a, sizeof a));
            break;
        case HR_SENSOR_ENERGY:
            fmt_row(stdout, label, "%s", fmt_scaled(&s->value, 1e6, 1, "J", a, sizeof a));
            break;
        case HR_SENSOR_VOLTAGE:
            fmt_row(stdout, label, "%s", fmt_scaled(&s->value, 1e3, 3, "V", a, sizeof a));
            break;
        default: fmt_row(stdout, label, "%s", fmt_scaled(&s->value, 1e3, 3, "A", a, sizeof a));
        }
    }
}

static void print_zones(const hr_probe *p) {
    if (p->nzones == 0)
        return;
    char a[64], b[64], label[80];
    printf("Thermal zones\n");
    for (size_t i = 0; i < p->nzones; i++) {
        const hr_thermal_zone *z = &p->zones[i];
        snprintf(label, sizeof label, "%s %s", z->name, z->type);
        const hr_reading *crit = NULL;
        for (int t = 0; t < z->ntrips && t < HR_MAX_TRIPS; t++)
            if (strcmp(z->trips[t].type, "critical") == 0)
                crit = &z->trips[t].temp_mc;
        if (crit)
            fmt_row(stdout, label, "%s (critical %s)", fmt_temp(&z->temp_mc, a, sizeof a),
                    fmt_temp(crit, b, sizeof b));
        else
            fmt_row(stdout, label, "%s", fmt_temp(&z->temp_mc, a, sizeof a));
    }
}

static void print_rapl(const hr_probe *p) {
    if (p->nrapl == 0)
        return;
    char a[64], b[64];
    printf("Power (RAPL)\n");
    for (size_t i = 0; i < p->nrapl; i++) {
        const hr_rapl_domain *d = &p->rapl[i];
        char label[112];
        snprintf(label, sizeof label, "%s [%s]", d->name, d->path);
        fmt_row(stdout, label, "%s (counter %s)", fmt_watts(&d->power_mw, a, sizeof a),
                fmt_scaled(&d->energy_uj, 1e6, 1, "J", b, sizeof b));
    }
}

static void print_gpu_thermal(const hr_gpu_info *g) {
    char a[64], b[64], c[64], d[64];
    if (HR_IS_KNOWN(g->temp_slowdown_mc) || HR_IS_KNOWN(g->temp_margin_mc))
        fmt_row(stdout, "temperature", "%s (slowdown %s, shutdown %s, margin %s)",
                fmt_temp(&g->temp_mc, a, sizeof a), fmt_temp(&g->temp_slowdown_mc, b, sizeof b),
                fmt_temp(&g->temp_shutdown_mc, c, sizeof c),
                fmt_temp(&g->temp_margin_mc, d, sizeof d));
    else
        fmt_row(stdout, "temperature", "%s", fmt_temp(&g->temp_mc, a, sizeof a));
    if (HR_IS_KNOWN(g->temp_hotspot_mc))
        fmt_row(stdout, "hotspot", "%s", fmt_temp(&g->temp_hotspot_mc, a, sizeof a));
    if (HR_IS_KNOWN(g->throttle_reasons)) {
        char names[256];
        int n = hr_throttle_reasons_text((uint64_t)g->throttle_reasons.v, names, sizeof names);
        fmt_row(stdout, "clock limits", "%s", n ? names : "none");
    } else {
        fmt_row(stdout, "clock limits", "%s", fmt_unknown(&g->throttle_reasons, a, sizeof a));
    }
}

static void print_gpu(const hr_gpu_info *g) {
    char a[64], b[64], c[64];
    printf("GPU %d: %s (%s%s%s)%s\n", g->index, *g->name ? g->name : "unknown", g->backend,
           *g->pci_bus ? ", " : "", g->pci_bus, g->lost ? " LOST" : "");
    fmt_row(stdout, "memory", "%s used of %s (%s free)%s",
            fmt_bytes(&g->mem_used_bytes, a, sizeof a), fmt_bytes(&g->mem_total_bytes, b, sizeof b),
            fmt_bytes(&g->mem_free_bytes, c, sizeof c),
            g->unified_memory ? ", unified with the CPU" : "");
    fmt_row(stdout, "utilisation", "%s (memory %s)", fmt_pct(&g->util_ppm, a, sizeof a),
            fmt_pct(&g->mem_util_ppm, b, sizeof b));
    print_gpu_thermal(g);
    fmt_row(stdout, "power", "%s of %s limit", fmt_watts(&g->power_mw, a, sizeof a),
            fmt_watts(&g->power_limit_mw, b, sizeof b));
    fmt_row(stdout, "clocks", "SM %s of %s, memory %s",
            fmt_int(&g->clock_sm_mhz, "MHz", a, sizeof a),
            fmt_int(&g->clock_sm_max_mhz, "MHz", b, sizeof b),
            fmt_int(&g->clock_mem_mhz, "MHz", c, sizeof c));
    if (HR_IS_KNOWN(g->pstate) || HR_IS_KNOWN(g->fan_pct))
        fmt_row(stdout, "state", "P%s, fan %s", fmt_int(&g->pstate, "", a, sizeof a),
                fmt_int(&g->fan_pct, "%", b, sizeof b));
}

static const char *const accel_names[] = {"cpu", "cuda", "rocm", "mps"};

static void print_accel(const hr_probe *p) {
    const hr_accel_info *a = &p->accel;
    char b[64], c[64];
    printf("Accelerator for PyTorch\n");
    if (a->kind == HR_ACCEL_CPU)
        fmt_row(stdout, "device", "cpu (no usable GPU)");
    else
        fmt_row(stdout, "device", "%s (%s%s)", a->torch_device,
                a->kind >= 0 && a->kind < 4 ? accel_names[a->kind] : "?",
                a->unified_memory ? ", memory shared with the CPU" : "");
    fmt_row(stdout, "memory budget", "%s of %s (%s)", fmt_bytes(&a->budget_bytes, b, sizeof b),
            fmt_bytes(&a->ceiling_bytes, c, sizeof c), a->budget_source);
}

static const char *const source_states[] = {"answered", "partial", "absent", "failed"};

static void print_sources(const hr_probe *p, int verbose) {
    int counts[4] = {0};
    for (size_t i = 0; i < p->nsources; i++)
        if (p->sources[i].state >= 0 && p->sources[i].state < 4)
            counts[p->sources[i].state]++;
    if (!verbose) {
        printf("Sources: %d answered, %d partial, %d absent, %d failed (--verbose lists them)\n",
               counts[0], counts[1], counts[2], counts[3]);
        return;
    }
    printf("Sources\n");
    for (size_t i = 0; i < p->nsources; i++) {
        const hr_source_report *s = &p->sources[i];
        const char *state = s->state >= 0 && s->state < 4 ? source_states[s->state] : "?";
        if (s->why != HR_WHY_KNOWN)
            fmt_row(stdout, s->name, "%s (%s): %s", state, hr_why_text(s->why), s->detail);
        else
            fmt_row(stdout, s->name, "%s: %s", state, s->detail);
    }
}

static void print_text(const hr_probe *p, int verbose) {
    print_host(p);
    print_cpu(p);
    print_mem(p);
    print_sensors(p);
    print_zones(p);
    print_rapl(p);
    for (size_t i = 0; i < p->ngpus; i++)
        print_gpu(&p->gpus[i]);
    if (p->ngpus == 0)
        printf("GPUs\n  none found (--verbose says where headroom looked)\n");
    print_accel(p);
    print_sources(p, verbose);
}

static int setup_ctx(const probe_opts *o, hr_ctx **ctx) {
    if (hr_ctx_new(ctx) != HR_OK) {
        cli_error("probe", "cannot create a context", NULL);
        return HR_EXIT_FAIL;
    }
    if (o->root && hr_ctx_set_root(*ctx, o->root) != HR_OK) {
        cli_error("probe: --root", hr_ctx_last_error(*ctx),
                  "give a directory holding sys/ and proc/ trees");
        return HR_EXIT_USAGE;
    }
    if (o->nvml)
        hr_ctx_set_nvml_library(*ctx, o->nvml);
    return HR_EXIT_OK;
}

static int emit(const hr_probe *p, const probe_opts *o) {
    if (!o->json) {
        print_text(p, o->verbose);
        return HR_EXIT_OK;
    }
    char *json = NULL;
    if (hr_probe_to_json(p, 2, &json) != HR_OK) {
        cli_error("probe", "cannot serialise the probe as JSON", NULL);
        return HR_EXIT_FAIL;
    }
    puts(json);
    hr_free(json);
    return HR_EXIT_OK;
}

int cmd_probe(int argc, char **argv) {
    probe_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? HR_EXIT_OK : rc;
    hr_ctx *ctx = NULL;
    rc = setup_ctx(&o, &ctx);
    hr_probe *p = NULL;
    if (rc == HR_EXIT_OK && hr_probe_open(ctx, &p) != HR_OK) {
        cli_error("probe", hr_ctx_last_error(ctx), "run with --verbose to see each source");
        rc = HR_EXIT_FAIL;
    }
    if (rc == HR_EXIT_OK && o.interval_s > 0) {
        sleep_s(o.interval_s);
        hr_probe_refresh(p);
    }
    if (rc == HR_EXIT_OK)
        rc = emit(p, &o);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    return rc;
}

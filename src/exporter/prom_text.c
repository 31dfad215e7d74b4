/* prom_text.c: the exposition of one sample: build and sampler facts,
 * sources, host, CPU, memory and pressure, hwmon sensors, thermal zones and
 * RAPL (GPUs, RLE and the job are in prom_gpu.c). Each family is written
 * whole before the next, and a reading that is not known is left out. */
#include "exporter/prom_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

#define OFF(type, field) offsetof(type, field)
#define NFAM(a) (sizeof(a) / sizeof((a)[0]))

void hr__prom_table(hr__pw *w, const hr__pfam *f, size_t nf, const void *base, size_t n,
                    size_t stride, hr__plabeler lab, void *user, const unsigned char *skip) {
    for (size_t k = 0; k < nf; k++) {
        hr__pw_family(w, f[k].name, f[k].type, f[k].help);
        for (size_t i = 0; i < n; i++) {
            if (skip && skip[i])
                continue;
            const char *elem = (const char *)base + i * stride;
            const hr_reading *r = (const hr_reading *)(const void *)(elem + f[k].off);
            if (!HR_IS_KNOWN(*r))
                continue;
            hr__plabels ls = {.n = 0};
            if (lab)
                lab(elem, i, &ls, user);
            hr__pw_sample(w, &ls, r->v, f[k].exp10);
        }
    }
}

/* --- build, sampler, sources, host --- */

static void write_meta(hr__pw *w, const hr_prom_input *in) {
    const hr_probe *p = in->probe;
    hr__plabels ls = {.n = 0};
    hr__plabels_add(&ls, "version", hr_version());
    hr__pw_family(w, "headroom_build_info", HR__GAUGE,
                  "The headroom version serving these metrics.");
    hr__pw_sample(w, &ls, 1, 0);
    if (p->t_wall_ns > 0) {
        hr__pw_family(w, "headroom_sample_timestamp_seconds", HR__GAUGE,
                      "UTC time of the sample served here (Unix seconds).");
        hr__pw_sample(w, NULL, p->t_wall_ns, -9);
    }
    hr__pw_family(w, "headroom_sampler_samples_total", HR__COUNTER,
                  "Samples taken since the sampler started.");
    if (HR_IS_KNOWN(in->samples))
        hr__pw_sample(w, NULL, in->samples.v, 0);
    hr__pw_family(w, "headroom_sampler_period_seconds", HR__GAUGE,
                  "Time between two samples of the sampler.");
    if (HR_IS_KNOWN(in->period_ns))
        hr__pw_sample(w, NULL, in->period_ns.v, -9);
}

static const char *const source_states[] = {"answered", "partial", "absent", "failed"};

static void write_sources(hr__pw *w, const hr_probe *p) {
    hr__pw_family(w, "headroom_source_up", HR__GAUGE,
                  "1 when the source answered the latest sample (fully or in part), 0 when it "
                  "failed; sources with nothing to read here are left out.");
    for (size_t i = 0; i < p->nsources; i++) {
        const hr_source_report *s = &p->sources[i];
        if (s->state == HR_SOURCE_ABSENT)
            continue;
        hr__plabels ls = {.n = 0};
        hr__plabels_add(&ls, "source", s->name);
        hr__pw_sample(w, &ls, s->state == HR_SOURCE_ANSWERED || s->state == HR_SOURCE_PARTIAL, 0);
    }
    hr__pw_family(w, "headroom_source_info", HR__GAUGE,
                  "Always 1: how each source fared (state answered, partial, absent or failed; "
                  "reason when not answered).");
    for (size_t i = 0; i < p->nsources; i++) {
        const hr_source_report *s = &p->sources[i];
        hr__plabels ls = {.n = 0};
        hr__plabels_add(&ls, "source", s->name);
        int st = s->state >= 0 && s->state < 4 ? s->state : HR_SOURCE_FAILED;
        hr__plabels_add(&ls, "state", source_states[st]);
        hr__plabels_add(&ls, "reason", st == HR_SOURCE_ANSWERED ? "" : hr_why_name(s->why));
        hr__pw_sample(w, &ls, 1, 0);
    }
}

static void write_host(hr__pw *w, const hr_probe *p) {
    const hr_host_info *h = &p->host;
    hr__plabels ls = {.n = 0};
    hr__plabels_add(&ls, "hostname", h->hostname);
    hr__plabels_add(&ls, "os", h->os);
    hr__plabels_add(&ls, "os_release", h->os_release);
    hr__plabels_add(&ls, "kernel", h->kernel);
    hr__plabels_add(&ls, "arch", h->arch);
    hr__plabels_add(&ls, "machine_model", h->machine_model);
    hr__plabels_add(&ls, "cpu_model", h->cpu_model);
    hr__pw_family(w, "headroom_host_info", HR__GAUGE,
                  "Always 1: the host's name, OS, kernel, architecture, model and CPU model.");
    hr__pw_sample(w, &ls, 1, 0);
    static const hr__pfam fams[] = {
        {"headroom_host_uptime_seconds", HR__GAUGE, "Time since the host booted.",
         OFF(hr_host_info, uptime_ns), -9},
        {"headroom_host_cpus", HR__GAUGE, "Online logical CPUs.", OFF(hr_host_info, cpus_logical),
         0},
        {"headroom_host_cores", HR__GAUGE, "Physical CPU cores.", OFF(hr_host_info, cores_physical),
         0},
    };
    hr__prom_table(w, fams, NFAM(fams), h, 1, sizeof *h, NULL, NULL, NULL);
}

/* --- CPU --- */

static const hr__pfam cpu_fams[] = {
    {"headroom_cpu_utilization_ratio", HR__GAUGE,
     "Share of time all CPUs were busy (not idle, not iowait) since the previous sample.",
     OFF(hr_cpu_info, util_ppm), -6},
    {"headroom_cpu_iowait_ratio", HR__GAUGE,
     "Share of time all CPUs waited for I/O since the previous sample.",
     OFF(hr_cpu_info, iowait_ppm), -6},
    {"headroom_cpu_temperature_celsius", HR__GAUGE,
     "The best CPU temperature (package, Tctl, ...); headroom probe names the sensor.",
     OFF(hr_cpu_info, temp_mc), -3},
    {"headroom_cpu_temperature_critical_celsius", HR__GAUGE,
     "Critical limit or trip point of that temperature.", OFF(hr_cpu_info, temp_crit_mc), -3},
    {"headroom_cpu_package_throttles_total", HR__COUNTER,
     "Package thermal throttle events counted by the kernel, summed over packages.",
     OFF(hr_cpu_info, package_throttle_count), 0},
    {"headroom_cpu_power_watts", HR__GAUGE, "CPU package power from RAPL energy counters.",
     OFF(hr_cpu_info, power_mw), -3},
};

static const hr__pfam core_fams[] = {
    {"headroom_cpu_core_utilization_ratio", HR__GAUGE,
     "Share of time the logical CPU was busy since the previous sample.",
     OFF(hr_cpu_core, util_ppm), -6},
    {"headroom_cpu_core_iowait_ratio", HR__GAUGE,
     "Share of time the logical CPU waited for I/O since the previous sample.",
     OFF(hr_cpu_core, iowait_ppm), -6},
    {"headroom_cpu_core_frequency_hertz", HR__GAUGE, "Current clock of the logical CPU (cpufreq).",
     OFF(hr_cpu_core, clock_mhz), 6},
    {"headroom_cpu_core_frequency_max_hertz", HR__GAUGE, "Highest clock of the logical CPU.",
     OFF(hr_cpu_core, clock_max_mhz), 6},
    {"headroom_cpu_core_throttles_total", HR__COUNTER,
     "Core thermal throttle events counted by the kernel for the logical CPU.",
     OFF(hr_cpu_core, throttle_count), 0},
};

typedef struct num_labels {
    char (*num)[16]; /* one number per element */
    const char *name;
} num_labels;

static void label_core(const void *elem, size_t i, hr__plabels *ls, void *user) {
    num_labels *nl = user;
    hr__plabels_add(ls, nl->name, nl->num[i]);
}

static void write_cpu(hr__pw *w, const hr_probe *p) {
    hr__prom_table(w, cpu_fams, NFAM(cpu_fams), &p->cpu, 1, sizeof p->cpu, NULL, NULL, NULL);
    if (!p->ncores)
        return;
    char(*num)[16] = calloc(p->ncores, sizeof *num);
    if (!num) {
        w->b.oom = 1;
        return;
    }
    for (size_t i = 0; i < p->ncores; i++)
        snprintf(num[i], sizeof num[i], "%d", (int)p->cores[i].cpu);
    num_labels nl = {num, "cpu"};
    hr__prom_table(w, core_fams, NFAM(core_fams), p->cores, p->ncores, sizeof *p->cores, label_core,
                   &nl, NULL);
    free(num);
}

/* --- memory and pressure --- */

static const hr__pfam mem_fams[] = {
    {"headroom_memory_total_bytes", HR__GAUGE, "Physical memory.", OFF(hr_mem_info, total_bytes),
     0},
    {"headroom_memory_available_bytes", HR__GAUGE,
     "Memory available to new work without swapping (MemAvailable; free, inactive and "
     "purgeable pages on macOS).",
     OFF(hr_mem_info, available_bytes), 0},
    {"headroom_memory_swap_total_bytes", HR__GAUGE, "Swap space.",
     OFF(hr_mem_info, swap_total_bytes), 0},
    {"headroom_memory_swap_free_bytes", HR__GAUGE, "Unused swap space.",
     OFF(hr_mem_info, swap_free_bytes), 0},
    {"headroom_memory_cgroup_limit_bytes", HR__GAUGE,
     "Effective memory limit of headroom's cgroup (absent when no limit is set).",
     OFF(hr_mem_info, cgroup_limit_bytes), 0},
    {"headroom_memory_cgroup_usage_bytes", HR__GAUGE, "Memory used by headroom's cgroup.",
     OFF(hr_mem_info, cgroup_usage_bytes), 0},
    {"headroom_memory_budget_bytes", HR__GAUGE,
     "Memory a new job can use: available memory within the cgroup limit.",
     OFF(hr_mem_info, budget_bytes), 0},
    {"headroom_memory_pressure_level", HR__GAUGE,
     "Memory pressure: 0 normal, 1 warn, 2 critical (Linux PSI, macOS memorystatus).",
     OFF(hr_mem_info, pressure_level), 0},
    {"headroom_memory_vm_pressure_level", HR__GAUGE,
     "macOS kern.memorystatus_vm_pressure_level: 1 normal, 2 warn, 4 critical.",
     OFF(hr_mem_info, vm_pressure_level), 0},
    {"headroom_memory_memorystatus_level_ratio", HR__GAUGE,
     "macOS kern.memorystatus_level: share of memory free.", OFF(hr_mem_info, memorystatus_level),
     -2},
    {"headroom_thermal_pressure_level", HR__GAUGE,
     "macOS thermal pressure: 0 nominal, 1 moderate, 2 heavy, 3 trapping, 4 sleeping.",
     OFF(hr_mem_info, thermal_pressure), 0},
};

static const hr__pfam psi_fams[] = {
    {"headroom_pressure_some_avg10_ratio", HR__GAUGE,
     "Share of time some task stalled on the resource, 10 s average (PSI).",
     OFF(hr_psi, some_avg10_ppm), -6},
    {"headroom_pressure_some_avg60_ratio", HR__GAUGE,
     "Share of time some task stalled on the resource, 60 s average (PSI).",
     OFF(hr_psi, some_avg60_ppm), -6},
    {"headroom_pressure_full_avg10_ratio", HR__GAUGE,
     "Share of time all tasks stalled on the resource, 10 s average (PSI).",
     OFF(hr_psi, full_avg10_ppm), -6},
    {"headroom_pressure_some_seconds_total", HR__COUNTER,
     "Cumulative time some task stalled on the resource (PSI).", OFF(hr_psi, some_total_us), -6},
};

static const char *const psi_names[3] = {"memory", "cpu", "io"};

static void label_psi(const void *elem, size_t i, hr__plabels *ls, void *user) {
    hr__plabels_add(ls, "resource", psi_names[i]);
}

static void write_mem(hr__pw *w, const hr_probe *p) {
    hr__prom_table(w, mem_fams, NFAM(mem_fams), &p->mem, 1, sizeof p->mem, NULL, NULL, NULL);
    /* The three PSI resources as one array, in psi_names order. */
    hr_psi psi[3] = {p->mem.psi_memory, p->mem.psi_cpu, p->mem.psi_io};
    hr__prom_table(w, psi_fams, NFAM(psi_fams), psi, 3, sizeof psi[0], label_psi, NULL, NULL);
}

/* --- hwmon sensors --- */

/* Per sensor kind: the value, max and crit families and the power of ten
 * from the stored unit to the base unit. */
static const struct sensor_kind {
    const char *name[3];
    const char *help[3];
    const char *type;
    int exp10;
} sensor_kinds[] = {
    [HR_SENSOR_TEMP] = {{"headroom_hwmon_temperature_celsius",
                         "headroom_hwmon_temperature_max_celsius",
                         "headroom_hwmon_temperature_critical_celsius"},
                        {"Temperature of a hwmon sensor.", "Its maximum (warning) limit.",
                         "Its critical limit."},
                        HR__GAUGE,
                        -3},
    [HR_SENSOR_FAN] = {{"headroom_hwmon_fan_rpm", "headroom_hwmon_fan_max_rpm",
                        "headroom_hwmon_fan_critical_rpm"},
                       {"Fan speed of a hwmon sensor.", "Its maximum speed.",
                        "Its critical speed."},
                       HR__GAUGE,
                       0},
    [HR_SENSOR_POWER] = {{"headroom_hwmon_power_watts", "headroom_hwmon_power_max_watts",
                          "headroom_hwmon_power_critical_watts"},
                         {"Power of a hwmon sensor.", "Its maximum (cap).", "Its critical limit."},
                         HR__GAUGE,
                         -3},
    [HR_SENSOR_ENERGY] = {{"headroom_hwmon_energy_joules_total", NULL, NULL},
                          {"Cumulative energy of a hwmon sensor.", NULL, NULL},
                          HR__COUNTER,
                          -6},
    [HR_SENSOR_VOLTAGE] = {{"headroom_hwmon_voltage_volts", "headroom_hwmon_voltage_max_volts",
                            "headroom_hwmon_voltage_critical_volts"},
                           {"Voltage of a hwmon sensor.", "Its maximum.", "Its critical limit."},
                           HR__GAUGE,
                           -3},
    [HR_SENSOR_CURRENT] = {{"headroom_hwmon_current_amperes", "headroom_hwmon_current_max_amperes",
                            "headroom_hwmon_current_critical_amperes"},
                           {"Current of a hwmon sensor.", "Its maximum.", "Its critical limit."},
                           HR__GAUGE,
                           -3},
};

static void label_sensor(const void *elem, size_t i, hr__plabels *ls, void *user) {
    const hr_sensor *s = elem;
    hr__plabels_add(ls, "chip", s->chip);
    hr__plabels_add(ls, "sensor", s->label);
    hr__plabels_add(ls, "device", s->device);
}

/* SKIP[i] = 1 for sensors of another kind than KIND, and for a sensor
 * whose (kind, chip, device, label) repeats an earlier one, so that no
 * series is written twice. */
static void sensor_skip(const hr_probe *p, int32_t kind, unsigned char *skip) {
    for (size_t i = 0; i < p->nsensors; i++) {
        const hr_sensor *s = &p->sensors[i];
        skip[i] = s->kind != kind;
        for (size_t j = 0; !skip[i] && j < i; j++) {
            const hr_sensor *t = &p->sensors[j];
            skip[i] = t->kind == kind && strcmp(t->chip, s->chip) == 0 &&
                      strcmp(t->device, s->device) == 0 && strcmp(t->label, s->label) == 0;
        }
    }
}

static void write_sensors(hr__pw *w, const hr_probe *p) {
    if (!p->nsensors)
        return;
    unsigned char *skip = malloc(p->nsensors);
    if (!skip) {
        w->b.oom = 1;
        return;
    }
    static const size_t offs[3] = {OFF(hr_sensor, value), OFF(hr_sensor, max),
                                   OFF(hr_sensor, crit)};
    for (int32_t k = 0; k < (int32_t)NFAM(sensor_kinds); k++) {
        const struct sensor_kind *sk = &sensor_kinds[k];
        sensor_skip(p, k, skip);
        for (int f = 0; f < 3; f++) {
            if (!sk->name[f])
                continue;
            hr__pfam fam = {sk->name[f], sk->type, sk->help[f], offs[f], sk->exp10};
            hr__prom_table(w, &fam, 1, p->sensors, p->nsensors, sizeof *p->sensors, label_sensor,
                           NULL, skip);
        }
    }
    free(skip);
}

/* --- thermal zones and RAPL --- */

static void label_zone(const void *elem, size_t i, hr__plabels *ls, void *user) {
    const hr_thermal_zone *z = elem;
    hr__plabels_add(ls, "zone", z->name);
    hr__plabels_add(ls, "type", z->type);
}

static void write_zones(hr__pw *w, const hr_probe *p) {
    static const hr__pfam fam = {"headroom_thermal_zone_temperature_celsius", HR__GAUGE,
                                 "Temperature of a kernel thermal zone.",
                                 OFF(hr_thermal_zone, temp_mc), -3};
    hr__prom_table(w, &fam, 1, p->zones, p->nzones, sizeof *p->zones, label_zone, NULL, NULL);
    hr__pw_family(w, "headroom_thermal_zone_trip_celsius", HR__GAUGE,
                  "Trip point of a thermal zone (trip is its number, trip_type critical, hot, "
                  "passive or active).");
    for (size_t i = 0; i < p->nzones; i++) {
        const hr_thermal_zone *z = &p->zones[i];
        int n = z->ntrips < 0 ? 0 : z->ntrips > HR_MAX_TRIPS ? HR_MAX_TRIPS : z->ntrips;
        for (int t = 0; t < n; t++) {
            if (!HR_IS_KNOWN(z->trips[t].temp_mc))
                continue;
            char num[16];
            snprintf(num, sizeof num, "%d", t);
            hr__plabels ls = {.n = 0};
            label_zone(z, i, &ls, NULL);
            hr__plabels_add(&ls, "trip", num);
            hr__plabels_add(&ls, "trip_type", z->trips[t].type);
            hr__pw_sample(w, &ls, z->trips[t].temp_mc.v, -3);
        }
    }
}

static const hr__pfam rapl_fams[] = {
    {"headroom_rapl_energy_joules_total", HR__COUNTER,
     "RAPL energy counter of a powercap domain (wraps at headroom_rapl_energy_range_joules).",
     OFF(hr_rapl_domain, energy_uj), -6},
    {"headroom_rapl_energy_range_joules", HR__GAUGE, "Where the RAPL energy counter wraps.",
     OFF(hr_rapl_domain, max_energy_range_uj), -6},
    {"headroom_rapl_power_watts", HR__GAUGE,
     "Power of a RAPL domain over the latest sampling period.", OFF(hr_rapl_domain, power_mw), -3},
};

static void label_rapl(const void *elem, size_t i, hr__plabels *ls, void *user) {
    const hr_rapl_domain *d = elem;
    hr__plabels_add(ls, "domain", d->name);
    hr__plabels_add(ls, "path", d->path);
}

void hr__prom_write_system(hr__pw *w, const hr_probe *p) {
    write_sources(w, p);
    write_host(w, p);
    write_cpu(w, p);
    write_mem(w, p);
    write_sensors(w, p);
    write_zones(w, p);
    hr__prom_table(w, rapl_fams, NFAM(rapl_fams), p->rapl, p->nrapl, sizeof *p->rapl, label_rapl,
                   NULL, NULL);
}

void hr__prom_write_age(hr__pw *w, const hr_probe *p, int64_t now_mono_ns) {
    if (now_mono_ns <= 0)
        return;
    hr__pw_family(w, "headroom_sample_age_seconds", HR__GAUGE,
                  "Time since the sample served here was taken.");
    int64_t age = now_mono_ns - p->t_mono_ns;
    hr__pw_sample(w, NULL, age > 0 ? age : 0, -9);
}

void hr__prom_write_sample(hr__pw *w, const hr_prom_input *in) {
    write_meta(w, in);
    hr__prom_write_system(w, in->probe);
    hr__prom_write_gpus(w, in->probe);
    if (in->rle && in->nrle)
        hr__prom_write_rle(w, in->rle, in->nrle);
    if (in->job)
        hr__prom_write_job(w, in->job);
}

void hr__prom_write(hr__pw *w, const hr_prom_input *in) {
    hr__prom_write_sample(w, in);
    hr__prom_write_age(w, in->probe, in->now_mono_ns);
}

hr_status hr_prom_format(const hr_prom_input *in, char **out, size_t *len) {
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!in || !in->probe || !out)
        return HR_EINVAL;
    /* A caller built against a smaller hr_prom_input gets the defaults for
     * the fields it does not know. */
    hr_prom_input full;
    memset(&full, 0, sizeof full);
    size_t n = in->size && in->size < sizeof full ? in->size : sizeof full;
    memcpy(&full, in, n);
    hr__pw w;
    memset(&w, 0, sizeof w);
    hr__prom_write(&w, &full);
    if (w.b.oom || !w.b.p) {
        free(w.b.p);
        return HR_ENOMEM;
    }
    *out = w.b.p;
    if (len)
        *len = w.b.len;
    return HR_OK;
}

/* probe_json.c: the probe as the documented JSON schema (docs/PROBE.md).
 *
 * Values leave the library here in base units: celsius, watts, joules,
 * bytes, hertz, seconds and ratios. An unknown reading is absent from its
 * object and listed in that object's "unknown" map with its reason. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"

/* How a stored integer converts to its base unit. */
typedef enum unit {
    U_COUNT, /* integer, as is (bytes, counts, levels) */
    U_MILLI, /* /1e3: millidegrees -> celsius, milliwatts -> watts, mJ -> J */
    U_MICRO, /* /1e6: ppm -> ratio, microjoules -> joules, us -> s */
    U_NANO,  /* /1e9: ns -> s */
    U_MEGA   /* *1e6: MHz -> Hz */
} unit;

static json_t *value_json(int64_t v, unit u) {
    switch (u) {
    case U_MILLI: return json_real((double)v / 1e3);
    case U_MICRO: return json_real((double)v / 1e6);
    case U_NANO: return json_real((double)v / 1e9);
    case U_MEGA: return json_integer(v * 1000000);
    default: return json_integer(v);
    }
}

static json_t *reason_json(const hr_reading *r) {
    json_t *o = json_object();
    json_object_set_new(o, "reason", json_string(hr_why_name(r->why)));
    if (r->err)
        json_object_set_new(o, "code", json_integer(r->err));
    return o;
}

/* Puts KEY into OBJ when R is known, else into OBJ's "unknown" map. */
static void put(json_t *obj, const char *key, const hr_reading *r, unit u) {
    if (HR_IS_KNOWN(*r)) {
        json_object_set_new(obj, key, value_json(r->v, u));
        return;
    }
    json_t *unknown = json_object_get(obj, "unknown");
    if (!unknown) {
        unknown = json_object();
        json_object_set_new(obj, "unknown", unknown);
    }
    json_object_set_new(unknown, key, reason_json(r));
}

/* Strings: "" means unknown and is left out. */
static void put_str(json_t *obj, const char *key, const char *s) {
    if (s && *s)
        json_object_set_new(obj, key, json_string(s));
}

static const char *enum_name(int64_t v, const char *const *names, size_t n) {
    return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

static void put_level(json_t *obj, const char *key, const hr_reading *r, const char *const *names,
                      size_t n) {
    if (HR_IS_KNOWN(*r))
        json_object_set_new(obj, key, json_string(enum_name(r->v, names, n)));
    else
        put(obj, key, r, U_COUNT);
}

static const char *const pressure_names[] = {"normal", "warn", "critical"};
static const char *const thermal_names[] = {"nominal", "moderate", "heavy", "trapping", "sleeping"};

static json_t *host_json(const hr_host_info *h) {
    json_t *o = json_object();
    put_str(o, "os", h->os);
    put_str(o, "os_release", h->os_release);
    put_str(o, "kernel", h->kernel);
    put_str(o, "arch", h->arch);
    put_str(o, "hostname", h->hostname);
    put_str(o, "machine_model", h->machine_model);
    put_str(o, "cpu_model", h->cpu_model);
    put(o, "cpus_logical", &h->cpus_logical, U_COUNT);
    put(o, "cores_physical", &h->cores_physical, U_COUNT);
    put(o, "packages", &h->packages, U_COUNT);
    put(o, "cores_performance", &h->cores_performance, U_COUNT);
    put(o, "cores_efficiency", &h->cores_efficiency, U_COUNT);
    put(o, "uptime_seconds", &h->uptime_ns, U_NANO);
    return o;
}

static json_t *cpu_json(const hr_cpu_info *c) {
    json_t *o = json_object();
    put(o, "utilization_ratio", &c->util_ppm, U_MICRO);
    put(o, "iowait_ratio", &c->iowait_ppm, U_MICRO);
    put(o, "temperature_celsius", &c->temp_mc, U_MILLI);
    put(o, "temperature_critical_celsius", &c->temp_crit_mc, U_MILLI);
    put_str(o, "temperature_source", c->temp_source);
    put(o, "package_throttle_count", &c->package_throttle_count, U_COUNT);
    put(o, "power_watts", &c->power_mw, U_MILLI);
    return o;
}

static json_t *cores_json(const hr_probe *p) {
    json_t *a = json_array();
    for (size_t i = 0; i < p->ncores; i++) {
        const hr_cpu_core *c = &p->cores[i];
        json_t *o = json_object();
        json_object_set_new(o, "cpu", json_integer(c->cpu));
        put(o, "utilization_ratio", &c->util_ppm, U_MICRO);
        put(o, "iowait_ratio", &c->iowait_ppm, U_MICRO);
        put(o, "clock_hertz", &c->clock_mhz, U_MEGA);
        put(o, "clock_max_hertz", &c->clock_max_mhz, U_MEGA);
        put(o, "throttle_count", &c->throttle_count, U_COUNT);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *psi_json(const hr_psi *s) {
    json_t *o = json_object();
    put(o, "some_avg10_ratio", &s->some_avg10_ppm, U_MICRO);
    put(o, "some_avg60_ratio", &s->some_avg60_ppm, U_MICRO);
    put(o, "full_avg10_ratio", &s->full_avg10_ppm, U_MICRO);
    put(o, "some_total_seconds", &s->some_total_us, U_MICRO);
    return o;
}

static json_t *mem_json(const hr_mem_info *m) {
    json_t *o = json_object();
    put(o, "total_bytes", &m->total_bytes, U_COUNT);
    put(o, "available_bytes", &m->available_bytes, U_COUNT);
    put(o, "swap_total_bytes", &m->swap_total_bytes, U_COUNT);
    put(o, "swap_free_bytes", &m->swap_free_bytes, U_COUNT);
    put(o, "cgroup_limit_bytes", &m->cgroup_limit_bytes, U_COUNT);
    put(o, "cgroup_usage_bytes", &m->cgroup_usage_bytes, U_COUNT);
    if (m->cgroup_version)
        json_object_set_new(o, "cgroup_version", json_integer(m->cgroup_version));
    put(o, "budget_bytes", &m->budget_bytes, U_COUNT);
    put_level(o, "pressure_level", &m->pressure_level, pressure_names, 3);
    put(o, "vm_pressure_level", &m->vm_pressure_level, U_COUNT);
    put(o, "memorystatus_level_percent", &m->memorystatus_level, U_COUNT);
    put_level(o, "thermal_pressure", &m->thermal_pressure, thermal_names, 5);
    json_t *psi = json_object();
    json_object_set_new(psi, "memory", psi_json(&m->psi_memory));
    json_object_set_new(psi, "cpu", psi_json(&m->psi_cpu));
    json_object_set_new(psi, "io", psi_json(&m->psi_io));
    json_object_set_new(o, "psi", psi);
    return o;
}

static const char *const sensor_kinds[] = {"temperature", "fan",     "power",
                                           "energy",      "voltage", "current"};

/* Key suffix and conversion per sensor kind, for value/max/crit. */
static void sensor_units(int kind, const char **suffix, unit *u) {
    static const char *const suffixes[] = {"celsius", "rpm", "watts", "joules", "volts", "amperes"};
    static const unit units[] = {U_MILLI, U_COUNT, U_MILLI, U_MICRO, U_MILLI, U_MILLI};
    int k = kind >= 0 && kind < 6 ? kind : 0;
    *suffix = suffixes[k];
    *u = units[k];
}

static json_t *sensors_json(const hr_probe *p) {
    json_t *a = json_array();
    for (size_t i = 0; i < p->nsensors; i++) {
        const hr_sensor *s = &p->sensors[i];
        json_t *o = json_object();
        put_str(o, "chip", s->chip);
        put_str(o, "label", s->label);
        put_str(o, "device", s->device);
        json_object_set_new(o, "kind", json_string(enum_name(s->kind, sensor_kinds, 6)));
        const char *suffix;
        unit u;
        sensor_units(s->kind, &suffix, &u);
        char key[32];
        hr__snprintf(key, sizeof key, "value_%s", suffix);
        put(o, key, &s->value, u);
        if (s->kind == HR_SENSOR_TEMP || s->kind == HR_SENSOR_POWER) {
            hr__snprintf(key, sizeof key, "max_%s", suffix);
            put(o, key, &s->max, u);
            hr__snprintf(key, sizeof key, "crit_%s", suffix);
            put(o, key, &s->crit, u);
        }
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *zones_json(const hr_probe *p) {
    json_t *a = json_array();
    for (size_t i = 0; i < p->nzones; i++) {
        const hr_thermal_zone *z = &p->zones[i];
        json_t *o = json_object();
        put_str(o, "name", z->name);
        put_str(o, "type", z->type);
        put(o, "temperature_celsius", &z->temp_mc, U_MILLI);
        json_t *trips = json_array();
        for (int t = 0; t < z->ntrips && t < HR_MAX_TRIPS; t++) {
            json_t *tj = json_object();
            put_str(tj, "type", z->trips[t].type);
            put(tj, "temperature_celsius", &z->trips[t].temp_mc, U_MILLI);
            json_array_append_new(trips, tj);
        }
        json_object_set_new(o, "trips", trips);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *rapl_json(const hr_probe *p) {
    json_t *a = json_array();
    for (size_t i = 0; i < p->nrapl; i++) {
        const hr_rapl_domain *d = &p->rapl[i];
        json_t *o = json_object();
        put_str(o, "name", d->name);
        put_str(o, "path", d->path);
        put(o, "energy_joules", &d->energy_uj, U_MICRO);
        put(o, "max_energy_range_joules", &d->max_energy_range_uj, U_MICRO);
        put(o, "power_watts", &d->power_mw, U_MILLI);
        json_array_append_new(a, o);
    }
    return a;
}

static const char *const vendor_names[] = {"nvidia", "amd", "apple", "other"};
static const char *const tcount_names[HR_TCOUNT_COUNT] = {"sw_power", "sync_boost", "sw_thermal",
                                                          "hw_thermal", "hw_power_brake"};

static void put_throttle(json_t *o, const hr_gpu_info *g) {
    put(o, "throttle_reasons_mask", &g->throttle_reasons, U_COUNT);
    if (HR_IS_KNOWN(g->throttle_reasons)) {
        char buf[256];
        json_t *names = json_array();
        hr_throttle_reasons_text((uint64_t)g->throttle_reasons.v, buf, sizeof buf);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(names, json_string(t));
        json_object_set_new(o, "throttle_reasons", names);
    }
    put(o, "throttle_supported_mask", &g->throttle_supported, U_COUNT);
    json_t *tt = json_object();
    for (int i = 0; i < HR_TCOUNT_COUNT; i++)
        put(tt, tcount_names[i], &g->throttle_time_ns[i], U_NANO);
    json_object_set_new(o, "throttle_seconds_total", tt);
}

static json_t *gpu_json(const hr_gpu_info *g) {
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(g->index));
    json_object_set_new(o, "vendor", json_string(enum_name(g->vendor, vendor_names, 4)));
    put_str(o, "backend", g->backend);
    put_str(o, "name", g->name);
    put_str(o, "uuid", g->uuid);
    put_str(o, "pci_bus", g->pci_bus);
    put_str(o, "driver_version", g->driver_version);
    json_object_set_new(o, "lost", json_boolean(g->lost));
    json_object_set_new(o, "unified_memory", json_boolean(g->unified_memory));
    put(o, "memory_total_bytes", &g->mem_total_bytes, U_COUNT);
    put(o, "memory_used_bytes", &g->mem_used_bytes, U_COUNT);
    put(o, "memory_free_bytes", &g->mem_free_bytes, U_COUNT);
    put(o, "utilization_ratio", &g->util_ppm, U_MICRO);
    put(o, "memory_utilization_ratio", &g->mem_util_ppm, U_MICRO);
    put(o, "temperature_celsius", &g->temp_mc, U_MILLI);
    put(o, "temperature_slowdown_celsius", &g->temp_slowdown_mc, U_MILLI);
    put(o, "temperature_shutdown_celsius", &g->temp_shutdown_mc, U_MILLI);
    put(o, "temperature_max_celsius", &g->temp_max_mc, U_MILLI);
    put(o, "temperature_margin_celsius", &g->temp_margin_mc, U_MILLI);
    put(o, "temperature_hotspot_celsius", &g->temp_hotspot_mc, U_MILLI);
    put(o, "temperature_memory_celsius", &g->temp_mem_mc, U_MILLI);
    put(o, "power_watts", &g->power_mw, U_MILLI);
    put(o, "power_limit_watts", &g->power_limit_mw, U_MILLI);
    put(o, "energy_joules_total", &g->energy_mj, U_MILLI);
    put(o, "clock_sm_hertz", &g->clock_sm_mhz, U_MEGA);
    put(o, "clock_sm_max_hertz", &g->clock_sm_max_mhz, U_MEGA);
    put(o, "clock_memory_hertz", &g->clock_mem_mhz, U_MEGA);
    put(o, "clock_memory_max_hertz", &g->clock_mem_max_mhz, U_MEGA);
    put(o, "pstate", &g->pstate, U_COUNT);
    if (HR_IS_KNOWN(g->fan_pct))
        json_object_set_new(o, "fan_ratio", json_real((double)g->fan_pct.v / 100.0));
    else
        put(o, "fan_ratio", &g->fan_pct, U_COUNT);
    put_throttle(o, g);
    return o;
}

static const char *const accel_names[] = {"cpu", "cuda", "rocm", "mps"};

static json_t *accel_json(const hr_accel_info *a) {
    json_t *o = json_object();
    json_object_set_new(o, "kind", json_string(enum_name(a->kind, accel_names, 4)));
    json_object_set_new(o, "torch_device", json_string(a->torch_device));
    if (a->gpu_index >= 0)
        json_object_set_new(o, "gpu_index", json_integer(a->gpu_index));
    json_object_set_new(o, "unified_memory", json_boolean(a->unified_memory));
    put(o, "budget_bytes", &a->budget_bytes, U_COUNT);
    put(o, "ceiling_bytes", &a->ceiling_bytes, U_COUNT);
    put_str(o, "budget_source", a->budget_source);
    return o;
}

static const char *const source_states[] = {"answered", "partial", "absent", "failed"};

static json_t *sources_json(const hr_probe *p) {
    json_t *a = json_array();
    for (size_t i = 0; i < p->nsources; i++) {
        const hr_source_report *s = &p->sources[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(s->name));
        json_object_set_new(o, "state", json_string(enum_name(s->state, source_states, 4)));
        if (s->why != HR_WHY_KNOWN)
            json_object_set_new(o, "reason", json_string(hr_why_name(s->why)));
        put_str(o, "detail", s->detail);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *time_json(const hr_probe *p) {
    json_t *o = json_object();
    time_t secs = (time_t)(p->t_wall_ns / 1000000000);
    struct tm tm;
    char buf[40] = "";
    if (gmtime_r(&secs, &tm)) {
        char base[24];
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
        hr__snprintf(buf, sizeof buf, "%s.%03dZ", base, (int)(p->t_wall_ns / 1000000 % 1000));
    }
    json_object_set_new(o, "wall", json_string(buf));
    json_object_set_new(o, "monotonic_seconds", json_real((double)p->t_mono_ns / 1e9));
    return o;
}

static json_t *probe_json(const hr_probe *p) {
    json_t *root = json_object();
    json_object_set_new(root, "schema", json_string("headroom.probe/1"));
    json_object_set_new(root, "headroom_version", json_string(HR_VERSION_STRING));
    json_object_set_new(root, "time", time_json(p));
    if (p->priv)
        json_object_set_new(root, "root", json_string(hr_ctx_root(hr__probe_ctx(p))));
    json_object_set_new(root, "host", host_json(&p->host));
    json_object_set_new(root, "cpu", cpu_json(&p->cpu));
    json_object_set_new(root, "cores", cores_json(p));
    json_object_set_new(root, "memory", mem_json(&p->mem));
    json_object_set_new(root, "sensors", sensors_json(p));
    json_object_set_new(root, "thermal_zones", zones_json(p));
    json_object_set_new(root, "rapl", rapl_json(p));
    json_t *gpus = json_array();
    for (size_t i = 0; i < p->ngpus; i++)
        json_array_append_new(gpus, gpu_json(&p->gpus[i]));
    json_object_set_new(root, "gpus", gpus);
    json_object_set_new(root, "accelerator", accel_json(&p->accel));
    json_object_set_new(root, "sources", sources_json(p));
    return root;
}

hr_status hr_probe_to_json(const hr_probe *p, int indent, char **out) {
    if (!p || !out)
        return HR_EINVAL;
    *out = NULL;
    json_t *root = probe_json(p);
    if (!root)
        return HR_ENOMEM;
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    if (indent > 0)
        flags |= JSON_INDENT(indent > 8 ? 8 : indent);
    else
        flags |= JSON_COMPACT;
    *out = json_dumps(root, flags);
    json_decref(root);
    return *out ? HR_OK : HR_ENOMEM;
}

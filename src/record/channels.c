/* channels.c: flattening a probe into session channels (channels.h). */
#include "record/channels.h"

#include <stdlib.h>
#include <string.h>

typedef enum hr__src {
    SRC_PROBE = 0, /* a field of hr_probe itself (cpu, mem, psi) */
    SRC_CORE,
    SRC_SENSOR,
    SRC_ZONE,
    SRC_RAPL,
    SRC_GPU,
    SRC_COUNT
} hr__src;

static const struct unit_row {
    const char *unit, *base;
    double scale;
} unit_rows[HR__U_LAST] = {
    [HR__U_PPM] = {"ppm", "ratio", 1e-6},     [HR__U_MC] = {"mc", "celsius", 1e-3},
    [HR__U_MW] = {"mw", "watts", 1e-3},       [HR__U_MHZ] = {"mhz", "hertz", 1e6},
    [HR__U_BYTES] = {"bytes", "bytes", 1},    [HR__U_NS] = {"ns", "seconds", 1e-9},
    [HR__U_US] = {"us", "seconds", 1e-6},     [HR__U_MS] = {"ms", "seconds", 1e-3},
    [HR__U_UJ] = {"uj", "joules", 1e-6},      [HR__U_MJ] = {"mj", "joules", 1e-3},
    [HR__U_MV] = {"mv", "volts", 1e-3},       [HR__U_MA] = {"ma", "amperes", 1e-3},
    [HR__U_RPM] = {"rpm", "rpm", 1},          [HR__U_COUNT] = {"count", "count", 1},
    [HR__U_MASK] = {"mask", "mask", 1},       [HR__U_LEVEL] = {"level", "level", 1},
    [HR__U_PCT] = {"pct", "ratio", 1e-2},     [HR__U_MICRO] = {"micro", "index", 1e-6},
    [HR__U_BOOL] = {"bool", "bool", 1},
};

void hr__unit_info(hr__unit u, const char **unit, const char **base, double *scale) {
    const struct unit_row *r = &unit_rows[u < HR__U_LAST ? u : HR__U_COUNT];
    *unit = r->unit;
    *base = r->base;
    *scale = r->scale;
}

/* --- what is read, per source --- */

typedef struct field_spec {
    const char *metric;
    uint32_t offset;
    hr__unit unit;
} field_spec;

#define F(m, type, field, u) {m, (uint32_t)offsetof(type, field), u}

typedef struct scalar_spec {
    const char *component;
    field_spec f;
    const char *label;
} scalar_spec;

static const scalar_spec scalars[] = {
    {"cpu", F("util", hr_probe, cpu.util_ppm, HR__U_PPM), "busy share of all CPUs"},
    {"cpu", F("iowait", hr_probe, cpu.iowait_ppm, HR__U_PPM), "iowait share of all CPUs"},
    {"cpu", F("temp", hr_probe, cpu.temp_mc, HR__U_MC), NULL},
    {"cpu", F("temp_crit", hr_probe, cpu.temp_crit_mc, HR__U_MC), "critical limit of cpu/temp"},
    {"cpu", F("power", hr_probe, cpu.power_mw, HR__U_MW), "package power (RAPL)"},
    {"cpu", F("throttle_count", hr_probe, cpu.package_throttle_count, HR__U_COUNT),
     "package throttle events"},
    {"mem", F("available", hr_probe, mem.available_bytes, HR__U_BYTES), "available memory"},
    {"mem", F("budget", hr_probe, mem.budget_bytes, HR__U_BYTES),
     "what a new job can use (within the cgroup limit)"},
    {"mem", F("swap_free", hr_probe, mem.swap_free_bytes, HR__U_BYTES), "free swap"},
    {"mem", F("cgroup_usage", hr_probe, mem.cgroup_usage_bytes, HR__U_BYTES), "cgroup usage"},
    {"mem", F("pressure", hr_probe, mem.pressure_level, HR__U_LEVEL),
     "0 normal, 1 warn, 2 critical"},
    {"mem", F("vm_pressure", hr_probe, mem.vm_pressure_level, HR__U_LEVEL),
     "kern.memorystatus_vm_pressure_level"},
    {"mem", F("memorystatus_level", hr_probe, mem.memorystatus_level, HR__U_PCT),
     "kern.memorystatus_level (free)"},
    {"psi", F("memory_some_avg10", hr_probe, mem.psi_memory.some_avg10_ppm, HR__U_PPM),
     "PSI memory some, 10 s"},
    {"psi", F("memory_full_avg10", hr_probe, mem.psi_memory.full_avg10_ppm, HR__U_PPM),
     "PSI memory full, 10 s"},
    {"psi", F("cpu_some_avg10", hr_probe, mem.psi_cpu.some_avg10_ppm, HR__U_PPM),
     "PSI cpu some, 10 s"},
    {"psi", F("io_some_avg10", hr_probe, mem.psi_io.some_avg10_ppm, HR__U_PPM),
     "PSI io some, 10 s"},
    {"psi", F("io_full_avg10", hr_probe, mem.psi_io.full_avg10_ppm, HR__U_PPM),
     "PSI io full, 10 s"},
    {"system", F("thermal_pressure", hr_probe, mem.thermal_pressure, HR__U_LEVEL),
     "0 nominal .. 4 sleeping"},
};

static const field_spec core_fields[] = {
    F("util", hr_cpu_core, util_ppm, HR__U_PPM),
    F("freq", hr_cpu_core, clock_mhz, HR__U_MHZ),
};

static const field_spec zone_fields[] = {F("temp", hr_thermal_zone, temp_mc, HR__U_MC)};

static const field_spec rapl_fields[] = {F("power", hr_rapl_domain, power_mw, HR__U_MW)};

static const field_spec gpu_fields[] = {
    F("util", hr_gpu_info, util_ppm, HR__U_PPM),
    F("mem_util", hr_gpu_info, mem_util_ppm, HR__U_PPM),
    F("temp", hr_gpu_info, temp_mc, HR__U_MC),
    F("temp_hotspot", hr_gpu_info, temp_hotspot_mc, HR__U_MC),
    F("temp_mem", hr_gpu_info, temp_mem_mc, HR__U_MC),
    F("temp_margin", hr_gpu_info, temp_margin_mc, HR__U_MC),
    F("temp_slowdown", hr_gpu_info, temp_slowdown_mc, HR__U_MC),
    F("power", hr_gpu_info, power_mw, HR__U_MW),
    F("power_limit", hr_gpu_info, power_limit_mw, HR__U_MW),
    F("energy", hr_gpu_info, energy_mj, HR__U_MJ),
    F("mem_used", hr_gpu_info, mem_used_bytes, HR__U_BYTES),
    F("clock_sm", hr_gpu_info, clock_sm_mhz, HR__U_MHZ),
    F("clock_mem", hr_gpu_info, clock_mem_mhz, HR__U_MHZ),
    F("pstate", hr_gpu_info, pstate, HR__U_LEVEL),
    F("fan", hr_gpu_info, fan_pct, HR__U_PCT),
    F("throttle_reasons", hr_gpu_info, throttle_reasons, HR__U_MASK),
    F("throttle_time_sw_power", hr_gpu_info, throttle_time_ns[HR_TCOUNT_SW_POWER], HR__U_NS),
    F("throttle_time_sync_boost", hr_gpu_info, throttle_time_ns[HR_TCOUNT_SYNC_BOOST], HR__U_NS),
    F("throttle_time_sw_thermal", hr_gpu_info, throttle_time_ns[HR_TCOUNT_SW_THERMAL], HR__U_NS),
    F("throttle_time_hw_thermal", hr_gpu_info, throttle_time_ns[HR_TCOUNT_HW_THERMAL], HR__U_NS),
    F("throttle_time_hw_power_brake", hr_gpu_info, throttle_time_ns[HR_TCOUNT_HW_POWER_BRAKE],
      HR__U_NS),
};

#undef F

/* --- element identity --- */

typedef int (*match_fn)(const void *el, const hr__chan *c);

static int core_match(const void *el, const hr__chan *c) {
    return ((const hr_cpu_core *)el)->cpu == c->id_int;
}

static int sensor_match(const void *el, const hr__chan *c) {
    const hr_sensor *s = el;
    return s->kind == c->id_int && strcmp(s->chip, c->id1) == 0 &&
           strcmp(s->device, c->id2) == 0 && strcmp(s->label, c->id3) == 0;
}

static int zone_match(const void *el, const hr__chan *c) {
    return strcmp(((const hr_thermal_zone *)el)->name, c->id1) == 0;
}

static int rapl_match(const void *el, const hr__chan *c) {
    return strcmp(((const hr_rapl_domain *)el)->path, c->id1) == 0;
}

static int gpu_match(const void *el, const hr__chan *c) {
    const hr_gpu_info *g = el;
    return c->id1[0] ? strcmp(g->uuid, c->id1) == 0 : g->index == c->id_int;
}

typedef struct src_desc {
    size_t elem;
    size_t arr_off;
    size_t n_off;
    match_fn match;
} src_desc;

static const src_desc srcs[SRC_COUNT] = {
    [SRC_PROBE] = {0, 0, 0, NULL},
    [SRC_CORE] = {sizeof(hr_cpu_core), offsetof(hr_probe, cores), offsetof(hr_probe, ncores),
                  core_match},
    [SRC_SENSOR] = {sizeof(hr_sensor), offsetof(hr_probe, sensors), offsetof(hr_probe, nsensors),
                    sensor_match},
    [SRC_ZONE] = {sizeof(hr_thermal_zone), offsetof(hr_probe, zones), offsetof(hr_probe, nzones),
                  zone_match},
    [SRC_RAPL] = {sizeof(hr_rapl_domain), offsetof(hr_probe, rapl), offsetof(hr_probe, nrapl),
                  rapl_match},
    [SRC_GPU] = {sizeof(hr_gpu_info), offsetof(hr_probe, gpus), offsetof(hr_probe, ngpus),
                 gpu_match},
};

static const char *array_of(const hr_probe *p, const src_desc *d, size_t *n) {
    *n = *(const size_t *)((const char *)p + d->n_off);
    return *(const char *const *)((const char *)p + d->arr_off);
}

/* The element channel C reads from, or NULL when it is gone. */
static const char *element_of(const hr_probe *p, const hr__chan *c) {
    if (c->src == SRC_PROBE)
        return (const char *)p;
    const src_desc *d = &srcs[c->src];
    size_t n = 0;
    const char *arr = array_of(p, d, &n);
    if (!arr)
        return NULL;
    if (c->index < n && d->match(arr + c->index * d->elem, c))
        return arr + c->index * d->elem;
    for (size_t i = 0; i < n; i++)
        if (d->match(arr + i * d->elem, c))
            return arr + i * d->elem;
    return NULL;
}

void hr__chanset_read(const hr__chanset *cs, const hr_probe *p, hr_reading *out) {
    for (size_t i = 0; i < cs->n; i++) {
        const hr__chan *c = &cs->v[i];
        const char *el = element_of(p, c);
        if (el)
            memcpy(&out[i], el + c->offset, sizeof out[i]);
        else
            out[i] = hr__unknown(HR_WHY_VANISHED, 0);
    }
}

const hr_gpu_info *hr__find_gpu(const hr_probe *p, int32_t index, const char *uuid) {
    hr__chan c;
    memset(&c, 0, sizeof c);
    c.src = SRC_GPU;
    c.id_int = index;
    c.index = index >= 0 ? (uint32_t)index : 0;
    hr__strlcpy(c.id1, uuid ? uuid : "", sizeof c.id1);
    return (const hr_gpu_info *)element_of(p, &c);
}

/* --- building --- */

/* A reading worth a channel: known, or unknown for a reason that can pass. */
static int can_be_known(const hr_reading *r) {
    switch (r->why) {
    case HR_WHY_KNOWN:
    case HR_WHY_NEEDS_INTERVAL:
    case HR_WHY_UNREADABLE:
    case HR_WHY_IO_ERROR:
    case HR_WHY_DRIVER_ERROR: return 1;
    default: return 0;
    }
}

/* Adds one channel named COMPONENT/METRIC (made unique with a "#N" suffix
 * if taken) to S and CH to CS. */
static hr_status add_one(hr__chanset *cs, hr_session *s, const char *component,
                         const char *metric, hr__unit u, const char *label, const hr__chan *ch) {
    if (hr__grow((void **)&cs->v, sizeof *cs->v, cs->n, &cs->cap) != HR_OK)
        return HR_ENOMEM;
    char name[64];
    hr__strlcpy(name, metric, sizeof name);
    for (int k = 2; hr_session_find_channel(s, component, name) && k < 1000; k++)
        hr__snprintf(name, sizeof name, "%.56s#%d", metric, k);
    const char *unit, *base;
    double scale;
    hr__unit_info(u, &unit, &base, &scale);
    hr_status st = hr_session_add_channel(s, component, name, unit, base, scale, label, NULL);
    if (st == HR_OK)
        cs->v[cs->n++] = *ch;
    return st;
}

static hr_status build_scalars(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        const scalar_spec *sp = &scalars[i];
        const hr_reading *r = (const hr_reading *)((const char *)p + sp->f.offset);
        if (!can_be_known(r))
            continue;
        hr__chan c;
        memset(&c, 0, sizeof c);
        c.src = SRC_PROBE;
        c.offset = sp->f.offset;
        const char *label = sp->label;
        if (!label && strcmp(sp->f.metric, "temp") == 0)
            label = p->cpu.temp_source;
        hr_status st = add_one(cs, s, sp->component, sp->f.metric, sp->f.unit, label, &c);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

/* Adds FIELDS of element EL (index I of source SRC) under COMPONENT. */
static hr_status build_fields(hr__chanset *cs, hr_session *s, const hr__chan *proto,
                              const char *el, const char *component, const field_spec *fields,
                              size_t nfields, const char *label) {
    for (size_t f = 0; f < nfields; f++) {
        const hr_reading *r = (const hr_reading *)(el + fields[f].offset);
        if (!can_be_known(r))
            continue;
        hr__chan c = *proto;
        c.offset = fields[f].offset;
        hr_status st = add_one(cs, s, component, fields[f].metric, fields[f].unit, label, &c);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

static hr_status build_cores(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    for (size_t i = 0; i < p->ncores; i++) {
        hr__chan c;
        memset(&c, 0, sizeof c);
        c.src = SRC_CORE;
        c.index = (uint32_t)i;
        c.id_int = p->cores[i].cpu;
        char comp[48];
        hr__snprintf(comp, sizeof comp, "cpu%d", (int)p->cores[i].cpu);
        hr_status st = build_fields(cs, s, &c, (const char *)&p->cores[i], comp, core_fields,
                                    sizeof core_fields / sizeof core_fields[0], NULL);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

static hr__unit sensor_unit(int32_t kind) {
    switch (kind) {
    case HR_SENSOR_TEMP: return HR__U_MC;
    case HR_SENSOR_FAN: return HR__U_RPM;
    case HR_SENSOR_POWER: return HR__U_MW;
    case HR_SENSOR_ENERGY: return HR__U_UJ;
    case HR_SENSOR_VOLTAGE: return HR__U_MV;
    default: return HR__U_MA;
    }
}

static const char *sensor_kind_name(int32_t kind) {
    static const char *const names[] = {"temp", "fan", "power", "energy", "voltage", "current"};
    return kind >= 0 && kind < 6 ? names[kind] : "value";
}

/* "coretemp", or "coretemp@hwmon3" when another device has the same chip name. */
static void sensor_component(const hr_probe *p, const hr_sensor *sn, char *out, size_t cap) {
    int shared = 0;
    for (size_t j = 0; j < p->nsensors; j++)
        if (strcmp(p->sensors[j].chip, sn->chip) == 0 &&
            strcmp(p->sensors[j].device, sn->device) != 0)
            shared = 1;
    if (shared)
        hr__snprintf(out, cap, "%.30s@%.16s", sn->chip[0] ? sn->chip : "hwmon", sn->device);
    else
        hr__snprintf(out, cap, "%s", sn->chip[0] ? sn->chip : "hwmon");
}

static hr_status build_sensors(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    for (size_t i = 0; i < p->nsensors; i++) {
        const hr_sensor *sn = &p->sensors[i];
        if (!can_be_known(&sn->value))
            continue;
        hr__chan c;
        memset(&c, 0, sizeof c);
        c.src = SRC_SENSOR;
        c.index = (uint32_t)i;
        c.id_int = sn->kind;
        c.offset = (uint32_t)offsetof(hr_sensor, value);
        hr__strlcpy(c.id1, sn->chip, sizeof c.id1);
        hr__strlcpy(c.id2, sn->device, sizeof c.id2);
        hr__strlcpy(c.id3, sn->label, sizeof c.id3);
        char comp[48], metric[64], label[96];
        sensor_component(p, sn, comp, sizeof comp);
        hr__strlcpy(metric, sn->label[0] ? sn->label : sensor_kind_name(sn->kind), sizeof metric);
        if (hr_session_find_channel(s, comp, metric))
            hr__snprintf(metric, sizeof metric, "%.50s_%s", sn->label, sensor_kind_name(sn->kind));
        hr__snprintf(label, sizeof label, "hwmon %s %s %s (%s)", sn->device, sn->chip, sn->label,
                     sensor_kind_name(sn->kind));
        hr_status st = add_one(cs, s, comp, metric, sensor_unit(sn->kind), label, &c);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

static hr_status build_zones(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    for (size_t i = 0; i < p->nzones; i++) {
        hr__chan c;
        memset(&c, 0, sizeof c);
        c.src = SRC_ZONE;
        c.index = (uint32_t)i;
        hr__strlcpy(c.id1, p->zones[i].name, sizeof c.id1);
        char label[96];
        hr__snprintf(label, sizeof label, "thermal zone of type %s", p->zones[i].type);
        hr_status st = build_fields(cs, s, &c, (const char *)&p->zones[i], p->zones[i].name,
                                    zone_fields, 1, label);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

static hr_status build_rapl(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    for (size_t i = 0; i < p->nrapl; i++) {
        const hr_rapl_domain *d = &p->rapl[i];
        hr__chan c;
        memset(&c, 0, sizeof c);
        c.src = SRC_RAPL;
        c.index = (uint32_t)i;
        hr__strlcpy(c.id1, d->path, sizeof c.id1);
        int shared = 0;
        for (size_t j = 0; j < p->nrapl; j++)
            if (j != i && strcmp(p->rapl[j].name, d->name) == 0)
                shared = 1;
        char comp[48], label[96];
        if (shared)
            hr__snprintf(comp, sizeof comp, "rapl-%.20s@%.20s", d->name, d->path);
        else
            hr__snprintf(comp, sizeof comp, "rapl-%.40s", d->name);
        hr__snprintf(label, sizeof label, "powercap %s (%s)", d->path, d->name);
        hr_status st = build_fields(cs, s, &c, (const char *)d, comp, rapl_fields, 1, label);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

static hr_status build_gpus(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    for (size_t i = 0; i < p->ngpus; i++) {
        const hr_gpu_info *g = &p->gpus[i];
        hr__chan c;
        memset(&c, 0, sizeof c);
        c.src = SRC_GPU;
        c.index = (uint32_t)i;
        c.id_int = g->index;
        hr__strlcpy(c.id1, g->uuid, sizeof c.id1);
        char comp[48], label[96];
        hr__snprintf(comp, sizeof comp, "gpu%d", (int)g->index);
        hr__snprintf(label, sizeof label, "%s %s", g->backend, g->name);
        hr_status st = build_fields(cs, s, &c, (const char *)g, comp, gpu_fields,
                                    sizeof gpu_fields / sizeof gpu_fields[0], label);
        if (st != HR_OK)
            return st;
    }
    return HR_OK;
}

hr_status hr__chanset_build(hr__chanset *cs, const hr_probe *p, hr_session *s) {
    hr_status st = build_scalars(cs, p, s);
    if (st == HR_OK)
        st = build_cores(cs, p, s);
    if (st == HR_OK)
        st = build_gpus(cs, p, s);
    if (st == HR_OK)
        st = build_sensors(cs, p, s);
    if (st == HR_OK)
        st = build_zones(cs, p, s);
    if (st == HR_OK)
        st = build_rapl(cs, p, s);
    return st;
}

void hr__chanset_free(hr__chanset *cs) {
    free(cs->v);
    cs->v = NULL;
    cs->n = cs->cap = 0;
}

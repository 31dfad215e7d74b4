/* nvidia_nvml.c: the NVIDIA backend. NVML is loaded at run time (dlopen
 * through the sys seam) with locally declared prototypes (nvml_abi.h), so a
 * machine without the driver builds and runs; symbols are resolved newest
 * version first with fallbacks for old drivers (nvtop's approach, htop's
 * one-line resolve macro).
 *
 * Availability is tracked per device and per metric: a metric that answers
 * NOT_SUPPORTED is remembered and never asked again; a device that answers
 * GPU_IS_LOST (or RESET_REQUIRED) on any call is marked lost, every dynamic
 * reading becomes HR_WHY_DEVICE_LOST and NVML is not called for it again
 * (docs/measurements.md B.4: a lost GPU must never crash or stall us). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_backend.h"
#include "gpu/nvml_abi.h"
#include "sys/sys.h"

/* The NVML entry points we call. Each slot holds the newest symbol the
 * library exports among the names in resolve_table; NULL when none. */
typedef struct nvml_syms {
    nvml_fn_void sym_nvmlInit;
    nvml_fn_void sym_nvmlShutdown;
    nvml_fn_error_string sym_nvmlErrorString;
    nvml_fn_driver_version sym_nvmlSystemGetDriverVersion;
    nvml_fn_count sym_nvmlDeviceGetCount;
    nvml_fn_handle sym_nvmlDeviceGetHandleByIndex;
    nvml_fn_string sym_nvmlDeviceGetName;
    nvml_fn_string sym_nvmlDeviceGetUUID;
    nvml_fn_pci sym_nvmlDeviceGetPciInfo;
    nvml_fn_memory_v2 sym_nvmlDeviceGetMemoryInfo_v2;
    nvml_fn_memory sym_nvmlDeviceGetMemoryInfo;
    nvml_fn_util sym_nvmlDeviceGetUtilizationRates;
    nvml_fn_temp_v sym_nvmlDeviceGetTemperatureV;
    nvml_fn_temp sym_nvmlDeviceGetTemperature;
    nvml_fn_threshold sym_nvmlDeviceGetTemperatureThreshold;
    nvml_fn_margin sym_nvmlDeviceGetMarginTemperature;
    nvml_fn_u32 sym_nvmlDeviceGetPowerUsage;
    nvml_fn_u32 sym_nvmlDeviceGetEnforcedPowerLimit;
    nvml_fn_u64 sym_nvmlDeviceGetTotalEnergyConsumption;
    nvml_fn_clock sym_nvmlDeviceGetClockInfo;
    nvml_fn_clock sym_nvmlDeviceGetMaxClockInfo;
    nvml_fn_pstate sym_nvmlDeviceGetPerformanceState;
    nvml_fn_u32 sym_nvmlDeviceGetFanSpeed;
    nvml_fn_u64 sym_nvmlDeviceGetCurrentClocksEventReasons;
    nvml_fn_u64 sym_nvmlDeviceGetSupportedClocksEventReasons;
    nvml_fn_fields sym_nvmlDeviceGetFieldValues;
} nvml_syms;

enum { NVML_OPTIONAL = 0, NVML_REQUIRED = 1 };

typedef struct nvml_resolve {
    size_t slot;           /* offset of the sym_ slot in nvml_syms */
    int required;          /* NVML_REQUIRED: the backend cannot work without it */
    const char *names[4];  /* newest first, NULL-terminated */
} nvml_resolve;

/* One line per symbol: RESOLVE(required?, slot, names newest first...). */
#define RESOLVE(req, slot, ...) {offsetof(nvml_syms, sym_##slot), NVML_##req, {__VA_ARGS__, NULL}}

/* Why newest first: the _v2/_v3 entry points fix real defects of the
 * originals (nvmlInit_v2 does not fail because one GPU is unhealthy;
 * GetCount_v2 counts GPUs we may not open; PciInfo_v3 has room for a 32-bit
 * domain), and the "EventReasons" and TemperatureV names replace functions
 * that NVML 13 deprecates. The old names stay as fallbacks because users run
 * old drivers. */
static const nvml_resolve resolve_table[] = {
    RESOLVE(REQUIRED, nvmlInit, "nvmlInit_v2", "nvmlInit"),
    RESOLVE(REQUIRED, nvmlShutdown, "nvmlShutdown"),
    RESOLVE(REQUIRED, nvmlDeviceGetCount, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"),
    RESOLVE(REQUIRED, nvmlDeviceGetHandleByIndex, "nvmlDeviceGetHandleByIndex_v2",
            "nvmlDeviceGetHandleByIndex"),
    RESOLVE(REQUIRED, nvmlDeviceGetName, "nvmlDeviceGetName"),
    RESOLVE(OPTIONAL, nvmlErrorString, "nvmlErrorString"),
    RESOLVE(OPTIONAL, nvmlSystemGetDriverVersion, "nvmlSystemGetDriverVersion"),
    RESOLVE(OPTIONAL, nvmlDeviceGetUUID, "nvmlDeviceGetUUID"),
    RESOLVE(OPTIONAL, nvmlDeviceGetPciInfo, "nvmlDeviceGetPciInfo_v3",
            "nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo"),
    RESOLVE(OPTIONAL, nvmlDeviceGetMemoryInfo_v2, "nvmlDeviceGetMemoryInfo_v2"),
    RESOLVE(OPTIONAL, nvmlDeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo"),
    RESOLVE(OPTIONAL, nvmlDeviceGetUtilizationRates, "nvmlDeviceGetUtilizationRates"),
    RESOLVE(OPTIONAL, nvmlDeviceGetTemperatureV, "nvmlDeviceGetTemperatureV"),
    RESOLVE(OPTIONAL, nvmlDeviceGetTemperature, "nvmlDeviceGetTemperature"),
    RESOLVE(OPTIONAL, nvmlDeviceGetTemperatureThreshold, "nvmlDeviceGetTemperatureThreshold"),
    RESOLVE(OPTIONAL, nvmlDeviceGetMarginTemperature, "nvmlDeviceGetMarginTemperature"),
    RESOLVE(OPTIONAL, nvmlDeviceGetPowerUsage, "nvmlDeviceGetPowerUsage"),
    RESOLVE(OPTIONAL, nvmlDeviceGetEnforcedPowerLimit, "nvmlDeviceGetEnforcedPowerLimit"),
    RESOLVE(OPTIONAL, nvmlDeviceGetTotalEnergyConsumption,
            "nvmlDeviceGetTotalEnergyConsumption"),
    RESOLVE(OPTIONAL, nvmlDeviceGetClockInfo, "nvmlDeviceGetClockInfo"),
    RESOLVE(OPTIONAL, nvmlDeviceGetMaxClockInfo, "nvmlDeviceGetMaxClockInfo"),
    RESOLVE(OPTIONAL, nvmlDeviceGetPerformanceState, "nvmlDeviceGetPerformanceState"),
    RESOLVE(OPTIONAL, nvmlDeviceGetFanSpeed, "nvmlDeviceGetFanSpeed"),
    RESOLVE(OPTIONAL, nvmlDeviceGetCurrentClocksEventReasons,
            "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"),
    RESOLVE(OPTIONAL, nvmlDeviceGetSupportedClocksEventReasons,
            "nvmlDeviceGetSupportedClocksEventReasons",
            "nvmlDeviceGetSupportedClocksThrottleReasons"),
    RESOLVE(OPTIONAL, nvmlDeviceGetFieldValues, "nvmlDeviceGetFieldValues"),
};

#define NRESOLVE (sizeof resolve_table / sizeof resolve_table[0])

/* Metrics whose availability is remembered per device (bit numbers). */
enum nvml_metric {
    M_NAME, M_UUID, M_PCI, M_SLOWDOWN, M_SHUTDOWN, M_GPU_MAX, M_POWER_LIMIT, M_SM_MAX, M_MEM_MAX,
    M_SUPPORTED, M_MEMORY, M_MEMORY_V2, M_UTIL, M_TEMP, M_TEMP_V, M_MARGIN, M_POWER,
    M_ENERGY, M_SM, M_MEM_CLOCK, M_PSTATE, M_FAN, M_REASONS, M_FIELDS,
    M_FIELD0 /* one bit per entry of field_table from here */
};

/* The field values read in one nvmlDeviceGetFieldValues call per refresh. */
static const struct {
    unsigned int id;
    int counter; /* hr_throttle_counter, or -1 for the memory temperature */
} field_table[] = {
    {NVML_FI_DEV_PERF_POLICY_POWER, HR_TCOUNT_SW_POWER},
    {NVML_FI_DEV_PERF_POLICY_SYNC_BOOST, HR_TCOUNT_SYNC_BOOST},
    {NVML_FI_DEV_CLOCKS_EVENT_REASON_SW_THERM_SLOWDOWN, HR_TCOUNT_SW_THERMAL},
    {NVML_FI_DEV_CLOCKS_EVENT_REASON_HW_THERM_SLOWDOWN, HR_TCOUNT_HW_THERMAL},
    {NVML_FI_DEV_CLOCKS_EVENT_REASON_HW_POWER_BRAKE_SLOWDOWN, HR_TCOUNT_HW_POWER_BRAKE},
    {NVML_FI_DEV_MEMORY_TEMP, -1},
};

#define NFIELDS (sizeof field_table / sizeof field_table[0])

_Static_assert(M_FIELD0 + NFIELDS <= 64, "availability bits fit in a uint64_t");

/* One GPU. dead_why is HR_WHY_KNOWN while NVML may be asked about it; once
 * set, every reading of the device is unknown for that reason. */
typedef struct nvml_dev {
    nvmlDevice_t handle;
    uint64_t unsupported; /* bit M: metric M answered NOT_SUPPORTED */
    uint64_t no_function; /* bit M: metric M answered FUNCTION_NOT_FOUND */
    int32_t dead_why;     /* hr_why */
    int32_t dead_err;     /* NVML code behind dead_why */
    char pci[32];         /* for error details; "gpuN" until known */
} nvml_dev;

typedef struct nvml_state {
    hr_ctx *ctx;
    void *lib;
    int started; /* nvmlInit succeeded */
    nvml_syms s;
    int fallbacks; /* optional or required symbols found under an older name */
    int missing;   /* optional symbols not found at all */
    char driver[32];
    int ndev;
    nvml_dev *devs;
} nvml_state;

/* ---- loading ---------------------------------------------------------- */

/* libnvidia-ml.so.1 is the soname the driver installs. The unversioned
 * name comes only from the development package (often a CUDA stub that
 * fails at init, nvtop #291) or a distribution symlink, so it is tried
 * second and only when the soname is not found. */
static const char *const nvml_sonames[] = {"libnvidia-ml.so.1", "libnvidia-ml.so"};

static void *nvml_try_open(const char *file, char *detail, size_t cap) {
    void *lib = hr__sys.dlopen(file, RTLD_LAZY | RTLD_LOCAL);
    if (!lib && detail[0] == '\0') {
        const char *why = dlerror();
        if (why)
            hr__strlcpy(detail, why, cap);
        else
            hr__snprintf(detail, cap, "%s: cannot open shared object file", file);
    }
    return lib;
}

static hr_status nvml_load(nvml_state *st, const char *path, char *detail, size_t cap) {
    detail[0] = '\0';
    if (path[0] != '\0') {
        st->lib = nvml_try_open(path, detail, cap);
    } else {
        for (size_t i = 0; i < sizeof nvml_sonames / sizeof nvml_sonames[0] && !st->lib; i++)
            st->lib = nvml_try_open(nvml_sonames[i], detail, cap);
    }
    if (!st->lib)
        return HR_ENOLIB;
    detail[0] = '\0';
    return HR_OK;
}

/* Fills one slot with the first name the library exports. Returns the
 * position of the name used, or -1 when none is exported. */
static int nvml_resolve_one(nvml_state *st, const nvml_resolve *r) {
    for (int i = 0; r->names[i]; i++) {
        void *fn = hr__sys.dlsym(st->lib, r->names[i]);
        if (fn) {
            /* POSIX guarantees that dlsym's object pointer converts to a
             * function pointer; memcpy states that without a cast per type. */
            memcpy((char *)&st->s + r->slot, &fn, sizeof fn);
            return i;
        }
    }
    return -1;
}

static hr_status nvml_resolve_all(nvml_state *st, char *detail, size_t cap) {
    for (size_t i = 0; i < NRESOLVE; i++) {
        int used = nvml_resolve_one(st, &resolve_table[i]);
        if (used < 0 && resolve_table[i].required) {
            hr__snprintf(detail, cap, "NVML library too old: no %s",
                         resolve_table[i].names[0]);
            return HR_ESYMBOL;
        }
        st->missing += used < 0;
        st->fallbacks += used > 0;
    }
    return HR_OK;
}

/* ---- NVML return codes ------------------------------------------------- */

static const char *nvml_code_text(const nvml_state *st, nvmlReturn_t r) {
    const char *s = st->s.sym_nvmlErrorString ? st->s.sym_nvmlErrorString(r) : NULL;
    if (s)
        return s;
    switch (r) {
    case NVML_ERROR_DRIVER_NOT_LOADED: return "driver not loaded";
    case NVML_ERROR_NO_PERMISSION: return "insufficient permissions";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    case NVML_ERROR_NOT_SUPPORTED: return "not supported";
    default: return "NVML error";
    }
}

/* Status of a failed nvmlInit: no driver means no NVIDIA device to report. */
static hr_status nvml_init_status(nvmlReturn_t r) {
    switch (r) {
    case NVML_ERROR_DRIVER_NOT_LOADED: return HR_ENODEV;
    case NVML_ERROR_NO_PERMISSION: return HR_EPERM;
    case NVML_ERROR_TIMEOUT: return HR_ETIMEDOUT;
    default: return HR_EDRIVER;
    }
}

/* ---- per-device availability ------------------------------------------ */

static uint64_t bit(int m) { return (uint64_t)1 << m; }

/* Why metric M of D must not be asked now, or a known reading when it may. */
static hr_reading dev_gate_bit(const nvml_dev *d, int m) {
    if (d->dead_why != HR_WHY_KNOWN)
        return hr__unknown((hr_why)d->dead_why, d->dead_err);
    if (d->unsupported & bit(m))
        return hr__unknown(HR_WHY_NOT_SUPPORTED, NVML_ERROR_NOT_SUPPORTED);
    if (d->no_function & bit(m))
        return hr__unknown(HR_WHY_SYMBOL_MISSING, NVML_ERROR_FUNCTION_NOT_FOUND);
    return hr__known(0);
}

/* As dev_gate_bit, and FN (the metric's resolved symbol) must exist. */
static hr_reading dev_gate(const nvml_dev *d, int m, const void *fn) {
    if (d->dead_why == HR_WHY_KNOWN && !fn)
        return hr__unknown(HR_WHY_SYMBOL_MISSING, NVML_ERROR_FUNCTION_NOT_FOUND);
    return dev_gate_bit(d, m);
}

static void dev_mark_dead(nvml_state *st, nvml_dev *d, hr_why why, nvmlReturn_t r,
                          const char *fn) {
    d->dead_why = why;
    d->dead_err = (int32_t)r;
    hr__fail(st->ctx, HR_EDRIVER, (int)r, "%s: %s (NVML %d) on %s", fn, nvml_code_text(st, r),
             (int)r, d->pci);
}

/* Maps the return R of asking metric M (function FN) to a reading reason,
 * remembering NOT_SUPPORTED and a lost device. Known means success. */
static hr_reading dev_outcome(nvml_state *st, nvml_dev *d, int m, nvmlReturn_t r,
                              const char *fn) {
    switch (r) {
    case NVML_SUCCESS: return hr__known(0);
    case NVML_ERROR_NOT_SUPPORTED:
        d->unsupported |= bit(m);
        return hr__unknown(HR_WHY_NOT_SUPPORTED, r);
    case NVML_ERROR_NO_PERMISSION: return hr__unknown(HR_WHY_NO_PERMISSION, r);
    case NVML_ERROR_FUNCTION_NOT_FOUND:
        d->no_function |= bit(m);
        return hr__unknown(HR_WHY_SYMBOL_MISSING, r);
    case NVML_ERROR_GPU_IS_LOST:
    case NVML_ERROR_RESET_REQUIRED:
        dev_mark_dead(st, d, HR_WHY_DEVICE_LOST, r, fn);
        return hr__unknown(HR_WHY_DEVICE_LOST, r);
    default: return hr__unknown(HR_WHY_DRIVER_ERROR, r);
    }
}

/* ---- readers: one NVML query each --------------------------------------- */

static hr_reading read_u32(nvml_state *st, nvml_dev *d, int m, nvml_fn_u32 fn,
                           const char *name) {
    hr_reading g = dev_gate(d, m, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    unsigned int v = 0;
    g = dev_outcome(st, d, m, fn(d->handle, &v), name);
    return HR_IS_KNOWN(g) ? hr__known(v) : g;
}

static hr_reading read_u64(nvml_state *st, nvml_dev *d, int m, nvml_fn_u64 fn,
                           const char *name) {
    hr_reading g = dev_gate(d, m, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    unsigned long long v = 0;
    g = dev_outcome(st, d, m, fn(d->handle, &v), name);
    if (HR_IS_KNOWN(g) && v > (unsigned long long)INT64_MAX)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return HR_IS_KNOWN(g) ? hr__known((int64_t)v) : g;
}

static hr_reading read_clock(nvml_state *st, nvml_dev *d, int m, nvmlClockType_t type,
                             int max) {
    nvml_fn_clock fn = max ? st->s.sym_nvmlDeviceGetMaxClockInfo : st->s.sym_nvmlDeviceGetClockInfo;
    hr_reading g = dev_gate(d, m, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    unsigned int v = 0;
    g = dev_outcome(st, d, m, fn(d->handle, type, &v),
                    max ? "nvmlDeviceGetMaxClockInfo" : "nvmlDeviceGetClockInfo");
    return HR_IS_KNOWN(g) ? hr__known(v) : g;
}

static hr_reading read_threshold(nvml_state *st, nvml_dev *d, int m,
                                 nvmlTemperatureThresholds_t type) {
    nvml_fn_threshold fn = st->s.sym_nvmlDeviceGetTemperatureThreshold;
    hr_reading g = dev_gate(d, m, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    unsigned int v = 0;
    g = dev_outcome(st, d, m, fn(d->handle, type, &v), "nvmlDeviceGetTemperatureThreshold");
    return HR_IS_KNOWN(g) ? hr__known((int64_t)v * 1000) : g;
}

/* Memory through _v2 when exported; a driver that refuses the v2 struct
 * (NOT_SUPPORTED, version mismatch) falls back to v1 for good. */
static hr_reading read_memory_v2(nvml_state *st, nvml_dev *d, nvmlMemory_t *out) {
    nvml_fn_memory_v2 fn = st->s.sym_nvmlDeviceGetMemoryInfo_v2;
    hr_reading g = dev_gate(d, M_MEMORY_V2, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    nvmlMemory_v2_t m2;
    memset(&m2, 0, sizeof m2);
    m2.version = nvmlMemory_v2;
    nvmlReturn_t r = fn(d->handle, &m2);
    if (r == NVML_ERROR_ARGUMENT_VERSION_MISMATCH)
        r = NVML_ERROR_NOT_SUPPORTED;
    g = dev_outcome(st, d, M_MEMORY_V2, r, "nvmlDeviceGetMemoryInfo_v2");
    out->total = m2.total;
    out->free = m2.free;
    out->used = m2.used;
    return g;
}

static hr_reading read_memory(nvml_state *st, nvml_dev *d, nvmlMemory_t *out) {
    memset(out, 0, sizeof *out);
    hr_reading g = read_memory_v2(st, d, out);
    if (HR_IS_KNOWN(g) || d->dead_why != HR_WHY_KNOWN ||
        (g.why != HR_WHY_NOT_SUPPORTED && g.why != HR_WHY_SYMBOL_MISSING))
        return g;
    nvml_fn_memory fn = st->s.sym_nvmlDeviceGetMemoryInfo;
    g = dev_gate(d, M_MEMORY, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    return dev_outcome(st, d, M_MEMORY, fn(d->handle, out), "nvmlDeviceGetMemoryInfo");
}

static hr_reading bytes_reading(hr_reading g, unsigned long long v) {
    if (!HR_IS_KNOWN(g))
        return g;
    return v > (unsigned long long)INT64_MAX ? hr__unknown(HR_WHY_UNREADABLE, 0)
                                             : hr__known((int64_t)v);
}

/* Temperature through TemperatureV (R550+) when exported, else the
 * deprecated nvmlDeviceGetTemperature. */
static hr_reading read_temp_v(nvml_state *st, nvml_dev *d) {
    nvml_fn_temp_v fn = st->s.sym_nvmlDeviceGetTemperatureV;
    hr_reading g = dev_gate(d, M_TEMP_V, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    nvmlTemperature_t t;
    memset(&t, 0, sizeof t);
    t.version = nvmlTemperature_v1;
    t.sensorType = NVML_TEMPERATURE_GPU;
    nvmlReturn_t r = fn(d->handle, &t);
    if (r == NVML_ERROR_ARGUMENT_VERSION_MISMATCH)
        r = NVML_ERROR_NOT_SUPPORTED;
    g = dev_outcome(st, d, M_TEMP_V, r, "nvmlDeviceGetTemperatureV");
    return HR_IS_KNOWN(g) ? hr__known((int64_t)t.temperature * 1000) : g;
}

static hr_reading read_temp(nvml_state *st, nvml_dev *d) {
    hr_reading g = read_temp_v(st, d);
    if (HR_IS_KNOWN(g) || d->dead_why != HR_WHY_KNOWN ||
        (g.why != HR_WHY_NOT_SUPPORTED && g.why != HR_WHY_SYMBOL_MISSING))
        return g;
    nvml_fn_temp fn = st->s.sym_nvmlDeviceGetTemperature;
    g = dev_gate(d, M_TEMP, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    unsigned int v = 0;
    g = dev_outcome(st, d, M_TEMP, fn(d->handle, NVML_TEMPERATURE_GPU, &v),
                    "nvmlDeviceGetTemperature");
    return HR_IS_KNOWN(g) ? hr__known((int64_t)v * 1000) : g;
}

static hr_reading read_margin(nvml_state *st, nvml_dev *d) {
    nvml_fn_margin fn = st->s.sym_nvmlDeviceGetMarginTemperature;
    hr_reading g = dev_gate(d, M_MARGIN, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    nvmlMarginTemperature_t t;
    memset(&t, 0, sizeof t);
    t.version = nvmlMarginTemperature_v1;
    g = dev_outcome(st, d, M_MARGIN, fn(d->handle, &t), "nvmlDeviceGetMarginTemperature");
    return HR_IS_KNOWN(g) ? hr__known((int64_t)t.marginTemperature * 1000) : g;
}

static hr_reading read_pstate(nvml_state *st, nvml_dev *d) {
    nvml_fn_pstate fn = st->s.sym_nvmlDeviceGetPerformanceState;
    hr_reading g = dev_gate(d, M_PSTATE, (const void *)fn);
    if (!HR_IS_KNOWN(g))
        return g;
    nvmlPstates_t p = NVML_PSTATE_UNKNOWN;
    g = dev_outcome(st, d, M_PSTATE, fn(d->handle, &p), "nvmlDeviceGetPerformanceState");
    if (!HR_IS_KNOWN(g))
        return g;
    /* NVML_PSTATE_UNKNOWN (32) is a successful answer that says nothing. */
    return ((int)p >= 0 && (int)p <= 15) ? hr__known(p) : hr__unknown(HR_WHY_UNREADABLE, 0);
}

static void read_util(nvml_state *st, nvml_dev *d, hr_gpu_info *out) {
    nvml_fn_util fn = st->s.sym_nvmlDeviceGetUtilizationRates;
    hr_reading g = dev_gate(d, M_UTIL, (const void *)fn);
    nvmlUtilization_t u = {0, 0};
    if (HR_IS_KNOWN(g))
        g = dev_outcome(st, d, M_UTIL, fn(d->handle, &u), "nvmlDeviceGetUtilizationRates");
    /* Percent to parts per million. */
    out->util_ppm = HR_IS_KNOWN(g) ? hr__known((int64_t)u.gpu * 10000) : g;
    out->mem_util_ppm = HR_IS_KNOWN(g) ? hr__known((int64_t)u.memory * 10000) : g;
}

/* ---- field values (cumulative throttle time, memory temperature) ------- */

/* A field value as int64 by its declared type; 0 when it does not fit. */
static int field_to_i64(const nvmlFieldValue_t *f, int64_t *out) {
    switch (f->valueType) {
    case NVML_VALUE_TYPE_UNSIGNED_INT: *out = f->value.uiVal; return 1;
    case NVML_VALUE_TYPE_SIGNED_INT: *out = f->value.siVal; return 1;
    case NVML_VALUE_TYPE_UNSIGNED_SHORT: *out = f->value.usVal; return 1;
    case NVML_VALUE_TYPE_SIGNED_LONG_LONG: *out = f->value.sllVal; return 1;
    case NVML_VALUE_TYPE_UNSIGNED_LONG:
        if (f->value.ulVal > (unsigned long)INT64_MAX)
            return 0;
        *out = (int64_t)f->value.ulVal;
        return 1;
    case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
        if (f->value.ullVal > (unsigned long long)INT64_MAX)
            return 0;
        *out = (int64_t)f->value.ullVal;
        return 1;
    default: return 0; /* a double is no counter we asked for */
    }
}

static hr_reading *field_slot(hr_gpu_info *out, size_t i) {
    int c = field_table[i].counter;
    return c < 0 ? &out->temp_mem_mc : &out->throttle_time_ns[c];
}

static hr_reading field_reading(nvml_state *st, nvml_dev *d, size_t i,
                                const nvmlFieldValue_t *f) {
    hr_reading g =
        dev_outcome(st, d, M_FIELD0 + (int)i, f->nvmlReturn, "nvmlDeviceGetFieldValues");
    int64_t v = 0;
    if (!HR_IS_KNOWN(g))
        return g;
    if (!field_to_i64(f, &v))
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(field_table[i].counter < 0 ? v * 1000 : v);
}

/* Asks every field not known to be unsupported in one call, and maps the
 * per-field return codes; fields the device does not support are not asked
 * again. */
static void read_fields(nvml_state *st, nvml_dev *d, hr_gpu_info *out) {
    nvmlFieldValue_t req[NFIELDS];
    size_t at[NFIELDS];
    int n = 0;
    hr_reading g = dev_gate(d, M_FIELDS, (const void *)st->s.sym_nvmlDeviceGetFieldValues);
    memset(req, 0, sizeof req);
    for (size_t i = 0; i < NFIELDS; i++) {
        hr_reading fg = HR_IS_KNOWN(g) ? dev_gate_bit(d, M_FIELD0 + (int)i) : g;
        *field_slot(out, i) = fg;
        if (HR_IS_KNOWN(fg)) {
            req[n].fieldId = field_table[i].id;
            at[n++] = i;
        }
    }
    if (n == 0)
        return;
    g = dev_outcome(st, d, M_FIELDS, st->s.sym_nvmlDeviceGetFieldValues(d->handle, n, req),
                    "nvmlDeviceGetFieldValues");
    for (int k = 0; k < n; k++)
        *field_slot(out, at[k]) = HR_IS_KNOWN(g) ? field_reading(st, d, at[k], &req[k]) : g;
}

/* ---- static and dynamic reads ------------------------------------------ */

static void read_string(nvml_state *st, nvml_dev *d, int m, nvml_fn_string fn, const char *name,
                        char *dst, size_t cap) {
    char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
    dst[0] = '\0';
    if (!HR_IS_KNOWN(dev_gate(d, m, (const void *)fn)))
        return;
    memset(buf, 0, sizeof buf);
    if (HR_IS_KNOWN(dev_outcome(st, d, m, fn(d->handle, buf, sizeof buf), name))) {
        buf[sizeof buf - 1] = '\0';
        hr__strlcpy(dst, buf, cap);
    }
}

/* The PCI address in Linux sysfs form ("0000:17:00.0"), from the numeric
 * fields that every PciInfo version fills at the same offsets (the string
 * forms differ: 8-digit domain in _v3, 4-digit in the legacy field). */
static void read_pci(nvml_state *st, nvml_dev *d, char *dst, size_t cap) {
    nvml_fn_pci fn = st->s.sym_nvmlDeviceGetPciInfo;
    nvmlPciInfo_t pci;
    dst[0] = '\0';
    if (!HR_IS_KNOWN(dev_gate(d, M_PCI, (const void *)fn)))
        return;
    memset(&pci, 0, sizeof pci);
    if (HR_IS_KNOWN(dev_outcome(st, d, M_PCI, fn(d->handle, &pci), "nvmlDeviceGetPciInfo")))
        hr__snprintf(dst, cap, "%04x:%02x:%02x.0", pci.domain, pci.bus & 0xffu,
                     pci.device & 0x1fu);
}

static void read_static_memory(nvml_state *st, nvml_dev *d, hr_gpu_info *out) {
    nvmlMemory_t m;
    hr_reading g = read_memory(st, d, &m);
    out->mem_total_bytes = bytes_reading(g, m.total);
}

static hr_status nvml_read_static(void *state, int dev, hr_gpu_info *out) {
    nvml_state *st = state;
    if (!st || dev < 0 || dev >= st->ndev || !out)
        return HR_EINVAL;
    nvml_dev *d = &st->devs[dev];
    out->vendor = HR_GPU_NVIDIA;
    out->unified_memory = 0;
    hr__strlcpy(out->backend, "nvml", sizeof out->backend);
    hr__strlcpy(out->driver_version, st->driver, sizeof out->driver_version);
    read_pci(st, d, out->pci_bus, sizeof out->pci_bus);
    if (out->pci_bus[0])
        hr__strlcpy(d->pci, out->pci_bus, sizeof d->pci);
    read_string(st, d, M_NAME, st->s.sym_nvmlDeviceGetName, "nvmlDeviceGetName", out->name,
                sizeof out->name);
    read_string(st, d, M_UUID, st->s.sym_nvmlDeviceGetUUID, "nvmlDeviceGetUUID", out->uuid,
                sizeof out->uuid);
    read_static_memory(st, d, out);
    out->temp_slowdown_mc = read_threshold(st, d, M_SLOWDOWN, NVML_TEMPERATURE_THRESHOLD_SLOWDOWN);
    out->temp_shutdown_mc = read_threshold(st, d, M_SHUTDOWN, NVML_TEMPERATURE_THRESHOLD_SHUTDOWN);
    out->temp_max_mc = read_threshold(st, d, M_GPU_MAX, NVML_TEMPERATURE_THRESHOLD_GPU_MAX);
    out->power_limit_mw = read_u32(st, d, M_POWER_LIMIT, st->s.sym_nvmlDeviceGetEnforcedPowerLimit,
                                   "nvmlDeviceGetEnforcedPowerLimit");
    out->clock_sm_max_mhz = read_clock(st, d, M_SM_MAX, NVML_CLOCK_SM, 1);
    out->clock_mem_max_mhz = read_clock(st, d, M_MEM_MAX, NVML_CLOCK_MEM, 1);
    out->throttle_supported = read_u64(st, d, M_SUPPORTED,
                                       st->s.sym_nvmlDeviceGetSupportedClocksEventReasons,
                                       "nvmlDeviceGetSupportedClocksEventReasons");
    /* NVML has no hotspot (junction) sensor; that reading is AMD's. */
    out->temp_hotspot_mc = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    out->lost = d->dead_why == HR_WHY_DEVICE_LOST;
    return HR_OK;
}

/* Every dynamic reading of a device NVML may no longer be asked about. */
static void mark_dynamic(hr_gpu_info *out, hr_reading r) {
    out->mem_used_bytes = out->mem_free_bytes = r;
    out->util_ppm = out->mem_util_ppm = r;
    out->temp_mc = out->temp_margin_mc = out->temp_mem_mc = r;
    out->power_mw = out->energy_mj = r;
    out->clock_sm_mhz = out->clock_mem_mhz = r;
    out->pstate = out->fan_pct = out->throttle_reasons = r;
    for (int i = 0; i < HR_TCOUNT_COUNT; i++)
        out->throttle_time_ns[i] = r;
}

static void read_dynamic_memory(nvml_state *st, nvml_dev *d, hr_gpu_info *out) {
    nvmlMemory_t m;
    hr_reading g = read_memory(st, d, &m);
    out->mem_used_bytes = bytes_reading(g, m.used);
    out->mem_free_bytes = bytes_reading(g, m.free);
}

static hr_status nvml_refresh(void *state, int dev, hr_gpu_info *out) {
    nvml_state *st = state;
    if (!st || dev < 0 || dev >= st->ndev || !out)
        return HR_EINVAL;
    nvml_dev *d = &st->devs[dev];
    read_dynamic_memory(st, d, out);
    read_util(st, d, out);
    out->temp_mc = read_temp(st, d);
    out->temp_margin_mc = read_margin(st, d);
    out->power_mw = read_u32(st, d, M_POWER, st->s.sym_nvmlDeviceGetPowerUsage,
                             "nvmlDeviceGetPowerUsage");
    out->energy_mj = read_u64(st, d, M_ENERGY, st->s.sym_nvmlDeviceGetTotalEnergyConsumption,
                              "nvmlDeviceGetTotalEnergyConsumption");
    out->clock_sm_mhz = read_clock(st, d, M_SM, NVML_CLOCK_SM, 0);
    out->clock_mem_mhz = read_clock(st, d, M_MEM_CLOCK, NVML_CLOCK_MEM, 0);
    out->pstate = read_pstate(st, d);
    out->fan_pct = read_u32(st, d, M_FAN, st->s.sym_nvmlDeviceGetFanSpeed,
                            "nvmlDeviceGetFanSpeed");
    out->throttle_reasons = read_u64(st, d, M_REASONS,
                                     st->s.sym_nvmlDeviceGetCurrentClocksEventReasons,
                                     "nvmlDeviceGetCurrentClocksEventReasons");
    read_fields(st, d, out);
    /* A device lost part-way through is lost for every reading of this
     * refresh: values read just before the loss are not trusted either. */
    if (d->dead_why != HR_WHY_KNOWN)
        mark_dynamic(out, hr__unknown((hr_why)d->dead_why, d->dead_err));
    out->lost = d->dead_why == HR_WHY_DEVICE_LOST;
    return HR_OK;
}

/* ---- init and shutdown -------------------------------------------------- */

static void nvml_shutdown(void *state) {
    nvml_state *st = state;
    if (!st)
        return;
    if (st->started && st->s.sym_nvmlShutdown)
        st->s.sym_nvmlShutdown();
    if (st->lib)
        hr__sys.dlclose(st->lib);
    free(st->devs);
    free(st);
}

static hr_status nvml_start(nvml_state *st, char *detail, size_t cap) {
    nvmlReturn_t r = st->s.sym_nvmlInit();
    if (r != NVML_SUCCESS) {
        hr__snprintf(detail, cap, "nvmlInit: %s (NVML %d)", nvml_code_text(st, r), (int)r);
        return nvml_init_status(r);
    }
    st->started = 1;
    char buf[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
    memset(buf, 0, sizeof buf);
    if (st->s.sym_nvmlSystemGetDriverVersion &&
        st->s.sym_nvmlSystemGetDriverVersion(buf, sizeof buf) == NVML_SUCCESS) {
        buf[sizeof buf - 1] = '\0';
        hr__strlcpy(st->driver, buf, sizeof st->driver);
    }
    return HR_OK;
}

/* Takes the handle of device I. A device whose handle NVML refuses stays
 * in the list (CUDA ordinals count it) with every reading unknown. */
static void nvml_open_device(nvml_state *st, unsigned int i) {
    nvml_dev *d = &st->devs[i];
    d->dead_why = HR_WHY_KNOWN;
    hr__snprintf(d->pci, sizeof d->pci, "gpu%u", i);
    nvmlReturn_t r = st->s.sym_nvmlDeviceGetHandleByIndex(i, &d->handle);
    if (r == NVML_SUCCESS)
        return;
    d->handle = NULL;
    if (r == NVML_ERROR_GPU_IS_LOST || r == NVML_ERROR_RESET_REQUIRED) {
        dev_mark_dead(st, d, HR_WHY_DEVICE_LOST, r, "nvmlDeviceGetHandleByIndex");
        return;
    }
    d->dead_why = r == NVML_ERROR_NO_PERMISSION ? HR_WHY_NO_PERMISSION : HR_WHY_DRIVER_ERROR;
    d->dead_err = (int32_t)r;
}

static hr_status nvml_enumerate(nvml_state *st, char *detail, size_t cap) {
    unsigned int count = 0;
    nvmlReturn_t r = st->s.sym_nvmlDeviceGetCount(&count);
    if (r != NVML_SUCCESS) {
        hr__snprintf(detail, cap, "nvmlDeviceGetCount: %s (NVML %d)", nvml_code_text(st, r),
                     (int)r);
        return r == NVML_ERROR_NO_PERMISSION ? HR_EPERM : HR_EDRIVER;
    }
    if (count == 0) {
        hr__snprintf(detail, cap, "NVML driver %s: no GPUs", st->driver[0] ? st->driver : "?");
        return HR_ENODEV;
    }
    /* A count beyond any real machine is a broken answer, not 10^9 GPUs. */
    if (count > 1024) {
        hr__snprintf(detail, cap, "nvmlDeviceGetCount: implausible count %u", count);
        return HR_EDRIVER;
    }
    st->devs = calloc(count, sizeof *st->devs);
    if (!st->devs)
        return HR_ENOMEM;
    st->ndev = (int)count;
    for (unsigned int i = 0; i < count; i++)
        nvml_open_device(st, i);
    return HR_OK;
}

static void nvml_describe(const nvml_state *st, char *detail, size_t cap) {
    hr__snprintf(detail, cap, "NVML driver %s: %d GPU%s%s", st->driver[0] ? st->driver : "?",
                 st->ndev, st->ndev == 1 ? "" : "s",
                 st->fallbacks || st->missing ? " (older NVML: some queries use fallbacks or are "
                                                "unavailable)"
                                              : "");
}

static hr_status nvml_init(hr_ctx *ctx, void **state, int *ndev, char *detail, size_t cap) {
    *state = NULL;
    *ndev = 0;
    nvml_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->ctx = ctx;
    hr_status s = nvml_load(st, ctx->nvml_path, detail, cap);
    if (s == HR_OK)
        s = nvml_resolve_all(st, detail, cap);
    if (s == HR_OK)
        s = nvml_start(st, detail, cap);
    if (s == HR_OK)
        s = nvml_enumerate(st, detail, cap);
    if (s != HR_OK) {
        if (s == HR_ENOMEM)
            hr__snprintf(detail, cap, "NVML: out of memory");
        nvml_shutdown(st);
        return s;
    }
    nvml_describe(st, detail, cap);
    *state = st;
    *ndev = st->ndev;
    return HR_OK;
}

const hr__gpu_backend hr__gpu_nvml = {
    "nvml", nvml_init, nvml_read_static, nvml_refresh, nvml_shutdown,
};

/* fake_nvml.c: a stand-in libnvidia-ml.so.1 for tests, driven by a JSON
 * scenario (tests/fixtures/nvml/NAME.json) named in FAKE_NVML_SCENARIO and read
 * at nvmlInit.
 *
 * It mirrors real NVML where the backend can tell: the same exported symbol
 * names and C signatures (checked against nvml_abi.h at compile time), the
 * same return codes and their order of checks (UNINITIALIZED, then
 * INVALID_ARGUMENT, then the device's state), version words on versioned
 * structs (ARGUMENT_VERSION_MISMATCH), INSUFFICIENT_SIZE for short buffers,
 * per-field return codes in nvmlDeviceGetFieldValues, reference-counted
 * init/shutdown, and the error strings of nvmlErrorString.
 *
 * Built twice: libnvidia-ml.so.1 (a current driver) and, with
 * -DFAKE_OLD_DRIVER, old-driver/libnvidia-ml.so.1, which does not export
 * any of the newer names the backend falls back from (_v2/_v3 entry points,
 * TemperatureV, MarginTemperature, the "ClocksEventReasons" names). That
 * composite is older than any one real release, so that every fallback runs.
 *
 * Scenario keys (natural units: bytes, MHz, mW, mJ, degrees C, percent):
 *   driver, init_error, missing_symbols[], errors{fn: code}, devices[] with
 *   name, uuid, pci, pci_device_id, memory{total,used,free,reserved},
 *   temperature, thresholds{slowdown,shutdown,mem_max,gpu_max}, margin,
 *   power_mw, power_limit_mw, energy_mj, clocks{sm,mem,graphics,video,
 *   sm_max,...}, pstate, fan, util{gpu,memory}, throttle{current,supported}
 *   (numbers or "0x.." strings), fields{"<id>": value}, errors{fn: code,
 *   "field:<id>": code}, lost_after_calls.
 * A value that is null or absent answers NOT_SUPPORTED, as real NVML does
 * for a query the board lacks. A value given as an array answers its k-th
 * element on the k-th call to that function for that device (the last one
 * thereafter), so a test can watch a value change between refreshes.
 * Codes are names ("NOT_SUPPORTED", "GPU_IS_LOST", ...) or numbers. */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <jansson.h>

#include "gpu/nvml_abi.h"

#define FAKE_EXPORT __attribute__((visibility("default")))
#define FAKE_MAX_DEVICES 16
#define FAKE_MAX_COUNTERS 512

typedef struct fake_dev {
    json_t *j;       /* the scenario's device object (borrowed) */
    int index;
    long calls;      /* successful calls made with this device's handle */
    long lost_after; /* -1: never lost */
} fake_dev;

static struct {
    int refcount;   /* nvmlInit minus nvmlShutdown calls that succeeded */
    json_t *root;   /* the scenario */
    int ndev;
    fake_dev devs[FAKE_MAX_DEVICES];
} g;

/* ---- call counters (exported for tests) --------------------------------- */

static struct {
    char name[96];
    long count;
} counters[FAKE_MAX_COUNTERS];
static int ncounters;

static long *counter(const char *name) {
    for (int i = 0; i < ncounters; i++)
        if (strcmp(counters[i].name, name) == 0)
            return &counters[i].count;
    if (ncounters == FAKE_MAX_COUNTERS)
        return &counters[FAKE_MAX_COUNTERS - 1].count;
    snprintf(counters[ncounters].name, sizeof counters[ncounters].name, "%s", name);
    counters[ncounters].count = 0;
    return &counters[ncounters++].count;
}

/* Counts a call of FN; with device D also under "FN#<index>". Returns the
 * number of earlier calls of FN on D (the index into array values). */
static long count_call(const char *fn, const fake_dev *d) {
    (*counter(fn))++;
    if (!d)
        return 0;
    char key[128];
    snprintf(key, sizeof key, "#%d", d->index);
    (*counter(key))++;
    snprintf(key, sizeof key, "%s#%d", fn, d->index);
    return (*counter(key))++;
}

/* How many times FN was called since the last nvmlInit that loaded a
 * scenario ("FN#2": on device 2; "#2": any call with device 2's handle;
 * "nvmlDeviceGetFieldValues:251": requests of field 251). */
FAKE_EXPORT long fake_nvml_call_count(const char *fn) {
    for (int i = 0; i < ncounters; i++)
        if (strcmp(counters[i].name, fn) == 0)
            return counters[i].count;
    return 0;
}

FAKE_EXPORT void fake_nvml_reset_counts(void) { ncounters = 0; }

/* ---- scenario helpers ----------------------------------------------------- */

static const struct {
    const char *name;
    nvmlReturn_t code;
    const char *text; /* what the real nvmlErrorString says */
} codes[] = {
    {"SUCCESS", NVML_SUCCESS, "Success"},
    {"UNINITIALIZED", NVML_ERROR_UNINITIALIZED, "Uninitialized"},
    {"INVALID_ARGUMENT", NVML_ERROR_INVALID_ARGUMENT, "Invalid Argument"},
    {"NOT_SUPPORTED", NVML_ERROR_NOT_SUPPORTED, "Not Supported"},
    {"NO_PERMISSION", NVML_ERROR_NO_PERMISSION, "Insufficient Permissions"},
    {"ALREADY_INITIALIZED", NVML_ERROR_ALREADY_INITIALIZED, "Already Initialized"},
    {"NOT_FOUND", NVML_ERROR_NOT_FOUND, "Not Found"},
    {"INSUFFICIENT_SIZE", NVML_ERROR_INSUFFICIENT_SIZE, "Insufficient Size"},
    {"INSUFFICIENT_POWER", NVML_ERROR_INSUFFICIENT_POWER, "Insufficient External Power"},
    {"DRIVER_NOT_LOADED", NVML_ERROR_DRIVER_NOT_LOADED, "Driver Not Loaded"},
    {"TIMEOUT", NVML_ERROR_TIMEOUT, "Timeout"},
    {"IRQ_ISSUE", NVML_ERROR_IRQ_ISSUE, "Interrupt request issue"},
    {"LIBRARY_NOT_FOUND", NVML_ERROR_LIBRARY_NOT_FOUND, "NVML Shared Library Not Found"},
    {"FUNCTION_NOT_FOUND", NVML_ERROR_FUNCTION_NOT_FOUND, "Function Not Found"},
    {"CORRUPTED_INFOROM", NVML_ERROR_CORRUPTED_INFOROM, "Corrupted infoROM"},
    {"GPU_IS_LOST", NVML_ERROR_GPU_IS_LOST, "GPU is lost"},
    {"RESET_REQUIRED", NVML_ERROR_RESET_REQUIRED, "GPU requires restart"},
    {"OPERATING_SYSTEM", NVML_ERROR_OPERATING_SYSTEM,
     "The operating system has blocked the request"},
    {"LIB_RM_VERSION_MISMATCH", NVML_ERROR_LIB_RM_VERSION_MISMATCH,
     "RM has detected an NVML/RM version mismatch"},
    {"ARGUMENT_VERSION_MISMATCH", NVML_ERROR_ARGUMENT_VERSION_MISMATCH,
     "Version mismatch between passed in argument and the API"},
    {"UNKNOWN", NVML_ERROR_UNKNOWN, "Unknown Error"},
};

#define NCODES (sizeof codes / sizeof codes[0])

static nvmlReturn_t code_of(const json_t *v) {
    if (json_is_integer(v))
        return (nvmlReturn_t)json_integer_value(v);
    const char *s = json_string_value(v);
    for (size_t i = 0; s && i < NCODES; i++)
        if (strcmp(codes[i].name, s) == 0)
            return codes[i].code;
    fprintf(stderr, "fake_nvml: unknown return code in scenario\n");
    return NVML_ERROR_UNKNOWN;
}

/* The scenario's error for FN on object OBJ ("errors" map), or SUCCESS. */
static nvmlReturn_t scripted_error(const json_t *obj, const char *fn) {
    const json_t *e = json_object_get(json_object_get(obj, "errors"), fn);
    return e ? code_of(e) : NVML_SUCCESS;
}

/* Looks up a dotted PATH ("memory.total") under OBJ; an array answers its
 * CALL-th element (the last when CALL is past the end). */
static const json_t *lookup(const json_t *obj, const char *path, long call) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *v = obj;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && v;
         tok = strtok_r(NULL, ".", &save))
        v = json_object_get(v, tok);
    if (json_is_array(v) && json_array_size(v) > 0) {
        size_t n = json_array_size(v);
        v = json_array_get(v, call < (long)n ? (size_t)call : n - 1);
    }
    return v;
}

/* A number at PATH (integers, or strings such as "0x20"); NOT_SUPPORTED
 * when it is null or absent. */
static nvmlReturn_t number_at(const fake_dev *d, const char *path, long call,
                              unsigned long long *out) {
    const json_t *v = lookup(d->j, path, call);
    if (json_is_integer(v)) {
        *out = (unsigned long long)json_integer_value(v);
        return NVML_SUCCESS;
    }
    if (json_is_string(v)) {
        errno = 0;
        char *end = NULL;
        *out = strtoull(json_string_value(v), &end, 0);
        return (errno == 0 && end && *end == '\0') ? NVML_SUCCESS : NVML_ERROR_UNKNOWN;
    }
    return NVML_ERROR_NOT_SUPPORTED;
}

/* ---- lifecycle ------------------------------------------------------------ */

static void unload(void) {
    json_decref(g.root);
    g.root = NULL;
    g.ndev = 0;
    memset(g.devs, 0, sizeof g.devs);
}

/* The scenario may list symbols this build must not export (the old-driver
 * scenario); a mismatch means the test loaded the wrong library variant. */
static int exports_none_of(const json_t *names) {
    Dl_info info;
    if (!dladdr((void *)&fake_nvml_call_count, &info) || !info.dli_fname)
        return 0;
    void *self = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    if (!self)
        return 0;
    int ok = 1;
    size_t i;
    const json_t *n;
    json_array_foreach(names, i, n) {
        if (json_is_string(n) && dlsym(self, json_string_value(n))) {
            fprintf(stderr, "fake_nvml: scenario says %s is missing, but this build exports it\n",
                    json_string_value(n));
            ok = 0;
        }
    }
    dlclose(self);
    return ok;
}

static nvmlReturn_t load_devices(void) {
    const json_t *devs = json_object_get(g.root, "devices");
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d) {
        if (i >= FAKE_MAX_DEVICES)
            break;
        fake_dev *fd = &g.devs[i];
        fd->j = d;
        fd->index = (int)i;
        const json_t *lost = json_object_get(d, "lost_after_calls");
        fd->lost_after = json_is_integer(lost) ? (long)json_integer_value(lost) : -1;
        g.ndev = (int)i + 1;
    }
    return NVML_SUCCESS;
}

static nvmlReturn_t load_scenario(void) {
    const char *path = getenv("FAKE_NVML_SCENARIO");
    if (!path || !*path) {
        fprintf(stderr, "fake_nvml: FAKE_NVML_SCENARIO is not set\n");
        return NVML_ERROR_UNKNOWN;
    }
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root) {
        fprintf(stderr, "fake_nvml: %s:%d:%d: %s\n", path, err.line, err.column, err.text);
        return NVML_ERROR_UNKNOWN;
    }
    unload();
    g.root = root;
    fake_nvml_reset_counts();
    const json_t *missing = json_object_get(root, "missing_symbols");
    if (missing && !exports_none_of(missing)) {
        unload();
        return NVML_ERROR_UNKNOWN;
    }
    const json_t *ie = json_object_get(root, "init_error");
    nvmlReturn_t r = ie ? code_of(ie) : NVML_SUCCESS;
    if (r != NVML_SUCCESS) {
        unload();
        return r;
    }
    return load_devices();
}

/* NVML counts initialisations; only the first one reads the scenario. */
static nvmlReturn_t fake_init(const char *fn) {
    if (g.refcount == 0) {
        nvmlReturn_t r = load_scenario();
        count_call(fn, NULL);
        if (r != NVML_SUCCESS)
            return r;
    } else {
        count_call(fn, NULL);
    }
    g.refcount++;
    return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlInit(void) { return fake_init("nvmlInit"); }

#ifndef FAKE_OLD_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlInit_v2(void) { return fake_init("nvmlInit_v2"); }

FAKE_EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
    (void)flags;
    return fake_init("nvmlInitWithFlags");
}
#endif

FAKE_EXPORT nvmlReturn_t nvmlShutdown(void) {
    count_call("nvmlShutdown", NULL);
    if (g.refcount == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (--g.refcount == 0)
        unload();
    return NVML_SUCCESS;
}

FAKE_EXPORT const char *nvmlErrorString(nvmlReturn_t result) {
    for (size_t i = 0; i < NCODES; i++)
        if (codes[i].code == result)
            return codes[i].text;
    return "Unknown Error";
}

/* ---- system queries ------------------------------------------------------- */

static nvmlReturn_t copy_string(const char *s, char *buf, unsigned int length) {
    if (!buf)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (!s)
        return NVML_ERROR_NOT_SUPPORTED;
    if (strlen(s) + 1 > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    memcpy(buf, s, strlen(s) + 1);
    return NVML_SUCCESS;
}

static nvmlReturn_t system_enter(const char *fn) {
    count_call(fn, NULL);
    if (g.refcount == 0)
        return NVML_ERROR_UNINITIALIZED;
    return scripted_error(g.root, fn);
}

FAKE_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
    nvmlReturn_t r = system_enter("nvmlSystemGetDriverVersion");
    if (r != NVML_SUCCESS)
        return r;
    return copy_string(json_string_value(json_object_get(g.root, "driver")), version, length);
}

static nvmlReturn_t get_count(const char *fn, unsigned int *deviceCount) {
    nvmlReturn_t r = system_enter(fn);
    if (r != NVML_SUCCESS)
        return r;
    if (!deviceCount)
        return NVML_ERROR_INVALID_ARGUMENT;
    *deviceCount = (unsigned int)g.ndev;
    return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *deviceCount) {
    return get_count("nvmlDeviceGetCount", deviceCount);
}

/* ---- device handles --------------------------------------------------------- */

static int is_lost(const fake_dev *d) { return d->lost_after >= 0 && d->calls >= d->lost_after; }

static nvmlReturn_t get_handle(const char *fn, unsigned int index, nvmlDevice_t *device) {
    nvmlReturn_t r = system_enter(fn);
    if (r != NVML_SUCCESS)
        return r;
    if (!device || index >= (unsigned int)g.ndev)
        return NVML_ERROR_INVALID_ARGUMENT;
    fake_dev *d = &g.devs[index];
    if (is_lost(d))
        return NVML_ERROR_GPU_IS_LOST;
    r = scripted_error(d->j, fn);
    if (r == NVML_SUCCESS)
        *device = (nvmlDevice_t)(void *)d;
    return r;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device) {
    return get_handle("nvmlDeviceGetHandleByIndex", index, device);
}

#ifndef FAKE_OLD_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount) {
    return get_count("nvmlDeviceGetCount_v2", deviceCount);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index,
                                                       nvmlDevice_t *device) {
    return get_handle("nvmlDeviceGetHandleByIndex_v2", index, device);
}
#endif

static fake_dev *find_dev(nvmlDevice_t h) {
    for (int i = 0; i < g.ndev; i++)
        if ((void *)h == (void *)&g.devs[i])
            return &g.devs[i];
    return NULL;
}

/* The common prologue of every device query: counts the call (CALL gets
 * the per-device call index), then answers in NVML's order: not
 * initialised, bad handle or output pointer, lost device, scripted error. */
static nvmlReturn_t dev_enter(const char *fn, nvmlDevice_t h, const void *out, fake_dev **dp,
                              long *call) {
    fake_dev *d = g.refcount ? find_dev(h) : NULL;
    long c = count_call(fn, d);
    if (call)
        *call = c;
    if (g.refcount == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!d || !out)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (is_lost(d))
        return NVML_ERROR_GPU_IS_LOST;
    *dp = d;
    return scripted_error(d->j, fn);
}

/* The epilogue: successful calls bring a device closer to its scripted loss. */
static nvmlReturn_t dev_leave(fake_dev *d, nvmlReturn_t r) {
    if (r == NVML_SUCCESS)
        d->calls++;
    return r;
}

/* Queries that return one number at a scenario path. */
static nvmlReturn_t dev_number(const char *fn, nvmlDevice_t h, const void *out, const char *path,
                               unsigned long long *v) {
    fake_dev *d = NULL;
    long call = 0;
    nvmlReturn_t r = dev_enter(fn, h, out, &d, &call);
    if (r != NVML_SUCCESS)
        return r;
    return dev_leave(d, number_at(d, path, call, v));
}

static nvmlReturn_t dev_u32(const char *fn, nvmlDevice_t h, unsigned int *out, const char *path) {
    unsigned long long v = 0;
    nvmlReturn_t r = dev_number(fn, h, out, path, &v);
    if (r == NVML_SUCCESS)
        *out = (unsigned int)v;
    return r;
}

static nvmlReturn_t dev_u64(const char *fn, nvmlDevice_t h, unsigned long long *out,
                            const char *path) {
    unsigned long long v = 0;
    nvmlReturn_t r = dev_number(fn, h, out, path, &v);
    if (r == NVML_SUCCESS)
        *out = v;
    return r;
}

/* ---- identity ------------------------------------------------------------- */

static nvmlReturn_t dev_string(const char *fn, nvmlDevice_t h, const char *key, char *buf,
                               unsigned int length) {
    fake_dev *d = NULL;
    nvmlReturn_t r = dev_enter(fn, h, buf, &d, NULL);
    if (r != NVML_SUCCESS)
        return r;
    return dev_leave(d, copy_string(json_string_value(json_object_get(d->j, key)), buf, length));
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
    return dev_string("nvmlDeviceGetName", device, "name", name, length);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length) {
    return dev_string("nvmlDeviceGetUUID", device, "uuid", uuid, length);
}

/* PCI info. The legacy entry points write the old 52-byte layout (a
 * 16-byte bus id, five numbers, four reserved words); _v3 writes all 68. */
static nvmlReturn_t pci_info(const char *fn, nvmlDevice_t h, nvmlPciInfo_t *pci, int v3) {
    fake_dev *d = NULL;
    nvmlReturn_t r = dev_enter(fn, h, pci, &d, NULL);
    if (r != NVML_SUCCESS)
        return r;
    unsigned int dom = 0, bus = 0, dev = 0, fn_no = 0;
    const char *s = json_string_value(json_object_get(d->j, "pci"));
    if (!s || sscanf(s, "%x:%x:%x.%x", &dom, &bus, &dev, &fn_no) != 4)
        return dev_leave(d, NVML_ERROR_NOT_SUPPORTED);
    const json_t *id = json_object_get(d->j, "pci_device_id");
    memset(pci, 0, v3 ? sizeof *pci : 52);
    snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.0", dom, bus, dev);
    pci->domain = dom;
    pci->bus = bus;
    pci->device = dev;
    pci->pciDeviceId = json_is_integer(id) ? (unsigned int)json_integer_value(id) : 0x10deu;
    if (v3)
        snprintf(pci->busId, sizeof pci->busId, "%08X:%02X:%02X.0", dom, bus, dev);
    return dev_leave(d, NVML_SUCCESS);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    return pci_info("nvmlDeviceGetPciInfo", device, pci, 0);
}

#ifndef FAKE_OLD_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    return pci_info("nvmlDeviceGetPciInfo_v2", device, pci, 0);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t *pci) {
    return pci_info("nvmlDeviceGetPciInfo_v3", device, pci, 1);
}
#endif

/* ---- memory and utilisation ---------------------------------------------- */

static nvmlReturn_t memory_values(const fake_dev *d, long call, unsigned long long v[4]) {
    static const char *const keys[] = {"memory.total", "memory.free", "memory.used"};
    for (int i = 0; i < 3; i++)
        if (number_at(d, keys[i], call, &v[i]) != NVML_SUCCESS)
            return NVML_ERROR_NOT_SUPPORTED;
    if (number_at(d, "memory.reserved", call, &v[3]) != NVML_SUCCESS)
        v[3] = 0;
    return NVML_SUCCESS;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory) {
    fake_dev *d = NULL;
    long call = 0;
    unsigned long long v[4];
    nvmlReturn_t r = dev_enter("nvmlDeviceGetMemoryInfo", device, memory, &d, &call);
    if (r == NVML_SUCCESS)
        r = memory_values(d, call, v);
    if (r != NVML_SUCCESS)
        return d ? dev_leave(d, r) : r;
    memory->total = v[0];
    memory->free = v[1];
    memory->used = v[2];
    return dev_leave(d, NVML_SUCCESS);
}

#ifndef FAKE_OLD_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device,
                                                    nvmlMemory_v2_t *memory) {
    fake_dev *d = NULL;
    long call = 0;
    unsigned long long v[4];
    nvmlReturn_t r = dev_enter("nvmlDeviceGetMemoryInfo_v2", device, memory, &d, &call);
    if (r == NVML_SUCCESS && memory->version != nvmlMemory_v2)
        r = NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    if (r == NVML_SUCCESS)
        r = memory_values(d, call, v);
    if (r != NVML_SUCCESS)
        return d ? dev_leave(d, r) : r;
    memory->total = v[0];
    memory->free = v[1];
    memory->used = v[2];
    memory->reserved = v[3];
    return dev_leave(d, NVML_SUCCESS);
}
#endif

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                       nvmlUtilization_t *utilization) {
    fake_dev *d = NULL;
    long call = 0;
    unsigned long long gpu = 0, mem = 0;
    nvmlReturn_t r = dev_enter("nvmlDeviceGetUtilizationRates", device, utilization, &d, &call);
    if (r != NVML_SUCCESS)
        return r;
    if (number_at(d, "util.gpu", call, &gpu) != NVML_SUCCESS ||
        number_at(d, "util.memory", call, &mem) != NVML_SUCCESS)
        return dev_leave(d, NVML_ERROR_NOT_SUPPORTED);
    utilization->gpu = (unsigned int)gpu;
    utilization->memory = (unsigned int)mem;
    return dev_leave(d, NVML_SUCCESS);
}

/* ---- temperatures ----------------------------------------------------------- */

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device,
                                                  nvmlTemperatureSensors_t sensorType,
                                                  unsigned int *temp) {
    if (sensorType != NVML_TEMPERATURE_GPU) {
        count_call("nvmlDeviceGetTemperature", NULL);
        return g.refcount ? NVML_ERROR_INVALID_ARGUMENT : NVML_ERROR_UNINITIALIZED;
    }
    return dev_u32("nvmlDeviceGetTemperature", device, temp, "temperature");
}

#ifndef FAKE_OLD_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTemperatureV(nvmlDevice_t device,
                                                   nvmlTemperature_t *temperature) {
    fake_dev *d = NULL;
    long call = 0;
    unsigned long long v = 0;
    nvmlReturn_t r = dev_enter("nvmlDeviceGetTemperatureV", device, temperature, &d, &call);
    if (r != NVML_SUCCESS)
        return r;
    if (temperature->version != nvmlTemperature_v1)
        return dev_leave(d, NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
    if (temperature->sensorType != NVML_TEMPERATURE_GPU)
        return dev_leave(d, NVML_ERROR_INVALID_ARGUMENT);
    r = number_at(d, "temperature", call, &v);
    if (r == NVML_SUCCESS)
        temperature->temperature = (int)v;
    return dev_leave(d, r);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMarginTemperature(nvmlDevice_t device,
                                                        nvmlMarginTemperature_t *margin) {
    fake_dev *d = NULL;
    long call = 0;
    unsigned long long v = 0;
    nvmlReturn_t r = dev_enter("nvmlDeviceGetMarginTemperature", device, margin, &d, &call);
    if (r != NVML_SUCCESS)
        return r;
    if (margin->version != nvmlMarginTemperature_v1)
        return dev_leave(d, NVML_ERROR_ARGUMENT_VERSION_MISMATCH);
    r = number_at(d, "margin", call, &v);
    if (r == NVML_SUCCESS)
        margin->marginTemperature = (int)(long long)v;
    return dev_leave(d, r);
}
#endif

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTemperatureThreshold(nvmlDevice_t device,
                                                           nvmlTemperatureThresholds_t type,
                                                           unsigned int *temp) {
    static const char *const keys[NVML_TEMPERATURE_THRESHOLD_COUNT] = {
        "thresholds.shutdown", "thresholds.slowdown",     "thresholds.mem_max",
        "thresholds.gpu_max",  "thresholds.acoustic_min", "thresholds.acoustic_curr",
        "thresholds.acoustic_max", "thresholds.gps_curr"};
    if ((unsigned int)type >= NVML_TEMPERATURE_THRESHOLD_COUNT) {
        count_call("nvmlDeviceGetTemperatureThreshold", NULL);
        return g.refcount ? NVML_ERROR_INVALID_ARGUMENT : NVML_ERROR_UNINITIALIZED;
    }
    return dev_u32("nvmlDeviceGetTemperatureThreshold", device, temp, keys[type]);
}

/* ---- power, clocks, performance state, fan ------------------------------------ */

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power) {
    return dev_u32("nvmlDeviceGetPowerUsage", device, power, "power_mw");
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device,
                                                         unsigned int *limit) {
    return dev_u32("nvmlDeviceGetEnforcedPowerLimit", device, limit, "power_limit_mw");
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device,
                                                             unsigned long long *energy) {
    return dev_u64("nvmlDeviceGetTotalEnergyConsumption", device, energy, "energy_mj");
}

static nvmlReturn_t clock_info(const char *fn, nvmlDevice_t h, nvmlClockType_t type,
                               unsigned int *clock, const char *suffix) {
    static const char *const names[NVML_CLOCK_COUNT] = {"graphics", "sm", "mem", "video"};
    char path[64];
    if ((unsigned int)type >= NVML_CLOCK_COUNT) {
        count_call(fn, NULL);
        return g.refcount ? NVML_ERROR_INVALID_ARGUMENT : NVML_ERROR_UNINITIALIZED;
    }
    snprintf(path, sizeof path, "clocks.%s%s", names[type], suffix);
    return dev_u32(fn, h, clock, path);
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t device, nvmlClockType_t type,
                                                unsigned int *clock) {
    return clock_info("nvmlDeviceGetClockInfo", device, type, clock, "");
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, nvmlClockType_t type,
                                                   unsigned int *clock) {
    return clock_info("nvmlDeviceGetMaxClockInfo", device, type, clock, "_max");
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t device,
                                                       nvmlPstates_t *pState) {
    unsigned long long v = 0;
    nvmlReturn_t r = dev_number("nvmlDeviceGetPerformanceState", device, pState, "pstate", &v);
    if (r == NVML_SUCCESS)
        *pState = (nvmlPstates_t)v;
    return r;
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t device, unsigned int *speed) {
    return dev_u32("nvmlDeviceGetFanSpeed", device, speed, "fan");
}

/* ---- clock-event ("throttle") reasons --------------------------------------------- */

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksThrottleReasons(nvmlDevice_t device,
                                                                   unsigned long long *reasons) {
    return dev_u64("nvmlDeviceGetCurrentClocksThrottleReasons", device, reasons,
                   "throttle.current");
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetSupportedClocksThrottleReasons(
    nvmlDevice_t device, unsigned long long *reasons) {
    return dev_u64("nvmlDeviceGetSupportedClocksThrottleReasons", device, reasons,
                   "throttle.supported");
}

#ifndef FAKE_OLD_DRIVER
FAKE_EXPORT nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(nvmlDevice_t device,
                                                                unsigned long long *reasons) {
    return dev_u64("nvmlDeviceGetCurrentClocksEventReasons", device, reasons,
                   "throttle.current");
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetSupportedClocksEventReasons(nvmlDevice_t device,
                                                                  unsigned long long *reasons) {
    return dev_u64("nvmlDeviceGetSupportedClocksEventReasons", device, reasons,
                   "throttle.supported");
}
#endif

/* ---- field values ---------------------------------------------------------------- */

static long long now_usec(void) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* One field: counters are 64-bit unsigned, the memory temperature an
 * unsigned int, as the driver types them. */
static void field_value(const fake_dev *d, long call, nvmlFieldValue_t *f) {
    char key[48], path[48];
    unsigned long long v = 0;
    snprintf(key, sizeof key, "nvmlDeviceGetFieldValues:%u", f->fieldId);
    (*counter(key))++;
    snprintf(key, sizeof key, "field:%u", f->fieldId);
    snprintf(path, sizeof path, "fields.%u", f->fieldId);
    f->timestamp = now_usec();
    f->latencyUsec = 0;
    f->nvmlReturn = scripted_error(d->j, key);
    if (f->nvmlReturn == NVML_SUCCESS)
        f->nvmlReturn = number_at(d, path, call, &v);
    if (f->nvmlReturn != NVML_SUCCESS)
        return;
    if (f->fieldId == NVML_FI_DEV_MEMORY_TEMP) {
        f->valueType = NVML_VALUE_TYPE_UNSIGNED_INT;
        f->value.uiVal = (unsigned int)v;
    } else {
        f->valueType = NVML_VALUE_TYPE_UNSIGNED_LONG_LONG;
        f->value.ullVal = v;
    }
}

FAKE_EXPORT nvmlReturn_t nvmlDeviceGetFieldValues(nvmlDevice_t device, int valuesCount,
                                                  nvmlFieldValue_t *values) {
    fake_dev *d = NULL;
    long call = 0;
    nvmlReturn_t r = dev_enter("nvmlDeviceGetFieldValues", device, values, &d, &call);
    if (r != NVML_SUCCESS)
        return r;
    if (valuesCount <= 0)
        return dev_leave(d, NVML_ERROR_INVALID_ARGUMENT);
    for (int i = 0; i < valuesCount; i++)
        field_value(d, call, &values[i]);
    return dev_leave(d, NVML_SUCCESS);
}

/* ---- signature checks ------------------------------------------------------------ */

/* Every export must have exactly the type the backend calls it through
 * (nvml_abi.h); a mismatch is a compile error here. */
__attribute__((unused)) static const struct {
    nvml_fn_void init, shutdown;
    nvml_fn_error_string error_string;
    nvml_fn_driver_version driver_version;
    nvml_fn_count count;
    nvml_fn_handle handle;
    nvml_fn_string name, uuid;
    nvml_fn_pci pci;
    nvml_fn_memory memory;
    nvml_fn_util util;
    nvml_fn_temp temp;
    nvml_fn_threshold threshold;
    nvml_fn_u32 power, limit, fan;
    nvml_fn_u64 energy, current, supported;
    nvml_fn_clock clock, max_clock;
    nvml_fn_pstate pstate;
    nvml_fn_fields fields;
#ifndef FAKE_OLD_DRIVER
    nvml_fn_void init_v2;
    nvml_fn_count count_v2;
    nvml_fn_handle handle_v2;
    nvml_fn_pci pci_v2, pci_v3;
    nvml_fn_memory_v2 memory_v2;
    nvml_fn_temp_v temp_v;
    nvml_fn_margin margin;
    nvml_fn_u64 current_event, supported_event;
#endif
} signature_check = {
    nvmlInit, nvmlShutdown, nvmlErrorString, nvmlSystemGetDriverVersion, nvmlDeviceGetCount,
    nvmlDeviceGetHandleByIndex, nvmlDeviceGetName, nvmlDeviceGetUUID, nvmlDeviceGetPciInfo,
    nvmlDeviceGetMemoryInfo, nvmlDeviceGetUtilizationRates, nvmlDeviceGetTemperature,
    nvmlDeviceGetTemperatureThreshold, nvmlDeviceGetPowerUsage, nvmlDeviceGetEnforcedPowerLimit,
    nvmlDeviceGetFanSpeed, nvmlDeviceGetTotalEnergyConsumption,
    nvmlDeviceGetCurrentClocksThrottleReasons, nvmlDeviceGetSupportedClocksThrottleReasons,
    nvmlDeviceGetClockInfo, nvmlDeviceGetMaxClockInfo, nvmlDeviceGetPerformanceState,
    nvmlDeviceGetFieldValues,
#ifndef FAKE_OLD_DRIVER
    nvmlInit_v2, nvmlDeviceGetCount_v2, nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetPciInfo_v2,
    nvmlDeviceGetPciInfo_v3, nvmlDeviceGetMemoryInfo_v2, nvmlDeviceGetTemperatureV,
    nvmlDeviceGetMarginTemperature, nvmlDeviceGetCurrentClocksEventReasons,
    nvmlDeviceGetSupportedClocksEventReasons,
#endif
};

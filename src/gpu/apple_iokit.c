/* apple_iokit.c: the Apple Silicon GPU through the IORegistry, without root.
 *
 * IOKit and CoreFoundation are loaded at run time through hr__sys.dlopen and
 * their few functions resolved with hr__sys.dlsym against the prototypes
 * declared below, so this file needs no framework headers (and tests drive it
 * on Linux with a fake registry). Sources (peers-and-sources 3.7):
 *
 *   IOServiceMatching("IOAccelerator"), keeping the AGX* classes (Apple GPUs;
 *     the Intel and AMD accelerators of Intel Macs are skipped)
 *   "model" (CFString or CFData, e.g. "Apple M3"), "gpu-core-count" (CFNumber)
 *   "PerformanceStatistics" dict: "Device Utilization %" -> util_ppm,
 *     "In use system memory" (else "Alloc system memory") -> mem_used_bytes
 *
 * mem_total_bytes is the Metal working-set ceiling (hr__apple_gpu_ceiling:
 * iogpu.wired_limit_mb when set, else 2/3 of RAM up to 32 GiB and 3/4 above),
 * re-read on every refresh because the user may raise the wired limit while a
 * job runs. The GPU shares system memory: unified_memory = 1. Temperatures,
 * power, clocks and fans need IOReport or SMC and are HR_WHY_NOT_SUPPORTED here. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/apple.h"
#include "gpu/gpu_backend.h"
#include "sys/sys.h"

/* ---- the IOKit / CoreFoundation ABI subset (local declarations) ----------- */

typedef const void *cf_type;      /* CFTypeRef */
typedef unsigned long cf_type_id; /* CFTypeID */
typedef long cf_index;            /* CFIndex */
typedef unsigned int io_obj;      /* io_object_t, io_iterator_t: mach_port_t */
typedef int io_return;            /* kern_return_t */

#define CF_NUMBER_SINT64 4         /* kCFNumberSInt64Type */
#define CF_STRING_UTF8 0x08000100u /* kCFStringEncodingUTF8 */
#define IO_MAIN_PORT_DEFAULT 0u    /* kIOMainPortDefault (MACH_PORT_NULL) */

#define IOKIT_PATH "/System/Library/Frameworks/IOKit.framework/IOKit"
#define CF_PATH "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"

typedef struct iokit_api {
    void *iokit;
    void *cf;
    void *(*IOServiceMatching)(const char *name);
    io_return (*IOServiceGetMatchingServices)(unsigned int main, void *matching, io_obj *it);
    io_obj (*IOIteratorNext)(io_obj it);
    io_return (*IOObjectGetClass)(io_obj o, char class_name[128]);
    cf_type (*IORegistryEntryCreateCFProperty)(io_obj e, cf_type key, cf_type alloc,
                                               uint32_t options);
    io_return (*IOObjectRelease)(io_obj o);
    cf_type (*CFDictionaryGetValue)(cf_type dict, const void *key);
    unsigned char (*CFNumberGetValue)(cf_type num, cf_index type, void *out);
    cf_type (*CFStringCreateWithCString)(cf_type alloc, const char *s, uint32_t enc);
    unsigned char (*CFStringGetCString)(cf_type s, char *buf, cf_index cap, uint32_t enc);
    const unsigned char *(*CFDataGetBytePtr)(cf_type data);
    cf_index (*CFDataGetLength)(cf_type data);
    cf_type_id (*CFGetTypeID)(cf_type obj);
    cf_type_id (*CFNumberGetTypeID)(void);
    cf_type_id (*CFStringGetTypeID)(void);
    cf_type_id (*CFDataGetTypeID)(void);
    cf_type_id (*CFDictionaryGetTypeID)(void);
    void (*CFRelease)(cf_type obj);
} iokit_api;

/* The property names, created once as CFStrings. */
enum { K_PERF, K_UTIL, K_INUSE, K_ALLOC, K_MODEL, K_CORES, K_COUNT };
static const char *const key_names[K_COUNT] = {
    "PerformanceStatistics",
    "Device Utilization %",
    "In use system memory",
    "Alloc system memory",
    "model",
    "gpu-core-count",
};

#define APPLE_MAX_GPUS 8

typedef struct apple_state {
    iokit_api api;
    cf_type keys[K_COUNT];
    io_obj entries[APPLE_MAX_GPUS];
    int n;
} apple_state;

/* ---- loading -------------------------------------------------------------- */

typedef struct sym_slot {
    void *lib; /* which handle: IOKit or CoreFoundation */
    const char *name;
    void *dst; /* address of the function pointer in iokit_api */
} sym_slot;

/* Resolves every symbol; returns the first missing name or NULL. The
 * void* -> function pointer copy is the POSIX dlsym idiom. */
static const char *resolve_all(iokit_api *a) {
    void *io = a->iokit, *cf = a->cf;
    const sym_slot slots[] = {
        {io, "IOServiceMatching", &a->IOServiceMatching},
        {io, "IOServiceGetMatchingServices", &a->IOServiceGetMatchingServices},
        {io, "IOIteratorNext", &a->IOIteratorNext},
        {io, "IOObjectGetClass", &a->IOObjectGetClass},
        {io, "IORegistryEntryCreateCFProperty", &a->IORegistryEntryCreateCFProperty},
        {io, "IOObjectRelease", &a->IOObjectRelease},
        {cf, "CFDictionaryGetValue", &a->CFDictionaryGetValue},
        {cf, "CFNumberGetValue", &a->CFNumberGetValue},
        {cf, "CFStringCreateWithCString", &a->CFStringCreateWithCString},
        {cf, "CFStringGetCString", &a->CFStringGetCString},
        {cf, "CFDataGetBytePtr", &a->CFDataGetBytePtr},
        {cf, "CFDataGetLength", &a->CFDataGetLength},
        {cf, "CFGetTypeID", &a->CFGetTypeID},
        {cf, "CFNumberGetTypeID", &a->CFNumberGetTypeID},
        {cf, "CFStringGetTypeID", &a->CFStringGetTypeID},
        {cf, "CFDataGetTypeID", &a->CFDataGetTypeID},
        {cf, "CFDictionaryGetTypeID", &a->CFDictionaryGetTypeID},
        {cf, "CFRelease", &a->CFRelease},
    };
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        void *sym = hr__sys.dlsym(slots[i].lib, slots[i].name);
        if (!sym)
            return slots[i].name;
        memcpy(slots[i].dst, &sym, sizeof sym);
    }
    return NULL;
}

static void unload(iokit_api *a) {
    if (a->iokit)
        hr__sys.dlclose(a->iokit);
    if (a->cf)
        hr__sys.dlclose(a->cf);
    a->iokit = a->cf = NULL;
}

static hr_status load(iokit_api *a, char *detail, size_t cap) {
    a->iokit = hr__sys.dlopen(IOKIT_PATH, RTLD_LAZY | RTLD_LOCAL);
    a->cf = a->iokit ? hr__sys.dlopen(CF_PATH, RTLD_LAZY | RTLD_LOCAL) : NULL;
    if (!a->iokit || !a->cf) {
        hr__snprintf(detail, cap, "%s not loadable (not macOS?)",
                     a->iokit ? "CoreFoundation" : "IOKit");
        unload(a);
        return HR_ENOLIB;
    }
    const char *missing = resolve_all(a);
    if (missing) {
        hr__snprintf(detail, cap, "IOKit/CoreFoundation lack %s", missing);
        unload(a);
        return HR_ESYMBOL;
    }
    return HR_OK;
}

/* ---- CF value helpers ----------------------------------------------------- */

static int is_type(const iokit_api *a, cf_type v, cf_type_id (*type)(void)) {
    return v && a->CFGetTypeID(v) == type();
}

/* An integer CFNumber of DICT[KEY]; 0 with nothing set when absent or not a number. */
static int dict_i64(const iokit_api *a, cf_type dict, cf_type key, int64_t *out) {
    cf_type v = a->CFDictionaryGetValue(dict, key);
    if (!is_type(a, v, a->CFNumberGetTypeID))
        return 0;
    return a->CFNumberGetValue(v, CF_NUMBER_SINT64, out) != 0;
}

/* A string property that the registry may hold as CFString or as CFData
 * (device-tree properties are NUL-terminated bytes). */
static void prop_string(const apple_state *st, io_obj e, cf_type key, char *dst, size_t cap) {
    const iokit_api *a = &st->api;
    dst[0] = '\0';
    cf_type v = a->IORegistryEntryCreateCFProperty(e, key, NULL, 0);
    if (!v)
        return;
    if (is_type(a, v, a->CFStringGetTypeID)) {
        if (!a->CFStringGetCString(v, dst, (cf_index)cap, CF_STRING_UTF8))
            dst[0] = '\0';
    } else if (is_type(a, v, a->CFDataGetTypeID)) {
        cf_index n = a->CFDataGetLength(v);
        const unsigned char *b = a->CFDataGetBytePtr(v);
        size_t len = n > 0 && b ? strnlen((const char *)b, (size_t)n) : 0;
        hr__snprintf(dst, cap, "%.*s", (int)(len < cap ? len : cap - 1), (const char *)b);
    }
    a->CFRelease(v);
}

static int prop_i64(const apple_state *st, io_obj e, cf_type key, int64_t *out) {
    const iokit_api *a = &st->api;
    cf_type v = a->IORegistryEntryCreateCFProperty(e, key, NULL, 0);
    if (!v)
        return 0;
    int ok = is_type(a, v, a->CFNumberGetTypeID) && a->CFNumberGetValue(v, CF_NUMBER_SINT64, out);
    a->CFRelease(v);
    return ok;
}

/* ---- discovery ------------------------------------------------------------ */

/* Apple GPUs register as AGXAccelerator subclasses (AGXAcceleratorG13X, ...). */
static int is_apple_gpu(const iokit_api *a, io_obj e) {
    char cls[128] = "";
    return a->IOObjectGetClass(e, cls) == 0 && strncmp(cls, "AGX", 3) == 0;
}

/* Keeps the Apple GPUs among the IOAccelerator services; *others counts the rest. */
static hr_status find_gpus(apple_state *st, int *others, char *detail, size_t cap) {
    iokit_api *a = &st->api;
    io_obj it = 0;
    void *matching = a->IOServiceMatching("IOAccelerator");
    io_return kr =
        matching ? a->IOServiceGetMatchingServices(IO_MAIN_PORT_DEFAULT, matching, &it) : -1;
    if (kr != 0) {
        hr__snprintf(detail, cap, "IOServiceGetMatchingServices(IOAccelerator) failed (%d)", kr);
        return HR_EDRIVER;
    }
    io_obj e;
    while ((e = a->IOIteratorNext(it)) != 0) {
        if (st->n < APPLE_MAX_GPUS && is_apple_gpu(a, e)) {
            st->entries[st->n++] = e;
            continue;
        }
        (*others)++;
        a->IOObjectRelease(e);
    }
    a->IOObjectRelease(it);
    return HR_OK;
}

static void apple_shutdown(void *state) {
    apple_state *st = state;
    if (!st)
        return;
    for (int i = 0; i < st->n; i++)
        st->api.IOObjectRelease(st->entries[i]);
    for (int k = 0; k < K_COUNT; k++)
        if (st->keys[k])
            st->api.CFRelease(st->keys[k]);
    unload(&st->api);
    free(st);
}

static hr_status make_keys(apple_state *st) {
    for (int k = 0; k < K_COUNT; k++) {
        st->keys[k] = st->api.CFStringCreateWithCString(NULL, key_names[k], CF_STRING_UTF8);
        if (!st->keys[k])
            return HR_ENOMEM;
    }
    return HR_OK;
}

static hr_status apple_init(hr_ctx *ctx, void **state, int *ndev, char *detail, size_t cap) {
    (void)ctx;
    *state = NULL;
    *ndev = 0;
    apple_state *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    hr_status s = load(&st->api, detail, cap);
    if (s != HR_OK) {
        free(st);
        return s;
    }
    int others = 0;
    s = make_keys(st);
    if (s == HR_OK)
        s = find_gpus(st, &others, detail, cap);
    if (s == HR_OK && st->n == 0) {
        hr__snprintf(detail, cap, "no Apple GPU among IOAccelerator services (%d other%s)", others,
                     others == 1 ? "" : "s");
        s = HR_ENODEV;
    }
    if (s != HR_OK) {
        apple_shutdown(st);
        return s;
    }
    hr__snprintf(detail, cap, "%d Apple GPU%s via IOAccelerator PerformanceStatistics", st->n,
                 st->n > 1 ? "s" : "");
    *state = st;
    *ndev = st->n;
    return HR_OK;
}

/* ---- reading -------------------------------------------------------------- */

static void mark_not_supported(hr_gpu_info *g) {
    hr_reading ns = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    hr_reading *all[] = {
        &g->mem_util_ppm,     &g->temp_mc,          &g->temp_slowdown_mc,  &g->temp_shutdown_mc,
        &g->temp_max_mc,      &g->temp_margin_mc,   &g->temp_hotspot_mc,   &g->temp_mem_mc,
        &g->power_mw,         &g->power_limit_mw,   &g->energy_mj,         &g->clock_sm_mhz,
        &g->clock_sm_max_mhz, &g->clock_mem_mhz,    &g->clock_mem_max_mhz, &g->pstate,
        &g->fan_pct,          &g->throttle_reasons, &g->throttle_supported};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        *all[i] = ns;
    for (int i = 0; i < HR_TCOUNT_COUNT; i++)
        g->throttle_time_ns[i] = ns;
}

static hr_status apple_read_static(void *state, int dev, hr_gpu_info *g) {
    apple_state *st = state;
    io_obj e = st->entries[dev];
    char model[64];
    int64_t cores = 0;
    g->vendor = HR_GPU_APPLE;
    g->unified_memory = 1;
    hr__strlcpy(g->backend, "apple-iokit", sizeof g->backend);
    prop_string(st, e, st->keys[K_MODEL], model, sizeof model);
    if (!model[0])
        hr__strlcpy(model, "Apple GPU", sizeof model);
    if (prop_i64(st, e, st->keys[K_CORES], &cores) && cores > 0 && cores < 100000)
        hr__snprintf(g->name, sizeof g->name, "%s (%lld-core GPU)", model, (long long)cores);
    else
        hr__strlcpy(g->name, model, sizeof g->name);
    mark_not_supported(g);
    return HR_OK;
}

static void read_usage(const apple_state *st, cf_type perf, hr_gpu_info *g) {
    const iokit_api *a = &st->api;
    int64_t v = 0;
    if (dict_i64(a, perf, st->keys[K_UTIL], &v))
        g->util_ppm = v >= 0 && v <= 100 ? hr__known(v * 10000) : hr__unknown(HR_WHY_UNREADABLE, 0);
    else
        g->util_ppm = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    if (dict_i64(a, perf, st->keys[K_INUSE], &v) || dict_i64(a, perf, st->keys[K_ALLOC], &v))
        g->mem_used_bytes = v >= 0 ? hr__known(v) : hr__unknown(HR_WHY_UNREADABLE, 0);
    else
        g->mem_used_bytes = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
}

static hr_status apple_refresh(void *state, int dev, hr_gpu_info *g) {
    apple_state *st = state;
    const iokit_api *a = &st->api;
    g->mem_total_bytes = hr__apple_gpu_ceiling();
    cf_type perf = a->IORegistryEntryCreateCFProperty(st->entries[dev], st->keys[K_PERF], NULL, 0);
    if (is_type(a, perf, a->CFDictionaryGetTypeID)) {
        read_usage(st, perf, g);
    } else {
        g->util_ppm = hr__unknown(HR_WHY_DRIVER_ERROR, 0);
        g->mem_used_bytes = hr__unknown(HR_WHY_DRIVER_ERROR, 0);
    }
    if (perf)
        a->CFRelease(perf);
    const hr_reading *t = &g->mem_total_bytes, *u = &g->mem_used_bytes;
    if (HR_IS_KNOWN(*t) && HR_IS_KNOWN(*u))
        g->mem_free_bytes = hr__known(t->v > u->v ? t->v - u->v : 0);
    else
        g->mem_free_bytes = HR_IS_KNOWN(*t) ? *u : *t;
    return HR_OK;
}

const hr__gpu_backend hr__gpu_apple_iokit = {
    "apple-iokit", apple_init, apple_read_static, apple_refresh, apple_shutdown,
};

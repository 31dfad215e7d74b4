/* test_apple.c: the macOS rules and readers, run on Linux.
 *
 * The pure rules (working-set ceiling, pressure, thermal pressure, available
 * memory, CPU ticks) are checked at and around their thresholds. The sysctl
 * readers run against a fake sysctlbyname that answers from
 * tests/fixtures/darwin/<scenario>/sysctl.txt (`sysctl` output), available memory
 * from that scenario's vm_stat.txt, and the IOKit GPU backend (compiled into
 * this test, since the library builds it only on macOS) against a fake
 * IOKit/CoreFoundation built from the scenario's ioreg-accelerator.txt. */
/* The backend's file is compiled into this test (below). Its table gets a
 * name of its own so that it never clashes with the library's copy, which
 * macOS builds contain. */
#define hr__gpu_apple_iokit hr__test_apple_iokit

#include "harness/hr_test.h"

#include <errno.h>

#include "core/apple.h"
#include "core/derive.h"
#include "sys/sys.h"

/* The backend under test: its file, with the fake frameworks below. */
#include "gpu/apple_iokit.c"

#define GIB (1LL << 30)
#define MIB (1LL << 20)

/* ---- fake sysctlbyname ----------------------------------------------------- */

typedef struct fake_sysctl {
    char name[64];
    char value[320];
} fake_sysctl;

static fake_sysctl sysctls[64];
static int nsysctls;
static const char *fail_name; /* answer FAIL_ERRNO for this name */
static int fail_errno;
static const char *short_name; /* answer 3 bytes for this name */

static void load_sysctl(const char *scenario) {
    char rel[256], line[256];
    snprintf(rel, sizeof rel, "darwin/%s/sysctl.txt", scenario);
    FILE *f = fopen(hr_test_fixture(rel), "r");
    assert_non_null(f);
    nsysctls = 0;
    fail_name = short_name = NULL;
    while (fgets(line, sizeof line, f) && nsysctls < 64) {
        char *colon = strstr(line, ": ");
        if (!colon)
            continue;
        *colon = '\0';
        char *v = colon + 2;
        v[strcspn(v, "\n")] = '\0';
        snprintf(sysctls[nsysctls].name, sizeof sysctls[0].name, "%s", line);
        snprintf(sysctls[nsysctls].value, sizeof sysctls[0].value, "%s", v);
        nsysctls++;
    }
    fclose(f);
}

static void set_sysctl(const char *name, const char *value) {
    for (int i = 0; i < nsysctls; i++) {
        if (strcmp(sysctls[i].name, name) == 0) {
            snprintf(sysctls[i].value, sizeof sysctls[i].value, "%s", value);
            return;
        }
    }
    snprintf(sysctls[nsysctls].name, sizeof sysctls[0].name, "%s", name);
    snprintf(sysctls[nsysctls].value, sizeof sysctls[0].value, "%s", value);
    nsysctls++;
}

static int is_number(const char *s) {
    if (*s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The kernel's type for each OID: 64-bit quads, struct timeval, struct
 * xsw_usage, strings (with their NUL), else 32-bit int. */
static size_t encode(const char *name, const char *v, unsigned char *out) {
    if (strncmp(v, "{ sec = ", 8) == 0) {
        long long sec = 0;
        int usec = 0;
        assert_int_equal(sscanf(v, "{ sec = %lld, usec = %d }", &sec, &usec), 2);
        int64_t s64 = sec;
        int32_t u32 = usec, pad = 0;
        memcpy(out, &s64, 8);
        memcpy(out + 8, &u32, 4);
        memcpy(out + 12, &pad, 4);
        return 16;
    }
    if (strncmp(v, "total = ", 8) == 0) {
        double t = 0, u = 0, fr = 0;
        assert_int_equal(sscanf(v, "total = %lfM used = %lfM free = %lfM", &t, &u, &fr), 3);
        uint64_t q[3] = {(uint64_t)(t * MIB + 0.5), (uint64_t)(fr * MIB + 0.5),
                         (uint64_t)(u * MIB + 0.5)};
        uint32_t pagesize = 16384;
        int32_t encrypted = strstr(v, "(encrypted)") != NULL;
        memcpy(out, q, 24);
        memcpy(out + 24, &pagesize, 4);
        memcpy(out + 28, &encrypted, 4);
        return 32;
    }
    if (is_number(v)) {
        long long n = strtoll(v, NULL, 10);
        if (!strcmp(name, "hw.memsize") || !strcmp(name, "hw.memsize_usable") ||
            !strcmp(name, "hw.pagesize")) {
            int64_t q = n;
            memcpy(out, &q, 8);
            return 8;
        }
        int32_t i = (int32_t)n;
        memcpy(out, &i, 4);
        return 4;
    }
    size_t n = strlen(v) + 1;
    memcpy(out, v, n);
    return n;
}

static int fake_sysctlbyname(const char *name, void *old, size_t *oldlen, void *new_,
                             size_t newlen) {
    (void)new_;
    (void)newlen;
    if (fail_name && strcmp(name, fail_name) == 0) {
        errno = fail_errno;
        return -1;
    }
    for (int i = 0; i < nsysctls; i++) {
        if (strcmp(sysctls[i].name, name) != 0)
            continue;
        unsigned char buf[512];
        size_t n = encode(name, sysctls[i].value, buf);
        if (short_name && strcmp(name, short_name) == 0)
            n = 3;
        if (!old) {
            *oldlen = n;
            return 0;
        }
        if (*oldlen < n) {
            errno = ENOMEM;
            return -1;
        }
        memcpy(old, buf, n);
        *oldlen = n;
        return 0;
    }
    errno = ENOENT;
    return -1;
}

static void use_scenario(const char *scenario) {
    load_sysctl(scenario);
    hr__sys.sysctlbyname = fake_sysctlbyname;
}

static int teardown(void **state) {
    (void)state;
    hr__sys_reset();
    return 0;
}

/* ---- vm_stat fixture -------------------------------------------------------- */

static uint64_t vm_field(const char *text, const char *key) {
    const char *at = strstr(text, key);
    if (!at)
        fail_msg("vm_stat.txt lacks %s", key);
    return strtoull(at + strlen(key), NULL, 10);
}

/* host_statistics64's counts as vm_stat(1) prints them: its "Pages free" is
 * free_count - speculative_count. */
static hr__apple_vm_pages load_vm_stat(const char *scenario, int64_t *page_size) {
    char rel[256], text[4096];
    snprintf(rel, sizeof rel, "darwin/%s/vm_stat.txt", scenario);
    FILE *f = fopen(hr_test_fixture(rel), "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    *page_size = (int64_t)vm_field(text, "(page size of ");
    hr__apple_vm_pages vm = {0};
    vm.speculative_count = vm_field(text, "Pages speculative:");
    vm.free_count = vm_field(text, "Pages free:") + vm.speculative_count;
    vm.inactive_count = vm_field(text, "Pages inactive:");
    vm.external_page_count = vm_field(text, "File-backed pages:");
    vm.purgeable_count = vm_field(text, "Pages purgeable:");
    return vm;
}

/* ---- pure rules ----------------------------------------------------------- */

static void test_apple_working_set_default_rule(void **state) {
    (void)state;
    /* 2/3 up to 32 GiB: 16 GiB -> 10922.67 MiB, 32 GiB -> 21845.33 MiB. */
    assert_int_equal(hr__apple_working_set_bytes(16 * GIB, 0), 11453246122LL);
    assert_int_equal(hr__apple_working_set_bytes(8 * GIB, 0), 5726623061LL);
    assert_int_equal(hr__apple_working_set_bytes(32 * GIB, 0), 22906492245LL);
    /* 3/4 above: 36 GiB -> 27 GiB, 64 GiB -> 48 GiB, 96 GiB -> 72 GiB. */
    assert_int_equal(hr__apple_working_set_bytes(32 * GIB + 4, 0), 24 * GIB + 3);
    assert_int_equal(hr__apple_working_set_bytes(36 * GIB, 0), 27 * GIB);
    assert_int_equal(hr__apple_working_set_bytes(64 * GIB, 0), 48 * GIB);
    assert_int_equal(hr__apple_working_set_bytes(96 * GIB, 0), 72 * GIB);
    assert_int_equal(hr__apple_working_set_bytes(512 * GIB, 0), 384 * GIB);
    assert_int_equal(hr__apple_working_set_bytes(0, 0), -1);
    assert_int_equal(hr__apple_working_set_bytes(-5, 100), -1);
}

static void test_apple_working_set_wired_limit(void **state) {
    (void)state;
    assert_int_equal(hr__apple_working_set_bytes(96 * GIB, 88000), 88000 * MIB);
    assert_int_equal(hr__apple_working_set_bytes(128 * GIB, 114688), 112 * GIB);
    /* A limit above the RAM is capped; 0 or negative means "default". */
    assert_int_equal(hr__apple_working_set_bytes(16 * GIB, 65536), 16 * GIB);
    assert_int_equal(hr__apple_working_set_bytes(16 * GIB, -1), 11453246122LL);
    assert_int_equal(hr__apple_working_set_bytes(16 * GIB, 1), MIB);
}

static void test_apple_pressure_levels(void **state) {
    (void)state;
    hr_reading none = hr__unknown(HR_WHY_ABSENT, ENOENT);
    assert_known(hr__apple_pressure_from_sysctl(hr__known(1), hr__known(5)), HR_PRESSURE_NORMAL);
    assert_known(hr__apple_pressure_from_sysctl(hr__known(2), hr__known(39)), HR_PRESSURE_WARN);
    /* A warning with 40 % or more free is the latched state: normal. */
    assert_known(hr__apple_pressure_from_sysctl(hr__known(2), hr__known(40)), HR_PRESSURE_NORMAL);
    assert_known(hr__apple_pressure_from_sysctl(hr__known(2), hr__known(46)), HR_PRESSURE_NORMAL);
    assert_known(hr__apple_pressure_from_sysctl(hr__known(2), none), HR_PRESSURE_WARN);
    assert_known(hr__apple_pressure_from_sysctl(hr__known(2), hr__known(101)), HR_PRESSURE_WARN);
    assert_known(hr__apple_pressure_from_sysctl(hr__known(4), hr__known(90)), HR_PRESSURE_CRITICAL);
    assert_unknown(hr__apple_pressure_from_sysctl(hr__known(3), hr__known(50)), HR_WHY_UNREADABLE);
    assert_unknown(hr__apple_pressure_from_sysctl(hr__known(0), hr__known(50)), HR_WHY_UNREADABLE);
    hr_reading r = hr__apple_pressure_from_sysctl(none, hr__known(50));
    assert_unknown(r, HR_WHY_ABSENT);
    assert_int_equal(r.err, ENOENT);
}

static void test_apple_thermal_levels(void **state) {
    (void)state;
    assert_known(hr__apple_thermal_from_notify(0, 0), HR_THERMAL_NOMINAL);
    assert_known(hr__apple_thermal_from_notify(0, 1), HR_THERMAL_MODERATE);
    assert_known(hr__apple_thermal_from_notify(0, 2), HR_THERMAL_HEAVY);
    assert_known(hr__apple_thermal_from_notify(0, 3), HR_THERMAL_TRAPPING);
    assert_known(hr__apple_thermal_from_notify(0, 4), HR_THERMAL_SLEEPING);
    /* The iOS scale (10, 20, ...) or anything else is not a macOS level. */
    assert_unknown(hr__apple_thermal_from_notify(0, 5), HR_WHY_UNREADABLE);
    assert_unknown(hr__apple_thermal_from_notify(0, 30), HR_WHY_UNREADABLE);
    assert_unknown(hr__apple_thermal_from_notify(0, UINT64_MAX), HR_WHY_UNREADABLE);
    hr_reading r = hr__apple_thermal_from_notify(2, 1);
    assert_unknown(r, HR_WHY_DRIVER_ERROR);
    assert_int_equal(r.err, 2);
}

static void test_apple_available_from_vm_stat(void **state) {
    (void)state;
    int64_t page = 0;
    hr__apple_vm_pages vm = load_vm_stat("m3-16gb", &page);
    assert_int_equal(page, 16384);
    /* (14226 free + 4178 speculative) + 242580 file-backed + 6721 purgeable pages. */
    hr_reading r = hr__apple_available_bytes(&vm, page, hr__known(16 * GIB));
    assert_known(r, 267705LL * 16384);
    vm = load_vm_stat("m2-max-96gb-wired-limit", &page);
    assert_known(hr__apple_available_bytes(&vm, page, hr__known(96 * GIB)), 1219467LL * 16384);
    /* Inactive anonymous pages are not available; speculative are counted once. */
    vm.inactive_count += 1000000;
    vm.speculative_count += 1000;
    assert_known(hr__apple_available_bytes(&vm, page, hr__known(96 * GIB)), 1219467LL * 16384);
}

static void test_apple_available_hostile(void **state) {
    (void)state;
    hr__apple_vm_pages vm = {100, 10, 5, 50, 2};
    assert_known(hr__apple_available_bytes(&vm, 4096, hr__unknown(HR_WHY_ABSENT, 0)), 152LL * 4096);
    assert_known(hr__apple_available_bytes(&vm, 4096, hr__known(4096)), 4096);
    assert_unknown(hr__apple_available_bytes(&vm, 0, hr__known(GIB)), HR_WHY_UNREADABLE);
    assert_unknown(hr__apple_available_bytes(&vm, -16384, hr__known(GIB)), HR_WHY_UNREADABLE);
    hr__apple_vm_pages huge = {UINT64_MAX - 1, 0, 0, 5, 0};
    assert_unknown(hr__apple_available_bytes(&huge, 1, hr__known(GIB)), HR_WHY_UNREADABLE);
    hr__apple_vm_pages big = {(uint64_t)1 << 62, 0, 0, 0, 0};
    assert_unknown(hr__apple_available_bytes(&big, 16384, hr__known(GIB)), HR_WHY_UNREADABLE);
}

static void test_apple_cpu_ticks(void **state) {
    (void)state;
    hr__apple_ticks a[2] = {{{100, 50, 800, 50}}, {{0, 0, 0, 0}}};
    hr__apple_ticks b[2] = {{{160, 70, 900, 70}}, {{10, 10, 80, 0}}};
    /* cpu0: busy 60 + 20 + 20 = 100 of 200 ticks. */
    assert_known(hr__apple_util_ppm(&a[0], &b[0], 1), 500000);
    /* Both: busy 100 + 20 of 300. */
    assert_known(hr__apple_util_ppm(a, b, 2), 400000);
    /* 32-bit counters wrap: 4294967290 -> 4 is 10 ticks. */
    hr__apple_ticks w0 = {{4294967290u, 0, 4294967295u, 0}}, w1 = {{4, 0, 9, 0}};
    assert_known(hr__apple_util_ppm(&w0, &w1, 1), 10 * 1000000 / 20);
    assert_unknown(hr__apple_util_ppm(&b[0], &b[0], 1), HR_WHY_NEEDS_INTERVAL);
    assert_unknown(hr__apple_util_ppm(a, b, 0), HR_WHY_NEEDS_INTERVAL);
}

/* ---- sysctl readers --------------------------------------------------------- */

#define M3_BOOT_NS (1716200000LL * 1000000000 + 512345000LL)

static void test_apple_host_from_sysctl(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    hr_host_info h;
    memset(&h, 0, sizeof h);
    hr_why why = HR_WHY_LAST;
    char detail[160];
    hr_source_state s =
        hr__apple_host_read(&h, M3_BOOT_NS + 3600LL * 1000000000, &why, detail, sizeof detail);
    assert_int_equal(s, HR_SOURCE_ANSWERED);
    assert_int_equal(why, HR_WHY_KNOWN);
    assert_string_equal(h.os, "macos");
    assert_string_equal(h.os_release, "14.5");
    assert_string_equal(h.kernel, "23.5.0");
    assert_string_equal(h.arch, "arm64");
    assert_string_equal(h.hostname, "Annas-MacBook-Pro.local");
    assert_string_equal(h.machine_model, "Mac15,3");
    assert_string_equal(h.cpu_model, "Apple M3");
    assert_known(h.cpus_logical, 8);
    assert_known(h.cores_physical, 8);
    assert_known(h.packages, 1);
    assert_known(h.cores_performance, 4);
    assert_known(h.cores_efficiency, 4);
    assert_known(h.uptime_ns, 3600LL * 1000000000);
    assert_non_null(strstr(detail, "Mac15,3"));
    assert_non_null(strstr(detail, "Apple M3"));
}

static void test_apple_mem_from_sysctl(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    hr_mem_info m;
    memset(&m, 0, sizeof m);
    hr__apple_mem_read(&m);
    assert_known(m.total_bytes, 16 * GIB);
    assert_known(m.swap_total_bytes, 2048 * MIB);
    assert_known(m.swap_free_bytes, 966524928LL); /* 921.75 MiB */
    assert_known(m.vm_pressure_level, 1);
    assert_known(m.memorystatus_level, 38);
    assert_known(m.pressure_level, HR_PRESSURE_NORMAL);
    assert_unknown(m.cgroup_limit_bytes, HR_WHY_NOT_APPLICABLE);
    assert_unknown(m.psi_memory.some_avg10_ppm, HR_WHY_NOT_APPLICABLE);
    assert_unknown(m.psi_io.some_total_us, HR_WHY_NOT_APPLICABLE);
    assert_int_equal(m.cgroup_version, 0);
    assert_known(hr__apple_gpu_ceiling(), 11453246122LL);
    assert_known(hr__apple_sysctl_int("hw.pagesize"), 16384);
}

static void test_apple_wired_limit_and_latched_warning(void **state) {
    (void)state;
    use_scenario("m2-max-96gb-wired-limit");
    assert_known(hr__apple_gpu_ceiling(), 88000 * MIB);
    hr_mem_info m;
    memset(&m, 0, sizeof m);
    hr__apple_mem_read(&m);
    assert_known(m.total_bytes, 96 * GIB);
    assert_known(m.swap_total_bytes, 0);
    assert_known(m.vm_pressure_level, 2);
    assert_known(m.memorystatus_level, 46);
    assert_known(m.pressure_level, HR_PRESSURE_NORMAL);
    /* The same warning with little free memory is believed. */
    set_sysctl("kern.memorystatus_level", "12");
    hr__apple_mem_read(&m);
    assert_known(m.pressure_level, HR_PRESSURE_WARN);
    /* The user puts the limit back to the default: the default rule, 3/4 of 96 GiB. */
    set_sysctl("iogpu.wired_limit_mb", "0");
    assert_known(hr__apple_gpu_ceiling(), 72 * GIB);
}

static void test_apple_sysctl_absent_and_hostile(void **state) {
    (void)state;
    /* Linux without a fake: nothing to ask. */
    hr__sys.sysctlbyname = NULL;
    assert_unknown(hr__apple_sysctl_int("hw.memsize"), HR_WHY_NOT_APPLICABLE);
    char buf[32];
    int err = 0;
    assert_int_equal(hr__apple_sysctl_string("hw.model", buf, sizeof buf, &err), HR_ENOTSUP);
    assert_string_equal(buf, "");
    use_scenario("m3-16gb");
    /* Intel Mac: no perflevels, and no wired-limit sysctl before macOS 14. */
    fail_name = "hw.perflevel0.physicalcpu";
    fail_errno = ENOENT;
    hr_host_info h;
    memset(&h, 0, sizeof h);
    hr_why why;
    char detail[160];
    assert_int_equal(hr__apple_host_read(&h, M3_BOOT_NS + 1, &why, detail, sizeof detail),
                     HR_SOURCE_ANSWERED);
    hr_reading r = h.cores_performance;
    assert_unknown(r, HR_WHY_ABSENT);
    assert_int_equal(r.err, ENOENT);
    fail_name = "iogpu.wired_limit_mb";
    assert_known(hr__apple_gpu_ceiling(), 11453246122LL);
    /* Denied, wrong size, out of range, in the future. */
    fail_name = "hw.memsize";
    fail_errno = EPERM;
    assert_unknown(hr__apple_sysctl_int("hw.memsize"), HR_WHY_NO_PERMISSION);
    assert_unknown(hr__apple_gpu_ceiling(), HR_WHY_NO_PERMISSION);
    fail_name = NULL;
    short_name = "hw.memsize";
    assert_unknown(hr__apple_sysctl_int("hw.memsize"), HR_WHY_UNREADABLE);
    short_name = "vm.swapusage";
    hr_mem_info m;
    memset(&m, 0, sizeof m);
    hr__apple_mem_read(&m);
    assert_unknown(m.swap_total_bytes, HR_WHY_UNREADABLE);
    assert_unknown(m.swap_free_bytes, HR_WHY_UNREADABLE);
    short_name = NULL;
    set_sysctl("kern.memorystatus_level", "150");
    set_sysctl("kern.memorystatus_vm_pressure_level", "8");
    hr__apple_mem_read(&m);
    assert_unknown(m.memorystatus_level, HR_WHY_UNREADABLE);
    assert_unknown(m.pressure_level, HR_WHY_UNREADABLE);
    assert_unknown(hr__apple_uptime_ns(M3_BOOT_NS - 1), HR_WHY_UNREADABLE);
    set_sysctl("hw.physicalcpu", "0");
    set_sysctl("hw.model", "");
    memset(&h, 0, sizeof h);
    assert_int_equal(hr__apple_host_read(&h, M3_BOOT_NS + 1, &why, detail, sizeof detail),
                     HR_SOURCE_PARTIAL);
    assert_unknown(h.cores_physical, HR_WHY_UNREADABLE);
    assert_string_equal(h.machine_model, "");
    /* A string longer than the caller's buffer is truncated; one longer than the
     * reader's 256 bytes is the kernel's ENOMEM, reported, never half-read. */
    set_sysctl("kern.hostname", "a-rather-long-hostname-for-a-laptop.example.org");
    assert_int_equal(hr__apple_sysctl_string("kern.hostname", buf, sizeof buf, &err), HR_OK);
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_memory_equal(buf, "a-rather-long-hostname-for-a-la", sizeof buf - 1);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    set_sysctl("kern.hostname", longname);
    assert_int_equal(hr__apple_sysctl_string("kern.hostname", buf, sizeof buf, &err), HR_EIO);
    assert_int_equal(err, ENOMEM);
    assert_string_equal(buf, "");
}

/* ---- fake IOKit and CoreFoundation ------------------------------------------- */

enum { F_STR = 1, F_NUM, F_DICT, F_DATA };

typedef struct fobj {
    int kind;
    int refs;
    int heap;
    char s[96]; /* string, or data bytes */
    size_t len; /* data length */
    int64_t num;
    int n;
    char keys[16][48];
    struct fobj *vals[16];
} fobj;

typedef struct fentry {
    char cls[64];
    fobj props;
} fentry;

static fobj pool[128];
static int npool;
static fentry entries[4];
static int nentries;
static int cursor;
static int live_heap; /* CF objects created by the code and not yet released */
static int live_io;   /* io objects handed out and not yet released */
static int dl_open;   /* handles opened and not yet closed */
static const char *missing_symbol;
static int dlopen_fails;

static fobj *new_static(int kind) {
    assert_true(npool < 128);
    fobj *o = &pool[npool++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->refs = 1;
    return o;
}

static void dict_put(fobj *d, const char *key, fobj *v) {
    assert_true(d->n < 16);
    snprintf(d->keys[d->n], sizeof d->keys[0], "%s", key);
    d->vals[d->n++] = v;
}

static fobj *dict_find(const fobj *d, const char *key) {
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->keys[i], key) == 0)
            return d->vals[i];
    return NULL;
}

static fobj *num_obj(int64_t v) {
    fobj *o = new_static(F_NUM);
    o->num = v;
    return o;
}

static fobj *str_obj(const char *s) {
    fobj *o = new_static(F_STR);
    snprintf(o->s, sizeof o->s, "%s", s);
    return o;
}

static fentry *add_entry(const char *cls) {
    assert_true(nentries < 4);
    fentry *e = &entries[nentries++];
    memset(e, 0, sizeof *e);
    snprintf(e->cls, sizeof e->cls, "%s", cls);
    e->props.kind = F_DICT;
    e->props.refs = 1;
    return e;
}

/* Parses `"k"=v,"k2"=v2` (numbers or strings) of an ioreg inline dictionary. */
static void parse_inline_dict(fobj *d, const char *s) {
    while ((s = strchr(s, '"')) != NULL) {
        char key[48];
        const char *end = strchr(s + 1, '"');
        assert_non_null(end);
        snprintf(key, sizeof key, "%.*s", (int)(end - s - 1), s + 1);
        s = end + 2; /* past `"=` */
        if (*s == '"') {
            end = strchr(s + 1, '"');
            char v[96];
            snprintf(v, sizeof v, "%.*s", (int)(end - s - 1), s + 1);
            dict_put(d, key, str_obj(v));
            s = end + 1;
        } else {
            dict_put(d, key, num_obj(strtoll(s, (char **)&s, 10)));
        }
    }
}

/* Builds the fake registry from an `ioreg -r -c IOAccelerator -l` excerpt. */
static void load_ioreg(const char *scenario) {
    char rel[256], line[1024];
    snprintf(rel, sizeof rel, "darwin/%s/ioreg-accelerator.txt", scenario);
    FILE *f = fopen(hr_test_fixture(rel), "r");
    assert_non_null(f);
    fentry *e = NULL;
    while (fgets(line, sizeof line, f)) {
        char *cls = strstr(line, "<class ");
        if (strstr(line, "+-o ") && cls) {
            cls += 7;
            cls[strcspn(cls, ",")] = '\0';
            e = add_entry(cls);
            continue;
        }
        char *q = strchr(line, '"');
        char *eq = strstr(line, "\" = ");
        if (!e || !q || !eq)
            continue;
        char key[48];
        snprintf(key, sizeof key, "%.*s", (int)(eq - q - 1), q + 1);
        const char *v = eq + 4;
        if (*v == '{') {
            fobj *d = new_static(F_DICT);
            parse_inline_dict(d, v + 1);
            dict_put(&e->props, key, d);
        } else if (*v == '"') {
            char s[96];
            snprintf(s, sizeof s, "%.*s", (int)strcspn(v + 1, "\""), v + 1);
            dict_put(&e->props, key, str_obj(s));
        } else {
            dict_put(&e->props, key, num_obj(strtoll(v, NULL, 10)));
        }
    }
    fclose(f);
}

static void reset_registry(void) {
    npool = nentries = cursor = live_heap = live_io = dl_open = 0;
    missing_symbol = NULL;
    dlopen_fails = 0;
}

static void *f_IOServiceMatching(const char *name) {
    assert_string_equal(name, "IOAccelerator");
    fobj *o = calloc(1, sizeof *o);
    o->kind = F_DICT;
    o->refs = 1;
    o->heap = 1;
    live_heap++;
    return o;
}

static void f_CFRelease(cf_type v) {
    fobj *o = (fobj *)v;
    assert_true(o->refs > 0);
    if (--o->refs == 0 && o->heap) {
        live_heap--;
        free(o);
    }
}

static io_return f_IOServiceGetMatchingServices(unsigned int main_port, void *matching,
                                                io_obj *it) {
    assert_int_equal(main_port, 0);
    f_CFRelease(matching); /* consumed, as IOKit does */
    cursor = 0;
    *it = 1000;
    live_io++;
    return 0;
}

static io_obj f_IOIteratorNext(io_obj it) {
    assert_int_equal(it, 1000);
    if (cursor >= nentries)
        return 0;
    live_io++;
    return (io_obj)++cursor;
}

static io_return f_IOObjectGetClass(io_obj o, char name[128]) {
    assert_true(o >= 1 && (int)o <= nentries);
    snprintf(name, 128, "%s", entries[o - 1].cls);
    return 0;
}

static io_return f_IOObjectRelease(io_obj o) {
    (void)o;
    live_io--;
    return 0;
}

static cf_type f_IORegistryEntryCreateCFProperty(io_obj e, cf_type key, cf_type alloc,
                                                 uint32_t opts) {
    (void)alloc;
    (void)opts;
    assert_true(e >= 1 && (int)e <= nentries);
    fobj *v = dict_find(&entries[e - 1].props, ((const fobj *)key)->s);
    if (v)
        v->refs++;
    return v;
}

static cf_type f_CFDictionaryGetValue(cf_type d, const void *key) {
    return dict_find((const fobj *)d, ((const fobj *)key)->s);
}

static unsigned char f_CFNumberGetValue(cf_type n, cf_index type, void *out) {
    assert_int_equal(type, CF_NUMBER_SINT64);
    int64_t v = ((const fobj *)n)->num;
    memcpy(out, &v, sizeof v);
    return 1;
}

static cf_type f_CFStringCreateWithCString(cf_type alloc, const char *s, uint32_t enc) {
    (void)alloc;
    assert_int_equal(enc, CF_STRING_UTF8);
    fobj *o = calloc(1, sizeof *o);
    o->kind = F_STR;
    o->refs = 1;
    o->heap = 1;
    snprintf(o->s, sizeof o->s, "%s", s);
    live_heap++;
    return o;
}

static unsigned char f_CFStringGetCString(cf_type s, char *buf, cf_index cap, uint32_t enc) {
    (void)enc;
    const fobj *o = s;
    if ((cf_index)strlen(o->s) >= cap)
        return 0;
    snprintf(buf, (size_t)cap, "%s", o->s);
    return 1;
}

static const unsigned char *f_CFDataGetBytePtr(cf_type d) {
    return (const unsigned char *)((const fobj *)d)->s;
}

static cf_index f_CFDataGetLength(cf_type d) { return (cf_index)((const fobj *)d)->len; }
static cf_type_id f_CFGetTypeID(cf_type o) { return (cf_type_id)((const fobj *)o)->kind; }
static cf_type_id f_CFNumberGetTypeID(void) { return F_NUM; }
static cf_type_id f_CFStringGetTypeID(void) { return F_STR; }
static cf_type_id f_CFDataGetTypeID(void) { return F_DATA; }
static cf_type_id f_CFDictionaryGetTypeID(void) { return F_DICT; }

static const struct {
    const char *name;
    void *fn;
} fake_syms[] = {
    {"IOServiceMatching", (void *)f_IOServiceMatching},
    {"IOServiceGetMatchingServices", (void *)f_IOServiceGetMatchingServices},
    {"IOIteratorNext", (void *)f_IOIteratorNext},
    {"IOObjectGetClass", (void *)f_IOObjectGetClass},
    {"IORegistryEntryCreateCFProperty", (void *)f_IORegistryEntryCreateCFProperty},
    {"IOObjectRelease", (void *)f_IOObjectRelease},
    {"CFDictionaryGetValue", (void *)f_CFDictionaryGetValue},
    {"CFNumberGetValue", (void *)f_CFNumberGetValue},
    {"CFStringCreateWithCString", (void *)f_CFStringCreateWithCString},
    {"CFStringGetCString", (void *)f_CFStringGetCString},
    {"CFDataGetBytePtr", (void *)f_CFDataGetBytePtr},
    {"CFDataGetLength", (void *)f_CFDataGetLength},
    {"CFGetTypeID", (void *)f_CFGetTypeID},
    {"CFNumberGetTypeID", (void *)f_CFNumberGetTypeID},
    {"CFStringGetTypeID", (void *)f_CFStringGetTypeID},
    {"CFDataGetTypeID", (void *)f_CFDataGetTypeID},
    {"CFDictionaryGetTypeID", (void *)f_CFDictionaryGetTypeID},
    {"CFRelease", (void *)f_CFRelease},
};

static int handle_iokit, handle_cf;

static void *fake_dlopen(const char *file, int mode) {
    (void)mode;
    if (dlopen_fails)
        return NULL;
    if (strcmp(file, IOKIT_PATH) == 0) {
        dl_open++;
        return &handle_iokit;
    }
    if (strcmp(file, CF_PATH) == 0) {
        dl_open++;
        return &handle_cf;
    }
    return NULL;
}

static void *fake_dlsym(void *handle, const char *name) {
    int io = strncmp(name, "IO", 2) == 0;
    assert_ptr_equal(handle, io ? (void *)&handle_iokit : (void *)&handle_cf);
    if (missing_symbol && strcmp(name, missing_symbol) == 0)
        return NULL;
    for (size_t i = 0; i < sizeof fake_syms / sizeof fake_syms[0]; i++)
        if (strcmp(fake_syms[i].name, name) == 0)
            return fake_syms[i].fn;
    return NULL;
}

static int fake_dlclose(void *handle) {
    (void)handle;
    dl_open--;
    return 0;
}

static void use_fake_iokit(const char *scenario) {
    reset_registry();
    if (scenario)
        load_ioreg(scenario);
    hr__sys.dlopen = fake_dlopen;
    hr__sys.dlsym = fake_dlsym;
    hr__sys.dlclose = fake_dlclose;
}

/* Everything the backend created, retained or opened was given back. */
static void assert_all_released(void) {
    assert_int_equal(live_heap, 0);
    assert_int_equal(live_io, 0);
    assert_int_equal(dl_open, 0);
    for (int i = 0; i < npool; i++)
        assert_int_equal(pool[i].refs, 1);
}

/* Runs the backend like gpu.c does: init, static, refresh. */
static void *open_gpu(hr_gpu_info *g, int expect_ndev) {
    void *st = NULL;
    int ndev = -1;
    char detail[160] = "";
    assert_int_equal(hr__gpu_apple_iokit.init(NULL, &st, &ndev, detail, sizeof detail), HR_OK);
    assert_int_equal(ndev, expect_ndev);
    memset(g, 0, sizeof *g);
    assert_int_equal(hr__gpu_apple_iokit.read_static(st, 0, g), HR_OK);
    assert_int_equal(hr__gpu_apple_iokit.refresh(st, 0, g), HR_OK);
    return st;
}

static void test_apple_iokit_m3(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    use_fake_iokit("m3-16gb");
    hr_gpu_info g;
    void *st = open_gpu(&g, 1);
    assert_string_equal(g.backend, "apple-iokit");
    assert_string_equal(g.name, "Apple M3 (10-core GPU)");
    assert_int_equal(g.vendor, HR_GPU_APPLE);
    assert_int_equal(g.unified_memory, 1);
    assert_known(g.util_ppm, 230000);
    assert_known(g.mem_used_bytes, 1711276032LL); /* "In use", not "Alloc" */
    assert_known(g.mem_total_bytes, 11453246122LL);
    assert_known(g.mem_free_bytes, 11453246122LL - 1711276032LL);
    assert_unknown(g.temp_mc, HR_WHY_NOT_SUPPORTED);
    assert_unknown(g.power_mw, HR_WHY_NOT_SUPPORTED);
    assert_unknown(g.throttle_reasons, HR_WHY_NOT_SUPPORTED);
    /* A refresh after the user raised the wired limit sees the new ceiling. */
    set_sysctl("iogpu.wired_limit_mb", "12288");
    assert_int_equal(hr__gpu_apple_iokit.refresh(st, 0, &g), HR_OK);
    assert_known(g.mem_total_bytes, 12 * GIB);
    hr__gpu_apple_iokit.shutdown(st);
    assert_all_released();
}

/* The accelerator the core derives from the M3's GPU, memory and pressure. */
static void test_apple_accel_is_mps(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    use_fake_iokit("m3-16gb");
    hr_gpu_info g;
    void *st = open_gpu(&g, 1);
    hr_probe p;
    memset(&p, 0, sizeof p);
    hr__apple_mem_read(&p.mem);
    int64_t page = 0;
    hr__apple_vm_pages vm = load_vm_stat("m3-16gb", &page);
    p.mem.available_bytes = hr__apple_available_bytes(&vm, page, p.mem.total_bytes);
    p.gpus = &g;
    p.ngpus = 1;
    hr__derive_accel(&p);
    assert_int_equal(p.accel.kind, HR_ACCEL_MPS);
    assert_string_equal(p.accel.torch_device, "mps");
    assert_int_equal(p.accel.unified_memory, 1);
    assert_int_equal(p.accel.gpu_index, 0);
    assert_known(p.accel.ceiling_bytes, 11453246122LL);
    /* Ceiling less GPU use is 9.07 GiB, but only 4.08 GiB is available. */
    assert_known(p.accel.budget_bytes, 267705LL * 16384);
    /* Warning pressure tempers the budget by a quarter. */
    p.mem.pressure_level = hr__known(HR_PRESSURE_WARN);
    hr__derive_accel(&p);
    assert_known(p.accel.budget_bytes, 267705LL * 16384 / 4 * 3);
    hr__gpu_apple_iokit.shutdown(st);
    assert_all_released();
}

static void test_apple_iokit_m2_max_wired_limit(void **state) {
    (void)state;
    use_scenario("m2-max-96gb-wired-limit");
    use_fake_iokit("m2-max-96gb-wired-limit");
    hr_gpu_info g;
    void *st = open_gpu(&g, 1);
    assert_string_equal(g.name, "Apple M2 Max (38-core GPU)");
    assert_known(g.util_ppm, 970000);
    assert_known(g.mem_total_bytes, 88000 * MIB);
    assert_known(g.mem_used_bytes, 69793218560LL);
    assert_known(g.mem_free_bytes, 88000 * MIB - 69793218560LL);
    hr_probe p;
    memset(&p, 0, sizeof p);
    hr__apple_mem_read(&p.mem);
    int64_t page = 0;
    hr__apple_vm_pages vm = load_vm_stat("m2-max-96gb-wired-limit", &page);
    p.mem.available_bytes = hr__apple_available_bytes(&vm, page, p.mem.total_bytes);
    p.gpus = &g;
    p.ngpus = 1;
    hr__derive_accel(&p);
    /* The latched warning (46 % free) does not temper: ceiling room 20.9 GiB,
     * available 18.6 GiB. */
    assert_known(p.accel.budget_bytes, 1219467LL * 16384);
    hr__gpu_apple_iokit.shutdown(st);
    assert_all_released();
}

static void test_apple_iokit_not_a_mac(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    use_fake_iokit("m3-16gb");
    dlopen_fails = 1;
    void *st = (void *)1;
    int ndev = -1;
    char detail[160] = "";
    assert_int_equal(hr__gpu_apple_iokit.init(NULL, &st, &ndev, detail, sizeof detail), HR_ENOLIB);
    assert_null(st);
    assert_int_equal(ndev, 0);
    assert_non_null(strstr(detail, "IOKit"));
    assert_all_released();
    use_fake_iokit("m3-16gb");
    missing_symbol = "CFDataGetLength";
    assert_int_equal(hr__gpu_apple_iokit.init(NULL, &st, &ndev, detail, sizeof detail), HR_ESYMBOL);
    assert_non_null(strstr(detail, "CFDataGetLength"));
    assert_all_released();
}

static void test_apple_iokit_intel_mac_has_no_apple_gpu(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    use_fake_iokit(NULL);
    add_entry("IntelAccelerator");
    add_entry("AMDRadeonX6000_AMDNavi14GraphicsAccelerator");
    void *st = NULL;
    int ndev = -1;
    char detail[160] = "";
    assert_int_equal(hr__gpu_apple_iokit.init(NULL, &st, &ndev, detail, sizeof detail), HR_ENODEV);
    assert_non_null(strstr(detail, "2 others"));
    assert_all_released();
}

static void test_apple_iokit_hostile_registry(void **state) {
    (void)state;
    use_scenario("m3-16gb");
    use_fake_iokit(NULL);
    fentry *e = add_entry("AGXAcceleratorG13G");
    fobj *model = new_static(F_DATA); /* device-tree bytes, no NUL within length */
    memcpy(model->s, "Apple M1XYZ", 11);
    model->len = 8;
    dict_put(&e->props, "model", model);
    dict_put(&e->props, "gpu-core-count", str_obj("eight"));
    fobj *perf = new_static(F_DICT);
    dict_put(perf, "Device Utilization %", num_obj(150));
    dict_put(perf, "Alloc system memory", num_obj(2 * GIB));
    dict_put(&e->props, "PerformanceStatistics", perf);
    hr_gpu_info g;
    void *st = open_gpu(&g, 1);
    assert_string_equal(g.name, "Apple M1");
    assert_unknown(g.util_ppm, HR_WHY_UNREADABLE);
    /* No "In use system memory": "Alloc system memory" answers. */
    assert_known(g.mem_used_bytes, 2 * GIB);
    /* PerformanceStatistics gone (or not a dictionary): a driver error, not zero. */
    snprintf(e->props.keys[2], sizeof e->props.keys[2], "Gone");
    assert_int_equal(hr__gpu_apple_iokit.refresh(st, 0, &g), HR_OK);
    assert_unknown(g.util_ppm, HR_WHY_DRIVER_ERROR);
    assert_unknown(g.mem_used_bytes, HR_WHY_DRIVER_ERROR);
    assert_unknown(g.mem_free_bytes, HR_WHY_DRIVER_ERROR);
    assert_known(g.mem_total_bytes, 11453246122LL);
    snprintf(e->props.keys[2], sizeof e->props.keys[2], "PerformanceStatistics");
    e->props.vals[2] = str_obj("not a dict");
    assert_int_equal(hr__gpu_apple_iokit.refresh(st, 0, &g), HR_OK);
    assert_unknown(g.util_ppm, HR_WHY_DRIVER_ERROR);
    /* Neither memory key, and memory above the ceiling. */
    e->props.vals[2] = perf;
    perf->n = 0;
    dict_put(perf, "In use system memory", num_obj(13 * GIB));
    assert_int_equal(hr__gpu_apple_iokit.refresh(st, 0, &g), HR_OK);
    assert_unknown(g.util_ppm, HR_WHY_NOT_SUPPORTED);
    assert_known(g.mem_free_bytes, 0);
    /* No hw.memsize: the ceiling is unknown with its reason. */
    fail_name = "hw.memsize";
    fail_errno = EPERM;
    assert_int_equal(hr__gpu_apple_iokit.refresh(st, 0, &g), HR_OK);
    assert_unknown(g.mem_total_bytes, HR_WHY_NO_PERMISSION);
    assert_unknown(g.mem_free_bytes, HR_WHY_NO_PERMISSION);
    hr__gpu_apple_iokit.shutdown(st);
    assert_all_released();
    /* No model at all. */
    use_fake_iokit(NULL);
    add_entry("AGXAcceleratorG16X");
    st = open_gpu(&g, 1);
    assert_string_equal(g.name, "Apple GPU");
    assert_unknown(g.util_ppm, HR_WHY_DRIVER_ERROR);
    hr__gpu_apple_iokit.shutdown(st);
    assert_all_released();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_apple_working_set_default_rule, teardown),
        cmocka_unit_test_teardown(test_apple_working_set_wired_limit, teardown),
        cmocka_unit_test_teardown(test_apple_pressure_levels, teardown),
        cmocka_unit_test_teardown(test_apple_thermal_levels, teardown),
        cmocka_unit_test_teardown(test_apple_available_from_vm_stat, teardown),
        cmocka_unit_test_teardown(test_apple_available_hostile, teardown),
        cmocka_unit_test_teardown(test_apple_cpu_ticks, teardown),
        cmocka_unit_test_teardown(test_apple_host_from_sysctl, teardown),
        cmocka_unit_test_teardown(test_apple_mem_from_sysctl, teardown),
        cmocka_unit_test_teardown(test_apple_wired_limit_and_latched_warning, teardown),
        cmocka_unit_test_teardown(test_apple_sysctl_absent_and_hostile, teardown),
        cmocka_unit_test_teardown(test_apple_iokit_m3, teardown),
        cmocka_unit_test_teardown(test_apple_accel_is_mps, teardown),
        cmocka_unit_test_teardown(test_apple_iokit_m2_max_wired_limit, teardown),
        cmocka_unit_test_teardown(test_apple_iokit_not_a_mac, teardown),
        cmocka_unit_test_teardown(test_apple_iokit_intel_mac_has_no_apple_gpu, teardown),
        cmocka_unit_test_teardown(test_apple_iokit_hostile_registry, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

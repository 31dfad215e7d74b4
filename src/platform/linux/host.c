/* host.c: static host facts on Linux: kernel, hostname, architecture,
 * distribution, machine model, CPU model and topology, uptime.
 *
 * Everything is read once, relative to the context root. uname() is asked
 * only when the root is "/" (a fixture or container root must never be
 * described by the machine running the tests). */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "platform/linux/linux.h"
#include "platform/linux/lx_parse.h"
#include "platform/linux/lx_util.h"

/* /proc/cpuinfo is about 1.5 KB per logical CPU on x86; 1 MiB covers the
 * largest machines we expect (about 700 CPUs) without truncating. */
#define CPUINFO_CAP (1u << 20)

/* ---- CPU list parser (sys/devices/system/cpu/online) -------------------- */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parses a CPU number at *p (before END); advances *p. */
static int parse_cpu_num(const char **p, const char *end, int32_t *out) {
    const char *s = *p;
    while (*p < end && is_digit(**p))
        (*p)++;
    int64_t v;
    if (*p == s || (size_t)(*p - s) > 5 || hr__parse_i64(s, (size_t)(*p - s), &v) != HR_OK ||
        v > HR__LX_CPU_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

hr_status hr__lx_parse_cpu_list(const char *s, size_t n, int32_t *cpus, size_t cap,
                                size_t *count) {
    if (!s || !count)
        return HR_EINVAL;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\0'))
        n--;
    const char *p = s, *end = s + n;
    size_t got = 0;
    int32_t prev_hi = -1;
    while (p < end) {
        int32_t lo, hi;
        if (parse_cpu_num(&p, end, &lo) != 0)
            return HR_EPARSE;
        hi = lo;
        if (p < end && *p == '-') {
            p++;
            if (parse_cpu_num(&p, end, &hi) != 0)
                return HR_EPARSE;
        }
        if (hi < lo || lo <= prev_hi)
            return HR_EPARSE;
        for (int32_t c = lo; c <= hi; c++, got++)
            if (got < cap && cpus)
                cpus[got] = c;
        prev_hi = hi;
        if (p < end && (*p != ',' || ++p == end))
            return HR_EPARSE;
    }
    if (got == 0)
        return HR_EPARSE;
    *count = got;
    return HR_OK;
}

/* ---- small text helpers -------------------------------------------------- */

/* Finds "KEY<blanks>: value" (cpuinfo style) at or after *pos; copies the
 * value into DST and moves *pos past the line. Returns 1 when found. */
static int cpuinfo_next(const char *buf, size_t n, size_t *pos, const char *key, char *dst,
                        size_t cap) {
    size_t klen = strlen(key);
    while (*pos < n) {
        const char *line = buf + *pos;
        const char *nl = memchr(line, '\n', n - *pos);
        size_t len = nl ? (size_t)(nl - line) : n - *pos;
        *pos += len + 1;
        if (len <= klen || memcmp(line, key, klen) != 0)
            continue;
        size_t i = klen;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len || line[i] != ':')
            continue;
        hr__copy_line(dst, cap, line + i + 1, len - i - 1);
        return 1;
    }
    return 0;
}

static int cpuinfo_first(const char *buf, size_t n, const char *key, char *dst, size_t cap) {
    size_t pos = 0;
    return cpuinfo_next(buf, n, &pos, key, dst, cap);
}

/* Copies the value of KEY= from an os-release file, without its quotes. */
static int os_release_value(const char *buf, size_t n, const char *key, char *dst, size_t cap) {
    size_t klen = strlen(key);
    for (const char *p = buf; p < buf + n;) {
        const char *nl = memchr(p, '\n', (size_t)(buf + n - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(buf + n - p);
        if (len > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1;
            size_t vlen = len - klen - 1;
            if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
                v++;
                vlen -= 2;
            }
            size_t o = 0;
            for (size_t i = 0; i < vlen && o + 1 < cap; i++) {
                if (v[i] == '\\' && i + 1 < vlen)
                    i++;
                dst[o++] = v[i];
            }
            dst[o] = '\0';
            return o > 0;
        }
        p += len + 1;
    }
    return 0;
}

/* ---- the facts ----------------------------------------------------------- */

static int root_is_host(const hr_ctx *ctx) { return strcmp(ctx->root, "/") == 0; }

static void read_names(hr_ctx *ctx, hr_host_info *h, hr__lx_tally *t) {
    hr__strlcpy(h->os, "linux", sizeof h->os);
    int e1 = hr__lx_read_line(ctx, "proc/sys/kernel/osrelease", h->kernel, sizeof h->kernel);
    int e2 = hr__lx_read_line(ctx, "proc/sys/kernel/hostname", h->hostname, sizeof h->hostname);
    /* proc/sys/kernel/arch exists only on recent kernels (6.1+). */
    int e3 = hr__lx_read_line(ctx, "proc/sys/kernel/arch", h->arch, sizeof h->arch);
    struct utsname u;
    if ((e1 || e2 || e3) && root_is_host(ctx) && uname(&u) == 0) {
        if (e1)
            hr__strlcpy(h->kernel, u.release, sizeof h->kernel);
        if (e2)
            hr__strlcpy(h->hostname, u.nodename, sizeof h->hostname);
        if (e3)
            hr__strlcpy(h->arch, u.machine, sizeof h->arch);
    }
    hr__lx_count(t, h->kernel[0] ? hr__known(1) : hr__unknown(hr__why_from_errno(e1), e1));
}

static void read_os_release(hr_ctx *ctx, hr_host_info *h) {
    /* os-release files are a few hundred bytes; 4 KiB is plenty. */
    char buf[4096];
    size_t n = 0;
    int err = 0;
    if (hr__fs_read(ctx, "etc/os-release", buf, sizeof buf, &n, &err) != HR_OK &&
        hr__fs_read(ctx, "usr/lib/os-release", buf, sizeof buf, &n, &err) != HR_OK)
        return;
    if (!os_release_value(buf, n, "PRETTY_NAME", h->os_release, sizeof h->os_release))
        os_release_value(buf, n, "NAME", h->os_release, sizeof h->os_release);
}

static void read_model(hr_ctx *ctx, hr_host_info *h) {
    if (hr__lx_read_line(ctx, "sys/class/dmi/id/product_name", h->machine_model,
                         sizeof h->machine_model) != 0)
        hr__lx_read_line(ctx, "sys/firmware/devicetree/base/model", h->machine_model,
                         sizeof h->machine_model);
}

/* x86 says "model name"; arm64 boards "Model" (Raspberry Pi) or 32-bit ARM
 * "Hardware"; other architectures their own key. First match wins. */
static void cpuinfo_model(const char *buf, size_t n, hr_host_info *h) {
    static const char *const keys[] = {"model name", "Model", "Hardware", "cpu model", "cpu"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (cpuinfo_first(buf, n, keys[i], h->cpu_model, sizeof h->cpu_model) && h->cpu_model[0])
            return;
    h->cpu_model[0] = '\0';
}

static int64_t cpuinfo_count(const char *buf, size_t n, const char *key) {
    char v[32];
    size_t pos = 0;
    int64_t c = 0;
    while (cpuinfo_next(buf, n, &pos, key, v, sizeof v))
        c++;
    return c;
}

typedef struct core_pair {
    int64_t package;
    int64_t core;
} core_pair;

static int pair_cmp(const void *x, const void *y) {
    const core_pair *a = x, *b = y;
    if (a->package != b->package)
        return a->package < b->package ? -1 : 1;
    return a->core < b->core ? -1 : a->core > b->core;
}

/* Counts distinct (package, core) pairs and distinct packages. */
static void count_pairs(core_pair *pairs, size_t n, hr_host_info *h) {
    qsort(pairs, n, sizeof *pairs, pair_cmp);
    int64_t cores = 0, packages = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || pairs[i].package != pairs[i - 1].package)
            packages++;
        if (i == 0 || pair_cmp(&pairs[i], &pairs[i - 1]) != 0)
            cores++;
    }
    h->cores_physical = hr__known(cores);
    h->packages = hr__known(packages);
}

static int read_topology_id(hr_ctx *ctx, int32_t cpu, const char *file, int64_t *out) {
    char rel[HR__LX_PATH_CAP];
    hr__snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology/%s", (int)cpu, file);
    hr_reading r = hr__fs_reading(ctx, rel, 1, 1);
    *out = r.v;
    return HR_IS_KNOWN(r) ? 0 : -1;
}

/* Topology from sysfs for the online CPUs. Returns 1 when every CPU had it. */
static int topology_sysfs(hr_ctx *ctx, const int32_t *cpus, size_t n, core_pair *pairs) {
    for (size_t i = 0; i < n; i++)
        if (read_topology_id(ctx, cpus[i], "physical_package_id", &pairs[i].package) != 0 ||
            read_topology_id(ctx, cpus[i], "core_id", &pairs[i].core) != 0)
            return 0;
    return 1;
}

/* Topology from cpuinfo "physical id"/"core id", one pair per processor
 * block. Returns the number of pairs filled (0 when the keys are absent). */
static size_t topology_cpuinfo(const char *buf, size_t n, core_pair *pairs, size_t cap) {
    size_t got = 0, pos = 0, cpos = 0;
    char v[32];
    while (got < cap && cpuinfo_next(buf, n, &pos, "physical id", v, sizeof v)) {
        if (hr__parse_i64(v, strlen(v), &pairs[got].package) != HR_OK)
            return 0;
        if (!cpuinfo_next(buf, n, &cpos, "core id", v, sizeof v) ||
            hr__parse_i64(v, strlen(v), &pairs[got].core) != HR_OK)
            return 0;
        got++;
    }
    return got;
}

/* Online CPUs from sysfs; NULL list (and *n from cpuinfo) when absent. */
static hr_status online_cpus(hr_ctx *ctx, int32_t **cpus, size_t *n) {
    char buf[4096];
    size_t len = 0, count = 0;
    int err = 0;
    *cpus = NULL;
    *n = 0;
    if (hr__fs_read(ctx, "sys/devices/system/cpu/online", buf, sizeof buf, &len, &err) != HR_OK ||
        hr__lx_parse_cpu_list(buf, len, NULL, 0, &count) != HR_OK)
        return HR_OK;
    *cpus = malloc(count * sizeof **cpus);
    if (!*cpus)
        return HR_ENOMEM;
    hr__lx_parse_cpu_list(buf, len, *cpus, count, n);
    return HR_OK;
}

static hr_status read_cpus(hr_ctx *ctx, hr_host_info *h, const char *info, size_t ilen,
                           hr__lx_tally *t) {
    int32_t *cpus = NULL;
    size_t n = 0;
    if (online_cpus(ctx, &cpus, &n) != HR_OK)
        return HR_ENOMEM;
    int64_t procs = cpuinfo_count(info, ilen, "processor");
    size_t cap = n ? n : (size_t)procs;
    core_pair *pairs = calloc(cap ? cap : 1, sizeof *pairs);
    if (!pairs) {
        free(cpus);
        return HR_ENOMEM;
    }
    h->cpus_logical = n ? hr__known((int64_t)n)
                        : procs ? hr__known(procs) : hr__unknown(HR_WHY_ABSENT, ENOENT);
    size_t np = 0;
    if (n && topology_sysfs(ctx, cpus, n, pairs))
        np = n;
    else
        np = topology_cpuinfo(info, ilen, pairs, cap);
    if (np) {
        count_pairs(pairs, np, h);
    } else {
        h->cores_physical = hr__unknown(HR_WHY_ABSENT, ENOENT);
        h->packages = hr__unknown(HR_WHY_ABSENT, ENOENT);
    }
    hr__lx_count(t, h->cpus_logical);
    hr__lx_count(t, h->cores_physical);
    free(pairs);
    free(cpus);
    return HR_OK;
}

static hr_reading read_uptime(hr_ctx *ctx) {
    char buf[128];
    size_t n = 0;
    int err = 0;
    if (hr__fs_read(ctx, "proc/uptime", buf, sizeof buf, &n, &err) != HR_OK)
        return hr__unknown(hr__why_from_errno(err), err);
    size_t tok = 0;
    while (tok < n && buf[tok] != ' ' && buf[tok] != '\n')
        tok++;
    int64_t ns;
    if (hr__parse_fixed(buf, tok, 9, &ns) != HR_OK || ns < 0)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(ns);
}

static hr_status read_cpuinfo(hr_ctx *ctx, hr_host_info *h, hr__lx_tally *t) {
    char *info = malloc(CPUINFO_CAP);
    if (!info)
        return HR_ENOMEM;
    size_t ilen = 0;
    int err = 0;
    if (hr__fs_read(ctx, "proc/cpuinfo", info, CPUINFO_CAP, &ilen, &err) != HR_OK)
        ilen = 0;
    cpuinfo_model(info, ilen, h);
    hr_status s = read_cpus(ctx, h, info, ilen, t);
    free(info);
    return s;
}

hr_status hr__lx_host_read(hr_ctx *ctx, hr_probe *p) {
    hr_host_info *h = &p->host;
    hr__lx_tally t = {0};
    read_names(ctx, h, &t);
    read_os_release(ctx, h);
    read_model(ctx, h);
    if (read_cpuinfo(ctx, h, &t) != HR_OK)
        return HR_ENOMEM;
    h->cores_performance = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    h->cores_efficiency = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    h->uptime_ns = read_uptime(ctx);
    hr__lx_count(&t, h->uptime_ns);
    hr__probe_report(p, "host", hr__lx_state(&t), hr__lx_why(&t),
                     "kernel %s, %s, %lld logical CPUs", h->kernel[0] ? h->kernel : "unknown",
                     h->os_release[0] ? h->os_release : "unknown distribution",
                     (long long)h->cpus_logical.v);
    return HR_OK;
}

/* fuzz_sysfs_values.c: arbitrary bytes into every parser of sysfs/procfs
 * text: the core's value parsers (core/util/parse.h, hr__text_reading) and
 * the Linux layer's proc/stat line, CPU list and proc/self/cgroup parsers
 * (platform/linux/lx_parse.h). Besides not crashing, each result must keep
 * its contract; a broken contract aborts so the fuzzer reports it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/fsroot.h"
#include "core/util/parse.h"
#include "platform/linux/lx_parse.h"

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond))                                                                        \
            abort();                                                                        \
    } while (0)

static void fuzz_numbers(const char *s, size_t n) {
    int64_t i = 0, f = 0;
    uint64_t u = 0;
    hr_status si = hr__parse_i64(s, n, &i);
    hr_status su = hr__parse_u64(s, n, &u);
    CHECK(si == HR_OK || si == HR_EPARSE);
    CHECK(su == HR_OK || su == HR_EPARSE);
    /* A value both accept is the same number. */
    if (si == HR_OK && su == HR_OK)
        CHECK(i >= 0 && (uint64_t)i == u);
    int decimals = n ? (unsigned char)s[0] % 10 : 2;
    hr_status sf = hr__parse_fixed(s, n, decimals, &f);
    CHECK(sf == HR_OK || sf == HR_EPARSE);
    /* An integer is also a fixed-point number, scaled. */
    if (si == HR_OK && decimals == 0)
        CHECK(sf == HR_OK && f == i);
    hr_reading r = hr__text_reading(s, n, 1, 1000);
    CHECK(r.why == HR_WHY_KNOWN || (r.why == HR_WHY_UNREADABLE && r.v == 0));
    if (r.why == HR_WHY_KNOWN)
        CHECK(si == HR_OK && r.v == i / 1000);
}

static void fuzz_keyed(const char *s, size_t n) {
    static const char *const keys[] = {"MemTotal", "MemAvailable", "SwapFree", ""};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        int64_t v = 0;
        hr_status st = hr__kv_find_i64(s, n, keys[k], &v);
        CHECK(st == HR_OK || st == HR_ENOENT || st == HR_EPARSE);
    }
    static const char *const fields[] = {"avg10", "total", "some"};
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
        const char *val = NULL;
        size_t vlen = 0;
        if (hr__field_find(s, n, fields[k], &val, &vlen) == HR_OK)
            CHECK(val >= s && val + vlen <= s + n);
    }
}

static void fuzz_stat_lines(const char *s, size_t n) {
    for (const char *l = s, *end = s + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        hr__lx_cpu_times t;
        hr_status st = hr__lx_parse_stat_line(l, len, &t);
        CHECK(st == HR_OK || st == HR_ENOENT || st == HR_EPARSE);
        if (st == HR_OK) {
            CHECK(t.nfields >= 4 && t.nfields <= 10);
            CHECK(t.idle <= t.total && t.iowait <= t.total - t.idle);
            CHECK(t.cpu >= -1 && t.cpu <= HR__LX_CPU_MAX);
        }
        l += len + 1;
    }
}

static void fuzz_cpu_list(const char *s, size_t n) {
    int32_t cpus[64];
    size_t count = 0;
    if (hr__lx_parse_cpu_list(s, n, cpus, 64, &count) != HR_OK)
        return;
    CHECK(count >= 1 && count <= HR__LX_CPU_MAX + 1);
    for (size_t i = 0; i < count && i < 64; i++) {
        CHECK(cpus[i] >= 0 && cpus[i] <= HR__LX_CPU_MAX);
        if (i)
            CHECK(cpus[i] > cpus[i - 1]);
    }
}

/* 1 when no component of PATH is "." or "..". */
static int no_dot_components(const char *path) {
    for (const char *c = path; *c;) {
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        c += len + (e != NULL);
    }
    return 1;
}

static void fuzz_cgroup(const char *s, size_t n) {
    char v1[64], v2[64];
    hr_status st = hr__lx_parse_cgroup(s, n, v1, sizeof v1, v2, sizeof v2);
    CHECK(st == HR_OK || st == HR_ENOENT || st == HR_EPARSE);
    const char *paths[] = {v1, v2};
    for (int i = 0; i < 2; i++) {
        CHECK(strlen(paths[i]) < 64);
        if (paths[i][0])
            CHECK(paths[i][0] == '/' && no_dot_components(paths[i] + 1));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A private copy, so that a parser reading one byte too far is caught by
     * ASan at the end of this allocation. */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    fuzz_numbers(s, size);
    fuzz_keyed(s, size);
    fuzz_stat_lines(s, size);
    fuzz_cpu_list(s, size);
    fuzz_cgroup(s, size);
    free(s);
    return 0;
}

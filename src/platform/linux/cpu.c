/* cpu.c: per-CPU utilisation and iowait from proc/stat, clocks from cpufreq,
 * thermal throttle counters from sys/devices/system/cpu/cpuN/thermal_throttle.
 *
 * One hr_cpu_core per logical CPU online at open (sys/devices/system/cpu/online,
 * else the cpuN lines of proc/stat). Utilisation is a rate: it needs two reads
 * and is "needs interval" after the first, after a counter went backwards
 * (CPU hotplug resets them) and when no tick passed. Each rate spans at
 * least LX_MIN_JIFFIES_PER_CPU jiffies where the reads allow it (lx_span),
 * so that fast sampling does not read a core as 0 % or 100 %. A CPU whose
 * line leaves proc/stat after discovery is "vanished". */
#include <stdlib.h>
#include <string.h>

#include "platform/linux/linux.h"
#include "platform/linux/lx_parse.h"
#include "platform/linux/lx_util.h"

/* The reads one /proc/stat line's rates are taken against: REF, the latest
 * read at least a minimum span back (lx_min_jiffies), and OLDER, the one
 * before it. */
typedef struct lx_span {
    hr__lx_cpu_times ref, older;
    int have_ref, have_older;
} lx_span;

/* A rate spans at least this many jiffies per CPU (100 ms at USER_HZ 100):
 * /proc/stat counts in jiffies, so at 100 Hz a core gains about one between
 * reads and its utilisation would be 0 % or 100 % (or, with no tick at all,
 * unknown). At 10 Hz and below every read is a new reference, as before. */
#define LX_MIN_JIFFIES_PER_CPU 10

typedef struct lx_core {
    int64_t package;          /* physical_package_id, -1 when unknown */
    hr__attr cur_freq;        /* cpufreq/scaling_cur_freq, kHz */
    hr__attr core_throttle;   /* thermal_throttle/core_throttle_count */
    hr__attr pkg_throttle;    /* package_throttle_count, first CPU of a package only */
    lx_span span;
    int seen_ever;            /* its line was in proc/stat at least once */
    int seen;                 /* its line was in the latest read */
} lx_core;

struct hr__lx_cpu {
    hr__attr stat;
    char *buf;
    size_t cap;
    size_t n;
    lx_core *cores;
    lx_span span_all;
};

/* ---- proc/stat line parser ----------------------------------------------- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Reads the next blank-separated token of [*p, end) as a u64. */
static hr_status next_u64(const char **p, const char *end, uint64_t *v, int *found) {
    while (*p < end && is_blank(**p))
        (*p)++;
    const char *s = *p;
    while (*p < end && !is_blank(**p))
        (*p)++;
    *found = *p > s;
    return *found ? hr__parse_u64(s, (size_t)(*p - s), v) : HR_OK;
}

/* Parses "cpu" or "cpuN" at the start of LINE; returns the name's length. */
static size_t stat_cpu_name(const char *line, size_t n, int32_t *cpu) {
    if (n < 4 || memcmp(line, "cpu", 3) != 0)
        return 0;
    size_t i = 3;
    while (i < n && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i == n || (line[i] != ' ' && line[i] != '\t'))
        return 0;
    int64_t v = -1;
    if (i > 3 && (i - 3 > 5 || hr__parse_i64(line + 3, i - 3, &v) != HR_OK ||
                  v > HR__LX_CPU_MAX))
        return 0;
    *cpu = (int32_t)v;
    return i;
}

hr_status hr__lx_parse_stat_line(const char *line, size_t n, hr__lx_cpu_times *out) {
    if (!line || !out)
        return HR_EINVAL;
    memset(out, 0, sizeof *out);
    size_t i = stat_cpu_name(line, n, &out->cpu);
    if (i == 0)
        return HR_ENOENT;
    const char *p = line + i, *end = line + n;
    uint64_t f[10] = {0};
    int found = 1, k = 0;
    for (; k < 10; k++) {
        if (next_u64(&p, end, &f[k], &found) != HR_OK)
            return HR_EPARSE;
        if (!found)
            break;
    }
    while (p < end && is_blank(*p))
        p++;
    if (k < 4 || p != end)
        return HR_EPARSE;
    out->nfields = k;
    /* guest and guest_nice (f[8], f[9]) are already counted in user and nice. */
    uint64_t total = 0;
    for (int j = 0; j < 8 && j < k; j++)
        if (__builtin_add_overflow(total, f[j], &total))
            return HR_EPARSE;
    out->total = total;
    out->idle = f[3];
    out->iowait = f[4];
    return HR_OK;
}

/* ---- rates --------------------------------------------------------------- */

/* X / D in parts per million, X <= D, without overflow. */
static int64_t ppm(uint64_t x, uint64_t d) {
    while (d > UINT64_MAX / 1000000u) {
        x >>= 1;
        d >>= 1;
    }
    return (int64_t)(x * 1000000u / d);
}

/* Utilisation and iowait between two reads of the same line. A counter that
 * went backwards, or no tick in between, gives "needs interval". */
static void rate(const hr__lx_cpu_times *a, const hr__lx_cpu_times *b, hr_reading *util,
                 hr_reading *iowait) {
    uint64_t dt = b->total - a->total, didle = b->idle - a->idle, dio = b->iowait - a->iowait;
    if (b->total <= a->total || b->idle < a->idle || b->iowait < a->iowait || didle > dt ||
        dio > dt - didle) {
        *util = hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
        *iowait = hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
        return;
    }
    *util = hr__known(ppm(dt - didle - dio, dt));
    *iowait = b->nfields >= 5 ? hr__known(ppm(dio, dt)) : hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
}

/* The two readings of one line against its span's reference (the older
 * one while the span since the reference is under MIN jiffies), and the
 * reference moved on once the span reaches MIN. */
static void apply(lx_span *s, const hr__lx_cpu_times *cur, uint64_t min,
                  hr_reading *util, hr_reading *iowait) {
    if (!s->have_ref) {
        *util = hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
        *iowait = hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
        s->ref = *cur;
        s->have_ref = 1;
        return;
    }
    int grown = cur->total >= s->ref.total && cur->total - s->ref.total >= min;
    rate(grown || !s->have_older ? &s->ref : &s->older, cur, util, iowait);
    if (cur->total < s->ref.total) {
        /* Counters went backwards (a CPU came back): start again from here. */
        s->ref = *cur;
        s->have_older = 0;
    } else if (grown) {
        s->older = s->ref;
        s->have_older = 1;
        s->ref = *cur;
    }
}

/* ---- proc/stat ----------------------------------------------------------- */

/* Index of CPU in the cores (ascending by CPU number), or -1. */
static long find_core(const hr_probe *p, int32_t cpu) {
    size_t lo = 0, hi = p->ncores;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->cores[mid].cpu == cpu)
            return (long)mid;
        if (p->cores[mid].cpu < cpu)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void stat_line(struct hr__lx_cpu *st, hr_probe *p, const char *line, size_t len) {
    hr__lx_cpu_times cur;
    hr_status s = hr__lx_parse_stat_line(line, len, &cur);
    if (s == HR_ENOENT)
        return;
    if (cur.cpu < 0) {
        if (s == HR_OK)
            apply(&st->span_all, &cur, LX_MIN_JIFFIES_PER_CPU * (st->n ? st->n : 1),
                  &p->cpu.util_ppm, &p->cpu.iowait_ppm);
        else
            p->cpu.util_ppm = p->cpu.iowait_ppm = hr__unknown(HR_WHY_UNREADABLE, 0);
        return;
    }
    long i = find_core(p, cur.cpu);
    if (i < 0)
        return;
    lx_core *c = &st->cores[i];
    hr_cpu_core *out = &p->cores[i];
    c->seen = c->seen_ever = 1;
    if (s == HR_OK) {
        apply(&c->span, &cur, LX_MIN_JIFFIES_PER_CPU, &out->util_ppm, &out->iowait_ppm);
    } else {
        out->util_ppm = out->iowait_ppm = hr__unknown(HR_WHY_UNREADABLE, 0);
        c->span.have_ref = c->span.have_older = 0;
    }
}

/* Marks every reading of proc/stat unknown for WHY. */
static void stat_unknown(struct hr__lx_cpu *st, hr_probe *p, hr_reading r) {
    p->cpu.util_ppm = p->cpu.iowait_ppm = r;
    st->span_all.have_ref = st->span_all.have_older = 0;
    for (size_t i = 0; i < st->n; i++) {
        p->cores[i].util_ppm = p->cores[i].iowait_ppm = r;
        st->cores[i].span.have_ref = st->cores[i].span.have_older = 0;
    }
}

static void stat_read(struct hr__lx_cpu *st, hr_probe *p) {
    long n = hr__attr_read(&st->stat, st->buf, st->cap);
    if (n < 0) {
        stat_unknown(st, p, hr__lx_errno_reading(n));
        return;
    }
    p->cpu.util_ppm = p->cpu.iowait_ppm = hr__unknown(HR_WHY_ABSENT, 0);
    for (size_t i = 0; i < st->n; i++)
        st->cores[i].seen = 0;
    /* A line cut by a full buffer is not parsed; the cpu lines come first. */
    int full = (size_t)n + 1 >= st->cap;
    for (const char *l = st->buf, *end = st->buf + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        if (!nl && full)
            break;
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        stat_line(st, p, l, len);
        l += len + 1;
    }
    for (size_t i = 0; i < st->n; i++) {
        if (st->cores[i].seen)
            continue;
        hr_why why = st->cores[i].seen_ever ? HR_WHY_VANISHED : HR_WHY_ABSENT;
        p->cores[i].util_ppm = p->cores[i].iowait_ppm = hr__unknown(why, 0);
        st->cores[i].span.have_ref = st->cores[i].span.have_older = 0;
    }
}

/* ---- cpufreq and thermal_throttle --------------------------------------- */

/* Opens core I's files. package_throttle_count is opened on the first CPU of
 * each package only, so that the sum counts every package once. */
static void open_core(hr_ctx *ctx, struct hr__lx_cpu *st, size_t i, hr_cpu_core *out) {
    char rel[HR__LX_PATH_CAP];
    lx_core *c = &st->cores[i];
    int cpu = (int)out->cpu;
    hr__snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/topology/physical_package_id",
                 cpu);
    hr_reading pkg = hr__fs_reading(ctx, rel, 1, 1);
    c->package = HR_IS_KNOWN(pkg) ? pkg.v : -1;
    hr__snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq", cpu);
    hr__attr_open(&c->cur_freq, ctx, rel);
    hr__snprintf(rel, sizeof rel, "sys/devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", cpu);
    out->clock_max_mhz = hr__fs_reading(ctx, rel, 1, 1000);
    if (HR_IS_KNOWN(out->clock_max_mhz) && out->clock_max_mhz.v < 0)
        out->clock_max_mhz = hr__unknown(HR_WHY_UNREADABLE, 0);
    hr__snprintf(rel, sizeof rel,
                 "sys/devices/system/cpu/cpu%d/thermal_throttle/core_throttle_count", cpu);
    hr__attr_open(&c->core_throttle, ctx, rel);
    c->pkg_throttle = (hr__attr)HR__ATTR_NONE;
    for (size_t j = 0; j < i; j++)
        if (st->cores[j].package == c->package)
            return;
    hr__snprintf(rel, sizeof rel,
                 "sys/devices/system/cpu/cpu%d/thermal_throttle/package_throttle_count", cpu);
    hr__attr_open(&c->pkg_throttle, ctx, rel);
}

/* A clock or count must not be negative. */
static hr_reading non_negative(hr_reading r) {
    return HR_IS_KNOWN(r) && r.v < 0 ? hr__unknown(HR_WHY_UNREADABLE, 0) : r;
}

static void sysfs_read(struct hr__lx_cpu *st, hr_probe *p, hr__lx_tally *freq,
                       hr__lx_tally *thr) {
    hr_reading sum = hr__unknown(HR_WHY_ABSENT, ENOENT);
    int have_pkg = 0;
    for (size_t i = 0; i < st->n; i++) {
        lx_core *c = &st->cores[i];
        hr_cpu_core *out = &p->cores[i];
        out->clock_mhz = non_negative(hr__attr_reading(&c->cur_freq, 1, 1000));
        out->throttle_count = non_negative(hr__attr_reading(&c->core_throttle, 1, 1));
        hr__lx_count(freq, out->clock_mhz);
        hr__lx_count(thr, out->throttle_count);
        if (c->pkg_throttle.fd < 0 && c->pkg_throttle.err == ENOENT)
            continue;
        hr_reading r = non_negative(hr__attr_reading(&c->pkg_throttle, 1, 1));
        if (!have_pkg++)
            sum = r;
        else if (HR_IS_KNOWN(sum))
            sum = HR_IS_KNOWN(r) ? hr__known(sum.v + r.v) : r;
    }
    p->cpu.package_throttle_count = sum;
}

static void report(struct hr__lx_cpu *st, hr_probe *p, const hr__lx_tally *freq,
                   const hr__lx_tally *thr) {
    hr__lx_tally t = {0};
    hr__lx_count(&t, p->cpu.util_ppm);
    for (size_t i = 0; i < st->n; i++)
        hr__lx_count(&t, p->cores[i].util_ppm);
    hr__probe_report(p, "proc/stat", hr__lx_state(&t), hr__lx_why(&t),
                     "%zu logical CPUs, %d unreadable%s", st->n, t.unknown,
                     st->span_all.have_ref ? "" : "; utilisation needs a second read");
    hr__probe_report(p, "cpufreq", hr__lx_state(freq), hr__lx_why(freq),
                     "scaling_cur_freq of %d of %zu CPUs", freq->known, st->n);
    hr__probe_report(p, "thermal_throttle", hr__lx_state(thr), hr__lx_why(thr),
                     "core_throttle_count of %d of %zu CPUs", thr->known, st->n);
}

void hr__lx_cpu_refresh(struct hr__lx_cpu *st, hr_probe *p) {
    if (!st)
        return;
    hr__lx_tally freq = {0}, thr = {0};
    stat_read(st, p);
    sysfs_read(st, p, &freq, &thr);
    report(st, p, &freq, &thr);
}

/* ---- discovery ----------------------------------------------------------- */

static int cmp_i32(const void *x, const void *y) {
    int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return a < b ? -1 : a > b;
}

/* CPU numbers from the cpuN lines of BUF (ascending, de-duplicated). */
static hr_status cpus_from_stat(const char *buf, size_t n, int32_t **cpus, size_t *count) {
    size_t cap = 0;
    for (const char *l = buf, *end = buf + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        int32_t cpu = -1;
        if (stat_cpu_name(l, len, &cpu) && cpu >= 0) {
            if (hr__grow((void **)cpus, sizeof **cpus, *count, &cap) != HR_OK)
                return HR_ENOMEM;
            (*cpus)[(*count)++] = cpu;
        }
        l += len + 1;
    }
    if (*count > 1)
        qsort(*cpus, *count, sizeof **cpus, cmp_i32);
    size_t u = 0;
    for (size_t i = 0; i < *count; i++)
        if (u == 0 || (*cpus)[u - 1] != (*cpus)[i])
            (*cpus)[u++] = (*cpus)[i];
    *count = u;
    return HR_OK;
}

/* Sizes the proc/stat buffer for NCPU lines, with room for as many CPUs
 * again coming online later. A cpu line is at most ~230 bytes (name and ten
 * 20-digit counters); the lines we need come first in the file. */
static hr_status size_buffer(struct hr__lx_cpu *st, size_t ncpu) {
    size_t cap = 4096 + 256 * (2 * ncpu + 2);
    char *b = realloc(st->buf, cap);
    if (!b)
        return HR_ENOMEM;
    st->buf = b;
    st->cap = cap;
    return HR_OK;
}

static hr_status discover(hr_ctx *ctx, struct hr__lx_cpu *st, int32_t **cpus, size_t *n) {
    char buf[4096];
    size_t len = 0, count = 0;
    int err = 0;
    if (hr__fs_read(ctx, "sys/devices/system/cpu/online", buf, sizeof buf, &len, &err) == HR_OK &&
        hr__lx_parse_cpu_list(buf, len, NULL, 0, &count) == HR_OK) {
        *cpus = malloc(count * sizeof **cpus);
        if (!*cpus)
            return HR_ENOMEM;
        return hr__lx_parse_cpu_list(buf, len, *cpus, count, n);
    }
    /* No CPU list: take the CPUs proc/stat shows, read with room for the most. */
    if (size_buffer(st, HR__LX_CPU_MAX + 1) != HR_OK)
        return HR_ENOMEM;
    long got = hr__attr_read(&st->stat, st->buf, st->cap);
    return got > 0 ? cpus_from_stat(st->buf, (size_t)got, cpus, n) : HR_OK;
}

static hr_status open_cores(hr_ctx *ctx, struct hr__lx_cpu *st, hr_probe *p) {
    int32_t *cpus = NULL;
    size_t n = 0;
    hr_status s = discover(ctx, st, &cpus, &n);
    if (s == HR_OK && n) {
        st->cores = calloc(n, sizeof *st->cores);
        p->cores = calloc(n, sizeof *p->cores);
        s = st->cores && p->cores ? HR_OK : HR_ENOMEM;
    }
    if (s == HR_OK)
        s = size_buffer(st, n);
    for (size_t i = 0; s == HR_OK && i < n; i++) {
        p->cores[i].cpu = cpus[i];
        open_core(ctx, st, i, &p->cores[i]);
        st->n = p->ncores = i + 1;
    }
    free(cpus);
    return s;
}

hr_status hr__lx_cpu_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_cpu **out) {
    *out = NULL;
    struct hr__lx_cpu *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->stat = (hr__attr)HR__ATTR_NONE;
    hr__attr_open(&st->stat, ctx, "proc/stat");
    hr_status s = open_cores(ctx, st, p);
    if (s != HR_OK) {
        hr__lx_cpu_close(st, p);
        return s;
    }
    hr__lx_cpu_refresh(st, p);
    *out = st;
    return HR_OK;
}

void hr__lx_cpu_close(struct hr__lx_cpu *st, hr_probe *p) {
    if (st) {
        for (size_t i = 0; i < st->n; i++) {
            hr__attr_close(&st->cores[i].cur_freq);
            hr__attr_close(&st->cores[i].core_throttle);
            hr__attr_close(&st->cores[i].pkg_throttle);
        }
        hr__attr_close(&st->stat);
        free(st->cores);
        free(st->buf);
        free(st);
    }
    free(p->cores);
    p->cores = NULL;
    p->ncores = 0;
}

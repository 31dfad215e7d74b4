/* mem.c: memory on Linux: proc/meminfo, the process's cgroup memory limit
 * and usage (v2, or v1 including hybrid hierarchies), and pressure stall
 * information from proc/pressure.
 *
 * The budget and the pressure level are derived by the core (derive.c) from
 * what is read here; this module reports facts only. */
#include <stdlib.h>
#include <string.h>

#include "platform/linux/linux.h"
#include "platform/linux/lx_parse.h"
#include "platform/linux/lx_util.h"

/* Levels from the process's cgroup up to the mount root that are watched.
 * systemd and container runtimes nest at most 6-8 deep. */
#define CG_LEVELS 16
/* Longest cgroup path accepted from proc/self/cgroup. */
#define CG_PATH_CAP 384

/* A cgroup v1 "unlimited" limit is PAGE_COUNTER_MAX pages in bytes
 * (9223372036854771712 with 4 KiB pages); any value this close to INT64_MAX
 * is that, whatever the page size (up to 16 MiB). */
#define CG_UNLIMITED_FROM (INT64_MAX - (INT64_C(1) << 24))

enum { PSI_MEMORY, PSI_CPU, PSI_IO, PSI_COUNT };

static const char *const psi_files[PSI_COUNT] = {"proc/pressure/memory", "proc/pressure/cpu",
                                                 "proc/pressure/io"};

typedef struct cg_level {
    hr__attr limit; /* memory.max or memory.limit_in_bytes */
    hr__attr usage; /* memory.current or memory.usage_in_bytes */
} cg_level;

struct hr__lx_mem {
    hr__attr meminfo;
    hr__attr psi[PSI_COUNT];
    int cg_version;
    int nlevels;
    cg_level levels[CG_LEVELS]; /* [0] is the process's own cgroup */
    char cg_path[CG_PATH_CAP];  /* as found in proc/self/cgroup */
};

/* ---- proc/self/cgroup parser --------------------------------------------- */

/* 1 when PATH (LEN bytes) is absolute and has no "." or ".." component. */
static int path_ok(const char *path, size_t len) {
    if (len == 0 || path[0] != '/')
        return 0;
    for (size_t i = 0; i < len;) {
        size_t j = i + 1;
        while (j < len && path[j] != '/')
            j++;
        size_t clen = j - i - 1;
        if ((clen == 1 && path[i + 1] == '.') || (clen == 2 && memcmp(path + i + 1, "..", 2) == 0))
            return 0;
        if (memchr(path + i + 1, '\0', clen))
            return 0;
        i = j;
    }
    return 1;
}

/* 1 when the comma-separated controller list C (LEN bytes) names "memory". */
static int has_memory(const char *c, size_t len) {
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && c[j] != ',')
            j++;
        if (j - i == 6 && memcmp(c + i, "memory", 6) == 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

/* Parses one "id:controllers:path" line; fills V1 or V2. Returns 1 when it
 * was a memory or v2 line with a good path, -1 with a bad path, 0 otherwise. */
static int cgroup_line(const char *l, size_t len, char *v1, size_t v1cap, char *v2,
                       size_t v2cap) {
    const char *c1 = memchr(l, ':', len);
    const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - l)) : NULL;
    if (!c2)
        return 0;
    const char *ctl = c1 + 1, *path = c2 + 1;
    size_t clen = (size_t)(c2 - ctl), plen = len - (size_t)(path - l);
    int is_v2 = c1 - l == 1 && l[0] == '0' && clen == 0;
    if (!is_v2 && !has_memory(ctl, clen))
        return 0;
    char *dst = is_v2 ? v2 : v1;
    size_t cap = is_v2 ? v2cap : v1cap;
    if (!path_ok(path, plen) || plen >= cap)
        return -1;
    memcpy(dst, path, plen);
    dst[plen] = '\0';
    return 1;
}

hr_status hr__lx_parse_cgroup(const char *buf, size_t n, char *v1, size_t v1cap, char *v2,
                              size_t v2cap) {
    if (!buf || !v1 || !v2 || v1cap == 0 || v2cap == 0)
        return HR_EINVAL;
    v1[0] = v2[0] = '\0';
    int good = 0, bad = 0;
    for (const char *l = buf, *end = buf + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
        int r = cgroup_line(l, len, v1, v1cap, v2, v2cap);
        good += r > 0;
        bad += r < 0;
        l += len + 1;
    }
    return good ? HR_OK : bad ? HR_EPARSE : HR_ENOENT;
}

/* ---- meminfo ------------------------------------------------------------- */

static hr_reading kv(const char *buf, size_t n, const char *key, hr_why absent) {
    int64_t v;
    hr_status s = hr__kv_find_i64(buf, n, key, &v);
    if (s == HR_ENOENT)
        return hr__unknown(absent, 0);
    if (s != HR_OK || v < 0)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(v);
}

static void meminfo_read(struct hr__lx_mem *st, hr_mem_info *m, hr__lx_tally *t) {
    /* proc/meminfo is about 1.5 KB; 8 KiB leaves room for any kernel's keys. */
    char buf[8192];
    long n = hr__attr_read(&st->meminfo, buf, sizeof buf);
    if (n < 0) {
        m->total_bytes = m->available_bytes = hr__lx_errno_reading(n);
        m->swap_total_bytes = m->swap_free_bytes = m->total_bytes;
    } else {
        m->total_bytes = kv(buf, (size_t)n, "MemTotal", HR_WHY_ABSENT);
        /* MemAvailable exists since Linux 3.14; older kernels do not estimate it
         * and neither do we (free + cache would overstate it). */
        m->available_bytes = kv(buf, (size_t)n, "MemAvailable", HR_WHY_NOT_SUPPORTED);
        m->swap_total_bytes = kv(buf, (size_t)n, "SwapTotal", HR_WHY_ABSENT);
        m->swap_free_bytes = kv(buf, (size_t)n, "SwapFree", HR_WHY_ABSENT);
    }
    hr__lx_count(t, m->total_bytes);
    hr__lx_count(t, m->available_bytes);
    hr__lx_count(t, m->swap_total_bytes);
    hr__lx_count(t, m->swap_free_bytes);
}

/* ---- cgroup -------------------------------------------------------------- */

/* memory.max ("max" or bytes) and memory.limit_in_bytes (bytes, huge when
 * unlimited) as a reading: known, HR_WHY_UNLIMITED, or unknown. */
static hr_reading limit_reading(hr__attr *a) {
    char buf[64];
    long n = hr__attr_read(a, buf, sizeof buf);
    if (n < 0)
        return hr__lx_errno_reading(n);
    char word[8];
    hr__copy_line(word, sizeof word, buf, (size_t)n);
    if (strcmp(word, "max") == 0)
        return hr__unknown(HR_WHY_UNLIMITED, 0);
    uint64_t v;
    if (hr__parse_u64(buf, (size_t)n, &v) != HR_OK || v > (uint64_t)INT64_MAX)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    if ((int64_t)v >= CG_UNLIMITED_FROM)
        return hr__unknown(HR_WHY_UNLIMITED, 0);
    return hr__known((int64_t)v);
}

static hr_reading usage_reading(hr__attr *a) {
    hr_reading r = hr__attr_reading(a, 1, 1);
    return HR_IS_KNOWN(r) && r.v < 0 ? hr__unknown(HR_WHY_UNREADABLE, 0) : r;
}

/* Picks the level with the least room (limit - usage): the limit that binds.
 * With no limit anywhere the limit is "unlimited" and the usage is the
 * process's own cgroup's. */
static void cgroup_read(struct hr__lx_mem *st, hr_mem_info *m) {
    m->cgroup_version = st->cg_version;
    hr_reading lim = hr__unknown(HR_WHY_ABSENT, ENOENT), use = lim, own_use = lim;
    int best = -1, unlimited = 0;
    int64_t best_room = 0;
    for (int i = 0; i < st->nlevels; i++) {
        hr_reading l = limit_reading(&st->levels[i].limit);
        hr_reading u = usage_reading(&st->levels[i].usage);
        if (own_use.why == HR_WHY_ABSENT)
            own_use = u;
        if (l.why == HR_WHY_UNLIMITED) {
            unlimited = 1;
        } else if (HR_IS_KNOWN(l)) {
            int64_t room = l.v - (HR_IS_KNOWN(u) ? u.v : 0);
            if (best < 0 || room < best_room) {
                best = i;
                best_room = room;
                lim = l;
                use = u;
            }
        } else if (lim.why == HR_WHY_ABSENT && best < 0) {
            lim = l; /* keep the first real failure to report it */
        }
    }
    if (best < 0 && unlimited && lim.why == HR_WHY_ABSENT)
        lim = hr__unknown(HR_WHY_UNLIMITED, 0);
    if (best < 0 && st->cg_version == 2 && st->nlevels == 0)
        lim = hr__unknown(HR_WHY_UNLIMITED, 0); /* the root cgroup has no limit */
    m->cgroup_limit_bytes = lim;
    m->cgroup_usage_bytes = best < 0 ? own_use : use;
}

static void cgroup_report(struct hr__lx_mem *st, hr_probe *p) {
    const hr_mem_info *m = &p->mem;
    if (st->cg_version == 0) {
        hr__probe_report(p, "cgroup", HR_SOURCE_ABSENT, HR_WHY_ABSENT,
                         "no cgroup memory controller found for this process");
        return;
    }
    hr__lx_tally t = {0};
    hr__lx_count(&t, m->cgroup_limit_bytes.why == HR_WHY_UNLIMITED ? hr__known(0)
                                                                    : m->cgroup_limit_bytes);
    hr__lx_count(&t, m->cgroup_usage_bytes);
    hr__probe_report(p, "cgroup", hr__lx_state(&t), hr__lx_why(&t), "cgroup v%d %s, %s",
                     st->cg_version, st->cg_path,
                     HR_IS_KNOWN(m->cgroup_limit_bytes) ? "memory limit set"
                                                        : hr_why_text(m->cgroup_limit_bytes.why));
}

/* Opens the limit/usage files from DIR (under the root) up to BASE. */
static void cgroup_open_levels(hr_ctx *ctx, struct hr__lx_mem *st, const char *base,
                               const char *limit, const char *usage) {
    char dir[HR__LX_PATH_CAP], rel[HR__LX_PATH_CAP + 32];
    hr__snprintf(dir, sizeof dir, "%s%s", base, strcmp(st->cg_path, "/") ? st->cg_path : "");
    size_t blen = strlen(base);
    while (st->nlevels < CG_LEVELS) {
        cg_level *lv = &st->levels[st->nlevels];
        hr__snprintf(rel, sizeof rel, "%s/%s", dir, limit);
        hr__attr_open(&lv->limit, ctx, rel);
        hr__snprintf(rel, sizeof rel, "%s/%s", dir, usage);
        hr__attr_open(&lv->usage, ctx, rel);
        /* A level without either file (e.g. the path of a container without
         * a cgroup namespace, not mounted here) is skipped. */
        if (hr__attr_ok(&lv->limit) || hr__attr_ok(&lv->usage)) {
            st->nlevels++;
        } else {
            hr__attr_close(&lv->limit);
            hr__attr_close(&lv->usage);
        }
        char *slash = strrchr(dir, '/');
        if (strlen(dir) <= blen || !slash || (size_t)(slash - dir) < blen)
            break;
        *slash = '\0';
    }
}

/* 1 when BASE/cgroup.controllers lists the memory controller. */
static int v2_has_memory(hr_ctx *ctx, const char *base) {
    char rel[HR__LX_PATH_CAP], buf[512];
    size_t n = 0;
    int err = 0;
    hr__snprintf(rel, sizeof rel, "%s/cgroup.controllers", base);
    if (hr__fs_read(ctx, rel, buf, sizeof buf, &n, &err) != HR_OK)
        return 0;
    /* A space-separated word list; strtok is not thread-safe, so scan by hand. */
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && buf[j] != ' ' && buf[j] != '\n')
            j++;
        if (j - i == 6 && memcmp(buf + i, "memory", 6) == 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

static void cgroup_open(hr_ctx *ctx, struct hr__lx_mem *st) {
    /* proc/self/cgroup has one line per v1 hierarchy plus "0::/path". */
    char buf[4096], v1[CG_PATH_CAP], v2[CG_PATH_CAP];
    size_t n = 0;
    int err = 0;
    if (hr__fs_read(ctx, "proc/self/cgroup", buf, sizeof buf, &n, &err) != HR_OK ||
        hr__lx_parse_cgroup(buf, n, v1, sizeof v1, v2, sizeof v2) != HR_OK)
        return;
    if (v1[0] && hr__fs_exists(ctx, "sys/fs/cgroup/memory/memory.limit_in_bytes")) {
        st->cg_version = 1;
        hr__strlcpy(st->cg_path, v1, sizeof st->cg_path);
        cgroup_open_levels(ctx, st, "sys/fs/cgroup/memory", "memory.limit_in_bytes",
                           "memory.usage_in_bytes");
        return;
    }
    /* Unified hierarchy at sys/fs/cgroup, or hybrid at sys/fs/cgroup/unified. */
    const char *base = v2_has_memory(ctx, "sys/fs/cgroup")           ? "sys/fs/cgroup"
                       : v2_has_memory(ctx, "sys/fs/cgroup/unified") ? "sys/fs/cgroup/unified"
                                                                     : NULL;
    if (!v2[0] || !base)
        return;
    st->cg_version = 2;
    hr__strlcpy(st->cg_path, v2, sizeof st->cg_path);
    cgroup_open_levels(ctx, st, base, "memory.max", "memory.current");
}

/* ---- pressure stall information ------------------------------------------ */

/* "avg10=1.25" percent with two decimals -> ppm (1.25 % = 12500 ppm). */
static hr_reading psi_field(const char *line, size_t len, const char *name, int is_avg) {
    const char *v;
    size_t vlen;
    if (!line)
        return hr__unknown(HR_WHY_ABSENT, 0);
    if (hr__field_find(line, len, name, &v, &vlen) != HR_OK)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    int64_t x;
    hr_status s = is_avg ? hr__parse_fixed(v, vlen, 4, &x) : hr__parse_i64(v, vlen, &x);
    if (s != HR_OK || x < 0 || (is_avg && x > 1000000))
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(x);
}

/* The line of BUF starting with PREFIX ("some ", "full "), or NULL. */
static const char *psi_line(const char *buf, size_t n, const char *prefix, size_t *len) {
    size_t plen = strlen(prefix);
    for (const char *l = buf, *end = buf + n; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        size_t ll = nl ? (size_t)(nl - l) : (size_t)(end - l);
        if (ll > plen && memcmp(l, prefix, plen) == 0) {
            *len = ll;
            return l;
        }
        l += ll + 1;
    }
    return NULL;
}

static void psi_read(hr__attr *a, hr_psi *out) {
    /* Two lines of about 60 bytes each. */
    char buf[512];
    long n = hr__attr_read(a, buf, sizeof buf);
    if (n < 0) {
        hr_reading r = hr__lx_errno_reading(n);
        out->some_avg10_ppm = out->some_avg60_ppm = out->full_avg10_ppm = out->some_total_us = r;
        return;
    }
    size_t slen = 0, flen = 0;
    const char *some = psi_line(buf, (size_t)n, "some ", &slen);
    const char *full = psi_line(buf, (size_t)n, "full ", &flen);
    /* A file without its "some" line is not PSI at all. */
    if (!some) {
        some = buf;
        slen = 0;
    }
    out->some_avg10_ppm = psi_field(some, slen, "avg10", 1);
    out->some_avg60_ppm = psi_field(some, slen, "avg60", 1);
    out->some_total_us = psi_field(some, slen, "total", 0);
    out->full_avg10_ppm = psi_field(full, flen, "avg10", 1);
}

static void psi_report(hr_probe *p) {
    hr__lx_tally t = {0};
    const hr_psi *all[PSI_COUNT] = {&p->mem.psi_memory, &p->mem.psi_cpu, &p->mem.psi_io};
    for (int i = 0; i < PSI_COUNT; i++) {
        hr__lx_count(&t, all[i]->some_avg10_ppm);
        hr__lx_count(&t, all[i]->some_avg60_ppm);
        hr__lx_count(&t, all[i]->some_total_us);
    }
    hr__probe_report(p, "psi", hr__lx_state(&t), hr__lx_why(&t),
                     "proc/pressure: %d of %d values read", t.known, t.known + t.unknown);
}

/* ---- module -------------------------------------------------------------- */

void hr__lx_mem_refresh(struct hr__lx_mem *st, hr_probe *p) {
    if (!st)
        return;
    hr_mem_info *m = &p->mem;
    hr__lx_tally t = {0};
    meminfo_read(st, m, &t);
    hr__probe_report(p, "meminfo", hr__lx_state(&t), hr__lx_why(&t), "proc/meminfo");
    cgroup_read(st, m);
    cgroup_report(st, p);
    psi_read(&st->psi[PSI_MEMORY], &m->psi_memory);
    psi_read(&st->psi[PSI_CPU], &m->psi_cpu);
    psi_read(&st->psi[PSI_IO], &m->psi_io);
    psi_report(p);
    /* Derived by the core after every read (derive.c). */
    m->budget_bytes = hr__unknown(HR_WHY_ABSENT, 0);
    m->pressure_level = hr__unknown(HR_WHY_ABSENT, 0);
    /* macOS-only facts. */
    m->vm_pressure_level = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    m->memorystatus_level = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    m->thermal_pressure = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
}

hr_status hr__lx_mem_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_mem **out) {
    *out = NULL;
    struct hr__lx_mem *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    hr__attr_open(&st->meminfo, ctx, "proc/meminfo");
    for (int i = 0; i < PSI_COUNT; i++)
        hr__attr_open(&st->psi[i], ctx, psi_files[i]);
    cgroup_open(ctx, st);
    hr__lx_mem_refresh(st, p);
    *out = st;
    return HR_OK;
}

void hr__lx_mem_close(struct hr__lx_mem *st, hr_probe *p) {
    (void)p;
    if (!st)
        return;
    hr__attr_close(&st->meminfo);
    for (int i = 0; i < PSI_COUNT; i++)
        hr__attr_close(&st->psi[i]);
    for (int i = 0; i < st->nlevels; i++) {
        hr__attr_close(&st->levels[i].limit);
        hr__attr_close(&st->levels[i].usage);
    }
    free(st);
}

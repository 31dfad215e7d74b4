/* rapl.c: RAPL energy counters under sys/class/powercap and the power they
 * imply between two reads.
 *
 * Zones are the entries "<type>:N" and "<type>:N:M" of the control types
 * intel-rapl (Intel, and AMD Zen since Linux 5.8), amd-rapl and
 * intel-rapl-mmio. energy_uj stays open and is pread on refresh; the counter
 * wraps at max_energy_range_uj. Since the 2020 PLATYPUS fix (CVE-2020-8694)
 * energy_uj is readable by root only: that is "needs permission", never 0.
 * Power uses p->t_mono_ns, which the core sets before every read. */
#include <stdlib.h>
#include <string.h>

#include "platform/linux/linux.h"
#include "platform/linux/lx_util.h"

/* Control types in order of preference for the CPU package power: on Intel
 * laptops intel-rapl-mmio:0 repeats intel-rapl:0's package, so package power
 * is summed within the first type that has package zones only. */
static const char *const control_types[] = {"intel-rapl", "amd-rapl", "intel-rapl-mmio"};

#define NTYPES (sizeof control_types / sizeof control_types[0])

typedef struct lx_domain {
    hr__attr energy;
    int type;         /* index into control_types */
    int is_package;   /* counted in p->cpu.power_mw */
    int have_prev;
    int64_t prev_uj;
    int64_t prev_ns;
} lx_domain;

struct hr__lx_rapl {
    lx_domain *doms; /* parallel to p->rapl */
};

/* ---- names --------------------------------------------------------------- */

/* The control type of zone entry NAME ("intel-rapl:0:1"), or -1; *depth gets
 * the number of ":N" parts (1 for a package-level zone, 2 for a subzone). */
static int zone_type(const char *name, int *depth) {
    for (size_t t = 0; t < NTYPES; t++) {
        size_t len = strlen(control_types[t]);
        if (strncmp(name, control_types[t], len) != 0 || name[len] != ':')
            continue;
        *depth = 0;
        for (const char *c = name + len; *c; c++) {
            if (*c == ':')
                (*depth)++;
            else if (*c < '0' || *c > '9')
                return -1;
        }
        return (int)t;
    }
    return -1;
}

/* ---- values -------------------------------------------------------------- */

/* energy_uj and max_energy_range_uj are unsigned; above INT64_MAX is not a
 * counter value we can represent, so it is unreadable. */
static hr_reading counter_reading(hr__attr *a) {
    char buf[64];
    long n = hr__attr_read(a, buf, sizeof buf);
    if (n < 0)
        return hr__lx_errno_reading(n);
    uint64_t v;
    if ((size_t)n + 1 >= sizeof buf || hr__parse_u64(buf, (size_t)n, &v) != HR_OK ||
        v > (uint64_t)INT64_MAX)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known((int64_t)v);
}

/* DUJ microjoules over DNS nanoseconds in milliwatts: duj * 1e6 / dns. */
static hr_reading milliwatts(uint64_t duj, uint64_t dns) {
    if (duj <= UINT64_MAX / 1000000u)
        return hr__known((int64_t)(duj * 1000000u / dns));
    long double mw = (long double)duj * 1e6L / (long double)dns;
    return mw < 9.2e18L ? hr__known((int64_t)mw) : hr__unknown(HR_WHY_UNREADABLE, 0);
}

/* Power from the previous read of D to energy E at time NOW. The counter
 * wraps at RANGE: a smaller value means new + range - old. */
static hr_reading power(lx_domain *d, hr_reading e, hr_reading range, int64_t now) {
    if (!HR_IS_KNOWN(e)) {
        d->have_prev = 0;
        return hr__unknown((hr_why)e.why, e.err);
    }
    int had = d->have_prev;
    int64_t old = d->prev_uj, then = d->prev_ns;
    if (had && now <= then)
        return hr__unknown(HR_WHY_NEEDS_INTERVAL, 0); /* keep the older sample */
    d->prev_uj = e.v;
    d->prev_ns = now;
    d->have_prev = 1;
    if (!had)
        return hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
    uint64_t delta;
    if (e.v >= old)
        delta = (uint64_t)(e.v - old);
    else if (HR_IS_KNOWN(range) && range.v > old)
        delta = (uint64_t)(range.v - old) + (uint64_t)e.v;
    else
        return hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
    return milliwatts(delta, (uint64_t)(now - then));
}

/* Sum of the package zones' power; unknown unless every one is known. */
static hr_reading package_power(const struct hr__lx_rapl *st, const hr_probe *p) {
    hr_reading sum = hr__unknown(HR_WHY_ABSENT, ENOENT);
    int n = 0;
    for (size_t i = 0; i < p->nrapl; i++) {
        if (!st->doms[i].is_package)
            continue;
        hr_reading r = p->rapl[i].power_mw;
        if (n++ == 0)
            sum = r;
        else if (HR_IS_KNOWN(sum))
            sum = HR_IS_KNOWN(r) ? hr__known(sum.v + r.v) : r;
    }
    return sum;
}

void hr__lx_rapl_refresh(struct hr__lx_rapl *st, hr_probe *p) {
    if (!st)
        return;
    hr__lx_tally t = {0};
    for (size_t i = 0; i < p->nrapl; i++) {
        hr_rapl_domain *r = &p->rapl[i];
        r->energy_uj = counter_reading(&st->doms[i].energy);
        r->power_mw = power(&st->doms[i], r->energy_uj, r->max_energy_range_uj, p->t_mono_ns);
        hr__lx_count(&t, r->energy_uj);
    }
    p->cpu.power_mw = package_power(st, p);
    if (p->nrapl == 0) {
        hr__probe_report(p, "powercap", HR_SOURCE_ABSENT, HR_WHY_ABSENT,
                         "no RAPL zones under sys/class/powercap");
        return;
    }
    const char *hint = t.unknown && t.why == HR_WHY_NO_PERMISSION
                           ? "; energy_uj is root-only since the CVE-2020-8694 fix"
                           : "";
    hr__probe_report(p, "powercap", hr__lx_state(&t), hr__lx_why(&t),
                     "%zu RAPL zones, %d energy counters readable%s", p->nrapl, t.known, hint);
}

/* ---- discovery ----------------------------------------------------------- */

static void open_domain(hr_ctx *ctx, const char *entry, int type, int depth, hr_rapl_domain *r,
                        lx_domain *d) {
    char rel[HR__LX_PATH_CAP];
    memset(r, 0, sizeof *r);
    memset(d, 0, sizeof *d);
    hr__strlcpy(r->path, entry, sizeof r->path);
    hr__snprintf(rel, sizeof rel, "sys/class/powercap/%s/name", entry);
    hr__lx_read_line(ctx, rel, r->name, sizeof r->name);
    hr__snprintf(rel, sizeof rel, "sys/class/powercap/%s/max_energy_range_uj", entry);
    hr__attr range;
    hr__attr_open(&range, ctx, rel);
    r->max_energy_range_uj = counter_reading(&range);
    hr__attr_close(&range);
    hr__snprintf(rel, sizeof rel, "sys/class/powercap/%s/energy_uj", entry);
    hr__attr_open(&d->energy, ctx, rel);
    d->type = type;
    d->is_package = depth == 1 && strncmp(r->name, "package", 7) == 0;
    r->power_mw = hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
}

/* Keeps package zones of the first control type that has any. */
static void choose_packages(struct hr__lx_rapl *st, size_t n) {
    int type = -1;
    for (size_t i = 0; i < n; i++)
        if (st->doms[i].is_package && (type < 0 || st->doms[i].type < type))
            type = st->doms[i].type;
    for (size_t i = 0; i < n; i++)
        st->doms[i].is_package = st->doms[i].is_package && st->doms[i].type == type;
}

static hr_status open_domains(hr_ctx *ctx, struct hr__lx_rapl *st, hr_probe *p,
                              const hr__lx_name *names, size_t n) {
    if (n == 0)
        return HR_OK;
    p->rapl = calloc(n, sizeof *p->rapl);
    st->doms = calloc(n, sizeof *st->doms);
    if (!p->rapl || !st->doms)
        return HR_ENOMEM;
    /* By control type, then in natural order within it. */
    for (int t = 0; t < (int)NTYPES; t++) {
        for (size_t i = 0; i < n; i++) {
            int depth = 0, type = zone_type(names[i], &depth);
            if (type != t || depth < 1)
                continue;
            open_domain(ctx, names[i], type, depth, &p->rapl[p->nrapl], &st->doms[p->nrapl]);
            p->nrapl++;
        }
    }
    choose_packages(st, p->nrapl);
    return HR_OK;
}

hr_status hr__lx_rapl_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_rapl **out) {
    *out = NULL;
    struct hr__lx_rapl *st = calloc(1, sizeof *st);
    hr__lx_name *names = NULL;
    size_t n = 0;
    int err = 0;
    hr_status s = st ? hr__lx_list(ctx, "sys/class/powercap", "", &names, &n, &err) : HR_ENOMEM;
    if (s == HR_OK)
        s = open_domains(ctx, st, p, names, n);
    free(names);
    if (s != HR_OK) {
        hr__lx_rapl_close(st, p);
        return s;
    }
    hr__lx_rapl_refresh(st, p);
    *out = st;
    return HR_OK;
}

void hr__lx_rapl_close(struct hr__lx_rapl *st, hr_probe *p) {
    if (st) {
        for (size_t i = 0; i < p->nrapl; i++)
            hr__attr_close(&st->doms[i].energy);
        free(st->doms);
        free(st);
    }
    free(p->rapl);
    p->rapl = NULL;
    p->nrapl = 0;
}

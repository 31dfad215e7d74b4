/* events.c: time spent at each pressure level (thermal, memory), cooling
 * breaks (count, total, reasons), and every event kind counted, the ones
 * the report does not know included. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

int hr__is_cooling_kind(const char *kind) {
    return strncmp(kind, "cooling", 7) == 0 || strcmp(kind, "cooldown") == 0;
}

int hr__is_throttle_kind(const char *kind) { return strncmp(kind, "throttle", 8) == 0; }

int hr__is_collapse_kind(const char *kind) { return strcmp(kind, "collapse") == 0; }

static int documented_kind(const char *kind) {
    static const char *const known[] = {"collapse", "cooling_break", "throttle", "channel_missing",
                                        "mark",     "pause",         "resume",   "critical"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(kind, known[i]) == 0)
            return 1;
    return 0;
}

/* --- pressure levels --- */

static const char *level_name(const char *metric, int64_t level) {
    static const char *const thermal[] = {"nominal", "moderate", "heavy", "trapping", "sleeping"};
    static const char *const mem[] = {"normal", "warn", "critical"};
    if (strcmp(metric, "thermal_pressure") == 0 && level >= 0 && level <= 4)
        return thermal[level];
    if (strcmp(metric, "pressure") == 0 && level >= 0 && level <= 2)
        return mem[level];
    if (strcmp(metric, "vm_pressure") == 0)
        return level == 1 ? "normal" : level == 2 ? "warn" : level == 4 ? "critical" : NULL;
    return NULL;
}

static hr_status level_rows(const hr__rchan *ch, const hr__rdata *d, hr__rmodel *m) {
    double known = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < d->nticks; i++) {
        if (!(ch->v[i] >= 0 && ch->v[i] <= 64))
            continue; /* not a level (NaN included) */
        known += m->dt_s[i];
        int64_t l = llround(ch->v[i]);
        lo = l < lo ? l : lo;
        hi = l > hi ? l : hi;
    }
    if (known <= 0)
        return HR_OK;
    for (int64_t l = lo; l <= hi; l++) {
        double s = 0;
        for (size_t i = 0; i < d->nticks; i++)
            if (ch->v[i] >= 0 && ch->v[i] <= 64 && llround(ch->v[i]) == l)
                s += m->dt_s[i];
        if (s <= 0)
            continue;
        hr__mlevel *nl = realloc(m->lev, (m->nlev + 1) * sizeof *nl);
        if (!nl)
            return HR_ENOMEM;
        m->lev = nl;
        hr__mlevel *r = &m->lev[m->nlev++];
        memset(r, 0, sizeof *r);
        hr__snprintf(r->channel, sizeof r->channel, "%s/%s", ch->component, ch->metric);
        r->level = l;
        const char *name = level_name(ch->metric, l);
        if (name)
            hr__strlcpy(r->name, name, sizeof r->name);
        else
            hr__snprintf(r->name, sizeof r->name, "level %lld", (long long)l);
        r->seconds = s;
        r->share = s / known;
    }
    return HR_OK;
}

hr_status hr__an_levels(const hr__rdata *d, hr__rmodel *m) {
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        if (ch->kind == HR__RK_PRESSURE && strcmp(ch->base_unit, "level") == 0 && ch->nknown)
            st = level_rows(ch, d, m);
    }
    return st;
}

/* --- events --- */

static int64_t session_end(const hr__rdata *d) {
    int64_t end = d->end_ns;
    if (d->nticks && d->t_ns[d->nticks - 1] > end)
        end = d->t_ns[d->nticks - 1];
    if (d->steps.n && d->steps.t_ns[d->steps.n - 1] > end)
        end = d->steps.t_ns[d->steps.n - 1];
    return end;
}

static double event_seconds(const hr__rdata *d, const hr__revent *e) {
    int64_t end = e->end_ns ? e->end_ns : session_end(d);
    return end > e->start_ns ? (double)(end - e->start_ns) / 1e9 : 0.0;
}

/* A break's reason: the word before ": " when its detail starts with one
 * ("thermal: gpu0 at 84 C; planned 30 s", as `headroom run` writes them),
 * else the whole detail. */
static hr_status cooling_reason(hr__mcool *c, const char *detail, double s) {
    char key[32];
    const char *text = detail[0] ? detail : "(no reason given)";
    size_t n = strcspn(detail, ": ");
    if (n && n < sizeof key && detail[n] == ':' && detail[n + 1] == ' ') {
        memcpy(key, detail, n);
        key[n] = '\0';
        text = key;
    }
    for (size_t i = 0; i < c->nreasons; i++)
        if (strcmp(c->reasons[i].text, text) == 0) {
            c->reasons[i].count++;
            c->reasons[i].seconds += s;
            return HR_OK;
        }
    hr__mreason *nr = realloc(c->reasons, (c->nreasons + 1) * sizeof *nr);
    if (!nr)
        return HR_ENOMEM;
    c->reasons = nr;
    nr[c->nreasons].text = strdup(text);
    if (!nr[c->nreasons].text)
        return HR_ENOMEM;
    nr[c->nreasons].count = 1;
    nr[c->nreasons].seconds = s;
    c->nreasons++;
    return HR_OK;
}

static int cmp_reason(const void *a, const void *b) {
    const hr__mreason *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

static hr_status kind_count(hr__rmodel *m, const hr__revent *e, double s) {
    hr__mkind *k = NULL;
    for (size_t i = 0; i < m->nkinds; i++)
        if (strcmp(m->kinds[i].kind, e->kind) == 0)
            k = &m->kinds[i];
    if (!k) {
        hr__mkind *nk = realloc(m->kinds, (m->nkinds + 1) * sizeof *nk);
        if (!nk)
            return HR_ENOMEM;
        m->kinds = nk;
        k = &m->kinds[m->nkinds++];
        memset(k, 0, sizeof *k);
        hr__strlcpy(k->kind, e->kind, sizeof k->kind);
        k->documented = documented_kind(e->kind);
    }
    k->count++;
    k->open += e->end_ns ? 0u : 1u;
    k->total_s += s;
    return HR_OK;
}

hr_status hr__an_events(const hr__rdata *d, hr__rmodel *m) {
    hr_status st = HR_OK;
    for (size_t i = 0; st == HR_OK && i < d->nev; i++) {
        const hr__revent *e = &d->ev[i];
        double s = event_seconds(d, e);
        st = kind_count(m, e, s);
        if (st != HR_OK || !hr__is_cooling_kind(e->kind))
            continue;
        m->cool.count++;
        m->cool.open += e->end_ns ? 0u : 1u;
        m->cool.total_s += s;
        st = cooling_reason(&m->cool, e->detail, s);
    }
    if (m->cool.nreasons > 1)
        qsort(m->cool.reasons, m->cool.nreasons, sizeof *m->cool.reasons, cmp_reason);
    return st;
}

/* data.c: building and freeing the in-memory session (hr__rdata). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

const char *hr__rkind_name(int kind) {
    static const char *const names[HR__RK_COUNT] = {
        [HR__RK_OTHER] = "other",       [HR__RK_TEMP] = "temperature",
        [HR__RK_POWER] = "power",       [HR__RK_UTIL] = "utilisation",
        [HR__RK_CLOCK] = "clock",       [HR__RK_MEMORY] = "memory",
        [HR__RK_RLE] = "rle",           [HR__RK_LIMIT] = "limit",
        [HR__RK_PRESSURE] = "pressure",
    };
    return kind >= 0 && kind < HR__RK_COUNT ? names[kind] : "other";
}

static int has(const char *s, const char *part) { return strstr(s, part) != NULL; }

/* What a channel measures, from its base unit and metric name. */
static int classify(const char *component, const char *metric, const char *base) {
    if (strcmp(component, "psi") == 0 || has(metric, "pressure"))
        return HR__RK_PRESSURE;
    if (has(metric, "crit") || has(metric, "slowdown") || has(metric, "limit") ||
        has(metric, "margin") || has(metric, "_max") || has(metric, "budget"))
        return HR__RK_LIMIT;
    if (strcmp(base, "celsius") == 0)
        return HR__RK_TEMP;
    if (strcmp(base, "watts") == 0)
        return HR__RK_POWER;
    if (strcmp(base, "hertz") == 0)
        return HR__RK_CLOCK;
    if (strcmp(base, "bytes") == 0)
        return HR__RK_MEMORY;
    if (strcmp(base, "ratio") == 0 && (has(metric, "util") || has(metric, "iowait")))
        return HR__RK_UTIL;
    if (strcmp(base, "index") == 0 && (strncmp(metric, "rle", 3) == 0 || has(metric, "e_th") ||
                                       has(metric, "e_pw") || has(metric, "a_load")))
        return HR__RK_RLE;
    return HR__RK_OTHER;
}

/* The logical CPU of a per-core component "cpuN", or -1. */
static int32_t core_of(const char *component) {
    if (strncmp(component, "cpu", 3) != 0 || !component[3])
        return -1;
    long v = 0;
    for (const char *p = component + 3; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000)
            return -1;
        v = v * 10 + (*p - '0');
    }
    return (int32_t)v;
}

hr_status hr__rdata_set_ticks(hr__rdata *d, size_t n, const int64_t *t_ns) {
    if (d->nch)
        return HR_EINVAL;
    int64_t *t = malloc((n ? n : 1) * sizeof *t);
    if (!t)
        return HR_ENOMEM;
    if (n)
        memcpy(t, t_ns, n * sizeof *t);
    free(d->t_ns);
    d->t_ns = t;
    d->nticks = d->tcap = n;
    return HR_OK;
}

hr_status hr__rdata_add_channel(hr__rdata *d, const char *component, const char *metric,
                                const char *base_unit, const double *v, size_t *index) {
    if (!component || !metric || !base_unit)
        return HR_EINVAL;
    hr__rchan *nc = realloc(d->ch, (d->nch + 1) * sizeof *nc);
    if (!nc)
        return HR_ENOMEM;
    d->ch = nc;
    hr__rchan *c = &d->ch[d->nch];
    memset(c, 0, sizeof *c);
    c->v = malloc((d->nticks ? d->nticks : 1) * sizeof *c->v);
    if (!c->v)
        return HR_ENOMEM;
    hr__utf8_copy(c->component, component, sizeof c->component);
    hr__utf8_copy(c->metric, metric, sizeof c->metric);
    hr__utf8_copy(c->base_unit, base_unit, sizeof c->base_unit);
    hr__utf8_copy(c->unit, base_unit, sizeof c->unit);
    c->scale = 1.0;
    c->kind = classify(component, metric, base_unit);
    c->core = core_of(component);
    for (size_t i = 0; i < d->nticks; i++) {
        c->v[i] = v ? v[i] : NAN;
        if (isfinite(c->v[i]))
            c->nknown++;
        else
            c->v[i] = NAN;
    }
    if (index)
        *index = d->nch;
    d->nch++;
    return HR_OK;
}

int hr__rdata_find(const hr__rdata *d, const char *component, const char *metric) {
    for (size_t i = 0; i < d->nch; i++)
        if (strcmp(d->ch[i].component, component) == 0 && strcmp(d->ch[i].metric, metric) == 0)
            return (int)i;
    return -1;
}

static hr_status steps_grow(hr__rsteps *s) {
    if (s->n < s->cap)
        return HR_OK;
    size_t cap = s->cap ? s->cap * 2 : 64;
    int64_t *a = realloc(s->index, cap * sizeof *a);
    if (!a)
        return HR_ENOMEM;
    s->index = a;
    int64_t *b = realloc(s->t_ns, cap * sizeof *b);
    if (!b)
        return HR_ENOMEM;
    s->t_ns = b;
    int64_t *c = realloc(s->dur_ns, cap * sizeof *c);
    if (!c)
        return HR_ENOMEM;
    s->dur_ns = c;
    double *u = realloc(s->units, cap * sizeof *u);
    if (!u)
        return HR_ENOMEM;
    s->units = u;
    for (size_t f = 0; f < s->nfields; f++) {
        double *v = realloc(s->fields[f].v, cap * sizeof *v);
        if (!v)
            return HR_ENOMEM;
        s->fields[f].v = v;
    }
    s->cap = cap;
    return HR_OK;
}

/* The field NAME of S, added (NaN for every earlier row) when new; -1 on ENOMEM. */
static int field_index(hr__rsteps *s, const char *name) {
    for (size_t f = 0; f < s->nfields; f++)
        if (strcmp(s->fields[f].name, name) == 0)
            return (int)f;
    hr__rfield *nf = realloc(s->fields, (s->nfields + 1) * sizeof *nf);
    if (!nf)
        return -1;
    s->fields = nf;
    hr__rfield *f = &s->fields[s->nfields];
    memset(f, 0, sizeof *f);
    f->v = malloc((s->cap ? s->cap : 1) * sizeof *f->v);
    if (!f->v)
        return -1;
    hr__utf8_copy(f->name, name, sizeof f->name);
    for (size_t i = 0; i < s->n; i++)
        f->v[i] = NAN;
    return (int)s->nfields++;
}

hr_status hr__rsteps_add(hr__rsteps *s, int64_t index, int64_t t_ns, int64_t dur_ns, double units,
                         size_t n, const char *const *names, const double *values) {
    if (steps_grow(s) != HR_OK)
        return HR_ENOMEM;
    size_t i = s->n;
    s->index[i] = index;
    s->t_ns[i] = t_ns;
    s->dur_ns[i] = dur_ns;
    s->units[i] = isfinite(units) ? units : NAN;
    for (size_t f = 0; f < s->nfields; f++)
        s->fields[f].v[i] = NAN;
    s->n++;
    for (size_t k = 0; k < n; k++) {
        if (!names[k] || !names[k][0])
            continue;
        int f = field_index(s, names[k]);
        if (f < 0)
            return HR_ENOMEM;
        s->fields[f].v[i] = isfinite(values[k]) ? values[k] : NAN;
    }
    return HR_OK;
}

hr_status hr__rdata_add_event(hr__rdata *d, const char *kind, int64_t start_ns, int64_t end_ns,
                              const char *detail) {
    if (d->nev == d->evcap) {
        size_t cap = d->evcap ? d->evcap * 2 : 32;
        hr__revent *ne = realloc(d->ev, cap * sizeof *ne);
        if (!ne)
            return HR_ENOMEM;
        d->ev = ne;
        d->evcap = cap;
    }
    hr__revent *e = &d->ev[d->nev];
    memset(e, 0, sizeof *e);
    e->detail = hr__utf8_dup(detail);
    if (!e->detail)
        return HR_ENOMEM;
    hr__utf8_copy(e->kind, kind, sizeof e->kind);
    e->start_ns = start_ns;
    e->end_ns = end_ns;
    d->nev++;
    return HR_OK;
}

void hr__rsteps_free(hr__rsteps *s) {
    free(s->index);
    free(s->t_ns);
    free(s->dur_ns);
    free(s->units);
    for (size_t f = 0; f < s->nfields; f++)
        free(s->fields[f].v);
    free(s->fields);
    memset(s, 0, sizeof *s);
}

void hr__rdata_free(hr__rdata *d) {
    free(d->path);
    free(d->created_by);
    free(d->command);
    free(d->notes);
    free(d->time_base);
    json_decref(d->host);
    json_decref(d->tags);
    free(d->t_ns);
    for (size_t i = 0; i < d->nch; i++)
        free(d->ch[i].v);
    free(d->ch);
    hr__rsteps_free(&d->steps);
    hr__rsteps_free(&d->ext);
    free(d->ext_name);
    for (size_t i = 0; i < d->nev; i++)
        free(d->ev[i].detail);
    free(d->ev);
    memset(d, 0, sizeof *d);
}

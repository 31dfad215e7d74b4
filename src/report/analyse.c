/* analyse.c: the report's model: the timeline (what each tick stands for,
 * the busiest CPU core), the per-component summary, and the order in which
 * the other analyses run (hr__analyse). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

void hr__ropts_resolve(const hr_report_options *in, hr_report_options *out) {
    hr_report_options_defaults(out);
    if (!in)
        return;
    size_t n = in->size && in->size < sizeof *out ? in->size : sizeof *out;
    memcpy(out, in, n);
    out->size = sizeof *out;
    hr_report_options def;
    hr_report_options_defaults(&def);
    if (!(out->slow_factor > 1.0))
        out->slow_factor = def.slow_factor;
    if (!(out->critical_factor > out->slow_factor))
        out->critical_factor =
            out->slow_factor > def.critical_factor ? out->slow_factor * 2 : def.critical_factor;
    if (!(out->tolerance_s >= 0) || !isfinite(out->tolerance_s))
        out->tolerance_s = 0;
    if (out->chart_buckets <= 0)
        out->chart_buckets = def.chart_buckets;
    if (out->chart_buckets < 50)
        out->chart_buckets = 50;
    if (out->chart_buckets > 100000)
        out->chart_buckets = 100000;
    if (!out->time_column || !*out->time_column)
        out->time_column = def.time_column;
}

hr_status hr__note(hr__rmodel *m, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nn = realloc(m->notes, (m->nnotes + 1) * sizeof *nn);
    if (!nn)
        return HR_ENOMEM;
    m->notes = nn;
    m->notes[m->nnotes] = hr__utf8_dup(buf);
    if (!m->notes[m->nnotes])
        return HR_ENOMEM;
    m->nnotes++;
    return HR_OK;
}

int64_t hr__t0_ns(const hr__rdata *d) {
    int64_t t0 = d->start_ns;
    if (d->nticks && (!t0 || d->t_ns[0] < t0))
        t0 = d->t_ns[0];
    if (!t0 && d->steps.n)
        t0 = d->steps.t_ns[0] - (d->steps.dur_ns[0] > 0 ? d->steps.dur_ns[0] : 0);
    if (!t0 && d->nev)
        t0 = d->ev[0].start_ns;
    return t0;
}

double hr__rel_s(const hr__rdata *d, int64_t t_ns) { return (double)(t_ns - hr__t0_ns(d)) / 1e9; }

/* --- timeline --- */

static void cores_per_tick(const hr__rdata *d, hr__rmodel *m) {
    for (size_t i = 0; i < d->nticks; i++) {
        double best = NAN, usum = 0, fsum = 0;
        int32_t who = -1;
        size_t un = 0, fn = 0;
        for (size_t c = 0; c < d->nch; c++) {
            const hr__rchan *ch = &d->ch[c];
            if (ch->core < 0 || !isfinite(ch->v[i]))
                continue;
            if (strcmp(ch->metric, "util") == 0) {
                if (!(ch->v[i] <= best)) {
                    best = ch->v[i];
                    who = ch->core;
                }
                usum += ch->v[i];
                un++;
            } else if (strcmp(ch->metric, "freq") == 0) {
                fsum += ch->v[i];
                fn++;
            }
        }
        m->busiest[i] = best;
        m->busiest_cpu[i] = who;
        m->core_util_mean[i] = un ? usum / (double)un : NAN;
        m->core_freq_mean[i] = fn ? fsum / (double)fn : NAN;
    }
    for (size_t c = 0; c < d->nch; c++)
        if (d->ch[c].core >= 0 && strcmp(d->ch[c].metric, "util") == 0)
            m->ncores++;
}

hr_status hr__an_timeline(const hr__rdata *d, hr__rmodel *m) {
    size_t n = d->nticks ? d->nticks : 1;
    m->dt_s = calloc(n, sizeof *m->dt_s);
    m->busiest = calloc(n, sizeof *m->busiest);
    m->busiest_cpu = calloc(n, sizeof *m->busiest_cpu);
    m->core_util_mean = calloc(n, sizeof *m->core_util_mean);
    m->core_freq_mean = calloc(n, sizeof *m->core_freq_mean);
    if (!m->dt_s || !m->busiest || !m->busiest_cpu || !m->core_util_mean || !m->core_freq_mean)
        return HR_ENOMEM;
    int64_t med = hr__median_step_ns(d->t_ns, d->nticks);
    if (!med && d->requested_hz > 0)
        med = (int64_t)llround(1e9 / d->requested_hz);
    m->tick_s = (double)med / 1e9;
    /* A tick stands for the time until the next one, but a gap (missed
     * ticks, a paused recorder) counts for at most three intervals. */
    for (size_t i = 0; i < d->nticks; i++) {
        int64_t dt = i + 1 < d->nticks ? d->t_ns[i + 1] - d->t_ns[i] : med;
        if (med && dt > 3 * med)
            dt = 3 * med;
        m->dt_s[i] = (double)dt / 1e9;
    }
    int64_t t0 = hr__t0_ns(d), end = d->end_ns;
    if (d->nticks && d->t_ns[d->nticks - 1] > end)
        end = d->t_ns[d->nticks - 1];
    if (d->steps.n && d->steps.t_ns[d->steps.n - 1] > end)
        end = d->steps.t_ns[d->steps.n - 1];
    m->duration_s = end > t0 ? (double)(end - t0) / 1e9 : 0;
    cores_per_tick(d, m);
    return HR_OK;
}

/* --- per-component summary --- */

static int component_rank(const char *c) {
    if (strncmp(c, "gpu", 3) == 0)
        return 0;
    if (strcmp(c, "cpu") == 0)
        return 1;
    if (strcmp(c, "cpu cores") == 0)
        return 2;
    if (strcmp(c, "mem") == 0)
        return 3;
    return 4;
}

static hr_status sum_add(hr__rmodel *m, const char *component, const char *metric, int kind,
                         const char *base, const double *v, size_t n) {
    hr__msum *ns = realloc(m->sum, (m->nsum + 1) * sizeof *ns);
    if (!ns)
        return HR_ENOMEM;
    m->sum = ns;
    hr__msum *r = &m->sum[m->nsum];
    memset(r, 0, sizeof *r);
    hr__strlcpy(r->component, component, sizeof r->component);
    hr__strlcpy(r->metric, metric, sizeof r->metric);
    hr__strlcpy(r->base_unit, base, sizeof r->base_unit);
    r->kind = kind;
    hr__stat_of(v, n, &r->st);
    if (r->st.n)
        m->nsum++;
    return HR_OK;
}

typedef struct sum_item {
    int rank;
    size_t first, pos;
    hr__msum row;
} sum_item;

static int cmp_sum(const void *a, const void *b) {
    const sum_item *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->first != y->first)
        return (x->first > y->first) - (x->first < y->first);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Orders the rows: GPUs, cpu, cpu cores, mem, the rest; a component's rows
 * together, in the order its channels were declared. */
static hr_status sum_sort(hr__rmodel *m) {
    if (m->nsum < 2)
        return HR_OK;
    sum_item *it = calloc(m->nsum, sizeof *it);
    if (!it)
        return HR_ENOMEM;
    for (size_t i = 0; i < m->nsum; i++) {
        it[i].rank = component_rank(m->sum[i].component);
        it[i].pos = i;
        it[i].first = i;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->sum[j].component, m->sum[i].component) == 0) {
                it[i].first = it[j].first;
                break;
            }
        it[i].row = m->sum[i];
    }
    qsort(it, m->nsum, sizeof *it, cmp_sum);
    for (size_t i = 0; i < m->nsum; i++)
        m->sum[i] = it[i].row;
    free(it);
    return HR_OK;
}

hr_status hr__an_summary(const hr__rdata *d, hr__rmodel *m) {
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        int k = ch->kind;
        int wanted = k == HR__RK_TEMP || k == HR__RK_POWER || k == HR__RK_UTIL ||
                     k == HR__RK_CLOCK || k == HR__RK_MEMORY ||
                     (k == HR__RK_PRESSURE && strcmp(ch->base_unit, "ratio") == 0);
        if (ch->core >= 0 || !wanted || !ch->nknown)
            continue;
        st = sum_add(m, ch->component, ch->metric, k, ch->base_unit, ch->v, d->nticks);
    }
    if (st == HR_OK && m->ncores) {
        st = sum_add(m, "cpu cores", "util (busiest core)", HR__RK_UTIL, "ratio", m->busiest,
                     d->nticks);
        if (st == HR_OK)
            st = sum_add(m, "cpu cores", "util (mean of cores)", HR__RK_UTIL, "ratio",
                         m->core_util_mean, d->nticks);
        if (st == HR_OK)
            st = sum_add(m, "cpu cores", "freq (mean of cores)", HR__RK_CLOCK, "hertz",
                         m->core_freq_mean, d->nticks);
    }
    return st == HR_OK ? sum_sort(m) : st;
}

/* --- the whole --- */

hr_status hr__analyse(const hr__rdata *d, const hr_report_options *opt, hr__rmodel *m) {
    memset(m, 0, sizeof *m);
    hr_status st = hr__an_timeline(d, m);
    if (st == HR_OK)
        st = hr__an_summary(d, m);
    if (st == HR_OK)
        st = hr__an_throttle(d, m);
    if (st == HR_OK)
        st = hr__an_levels(d, m);
    if (st == HR_OK)
        st = hr__an_events(d, m);
    if (st == HR_OK)
        st = hr__an_steps(d, opt, m);
    if (st == HR_OK)
        st = hr__an_rle(d, m);
    if (st == HR_OK)
        st = hr__an_correlate(d, opt, m);
    if (st == HR_OK)
        st = hr__an_diagnose(d, m);
    return st;
}

static void free_strv(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void hr__rmodel_free(hr__rmodel *m) {
    free(m->dt_s);
    free(m->busiest);
    free(m->busiest_cpu);
    free(m->core_util_mean);
    free(m->core_freq_mean);
    free(m->sum);
    free(m->thr);
    free(m->lev);
    for (size_t i = 0; i < m->cool.nreasons; i++)
        free(m->cool.reasons[i].text);
    free(m->cool.reasons);
    free(m->kinds);
    free(m->steps.episodes);
    free(m->steps.spu);
    free(m->rle);
    free(m->corr);
    for (size_t i = 0; i < m->nscat; i++)
        for (size_t s = 0; s < m->scat[i].ns; s++) {
            free(m->scat[i].s[s].x);
            free(m->scat[i].s[s].y);
        }
    for (size_t i = 0; i < m->nfind; i++) {
        free(m->find[i].title);
        free_strv(m->find[i].evidence, m->find[i].nev);
        free_strv(m->find[i].advice, m->find[i].nadv);
    }
    free(m->find);
    free_strv(m->notes, m->nnotes);
    memset(m, 0, sizeof *m);
}

/* rle.c: RLE per component: mean, collapse rate counted per component (the
 * seed's analysis scripts divided all collapse rows by all rows, CPU and GPU
 * mixed), and its derivative analysis (seed 004's rle_time_derivative.py):
 * mean |dRLE/dt|, its spread, the late spread, and whether the index has
 * settled ("saturated") or still moves with the load ("still modulating"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define LATE_WINDOW 10        /* samples in the centred rolling window */
#define LATE_WINDOWS 10       /* the last complete windows averaged */
#define SATURATED_BELOW 0.001 /* per second (derivative) and RLE units (spread) */

static double sample_sd(const double *v, size_t n) {
    double mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        mean += v[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    return n > 1 ? sqrt(ss / (double)(n - 1)) : NAN;
}

/* Derivative analysis over the K known samples T (s) / R. */
static void derivative(const double *t, const double *r, size_t k, hr__mrle *out) {
    out->mean_abs_d = out->std_d = out->late_spread = NAN;
    out->verdict = "too short";
    if (k < 2 * LATE_WINDOW)
        return;
    double *g = malloc(k * sizeof *g);
    if (!g)
        return;
    hr__gradient(t, r, k, g);
    double sa = 0, s = 0, ss = 0;
    size_t n = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(g[i]))
            continue;
        sa += fabs(g[i]);
        s += g[i];
        ss += g[i] * g[i];
        n++;
    }
    free(g);
    if (n < 2)
        return;
    out->mean_abs_d = sa / (double)n;
    double mean = s / (double)n, var = ss / (double)n - mean * mean;
    out->std_d = sqrt(var > 0 ? var : 0);
    size_t windows = k - LATE_WINDOW + 1,
           first = windows > LATE_WINDOWS ? windows - LATE_WINDOWS : 0;
    double acc = 0;
    for (size_t w = first; w < windows; w++)
        acc += sample_sd(r + w, LATE_WINDOW);
    out->late_spread = acc / (double)(windows - first);
    out->verdict = out->mean_abs_d < SATURATED_BELOW && out->late_spread < SATURATED_BELOW
                       ? "saturated"
                       : "still modulating";
}

static void collapse_from_events(const hr__rdata *d, const hr__rchan *rle, hr__mrle *out) {
    int64_t first = 0, last = 0;
    int any = 0;
    for (size_t i = 0; i < d->nticks; i++)
        if (isfinite(rle->v[i])) {
            first = any ? first : d->t_ns[i];
            last = d->t_ns[i];
            any = 1;
        }
    double span = (double)(last - first) / 1e9;
    out->rate_from_events = 1;
    out->collapse_rate = span > 0 ? out->collapse_s / span : NAN;
    if (out->collapse_rate > 1)
        out->collapse_rate = 1;
}

static void collapse(const hr__rdata *d, const hr__rchan *rle, hr__mrle *out) {
    out->collapse_rate = NAN;
    out->collapse_s = 0;
    char comp[48];
    for (size_t i = 0; i < d->nev; i++) {
        const hr__revent *e = &d->ev[i];
        if (!hr__is_collapse_kind(e->kind) ||
            !hr__event_component(d, e->detail, comp, sizeof comp) ||
            strcmp(comp, rle->component) != 0)
            continue;
        out->collapse_events++;
        int64_t end = e->end_ns ? e->end_ns : (d->nticks ? d->t_ns[d->nticks - 1] : e->start_ns);
        if (end > e->start_ns)
            out->collapse_s += (double)(end - e->start_ns) / 1e9;
    }
    int c = hr__rdata_find(d, rle->component, "collapse");
    if (c < 0) {
        if (out->collapse_events)
            collapse_from_events(d, rle, out);
        return;
    }
    for (size_t i = 0; i < d->nticks; i++) {
        double v = d->ch[c].v[i];
        if (!isfinite(v))
            continue;
        out->collapse_known++;
        out->collapse_on += v != 0 ? 1u : 0u;
    }
    if (out->collapse_known)
        out->collapse_rate = (double)out->collapse_on / (double)out->collapse_known;
}

static hr_status one(const hr__rdata *d, const hr__rchan *ch, hr__rmodel *m) {
    hr__mrle *nr = realloc(m->rle, (m->nrle + 1) * sizeof *nr);
    if (!nr)
        return HR_ENOMEM;
    m->rle = nr;
    hr__mrle *out = &m->rle[m->nrle++];
    memset(out, 0, sizeof *out);
    hr__strlcpy(out->component, ch->component, sizeof out->component);
    hr__stat_of(ch->v, d->nticks, &out->st);
    collapse(d, ch, out);
    double *t = malloc((ch->nknown ? ch->nknown : 1) * sizeof *t);
    double *r = malloc((ch->nknown ? ch->nknown : 1) * sizeof *r);
    if (!t || !r) {
        free(t);
        free(r);
        return HR_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < d->nticks && k < ch->nknown; i++)
        if (isfinite(ch->v[i])) {
            t[k] = hr__rel_s(d, d->t_ns[i]);
            r[k++] = ch->v[i];
        }
    derivative(t, r, k, out);
    free(t);
    free(r);
    return HR_OK;
}

hr_status hr__an_rle(const hr__rdata *d, hr__rmodel *m) {
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++)
        if (strcmp(d->ch[c].metric, "rle") == 0 && d->ch[c].nknown)
            st = one(d, &d->ch[c], m);
    size_t unattributed = 0;
    char comp[48];
    for (size_t i = 0; i < d->nev; i++)
        if (hr__is_collapse_kind(d->ev[i].kind) &&
            !hr__event_component(d, d->ev[i].detail, comp, sizeof comp))
            unattributed++;
    if (st == HR_OK && unattributed)
        st = hr__note(m, "%zu collapse event(s) name no component and are not in any rate",
                      unattributed);
    return st;
}

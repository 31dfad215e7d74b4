/* steps.c: the job's steps (count, baseline, median, p95, slowdowns) and
 * where the time went (actual time against the time at baseline speed).
 *
 * Per unit: when every step says how many units of work it did (images,
 * samples), speeds are seconds per unit; otherwise seconds per step. A step
 * that spans a cooling break (the job was paused) is timed without the
 * break: the break is counted once, as cooling.
 * Baseline: the median speed of the steps within slow_factor of the 25th
 * percentile. The 25th percentile anchors "unthrottled" even when most of
 * the run was slow; the median of the steps near it ignores the noise of
 * healthy steps, so a run without trouble comes out close to 100 %.
 * Efficiency = time at baseline (baseline x all units) / actual time (the
 * first step's start to the last step's end); lost = actual - baseline
 * time, split into slow steps (the time they took beyond the baseline),
 * cooling breaks inside the job, and the rest (gaps between steps, small
 * variations). Seed 000's study: 530 min actual, 228 min at baseline: 57 %
 * lost, 43 % efficient. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static int all_units_known(const hr__rsteps *s) {
    if (!s->n)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (!(s->units[i] > 0))
            return 0;
    return 1;
}

/* Cooling breaks as sorted, disjoint intervals, to subtract them from the
 * steps they pause. */
typedef struct ivals {
    size_t n;
    int64_t *a, *b;
} ivals;

static int cmp_i64(const void *x, const void *y) {
    int64_t p = *(const int64_t *)x, q = *(const int64_t *)y;
    return (p > q) - (p < q);
}

static hr_status cooling_ivals(const hr__rdata *d, int64_t open_end, ivals *iv) {
    memset(iv, 0, sizeof *iv);
    size_t n = 0;
    for (size_t i = 0; i < d->nev; i++)
        n += hr__is_cooling_kind(d->ev[i].kind) ? 1u : 0u;
    if (!n)
        return HR_OK;
    int64_t *pairs = malloc(2 * n * sizeof *pairs);
    iv->a = malloc(n * sizeof *iv->a);
    iv->b = malloc(n * sizeof *iv->b);
    if (!pairs || !iv->a || !iv->b) {
        free(pairs);
        return HR_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < d->nev; i++) {
        const hr__revent *e = &d->ev[i];
        if (!hr__is_cooling_kind(e->kind))
            continue;
        int64_t end = e->end_ns ? e->end_ns : open_end;
        pairs[2 * k] = e->start_ns;
        pairs[2 * k + 1] = end > e->start_ns ? end : e->start_ns;
        k++;
    }
    qsort(pairs, n, 2 * sizeof *pairs, cmp_i64); /* by start */
    for (size_t i = 0; i < n; i++) {
        int64_t a = pairs[2 * i], b = pairs[2 * i + 1];
        if (iv->n && a <= iv->b[iv->n - 1]) {
            if (b > iv->b[iv->n - 1])
                iv->b[iv->n - 1] = b;
        } else {
            iv->a[iv->n] = a;
            iv->b[iv->n++] = b;
        }
    }
    free(pairs);
    return HR_OK;
}

/* Seconds of [A, B] inside the intervals. */
static double ivals_overlap(const ivals *iv, int64_t a, int64_t b) {
    size_t lo = 0, hi = iv->n; /* first interval ending after A */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (iv->b[mid] <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    double s = 0;
    for (size_t i = lo; i < iv->n && iv->a[i] < b; i++) {
        int64_t x = iv->a[i] > a ? iv->a[i] : a, y = iv->b[i] < b ? iv->b[i] : b;
        if (y > x)
            s += (double)(y - x) / 1e9;
    }
    return s;
}

static void ivals_free(ivals *iv) {
    free(iv->a);
    free(iv->b);
}

static double baseline_of(const double *spu, size_t n, double slow) {
    double p25 = hr__quantile(spu, n, 0.25);
    if (!isfinite(p25))
        return NAN;
    double *near = malloc(n * sizeof *near);
    if (!near)
        return NAN;
    for (size_t i = 0; i < n; i++)
        near[i] = isfinite(spu[i]) && spu[i] <= slow * p25 ? spu[i] : NAN;
    double b = hr__quantile(near, n, 0.5);
    free(near);
    return b;
}

static hr_status add_episode(hr__msteps *ms, const hr__mepisode *e) {
    hr__mepisode *ne = realloc(ms->episodes, (ms->nepisodes + 1) * sizeof *ne);
    if (!ne)
        return HR_ENOMEM;
    ms->episodes = ne;
    ms->episodes[ms->nepisodes++] = *e;
    return HR_OK;
}

static double step_units(const hr__rsteps *s, const hr__msteps *ms, size_t i) {
    return ms->per_unit ? s->units[i] : 1.0;
}

/* Runs of consecutive slow steps. */
static hr_status episodes(const hr__rdata *d, hr__msteps *ms) {
    const hr__rsteps *s = &d->steps;
    double b = ms->baseline, lim = ms->slow_factor * b;
    hr__mepisode cur;
    int open = 0;
    for (size_t i = 0; i <= s->n; i++) {
        int slow = i < s->n && isfinite(ms->spu[i]) && ms->spu[i] >= lim;
        if (slow) {
            double units = step_units(s, ms, i);
            double f = ms->spu[i] / b, lost = (ms->spu[i] - b) * units;
            if (!open) {
                memset(&cur, 0, sizeof cur);
                cur.first_index = s->index[i];
                cur.start_s = hr__rel_s(d, s->t_ns[i] - s->dur_ns[i]);
                open = 1;
            }
            cur.last_index = s->index[i];
            cur.end_s = hr__rel_s(d, s->t_ns[i]);
            cur.steps++;
            cur.worst_factor = f > cur.worst_factor ? f : cur.worst_factor;
            cur.lost_s += lost;
        } else if (open && (i == s->n || isfinite(ms->spu[i]))) {
            if (add_episode(ms, &cur) != HR_OK)
                return HR_ENOMEM;
            open = 0;
        }
    }
    return HR_OK;
}

/* Seconds of cooling events inside [A, B]. */
static double cooling_within(const hr__rdata *d, int64_t a, int64_t b) {
    double s = 0;
    for (size_t i = 0; i < d->nev; i++) {
        const hr__revent *e = &d->ev[i];
        if (!hr__is_cooling_kind(e->kind))
            continue;
        int64_t lo = e->start_ns > a ? e->start_ns : a;
        int64_t end = e->end_ns ? e->end_ns : b;
        int64_t hi = end < b ? end : b;
        if (hi > lo)
            s += (double)(hi - lo) / 1e9;
    }
    return s;
}

static void efficiency(const hr__rdata *d, hr__rmodel *m) {
    const hr__rsteps *s = &d->steps;
    hr__msteps *ms = &m->steps;
    hr__meff *e = &m->eff;
    memset(e, 0, sizeof *e);
    if (!s->n) {
        hr__snprintf(e->why, sizeof e->why,
                     "the session has no steps (headroom run records them; or join a log with "
                     "--steps FILE)");
        return;
    }
    if (!ms->timed || !isfinite(ms->baseline) || ms->baseline <= 0) {
        hr__snprintf(e->why, sizeof e->why, "no step reported its duration");
        return;
    }
    int64_t a = INT64_MAX, b = INT64_MIN;
    for (size_t i = 0; i < s->n; i++) {
        int64_t start = s->t_ns[i] - (s->dur_ns[i] > 0 ? s->dur_ns[i] : 0);
        a = start < a ? start : a;
        b = s->t_ns[i] > b ? s->t_ns[i] : b;
    }
    double units = 0;
    for (size_t i = 0; i < s->n; i++)
        units += step_units(s, ms, i);
    e->actual_s = (double)(b - a) / 1e9;
    if (!(e->actual_s > 0)) {
        hr__snprintf(e->why, sizeof e->why, "the steps span no time");
        return;
    }
    e->known = 1;
    e->units = units;
    e->theoretical_s = ms->baseline * units;
    e->lost_s = e->actual_s - e->theoretical_s;
    e->lost_share = e->lost_s / e->actual_s;
    e->efficiency = e->theoretical_s / e->actual_s;
    for (size_t k = 0; k < ms->nepisodes; k++)
        e->throttle_loss_s += ms->episodes[k].lost_s;
    e->cooling_s = cooling_within(d, a, b);
    e->other_s = e->lost_s - e->throttle_loss_s - e->cooling_s;
    /* What is left of a subtraction of equal sums is rounding, not time. */
    if (fabs(e->other_s) < 1e-9 * e->actual_s)
        e->other_s = 0;
}

hr_status hr__an_steps(const hr__rdata *d, const hr_report_options *opt, hr__rmodel *m) {
    const hr__rsteps *s = &d->steps;
    hr__msteps *ms = &m->steps;
    ms->count = s->n;
    ms->slow_factor = opt->slow_factor;
    ms->critical_factor = opt->critical_factor;
    ms->baseline = ms->median = ms->p95 = ms->mean = NAN;
    ms->spu = malloc((s->n ? s->n : 1) * sizeof *ms->spu);
    if (!ms->spu)
        return HR_ENOMEM;
    ms->per_unit = all_units_known(s);
    ivals iv;
    int64_t open_end = d->end_ns > 0 ? d->end_ns : (s->n ? s->t_ns[s->n - 1] : 0);
    if (cooling_ivals(d, open_end, &iv) != HR_OK) {
        ivals_free(&iv);
        return HR_ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        double dur = s->dur_ns[i] > 0 ? (double)s->dur_ns[i] / 1e9 : NAN;
        if (isfinite(dur) && iv.n)
            dur -= ivals_overlap(&iv, s->t_ns[i] - s->dur_ns[i], s->t_ns[i]);
        ms->spu[i] = dur > 0 ? dur / step_units(s, ms, i) : NAN;
        ms->timed += isfinite(ms->spu[i]) ? 1u : 0u;
    }
    ivals_free(&iv);
    if (ms->timed) {
        hr__stat st;
        hr__stat_of(ms->spu, s->n, &st);
        ms->mean = st.mean;
        ms->median = hr__quantile(ms->spu, s->n, 0.5);
        ms->p95 = hr__quantile(ms->spu, s->n, 0.95);
        ms->baseline = baseline_of(ms->spu, s->n, ms->slow_factor);
        for (size_t i = 0; i < s->n; i++) {
            ms->slow += ms->spu[i] >= ms->slow_factor * ms->baseline ? 1u : 0u;
            ms->critical += ms->spu[i] >= ms->critical_factor * ms->baseline ? 1u : 0u;
        }
        if (isfinite(ms->baseline) && episodes(d, ms) != HR_OK)
            return HR_ENOMEM;
    }
    efficiency(d, m);
    return HR_OK;
}

/* stats.c: the statistics behind the report (report.h): summaries,
 * quantiles, Pearson and Spearman correlation with Fisher-z confidence
 * intervals, the as-of join, and numerical derivatives. NaN is "unknown"
 * and is skipped everywhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

void hr__stat_of(const double *v, size_t n, hr__stat *out) {
    out->n = 0;
    out->min = out->mean = out->max = NAN;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        sum += v[i];
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        k++;
    }
    if (!k)
        return;
    out->n = k;
    out->min = lo;
    out->max = hi;
    out->mean = sum / (double)k;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double hr__quantile(const double *v, size_t n, double q) {
    double *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]))
            w[k++] = v[i];
    double res = NAN;
    if (k) {
        qsort(w, k, sizeof *w, cmp_double);
        double pos = q * (double)(k - 1);
        size_t lo = (size_t)floor(pos);
        size_t hi = lo + 1 < k ? lo + 1 : lo;
        double frac = pos - (double)lo;
        res = w[lo] + (w[hi] - w[lo]) * frac;
    }
    free(w);
    return res;
}

typedef struct ranked {
    double v;
    size_t i;
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return (x->i > y->i) - (x->i < y->i);
}

hr_status hr__ranks(const double *v, size_t n, double *rank) {
    ranked *w = malloc((n ? n : 1) * sizeof *w);
    if (!w)
        return HR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        w[i].v = v[i];
        w[i].i = i;
    }
    qsort(w, n, sizeof *w, cmp_ranked);
    for (size_t a = 0; a < n;) {
        size_t b = a;
        while (b + 1 < n && w[b + 1].v == w[a].v)
            b++;
        double r = ((double)a + (double)b) / 2.0 + 1.0;
        for (size_t k = a; k <= b; k++)
            rank[w[k].i] = r;
        a = b + 1;
    }
    free(w);
    return HR_OK;
}

/* r of the finite pairs, two passes (means first) for accuracy. */
static double pearson_r(const double *x, const double *y, size_t n, size_t *k_out) {
    double sx = 0, sy = 0, x0 = NAN, y0 = NAN;
    size_t k = 0;
    int xvar = 0, yvar = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        if (!k) {
            x0 = x[i];
            y0 = y[i];
        }
        xvar |= x[i] != x0;
        yvar |= y[i] != y0;
        sx += x[i];
        sy += y[i];
        k++;
    }
    *k_out = k;
    /* A constant side has no correlation (rounding in the mean must not
     * make one up). */
    if (k < 3 || !xvar || !yvar)
        return NAN;
    double mx = sx / (double)k, my = sy / (double)k, sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx <= 0 || syy <= 0)
        return NAN;
    double r = sxy / sqrt(sxx * syy);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

/* 95 % interval of r by Fisher's z with standard error SE. */
static void fisher_ci(hr__corr *c, double se) {
    c->lo = c->hi = NAN;
    if (!isfinite(c->r) || c->n < 4)
        return;
    if (fabs(c->r) >= 1.0) {
        c->lo = c->hi = c->r;
        return;
    }
    double z = atanh(c->r), h = 1.959963984540054 * se;
    c->lo = tanh(z - h);
    c->hi = tanh(z + h);
}

void hr__pearson(const double *x, const double *y, size_t n, hr__corr *out) {
    out->r = pearson_r(x, y, n, &out->n);
    fisher_ci(out, out->n > 3 ? 1.0 / sqrt((double)out->n - 3.0) : NAN);
}

void hr__spearman(const double *x, const double *y, size_t n, hr__corr *out) {
    out->n = 0;
    out->r = out->lo = out->hi = NAN;
    double *px = malloc((n ? n : 1) * sizeof *px), *py = malloc((n ? n : 1) * sizeof *py);
    double *rx = malloc((n ? n : 1) * sizeof *rx), *ry = malloc((n ? n : 1) * sizeof *ry);
    if (px && py && rx && ry) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(x[i]) || !isfinite(y[i]))
                continue;
            px[k] = x[i];
            py[k++] = y[i];
        }
        out->n = k;
        if (k >= 3 && hr__ranks(px, k, rx) == HR_OK && hr__ranks(py, k, ry) == HR_OK) {
            size_t kk = 0;
            out->r = pearson_r(rx, ry, k, &kk);
            fisher_ci(out, k > 3 ? sqrt(1.06 / ((double)k - 3.0)) : NAN);
        }
    }
    free(px);
    free(py);
    free(rx);
    free(ry);
}

size_t hr__asof(const int64_t *t, size_t n, int64_t q, int64_t tol_ns) {
    if (!n || t[0] > q)
        return (size_t)-1;
    size_t lo = 0, hi = n; /* the answer is the last index with t <= q: in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= q)
            lo = mid;
        else
            hi = mid;
    }
    return q - t[lo] <= tol_ns ? lo : (size_t)-1;
}

void hr__gradient(const double *t, const double *y, size_t n, double *out) {
    if (n < 2) {
        if (n)
            out[0] = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t a = i == 0 ? 0 : i - 1, b = i + 1 < n ? i + 1 : i;
        double dt = t[b] - t[a];
        out[i] = dt > 0 ? (y[b] - y[a]) / dt : NAN;
    }
}

int64_t hr__median_step_ns(const int64_t *t, size_t n) {
    if (n < 2)
        return 0;
    double *d = malloc((n - 1) * sizeof *d);
    if (!d)
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        d[i] = (double)(t[i + 1] - t[i]);
    double m = hr__quantile(d, n - 1, 0.5);
    free(d);
    return isfinite(m) ? (int64_t)llround(m) : 0;
}

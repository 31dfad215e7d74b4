/* downsample.c: min/max buckets for drawing long series (report.h). The
 * statistics never see this: they use every tick. */
#include <math.h>
#include <stddef.h>

#include "report/report.h"

/* Bucket K of NB over N points: [*a, *b). */
static void bucket(size_t n, size_t nb, size_t k, size_t *a, size_t *b) {
    *a = (size_t)((double)n * (double)k / (double)nb);
    *b = (size_t)((double)n * (double)(k + 1) / (double)nb);
}

size_t hr__minmax_x(const double *x, size_t n, size_t nb, double *ox) {
    if (n <= 2 * nb) {
        for (size_t i = 0; i < n; i++)
            ox[i] = x[i];
        return n;
    }
    size_t k = 0;
    for (size_t j = 0; j < nb; j++) {
        size_t a, b;
        bucket(n, nb, j, &a, &b);
        if (b <= a)
            continue;
        ox[k++] = x[a];
        ox[k++] = x[b - 1];
    }
    return k;
}

size_t hr__minmax_v(const double *v, size_t n, size_t nb, double *ov) {
    if (n <= 2 * nb) {
        for (size_t i = 0; i < n; i++)
            ov[i] = v[i];
        return n;
    }
    size_t k = 0;
    for (size_t j = 0; j < nb; j++) {
        size_t a, b;
        bucket(n, nb, j, &a, &b);
        if (b <= a)
            continue;
        size_t lo = (size_t)-1, hi = (size_t)-1;
        for (size_t i = a; i < b; i++) {
            if (!isfinite(v[i]))
                continue;
            if (lo == (size_t)-1 || v[i] < v[lo])
                lo = i;
            if (hi == (size_t)-1 || v[i] > v[hi])
                hi = i;
        }
        if (lo == (size_t)-1) {
            ov[k++] = NAN;
            ov[k++] = NAN;
        } else if (lo <= hi) {
            ov[k++] = v[lo];
            ov[k++] = v[hi];
        } else {
            ov[k++] = v[hi];
            ov[k++] = v[lo];
        }
    }
    return k;
}

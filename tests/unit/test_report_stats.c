/* test_report_stats.c: the report's statistics on data with known answers.
 * Reference values were computed independently in Python 3.11 with
 * statistics.correlation (Pearson), the same on hand-written average ranks
 * (Spearman), math.atanh/tanh for the Fisher-z intervals, and numpy's
 * linear quantile rule written out by hand:
 *
 *   def ranks(v): average 1-based ranks, ties share their mean
 *   p = statistics.correlation(x, y); s = statistics.correlation(ranks(x), ranks(y))
 *   ci(r, se) = tanh(atanh(r) -/+ 1.959963984540054 * se)
 *   se = 1/sqrt(n-3) (Pearson), sqrt(1.06/(n-3)) (Spearman) */
#include <math.h>

#include "harness/hr_test.h"
#include "report/report.h"

static const double X[20] = {3.1, 2.7, 4.4, 5.0,  3.9, 6.2,  5.5,  7.1,  6.8,  8.0,
                             7.4, 9.3, 8.8, 10.1, 9.9, 11.5, 12.0, 11.2, 13.4, 12.9};
static const double Y[20] = {41.0, 40.5, 43.2, 44.0, 42.0, 47.5, 45.1, 48.0, 48.0, 51.2,
                             49.9, 52.3, 50.0, 55.5, 54.1, 57.0, 56.2, 58.8, 60.1, 59.0};

static void test_report_stats_pearson_matches_python(void **state) {
    (void)state;
    hr__corr c;
    hr__pearson(X, Y, 20, &c);
    assert_int_equal(c.n, 20);
    assert_float_equal(c.r, 0.9884641080178905, 1e-12);
    assert_float_equal(c.lo, 0.9704208415651734, 1e-12);
    assert_float_equal(c.hi, 0.9955259852115891, 1e-12);
}

static void test_report_stats_spearman_with_ties_matches_python(void **state) {
    (void)state;
    hr__corr c;
    hr__spearman(X, Y, 20, &c); /* Y has a tie (48.0, 48.0) */
    assert_int_equal(c.n, 20);
    assert_float_equal(c.r, 0.992102364255565, 1e-12);
    assert_float_equal(c.lo, 0.9791187224693773, 1e-12);
    assert_float_equal(c.hi, 0.9970251216807234, 1e-12);
}

static void test_report_stats_correlation_skips_unknown_pairs(void **state) {
    (void)state;
    double x[22], y[22];
    for (int i = 0; i < 20; i++) {
        x[i] = X[i];
        y[i] = Y[i];
    }
    x[20] = NAN; /* an unknown on either side drops the pair, never counts as 0 */
    y[20] = 1000;
    x[21] = 1000;
    y[21] = NAN;
    hr__corr c;
    hr__pearson(x, y, 22, &c);
    assert_int_equal(c.n, 20);
    assert_float_equal(c.r, 0.9884641080178905, 1e-12);
}

static void test_report_stats_correlation_unknown_when_too_few_or_flat(void **state) {
    (void)state;
    hr__corr c;
    double a[2] = {1, 2}, b[2] = {3, 4};
    hr__pearson(a, b, 2, &c);
    assert_true(isnan(c.r));
    double flat[5] = {1, 1, 1, 1, 1}, v[5] = {1, 2, 3, 4, 5};
    hr__spearman(flat, v, 5, &c);
    assert_int_equal(c.n, 5);
    assert_true(isnan(c.r));
    assert_true(isnan(c.lo));
    double t3[3] = {1, 2, 3};
    hr__pearson(t3, t3, 3, &c); /* r known from 3 pairs, no interval below 4 */
    assert_float_equal(c.r, 1.0, 1e-12);
    assert_true(isnan(c.lo));
}

static void test_report_stats_quantile_linear(void **state) {
    (void)state;
    assert_float_equal(hr__quantile(X, 20, 0.25), 5.375, 1e-12);
    assert_float_equal(hr__quantile(X, 20, 0.5), 7.7, 1e-12);
    assert_float_equal(hr__quantile(X, 20, 0.95), 12.925, 1e-12);
    double v[4] = {NAN, 4, NAN, 2};
    assert_float_equal(hr__quantile(v, 4, 0.5), 3.0, 1e-12);
    double none[2] = {NAN, NAN};
    assert_true(isnan(hr__quantile(none, 2, 0.5)));
}

static void test_report_stats_ranks_average_ties(void **state) {
    (void)state;
    double v[6] = {10, 20, 20, 5, 20, 30}, r[6];
    assert_int_equal(hr__ranks(v, 6, r), HR_OK);
    assert_float_equal(r[3], 1, 0);
    assert_float_equal(r[0], 2, 0);
    assert_float_equal(r[1], 4, 0); /* ranks 3, 4, 5 shared */
    assert_float_equal(r[2], 4, 0);
    assert_float_equal(r[4], 4, 0);
    assert_float_equal(r[5], 6, 0);
}

static void test_report_stats_stat_skips_nan(void **state) {
    (void)state;
    double v[5] = {NAN, 2, 8, NAN, 5};
    hr__stat s;
    hr__stat_of(v, 5, &s);
    assert_int_equal(s.n, 3);
    assert_float_equal(s.min, 2, 0);
    assert_float_equal(s.max, 8, 0);
    assert_float_equal(s.mean, 5, 1e-12);
    double none[1] = {NAN};
    hr__stat_of(none, 1, &s);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean)); /* unknown, not 0 */
}

static void test_report_stats_asof_backward_within_tolerance(void **state) {
    (void)state;
    int64_t t[5] = {10, 20, 30, 40, 50};
    assert_int_equal(hr__asof(t, 5, 35, 10), 2);          /* latest at or before 35 */
    assert_int_equal(hr__asof(t, 5, 30, 0), 2);           /* exact */
    assert_int_equal(hr__asof(t, 5, 39, 8), (size_t)-1);  /* 30 is 9 old, over 8 */
    assert_int_equal(hr__asof(t, 5, 5, 100), (size_t)-1); /* before the first tick */
    assert_int_equal(hr__asof(t, 5, 1000, 950), 4);
    assert_int_equal(hr__asof(t, 0, 10, 10), (size_t)-1);
}

static void test_report_stats_gradient(void **state) {
    (void)state;
    double t[5] = {0, 1, 2, 4, 5}, y[5] = {0, 1, 4, 16, 25}, g[5];
    hr__gradient(t, y, 5, g);
    assert_float_equal(g[0], 1, 1e-12); /* (1 - 0) / 1 */
    assert_float_equal(g[1], 2, 1e-12); /* (4 - 0) / 2 */
    assert_float_equal(g[2], 5, 1e-12); /* (16 - 1) / 3 */
    assert_float_equal(g[3], 7, 1e-12); /* (25 - 4) / 3 */
    assert_float_equal(g[4], 9, 1e-12); /* (25 - 16) / 1 */
}

static void test_report_stats_median_step(void **state) {
    (void)state;
    int64_t t[6] = {0, 1000, 2000, 3000, 9000, 10000};
    assert_int_equal(hr__median_step_ns(t, 6), 1000);
    assert_int_equal(hr__median_step_ns(t, 1), 0);
}

static void test_report_stats_downsample_keeps_peaks_in_order(void **state) {
    (void)state;
    enum { N = 10000, NB = 100 };
    double *x = malloc(N * sizeof *x), *v = malloc(N * sizeof *v);
    double ox[2 * NB], ov[2 * NB];
    for (int i = 0; i < N; i++) {
        x[i] = i;
        v[i] = sin(i / 300.0);
    }
    v[1234] = 50;  /* a one-tick spike */
    v[7777] = -40; /* and a dip */
    v[5000] = NAN; /* a gap inside a bucket is skipped */
    for (int i = 9900; i < N; i++)
        v[i] = NAN; /* a whole bucket unknown stays unknown */
    size_t nx = hr__minmax_x(x, N, NB, ox), nv = hr__minmax_v(v, N, NB, ov);
    assert_int_equal(nx, 2 * NB);
    assert_int_equal(nv, 2 * NB);
    double hi = -1e9, lo = 1e9;
    for (size_t i = 0; i < nv; i++) {
        if (isnan(ov[i]))
            continue;
        hi = ov[i] > hi ? ov[i] : hi;
        lo = ov[i] < lo ? ov[i] : lo;
    }
    assert_float_equal(hi, 50, 0);
    assert_float_equal(lo, -40, 0);
    assert_true(isnan(ov[2 * NB - 1]) && isnan(ov[2 * NB - 2]));
    /* Bucket 12 holds ticks 1200..1299, drawn at its ends. sin() falls
     * through it, so its minimum is at 1299, after the spike at 1234: the
     * spike comes first. Bucket 77 (7700..7799): sin() rises through
     * it, so its maximum is at 7799 and the dip at 7777 comes first. */
    assert_float_equal(ox[24], 1200, 0);
    assert_float_equal(ox[25], 1299, 0);
    assert_float_equal(ov[24], 50, 0);
    assert_float_equal(ov[25], sin(1299 / 300.0), 1e-12);
    assert_float_equal(ov[154], -40, 0);
    assert_float_equal(ov[155], sin(7799 / 300.0), 1e-12);
    /* Short series are not touched. */
    double s[5] = {1, 2, 3, NAN, 5}, so[10];
    assert_int_equal(hr__minmax_v(s, 5, NB, so), 5);
    assert_true(isnan(so[3]));
    free(x);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_stats_pearson_matches_python),
        cmocka_unit_test(test_report_stats_spearman_with_ties_matches_python),
        cmocka_unit_test(test_report_stats_correlation_skips_unknown_pairs),
        cmocka_unit_test(test_report_stats_correlation_unknown_when_too_few_or_flat),
        cmocka_unit_test(test_report_stats_quantile_linear),
        cmocka_unit_test(test_report_stats_ranks_average_ties),
        cmocka_unit_test(test_report_stats_stat_skips_nan),
        cmocka_unit_test(test_report_stats_asof_backward_within_tolerance),
        cmocka_unit_test(test_report_stats_gradient),
        cmocka_unit_test(test_report_stats_median_step),
        cmocka_unit_test(test_report_stats_downsample_keeps_peaks_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

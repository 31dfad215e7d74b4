/* test_report_model.c: the analysis on in-memory arrays (hr__rdata built by
 * hand, no session file, no SQLite): the seed-000 efficiency case, collapse
 * rates from events when a component has no collapse channel, the
 * input-bound check from PSI alone, and the downsampled chart data. */
#include <math.h>

#include "harness/hr_test.h"
#include "report/report.h"

#define S 1000000000LL

static hr_report_options opts(void) {
    hr_report_options o, r;
    hr_report_options_defaults(&o);
    hr__ropts_resolve(&o, &r);
    return r;
}

static void ticks(hr__rdata *d, size_t n) {
    int64_t *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = (int64_t)i * S;
    assert_int_equal(hr__rdata_set_ticks(d, n, t), HR_OK);
    free(t);
}

/* Seed 000, as arrays: 35 images, 3000 units at 4.56 s/unit, three slow
 * images 5960 s longer, four 60 s breaks: 530 min against 228 min. */
static void test_report_model_seed000(void **state) {
    (void)state;
    hr__rdata d;
    memset(&d, 0, sizeof d);
    int64_t t = 0;
    for (int i = 0; i < 35; i++) {
        double units = i >= 30 ? 120 : 80;
        int64_t dur = llround((4.56 * units + (i >= 12 && i <= 14 ? 5960 : 0)) * 1e9);
        t += dur;
        assert_int_equal(hr__rsteps_add(&d.steps, i, t, dur, units, 0, NULL, NULL), HR_OK);
        if ((i >= 12 && i <= 14) || i == 20) {
            assert_int_equal(hr__rdata_add_event(&d, "cooling_break", t, t + 60 * S, "timing"),
                             HR_OK);
            t += 60 * S;
        }
    }
    d.end_ns = t;
    hr_report_options o = opts();
    hr__rmodel m;
    assert_int_equal(hr__analyse(&d, &o, &m), HR_OK);
    assert_true(m.eff.known);
    assert_float_equal(m.eff.actual_s / 60, 530, 1e-6);
    assert_float_equal(m.eff.theoretical_s / 60, 228, 1e-6);
    assert_float_equal(round(m.eff.lost_share * 100), 57, 0);
    assert_float_equal(round(m.eff.efficiency * 100), 43, 0);
    assert_true(fabs(m.eff.lost_share - 0.451) > 0.1); /* not the seed document's 45.1 % */
    hr__rmodel_free(&m);
    hr__rdata_free(&d);
}

/* Two components without collapse channels: the rate is the time inside
 * each one's own collapse events over its own RLE span (100 s each). */
static void test_report_model_collapse_rate_from_events(void **state) {
    (void)state;
    hr__rdata d;
    memset(&d, 0, sizeof d);
    ticks(&d, 101);
    double v[101];
    for (int i = 0; i <= 100; i++)
        v[i] = 0.5;
    assert_int_equal(hr__rdata_add_channel(&d, "gpu0", "rle", "index", v, NULL), HR_OK);
    assert_int_equal(hr__rdata_add_channel(&d, "cpu", "rle", "index", v, NULL), HR_OK);
    assert_int_equal(hr__rdata_add_event(&d, "collapse", 10 * S, 30 * S, "gpu0: x"), HR_OK);
    assert_int_equal(hr__rdata_add_event(&d, "collapse", 50 * S, 55 * S, "gpu0: y"), HR_OK);
    assert_int_equal(hr__rdata_add_event(&d, "collapse", 70 * S, 72 * S, "cpu: z"), HR_OK);
    assert_int_equal(hr__rdata_add_event(&d, "collapse", 80 * S, 81 * S, "no component here"),
                     HR_OK);
    hr_report_options o = opts();
    hr__rmodel m;
    assert_int_equal(hr__analyse(&d, &o, &m), HR_OK);
    assert_int_equal(m.nrle, 2);
    assert_string_equal(m.rle[0].component, "gpu0");
    assert_true(m.rle[0].rate_from_events);
    assert_int_equal(m.rle[0].collapse_events, 2);
    assert_float_equal(m.rle[0].collapse_rate, 25.0 / 100, 1e-12);
    assert_float_equal(m.rle[1].collapse_rate, 2.0 / 100, 1e-12);
    assert_string_equal(m.rle[0].verdict, "saturated"); /* flat */
    int noted = 0;
    for (size_t i = 0; i < m.nnotes; i++)
        noted |= strstr(m.notes[i], "1 collapse event(s) name no component") != NULL;
    assert_true(noted);
    hr__rmodel_free(&m);
    hr__rdata_free(&d);
}

/* The GPU idles while PSI io shows stalls: input-bound, with that evidence
 * and no other cause claimed. */
static void test_report_model_input_bound_from_psi(void **state) {
    (void)state;
    hr__rdata d;
    memset(&d, 0, sizeof d);
    ticks(&d, 50);
    double util[50], psi[50];
    for (int i = 0; i < 50; i++) {
        util[i] = i < 40 ? 0.03 : 0.9;
        psi[i] = i < 30 ? 0.4 : 0.0;
    }
    assert_int_equal(hr__rdata_add_channel(&d, "gpu0", "util", "ratio", util, NULL), HR_OK);
    assert_int_equal(hr__rdata_add_channel(&d, "psi", "io_some_avg10", "ratio", psi, NULL), HR_OK);
    hr_report_options o = opts();
    hr__rmodel m;
    assert_int_equal(hr__analyse(&d, &o, &m), HR_OK);
    assert_int_equal(m.nfind, 1);
    const hr__mfinding *f = &m.find[0];
    assert_string_equal(f->id, "input_bound");
    assert_int_equal(f->severity, HR__SEV_CRITICAL); /* idle 80 % */
    assert_int_equal(f->nev, 2);
    assert_non_null(strstr(f->evidence[0], "on 80.0 % of 50 ticks"));
    assert_non_null(strstr(f->evidence[1], "PSI io some, 10 s) was above 10 % on 75.0 %"));
    hr__rmodel_free(&m);
    hr__rdata_free(&d);
}

/* The HTML's chart data for 100000 ticks stays small, keeps the one-tick
 * spike, and is valid JSON with every series as long as the time axis. */
static void test_report_model_chart_data_downsampled(void **state) {
    (void)state;
    hr_report *r = calloc(1, sizeof *r);
    hr_report_options_defaults(&r->opt);
    hr__ropts_resolve(NULL, &r->opt);
    enum { N = 100000 };
    ticks(&r->d, N);
    double *temp = malloc(N * sizeof *temp);
    for (int i = 0; i < N; i++)
        temp[i] = 60 + 5 * sin(i / 1000.0);
    temp[54321] = 99; /* one hot tick */
    assert_int_equal(hr__rdata_add_channel(&r->d, "gpu0", "temp", "celsius", temp, NULL), HR_OK);
    free(temp);
    r->d.path = strdup("mem");
    r->d.created_by = strdup("");
    r->d.command = strdup("");
    r->d.notes = strdup("");
    r->d.time_base = strdup("");
    assert_int_equal(hr__analyse(&r->d, &r->opt, &r->m), HR_OK);
    hr__sb b = {0};
    assert_int_equal(hr__html_chart_data(r, &b), HR_OK);
    assert_true(b.len < 200000); /* not 100000 points per series */
    json_error_t err;
    json_t *o = json_loads(b.p, 0, &err);
    assert_non_null(o);
    size_t nx = json_array_size(json_object_get(o, "x"));
    assert_int_equal(nx, 2 * (size_t)r->opt.chart_buckets);
    json_t *c0 = json_array_get(json_object_get(o, "time"), 0);
    json_t *v = json_object_get(json_array_get(json_object_get(c0, "series"), 0), "v");
    assert_int_equal(json_array_size(v), nx);
    double hi = 0;
    for (size_t i = 0; i < nx; i++)
        hi = fmax(hi, json_number_value(json_array_get(v, i)));
    assert_float_equal(hi, 99, 1e-9);
    json_decref(o);
    hr__sb_free(&b);
    hr_report_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_model_seed000),
        cmocka_unit_test(test_report_model_collapse_rate_from_events),
        cmocka_unit_test(test_report_model_input_bound_from_psi),
        cmocka_unit_test(test_report_model_chart_data_downsampled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_report_ext.c: joining an external log (`report --steps FILE
 * --time-column t`): CSV and JSON Lines, Unix and ISO-8601 times, the as-of
 * join and its tolerance, and the errors for a log that cannot be used. */
#include "test_report_util.h"

#include "report/report.h"

typedef struct fixture {
    char *dir;
    char path[4096];
    hr_ctx *ctx;
    hr_session *s;
} fixture;

/* 100 ticks at 1 Hz; gpu0/temp = 50 + 0.2 k. */
static double temp_at(int k) { return 50 + 0.2 * k; }

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = trp_mkdtemp();
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    f->s = trp_create(f->ctx, f->dir, "s.db", f->path);
    const trp_chan ch[1] = {{"gpu0", "temp", "mc", "celsius", 1e-3}};
    trp_channels(f->s, ch, 1);
    for (int k = 0; k < 100; k++) {
        hr_reading v = trp_val(&ch[0], temp_at(k));
        assert_int_equal(
            hr_session_write_tick(f->s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, &v, 1, NULL),
            HR_OK);
    }
    trp_finish(f->s, 100, 1, 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hr_session_close(f->s);
    hr_ctx_free(f->ctx);
    trp_rmdir(f->dir);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static const hr__mcorr *pair(const hr_report *r, const char *x, const char *y) {
    for (size_t i = 0; i < r->m.ncorr; i++)
        if (strcmp(r->m.corr[i].x, x) == 0 && strcmp(r->m.corr[i].y, y) == 0)
            return &r->m.corr[i];
    return NULL;
}

/* Rows half a second after each tick k = 0..98 (the join takes tick k),
 * plus one row 30 s after the last tick (outside the tolerance: dropped)
 * and one without a readable time (skipped). grad_norm = 2 + 0.01 x temp of
 * tick k, so r = 1; loss falls as temperature rises. */
static void write_csv(const char *path) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "step,t,loss,grad_norm,note\n");
    for (int k = 0; k < 99; k++)
        fprintf(fp, "%d,%.1f,%.6f,%.6f,\"text, with comma\"\n", k, 1700000000.0 + k + 0.5,
                1.0 / (k + 1), 2 + 0.01 * temp_at(k));
    fprintf(fp, "99,%.1f,0.01,2.5,late\n", 1700000000.0 + 129);
    fprintf(fp, "100,yesterday,0.01,2.5,bad\n");
    fclose(fp);
}

static void test_report_ext_csv_join(void **state) {
    fixture *f = *state;
    char log[4200];
    snprintf(log, sizeof log, "%s/train.csv", f->dir);
    write_csv(log);
    hr_report_options o;
    hr_report_options_defaults(&o);
    o.steps_path = log;
    hr_report *r = NULL;
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_OK);
    assert_int_equal(r->d.ext.n, 100);     /* the row without a time is skipped */
    assert_int_equal(r->d.ext.nfields, 2); /* loss, grad_norm; step is the index */
    assert_int_equal(r->d.ext.index[5], 5);
    assert_int_equal(r->d.ext.t_ns[0], TRP_MONO0 + TRP_S / 2); /* wall -> monotonic */
    assert_float_equal(r->m.tolerance_s, 2.0, 1e-12);
    const hr__mcorr *c = pair(r, "log:grad_norm", "gpu0/temp");
    assert_non_null(c);
    assert_int_equal(c->p.n, 99); /* the late row found no tick within 2 s */
    assert_float_equal(c->p.r, 1.0, 1e-9);
    assert_float_equal(c->s.r, 1.0, 1e-12);
    const hr__mcorr *l = pair(r, "log:loss", "gpu0/temp");
    assert_non_null(l);
    assert_float_equal(l->s.r, -1.0, 1e-12); /* monotone: Spearman exactly -1 */
    /* Python: statistics.correlation([float('%.6f' % (1 / (k + 1))) for k in
     * range(99)], [50 + 0.2 * k for k in range(99)]) */
    assert_float_equal(l->p.r, -0.48138993748597253, 1e-9);
    /* The seed's temperature vs grad_norm plot comes from the log. */
    int found = 0;
    for (size_t i = 0; i < r->m.nscat; i++)
        if (strcmp(r->m.scat[i].id, "temp_grad_norm") == 0) {
            found = 1;
            assert_int_equal(r->m.scat[i].ns, 1);
            assert_int_equal(r->m.scat[i].s[0].n, 99);
            assert_string_equal(r->m.scat[i].xlabel, "log:grad_norm");
        }
    assert_true(found);
    char *text = NULL;
    assert_int_equal(hr_report_render(r, HR_REPORT_TEXT, &text, NULL), HR_OK);
    assert_non_null(strstr(text, "joined log"));
    assert_non_null(strstr(text, "(100 rows)"));
    hr_free(text);
    hr_report_free(r);
}

static void test_report_ext_tolerance_option(void **state) {
    fixture *f = *state;
    char log[4200];
    snprintf(log, sizeof log, "%s/train.csv", f->dir);
    write_csv(log);
    hr_report_options o;
    hr_report_options_defaults(&o);
    o.steps_path = log;
    o.tolerance_s = 0.4; /* every row is 0.5 s after its tick: none joins */
    hr_report *r = NULL;
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_OK);
    assert_null(pair(r, "log:grad_norm", "gpu0/temp"));
    o.tolerance_s = 40; /* now the late row joins the last tick too */
    hr_report_free(r);
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_OK);
    assert_int_equal(pair(r, "log:grad_norm", "gpu0/temp")->p.n, 100);
    hr_report_free(r);
}

static void test_report_ext_jsonl_iso_times(void **state) {
    fixture *f = *state;
    char log[4200];
    snprintf(log, sizeof log, "%s/train.jsonl", f->dir);
    FILE *fp = fopen(log, "w");
    assert_non_null(fp);
    for (int k = 0; k < 20; k++) /* 1700000000 = 2023-11-14T22:13:20Z */
        fprintf(fp,
                "{\"time\": \"2023-11-14T22:13:%02d.250Z\", \"grad_norm\": %.4f, "
                "\"tag\": \"x\", \"ok\": true}\n",
                20 + k, 2 + 0.01 * temp_at(k));
    fprintf(fp, "not json at all\n{\"time\": 12}\n\n");
    fclose(fp);
    hr_report_options o;
    hr_report_options_defaults(&o);
    o.steps_path = log;
    o.time_column = "time";
    hr_report *r = NULL;
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_OK);
    assert_int_equal(r->d.ext.n, 21); /* 20 rows and {"time": 12} (a Unix time, no numbers) */
    const hr__mcorr *c = pair(r, "log:grad_norm", "gpu0/temp");
    assert_non_null(c);
    assert_int_equal(c->p.n, 20);
    assert_float_equal(c->p.r, 1.0, 1e-9);
    hr_report_free(r);
}

static void test_report_ext_errors(void **state) {
    fixture *f = *state;
    hr_report_options o;
    hr_report_options_defaults(&o);
    hr_report *r = (hr_report *)0x1;
    char log[4200];
    snprintf(log, sizeof log, "%s/missing.csv", f->dir);
    o.steps_path = log;
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_ENOENT);
    assert_null(r);
    assert_non_null(strstr(hr_session_last_error(f->s), "--steps"));
    assert_non_null(strstr(hr_session_last_error(f->s), "No such file"));

    snprintf(log, sizeof log, "%s/notime.csv", f->dir);
    write_file(log, "step,loss\n1,0.5\n");
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_EPARSE);
    assert_non_null(strstr(hr_session_last_error(f->s), "no column named 't'"));

    snprintf(log, sizeof log, "%s/badtimes.csv", f->dir);
    write_file(log, "t,loss\nsoon,0.5\n-5,0.4\n2023-13-01T00:00:00Z,0.3\n");
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_EPARSE);
    assert_non_null(strstr(hr_session_last_error(f->s), "no row with a readable time"));

    snprintf(log, sizeof log, "%s/empty.csv", f->dir);
    write_file(log, "");
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_EPARSE);

    o.steps_path = f->dir; /* a directory */
    assert_int_equal(hr_report_build(f->s, &o, &r), HR_EIO);
    assert_non_null(strstr(hr_session_last_error(f->s), "not a regular file"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_ext_csv_join, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_ext_tolerance_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_ext_jsonl_iso_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_ext_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_run_step_line.c: the step protocol parser and its line cutter. */
#include "harness/hr_test.h"

#include <math.h>

#include "run/step_line.h"

static hr_status parse(const char *s, hr__step_line *l, char *why) {
    return hr__step_line_parse(s, strlen(s), l, why, 128);
}

static void test_step_line_reads_reserved_and_named_numbers(void **state) {
    (void)state;
    hr__step_line l;
    char why[128];
    assert_int_equal(parse("step=12 units=25 loss=0.31 grad_norm=1.2", &l, why), HR_OK);
    assert_true(l.has_step && l.step == 12);
    assert_true(l.has_units && l.units == 25.0);
    assert_false(l.has_dt);
    assert_int_equal(l.nvalues, 2);
    assert_string_equal(l.names[0], "loss");
    assert_true(fabs(l.values[0] - 0.31) < 1e-12);
    assert_string_equal(l.names[1], "grad_norm");
    assert_true(fabs(l.values[1] - 1.2) < 1e-12);

    /* Tabs, a CR, no step, no units (1), dt kept as a value, nan allowed. */
    assert_int_equal(parse("\tloss=nan  lr=-1.5e-4\tdt=0.25\r", &l, why), HR_OK);
    assert_false(l.has_step);
    assert_false(l.has_units);
    assert_true(l.units == 1.0);
    assert_true(l.has_dt && l.dt_s == 0.25);
    assert_int_equal(l.nvalues, 3);
    assert_true(isnan(l.values[0]));
    assert_true(fabs(l.values[1] + 1.5e-4) < 1e-15);
    assert_string_equal(l.names[2], "dt");

    /* Blank lines are neither steps nor malformed. */
    assert_int_equal(parse("", &l, why), HR_ENOENT);
    assert_int_equal(parse("  \t \r", &l, why), HR_ENOENT);
    /* units=0 is a step without work (an evaluation pass). */
    assert_int_equal(parse("step=0 units=0", &l, why), HR_OK);
    assert_true(l.units == 0.0 && l.step == 0);
}

static void test_step_line_rejects_malformed(void **state) {
    (void)state;
    hr__step_line l;
    char why[128];
    const char *bad[] = {
        "step",          "step=",         "=3",
        "step=1.5",      "step=-1",       "step=nan",
        "units=-2",      "units=inf",     "loss=inf",
        "loss=1e999",    "loss=0x10",     "loss=1,5",
        "loss=1 loss=2", "step=1 step=2", "units=1 units=1",
        "1loss=2",       "lo ss=2",       "loss=2 x",
        "dt=-1",         "a=1\x01",       "name_that_is_far_too_long_for_a_value_name_to_be_kept=1",
        "l\xc3\xa9=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        if (parse(bad[i], &l, why) != HR_EPARSE)
            fail_msg("accepted \"%s\"", bad[i]);
        if (!why[0])
            fail_msg("no reason for \"%s\"", bad[i]);
    }
    /* More than HR__STEP_MAX_VALUES values. */
    char line[2048] = "";
    for (int i = 0; i <= HR__STEP_MAX_VALUES; i++) {
        char tok[32];
        snprintf(tok, sizeof tok, "v%d=%d ", i, i);
        strcat(line, tok);
    }
    assert_int_equal(parse(line, &l, why), HR_EPARSE);
    assert_non_null(strstr(why, "too many"));
}

typedef struct lines {
    char s[8][64];
    int n, too_long;
} lines;

static void keep_line(void *user, const char *s, size_t n) {
    lines *g = user;
    if (!s) {
        g->too_long++;
        return;
    }
    if (g->n < 8 && n < 64) {
        memcpy(g->s[g->n], s, n);
        g->s[g->n][n] = '\0';
    }
    g->n++;
}

static void test_linebuf_cuts_lines_across_reads(void **state) {
    (void)state;
    hr__linebuf lb;
    memset(&lb, 0, sizeof lb);
    lines g = {0};
    const char *in = "step=1\nstep=2 lo";
    hr__linebuf_feed(&lb, in, strlen(in), keep_line, &g);
    hr__linebuf_feed(&lb, "ss=3\n\nst", 8, keep_line, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.s[0], "step=1");
    assert_string_equal(g.s[1], "step=2 loss=3");
    assert_string_equal(g.s[2], "");
    hr__linebuf_flush(&lb, keep_line, &g); /* the end: "st" without a newline */
    assert_int_equal(g.n, 4);
    assert_string_equal(g.s[3], "st");

    /* A line over the limit is reported once and skipped to its newline. */
    static char big[HR__STEP_LINE_MAX + 100];
    memset(big, 'a', sizeof big);
    hr__linebuf_feed(&lb, big, sizeof big, keep_line, &g);
    hr__linebuf_feed(&lb, big, 10, keep_line, &g);
    hr__linebuf_feed(&lb, "\nstep=9\n", 8, keep_line, &g);
    assert_int_equal(g.too_long, 1);
    assert_int_equal(g.n, 5);
    assert_string_equal(g.s[4], "step=9");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_line_reads_reserved_and_named_numbers),
        cmocka_unit_test(test_step_line_rejects_malformed),
        cmocka_unit_test(test_linebuf_cuts_lines_across_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

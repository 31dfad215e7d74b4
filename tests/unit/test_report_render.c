/* test_report_render.c: the document layer the text, Markdown and HTML
 * reports share (src/report/render_common.h, render_sections.c), on the
 * workstation session (test_report_util.h): the parts in their order for
 * a format with and without charts, complete table rows, a format with no
 * callbacks, the same facts in every format, aligned text tables, and an
 * unknown figure written "unknown" (never 0) everywhere. */
#include "test_report_util.h"

#include "report/render_common.h"
#include "report/report.h"

typedef struct fixture {
    char *dir;
    char path[4096];
    hr_ctx *ctx;
    hr_session *s;
    hr_report *r;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = trp_mkdtemp();
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    f->s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    assert_int_equal(hr_report_build(f->s, NULL, &f->r), HR_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hr_report_free(f->r);
    hr_session_close(f->s);
    hr_ctx_free(f->ctx);
    trp_rmdir(f->dir);
    free(f);
    return 0;
}

/* --- a format that records what it is asked to write --- */

/* One line per call: "section ID", "para KIND blocks=N", "table NCOLS
 * blocks=N", "row", "chart WHERE", ... Every row's cells are read. */
static void rec_line(hr__doc *d, const char *s) {
    hr__sb_puts(d->b, s);
    hr__sb_puts(d->b, "\n");
}

static void rec_head(hr__doc *d, const char *path) {
    assert_non_null(path);
    rec_line(d, "head");
}

static void rec_section(hr__doc *d, const char *id, const char *title) {
    assert_non_null(title);
    hr__sb_printf(d->b, "section %s\n", id);
}

static void rec_section_end(hr__doc *d) { rec_line(d, "end"); }

static void rec_para(hr__doc *d, hr__dpara kind, const char *text) {
    assert_true(text[0] != '\0');
    hr__sb_printf(d->b, "para %d blocks=%zu\n", (int)kind, d->blocks);
}

static void rec_table(hr__doc *d) {
    assert_non_null(d->cols);
    hr__sb_printf(d->b, "table %zu blocks=%zu\n", d->ncols, d->blocks);
}

static void rec_row(hr__doc *d, const char *const *cells) {
    for (size_t c = 0; c < d->ncols; c++)
        assert_non_null(cells[c]);
    rec_line(d, "row");
}

static void rec_chart(hr__doc *d, hr__dchart where, const hr_report *r) {
    assert_true(where == HR__CHART_TIME || r != NULL);
    hr__sb_printf(d->b, "chart %d\n", (int)where);
}

static const hr__doc_ops rec_ops = {.esc = hr__esc_text,
                                    .head = rec_head,
                                    .section = rec_section,
                                    .section_end = rec_section_end,
                                    .para = rec_para,
                                    .table = rec_table,
                                    .row = rec_row};

static char *record(const hr_report *r, const hr__doc_ops *ops) {
    hr__sb b = {0};
    hr__doc d = {.ops = ops, .b = &b};
    hr__render_doc(r, &d);
    assert_false(b.oom);
    assert_null(d.scratch); /* freed at the end */
    return b.p ? b.p : calloc(1, 1);
}

/* The ids of the sections in LOG, space-separated. */
static void section_ids(const char *log, char *out, size_t cap) {
    out[0] = '\0';
    for (const char *p = log; (p = strstr(p, "section ")); p += 8) {
        size_t n = strcspn(p + 8, "\n"), len = strlen(out);
        snprintf(out + len, cap - len, "%s%.*s", len ? " " : "", (int)n, p + 8);
    }
}

/* The parts come in one order; the timeline exists only where charts are
 * drawn. */
static void test_report_render_parts_in_order(void **state) {
    fixture *f = *state;
    char ids[512];
    char *log = record(f->r, &rec_ops);
    section_ids(log, ids, sizeof ids);
    assert_string_equal(ids, "findings efficiency steps correlation components throttle events "
                             "rle");
    assert_null(strstr(log, "chart"));
    free(log);

    hr__doc_ops charts = rec_ops;
    charts.chart = rec_chart;
    log = record(f->r, &charts);
    section_ids(log, ids, sizeof ids);
    assert_string_equal(ids, "findings efficiency timeline steps correlation components throttle "
                             "events rle");
    /* The split of the time, then the time series, the steps, the scatter plots. */
    const char *a = strstr(log, "chart 0"), *b = strstr(log, "chart 1"),
               *c = strstr(log, "chart 2"), *e = strstr(log, "chart 3");
    assert_true(a && b && c && e && a < b && b < c && c < e);
    free(log);
}

/* Every section opens and closes once; the first block of a section sees
 * no block before it; the components table has a row per summary. */
static void test_report_render_blocks_and_rows(void **state) {
    fixture *f = *state;
    char *log = record(f->r, &rec_ops);
    size_t sections = 0, ends = 0;
    for (const char *p = log; (p = strstr(p, "section ")); p++)
        sections++;
    for (const char *p = log; (p = strstr(p, "\nend\n")); p++)
        ends++;
    assert_int_equal(sections, 8);
    assert_int_equal(ends, sections);
    const char *comp = strstr(log, "section components\n");
    assert_non_null(comp);
    comp += strlen("section components\n");
    assert_true(strncmp(comp, "para 0 blocks=0\ntable 5 blocks=1\n", 33) == 0);
    size_t rows = 0;
    for (const char *p = comp + 33; strncmp(p, "row\n", 4) == 0; p += 4)
        rows++;
    assert_int_equal(rows, f->r->m.nsum);
    free(log);
}

/* A format that implements nothing writes nothing, and does not fail. */
static void test_report_render_empty_format(void **state) {
    fixture *f = *state;
    static const hr__doc_ops none = {.esc = hr__esc_text};
    hr__sb b = {0};
    hr__doc d = {.ops = &none, .b = &b};
    hr__render_doc(f->r, &d);
    assert_false(b.oom);
    assert_int_equal(b.len, 0);
    assert_null(d.scratch);
}

static char *render(const hr_report *r, int format) {
    char *text = NULL;
    assert_int_equal(hr_report_render(r, format, &text, NULL), HR_OK);
    return text;
}

static size_t count(const char *text, const char *what) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* The three formats state the same facts in the same words. */
static void test_report_render_same_facts(void **state) {
    fixture *f = *state;
    static const char *const facts[] = {
        "Efficiency: 82.7 % (17.3 % lost).",
        "248 (248 with a duration)",
        "63 at \xe2\x89\xa5 1.5x baseline, 0 at \xe2\x89\xa5 3x",
        "5.0 % (30 of 600 samples)",
        "0.8 % (5 of 600 samples)",
        "Cooling breaks: 1, 28.4 s in all.",
        "1 x gpu0 at 84 C, over its 83 C slowdown (28.4 s)",
        "Each step takes the latest tick at or before it, at most 2 s older",
        "-0.989 [-0.992, -0.986]",
        "Min, mean and max over every tick.",
        "clock-event reasons, share of sampled time",
    };
    for (int fmt = HR_REPORT_TEXT; fmt <= HR_REPORT_HTML; fmt++) {
        if (fmt == HR_REPORT_JSON)
            continue;
        char *text = render(f->r, fmt);
        for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
            if (!strstr(text, facts[i]))
                fail_msg("format %d lacks \"%s\"", fmt, facts[i]);
        assert_int_equal(count(text, "still modulating"), 2);
        assert_int_equal(count(text, "9.8 min"), 1); /* the open event, listed once */
        hr_free(text);
    }
}

/* Characters on screen (UTF-8 sequences count once). */
static size_t screen_width(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

/* In text, the components table is aligned: its lines all end in the
 * right-aligned "max" column, whatever the bytes of "°C"; a component
 * shows on its first row only. */
static void test_report_render_text_table_aligned(void **state) {
    fixture *f = *state;
    char *text = render(f->r, HR_REPORT_TEXT);
    const char *p = strstr(text, "\n  component  metric");
    assert_non_null(p);
    p++;
    size_t width = 0, lines = 0, gpu0 = 0;
    while (*p && *p != '\n') {
        size_t n = strcspn(p, "\n");
        size_t w = screen_width(p, n);
        if (!width)
            width = w;
        assert_int_equal(w, width);
        gpu0 += strncmp(p, "  gpu0 ", 7) == 0;
        lines++;
        p += n + (p[n] == '\n');
    }
    assert_int_equal(lines, 1 + f->r->m.nsum);
    assert_int_equal(gpu0, 1);
    assert_non_null(strstr(text, "  gpu0       util"));
    hr_free(text);
}

/* A figure the model does not know is "unknown" in every format, never a
 * number. */
static void test_report_render_unknown_stays_unknown(void **state) {
    fixture *f = *state;
    f->r->m.eff.cooling_s = NAN;
    char *text = render(f->r, HR_REPORT_TEXT);
    const char *row = strstr(text, "  lost in cooling breaks");
    assert_non_null(row);
    size_t n = strcspn(row, "\n");
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)n, row);
    assert_non_null(strstr(line, "unknown  unknown"));
    assert_null(strstr(line, "0.0"));
    hr_free(text);
    text = render(f->r, HR_REPORT_MARKDOWN);
    assert_non_null(strstr(text, "| lost in cooling breaks | unknown | unknown |\n"));
    hr_free(text);
    text = render(f->r, HR_REPORT_HTML);
    assert_non_null(strstr(text, "<tr><td>lost in cooling breaks</td><td class=\"n\">unknown</td>"
                                 "<td class=\"n\">unknown</td></tr>"));
    hr_free(text);
}

/* Session text in a table cell is escaped in each format; the report's
 * own figures are written as they are. */
static void test_report_render_cells_escaped(void **state) {
    fixture *f = *state;
    hr__revent *e = &f->r->d.ev[0];
    free(e->detail);
    e->detail = strdup("a\x1b[31m | <b>&");
    char *text = render(f->r, HR_REPORT_TEXT);
    assert_null(strchr(text, '\x1b'));
    assert_non_null(strstr(text, "a\\x1b[31m | <b>&\n"));
    hr_free(text);
    text = render(f->r, HR_REPORT_MARKDOWN);
    assert_non_null(strstr(text, "| a\\\\x1b\\[31m \\| &lt;b&gt;&amp; |\n"));
    assert_non_null(strstr(text, "| -0.989 [-0.992, -0.986] |")); /* not "\[" */
    hr_free(text);
    text = render(f->r, HR_REPORT_HTML);
    assert_non_null(strstr(text, "<td>a&#xfffd;[31m | &lt;b&gt;&amp;</td>"));
    hr_free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_render_parts_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_blocks_and_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_empty_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_same_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_text_table_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_unknown_stays_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_render_cells_escaped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_report_golden.c: the text, Markdown and JSON reports of the
 * workstation session (test_report_util.h) against the files in
 * tests/fixtures/golden/report/, and the escaping of session strings in
 * every format. The temporary directory in the output is replaced by
 * "<dir>". Set HR_UPDATE_GOLDEN=1 to rewrite the golden files (then read
 * the diff). */
#include <jansson.h>

#include "test_report_util.h"

#include "report/report.h"

#define GOLDEN_DIR HR_FIXTURES "/golden/report"

typedef struct fixture {
    char *dir;
    char path[4096];
    hr_ctx *ctx;
    hr_session *s;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = trp_mkdtemp();
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    f->s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
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

/* TEXT with every occurrence of DIR replaced by "<dir>" (malloc'd). */
static char *normalise(const char *text, const char *dir) {
    size_t dl = strlen(dir), n = strlen(text);
    char *out = malloc(n + 1), *o = out;
    for (const char *p = text; *p;) {
        if (strncmp(p, dir, dl) == 0) {
            memcpy(o, "<dir>", 5);
            o += 5;
            p += dl;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, fp);
    buf[got] = '\0';
    fclose(fp);
    return buf;
}

static void check_golden(fixture *f, int format, const char *name) {
    char *text = trp_render(f->s, NULL, format, NULL);
    char *norm = normalise(text, f->dir);
    hr_free(text);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
    const char *update = getenv("HR_UPDATE_GOLDEN");
    if (update && *update == '1') {
        FILE *fp = fopen(path, "wb");
        assert_non_null(fp);
        fputs(norm, fp);
        fclose(fp);
    }
    char *want = slurp(path);
    if (!want)
        fail_msg("missing golden file %s (run with HR_UPDATE_GOLDEN=1)", path);
    if (strcmp(want, norm) != 0) {
        size_t i = 0;
        while (want[i] && want[i] == norm[i])
            i++;
        fail_msg("%s differs at byte %zu: want \"%.60s\", got \"%.60s\"", name, i, want + i,
                 norm + i);
    }
    free(want);
    free(norm);
}

static void test_report_golden_text(void **state) {
    check_golden(*state, HR_REPORT_TEXT, "workstation.txt");
}

static void test_report_golden_markdown(void **state) {
    check_golden(*state, HR_REPORT_MARKDOWN, "workstation.md");
}

static void test_report_golden_json(void **state) {
    check_golden(*state, HR_REPORT_JSON, "workstation.json");
}

/* The JSON parses, and its figures are the ones the other formats print. */
static void test_report_json_schema(void **state) {
    fixture *f = *state;
    char *text = trp_render(f->s, NULL, HR_REPORT_JSON, NULL);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    if (!o)
        fail_msg("report JSON does not parse: %s at line %d", err.text, err.line);
    assert_string_equal(json_string_value(json_object_get(o, "format")), "headroom-report");
    assert_int_equal(json_integer_value(json_object_get(o, "version")), 1);
    json_t *eff = json_object_get(o, "efficiency");
    assert_true(json_is_true(json_object_get(eff, "known")));
    assert_float_equal(json_real_value(json_object_get(eff, "actual_s")), 600, 1e-6);
    json_t *steps = json_object_get(o, "steps");
    assert_int_equal(json_integer_value(json_object_get(steps, "count")), 248);
    assert_string_equal(json_string_value(json_object_get(steps, "per")), "unit");
    json_t *corr = json_object_get(o, "correlation");
    assert_float_equal(json_real_value(json_object_get(corr, "tolerance_s")), 2, 1e-9);
    json_t *pairs = json_object_get(corr, "pairs");
    assert_true(json_array_size(pairs) > 0);
    json_t *p0 = json_array_get(pairs, 0);
    assert_non_null(json_object_get(json_object_get(p0, "pearson"), "ci95"));
    json_t *sc = json_object_get(corr, "scatter");
    assert_int_equal(json_array_size(sc), 4); /* the seed's three plots and step time */
    json_t *notes = json_object_get(o, "notes");
    assert_true(json_is_array(notes));
    json_decref(o);
    hr_free(text);
}

/* Session strings (command line, notes, tags, event details) arrive
 * escaped for each format. */
static void test_report_escaping(void **state) {
    fixture *f = *state;
    char *html = trp_render(f->s, NULL, HR_REPORT_HTML, NULL);
    assert_null(strstr(html, "<script>alert(1)"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "model=sdxl&lt;b&gt;"));
    assert_null(strstr(html, "sdxl<b>"));
    /* In the chart data, an event detail's markup is \u-escaped; in the
     * page, entity-escaped. */
    assert_non_null(strstr(html, "sw_thermal \\u003ci\\u003ehot\\u003c/i\\u003e"));
    assert_non_null(strstr(html, "warm-up done &lt;b&gt;bold&lt;/b&gt; &amp; &#39;quoted&#39;"));
    /* Exactly the report's own three <script> elements close. */
    size_t closes = 0;
    for (const char *p = html; (p = strstr(p, "</script")); p++)
        closes++;
    assert_int_equal(closes, 3);
    hr_free(html);

    char *md = trp_render(f->s, NULL, HR_REPORT_MARKDOWN, NULL);
    assert_non_null(strstr(md, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(md, "first \\| row \\*bold\\* \\_x\\_ second line"));
    assert_non_null(strstr(md, "something new \\| \\*with\\* markdown"));
    hr_free(md);

    char *json = trp_render(f->s, NULL, HR_REPORT_JSON, NULL);
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    json_t *sess = json_object_get(o, "session");
    assert_string_equal(json_string_value(json_object_get(sess, "command")),
                        "python train.py --name \"<script>alert(1)</script>\" && echo | tee");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sess, "tags"), "model")),
                        "sdxl<b>");
    json_decref(o);
    hr_free(json);
}

/* Control characters and broken UTF-8 from a session never reach a
 * terminal raw nor break the JSON. */
static void test_report_hostile_strings(void **state) {
    fixture *f = *state;
    char path[4096];
    hr_session *s = trp_create(f->ctx, f->dir, "hostile.db", path);
    assert_int_equal(hr_session_set_meta(s, "command_line", "run \x1b[31mred\x1b[0m \xff\xfe end"),
                     HR_OK);
    assert_int_equal(hr_session_add_event(s, "k\xc3", TRP_MONO0, TRP_MONO0 + TRP_S,
                                          "gpu0: bad \xe2\x82 utf8", NULL),
                     HR_OK);
    trp_finish(s, 1, 0, 0);
    char *text = trp_render(s, NULL, HR_REPORT_TEXT, NULL);
    assert_null(strchr(text, '\x1b'));
    assert_non_null(strstr(text, "run \\x1b[31mred\\x1b[0m \xef\xbf\xbd\xef\xbf\xbd end"));
    hr_free(text);
    char *json = trp_render(s, NULL, HR_REPORT_JSON, NULL);
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o); /* valid UTF-8 throughout */
    json_decref(o);
    hr_free(json);
    char *html = trp_render(s, NULL, HR_REPORT_HTML, NULL);
    assert_null(strchr(html, '\x1b'));
    hr_free(html);
    hr_session_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_golden_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_golden_markdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_golden_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_hostile_strings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

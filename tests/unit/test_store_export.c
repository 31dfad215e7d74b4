/* test_store_export.c: sessions out as CSV, JSONL and the seed's 19-column
 * RLE CSV: the same columns on every row, base units, empty (or null) for a
 * missing value and never 0, steps with the union of their names, events
 * quoted, and a clear error when the output cannot be written. */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>

#include "test_store_util.h"

typedef struct fx {
    char *dir;
    char path[4200];
    hr_ctx *ctx;
    hr_session *s;
} fx;

#define T0 2000000000LL
#define W0 1700000000000000000LL /* 2023-11-14T22:13:20Z */

static void add(hr_session *s, const char *c, const char *m, const char *u, const char *b,
                double scale) {
    assert_int_equal(hr_session_add_channel(s, c, m, u, b, scale, NULL, NULL), HR_OK);
}

/* Channels as the recorder names them; tick 1 misses cpu/temp and gpu0/fan. */
static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    f->dir = tsu_mkdtemp();
    tsu_path(f->path, sizeof f->path, f->dir, "e.db");
    hr_ctx_new(&f->ctx);
    assert_int_equal(hr_session_create(f->ctx, f->path, 0, &f->s), HR_OK);
    hr_session *s = f->s;
    add(s, "cpu", "util", "ppm", "ratio", 1e-6);        /* 1 */
    add(s, "cpu", "temp", "mc", "celsius", 1e-3);       /* 2 */
    add(s, "cpu", "power", "mw", "watts", 1e-3);        /* 3 */
    add(s, "mem", "available", "bytes", "bytes", 1);    /* 4 */
    add(s, "cpu0", "freq", "mhz", "hertz", 1e6);        /* 5 */
    add(s, "cpu1", "freq", "mhz", "hertz", 1e6);        /* 6 */
    add(s, "cpu", "rle", "micro", "index", 1e-6);       /* 7 */
    add(s, "cpu", "a_load", "micro", "index", 1e-6);    /* 8 */
    add(s, "cpu", "t_sustain", "ms", "seconds", 1e-3);  /* 9 */
    add(s, "cpu", "collapse", "bool", "bool", 1);       /* 10 */
    add(s, "cpu", "rle_alerts", "mask", "mask", 1);     /* 11 */
    add(s, "gpu0", "util", "ppm", "ratio", 1e-6);       /* 12 */
    add(s, "gpu0", "temp", "mc", "celsius", 1e-3);      /* 13 */
    add(s, "gpu0", "fan", "pct", "ratio", 1e-2);        /* 14 */
    add(s, "gpu0", "rle", "micro", "index", 1e-6);      /* 15 */
    assert_int_equal(hr_session_set_meta_i64(s, "start_mono_ns", T0), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(s, "start_wall_ns", W0), HR_OK);
    for (int k = 0; k < 3; k++) {
        hr_reading v[15] = {
            hr__known(250000 + k),  hr__known(45123),        hr__known(30000),
            hr__known(8000000000LL), hr__known(2400),        hr__known(3600),
            hr__known(812345),      hr__known(300000),       hr__known(600000),
            hr__known(k == 2),      hr__known(k == 2 ? HR_RLE_ALERT_TEMP_LIMIT : 0),
            hr__known(900000),      hr__known(70000),        hr__known(55),
            hr__known(123456)};
        if (k == 1) {
            v[1] = hr__unknown(HR_WHY_VANISHED, 0);
            v[13] = hr__unknown(HR_WHY_IO_ERROR, 0);
        }
        assert_int_equal(hr_session_write_tick(s, T0 + k * 1000000000LL, W0 + k * 1000000000LL,
                                               v, 15, NULL),
                         HR_OK);
    }
    const char *n1[] = {"loss"}, *n2[] = {"loss", "lr"};
    double v1[] = {0.5}, v2[] = {0.25, 0.001};
    hr_step a = {1, T0 + 500000000LL, W0 + 500000000LL, 500000000LL, 32, 1, n1, v1};
    hr_step b = {2, T0 + 1500000000LL, W0 + 1500000000LL, -1, NAN, 2, n2, v2};
    assert_int_equal(hr_session_add_step(s, &a), HR_OK);
    assert_int_equal(hr_session_add_step(s, &b), HR_OK);
    assert_int_equal(hr_session_add_event(s, "collapse", T0 + 1000000000LL, T0 + 2000000000LL,
                                          "cpu: hot, \"throttled\"", NULL),
                     HR_OK);
    assert_int_equal(hr_session_add_event(s, "mark", T0 + 2000000000LL, 0, "open", NULL), HR_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fx *f = *state;
    hr_session_close(f->s);
    hr_ctx_free(f->ctx);
    tsu_rmdir(f->dir);
    free(f);
    return 0;
}

/* Exports with FORMAT/TABLE into a file and returns its text (malloc'd). */
static char *export_text(fx *f, int format, int table, int gpu, int64_t *rows) {
    char p[4300];
    tsu_path(p, sizeof p, f->dir, "out.txt");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    hr_export_options o;
    hr_export_options_defaults(&o);
    o.format = format;
    o.table = table;
    o.gpu = gpu;
    assert_int_equal(hr_session_export(f->s, &o, fd, rows), HR_OK);
    close(fd);
    FILE *fp = fopen(p, "r");
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static int count_char(const char *s, char c) {
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void test_store_export_csv_ticks(void **state) {
    fx *f = *state;
    int64_t rows = 0;
    char *t = export_text(f, HR_EXPORT_CSV, HR_EXPORT_TICKS, 0, &rows);
    assert_int_equal(rows, 3);
    char *lines[8] = {0};
    int n = 0;
    for (char *save = NULL, *l = strtok_r(t, "\n", &save); l && n < 8; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    assert_int_equal(n, 4);
    assert_true(strncmp(lines[0], "tick,time_utc,t_s,cpu/util[ratio],cpu/temp[celsius],cpu/power[watts],"
                                  "mem/available[bytes],cpu0/freq[hertz]", 97) == 0);
    for (int i = 1; i < n; i++)
        assert_int_equal(count_char(lines[i], ','), count_char(lines[0], ','));
    assert_string_equal(lines[1], "0,2023-11-14T22:13:20.000Z,0.000000,0.25,45.123,30,8000000000,"
                                  "2400000000,3600000000,0.812345,0.3,600,0,0,0.9,70,0.55,0.123456");
    /* Tick 1: the missing temperature and fan are empty fields, not 0. */
    assert_string_equal(lines[2], "1,2023-11-14T22:13:21.000Z,1.000000,0.250001,,30,8000000000,"
                                  "2400000000,3600000000,0.812345,0.3,600,0,0,0.9,70,,0.123456");
    free(t);
}

static void test_store_export_jsonl_ticks(void **state) {
    fx *f = *state;
    int64_t rows = 0;
    char *t = export_text(f, HR_EXPORT_JSONL, HR_EXPORT_TICKS, 0, &rows);
    assert_int_equal(rows, 3);
    size_t keys = 0;
    int n = 0;
    for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
        json_error_t err;
        json_t *o = json_loads(l, 0, &err);
        if (!o)
            fail_msg("line %d: %s", n, err.text);
        if (n == 0)
            keys = json_object_size(o);
        assert_int_equal(json_object_size(o), keys); /* the same keys on every row */
        assert_int_equal(keys, 3 + 15);
        json_t *temp = json_object_get(o, "cpu/temp[celsius]");
        if (n == 1)
            assert_true(json_is_null(temp));
        else
            assert_true(fabs(json_number_value(temp) - 45.123) < 1e-12);
        assert_int_equal(json_integer_value(json_object_get(o, "tick")), n);
        json_decref(o);
    }
    assert_int_equal(n, 3);
    free(t);
}

static void test_store_export_steps_and_events(void **state) {
    fx *f = *state;
    int64_t rows = 0;
    char *t = export_text(f, HR_EXPORT_CSV, HR_EXPORT_STEPS, 0, &rows);
    assert_int_equal(rows, 2);
    assert_string_equal(t, "step,index,time_utc,t_s,duration_s,units,loss,lr\n"
                           "0,1,2023-11-14T22:13:20.500Z,0.500000,0.5,32,0.5,\n"
                           "1,2,2023-11-14T22:13:21.500Z,1.500000,,,0.25,0.001\n");
    free(t);
    t = export_text(f, HR_EXPORT_CSV, HR_EXPORT_EVENTS, 0, &rows);
    assert_int_equal(rows, 2);
    assert_string_equal(t, "id,kind,start_utc,end_utc,start_s,end_s,duration_s,detail\n"
                           "1,collapse,2023-11-14T22:13:21.000Z,2023-11-14T22:13:22.000Z,1.000000,"
                           "2,1,\"cpu: hot, \"\"throttled\"\"\"\n"
                           "2,mark,2023-11-14T22:13:22.000Z,,2.000000,,,open\n");
    free(t);
    t = export_text(f, HR_EXPORT_JSONL, HR_EXPORT_EVENTS, 0, &rows);
    assert_non_null(strstr(t, "\"detail\":\"cpu: hot, \\\"throttled\\\"\""));
    assert_non_null(strstr(t, "\"end_utc\":null"));
    free(t);
}

static void test_store_export_rle_csv(void **state) {
    fx *f = *state;
    int64_t rows = 0;
    char *t = export_text(f, HR_EXPORT_RLE_CSV, HR_EXPORT_TICKS, 0, &rows);
    assert_int_equal(rows, 6); /* a CPU and a GPU row per tick */
    char *lines[8] = {0};
    int n = 0;
    for (char *save = NULL, *l = strtok_r(t, "\n", &save); l && n < 8; l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    assert_int_equal(n, 7);
    assert_string_equal(lines[0], "timestamp,device,rle_smoothed,rle_raw,rle_norm,E_th,E_pw,temp_c,"
                                  "vram_temp_c,power_w,util_pct,a_load,t_sustain_s,fan_pct,"
                                  "rolling_peak,collapse,alerts,cpu_freq_ghz,cycles_per_joule");
    for (int i = 1; i < n; i++)
        assert_int_equal(count_char(lines[i], ','), 18);
    assert_non_null(strstr(lines[1], ",cpu,0.812345,"));
    assert_non_null(strstr(lines[1], ",45.12,,30.00,25.00,0.300,600.0,,"));
    /* cpu_freq_ghz: the mean of the cores (2.4 and 3.6 GHz); cycles per joule = 3e9 / 30 W. */
    assert_non_null(strstr(lines[1], ",3.000,1.000000e+08"));
    assert_non_null(strstr(lines[2], ",gpu,0.123456,"));
    assert_non_null(strstr(lines[2], ",70.00,,,90.00,,,55.0,"));
    /* Tick 1: unknown temperature is blank; tick 2: collapse and the alert. */
    assert_non_null(strstr(lines[3], ",cpu,0.812345,,,,,,,30.00,"));
    assert_non_null(strstr(lines[5], ",1,CPU_TEMP_LIMIT,"));
    free(t);
    t = export_text(f, HR_EXPORT_RLE_CSV, HR_EXPORT_TICKS, -1, &rows);
    assert_int_equal(rows, 3);
    assert_null(strstr(t, ",gpu,"));
    free(t);
}

static void test_store_export_write_failure(void **state) {
    fx *f = *state;
    int fd = open("/dev/full", O_WRONLY);
    if (fd < 0)
        skip();
    hr_export_options o;
    hr_export_options_defaults(&o);
    assert_int_equal(hr_session_export(f->s, &o, fd, NULL), HR_EIO);
    assert_non_null(strstr(hr_session_last_error(f->s), "No space left"));
    close(fd);
    o.format = 7;
    assert_int_equal(hr_session_export(f->s, &o, 1, NULL), HR_EINVAL);
    assert_int_equal(hr_session_export(f->s, NULL, -1, NULL), HR_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_export_csv_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_export_jsonl_ticks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_export_steps_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_export_rle_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_export_write_failure, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_store_import.c: seed-004 RLE CSVs (19, 16 and 42 columns, headerless,
 * with junk, blank fields, repeated and backward rows) into sessions, and the
 * 19-column layout back out the same. */
#include <fcntl.h>
#include <math.h>

#include "test_store_util.h"

static const char csv19[] =
    "timestamp,device,rle_smoothed,rle_raw,rle_norm,E_th,E_pw,temp_c,vram_temp_c,power_w,"
    "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts,cpu_freq_ghz,"
    "cycles_per_joule\n"
    "2025-10-28T14:03:22.100000Z,gpu,0.412345,0.400000,0.350000,0.500000,0.800000,61.00,,24.90,"
    "87.00,0.125,600.0,45.0,0.600000,0,,,\n"
    "2025-10-28T14:03:22.100500Z,cpu,0.212345,0.200000,0.250000,0.400000,0.500000,55.00,,125.00,"
    "52.00,1.000,600.0,,0.300000,0,CPU_A_LOAD>1.10,3.600,2.880000e+07\n"
    "2025-10-28T14:03:23.100000Z,cpu,0.212000,0.200000,0.250000,0.400000,0.500000,,,125.00,"
    "52.00,1.000,600.0,,0.300000,0,,3.600,2.880000e+07\n"
    "2025-10-28T14:03:23.100000Z,cpu,0.212000,0.200000,0.250000,0.400000,0.500000,,,125.00,"
    "52.00,1.000,600.0,,0.300000,0,,3.600,2.880000e+07\n"
    "2025-10-28T14:03:23.100300Z,gpu,0.410000,0.400000,0.350000,0.500000,0.800000,62.00,70.00,"
    "24.90,87.00,0.125,600.0,45.0,0.600000,0,,,\n"
    "this line is junk\n"
    "\n"
    "2025-10-28T14:03:24.100000Z,cpu,0.100000,0.090000,0.120000,0.400000,0.250000,58.00,,125.00,"
    "25.00,1.000,55.0,,0.300000,1,,3.600,2.880000e+07\n"
    "2025-10-28T14:03:22.600000Z,cpu,0.100000,0.090000,0.120000,0.400000,0.250000,58.00,,125.00,"
    "25.00,1.000,55.0,,0.300000,1,,3.600,2.880000e+07\n"
    "2025-10-28T14:03:25.100000Z,cpu,0.200000,0.190000,0.220000,0.400000,0.500000,57.00,,125.00,"
    "50.00,1.000,600.0,,0.300000,0,,3.600,2.880000e+07\n";

typedef struct fx {
    char *dir;
    char csv[4200], db[4200];
    hr_ctx *ctx;
    hr_session *s;
} fx;

static int setup(void **state) {
    fx *f = calloc(1, sizeof *f);
    f->dir = tsu_mkdtemp();
    tsu_path(f->csv, sizeof f->csv, f->dir, "rle.csv");
    tsu_path(f->db, sizeof f->db, f->dir, "imp.db");
    hr_ctx_new(&f->ctx);
    assert_int_equal(hr_session_create(f->ctx, f->db, 0, &f->s), HR_OK);
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

static void write_file(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    fputs(text, fp);
    fclose(fp);
}

static hr_reading value(hr_session *s, const hr_tick_row *row, const char *c, const char *m) {
    int32_t id = hr_session_find_channel(s, c, m);
    if (id <= 0)
        fail_msg("no channel %s/%s", c, m);
    return row->values[id - 1];
}

static void test_store_import_19_columns(void **state) {
    fx *f = *state;
    write_file(f->csv, csv19);
    hr_import_stats st = {.size = sizeof st};
    assert_int_equal(hr_session_import_rle_csv(f->s, f->csv, &st), HR_OK);
    assert_int_equal(st.rows, 8);
    assert_int_equal(st.repeated, 1);
    assert_int_equal(st.backwards, 1);
    assert_int_equal(st.imported, 6);
    assert_int_equal(st.ticks, 4); /* the GPU and CPU rows of one loop share a tick */
    assert_int_equal(st.junk, 1);
    assert_int_equal(st.first_junk_line, 7);
    assert_int_equal(st.columns, 19);
    assert_int_equal(st.collapses, 1);

    hr_tick_cursor *c = NULL;
    hr_tick_row row;
    assert_int_equal(hr_session_ticks(f->s, &c), HR_OK);
    assert_int_equal(hr_tick_cursor_next(c, &row), HR_OK);
    assert_int_equal(row.t_mono_ns, row.t_wall_ns); /* time base: wall */
    assert_int_equal(row.t_wall_ns, 1761660202100000000LL);
    assert_known(value(f->s, &row, "cpu", "temp"), 55000);
    assert_known(value(f->s, &row, "cpu", "util"), 520000);
    assert_known(value(f->s, &row, "cpu", "power"), 125000);
    assert_known(value(f->s, &row, "cpu", "rle"), 212345);
    assert_known(value(f->s, &row, "cpu", "freq"), 3600);
    assert_known(value(f->s, &row, "cpu", "cycles_per_joule"), 28800000);
    assert_known(value(f->s, &row, "cpu", "rle_alerts"), HR_RLE_ALERT_A_LOAD);
    assert_known(value(f->s, &row, "gpu0", "fan"), 45);
    assert_known(value(f->s, &row, "gpu0", "t_sustain"), 600000);
    assert_unknown(value(f->s, &row, "gpu0", "temp_mem"), HR_WHY_ABSENT); /* blank, not 0 */
    assert_int_equal(hr_tick_cursor_next(c, &row), HR_OK);
    assert_unknown(value(f->s, &row, "cpu", "temp"), HR_WHY_ABSENT);
    assert_known(value(f->s, &row, "gpu0", "temp_mem"), 70000);
    hr_tick_cursor_free(c);

    hr_event_cursor *ec = NULL;
    hr_event ev;
    assert_int_equal(hr_session_events(f->s, &ec), HR_OK);
    assert_int_equal(hr_event_cursor_next(ec, &ev), HR_OK);
    assert_string_equal(ev.kind, "collapse");
    assert_int_equal(ev.start_mono_ns, 1761660204100000000LL);
    assert_int_equal(ev.end_mono_ns, 1761660205100000000LL);
    assert_non_null(strstr(ev.detail, "cpu"));
    assert_int_equal(hr_event_cursor_next(ec, &ev), HR_ENOENT);
    hr_event_cursor_free(ec);

    hr_session_info info = {.size = sizeof info};
    assert_int_equal(hr_session_info_get(f->s, &info), HR_OK);
    assert_int_equal(info.state, HR_SESSION_FINISHED);
    assert_int_equal(info.ticks, 4);
    char *tb = NULL;
    assert_int_equal(hr_session_get_meta(f->s, "time_base", &tb), HR_OK);
    assert_string_equal(tb, "wall");
    hr_free(tb);
}

/* The 19-column layout goes back out with the same fields. */
static void test_store_import_round_trip(void **state) {
    fx *f = *state;
    write_file(f->csv, csv19);
    assert_int_equal(hr_session_import_rle_csv(f->s, f->csv, NULL), HR_OK);
    char out[4300];
    tsu_path(out, sizeof out, f->dir, "back.csv");
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    hr_export_options o;
    hr_export_options_defaults(&o);
    o.format = HR_EXPORT_RLE_CSV;
    int64_t rows = 0;
    assert_int_equal(hr_session_export(f->s, &o, fd, &rows), HR_OK);
    close(fd);
    assert_int_equal(rows, 6); /* a row per device with values on a tick, as in the input */
    FILE *fp = fopen(out, "r");
    char line[1024];
    int n = 0, matched = 0;
    while (fgets(line, sizeof line, fp)) {
        n++;
        const char *fields = strchr(line, ','); /* from "device" on: timestamps of merged rows move */
        if (n > 1 && fields && strstr(csv19, fields))
            matched++;
    }
    fclose(fp);
    /* Every row the input kept comes back with identical fields. */
    assert_int_equal(matched, 6);
}

static void test_store_import_16_and_42_columns(void **state) {
    fx *f = *state;
    write_file(f->csv,
               "timestamp,device,rle_smoothed,rle_raw,E_th,E_pw,temp_c,vram_temp_c,power_w,"
               "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts\n"
               "2025-01-02T03:04:05Z,cpu,0.5,0.4,0.9,0.6,50.5,,30,40,0.3,600,,0.5,0,\n"
               "2025-01-02T03:04:06Z,cpu,0.5,0.4,0.9,0.6,51.5,,30,41,0.3,600,,0.5,0,\n");
    hr_import_stats st = {.size = sizeof st};
    assert_int_equal(hr_session_import_rle_csv(f->s, f->csv, &st), HR_OK);
    assert_int_equal(st.columns, 16);
    assert_int_equal(st.ticks, 2);
    hr_tick_cursor *c = NULL;
    hr_tick_row row;
    assert_int_equal(hr_session_ticks(f->s, &c), HR_OK);
    assert_int_equal(hr_tick_cursor_next(c, &row), HR_OK);
    assert_known(value(f->s, &row, "cpu", "temp"), 50500);
    assert_unknown(value(f->s, &row, "cpu", "rle_norm"), HR_WHY_ABSENT);
    hr_tick_cursor_free(c);
    hr_session_close(f->s);

    /* 42 columns: frequency in MHz. */
    assert_int_equal(hr_session_create(f->ctx, f->db, HR_SESSION_OVERWRITE, &f->s), HR_OK);
    char text[4096];
    snprintf(text, sizeof text, "%s",
             "timestamp,device,rle_smoothed,rle_raw,E_th,E_pw,temp_c,power_w,util_pct,a_load,"
             "t_sustain_s,rolling_peak,collapse,alerts,cpu_freq_mhz,cpu_cores_active,cpu_temp_max,"
             "gpu_memory_used_gb,gpu_memory_total_gb,gpu_fan_pct,gpu_clock_mhz,memory_used_gb,"
             "memory_total_gb,memory_util_pct,disk_used_gb,disk_total_gb,disk_util_pct,"
             "network_sent_mb,network_recv_mb,cpu_temp_hwinfo,cpu_fan_rpm,cpu_voltage,"
             "motherboard_temp,psu_voltage_12v,psu_voltage_5v,psu_voltage_3v,gpu_temp_hwinfo,"
             "gpu_memory_temp,gpu_fan_rpm,gpu_voltage,case_fan_rpm,workload_state\n"
             "2025-01-02T03:04:05,cpu,0.3,0.3,0.8,0.4,50,125,60,0.8,600,0.3,0,,3600,8,,,,,,,,,,,,"
             ",,,,,,,,,,,,,,training_step\n");
    write_file(f->csv, text);
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    assert_int_equal(hr_session_import_rle_csv(f->s, f->csv, &st), HR_OK);
    assert_int_equal(st.columns, 42);
    assert_int_equal(hr_session_ticks(f->s, &c), HR_OK);
    assert_int_equal(hr_tick_cursor_next(c, &row), HR_OK);
    assert_known(value(f->s, &row, "cpu", "freq"), 3600);
    assert_known(value(f->s, &row, "cpu", "util"), 600000);
    hr_tick_cursor_free(c);
}

static void test_store_import_refuses(void **state) {
    fx *f = *state;
    char missing[4300];
    tsu_path(missing, sizeof missing, f->dir, "nope.csv");
    assert_int_equal(hr_session_import_rle_csv(f->s, missing, NULL), HR_ENOENT);
    write_file(f->csv, "nothing,here\njunk\n\n");
    hr_import_stats st = {.size = sizeof st};
    assert_int_equal(hr_session_import_rle_csv(f->s, f->csv, &st), HR_EPARSE);
    assert_non_null(strstr(hr_session_last_error(f->s), "no readable row"));
    hr_session_close(f->s);
    assert_int_equal(hr_session_create(f->ctx, f->db, HR_SESSION_OVERWRITE, &f->s), HR_OK);
    assert_int_equal(hr_session_add_channel(f->s, "x", "y", "count", "count", 1, NULL, NULL), HR_OK);
    write_file(f->csv, csv19);
    assert_int_equal(hr_session_import_rle_csv(f->s, f->csv, NULL), HR_ESTATE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_import_19_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_import_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_import_16_and_42_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_import_refuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

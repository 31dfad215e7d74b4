/* test_rle_csv.c: the seed's RLE CSV layouts (16, 19, 42 columns), junk,
 * repeated timestamps, and the 19-column writer. */
#include "harness/hr_test.h"

#include <math.h>

#include "core/internal.h"
#include "record/rle_csv.h"
#include "record/rle_csv_time.h"

#define MAXROWS 32

typedef struct rows {
    hr__rle_row r[MAXROWS];
    size_t n;
} rows;

static hr_status collect(const hr__rle_row *row, void *ud) {
    rows *rs = ud;
    if (rs->n < MAXROWS)
        rs->r[rs->n++] = *row;
    return HR_OK;
}

static rows parse(const char *text, hr__rle_csv_stats *st) {
    static rows rs;
    memset(&rs, 0, sizeof rs);
    assert_int_equal(hr__rle_csv_parse(text, strlen(text), collect, &rs, st), HR_OK);
    return rs;
}

#define assert_field(row, f, val)                                                                  \
    do {                                                                                           \
        if (!HR__RLE_KNOWN(row, f))                                                                \
            fail_msg("%s: unknown, expected %g", #f, (double)(val));                               \
        if (fabs((row)->v[f] - (val)) > 1e-9 * fmax(1.0, fabs(val)))                               \
            fail_msg("%s = %.10g, expected %.10g", #f, (row)->v[f], (double)(val));                \
    } while (0)

#define assert_field_unknown(row, f) assert_false(HR__RLE_KNOWN(row, f))

static const char *const csv19 =
    "timestamp,device,rle_smoothed,rle_raw,rle_norm,E_th,E_pw,temp_c,vram_temp_c,power_w,"
    "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts,cpu_freq_ghz,"
    "cycles_per_joule\n"
    "2025-10-28T14:03:22.123456Z,gpu,0.123456,0.120000,0.150000,0.998336,0.120200,61.00,,24.90,"
    "12.00,0.125,600.0,35.0,0.201234,0,\n"
    "2025-10-28T14:03:22.123456Z,cpu,0.412345,0.398765,0.250000,0.912345,0.437654,,,,45.20,"
    "0.199,600.0,,0.634567,1,CPU_TEMP_LIMIT|CPU_A_LOAD>1.10,3.40,1.365462e+08\n";

static void test_rle_csv_19_columns(void **state) {
    (void)state;
    hr__rle_csv_stats st;
    rows rs = parse(csv19, &st);
    assert_int_equal(rs.n, 2);
    assert_int_equal(st.headers, 1);
    assert_int_equal(st.columns, 19);
    assert_int_equal(st.junk, 0);
    assert_int_equal(st.repeated, 0); /* same time, different devices */
    const hr__rle_row *g = &rs.r[0], *c = &rs.r[1];
    assert_string_equal(g->device, "gpu");
    assert_int_equal(g->line_no, 2);
    assert_true(g->has_zone);
    assert_true(g->t_unix_ns == 1761660202123456000LL);
    assert_string_equal(g->timestamp, "2025-10-28T14:03:22.123456Z");
    assert_field(g, HR__RLE_F_RLE_SMOOTHED, 0.123456);
    assert_field(g, HR__RLE_F_TEMP_C, 61.0);
    assert_field_unknown(g, HR__RLE_F_VRAM_TEMP_C);
    assert_field(g, HR__RLE_F_FAN_PCT, 35.0);
    assert_field(g, HR__RLE_F_COLLAPSE, 0.0);
    assert_field_unknown(g, HR__RLE_F_CPU_FREQ_GHZ); /* the 17-field GPU row */
    assert_field_unknown(g, HR__RLE_F_CYCLES_PER_JOULE);
    assert_string_equal(g->alerts, "");
    assert_string_equal(c->device, "cpu");
    assert_field_unknown(c, HR__RLE_F_TEMP_C); /* blank: unknown, never 0 */
    assert_field_unknown(c, HR__RLE_F_POWER_W);
    assert_field(c, HR__RLE_F_UTIL_PCT, 45.2);
    assert_field(c, HR__RLE_F_A_LOAD, 0.199);
    assert_field(c, HR__RLE_F_COLLAPSE, 1.0);
    assert_field(c, HR__RLE_F_CPU_FREQ_GHZ, 3.4);
    assert_field(c, HR__RLE_F_CYCLES_PER_JOULE, 1.365462e8);
    assert_string_equal(c->alerts, "CPU_TEMP_LIMIT|CPU_A_LOAD>1.10");
}

static void test_rle_csv_16_columns(void **state) {
    (void)state;
    const char *csv =
        "timestamp,device,rle_smoothed,rle_raw,E_th,E_pw,temp_c,vram_temp_c,power_w,util_pct,"
        "a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts\n"
        "2025-10-01T08:00:00Z,cpu,0.5,0.49,0.9,0.55,70.5,,80.0,64.0,0.64,412.3,,0.7,0,\n"
        "2025-10-01T08:00:01Z,gpu,0.2,0.21,0.95,0.22,66.0,72.0,180.5,97.0,0.9025,120.0,55.0,0.3,"
        "1,GPU_TEMP_LIMIT\n";
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(rs.n, 2);
    assert_int_equal(st.columns, 16);
    assert_field(&rs.r[0], HR__RLE_F_E_PW, 0.55);
    assert_field(&rs.r[0], HR__RLE_F_T_SUSTAIN_S, 412.3);
    assert_field_unknown(&rs.r[0], HR__RLE_F_RLE_NORM); /* not in the v1 layout */
    assert_field(&rs.r[1], HR__RLE_F_VRAM_TEMP_C, 72.0);
    assert_field(&rs.r[1], HR__RLE_F_POWER_W, 180.5);
    assert_string_equal(rs.r[1].alerts, "GPU_TEMP_LIMIT");
}

/* The 42-column header (hardware_monitor_v2.py) and a row whose values are
 * the column number unless given. */
static void make42(char *buf, size_t cap, const char *device, int with_header) {
    static const char *const names[] = {"timestamp",
                                        "device",
                                        "rle_smoothed",
                                        "rle_raw",
                                        "E_th",
                                        "E_pw",
                                        "temp_c",
                                        "power_w",
                                        "util_pct",
                                        "a_load",
                                        "t_sustain_s",
                                        "rolling_peak",
                                        "collapse",
                                        "alerts",
                                        "cpu_freq_mhz",
                                        "cpu_cores_active",
                                        "cpu_temp_max",
                                        "gpu_memory_used_gb",
                                        "gpu_memory_total_gb",
                                        "gpu_fan_pct",
                                        "gpu_clock_mhz",
                                        "memory_used_gb",
                                        "memory_total_gb",
                                        "memory_util_pct",
                                        "disk_used_gb",
                                        "disk_total_gb",
                                        "disk_util_pct",
                                        "network_sent_mb",
                                        "network_recv_mb",
                                        "cpu_temp_hwinfo",
                                        "cpu_fan_rpm",
                                        "cpu_voltage",
                                        "motherboard_temp",
                                        "psu_voltage_12v",
                                        "psu_voltage_5v",
                                        "psu_voltage_3v",
                                        "gpu_temp_hwinfo",
                                        "gpu_memory_temp",
                                        "gpu_fan_rpm",
                                        "gpu_voltage",
                                        "case_fan_rpm",
                                        "workload_state"};
    size_t n = 0;
    buf[0] = '\0';
    if (with_header)
        for (int i = 0; i < 42; i++)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", names[i], i == 41 ? "\n" : ",");
    n += (size_t)snprintf(buf + n, cap - n,
                          "2025-10-28T14:03:22.5,%s,0.3,0.31,0.9,0.34,50.0,"
                          "125.0,70.0,0.8,600.0,0.5,0,,3400",
                          device);
    for (int i = 15; i < 41; i++)
        n += (size_t)snprintf(buf + n, cap - n, ",%s", i == 19 ? "40" : i == 37 ? "" : "1");
    snprintf(buf + n, cap - n, ",training_step\n");
}

static void test_rle_csv_42_columns(void **state) {
    (void)state;
    char csv[4096];
    make42(csv, sizeof csv, "cpu", 1);
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(rs.n, 1);
    assert_int_equal(st.columns, 42);
    const hr__rle_row *r = &rs.r[0];
    assert_false(r->has_zone); /* naive UTC, no Z */
    assert_true(r->t_unix_ns == 1761660202500000000LL);
    assert_field(r, HR__RLE_F_POWER_W, 125.0);
    assert_field(r, HR__RLE_F_UTIL_PCT, 70.0);
    assert_field(r, HR__RLE_F_CPU_FREQ_GHZ, 3.4);   /* MHz converted */
    assert_field(r, HR__RLE_F_FAN_PCT, 40.0);       /* gpu_fan_pct */
    assert_field_unknown(r, HR__RLE_F_VRAM_TEMP_C); /* gpu_memory_temp blank */
    assert_field_unknown(r, HR__RLE_F_RLE_NORM);
    assert_string_equal(r->workload_state, "training_step");
}

static void test_rle_csv_headerless_layouts(void **state) {
    (void)state;
    char csv[4096];
    make42(csv, sizeof csv, "gpu", 0);
    size_t n = strlen(csv);
    snprintf(csv + n, sizeof csv - n,
             "2025-10-28T14:03:23Z,cpu,0.5,0.49,0.9,0.55,70.5,,80.0,64.0,0.64,412.3,,0.7,0,\n"
             "2025-10-28T14:03:23Z,gpu,0.1,0.1,0.1,0.9,0.1,60,,20,10,0.1,600,30,0.2,0,\n"
             "2025-10-28T14:03:24Z,cpu,0.1,0.1,0.1,0.9,0.1,60,,20,10,0.1,600,,0.2,0,,3.1,2e8\n"
             "2025-10-28T14:03:25Z,cpu,0.1,0.1,0.1\n");
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(rs.n, 4);
    assert_int_equal(st.headers, 0);
    assert_int_equal(st.junk, 1);
    assert_int_equal(st.first_junk_line, 5);
    assert_non_null(strstr(st.first_junk_why, "5 fields and no header"));
    assert_field(&rs.r[0], HR__RLE_F_CPU_FREQ_GHZ, 3.4);     /* 42 */
    assert_field(&rs.r[1], HR__RLE_F_T_SUSTAIN_S, 412.3);    /* 16 */
    assert_field(&rs.r[2], HR__RLE_F_FAN_PCT, 30.0);         /* 17: GPU row of 19 */
    assert_field(&rs.r[3], HR__RLE_F_CYCLES_PER_JOULE, 2e8); /* 19 */
}

static void test_rle_csv_junk_is_counted_and_skipped(void **state) {
    (void)state;
    char csv[4096];
    snprintf(csv, sizeof csv,
             "%s"
             "garbage line\n"
             "2025-10-28T14:03:23Z,cpu,0.5\n"                                /* short */
             "2025-13-28T14:03:23Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"     /* month */
             "2025-02-30T14:03:23Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"     /* Feb 30 */
             "2025-10-28T24:00:00Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"     /* hour */
             "2025-10-28T14:03:23Z,tpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"     /* device */
             "2025-10-28T14:03:23Z,cpu,1,abc,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"   /* number */
             "2025-10-28T14:03:23Z,cpu,1,0x10,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"  /* hex */
             "2025-10-28T14:03:23Z,cpu,1,inf,1,1,1,1,,1,1,1,1,,1,0,,1,1\n"   /* inf */
             "2025-10-28T14:03:23Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,2,,1,1\n"     /* collapse */
             "2025-10-28T14:03:23Z,gpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1,1,1\n" /* long */
             "2025-10-28T14:03:23Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,0\n"          /* cpu 17 */
             "\n   \n"
             "2025-10-28T14:03:30Z,cpu,NaN,None,nan,1,1,1,,1,1,1,1,,1,0,,1,1\n" /* ok */
             "\x01\xff\xfe binary\n",
             csv19);
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(rs.n, 3);
    assert_int_equal(st.junk, 13);
    assert_int_equal(st.blank, 2);
    assert_int_equal(st.first_junk_line, 4);
    assert_non_null(strstr(st.first_junk_why, "1 fields, the header has 19"));
    assert_field_unknown(&rs.r[2], HR__RLE_F_RLE_SMOOTHED);
    assert_field_unknown(&rs.r[2], HR__RLE_F_RLE_RAW);
    assert_field(&rs.r[2], HR__RLE_F_E_TH, 1.0);
    /* Each junk line's reason, one at a time. */
    struct {
        const char *line;
        const char *why;
    } cases[] = {
        {"2025-13-28T14:03:23Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1", "bad timestamp"},
        {"2025-10-28T14:03:23Z,tpu,1,1,1,1,1,1,,1,1,1,1,,1,0,,1,1", "unknown device \"tpu\""},
        {"2025-10-28T14:03:23Z,cpu,1,abc,1,1,1,1,,1,1,1,1,,1,0,,1,1", "rle_raw: not a number"},
        {"2025-10-28T14:03:23Z,cpu,1,1,1,1,1,1,,1,1,1,1,,1,2,,1,1", "collapse: must be 0 or 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hr__rle_csv_parser p;
        hr__rle_csv_init(&p);
        hr__rle_row row;
        char why[128] = "";
        assert_int_equal(hr__rle_csv_line(&p, csv19, strcspn(csv19, "\n"), &row, NULL, 0),
                         HR__RLE_LINE_HEADER);
        assert_int_equal(
            hr__rle_csv_line(&p, cases[i].line, strlen(cases[i].line), &row, why, sizeof why),
            HR__RLE_LINE_JUNK);
        if (!strstr(why, cases[i].why))
            fail_msg("\"%s\": reason \"%s\"", cases[i].line, why);
    }
}

static void test_rle_csv_repeated_and_backwards_timestamps(void **state) {
    (void)state;
    const char *csv =
        "timestamp,device,rle_smoothed,rle_raw,E_th,E_pw,temp_c,vram_temp_c,power_w,util_pct,"
        "a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts\n"
        "2025-10-01T08:00:01Z,cpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"
        "2025-10-01T08:00:01Z,gpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"
        "2025-10-01T08:00:01Z,cpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"  /* repeated */
        "2025-10-01T07:59:59Z,cpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"  /* backwards */
        "2025-10-01T08:00:00Z,cpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"  /* still before 08:00:01 */
        "2025-10-01T08:00:02Z,cpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"; /* fine */
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(rs.n, 6);
    assert_int_equal(st.repeated, 1);
    assert_int_equal(st.backwards, 2);
    assert_true(rs.r[2].repeated && !rs.r[2].backwards);
    assert_true(rs.r[3].backwards && rs.r[4].backwards);
    assert_false(rs.r[1].repeated || rs.r[5].repeated || rs.r[5].backwards);
}

static void test_rle_csv_concatenated_files_and_appended_columns(void **state) {
    (void)state;
    const char *csv =
        "timestamp,device,rle_smoothed,rle_raw,E_th,E_pw,temp_c,vram_temp_c,power_w,util_pct,"
        "a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts\n"
        "2025-10-01T08:00:01Z,cpu,1,1,1,1,1,,1,1,1,1,,1,0,\n"
        /* a 19-column file with micro-scale columns appended */
        "timestamp,device,rle_smoothed,rle_raw,rle_norm,E_th,E_pw,temp_c,vram_temp_c,power_w,"
        "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts,cpu_freq_ghz,"
        "cycles_per_joule,F_mu,F_q,F_s,F_p,rle_raw_ms,rle_smoothed_ms,rle_norm_ms\n"
        "2025-10-01T09:00:00Z,cpu,1,1,0.5,1,1,1,,1,1,1,1,,1,0,,2.5,1e8,1,1,1,1,1,1,1\n"
        /* the seed's GPU row: 17 values then the appended ones, shifted left */
        "2025-10-01T09:00:00Z,gpu,1,1,0.5,1,1,1,,1,1,1,1,40,1,0,,1,1,1,1,1,1,1\n";
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(st.headers, 2);
    assert_int_equal(st.junk, 0);
    assert_int_equal(rs.n, 3);
    assert_int_equal(st.columns, 26);
    assert_field(&rs.r[1], HR__RLE_F_RLE_NORM, 0.5);
    assert_field(&rs.r[1], HR__RLE_F_CPU_FREQ_GHZ, 2.5);
    assert_field(&rs.r[2], HR__RLE_F_FAN_PCT, 40.0);
    /* The shifted F_mu values are not read as frequency or cycles/J. */
    assert_field_unknown(&rs.r[2], HR__RLE_F_CPU_FREQ_GHZ);
    assert_field_unknown(&rs.r[2], HR__RLE_F_CYCLES_PER_JOULE);
    /* A CPU row two short is junk; only the GPU shape is allowed. */
    const char *cpu_short = "2025-10-01T09:00:01Z,cpu,1,1,0.5,1,1,1,,1,1,1,1,40,1,0,,1,1,1,1,1,1,1";
    hr__rle_csv_parser p;
    hr__rle_csv_init(&p);
    hr__rle_row row;
    const char *h = strstr(csv, "timestamp,device,rle_smoothed,rle_raw,rle_norm");
    hr__rle_csv_line(&p, h, strcspn(h, "\n"), &row, NULL, 0);
    assert_int_equal(hr__rle_csv_line(&p, cpu_short, strlen(cpu_short), &row, NULL, 0),
                     HR__RLE_LINE_JUNK);
}

static void test_rle_csv_bom_crlf_quotes_no_final_newline(void **state) {
    (void)state;
    const char *csv =
        "\xEF\xBB\xBFtimestamp,device,rle_smoothed,rle_raw,E_th,E_pw,temp_c,vram_temp_c,power_w,"
        "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts\r\n"
        "2025-10-01T08:00:01+02:00,\"cpu\",1,1,1,1,\" 55.5 \",,1,1,1,1,,1,0,\"A,\"\"B\"\"\"\r\n"
        "2025-10-01 08:00:02.5-0530,GPU,1,1,1,1,1,,1,1,1,1,,1,1,";
    hr__rle_csv_stats st;
    rows rs = parse(csv, &st);
    assert_int_equal(st.junk, 0);
    assert_int_equal(rs.n, 2);
    assert_field(&rs.r[0], HR__RLE_F_TEMP_C, 55.5);
    assert_string_equal(rs.r[0].alerts, "A,\"B\"");
    assert_true(rs.r[0].t_unix_ns == 1759298401000000000LL); /* 06:00:01Z */
    assert_string_equal(rs.r[1].device, "gpu");
    assert_true(rs.r[1].t_unix_ns == 1759325402500000000LL); /* 13:30:02.5Z */
    assert_field(&rs.r[1], HR__RLE_F_COLLAPSE, 1.0);
}

static void test_rle_csv_time_parse_and_format(void **state) {
    (void)state;
    int64_t t = 0;
    int32_t z = 0;
    assert_int_equal(hr__rle_parse_time("1970-01-01T00:00:00Z", &t, &z), 0);
    assert_true(t == 0 && z == 1);
    assert_int_equal(hr__rle_parse_time("2024-02-29T23:59:59.999999999", &t, &z), 0);
    assert_true(t == 1709251199999999999LL && z == 0);
    assert_int_equal(hr__rle_parse_time("1969-12-31T23:59:59.5Z", &t, &z), 0);
    assert_true(t == -500000000LL);
    const char *bad[] = {"",
                         "2025-10-28",
                         "2025-10-28T14:03",
                         "2023-02-29T00:00:00Z",
                         "2025-10-28T14:60:00Z",
                         "2025-10-28T14:03:22.Z",
                         "2025-10-28T14:03:22Zjunk",
                         "2025-10-28T14:03:22+25:00",
                         "2025-10-28T14:03:22 UTC",
                         "9999-12-31T23:59:59Z", /* past 2262: no int64 ns */
                         "+025-10-28T14:03:22Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hr__rle_parse_time(bad[i], &t, &z) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    char buf[40];
    hr__rle_csv_format_time(1761660202123456789LL, buf, sizeof buf);
    assert_string_equal(buf, "2025-10-28T14:03:22.123456Z");
    hr__rle_csv_format_time(-500000000LL, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31T23:59:59.500000Z");
    hr__rle_csv_format_time(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
}

static void test_rle_csv_writer_round_trip(void **state) {
    (void)state;
    hr_rle_result r;
    memset(&r, 0, sizeof r);
    r.why = HR_WHY_KNOWN;
    r.rle = 0.3987654321;
    r.rle_smoothed = 0.41;
    r.rle_norm = 0.25;
    r.e_th = 0.912345;
    r.e_pw = 0.437;
    r.temp_c = 84.126;
    r.power_w = 231.5;
    r.util_pct = 97.0;
    r.a_load = 1.1575;
    r.t_sustain_s = 1.0;
    r.rolling_peak = 0.8;
    r.in_collapse = 1;
    r.alerts = HR_RLE_ALERT_TEMP_LIMIT | HR_RLE_ALERT_A_LOAD;
    hr__rle_row row;
    hr__rle_row_from_result(&row, 1761660202123456000LL, "gpu", &r, NULL);
    hr__rle_row_set(&row, HR__RLE_F_FAN_PCT, 77.0);
    assert_string_equal(row.alerts, "GPU_TEMP_LIMIT|GPU_A_LOAD>1.10");
    char line[512];
    size_t n = hr__rle_csv_format19(&row, line, sizeof line);
    assert_int_equal(n, strlen(line));
    assert_string_equal(line, "2025-10-28T14:03:22.123456Z,gpu,0.410000,0.398765,0.250000,"
                              "0.912345,0.437000,84.13,,231.50,97.00,1.157,1.0,77.0,0.800000,1,"
                              "GPU_TEMP_LIMIT|GPU_A_LOAD>1.10,,\n");
    /* Read back through the parser. */
    char file[1024];
    snprintf(file, sizeof file, "%s%s", hr__rle_csv_header19, line);
    hr__rle_csv_stats st;
    rows rs = parse(file, &st);
    assert_int_equal(rs.n, 1);
    assert_int_equal(st.junk, 0);
    assert_field(&rs.r[0], HR__RLE_F_RLE_RAW, 0.398765);
    assert_field(&rs.r[0], HR__RLE_F_A_LOAD, 1.157);
    assert_field_unknown(&rs.r[0], HR__RLE_F_VRAM_TEMP_C);
    assert_true(rs.r[0].t_unix_ns == row.t_unix_ns);
    /* Unknown terms stay blank; a CPU row has all 19 fields too. */
    hr_rle_result u;
    memset(&u, 0, sizeof u);
    u.why = HR_WHY_NEEDS_INTERVAL;
    u.rle = u.rle_smoothed = u.rle_norm = u.e_th = u.e_pw = u.t_sustain_s = NAN;
    u.temp_c = u.power_w = u.a_load = u.rolling_peak = NAN;
    u.util_pct = 12.5;
    hr_rle_config c;
    hr_rle_config_defaults(&c);
    c.alert_a_load = 1.25;
    u.alerts = HR_RLE_ALERT_A_LOAD;
    hr__rle_row_from_result(&row, 0, "cpu", &u, &c);
    hr__rle_csv_format19(&row, line, sizeof line);
    assert_string_equal(line, "1970-01-01T00:00:00.000000Z,cpu,,,,,,,,,12.50,,,,,0,"
                              "CPU_A_LOAD>1.25,,\n");
    int commas = 0;
    for (const char *p = hr__rle_csv_header19; *p; p++)
        commas += *p == ',';
    assert_int_equal(commas, 18);
}

static void test_rle_csv_writer_truncates_and_sanitises(void **state) {
    (void)state;
    hr__rle_row row;
    memset(&row, 0, sizeof row);
    hr__strlcpy(row.device, "cpu", sizeof row.device);
    hr__strlcpy(row.alerts, "A,B\"C\nD", sizeof row.alerts);
    hr__rle_row_set(&row, HR__RLE_F_UTIL_PCT, 50.0);
    char full[256], small[20];
    size_t need = hr__rle_csv_format19(&row, full, sizeof full);
    assert_non_null(strstr(full, ",A_B_C_D,"));
    assert_int_equal(hr__rle_csv_format19(&row, small, sizeof small), need);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, full, sizeof small - 1);
    assert_int_equal(hr__rle_csv_format19(&row, NULL, 0), need);
}

static hr_status stop_at_second(const hr__rle_row *row, void *ud) {
    int *n = ud;
    return ++*n == 2 ? HR_ESTORE : HR_OK;
}

static void test_rle_csv_callback_status_stops(void **state) {
    (void)state;
    int n = 0;
    assert_int_equal(hr__rle_csv_parse(csv19, strlen(csv19), stop_at_second, &n, NULL), HR_ESTORE);
    assert_int_equal(n, 2);
    assert_int_equal(hr__rle_csv_parse(NULL, 5, NULL, NULL, NULL), HR_EINVAL);
    hr__rle_csv_stats st;
    assert_int_equal(hr__rle_csv_parse(NULL, 0, NULL, NULL, &st), HR_OK);
    assert_int_equal(st.rows, 0);
    assert_int_equal(st.lines, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle_csv_19_columns),
        cmocka_unit_test(test_rle_csv_16_columns),
        cmocka_unit_test(test_rle_csv_42_columns),
        cmocka_unit_test(test_rle_csv_headerless_layouts),
        cmocka_unit_test(test_rle_csv_junk_is_counted_and_skipped),
        cmocka_unit_test(test_rle_csv_repeated_and_backwards_timestamps),
        cmocka_unit_test(test_rle_csv_concatenated_files_and_appended_columns),
        cmocka_unit_test(test_rle_csv_bom_crlf_quotes_no_final_newline),
        cmocka_unit_test(test_rle_csv_time_parse_and_format),
        cmocka_unit_test(test_rle_csv_writer_round_trip),
        cmocka_unit_test(test_rle_csv_writer_truncates_and_sanitises),
        cmocka_unit_test(test_rle_csv_callback_status_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

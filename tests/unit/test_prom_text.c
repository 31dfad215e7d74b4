/* test_prom_text.c: the Prometheus exposition of a probe (hr_prom_format):
 * a golden exposition of the laptop fixture with the fake NVML H100, our own
 * checker (duplicate series, split families, HELP and TYPE), unknown values
 * left out, exact base-unit numbers, escaped label values, throttle reasons,
 * RLE and the job's state. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "exporter/prom_text.h"
#include "exporter/prom_write.h"
#include "harness/hr_test.h"
#include "test_prom_text_check.h"

#define FAKE_NVML HR_BUILD_DIR "/tests/fakes/libnvidia-ml.so.1"
#define GOLDEN HR_FIXTURES "/golden/prom/laptop-h100.prom"

/* --- helpers --- */

static char *format(const hr_prom_input *in) {
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(hr_prom_format(in, &out, &len), HR_OK);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    return out;
}

static void assert_clean(const char *text) {
    const char *why = prom_check(text, NULL);
    if (why)
        fail_msg("exposition not clean: %s\n%s", why, text);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The laptop fixture with the fake H100, read twice so that the GPU's
 * second values are in, on a fixed clock. */
static hr_probe *laptop_h100(hr_ctx **ctx) {
    setenv("FAKE_NVML_SCENARIO", HR_FIXTURES "/nvml/h100.json", 1);
    *ctx = hr_test_ctx("linux/laptop");
    assert_int_equal(hr_ctx_set_nvml_library(*ctx, FAKE_NVML), HR_OK);
    hr_probe *p = NULL;
    assert_int_equal(hr_probe_open(*ctx, &p), HR_OK);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    p->t_mono_ns = 1000000000000LL;
    p->t_wall_ns = 1767225600123456789LL; /* 2026-01-01T00:00:00.123456789Z */
    return p;
}

static hr_prom_input laptop_input(const hr_probe *p) {
    hr_prom_input in = {.size = sizeof in, .probe = p};
    in.now_mono_ns = p->t_mono_ns + 250000000;
    in.samples = (hr_reading){2, HR_WHY_KNOWN, 0};
    in.period_ns = (hr_reading){1000000000, HR_WHY_KNOWN, 0};
    return in;
}

/* --- golden and checker --- */

static void test_prom_text_golden_laptop_h100(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = laptop_h100(&ctx);
    hr_prom_input in = laptop_input(p);
    char *text = format(&in);
    assert_clean(text);
    if (getenv("HR_UPDATE_GOLDEN")) {
        FILE *f = fopen(GOLDEN, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    }
    char *golden = read_file(GOLDEN);
    if (!golden)
        fail_msg("%s missing (HR_UPDATE_GOLDEN=1 writes it)", GOLDEN);
    if (strcmp(text, golden) != 0)
        fail_msg("exposition differs from %s (HR_UPDATE_GOLDEN=1 rewrites it):\n%s", GOLDEN, text);
    free(golden);
    hr_free(text);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

/* Spot checks of the golden's content, so that a wrong golden cannot pass
 * unnoticed: values in base units, GPU labels, throttle reasons. */
static void test_prom_text_laptop_h100_values(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = laptop_h100(&ctx);
    hr_prom_input in = laptop_input(p);
    char *t = format(&in);
    static const char *const want[] = {
        "headroom_sample_age_seconds 0.25\n",
        "headroom_sample_timestamp_seconds 1767225600.123456789\n",
        "headroom_sampler_samples_total 2\n",
        "headroom_cpu_temperature_celsius 67\n",
        "headroom_cpu_package_throttles_total 41\n",
        "headroom_cpu_core_frequency_hertz{cpu=\"1\"} 2803000000\n",
        "headroom_memory_total_bytes 16475385856\n",
        "headroom_pressure_some_avg10_ratio{resource=\"memory\"} 0.0125\n",
        "headroom_pressure_some_seconds_total{resource=\"cpu\"} 98.765432\n",
        "headroom_hwmon_temperature_celsius{chip=\"nvme\",sensor=\"Composite\",device=\"hwmon2\"} "
        "38.85\n",
        "headroom_hwmon_fan_rpm{chip=\"thinkpad\",sensor=\"fan1\",device=\"hwmon4\"} 2372\n",
        "headroom_hwmon_voltage_volts{chip=\"BAT0\",sensor=\"in0\",device=\"hwmon1\"} 12.876\n",
        "headroom_thermal_zone_trip_celsius{zone=\"thermal_zone0\",type=\"acpitz\",trip=\"0\","
        "trip_type=\"critical\"} 128\n",
        "headroom_rapl_energy_joules_total{domain=\"package-0\",path=\"intel-rapl:0\"} "
        "27436.213432\n",
        "headroom_gpu_temperature_celsius{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-"
        "0b2f4e6d8c10\",name=\"NVIDIA H100 80GB HBM3\"} 44\n",
        "headroom_gpu_power_watts{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-0b2f4e6d8c10\","
        "name=\"NVIDIA H100 80GB HBM3\"} 655\n",
        "headroom_gpu_energy_joules_total{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-"
        "0b2f4e6d8c10\",name=\"NVIDIA H100 80GB HBM3\"} 912999.999\n",
        "headroom_gpu_utilization_ratio{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-"
        "0b2f4e6d8c10\",name=\"NVIDIA H100 80GB HBM3\"} 0.99\n",
        "headroom_gpu_sm_clock_hertz{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-0b2f4e6d8c10\","
        "name=\"NVIDIA H100 80GB HBM3\"} 1980000000\n",
        "headroom_gpu_throttle_active{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-"
        "0b2f4e6d8c10\","
        "name=\"NVIDIA H100 80GB HBM3\",reason=\"sw_thermal_slowdown\"} 1\n",
        "headroom_gpu_throttle_active{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-"
        "0b2f4e6d8c10\","
        "name=\"NVIDIA H100 80GB HBM3\",reason=\"hw_slowdown\"} 0\n",
        "headroom_gpu_throttle_seconds_total{index=\"0\",uuid=\"GPU-5d1c2a4e-7f3b-4c8e-9a61-"
        "0b2f4e6d8c10\",name=\"NVIDIA H100 80GB HBM3\",reason=\"sw_thermal_slowdown\"} "
        "98.7654321\n",
        "headroom_accelerator_budget_bytes{device=\"cuda:0\",kind=\"cuda\"} 32907460608\n",
        "headroom_source_up{source=\"nvml\"} 1\n",
        "headroom_source_info{source=\"amd-sysfs\",state=\"absent\",reason=\"absent\"} 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(t, want[i]))
            fail_msg("missing line: %s", want[i]);
    /* The board supports 0x1ff: nine reasons, not the two beyond. */
    int active = 0;
    for (const char *s = t; (s = strstr(s, "\nheadroom_gpu_throttle_active{")); s++)
        active++;
    assert_int_equal(active, 9);
    assert_null(strstr(t, "reason=\"board_limit\""));
    hr_free(t);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

static void test_prom_text_checker_catches_problems(void **state) {
    (void)state;
    const char *ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 1\n"
                     "a_total{x=\"2\"} 2\n# HELP b B.\n# TYPE b gauge\nb 1.5\n";
    assert_null(prom_check(ok, NULL));
    static const char *const bad[] = {
        /* duplicate series */
        "# HELP b B.\n# TYPE b gauge\nb{x=\"1\"} 1\nb{x=\"1\"} 2\n",
        /* a family in two groups */
        "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"2\"} 1\n",
        /* no HELP */
        "# TYPE b gauge\nb 1\n",
        /* no TYPE */
        "# HELP b B.\nb 1\n",
        /* no final newline */
        "# HELP b B.\n# TYPE b gauge\nb 1",
        /* counter without _total */
        "# HELP c C.\n# TYPE c counter\nc 1\n",
        /* bad escape and raw newline in a label value */
        "# HELP b B.\n# TYPE b gauge\nb{x=\"a\\tb\"} 1\n",
        "# HELP b B.\n# TYPE b gauge\nb{x=\"a\nb\"} 1\n",
        /* not a float */
        "# HELP b B.\n# TYPE b gauge\nb 1,5\n",
        /* two HELP lines */
        "# HELP b B.\n# HELP b B.\n# TYPE b gauge\nb 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!prom_check(bad[i], NULL))
            fail_msg("checker passed bad text %zu:\n%s", i, bad[i]);
}

/* --- unknown values --- */

static void test_prom_text_unknown_values_left_out(void **state) {
    (void)state;
    hr_ctx *ctx;
    hr_probe *p = laptop_h100(&ctx);
    /* Preconditions: these readings are unknown on this fixture. */
    assert_false(HR_IS_KNOWN(p->mem.cgroup_limit_bytes));
    assert_false(HR_IS_KNOWN(p->gpus[0].temp_hotspot_mc));
    assert_false(HR_IS_KNOWN(p->gpus[0].fan_pct));
    assert_false(HR_IS_KNOWN(p->mem.thermal_pressure));
    /* Make one known value unknown: it must vanish, not become 0. */
    p->cpu.temp_mc = (hr_reading){0, HR_WHY_NO_PERMISSION, 13};
    hr_prom_input in = laptop_input(p);
    char *t = format(&in);
    assert_clean(t);
    assert_false(prom_has(t, "headroom_memory_cgroup_limit_bytes"));
    assert_false(prom_has(t, "headroom_gpu_hotspot_temperature_celsius"));
    assert_false(prom_has(t, "headroom_gpu_fan_speed_ratio"));
    assert_false(prom_has(t, "headroom_thermal_pressure_level"));
    assert_false(prom_has(t, "headroom_cpu_temperature_celsius"));
    assert_false(prom_has(t, "# HELP headroom_cpu_temperature_celsius "));
    assert_true(prom_has(t, "headroom_cpu_temperature_critical_celsius 100\n"));
    hr_free(t);
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

/* A probe whose every reading is zeroed (never read) writes no measured
 * value at all: only the facts that are always there. */
static void test_prom_text_zeroed_probe_writes_no_value(void **state) {
    (void)state;
    hr_probe p;
    memset(&p, 0, sizeof p);
    p.size = sizeof p;
    hr_cpu_core core = {.cpu = 0};
    hr_sensor sensor = {.chip = "c", .label = "l", .device = "hwmon0", .kind = HR_SENSOR_TEMP};
    hr_thermal_zone zone = {.name = "thermal_zone0", .type = "t", .ntrips = 2};
    hr_rapl_domain rapl = {.name = "package-0", .path = "intel-rapl:0"};
    hr_gpu_info gpu = {.index = 0, .name = "G", .uuid = "U"};
    hr_source_report src = {.name = "hwmon", .state = HR_SOURCE_FAILED, .why = HR_WHY_IO_ERROR};
    p.cores = &core;
    p.ncores = 1;
    p.sensors = &sensor;
    p.nsensors = 1;
    p.zones = &zone;
    p.nzones = 1;
    p.rapl = &rapl;
    p.nrapl = 1;
    p.gpus = &gpu;
    p.ngpus = 1;
    p.sources = &src;
    p.nsources = 1;
    hr_job_status job = {.size = sizeof job};
    hr_prom_rle rle = {.component = "cpu"};
    hr_prom_input in = {.size = sizeof in, .probe = &p, .job = &job, .rle = &rle, .nrle = 1};
    char *t = format(&in);
    assert_clean(t);
    static const char *const allowed[] = {"headroom_build_info", "headroom_host_info",
                                          "headroom_source_up",  "headroom_source_info",
                                          "headroom_gpu_info",   "headroom_gpu_lost"};
    for (const char *l = t; *l; l = strchr(l, '\n') + 1) {
        if (*l == '#')
            continue;
        int ok = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
            size_t n = strlen(allowed[i]);
            ok |= strncmp(l, allowed[i], n) == 0 && (l[n] == '{' || l[n] == ' ');
        }
        if (!ok)
            fail_msg("a never-read probe wrote a value: %.*s", (int)(strchr(l, '\n') - l), l);
    }
    assert_true(prom_has(t, "headroom_source_up{source=\"hwmon\"} 0\n"));
    assert_true(prom_has(t, "headroom_source_info{source=\"hwmon\",state=\"failed\","
                            "reason=\"io_error\"} 1\n"));
    hr_free(t);
}

/* --- numbers and label values --- */

static void check_scaled(int64_t v, int e, const char *want) {
    hr__pbuf b = {0};
    hr__pbuf_scaled(&b, v, e);
    assert_non_null(b.p);
    if (strcmp(b.p, want) != 0)
        fail_msg("%lld * 10^%d: got %s, want %s", (long long)v, e, b.p, want);
    free(b.p);
}

static void test_prom_text_numbers_are_exact(void **state) {
    (void)state;
    check_scaled(990000, -6, "0.99");
    check_scaled(-3500, -3, "-3.5");
    check_scaled(0, -6, "0");
    check_scaled(5, 0, "5");
    check_scaled(1, -18, "0.000000000000000001");
    check_scaled(1980, 6, "1980000000");
    check_scaled(38850, -3, "38.85");
    check_scaled(INT64_MIN, -9, "-9223372036.854775808");
    check_scaled(INT64_MAX, 0, "9223372036854775807");
    /* Beyond int64 after scaling: floating point, still a valid value. */
    check_scaled(INT64_MAX, 6, "9.2233720368547758e+24");
    assert_true(pc_value_ok("9.2233720368547758e+24"));
}

static void check_label(const char *in, const char *want) {
    hr__pbuf b = {0};
    hr__pbuf_label_value(&b, in);
    const char *got = b.p ? b.p : "";
    if (strcmp(got, want) != 0)
        fail_msg("label '%s': got '%s', want '%s'", in, got, want);
    free(b.p);
}

static void test_prom_text_label_values_escaped(void **state) {
    (void)state;
    check_label("plain", "plain");
    check_label("", "");
    check_label("a\"b", "a\\\"b");
    check_label("a\\b", "a\\\\b");
    check_label("two\nlines", "two\\nlines");
    check_label("tab\there", "tab?here");
    check_label("caf\xc3\xa9 \xe2\x84\x83", "caf\xc3\xa9 \xe2\x84\x83"); /* valid UTF-8 kept */
    check_label("bad\xff\xfe", "bad??");                                 /* invalid bytes */
    check_label("over\xc0\xaflong", "over??long");                       /* overlong '/' */
    check_label("cut\xe2\x84", "cut??");                                 /* truncated */
    check_label("sur\xed\xa0\x80", "sur???");                            /* a surrogate */
    /* In a whole exposition: a sensor with every kind of character. */
    hr_probe p;
    memset(&p, 0, sizeof p);
    hr_sensor s = {.chip = "we\"ird\\",
                   .label = "x\ny\xff",
                   .device = "hwmon0",
                   .kind = HR_SENSOR_TEMP,
                   .value = {41500, HR_WHY_KNOWN, 0}};
    p.sensors = &s;
    p.nsensors = 1;
    hr_prom_input in = {.size = sizeof in, .probe = &p};
    char *t = format(&in);
    assert_clean(t);
    assert_true(prom_has(t, "headroom_hwmon_temperature_celsius{chip=\"we\\\"ird\\\\\","
                            "sensor=\"x\\ny?\",device=\"hwmon0\"} 41.5\n"));
    hr_free(t);
}

/* --- GPUs --- */

static hr_gpu_info synthetic_gpu(void) {
    hr_gpu_info g;
    memset(&g, 0, sizeof g);
    hr__strlcpy(g.name, "G", sizeof g.name);
    hr__strlcpy(g.uuid, "U", sizeof g.uuid);
    g.temp_mc = hr__known(71000);
    g.throttle_reasons = hr__known(HR_THROTTLE_SW_THERMAL | HR_THROTTLE_SW_POWER_CAP);
    g.throttle_supported = hr__known(0x1ff);
    g.throttle_time_ns[HR_TCOUNT_HW_THERMAL] = hr__known(1500000000);
    return g;
}

static char *gpu_text(hr_gpu_info *g) {
    hr_probe p;
    memset(&p, 0, sizeof p);
    p.gpus = g;
    p.ngpus = 1;
    hr_prom_input in = {.size = sizeof in, .probe = &p};
    char *t = format(&in);
    assert_clean(t);
    return t;
}

static int count_lines(const char *t, const char *prefix) {
    int n = 0;
    for (const char *l = t; *l; l = strchr(l, '\n') + 1)
        n += strncmp(l, prefix, strlen(prefix)) == 0;
    return n;
}

#define GL "{index=\"0\",uuid=\"U\",name=\"G\""

static void test_prom_text_throttle_reasons(void **state) {
    (void)state;
    hr_gpu_info g = synthetic_gpu();
    char *t = gpu_text(&g);
    assert_int_equal(count_lines(t, "headroom_gpu_throttle_active{"), 9);
    assert_true(
        prom_has(t, "headroom_gpu_throttle_active" GL ",reason=\"sw_thermal_slowdown\"} 1\n"));
    assert_true(prom_has(t, "headroom_gpu_throttle_active" GL ",reason=\"sw_power_cap\"} 1\n"));
    assert_true(
        prom_has(t, "headroom_gpu_throttle_active" GL ",reason=\"hw_thermal_slowdown\"} 0\n"));
    assert_true(prom_has(t, "headroom_gpu_throttle_active" GL ",reason=\"gpu_idle\"} 0\n"));
    /* Only the counter the GPU keeps, under the gauge's reason name. */
    assert_int_equal(count_lines(t, "headroom_gpu_throttle_seconds_total{"), 1);
    assert_true(prom_has(t, "headroom_gpu_throttle_seconds_total" GL
                            ",reason=\"hw_thermal_slowdown\"} 1.5\n"));
    hr_free(t);

    /* The board does not say what it supports: every known reason. */
    g.throttle_supported = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    t = gpu_text(&g);
    assert_int_equal(count_lines(t, "headroom_gpu_throttle_active{"), 11);
    hr_free(t);

    /* Unknown active reasons: no gauge at all (not eleven zeros). */
    g.throttle_reasons = hr__unknown(HR_WHY_NO_PERMISSION, 0);
    t = gpu_text(&g);
    assert_int_equal(count_lines(t, "headroom_gpu_throttle_active{"), 0);
    assert_int_equal(count_lines(t, "# HELP headroom_gpu_throttle_active "), 0);
    hr_free(t);
}

static void test_prom_text_lost_gpu_serves_no_values(void **state) {
    (void)state;
    hr_gpu_info g = synthetic_gpu();
    g.lost = 1;
    char *t = gpu_text(&g);
    assert_true(prom_has(t, "headroom_gpu_lost" GL "} 1\n"));
    assert_true(prom_has(t, "headroom_gpu_info" GL));
    assert_false(prom_has(t, "headroom_gpu_temperature_celsius"));
    assert_false(prom_has(t, "headroom_gpu_throttle_active"));
    assert_false(prom_has(t, "headroom_gpu_throttle_seconds_total"));
    hr_free(t);
}

static void test_prom_text_duplicate_sensors_written_once(void **state) {
    (void)state;
    hr_probe p;
    memset(&p, 0, sizeof p);
    hr_sensor s[3] = {
        {.chip = "k10temp",
         .label = "Tctl",
         .device = "hwmon1",
         .kind = HR_SENSOR_TEMP,
         .value = {50000, HR_WHY_KNOWN, 0}},
        {.chip = "k10temp",
         .label = "Tctl",
         .device = "hwmon1",
         .kind = HR_SENSOR_TEMP,
         .value = {51000, HR_WHY_KNOWN, 0}},
        {.chip = "k10temp",
         .label = "Tctl",
         .device = "hwmon2",
         .kind = HR_SENSOR_TEMP,
         .value = {52000, HR_WHY_KNOWN, 0}},
    };
    p.sensors = s;
    p.nsensors = 3;
    hr_prom_input in = {.size = sizeof in, .probe = &p};
    char *t = format(&in);
    assert_clean(t);
    assert_int_equal(count_lines(t, "headroom_hwmon_temperature_celsius{"), 2);
    assert_true(prom_has(t, "headroom_hwmon_temperature_celsius{chip=\"k10temp\",sensor=\"Tctl\","
                            "device=\"hwmon1\"} 50\n"));
    hr_free(t);
}

/* --- RLE and the job --- */

static void test_prom_text_job_and_rle(void **state) {
    (void)state;
    hr_probe p;
    memset(&p, 0, sizeof p);
    hr_job_status job = {.size = sizeof job};
    job.state = hr__known(HR_JOB_PAUSED);
    job.steps = hr__known(42);
    job.step_rate_uhz = hr__known(2500000);
    job.cooling_ns = hr__known(90500000000LL);
    hr_prom_rle rle[2] = {{.component = "cpu"}, {.component = "gpu0"}};
    rle[1].rle_micro = hr__known(812345);
    rle[1].a_load_micro = hr__known(935000);
    rle[1].t_sustain_ms = hr__known(600000);
    rle[1].collapse = hr__known(0);
    hr_prom_input in = {.size = sizeof in, .probe = &p, .job = &job, .rle = rle, .nrle = 2};
    char *t = format(&in);
    assert_clean(t);
    assert_true(prom_has(t, "headroom_job_state{state=\"running\"} 0\n"));
    assert_true(prom_has(t, "headroom_job_state{state=\"paused\"} 1\n"));
    assert_true(prom_has(t, "headroom_job_state{state=\"exited\"} 0\n"));
    assert_true(prom_has(t, "headroom_job_steps_total 42\n"));
    assert_true(prom_has(t, "headroom_job_steps_per_second 2.5\n"));
    assert_true(prom_has(t, "headroom_job_cooling_seconds_total 90.5\n"));
    assert_false(prom_has(t, "headroom_job_cooling_pauses_total"));
    assert_true(prom_has(t, "headroom_rle_smoothed{component=\"gpu0\"} 0.812345\n"));
    assert_true(prom_has(t, "headroom_rle_load_ratio{component=\"gpu0\"} 0.935\n"));
    assert_true(prom_has(t, "headroom_rle_sustain_seconds{component=\"gpu0\"} 600\n"));
    assert_true(prom_has(t, "headroom_rle_collapse_active{component=\"gpu0\"} 0\n"));
    assert_false(prom_has(t, "headroom_rle_smoothed{component=\"cpu\"}"));
    hr_free(t);

    /* A state outside the enum is not guessed at. */
    job.state = hr__known(7);
    t = format(&in);
    assert_false(prom_has(t, "headroom_job_state"));
    hr_free(t);
}

/* A caller built with an older, smaller hr_prom_input (up to nrle) gets
 * no sampler figures, and nothing is read beyond what it passed. */
static void test_prom_text_small_input_struct(void **state) {
    (void)state;
    hr_probe p;
    memset(&p, 0, sizeof p);
    hr_prom_input in = {.probe = &p, .samples = {9, HR_WHY_KNOWN, 0}};
    in.size = offsetof(hr_prom_input, samples);
    char *t = format(&in);
    assert_false(prom_has(t, "headroom_sampler_samples_total"));
    hr_free(t);
}

/* Every family the formatter can write is documented in docs/METRICS.md
 * (as `name`), and the documented ones exist. */
static void test_prom_text_every_metric_documented(void **state) {
    (void)state;
    char *doc = read_file(HR_SOURCE_DIR "/docs/METRICS.md");
    assert_non_null(doc);
    static const char *const sources[] = {HR_SOURCE_DIR "/src/exporter/prom_text.c",
                                          HR_SOURCE_DIR "/src/exporter/prom_gpu.c"};
    char all[8192] = "";
    int names = 0;
    for (size_t i = 0; i < 2; i++) {
        char *src = read_file(sources[i]);
        assert_non_null(src);
        for (char *q = src; (q = strstr(q, "\"headroom_")); q++) {
            char name[128], want[132];
            size_t n = strcspn(q + 1, "\"");
            assert_true(n < sizeof name);
            memcpy(name, q + 1, n);
            name[n] = '\0';
            snprintf(want, sizeof want, "`%s`", name);
            if (!strstr(doc, want))
                fail_msg("%s is not documented in docs/METRICS.md", name);
            if (strlen(all) + n + 2 < sizeof all) {
                strcat(all, name);
                strcat(all, " ");
            }
            names++;
        }
        free(src);
    }
    assert_true(names > 90);
    /* And no documented family that the code does not write. */
    for (char *q = doc; (q = strstr(q, "`headroom_")); q++) {
        char name[128];
        size_t n = strcspn(q + 1, "`{ ");
        if (n + 2 > sizeof name || q[1 + n] != '`')
            continue;
        memcpy(name, q + 1, n);
        name[n] = ' ';
        name[n + 1] = '\0';
        if (!strstr(all, name))
            fail_msg("docs/METRICS.md documents %.*s, which nothing writes", (int)n, q + 1);
    }
    free(doc);
}

static void test_prom_text_bad_arguments(void **state) {
    (void)state;
    char *out = (char *)1;
    assert_int_equal(hr_prom_format(NULL, &out, NULL), HR_EINVAL);
    assert_null(out);
    hr_prom_input in = {.size = sizeof in};
    assert_int_equal(hr_prom_format(&in, &out, NULL), HR_EINVAL);
    hr_probe p;
    memset(&p, 0, sizeof p);
    in.probe = &p;
    assert_int_equal(hr_prom_format(&in, NULL, NULL), HR_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prom_text_golden_laptop_h100),
        cmocka_unit_test(test_prom_text_laptop_h100_values),
        cmocka_unit_test(test_prom_text_checker_catches_problems),
        cmocka_unit_test(test_prom_text_unknown_values_left_out),
        cmocka_unit_test(test_prom_text_zeroed_probe_writes_no_value),
        cmocka_unit_test(test_prom_text_numbers_are_exact),
        cmocka_unit_test(test_prom_text_label_values_escaped),
        cmocka_unit_test(test_prom_text_throttle_reasons),
        cmocka_unit_test(test_prom_text_lost_gpu_serves_no_values),
        cmocka_unit_test(test_prom_text_duplicate_sensors_written_once),
        cmocka_unit_test(test_prom_text_job_and_rle),
        cmocka_unit_test(test_prom_text_small_input_struct),
        cmocka_unit_test(test_prom_text_every_metric_documented),
        cmocka_unit_test(test_prom_text_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_nvml.c: the NVML backend against the fake libnvidia-ml.so.1 built in
 * tests/fakes, driven by the scenarios in tests/fixtures/nvml. Every value
 * the backend decodes, every reason a value is unknown, the symbol
 * fallbacks of an old driver, a GPU lost mid-run and the accelerator the
 * core derives from the GPUs are checked through the public probe API. */
#include "harness/hr_test.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/sys.h"

#define FAKE_NVML HR_BUILD_DIR "/tests/fakes/libnvidia-ml.so.1"
#define FAKE_NVML_OLD HR_BUILD_DIR "/tests/fakes/old-driver/libnvidia-ml.so.1"

/* Both fake variants stay loaded for the whole run so that their call
 * counters survive the backend's dlclose at hr_probe_free. */
typedef struct fake_lib {
    void *handle;
    long (*count)(const char *fn);
} fake_lib;

static fake_lib fake_new, fake_old;
/* The probe and context of the running test; the teardown frees them even
 * when an assertion ends the test early, so that NVML's init count (and with
 * it the next test's scenario) starts from zero. */
static hr_probe *t_probe;
static hr_ctx *t_ctx;
static char root_dir[4096];
static int root_is_temp;
static char scenario_tmp[4096];

/* ---- fixtures and helpers ------------------------------------------------ */

static int fake_load(fake_lib *f, const char *path) {
    f->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!f->handle) {
        fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return -1;
    }
    *(void **)&f->count = dlsym(f->handle, "fake_nvml_call_count");
    return f->count ? 0 : -1;
}

/* The OS layer needs a root; the sensorless VM fixture is the natural one
 * (no GPU files of its own). Until it exists, an empty tree will do. */
static int group_setup(void **state) {
    (void)state;
    struct stat sb;
    snprintf(root_dir, sizeof root_dir, "%s/linux/sensorless-vm", HR_FIXTURES);
    if (stat(root_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(root_dir, sizeof root_dir, "/tmp/hr-test-nvml-XXXXXX");
        if (!mkdtemp(root_dir))
            return -1;
        root_is_temp = 1;
    }
    return fake_load(&fake_new, FAKE_NVML) || fake_load(&fake_old, FAKE_NVML_OLD);
}

static int group_teardown(void **state) {
    (void)state;
    if (root_is_temp)
        rmdir(root_dir);
    if (scenario_tmp[0])
        unlink(scenario_tmp);
    if (fake_new.handle)
        dlclose(fake_new.handle);
    if (fake_old.handle)
        dlclose(fake_old.handle);
    return 0;
}

static void close_probe(void) {
    hr_probe_free(t_probe);
    t_probe = NULL;
}

static int test_teardown(void **state) {
    (void)state;
    hr__sys_reset();
    close_probe();
    hr_ctx_free(t_ctx);
    t_ctx = NULL;
    return 0;
}

static void use_scenario(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/nvml/%s.json", HR_FIXTURES, name);
    setenv("FAKE_NVML_SCENARIO", path, 1);
}

/* Writes an ad-hoc scenario and selects it. */
static void use_scenario_text(const char *json) {
    if (scenario_tmp[0])
        unlink(scenario_tmp);
    snprintf(scenario_tmp, sizeof scenario_tmp, "/tmp/hr-test-nvml-scenario-XXXXXX");
    int fd = mkstemp(scenario_tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    setenv("FAKE_NVML_SCENARIO", scenario_tmp, 1);
}

/* A context on the test root loading NVML from LIB (NULL: default names). */
static hr_ctx *nvml_ctx(const char *lib) {
    hr_ctx *ctx = NULL;
    assert_int_equal(hr_ctx_new(&ctx), HR_OK);
    assert_int_equal(hr_ctx_set_root(ctx, root_dir), HR_OK);
    assert_int_equal(hr_ctx_set_nvml_library(ctx, lib), HR_OK);
    t_ctx = ctx;
    return ctx;
}

static hr_probe *open_probe(hr_ctx *ctx) {
    hr_probe *p = NULL;
    assert_int_equal(hr_probe_open(ctx, &p), HR_OK);
    assert_non_null(p);
    t_probe = p;
    return p;
}

static const hr_source_report *nvml_source(const hr_probe *p) {
    for (size_t i = 0; i < p->nsources; i++)
        if (strcmp(p->sources[i].name, "nvml") == 0)
            return &p->sources[i];
    fail_msg("no nvml source report");
    return NULL;
}

static size_t nvml_count(const hr_probe *p) {
    size_t n = 0;
    for (size_t i = 0; i < p->ngpus; i++)
        n += strcmp(p->gpus[i].backend, "nvml") == 0;
    return n;
}

/* The Nth GPU that came from NVML. */
static const hr_gpu_info *nvml_gpu(const hr_probe *p, size_t n) {
    for (size_t i = 0; i < p->ngpus; i++)
        if (strcmp(p->gpus[i].backend, "nvml") == 0 && n-- == 0)
            return &p->gpus[i];
    fail_msg("no nvml gpu %zu", n);
    return NULL;
}

#define assert_unknown_err(r, w, e)                                                      \
    do {                                                                                 \
        assert_unknown(r, w);                                                            \
        assert_int_equal((r).err, (e));                                                  \
    } while (0)

static void assert_reasons_text(int64_t mask, const char *want) {
    char buf[256];
    hr_throttle_reasons_text((uint64_t)mask, buf, sizeof buf);
    assert_string_equal(buf, want);
}

/* Every dynamic reading of G is unknown for reason W with code E. */
static void assert_dynamic_unknown(const hr_gpu_info *g, hr_why w, int e) {
    const hr_reading r[] = {g->mem_used_bytes, g->mem_free_bytes, g->util_ppm, g->mem_util_ppm,
                            g->temp_mc, g->temp_margin_mc, g->temp_mem_mc, g->power_mw,
                            g->energy_mj, g->clock_sm_mhz, g->clock_mem_mhz, g->pstate,
                            g->fan_pct, g->throttle_reasons};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        if (r[i].why != (int32_t)w || r[i].err != e || r[i].v != 0)
            fail_msg("dynamic reading %zu: why=%s err=%d v=%lld", i, hr_why_text(r[i].why),
                     r[i].err, (long long)r[i].v);
    }
    for (int c = 0; c < HR_TCOUNT_COUNT; c++)
        assert_unknown_err(g->throttle_time_ns[c], w, e);
}

/* ---- a current datacenter driver ---------------------------------------- */

static void test_nvml_h100_static_values(void **state) {
    (void)state;
    use_scenario("h100");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_ANSWERED);
    assert_int_equal(src->why, HR_WHY_KNOWN);
    assert_string_equal(src->detail, "NVML driver 550.54.15: 1 GPU");
    assert_int_equal(nvml_count(p), 1);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_int_equal(g->vendor, HR_GPU_NVIDIA);
    assert_int_equal(g->unified_memory, 0);
    assert_int_equal(g->lost, 0);
    assert_string_equal(g->name, "NVIDIA H100 80GB HBM3");
    assert_string_equal(g->uuid, "GPU-5d1c2a4e-7f3b-4c8e-9a61-0b2f4e6d8c10");
    assert_string_equal(g->pci_bus, "0000:17:00.0");
    assert_string_equal(g->driver_version, "550.54.15");
    assert_known(g->mem_total_bytes, 85520809984LL);
    assert_known(g->temp_slowdown_mc, 89000);
    assert_known(g->temp_shutdown_mc, 92000);
    assert_known(g->temp_max_mc, 87000);
    assert_known(g->power_limit_mw, 700000);
    assert_known(g->clock_sm_max_mhz, 1980);
    assert_known(g->clock_mem_max_mhz, 2619);
    assert_known(g->throttle_supported, 0x1ff);
    assert_reasons_text(g->throttle_supported.v,
                        "gpu_idle,applications_clocks,sw_power_cap,hw_slowdown,sync_boost,"
                        "sw_thermal_slowdown,hw_thermal_slowdown,hw_power_brake_slowdown,"
                        "display_clock_setting");
    assert_unknown_err(g->temp_hotspot_mc, HR_WHY_NOT_SUPPORTED, 0);
}

static void test_nvml_h100_dynamic_values_and_refresh(void **state) {
    (void)state;
    use_scenario("h100");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_known(g->mem_used_bytes, 52613349376LL);
    assert_known(g->mem_free_bytes, 32907460608LL);
    assert_known(g->util_ppm, 970000);
    assert_known(g->mem_util_ppm, 600000);
    assert_known(g->temp_mc, 41000);
    assert_known(g->temp_margin_mc, 46000);
    assert_known(g->temp_mem_mc, 58000);
    assert_known(g->power_mw, 612345);
    assert_known(g->energy_mj, 912345678);
    assert_known(g->clock_sm_mhz, 1980);
    assert_known(g->clock_mem_mhz, 2619);
    assert_known(g->pstate, 0);
    assert_unknown_err(g->fan_pct, HR_WHY_NOT_SUPPORTED, 3);
    assert_known(g->throttle_reasons, 0x20);
    assert_reasons_text(g->throttle_reasons.v, "sw_thermal_slowdown");
    assert_known(g->throttle_time_ns[HR_TCOUNT_SW_POWER], 1234567890);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SYNC_BOOST], 0);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SW_THERMAL], 98765432100LL);
    assert_known(g->throttle_time_ns[HR_TCOUNT_HW_THERMAL], 1500000000);
    assert_known(g->throttle_time_ns[HR_TCOUNT_HW_POWER_BRAKE], 0);

    assert_int_equal(hr_probe_refresh(p), HR_OK);
    g = nvml_gpu(p, 0);
    assert_known(g->temp_mc, 44000);
    assert_known(g->temp_margin_mc, 43000);
    assert_known(g->power_mw, 655000);
    assert_known(g->energy_mj, 912999999);
    assert_known(g->util_ppm, 990000);
    assert_known(g->mem_util_ppm, 610000);
    assert_known(g->temp_mem_mc, 59000);
    assert_known(g->mem_total_bytes, 85520809984LL);
    /* The fan answered NOT_SUPPORTED once and was not asked again. */
    assert_int_equal(fake_new.count("nvmlDeviceGetFanSpeed"), 1);
    assert_unknown_err(g->fan_pct, HR_WHY_NOT_SUPPORTED, 3);
}

/* The newest entry points are used when exported, with the right version
 * words (the fake answers ARGUMENT_VERSION_MISMATCH otherwise, and the
 * values above would be unknown). */
static void test_nvml_h100_uses_newest_entry_points(void **state) {
    (void)state;
    use_scenario("h100");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_int_equal(fake_new.count("nvmlInit_v2"), 1);
    assert_int_equal(fake_new.count("nvmlInit"), 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetCount_v2"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetHandleByIndex_v2"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetHandleByIndex"), 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetPciInfo_v3"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetPciInfo"), 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetMemoryInfo_v2"), 3);
    assert_int_equal(fake_new.count("nvmlDeviceGetMemoryInfo"), 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetTemperatureV"), 2);
    assert_int_equal(fake_new.count("nvmlDeviceGetTemperature"), 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetCurrentClocksEventReasons"), 2);
    assert_int_equal(fake_new.count("nvmlDeviceGetCurrentClocksThrottleReasons"), 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetSupportedClocksEventReasons"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetFieldValues"), 2);
    assert_int_equal(fake_new.count("nvmlShutdown"), 0);
    close_probe();
    assert_int_equal(fake_new.count("nvmlShutdown"), 1);
}

/* ---- a consumer board: NOT_SUPPORTED is asked once ---------------------- */

static void test_nvml_consumer_not_supported_asked_once(void **state) {
    (void)state;
    use_scenario("rtx4090-consumer");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_string_equal(g->name, "NVIDIA GeForce RTX 4090");
    assert_string_equal(g->pci_bus, "0000:01:00.0");
    assert_unknown_err(g->temp_margin_mc, HR_WHY_NOT_SUPPORTED, 3);
    assert_unknown_err(g->temp_mem_mc, HR_WHY_NOT_SUPPORTED, 3);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SW_POWER], 7654321000LL);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SYNC_BOOST], 0);
    assert_unknown_err(g->throttle_time_ns[HR_TCOUNT_SW_THERMAL], HR_WHY_NOT_SUPPORTED, 3);
    assert_unknown_err(g->throttle_time_ns[HR_TCOUNT_HW_THERMAL], HR_WHY_NOT_SUPPORTED, 3);
    assert_unknown_err(g->throttle_time_ns[HR_TCOUNT_HW_POWER_BRAKE], HR_WHY_NOT_SUPPORTED, 3);
    assert_known(g->fan_pct, 65);
    assert_known(g->pstate, 2);
    assert_known(g->temp_mc, 72000);
    assert_known(g->temp_slowdown_mc, 97000);
    assert_known(g->power_mw, 420500);
    assert_known(g->energy_mj, 5123456);
    assert_known(g->throttle_reasons, 0x4);
    assert_reasons_text(g->throttle_reasons.v, "sw_power_cap");
    assert_int_equal(fake_new.count("nvmlDeviceGetMarginTemperature"), 1);

    for (int i = 0; i < 3; i++)
        assert_int_equal(hr_probe_refresh(p), HR_OK);
    g = nvml_gpu(p, 0);
    assert_int_equal(fake_new.count("nvmlDeviceGetMarginTemperature"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetFieldValues:251"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetFieldValues:82"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetFieldValues:74"), 4);
    assert_int_equal(fake_new.count("nvmlDeviceGetFanSpeed"), 4);
    assert_unknown_err(g->temp_margin_mc, HR_WHY_NOT_SUPPORTED, 3);
    assert_unknown_err(g->throttle_time_ns[HR_TCOUNT_SW_THERMAL], HR_WHY_NOT_SUPPORTED, 3);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SW_POWER], 7654321000LL);
    assert_known(g->fan_pct, 70);
    assert_known(g->energy_mj, 5987654);
}

/* ---- a GPU falls off the bus ---------------------------------------------- */

static void test_nvml_lost_midrun(void **state) {
    (void)state;
    use_scenario("lost-midrun");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(nvml_count(p), 2);
    const hr_gpu_info *g0 = nvml_gpu(p, 0);
    assert_int_equal(g0->lost, 0);
    assert_known(g0->temp_mc, 45000);
    assert_known(g0->power_mw, 98000);
    assert_string_equal(p->accel.torch_device, "cuda:0");

    assert_int_equal(hr_probe_refresh(p), HR_OK);
    g0 = nvml_gpu(p, 0);
    const hr_gpu_info *g1 = nvml_gpu(p, 1);
    assert_int_equal(g0->lost, 1);
    assert_dynamic_unknown(g0, HR_WHY_DEVICE_LOST, 15);
    /* What was learnt before the loss stays. */
    assert_string_equal(g0->name, "NVIDIA H100 80GB HBM3");
    assert_known(g0->mem_total_bytes, 85520809984LL);
    assert_non_null(strstr(hr_ctx_last_error(ctx), "GPU is lost (NVML 15) on 0000:17:00.0"));
    /* The other GPU keeps answering, and the core moves to it. */
    assert_int_equal(g1->lost, 0);
    assert_known(g1->temp_mc, 48000);
    assert_known(g1->energy_mj, 2100000);
    assert_string_equal(p->accel.torch_device, "cuda:1");
    assert_int_equal(p->accel.gpu_index, (int)(g1 - p->gpus));

    /* No further NVML call reaches the lost device; refresh keeps working. */
    long calls0 = fake_new.count("#0");
    for (int i = 0; i < 2; i++)
        assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_int_equal(fake_new.count("#0"), calls0);
    g0 = nvml_gpu(p, 0);
    g1 = nvml_gpu(p, 1);
    assert_int_equal(g0->lost, 1);
    assert_dynamic_unknown(g0, HR_WHY_DEVICE_LOST, 15);
    assert_known(g1->temp_mc, 49000);
}

/* A device already lost at discovery is listed (CUDA counts it), lost. */
static void test_nvml_lost_at_discovery(void **state) {
    (void)state;
    use_scenario_text("{\"driver\": \"550.54.15\", \"devices\": [{\"name\": \"X\", "
                      "\"pci\": \"00000000:17:00.0\", \"lost_after_calls\": 0}]}");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(nvml_count(p), 1);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_int_equal(g->lost, 1);
    assert_string_equal(g->name, "");
    assert_unknown_err(g->mem_total_bytes, HR_WHY_DEVICE_LOST, 15);
    assert_unknown_err(g->temp_slowdown_mc, HR_WHY_DEVICE_LOST, 15);
    assert_dynamic_unknown(g, HR_WHY_DEVICE_LOST, 15);
    assert_int_equal(fake_new.count("#0"), 0);
    assert_string_equal(p->accel.torch_device, "cpu");
}

/* ---- an old driver: every fallback --------------------------------------- */

static void test_nvml_old_driver_fallbacks(void **state) {
    (void)state;
    use_scenario("old-driver");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML_OLD);
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_ANSWERED);
    assert_non_null(strstr(src->detail, "NVML driver 470.57.02: 1 GPU"));
    assert_non_null(strstr(src->detail, "older NVML"));
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_string_equal(g->name, "NVIDIA A100-SXM4-40GB");
    assert_string_equal(g->pci_bus, "0000:b7:00.0");
    assert_known(g->mem_total_bytes, 42505273344LL);
    assert_known(g->mem_used_bytes, 4294967296LL);
    assert_known(g->mem_free_bytes, 38210306048LL);
    assert_known(g->temp_mc, 38000);
    assert_known(g->temp_max_mc, 85000);
    assert_unknown_err(g->temp_margin_mc, HR_WHY_SYMBOL_MISSING, 13);
    assert_known(g->throttle_reasons, 0x48);
    assert_reasons_text(g->throttle_reasons.v, "hw_slowdown,hw_thermal_slowdown");
    assert_known(g->throttle_supported, 0x1ff);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SW_POWER], 5000);
    assert_unknown_err(g->throttle_time_ns[HR_TCOUNT_SW_THERMAL], HR_WHY_NOT_SUPPORTED, 3);
    assert_known(g->temp_mem_mc, 35000);
    assert_int_equal(fake_old.count("nvmlInit"), 1);
    assert_int_equal(fake_old.count("nvmlDeviceGetCount"), 1);
    assert_int_equal(fake_old.count("nvmlDeviceGetHandleByIndex"), 1);
    assert_int_equal(fake_old.count("nvmlDeviceGetPciInfo"), 1);
    assert_int_equal(fake_old.count("nvmlDeviceGetMemoryInfo"), 2);
    assert_int_equal(fake_old.count("nvmlDeviceGetTemperature"), 1);
    assert_int_equal(fake_old.count("nvmlDeviceGetCurrentClocksThrottleReasons"), 1);
    assert_int_equal(fake_old.count("nvmlDeviceGetSupportedClocksThrottleReasons"), 1);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_known(nvml_gpu(p, 0)->temp_mc, 38000);
}

/* The old-driver scenario refuses a library that exports the new names
 * (so a test can never run it against the wrong variant); the backend
 * reports the unexpected init failure as a failed source. */
static void test_nvml_init_unknown_error(void **state) {
    (void)state;
    use_scenario("old-driver");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_FAILED);
    assert_int_equal(src->why, HR_WHY_DRIVER_ERROR);
    assert_string_equal(src->detail, "nvmlInit: Unknown Error (NVML 999)");
    assert_int_equal(nvml_count(p), 0);
}

/* A driver that refuses the versioned structs falls back to the v1 calls
 * once and for good; FUNCTION_NOT_FOUND is remembered like NOT_SUPPORTED. */
static void test_nvml_versioned_struct_refused(void **state) {
    (void)state;
    use_scenario_text(
        "{\"driver\": \"550.54.15\", \"devices\": [{\"name\": \"X\", \"pci\": "
        "\"00000000:17:00.0\", \"memory\": {\"total\": 100, \"used\": 40, \"free\": 60}, "
        "\"temperature\": 50, \"fan\": 50, \"errors\": {\"nvmlDeviceGetMemoryInfo_v2\": "
        "\"ARGUMENT_VERSION_MISMATCH\", \"nvmlDeviceGetTemperatureV\": \"NOT_SUPPORTED\", "
        "\"nvmlDeviceGetFanSpeed\": \"FUNCTION_NOT_FOUND\"}}]}");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_known(g->mem_total_bytes, 100);
    assert_known(g->mem_used_bytes, 40);
    assert_known(g->mem_free_bytes, 60);
    assert_known(g->temp_mc, 50000);
    assert_int_equal(fake_new.count("nvmlDeviceGetMemoryInfo_v2"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetMemoryInfo"), 3);
    assert_int_equal(fake_new.count("nvmlDeviceGetTemperatureV"), 1);
    assert_int_equal(fake_new.count("nvmlDeviceGetTemperature"), 2);
    /* An exported function that answers FUNCTION_NOT_FOUND is a missing
     * symbol, asked once. */
    assert_unknown_err(g->fan_pct, HR_WHY_SYMBOL_MISSING, 13);
    assert_int_equal(fake_new.count("nvmlDeviceGetFanSpeed"), 1);
    /* Everything the scenario leaves out is NOT_SUPPORTED, not zero. */
    assert_unknown_err(g->power_mw, HR_WHY_NOT_SUPPORTED, 3);
    assert_unknown_err(g->clock_sm_max_mhz, HR_WHY_NOT_SUPPORTED, 3);
    assert_unknown_err(g->util_ppm, HR_WHY_NOT_SUPPORTED, 3);
    assert_string_equal(g->uuid, "");
}

/* Values NVML cannot have meant are unreadable, not numbers. */
static void test_nvml_hostile_values(void **state) {
    (void)state;
    use_scenario_text("{\"driver\": \"550.54.15\", \"devices\": [{\"name\": \"X\", "
                      "\"memory\": {\"total\": \"0xffffffffffffffff\", \"used\": 1, "
                      "\"free\": \"0x8000000000000000\"}, \"pstate\": 32, "
                      "\"energy_mj\": \"0xffffffffffffffff\", \"margin\": -7}]}");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_unknown(g->mem_total_bytes, HR_WHY_UNREADABLE);
    assert_known(g->mem_used_bytes, 1);
    assert_unknown(g->mem_free_bytes, HR_WHY_UNREADABLE);
    assert_unknown(g->pstate, HR_WHY_UNREADABLE);
    assert_unknown(g->energy_mj, HR_WHY_UNREADABLE);
    assert_known(g->temp_margin_mc, -7000);
    assert_string_equal(g->pci_bus, "");
}

/* ---- no library, no driver, no GPUs -------------------------------------- */

static void test_nvml_missing_library(void **state) {
    (void)state;
    hr_ctx *ctx = nvml_ctx(HR_BUILD_DIR "/no-such-dir/libnvidia-ml.so.1");
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_ABSENT);
    assert_int_equal(src->why, HR_WHY_NO_LIBRARY);
    assert_non_null(strstr(src->detail, "libnvidia-ml.so.1: cannot open shared object file"));
    assert_int_equal(nvml_count(p), 0);
    assert_int_equal(p->accel.kind, HR_ACCEL_CPU);
}

static void test_nvml_init_fails_driver_not_loaded(void **state) {
    (void)state;
    use_scenario("init-fails");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_ABSENT);
    assert_int_equal(src->why, HR_WHY_ABSENT);
    assert_string_equal(src->detail, "nvmlInit: Driver Not Loaded (NVML 9)");
    assert_int_equal(nvml_count(p), 0);
    assert_int_equal(fake_new.count("nvmlInit_v2"), 1);
    close_probe();
    /* A failed init is not shut down. */
    assert_int_equal(fake_new.count("nvmlShutdown"), 0);
}

static void test_nvml_no_gpus(void **state) {
    (void)state;
    use_scenario_text("{\"driver\": \"550.54.15\", \"devices\": []}");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_ABSENT);
    assert_string_equal(src->detail, "NVML driver 550.54.15: no GPUs");
    assert_int_equal(nvml_count(p), 0);
    close_probe();
    assert_int_equal(fake_new.count("nvmlShutdown"), 1);
}

/* ---- permissions and unexpected errors ------------------------------------ */

static void test_nvml_no_permission(void **state) {
    (void)state;
    use_scenario("no-permission");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(nvml_count(p), 2);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_string_equal(g->name, "NVIDIA L40S");
    assert_unknown_err(g->power_limit_mw, HR_WHY_NO_PERMISSION, 4);
    assert_unknown_err(g->energy_mj, HR_WHY_NO_PERMISSION, 4);
    assert_unknown_err(g->util_ppm, HR_WHY_DRIVER_ERROR, 999);
    assert_unknown_err(g->mem_util_ppm, HR_WHY_DRIVER_ERROR, 999);
    assert_unknown_err(g->throttle_time_ns[HR_TCOUNT_SW_THERMAL], HR_WHY_NO_PERMISSION, 4);
    assert_known(g->throttle_time_ns[HR_TCOUNT_SW_POWER], 0);
    assert_unknown(g->pstate, HR_WHY_UNREADABLE);
    assert_known(g->power_mw, 35000);
    assert_known(g->temp_mc, 33000);
    /* Only NOT_SUPPORTED is remembered: the others are asked again. */
    assert_int_equal(hr_probe_refresh(p), HR_OK);
    assert_int_equal(fake_new.count("nvmlDeviceGetTotalEnergyConsumption"), 2);
    assert_int_equal(fake_new.count("nvmlDeviceGetUtilizationRates"), 2);
    assert_int_equal(fake_new.count("nvmlDeviceGetFieldValues:251"), 2);

    /* gpu1's handle is refused: it is listed, everything unknown, not lost. */
    const hr_gpu_info *b = nvml_gpu(p, 1);
    assert_int_equal(b->lost, 0);
    assert_string_equal(b->name, "");
    assert_unknown_err(b->mem_total_bytes, HR_WHY_NO_PERMISSION, 4);
    assert_unknown_err(b->temp_slowdown_mc, HR_WHY_NO_PERMISSION, 4);
    assert_dynamic_unknown(b, HR_WHY_NO_PERMISSION, 4);
    assert_int_equal(fake_new.count("#1"), 0);
    assert_string_equal(p->accel.torch_device, "cuda:0");
}

/* ---- the core's accelerator choice ---------------------------------------- */

static void test_nvml_two_gpus_accel_picks_most_free(void **state) {
    (void)state;
    use_scenario("two-gpus");
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_string_equal(nvml_source(p)->detail, "NVML driver 550.54.15: 2 GPUs");
    assert_int_equal(nvml_count(p), 2);
    assert_string_equal(nvml_gpu(p, 0)->pci_bus, "0000:41:00.0");
    assert_string_equal(nvml_gpu(p, 1)->pci_bus, "0000:61:00.0");
    assert_int_equal(p->accel.kind, HR_ACCEL_CUDA);
    assert_string_equal(p->accel.torch_device, "cuda:1");
    assert_int_equal(p->accel.gpu_index, (int)(nvml_gpu(p, 1) - p->gpus));
    assert_known(p->accel.budget_bytes, 41863348224LL);
    assert_known(p->accel.ceiling_bytes, 51527024640LL);
    assert_known(nvml_gpu(p, 0)->fan_pct, 85);
    assert_known(nvml_gpu(p, 1)->pstate, 8);
}

/* ---- symbols and library names (through the sys seam) ---------------------- */

static const char *hidden_symbol;

static void *dlsym_hiding(void *handle, const char *name) {
    return strcmp(name, hidden_symbol) == 0 ? NULL : dlsym(handle, name);
}

static void test_nvml_missing_required_symbol(void **state) {
    (void)state;
    use_scenario("h100");
    hidden_symbol = "nvmlDeviceGetName";
    hr__sys.dlsym = dlsym_hiding;
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_FAILED);
    assert_int_equal(src->why, HR_WHY_SYMBOL_MISSING);
    assert_string_equal(src->detail, "NVML library too old: no nvmlDeviceGetName");
    assert_int_equal(nvml_count(p), 0);
}

static void test_nvml_missing_optional_symbol(void **state) {
    (void)state;
    use_scenario("rtx4090-consumer");
    hidden_symbol = "nvmlDeviceGetFanSpeed";
    hr__sys.dlsym = dlsym_hiding;
    hr_ctx *ctx = nvml_ctx(FAKE_NVML);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(nvml_source(p)->state, HR_SOURCE_ANSWERED);
    const hr_gpu_info *g = nvml_gpu(p, 0);
    assert_unknown_err(g->fan_pct, HR_WHY_SYMBOL_MISSING, 13);
    assert_known(g->temp_mc, 72000);
}

static char opened[4][64];
static int nopened;

/* Pretends the soname is not installed but the unversioned name is. */
static void *dlopen_unversioned_only(const char *file, int mode) {
    if (nopened < 4)
        snprintf(opened[nopened++], sizeof opened[0], "%s", file ? file : "(null)");
    if (file && strcmp(file, "libnvidia-ml.so") == 0)
        return dlopen(FAKE_NVML, mode);
    return NULL;
}

static void *dlopen_nothing(const char *file, int mode) {
    (void)mode;
    if (nopened < 4)
        snprintf(opened[nopened++], sizeof opened[0], "%s", file ? file : "(null)");
    return NULL;
}

static void test_nvml_soname_first_unversioned_fallback(void **state) {
    (void)state;
    use_scenario("h100");
    nopened = 0;
    hr__sys.dlopen = dlopen_unversioned_only;
    hr_ctx *ctx = nvml_ctx(NULL);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(nopened, 2);
    assert_string_equal(opened[0], "libnvidia-ml.so.1");
    assert_string_equal(opened[1], "libnvidia-ml.so");
    assert_int_equal(nvml_count(p), 1);
}

static void test_nvml_no_library_by_default_names(void **state) {
    (void)state;
    nopened = 0;
    hr__sys.dlopen = dlopen_nothing;
    (void)dlerror(); /* no stale message from an earlier failure */
    hr_ctx *ctx = nvml_ctx(NULL);
    hr_probe *p = open_probe(ctx);
    assert_int_equal(nopened, 2);
    const hr_source_report *src = nvml_source(p);
    assert_int_equal(src->state, HR_SOURCE_ABSENT);
    assert_int_equal(src->why, HR_WHY_NO_LIBRARY);
    assert_string_equal(src->detail, "libnvidia-ml.so.1: cannot open shared object file");
    assert_int_equal(nvml_count(p), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_nvml_h100_static_values, test_teardown),
        cmocka_unit_test_teardown(test_nvml_h100_dynamic_values_and_refresh, test_teardown),
        cmocka_unit_test_teardown(test_nvml_h100_uses_newest_entry_points, test_teardown),
        cmocka_unit_test_teardown(test_nvml_consumer_not_supported_asked_once, test_teardown),
        cmocka_unit_test_teardown(test_nvml_lost_midrun, test_teardown),
        cmocka_unit_test_teardown(test_nvml_lost_at_discovery, test_teardown),
        cmocka_unit_test_teardown(test_nvml_old_driver_fallbacks, test_teardown),
        cmocka_unit_test_teardown(test_nvml_init_unknown_error, test_teardown),
        cmocka_unit_test_teardown(test_nvml_versioned_struct_refused, test_teardown),
        cmocka_unit_test_teardown(test_nvml_hostile_values, test_teardown),
        cmocka_unit_test_teardown(test_nvml_missing_library, test_teardown),
        cmocka_unit_test_teardown(test_nvml_init_fails_driver_not_loaded, test_teardown),
        cmocka_unit_test_teardown(test_nvml_no_gpus, test_teardown),
        cmocka_unit_test_teardown(test_nvml_no_permission, test_teardown),
        cmocka_unit_test_teardown(test_nvml_two_gpus_accel_picks_most_free, test_teardown),
        cmocka_unit_test_teardown(test_nvml_missing_required_symbol, test_teardown),
        cmocka_unit_test_teardown(test_nvml_missing_optional_symbol, test_teardown),
        cmocka_unit_test_teardown(test_nvml_soname_first_unversioned_fallback, test_teardown),
        cmocka_unit_test_teardown(test_nvml_no_library_by_default_names, test_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_derive.c: the core's derived values combine only known readings and
 * pick the right source. */
#include "harness/hr_test.h"

#include "core/derive.h"

static hr_probe *new_probe(void) {
    hr_probe *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->size = sizeof *p;
    return p;
}

static void free_probe(hr_probe *p) {
    free(p->sensors);
    free(p->zones);
    free(p->gpus);
    free(p);
}

static hr_sensor temp_sensor(const char *chip, const char *label, int64_t mc, int64_t crit) {
    hr_sensor s;
    memset(&s, 0, sizeof s);
    snprintf(s.chip, sizeof s.chip, "%s", chip);
    snprintf(s.label, sizeof s.label, "%s", label);
    s.kind = HR_SENSOR_TEMP;
    s.value = (hr_reading){mc, HR_WHY_KNOWN, 0};
    s.crit = crit ? (hr_reading){crit, HR_WHY_KNOWN, 0} : (hr_reading){0, HR_WHY_ABSENT, 2};
    s.max = (hr_reading){0, HR_WHY_ABSENT, 2};
    return s;
}

static void test_derive_cpu_temp_prefers_package_over_acpi(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    p->nsensors = 3;
    p->sensors = calloc(3, sizeof *p->sensors);
    p->sensors[0] = temp_sensor("acpitz", "temp1", 40000, 0);
    p->sensors[1] = temp_sensor("coretemp", "Core 0", 55000, 100000);
    p->sensors[2] = temp_sensor("coretemp", "Package id 0", 61000, 100000);
    hr__derive_cpu_temp(p);
    assert_known(p->cpu.temp_mc, 61000);
    assert_known(p->cpu.temp_crit_mc, 100000);
    assert_string_equal(p->cpu.temp_source, "hwmon coretemp Package id 0");
    free_probe(p);
}

static void test_derive_cpu_temp_prefers_tdie_over_tctl(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    p->nsensors = 2;
    p->sensors = calloc(2, sizeof *p->sensors);
    p->sensors[0] = temp_sensor("k10temp", "Tctl", 75000, 0);
    p->sensors[1] = temp_sensor("k10temp", "Tdie", 65000, 0);
    hr__derive_cpu_temp(p);
    assert_known(p->cpu.temp_mc, 65000);
    free_probe(p);
}

static void test_derive_cpu_temp_skips_unknown_sensor(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    p->nsensors = 1;
    p->sensors = calloc(1, sizeof *p->sensors);
    p->sensors[0] = temp_sensor("coretemp", "Package id 0", 0, 0);
    p->sensors[0].value = (hr_reading){0, HR_WHY_UNREADABLE, 0};
    p->nzones = 1;
    p->zones = calloc(1, sizeof *p->zones);
    snprintf(p->zones[0].name, sizeof p->zones[0].name, "thermal_zone1");
    snprintf(p->zones[0].type, sizeof p->zones[0].type, "x86_pkg_temp");
    p->zones[0].temp_mc = (hr_reading){58000, HR_WHY_KNOWN, 0};
    p->zones[0].ntrips = 1;
    snprintf(p->zones[0].trips[0].type, sizeof p->zones[0].trips[0].type, "critical");
    p->zones[0].trips[0].temp_mc = (hr_reading){105000, HR_WHY_KNOWN, 0};
    hr__derive_cpu_temp(p);
    assert_known(p->cpu.temp_mc, 58000);
    assert_known(p->cpu.temp_crit_mc, 105000);
    assert_string_equal(p->cpu.temp_source, "thermal thermal_zone1 (x86_pkg_temp)");
    free_probe(p);
}

static void test_derive_cpu_temp_none_is_unknown_not_zero(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    hr__derive_cpu_temp(p);
    assert_unknown(p->cpu.temp_mc, HR_WHY_ABSENT);
    assert_string_equal(p->cpu.temp_source, "");
    /* A reason the OS layer chose is kept. */
    p->cpu.temp_mc = (hr_reading){0, HR_WHY_NOT_SUPPORTED, 0};
    hr__derive_cpu_temp(p);
    assert_unknown(p->cpu.temp_mc, HR_WHY_NOT_SUPPORTED);
    free_probe(p);
}

static void test_derive_budget_capped_by_cgroup(void **state) {
    (void)state;
    hr_mem_info m;
    memset(&m, 0, sizeof m);
    m.available_bytes = (hr_reading){60LL << 30, HR_WHY_KNOWN, 0};
    m.cgroup_limit_bytes = (hr_reading){8LL << 30, HR_WHY_KNOWN, 0};
    m.cgroup_usage_bytes = (hr_reading){3LL << 30, HR_WHY_KNOWN, 0};
    hr__derive_mem_budget(&m);
    assert_known(m.budget_bytes, 5LL << 30);
    /* Over the limit (usage > limit transiently): no room, not negative. */
    m.cgroup_usage_bytes.v = 9LL << 30;
    hr__derive_mem_budget(&m);
    assert_known(m.budget_bytes, 0);
    /* No limit: available RAM. */
    m.cgroup_limit_bytes = (hr_reading){0, HR_WHY_UNLIMITED, 0};
    hr__derive_mem_budget(&m);
    assert_known(m.budget_bytes, 60LL << 30);
    /* Unknown available: unknown budget with the same reason. */
    m.available_bytes = (hr_reading){0, HR_WHY_UNREADABLE, 0};
    hr__derive_mem_budget(&m);
    assert_unknown(m.budget_bytes, HR_WHY_UNREADABLE);
}

static void test_derive_pressure_thresholds(void **state) {
    (void)state;
    static const struct {
        int64_t some, full;
        int level;
    } cases[] = {
        {99999, 0, HR_PRESSURE_NORMAL},   {100000, 0, HR_PRESSURE_WARN},
        {399999, 0, HR_PRESSURE_WARN},    {400000, 0, HR_PRESSURE_CRITICAL},
        {100000, 49999, HR_PRESSURE_WARN}, {100000, 50000, HR_PRESSURE_CRITICAL},
        {0, 0, HR_PRESSURE_NORMAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hr_mem_info m;
        memset(&m, 0, sizeof m);
        m.psi_memory.some_avg10_ppm = (hr_reading){cases[i].some, HR_WHY_KNOWN, 0};
        m.psi_memory.full_avg10_ppm = (hr_reading){cases[i].full, HR_WHY_KNOWN, 0};
        hr__derive_pressure(&m);
        assert_known(m.pressure_level, cases[i].level);
    }
    hr_mem_info m;
    memset(&m, 0, sizeof m);
    m.psi_memory.some_avg10_ppm = (hr_reading){0, HR_WHY_ABSENT, 2};
    hr__derive_pressure(&m);
    assert_unknown(m.pressure_level, HR_WHY_ABSENT);
    /* A level the OS layer set (macOS) is kept. */
    m.pressure_level = (hr_reading){HR_PRESSURE_CRITICAL, HR_WHY_KNOWN, 0};
    hr__derive_pressure(&m);
    assert_known(m.pressure_level, HR_PRESSURE_CRITICAL);
}

static hr_gpu_info gpu(int vendor, int64_t total, int64_t free_b, int unified) {
    hr_gpu_info g;
    memset(&g, 0, sizeof g);
    g.vendor = vendor;
    g.unified_memory = unified;
    snprintf(g.name, sizeof g.name, "gpu-%d", vendor);
    g.mem_total_bytes = (hr_reading){total, HR_WHY_KNOWN, 0};
    g.mem_free_bytes = (hr_reading){free_b, HR_WHY_KNOWN, 0};
    g.mem_used_bytes = (hr_reading){total - free_b, HR_WHY_KNOWN, 0};
    return g;
}

static void test_derive_accel_cuda_most_free(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    p->ngpus = 3;
    p->gpus = calloc(3, sizeof *p->gpus);
    p->gpus[0] = gpu(HR_GPU_NVIDIA, 24LL << 30, 2LL << 30, 0);
    p->gpus[1] = gpu(HR_GPU_AMD, 16LL << 30, 15LL << 30, 0);
    p->gpus[2] = gpu(HR_GPU_NVIDIA, 24LL << 30, 20LL << 30, 0);
    hr__derive_accel(p);
    assert_int_equal(p->accel.kind, HR_ACCEL_CUDA);
    assert_int_equal(p->accel.gpu_index, 2);
    /* The second NVIDIA GPU is cuda:1 (AMD cards do not count). */
    assert_string_equal(p->accel.torch_device, "cuda:1");
    assert_known(p->accel.budget_bytes, 20LL << 30);
    assert_known(p->accel.ceiling_bytes, 24LL << 30);
    /* A lost GPU is never chosen. */
    p->gpus[2].lost = 1;
    hr__derive_accel(p);
    assert_int_equal(p->accel.gpu_index, 0);
    free_probe(p);
}

static void test_derive_accel_mps_unified_budget(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    p->ngpus = 1;
    p->gpus = calloc(1, sizeof *p->gpus);
    /* 16 GB M3: working set ceiling ~10.7 GiB, GPU holds 1 GiB, 9 GiB of RAM available. */
    p->gpus[0] = gpu(HR_GPU_APPLE, 11LL << 30, 10LL << 30, 1);
    p->mem.available_bytes = (hr_reading){9LL << 30, HR_WHY_KNOWN, 0};
    p->mem.pressure_level = (hr_reading){HR_PRESSURE_NORMAL, HR_WHY_KNOWN, 0};
    hr__derive_accel(p);
    assert_int_equal(p->accel.kind, HR_ACCEL_MPS);
    assert_string_equal(p->accel.torch_device, "mps");
    assert_int_equal(p->accel.unified_memory, 1);
    assert_known(p->accel.budget_bytes, 9LL << 30);
    p->mem.available_bytes.v = 12LL << 30;
    hr__derive_accel(p);
    assert_known(p->accel.budget_bytes, 10LL << 30);
    p->mem.pressure_level.v = HR_PRESSURE_WARN;
    hr__derive_accel(p);
    assert_known(p->accel.budget_bytes, (10LL << 30) / 4 * 3);
    p->mem.pressure_level.v = HR_PRESSURE_CRITICAL;
    hr__derive_accel(p);
    assert_known(p->accel.budget_bytes, 5LL << 30);
    free_probe(p);
}

static void test_derive_accel_cpu_uses_cgroup(void **state) {
    (void)state;
    hr_probe *p = new_probe();
    p->mem.total_bytes = (hr_reading){64LL << 30, HR_WHY_KNOWN, 0};
    p->mem.budget_bytes = (hr_reading){5LL << 30, HR_WHY_KNOWN, 0};
    p->mem.cgroup_limit_bytes = (hr_reading){8LL << 30, HR_WHY_KNOWN, 0};
    hr__derive_accel(p);
    assert_int_equal(p->accel.kind, HR_ACCEL_CPU);
    assert_int_equal(p->accel.gpu_index, -1);
    assert_string_equal(p->accel.torch_device, "cpu");
    assert_known(p->accel.budget_bytes, 5LL << 30);
    assert_known(p->accel.ceiling_bytes, 8LL << 30);
    assert_string_equal(p->accel.budget_source, "available RAM within the cgroup limit");
    free_probe(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive_cpu_temp_prefers_package_over_acpi),
        cmocka_unit_test(test_derive_cpu_temp_prefers_tdie_over_tctl),
        cmocka_unit_test(test_derive_cpu_temp_skips_unknown_sensor),
        cmocka_unit_test(test_derive_cpu_temp_none_is_unknown_not_zero),
        cmocka_unit_test(test_derive_budget_capped_by_cgroup),
        cmocka_unit_test(test_derive_pressure_thresholds),
        cmocka_unit_test(test_derive_accel_cuda_most_free),
        cmocka_unit_test(test_derive_accel_mps_unified_budget),
        cmocka_unit_test(test_derive_accel_cpu_uses_cgroup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

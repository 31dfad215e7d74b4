/* test_nvml_live.c: the NVML backend against the real libnvidia-ml.so.1 of
 * this machine. Invariants only (libuv's test-get-memory style): counts,
 * ranges and orderings that hold on any NVIDIA GPU. Exits 77 (skipped) when
 * the library, the driver or a GPU is missing, so ordinary CI stays green
 * and a GPU runner checks the same backend the fake-driven tests cover. */
#include "harness/hr_test.h"

#include <dlfcn.h>

static hr_ctx *live_ctx;
static hr_probe *live;
static hr_gpu_info *snapshot; /* freed in main, even when a test stops early */

static const hr_source_report *nvml_source(const hr_probe *p) {
    for (size_t i = 0; i < p->nsources; i++)
        if (strcmp(p->sources[i].name, "nvml") == 0)
            return &p->sources[i];
    return NULL;
}

static int is_nvml(const hr_gpu_info *g) { return strcmp(g->backend, "nvml") == 0; }

/* nvmlDeviceGetCount_v2 also counts GPUs this process may not open (another
 * container's); those are listed with every reading unknown and no name. */
static int accessible(const hr_gpu_info *g) { return is_nvml(g) && g->name[0] != '\0'; }

/* A reading is either known, or unknown with a valid reason and value 0. */
static void assert_well_formed(hr_reading r, const char *what) {
    if (r.why == HR_WHY_KNOWN)
        return;
    if (r.why < 0 || r.why >= HR_WHY_LAST || r.v != 0)
        fail_msg("%s: malformed unknown reading why=%d v=%lld", what, r.why, (long long)r.v);
}

#define assert_reading_in(r, lo, hi)                                                       \
    do {                                                                                 \
        assert_well_formed((r), #r);                                                     \
        if (HR_IS_KNOWN(r) && ((r).v < (lo) || (r).v > (hi)))                           \
            fail_msg("%s = %lld outside [%lld, %lld]", #r, (long long)(r).v,             \
                     (long long)(lo), (long long)(hi));                                  \
    } while (0)

static void print_gpu(const hr_gpu_info *g) {
    char reasons[256] = "";
    if (HR_IS_KNOWN(g->throttle_reasons))
        hr_throttle_reasons_text((uint64_t)g->throttle_reasons.v, reasons, sizeof reasons);
    printf("# gpu%d %s [%s] %s driver %s: temp %lld mC (%s), power %lld mW (%s), "
           "free %lld B, reasons 0x%llx %s\n",
           g->index, g->name, g->pci_bus, g->uuid, g->driver_version, (long long)g->temp_mc.v,
           hr_why_text(g->temp_mc.why), (long long)g->power_mw.v, hr_why_text(g->power_mw.why),
           (long long)g->mem_free_bytes.v, (unsigned long long)g->throttle_reasons.v, reasons);
}

static void test_nvml_live_inventory(void **state) {
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < live->ngpus; i++) {
        const hr_gpu_info *g = &live->gpus[i];
        if (!is_nvml(g))
            continue;
        print_gpu(g);
        assert_int_equal(g->vendor, HR_GPU_NVIDIA);
        assert_int_equal(g->lost, 0);
        if (!accessible(g)) {
            assert_false(HR_IS_KNOWN(g->mem_total_bytes));
            assert_well_formed(g->mem_total_bytes, "mem_total_bytes");
            continue;
        }
        n++;
        assert_true(strncmp(g->uuid, "GPU-", 4) == 0 || strncmp(g->uuid, "MIG-", 4) == 0);
        unsigned int dom, bus, dev, fn;
        assert_int_equal(sscanf(g->pci_bus, "%x:%x:%x.%x", &dom, &bus, &dev, &fn), 4);
        assert_true(g->driver_version[0] != '\0');
    }
    assert_true(n > 0);
}

static void test_nvml_live_memory(void **state) {
    (void)state;
    for (size_t i = 0; i < live->ngpus; i++) {
        const hr_gpu_info *g = &live->gpus[i];
        if (!accessible(g))
            continue;
        assert_true(HR_IS_KNOWN(g->mem_total_bytes) && g->mem_total_bytes.v > 0);
        assert_reading_in(g->mem_used_bytes, 0, g->mem_total_bytes.v);
        assert_reading_in(g->mem_free_bytes, 0, g->mem_total_bytes.v);
    }
}

static void test_nvml_live_thermal_and_power(void **state) {
    (void)state;
    for (size_t i = 0; i < live->ngpus; i++) {
        const hr_gpu_info *g = &live->gpus[i];
        if (!is_nvml(g))
            continue;
        assert_reading_in(g->temp_mc, 0, 120000);
        assert_reading_in(g->temp_mem_mc, 0, 120000);
        assert_reading_in(g->temp_slowdown_mc, 30000, 150000);
        assert_reading_in(g->temp_shutdown_mc, 30000, 150000);
        assert_reading_in(g->temp_max_mc, 30000, 150000);
        assert_reading_in(g->temp_margin_mc, -50000, 150000);
        if (HR_IS_KNOWN(g->temp_slowdown_mc) && HR_IS_KNOWN(g->temp_shutdown_mc))
            assert_true(g->temp_shutdown_mc.v >= g->temp_slowdown_mc.v);
        assert_reading_in(g->power_limit_mw, 1, 5000000);
        if (HR_IS_KNOWN(g->power_limit_mw))
            assert_reading_in(g->power_mw, 0, g->power_limit_mw.v * 12 / 10);
        assert_reading_in(g->energy_mj, 0, INT64_MAX);
        assert_reading_in(g->util_ppm, 0, 1000000);
        assert_reading_in(g->mem_util_ppm, 0, 1000000);
        /* NVML: the fan percentage may exceed 100 in some cases. */
        assert_reading_in(g->fan_pct, 0, 200);
        assert_reading_in(g->pstate, 0, 15);
        assert_reading_in(g->clock_sm_max_mhz, 1, 10000);
        if (HR_IS_KNOWN(g->clock_sm_max_mhz))
            assert_reading_in(g->clock_sm_mhz, 0, g->clock_sm_max_mhz.v * 12 / 10);
        for (int c = 0; c < HR_TCOUNT_COUNT; c++)
            assert_reading_in(g->throttle_time_ns[c], 0, INT64_MAX);
    }
}

static void test_nvml_live_reasons_decode(void **state) {
    (void)state;
    for (size_t i = 0; i < live->ngpus; i++) {
        const hr_gpu_info *g = &live->gpus[i];
        if (!is_nvml(g))
            continue;
        const hr_reading masks[] = {g->throttle_reasons, g->throttle_supported};
        for (size_t k = 0; k < 2; k++) {
            assert_well_formed(masks[k], "throttle mask");
            if (!HR_IS_KNOWN(masks[k]))
                continue;
            char buf[512];
            uint64_t m = (uint64_t)masks[k].v;
            int n = hr_throttle_reasons_text(m, buf, sizeof buf);
            assert_int_equal(n == 0, m == 0);
            assert_int_equal(buf[0] == '\0', m == 0);
        }
    }
}

/* Counters never go backwards between refreshes; nothing is lost. */
static void test_nvml_live_refresh_monotonic(void **state) {
    (void)state;
    size_t n = live->ngpus;
    hr_gpu_info *before = snapshot = calloc(n ? n : 1, sizeof *before);
    assert_non_null(before);
    memcpy(before, live->gpus, n * sizeof *before);
    assert_int_equal(hr_probe_refresh(live), HR_OK);
    assert_int_equal(hr_probe_refresh(live), HR_OK);
    assert_int_equal(live->ngpus, n);
    for (size_t i = 0; i < n; i++) {
        const hr_gpu_info *a = &before[i], *b = &live->gpus[i];
        if (!is_nvml(b))
            continue;
        assert_int_equal(b->lost, 0);
        if (HR_IS_KNOWN(a->energy_mj) && HR_IS_KNOWN(b->energy_mj))
            assert_true(b->energy_mj.v >= a->energy_mj.v);
        for (int c = 0; c < HR_TCOUNT_COUNT; c++)
            if (HR_IS_KNOWN(a->throttle_time_ns[c]) && HR_IS_KNOWN(b->throttle_time_ns[c]))
                assert_true(b->throttle_time_ns[c].v >= a->throttle_time_ns[c].v);
        assert_int_equal(a->temp_mc.why, b->temp_mc.why);
    }
}

/* Skips (77) unless this machine has NVML, a loaded driver and a GPU. */
static int live_open(void) {
    void *lib = dlopen("libnvidia-ml.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        printf("# skip: libnvidia-ml.so.1 not found\n");
        return 77;
    }
    dlclose(lib);
    if (hr_ctx_new(&live_ctx) != HR_OK || hr_ctx_set_root(live_ctx, "/") != HR_OK ||
        hr_ctx_set_nvml_library(live_ctx, NULL) != HR_OK || hr_probe_open(live_ctx, &live) != HR_OK)
        return 1;
    const hr_source_report *src = nvml_source(live);
    if (!src || src->state != HR_SOURCE_ANSWERED) {
        printf("# skip: NVML present but unusable: %s\n", src ? src->detail : "no report");
        return 77;
    }
    printf("# %s\n", src->detail);
    return 0;
}

int main(void) {
    int rc = live_open();
    if (rc == 0) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_nvml_live_inventory),
            cmocka_unit_test(test_nvml_live_memory),
            cmocka_unit_test(test_nvml_live_thermal_and_power),
            cmocka_unit_test(test_nvml_live_reasons_decode),
            cmocka_unit_test(test_nvml_live_refresh_monotonic),
        };
        rc = cmocka_run_group_tests(tests, NULL, NULL);
    }
    free(snapshot);
    hr_probe_free(live);
    hr_ctx_free(live_ctx);
    return rc;
}

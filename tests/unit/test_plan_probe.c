/* test_plan_probe.c: the device description built from a probe: the
 * accelerator's budget (not system RAM on a discrete GPU), the GPUs a split
 * can use, bf16 from the GPU or macOS version, and unknown readings kept
 * unknown. Probes are filled by hand, as the OS layers would. */
#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

#define GIB (1024LL * 1024 * 1024)

static hr_reading known(int64_t v) { return (hr_reading){v, HR_WHY_KNOWN, 0}; }

static void probe_init(hr_probe *p, hr_gpu_info *gpus, size_t n) {
    memset(p, 0, sizeof *p);
    p->size = sizeof *p;
    p->gpus = gpus;
    p->ngpus = n;
    p->mem.total_bytes = known(64 * GIB);
    p->mem.budget_bytes = known(48 * GIB);
    p->mem.pressure_level = known(HR_PRESSURE_NORMAL);
}

static void test_plan_probe_cuda_two_gpus(void **state) {
    (void)state;
    hr_gpu_info g[3];
    memset(g, 0, sizeof g);
    for (int i = 0; i < 3; i++) {
        g[i].index = i;
        g[i].vendor = i < 2 ? HR_GPU_NVIDIA : HR_GPU_AMD;
        strcpy(g[i].name, i < 2 ? "NVIDIA H100 80GB HBM3" : "AMD Radeon RX 7900 XTX");
        g[i].mem_total_bytes = known(80 * GIB);
        g[i].mem_free_bytes = known((70 + i) * GIB);
    }
    g[1].mem_free_bytes = (hr_reading){0, HR_WHY_NO_PERMISSION, 0};
    hr_probe p;
    probe_init(&p, g, 3);
    p.accel.kind = HR_ACCEL_CUDA;
    p.accel.gpu_index = 0;
    strcpy(p.accel.torch_device, "cuda:0");
    p.accel.budget_bytes = g[0].mem_free_bytes;
    p.accel.ceiling_bytes = g[0].mem_total_bytes;
    strcpy(p.accel.budget_source, "free VRAM of gpu0");
    hr_plan_device d;
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_int_equal(d.kind, HR_ACCEL_CUDA);
    assert_known(d.budget_bytes, 70 * GIB); /* VRAM, not the 48 GiB of RAM */
    assert_known(d.host_available_bytes, 48 * GIB);
    assert_int_equal(d.ngpus, 2); /* the AMD card is not part of a CUDA split */
    assert_unknown(d.gpu_budget_bytes[1], HR_WHY_NO_PERMISSION);
    assert_int_equal(d.bf16, HR_PLAN_YES);
    assert_non_null(strstr(d.bf16_reason, "H100"));
    assert_string_equal(d.budget_source, "free VRAM of gpu0");
    strcpy(g[0].name, "Tesla V100-SXM2-16GB");
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_int_equal(d.bf16, HR_PLAN_NO);
    strcpy(g[0].name, "Some Future GPU");
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_int_equal(d.bf16, HR_PLAN_UNKNOWN);
}

static void test_plan_probe_mps(void **state) {
    (void)state;
    hr_gpu_info g;
    memset(&g, 0, sizeof g);
    g.vendor = HR_GPU_APPLE;
    g.unified_memory = 1;
    strcpy(g.name, "Apple M3");
    g.mem_total_bytes = known(hr_plan_apple_working_set_bytes(16 * GIB));
    hr_probe p;
    probe_init(&p, &g, 1);
    p.mem.total_bytes = known(16 * GIB);
    strcpy(p.host.os_release, "14.5");
    p.accel.kind = HR_ACCEL_MPS;
    p.accel.unified_memory = 1;
    strcpy(p.accel.torch_device, "mps");
    p.accel.budget_bytes = known(9 * GIB);
    hr_plan_device d;
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_int_equal(d.kind, HR_ACCEL_MPS);
    assert_int_equal(d.unified_memory, 1);
    assert_known(d.total_bytes, 16 * GIB); /* RAM for the 64 GB attention-slicing rule */
    assert_known(d.budget_bytes, 9 * GIB);
    assert_int_equal(d.ngpus, 0);
    assert_int_equal(d.bf16, HR_PLAN_YES);
    strcpy(p.host.os_release, "13.6");
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_int_equal(d.bf16, HR_PLAN_NO);
    p.host.os_release[0] = '\0';
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_int_equal(d.bf16, HR_PLAN_UNKNOWN);
    /* The rule shared with the macOS layer: 2/3 up to 32 GiB, 3/4 above. */
    assert_int_equal(hr_plan_apple_working_set_bytes(16 * GIB), 16 * GIB / 3 * 2 + 16 * GIB % 3 * 2 / 3);
    assert_int_equal(hr_plan_apple_working_set_bytes(64 * GIB), 48 * GIB);
    assert_int_equal(hr_plan_apple_working_set_bytes(0), 0);
}

static void test_plan_probe_cpu_unknown_stays_unknown(void **state) {
    (void)state;
    hr_probe p;
    probe_init(&p, NULL, 0);
    p.mem.budget_bytes = (hr_reading){0, HR_WHY_UNREADABLE, 0};
    p.accel.kind = HR_ACCEL_CPU;
    p.accel.gpu_index = -1;
    strcpy(p.accel.torch_device, "cpu");
    p.accel.budget_bytes = p.mem.budget_bytes;
    hr_plan_device d;
    assert_int_equal(hr_plan_device_from_probe(&p, &d), HR_OK);
    assert_unknown(d.budget_bytes, HR_WHY_UNREADABLE);
    assert_unknown(d.host_available_bytes, HR_WHY_UNREADABLE);
    assert_int_equal(d.bf16, HR_PLAN_YES);
    assert_int_equal(hr_plan_device_from_probe(NULL, &d), HR_EINVAL);
}

static void test_plan_assume_validates(void **state) {
    (void)state;
    hr_plan_device d;
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 16 * GIB, 20 * GIB, 1, &d, &e), HR_EINVAL);
    assert_string_equal(e.what, "--assume-free");
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_MPS, 16 * GIB, -1, 2, &d, &e), HR_EINVAL);
    assert_string_equal(e.what, "--assume-gpus");
    assert_int_equal(hr_plan_device_assume(7, 16 * GIB, -1, 1, &d, &e), HR_EINVAL);
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 0, -1, 1, &d, &e), HR_EINVAL);
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_MPS, 16 * GIB, 8 * GIB, 0, &d, &e), HR_OK);
    assert_known(d.budget_bytes, 8 * GIB); /* free memory below the working set */
    assert_known(d.ceiling_bytes, hr_plan_apple_working_set_bytes(16 * GIB));
    assert_int_equal(d.assumed, 1);
    assert_int_equal(hr_plan_device_assume(HR_ACCEL_CUDA, 24 * GIB, 20 * GIB, 4, &d, &e), HR_OK);
    assert_int_equal(d.ngpus, 4);
    assert_known(d.gpu_budget_bytes[3], 20 * GIB);
    assert_unknown(d.host_available_bytes, HR_WHY_ABSENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_probe_cuda_two_gpus),
        cmocka_unit_test(test_plan_probe_mps),
        cmocka_unit_test(test_plan_probe_cpu_unknown_stays_unknown),
        cmocka_unit_test(test_plan_assume_validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

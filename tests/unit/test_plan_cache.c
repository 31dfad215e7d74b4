/* test_plan_cache.c: seed 001's pixel-cache table and where each cache
 * lives. The seed's figures use decimal units: 500 x 3 x 224 x 224 x 4 =
 * 301,056,000 bytes = 301 MB (287 MiB); 5000@384 = 8.85 GB (8.24 GiB);
 * 10000@384 = 17.69 GB (16.5 GiB). Its "17.6 GB" truncates 17.69. */
#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

#define GIB (1024LL * 1024 * 1024)

static hr_plan_cache_result *plan(const hr_plan_device *d, int64_t n, int size, int dtype,
                                  int64_t model, int64_t per_sample) {
    static hr_plan_cache_result r;
    hr_plan_cache_req q;
    hr_plan_cache_req_init(&q);
    q.count = n;
    q.height_px = q.width_px = size;
    q.dtype = dtype;
    q.model_bytes = model;
    q.per_sample_bytes = per_sample;
    hr_plan_error e = {{0}};
    if (hr_plan_cache(d, &q, &r, &e) != HR_OK)
        fail_msg("%s: %s", e.what, e.why);
    return &r;
}

static hr_plan_device dev(int kind, int64_t total) {
    hr_plan_device d;
    assert_int_equal(hr_plan_device_assume(kind, total, -1, 1, &d, NULL), HR_OK);
    return d;
}

static void test_plan_cache_seed001_table(void **state) {
    (void)state;
    const struct {
        int64_t n;
        int size;
        int64_t bytes;
        const char *text;
    } rows[] = {
        {500, 224, 301056000LL, "301 MB"},       {500, 384, 884736000LL, "885 MB"},
        {5000, 224, 3010560000LL, "3.0 GB"},     {5000, 384, 8847360000LL, "8.8 GB"},
        {10000, 384, 17694720000LL, "17.7 GB"},
    };
    hr_plan_device d = dev(HR_ACCEL_CUDA, 16 * GIB);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        hr_plan_cache_result *r = plan(&d, rows[i].n, rows[i].size, HR_DTYPE_FP32, 0, 0);
        assert_int_equal(r->cache_bytes, rows[i].bytes);
        assert_int_equal(r->half_bytes, rows[i].bytes / 2);
        if (!strstr(r->size_reason, rows[i].text))
            fail_msg("%s", r->size_reason);
    }
}

/* The guide's verdicts on a 16 GB card with SigLIP2-so400m (~1.6 GB):
 * 5000@384 "tight (with model)" fits; 10000@384 does not, in fp32. */
static void test_plan_cache_seed001_16gb_verdicts(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 16 * GIB);
    int64_t model = 1600000000LL;
    hr_plan_cache_result *r = plan(&d, 5000, 384, HR_DTYPE_FP32, model, 0);
    assert_int_equal(r->placement, HR_PLACE_DEVICE);
    r = plan(&d, 10000, 384, HR_DTYPE_FP32, model, 0);
    assert_int_equal(r->placement, HR_PLACE_DEVICE_HALF);
    assert_int_equal(r->dtype, HR_DTYPE_FP16);
    /* Asked for fp16 and still too big: stream from host RAM, when known. */
    r = plan(&d, 30000, 384, HR_DTYPE_FP16, model, 0);
    assert_int_equal(r->placement, HR_PLACE_DISK_STREAM);
    assert_non_null(strstr(r->placement_reason, "unknown"));
    d.host_available_bytes = (hr_reading){64 * GIB, HR_WHY_KNOWN, 0};
    r = plan(&d, 30000, 384, HR_DTYPE_FP16, model, 0);
    assert_int_equal(r->placement, HR_PLACE_HOST_STREAM);
    assert_non_null(strstr(r->placement_reason, "pinned"));
    /* 128 GB unified (M3 Ultra): everything fits. */
    hr_plan_device mac = dev(HR_ACCEL_MPS, 128 * GIB);
    assert_int_equal(plan(&mac, 10000, 384, HR_DTYPE_FP32, model, 0)->placement, HR_PLACE_DEVICE);
}

static void test_plan_cache_batch(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 16 * GIB);
    hr_plan_cache_result *r = plan(&d, 500, 224, HR_DTYPE_FP32, 350000000LL, 0);
    assert_int_equal(r->batch, -1);
    assert_non_null(strstr(r->batch_reason, "--per-sample-mem"));
    /* Room after the cache / per-sample: the whole set when it fits. */
    r = plan(&d, 500, 224, HR_DTYPE_FP32, 350000000LL, 20LL << 20);
    int64_t room = r->usable_bytes - r->cache_bytes;
    assert_int_equal(r->batch_max, room / (20LL << 20));
    assert_int_equal(r->batch, 500);
    /* Otherwise the largest power of two under the maximum. */
    r = plan(&d, 5000, 384, HR_DTYPE_FP32, 1600000000LL, 100LL << 20);
    assert_true(r->batch_max < 5000);
    assert_true(r->batch <= r->batch_max && r->batch * 2 > r->batch_max);
    assert_int_equal(r->batch & (r->batch - 1), 0);
    /* Nothing left: batch 0, said plainly. */
    r = plan(&d, 5000, 384, HR_DTYPE_FP32, 1600000000LL, 20 * GIB);
    assert_int_equal(r->batch, 0);
}

static void test_plan_cache_rejects_bad_requests(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 16 * GIB);
    hr_plan_cache_req q;
    hr_plan_cache_result r;
    hr_plan_error e = {{0}};
    hr_plan_cache_req_init(&q);
    q.count = 0;
    q.height_px = q.width_px = 224;
    assert_int_equal(hr_plan_cache(&d, &q, &r, &e), HR_EINVAL);
    assert_string_equal(e.what, "--count");
    q.count = 10;
    q.dtype = HR_DTYPE_INT4;
    assert_int_equal(hr_plan_cache(&d, &q, &r, &e), HR_EINVAL);
    assert_string_equal(e.what, "--dtype");
    q.dtype = HR_DTYPE_FP32;
    q.count = 1000000000LL;
    q.channels = 4096;
    q.height_px = q.width_px = 65536;
    assert_int_equal(hr_plan_cache(&d, &q, &r, &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "overflows"));
}

static void test_plan_cache_unknown_budget(void **state) {
    (void)state;
    hr_plan_device d;
    hr_plan_device_init(&d);
    d.kind = HR_ACCEL_CUDA;
    strcpy(d.torch_device, "cuda:0");
    d.budget_bytes = (hr_reading){0, HR_WHY_NO_LIBRARY, 0};
    hr_plan_cache_result *r = plan(&d, 500, 224, HR_DTYPE_FP32, 0, 0);
    assert_int_equal(r->placement, HR_PLACE_UNKNOWN);
    assert_int_equal(r->cache_bytes, 301056000LL);
    assert_non_null(strstr(r->placement_reason, "vendor library not found"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_cache_seed001_table),
        cmocka_unit_test(test_plan_cache_seed001_16gb_verdicts),
        cmocka_unit_test(test_plan_cache_batch),
        cmocka_unit_test(test_plan_cache_rejects_bad_requests),
        cmocka_unit_test(test_plan_cache_unknown_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

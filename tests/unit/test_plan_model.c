/* test_plan_model.c: where and how a model runs. Seed 003's cases on a
 * 16 GB M3 and the defects it had (bitsandbytes on CPU, a 3B model sent to
 * the CPU, fp32 as the "memory" fallback, no generation fallback), CUDA
 * quantization, splits, offload, CPU dtypes and unknown budgets. */
#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

#define GIB (1024LL * 1024 * 1024)

static hr_plan_device dev(int kind, int64_t total, int64_t free_b, int gpus) {
    hr_plan_device d;
    hr_plan_error e = {{0}};
    if (hr_plan_device_assume(kind, total, free_b, gpus, &d, &e) != HR_OK)
        fail_msg("assume: %s", e.why);
    return d;
}

static hr_plan_model_facts from_id(const char *id) {
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_from_id(&f, id, NULL), HR_OK);
    return f;
}

static hr_plan_model_facts from_params(int64_t p) {
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    f.params = (hr_reading){p, HR_WHY_KNOWN, 0};
    return f;
}

static hr_plan_model_result *plan(const hr_plan_model_facts *f, const hr_plan_device *d,
                                  const hr_plan_model_opts *o) {
    static hr_plan_model_result r;
    hr_plan_error e = {{0}};
    if (hr_plan_model(f, d, o, &r, &e) != HR_OK)
        fail_msg("plan: %s: %s", e.what, e.why);
    return &r;
}

static const hr_plan_option *option(const hr_plan_model_result *r, int dtype) {
    for (size_t i = 0; i < r->noptions; i++)
        if (r->options[i].dtype == dtype)
            return &r->options[i];
    fail_msg("no option for %s", hr_plan_dtype_name(dtype));
    return NULL;
}

/* Seed 003: "a 3B text model on a 16 GB M3 runs on MPS in fp16". */
static void test_plan_seed003_m3_16gb(void **state) {
    (void)state;
    hr_plan_device m3 = dev(HR_ACCEL_MPS, 16 * GIB, -1, 0);
    const char *fits[] = {"Qwen/Qwen2.5-3B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct",
                          "Qwen/Qwen2.5-0.5B-Instruct"};
    for (size_t i = 0; i < 3; i++) {
        hr_plan_model_facts f = from_id(fits[i]);
        hr_plan_model_result *r = plan(&f, &m3, NULL);
        if (r->verdict != HR_VERDICT_FITS)
            fail_msg("%s: %s", fits[i], r->verdict_reason);
        assert_int_equal(r->device_kind, HR_ACCEL_MPS);
        assert_string_equal(r->torch_device, "mps");
        assert_int_equal(r->dtype, HR_DTYPE_FP16);
        assert_int_equal(r->quant, HR_QUANT_NONE);
        assert_non_null(strstr(r->quant_reason, "only on CUDA"));
    }
    /* The flagship Omni 3B stays on the GPU (seed 003's code sent it to the CPU). */
    hr_plan_model_facts omni = from_id("Qwen/Qwen2.5-Omni-3B");
    hr_plan_model_result *r = plan(&omni, &m3, NULL);
    assert_int_equal(r->device_kind, HR_ACCEL_MPS);
    assert_int_equal(r->dtype, HR_DTYPE_FP16);
    assert_true(r->verdict == HR_VERDICT_FITS || r->verdict == HR_VERDICT_OFFLOAD);
}

/* A 7B model does not fit a 16 GB Mac in 16 bits: say so, never "CPU fp32"
 * (28 GB, the seed's answer), and propose what would fit. */
static void test_plan_seed003_7b_on_16gb_is_no_fit(void **state) {
    (void)state;
    hr_plan_device m3 = dev(HR_ACCEL_MPS, 16 * GIB, -1, 0);
    hr_plan_model_facts f = from_id("Qwen/Qwen2.5-7B-Instruct");
    hr_plan_model_result *r = plan(&f, &m3, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_NO_FIT);
    assert_int_not_equal(r->dtype, HR_DTYPE_FP32);
    assert_int_equal(r->device_kind, HR_ACCEL_MPS);
    assert_true(r->nfallbacks >= 1);
    assert_non_null(strstr(r->fallbacks[r->nfallbacks - 1].action, "at most"));
    /* On a 32 GB Mac it fits on MPS. */
    hr_plan_device m32 = dev(HR_ACCEL_MPS, 32 * GIB, -1, 0);
    r = plan(&f, &m32, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_FITS);
    assert_int_equal(r->device_kind, HR_ACCEL_MPS);
}

static void test_plan_bitsandbytes_only_on_cuda(void **state) {
    (void)state;
    const int kinds[] = {HR_ACCEL_MPS, HR_ACCEL_CPU, HR_ACCEL_ROCM};
    hr_plan_model_facts f = from_params(13000000000LL);
    for (size_t i = 0; i < 3; i++) {
        hr_plan_device d = dev(kinds[i], 16 * GIB, -1, 1);
        hr_plan_model_result *r = plan(&f, &d, NULL);
        assert_int_equal(r->quant, HR_QUANT_NONE);
        assert_false(option(r, HR_DTYPE_INT8)->available);
        assert_false(option(r, HR_DTYPE_INT4)->available);
        hr_plan_model_opts o;
        hr_plan_model_opts_init(&o);
        o.dtype = HR_DTYPE_INT4;
        hr_plan_error e = {{0}};
        assert_int_equal(hr_plan_model(&f, &d, &o, r, &e), HR_EINVAL);
        assert_string_equal(e.what, "--dtype");
        assert_non_null(strstr(e.why, "only on CUDA"));
    }
}

static void test_plan_cuda_quantizes_when_16bit_does_not_fit(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 24 * GIB, -1, 1);
    hr_plan_model_facts f = from_params(13000000000LL);
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_FITS);
    assert_int_equal(r->quant, HR_QUANT_BNB_INT8);
    assert_int_equal(r->dtype, HR_DTYPE_INT8);
    assert_non_null(strstr(r->quant_reason, "load_in_8bit"));
    assert_false(option(r, HR_DTYPE_FP16)->fits);
    assert_true(option(r, HR_DTYPE_INT8)->fits);
    /* Without quantization the weights spill to RAM, which must be known. */
    hr_plan_model_opts o;
    hr_plan_model_opts_init(&o);
    o.allow_quantization = 0;
    r = plan(&f, &d, &o);
    assert_int_equal(r->verdict, HR_VERDICT_NO_FIT);
    assert_non_null(strstr(r->notes[0], "--assume-ram"));
    d.host_available_bytes = (hr_reading){64 * GIB, HR_WHY_KNOWN, 0};
    r = plan(&f, &d, &o);
    assert_int_equal(r->verdict, HR_VERDICT_OFFLOAD);
    assert_true(r->offload_bytes > 0 && r->offload_bytes < r->items[0].bytes);
    assert_string_equal(r->device_map, "auto");
}

static void test_plan_cuda_prefers_bf16_where_supported(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 80 * GIB, -1, 1);
    hr_plan_model_facts f = from_params(7000000000LL);
    assert_int_equal(plan(&f, &d, NULL)->dtype, HR_DTYPE_FP16); /* bf16 unknown */
    d.bf16 = HR_PLAN_YES;
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_int_equal(r->dtype, HR_DTYPE_BF16);
    assert_int_equal(r->quant, HR_QUANT_NONE);
    /* Load fallbacks in order: int8, then NF4, then CPU offload; then generation. */
    assert_true(r->nfallbacks >= 4);
    assert_non_null(strstr(r->fallbacks[0].action, "load_in_8bit"));
    assert_non_null(strstr(r->fallbacks[1].action, "load_in_4bit"));
    assert_non_null(strstr(r->fallbacks[2].action, "device_map"));
    assert_true(r->fallbacks[0].need_bytes > r->fallbacks[1].need_bytes);
    assert_true(r->fallbacks[0].need_bytes < r->need_bytes);
    assert_int_equal(r->fallbacks[2].need_bytes, -1);
    assert_string_equal(r->fallbacks[r->nfallbacks - 1].when, "generate");
    d.bf16 = HR_PLAN_NO;
    hr_plan_model_opts o;
    hr_plan_model_opts_init(&o);
    o.dtype = HR_DTYPE_BF16;
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_model(&f, &d, &o, r, &e), HR_EINVAL);
}

static void test_plan_split_across_gpus(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 40 * GIB, -1, 2);
    hr_plan_model_facts f = from_params(30000000000LL);
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_SPLIT);
    assert_int_equal(r->gpus_used, 2);
    assert_int_equal(r->quant, HR_QUANT_NONE);
    assert_true(r->per_gpu_bytes[0] > 0 && r->per_gpu_bytes[1] > 0);
    assert_true(r->per_gpu_bytes[0] <= r->usable_bytes);
    /* 70B on two 80 GB GPUs needs int8 and both GPUs. */
    d = dev(HR_ACCEL_CUDA, 80 * GIB, -1, 2);
    f = from_params(70000000000LL);
    r = plan(&f, &d, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_SPLIT);
    assert_int_equal(r->quant, HR_QUANT_BNB_INT8);
    /* One GPU: the split is not an option. */
    d = dev(HR_ACCEL_CUDA, 40 * GIB, -1, 1);
    f = from_params(30000000000LL);
    r = plan(&f, &d, NULL);
    assert_int_not_equal(r->verdict, HR_VERDICT_SPLIT);
}

static void test_plan_cpu_fp32_then_bf16(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CPU, 32 * GIB, -1, 0);
    hr_plan_model_facts f = from_params(1500000000LL);
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_int_equal(r->dtype, HR_DTYPE_FP32);
    assert_int_equal(r->device_kind, HR_ACCEL_CPU);
    f = from_params(7000000000LL);
    r = plan(&f, &d, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_FITS);
    assert_int_equal(r->dtype, HR_DTYPE_BF16);
    assert_non_null(strstr(r->dtype_reason, "fp32 does not fit"));
    assert_int_equal(r->quant, HR_QUANT_NONE);
    /* fp32 -> bf16 is offered as the load fallback on CPU, never bitsandbytes. */
    f = from_params(1500000000LL);
    r = plan(&f, &d, NULL);
    assert_non_null(strstr(r->fallbacks[0].action, "bfloat16"));
}

static void test_plan_unknown_budget_is_never_zero(void **state) {
    (void)state;
    hr_plan_device d;
    hr_plan_device_init(&d);
    d.kind = HR_ACCEL_CPU;
    strcpy(d.torch_device, "cpu");
    d.budget_bytes = (hr_reading){0, HR_WHY_NO_PERMISSION, 13};
    hr_plan_model_facts f = from_params(7000000000LL);
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_int_equal(r->verdict, HR_VERDICT_UNKNOWN_BUDGET);
    assert_non_null(strstr(r->verdict_reason, "--assume-device"));
    assert_non_null(strstr(r->verdict_reason, "needs permission"));
    for (size_t i = 0; i < r->noptions; i++)
        assert_false(r->options[i].fits);
    assert_int_equal(r->nfallbacks, 0);
    assert_true(r->need_bytes > 0);
}

static void test_plan_unknown_size_says_how_to_give_it(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 24 * GIB, -1, 1);
    hr_plan_model_facts f = from_id("gpt2");
    hr_plan_model_result r;
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_model(&f, &d, NULL, &r, &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "gpt2"));
    assert_non_null(strstr(e.hint, "--params"));
    assert_non_null(strstr(e.hint, "--model-dir"));
}

/* Qwen2.5-3B: 36 layers, 2 KV heads, head_dim 128. */
static void test_plan_kv_cache_from_shape(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 24 * GIB, -1, 1);
    hr_plan_model_facts f = from_params(3090000000LL);
    f.layers = (hr_reading){36, HR_WHY_KNOWN, 0};
    f.kv_heads = (hr_reading){2, HR_WHY_KNOWN, 0};
    f.head_dim = (hr_reading){128, HR_WHY_KNOWN, 0};
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_string_equal(r->items[1].name, "kv_cache");
    assert_int_equal(r->items[1].bytes, 2LL * 36 * 2 * 128 * 4096 * 2);
    assert_non_null(strstr(r->items[1].reason, "36 layers"));
    hr_plan_model_opts o;
    hr_plan_model_opts_init(&o);
    o.context_tokens = 32768;
    o.batch = 2;
    r = plan(&f, &d, &o);
    assert_int_equal(r->items[1].bytes, 2LL * 36 * 2 * 128 * 32768 * 2 * 2);
}

static void test_plan_margin_and_weights_arithmetic(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 10 * GIB, -1, 1);
    hr_plan_model_facts f = from_params(1000000000LL);
    f.unquantized_params = (hr_reading){100000000, HR_WHY_KNOWN, 0};
    hr_plan_model_result *r = plan(&f, &d, NULL);
    assert_int_equal(r->budget_bytes, 10 * GIB);
    assert_int_equal(r->usable_bytes, 9 * GIB);
    assert_int_equal(option(r, HR_DTYPE_FP32)->weights_bytes, 4000000000LL);
    assert_int_equal(option(r, HR_DTYPE_FP16)->weights_bytes, 2000000000LL);
    /* int8: 9e8 x 1 + 1e8 x 2; NF4: 9e8 x 0.5625 + 1e8 x 2. */
    assert_int_equal(option(r, HR_DTYPE_INT8)->weights_bytes, 1100000000LL);
    assert_int_equal(option(r, HR_DTYPE_INT4)->weights_bytes, 706250000LL);
    hr_plan_model_opts o;
    hr_plan_model_opts_init(&o);
    o.margin_pct = 0;
    assert_int_equal(plan(&f, &d, &o)->usable_bytes, 10 * GIB);
    /* The exact checkpoint size is used at its own dtype. */
    f.checkpoint_bytes = (hr_reading){2100000000LL, HR_WHY_KNOWN, 0};
    f.checkpoint_dtype = HR_DTYPE_FP16;
    r = plan(&f, &d, NULL);
    assert_int_equal(option(r, HR_DTYPE_FP16)->weights_bytes, 2100000000LL);
    assert_int_equal(option(r, HR_DTYPE_FP32)->weights_bytes, 4000000000LL);
}

static void test_plan_rejects_bad_options(void **state) {
    (void)state;
    hr_plan_device d = dev(HR_ACCEL_CUDA, 10 * GIB, -1, 1);
    hr_plan_model_facts f = from_params(1000000000LL);
    hr_plan_model_opts o;
    hr_plan_model_result r;
    hr_plan_error e = {{0}};
    hr_plan_model_opts_init(&o);
    o.context_tokens = 0;
    assert_int_equal(hr_plan_model(&f, &d, &o, &r, &e), HR_EINVAL);
    assert_string_equal(e.what, "--context");
    hr_plan_model_opts_init(&o);
    o.margin_pct = 95;
    assert_int_equal(hr_plan_model(&f, &d, &o, &r, &e), HR_EINVAL);
    assert_string_equal(e.what, "--margin");
    hr_plan_model_opts_init(&o);
    o.dtype = HR_DTYPE_INT8;
    o.allow_quantization = 0;
    assert_int_equal(hr_plan_model(&f, &d, &o, &r, &e), HR_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_seed003_m3_16gb),
        cmocka_unit_test(test_plan_seed003_7b_on_16gb_is_no_fit),
        cmocka_unit_test(test_plan_bitsandbytes_only_on_cuda),
        cmocka_unit_test(test_plan_cuda_quantizes_when_16bit_does_not_fit),
        cmocka_unit_test(test_plan_cuda_prefers_bf16_where_supported),
        cmocka_unit_test(test_plan_split_across_gpus),
        cmocka_unit_test(test_plan_cpu_fp32_then_bf16),
        cmocka_unit_test(test_plan_unknown_budget_is_never_zero),
        cmocka_unit_test(test_plan_unknown_size_says_how_to_give_it),
        cmocka_unit_test(test_plan_kv_cache_from_shape),
        cmocka_unit_test(test_plan_margin_and_weights_arithmetic),
        cmocka_unit_test(test_plan_rejects_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

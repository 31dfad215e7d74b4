/* test_plan_facts.c: model facts from config.json, safetensors headers,
 * the shard index and whole model directories (fixtures made by
 * tests/fixtures/plan/make_models.py with the real tensor shapes of
 * Qwen2.5-0.5B and Llama-2-7B). Hostile content never crashes nor gives
 * a wrong number. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include "harness/hr_test.h"

#include "headroom/hr_plan.h"
#include "sys/sys.h"

static const char *model_dir(const char *name) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/plan/models/%s", HR_FIXTURES, name);
    return path;
}

static void test_plan_dir_qwen_exact(void **state) {
    (void)state;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_model_dir_read(model_dir("qwen2.5-0.5b"), &f, &e), HR_OK);
    assert_known(f.params, 494032768); /* Qwen2.5-0.5B's published count */
    assert_known(f.checkpoint_bytes, 2LL * 494032768);
    assert_int_equal(f.checkpoint_dtype, HR_DTYPE_BF16);
    /* Tied embeddings 151936 x 896, 1-D norms and biases stay 16-bit. */
    assert_true(HR_IS_KNOWN(f.unquantized_params));
    assert_true(f.unquantized_params.v > 151936LL * 896 && f.unquantized_params.v < 151936LL * 896 + 300000);
    assert_known(f.layers, 24);
    assert_known(f.kv_heads, 2);
    assert_known(f.head_dim, 64);
    assert_known(f.max_context_tokens, 32768);
    assert_int_equal(f.tensors, 290);
    assert_non_null(strstr(f.params_source, "safetensors headers"));
}

static void test_plan_dir_sharded_and_index_only(void **state) {
    (void)state;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_dir_read(model_dir("llama-2-7b-sharded"), &f, NULL), HR_OK);
    assert_known(f.params, 6738415616LL); /* Llama-2-7B */
    assert_int_equal(f.checkpoint_dtype, HR_DTYPE_FP16);
    assert_int_equal(f.tensors, 291);
    /* Untied: embeddings and lm_head, 2 x 32000 x 4096, plus the norms. */
    assert_int_equal(f.unquantized_params.v, 2LL * 32000 * 4096 + 65LL * 4096);
    hr_plan_model_facts g;
    hr_plan_model_facts_init(&g);
    assert_int_equal(hr_plan_model_dir_read(model_dir("llama-2-7b-index-only"), &g, NULL), HR_OK);
    assert_known(g.checkpoint_bytes, 2LL * 6738415616LL);
    assert_known(g.params, 6738415616LL); /* total_size / 2 bytes (config: float16) */
    assert_int_equal(g.tensors, 0);
    assert_non_null(strstr(g.params_source, "0 of 2 shards present"));
    assert_known(g.unquantized_params, 2LL * 32000 * 4096); /* from config: untied */
}

static void test_plan_dir_config_only_has_no_size(void **state) {
    (void)state;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_dir_read(model_dir("omni-config-only"), &f, NULL), HR_OK);
    assert_unknown(f.params, HR_WHY_ABSENT);
    assert_int_equal(f.multimodal, 1);
    assert_non_null(strstr(f.multimodal_reason, "thinker_config"));
    /* Shape from thinker_config.text_config. */
    assert_known(f.layers, 36);
    assert_known(f.kv_heads, 2);
    assert_known(f.head_dim, 128);
}

static void test_plan_dir_errors_name_the_file(void **state) {
    (void)state;
    const struct {
        const char *dir;
        hr_status status;
        const char *why;
    } cases[] = {
        {"bad-header", HR_EPARSE, "absurd"},
        {"truncated-header", HR_EPARSE, "truncated"},
        {"not-a-model", HR_ENOENT, "no config.json"},
        {"no-such-dir", HR_ENOENT, "No such file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hr_plan_model_facts f;
        hr_plan_model_facts_init(&f);
        hr_plan_error e = {{0}};
        hr_status s = hr_plan_model_dir_read(model_dir(cases[i].dir), &f, &e);
        if (s != cases[i].status || !strstr(e.why, cases[i].why) || !strstr(e.what, cases[i].dir))
            fail_msg("%s: status %d, %s: %s", cases[i].dir, s, e.what, e.why);
    }
}

static int eacces_config(int dirfd, const char *path, int flags, ...) {
    if (strstr(path, "config.json")) {
        errno = EACCES;
        return -1;
    }
    return openat(dirfd, path, flags);
}

static void test_plan_dir_permission_denied(void **state) {
    (void)state;
    hr__sys.openat = eacces_config;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    hr_plan_error e = {{0}};
    hr_status s = hr_plan_model_dir_read(model_dir("qwen2.5-0.5b"), &f, &e);
    hr__sys_reset();
    assert_int_equal(s, HR_EPERM);
    assert_non_null(strstr(e.what, "config.json"));
    assert_non_null(strstr(e.hint, "permission"));
}

/* Builds "8-byte length + JSON" in BUF. */
static size_t st_buf(uint8_t *buf, size_t cap, const char *json) {
    size_t n = strlen(json);
    assert_true(n + 8 <= cap);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, json, n);
    return n + 8;
}

static void test_plan_safetensors_header(void **state) {
    (void)state;
    uint8_t buf[1024];
    size_t n = st_buf(buf, sizeof buf,
                      "{\"__metadata__\":{\"format\":\"pt\"},"
                      "\"w\":{\"dtype\":\"F32\",\"shape\":[10,20],\"data_offsets\":[0,800]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[20],\"data_offsets\":[800,880]}}");
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_add_safetensors(&f, buf, n, "x", NULL), HR_OK);
    assert_known(f.params, 220);
    assert_known(f.checkpoint_bytes, 880);
    assert_known(f.unquantized_params, 20);
    assert_int_equal(f.checkpoint_dtype, HR_DTYPE_FP32);
    /* A second file adds up; a different dtype makes the checkpoint mixed. */
    n = st_buf(buf, sizeof buf, "{\"v\":{\"dtype\":\"BF16\",\"shape\":[4,4],\"data_offsets\":[0,32]}}");
    assert_int_equal(hr_plan_model_facts_add_safetensors(&f, buf, n, "y", NULL), HR_OK);
    assert_known(f.params, 236);
    assert_known(f.checkpoint_bytes, 912);
    assert_int_equal(f.checkpoint_dtype, HR_DTYPE_MIXED);
}

static void test_plan_safetensors_hostile(void **state) {
    (void)state;
    const char *bad[] = {
        "", "[]", "{\"w\":1}", "{\"w\":{\"dtype\":\"F99\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,-4]}}",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,4],\"data_offsets\":[0,4]}}",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":\"x\",\"data_offsets\":[0,4]}}",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
        "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[512];
        size_t n = st_buf(buf, sizeof buf, bad[i]);
        hr_plan_model_facts f;
        hr_plan_model_facts_init(&f);
        if (hr_plan_model_facts_add_safetensors(&f, buf, n, "x", NULL) == HR_OK)
            fail_msg("accepted %s", bad[i]);
        assert_unknown(f.params, HR_WHY_ABSENT);
    }
    uint8_t buf[16] = {200, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_add_safetensors(&f, buf, 10, "x", NULL), HR_EINVAL);
    assert_int_equal(hr_plan_model_facts_add_safetensors(&f, buf, 4, "x", NULL), HR_EINVAL);
    uint8_t huge[8] = {0, 0, 0, 0, 0, 1, 0, 0};
    assert_int_equal(hr_plan_safetensors_header_len(huge), -1);
}

static void test_plan_config_errors_have_positions(void **state) {
    (void)state;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    hr_plan_error e = {{0}};
    const char *bad = "{\n  \"num_hidden_layers\": 24,\n  \"hidden_size\": ,\n}";
    assert_int_equal(hr_plan_model_facts_from_config(&f, bad, strlen(bad), "config.json", &e),
                     HR_EPARSE);
    assert_non_null(strstr(e.what, "config.json:3:"));
    const char *neg = "{\"num_hidden_layers\": -3}";
    assert_int_equal(hr_plan_model_facts_from_config(&f, neg, strlen(neg), "c.json", &e), HR_EPARSE);
    assert_non_null(strstr(e.why, "num_hidden_layers"));
    const char *str = "{\"num_key_value_heads\": \"8\"}";
    assert_int_equal(hr_plan_model_facts_from_config(&f, str, strlen(str), "c.json", &e), HR_EPARSE);
    const char *idx = "{\"metadata\": {\"total_size\": -5}}";
    assert_int_equal(hr_plan_model_facts_from_index(&f, idx, strlen(idx), "i.json", &e), HR_EPARSE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_dir_qwen_exact),
        cmocka_unit_test(test_plan_dir_sharded_and_index_only),
        cmocka_unit_test(test_plan_dir_config_only_has_no_size),
        cmocka_unit_test(test_plan_dir_errors_name_the_file),
        cmocka_unit_test(test_plan_dir_permission_denied),
        cmocka_unit_test(test_plan_safetensors_header),
        cmocka_unit_test(test_plan_safetensors_hostile),
        cmocka_unit_test(test_plan_config_errors_have_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

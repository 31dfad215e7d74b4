/* test_plan_units.c: the planner's input parsers accept exactly the
 * documented forms (memory sizes, parameter counts, image sizes, dtypes,
 * device kinds) and name what is wrong with anything else. */
#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

typedef struct bytes_case {
    const char *text;
    int64_t bytes;
} bytes_case;

static void test_plan_bytes_units(void **state) {
    (void)state;
    const bytes_case ok[] = {
        {"16G", 16LL << 30},         {"16g", 16LL << 30},       {"16GiB", 16LL << 30},
        {"16 GiB", 16LL << 30},      {"16GB", 16000000000LL},   {"16gb", 16000000000LL},
        {"1.5G", 3LL << 29},         {"512M", 512LL << 20},     {"512MiB", 512LL << 20},
        {"500MB", 500000000LL},      {"1K", 1024},              {"1KB", 1000},
        {"1T", 1LL << 40},           {"2TB", 2000000000000LL},  {"1073741824", 1LL << 30},
        {"1073741824B", 1LL << 30},  {"0.5G", 1LL << 29},       {"1024T", 1LL << 50},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 0;
        hr_plan_error e = {{0}};
        if (hr_plan_parse_bytes(ok[i].text, &v, &e) != HR_OK)
            fail_msg("refused '%s': %s", ok[i].text, e.why);
        if (v != ok[i].bytes)
            fail_msg("'%s' -> %lld, want %lld", ok[i].text, (long long)v, (long long)ok[i].bytes);
    }
}

static void test_plan_bytes_rejects_bad_input(void **state) {
    (void)state;
    const char *bad[] = {"", "G", "-1G", "-16", "0", "0G", "16X", "16 XB", "1.5", "1.5B",
                         "1025T", "99999999999999999999", "1.0000000001G", "16G ", " 16G",
                         "16..5G", ".5G", "5.G", "16GiBs", "0x10", "1e9", "NaN", "16  G"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        hr_plan_error e = {{0}};
        if (hr_plan_parse_bytes(bad[i], &v, &e) != HR_EINVAL)
            fail_msg("accepted '%s' as %lld", bad[i], (long long)v);
        assert_int_equal(v, 42);
        assert_true(e.why[0] != '\0');
        assert_true(e.hint[0] != '\0');
    }
}

static void test_plan_bytes_error_names_the_problem(void **state) {
    (void)state;
    int64_t v = 0;
    hr_plan_error e = {{0}};
    strcpy(e.what, "--assume-memory");
    assert_int_equal(hr_plan_parse_bytes("16X", &v, &e), HR_EINVAL);
    assert_string_equal(e.what, "--assume-memory");
    assert_non_null(strstr(e.why, "unknown unit 'X'"));
    assert_int_equal(hr_plan_parse_bytes("-3G", &v, &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "negative"));
    assert_int_equal(hr_plan_parse_bytes("2000T", &v, &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "absurd"));
}

typedef struct params_case {
    const char *text;
    int64_t params;
} params_case;

/* Seed 003 matched substrings; these are the sizes its ids carry. */
static void test_plan_params_forms(void **state) {
    (void)state;
    const params_case ok[] = {
        {"7B", 7000000000LL},     {"7b", 7000000000LL},     {"0.5B", 500000000LL},
        {"1.5B", 1500000000LL},   {"270M", 270000000LL},    {"270m", 270000000LL},
        {"13B", 13000000000LL},   {"8x7B", 56000000000LL},  {"8x22B", 176000000000LL},
        {"1T", 1000000000000LL},  {"7000000000", 7000000000LL}, {"3B", 3000000000LL},
        {"1000", 1000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = 0;
        hr_plan_error e = {{0}};
        if (hr_plan_parse_params(ok[i].text, &v, &e) != HR_OK)
            fail_msg("refused '%s': %s", ok[i].text, e.why);
        if (v != ok[i].params)
            fail_msg("'%s' -> %lld, want %lld", ok[i].text, (long long)v, (long long)ok[i].params);
    }
}

static void test_plan_params_rejects_bad_input(void **state) {
    (void)state;
    const char *bad[] = {"",     "B",     "-7B",   "0B",   "7Q",   "7 B",  "x7B", "8x",
                         "0x7B", "2000x1B", "999", "7.5",  "200T", "7BB",  "1.5.5B", "seven"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        hr_plan_error e = {{0}};
        if (hr_plan_parse_params(bad[i], &v, &e) != HR_EINVAL)
            fail_msg("accepted '%s' as %lld", bad[i], (long long)v);
        assert_int_equal(v, 42);
        assert_true(e.hint[0] != '\0');
    }
}

static void test_plan_image_size(void **state) {
    (void)state;
    int32_t w = 0, h = 0;
    assert_int_equal(hr_plan_parse_image_size("1024x768", &w, &h, NULL), HR_OK);
    assert_int_equal(w, 1024);
    assert_int_equal(h, 768);
    assert_int_equal(hr_plan_parse_image_size("384", &w, &h, NULL), HR_OK);
    assert_int_equal(w, 384);
    assert_int_equal(h, 384);
    assert_int_equal(hr_plan_parse_image_size("2048X2048", &w, &h, NULL), HR_OK);
    const char *bad[] = {"", "x", "1024x", "x768", "0x0", "-5x5", "65537x1", "12ax3", "1024x768x2",
                         "1024*768", "1e3x2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hr_plan_parse_image_size(bad[i], &w, &h, NULL) != HR_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
}

static void test_plan_dtype_and_kind_names(void **state) {
    (void)state;
    int32_t v = 0;
    assert_int_equal(hr_plan_parse_dtype("torch.bfloat16", &v, NULL), HR_OK);
    assert_int_equal(v, HR_DTYPE_BF16);
    assert_int_equal(hr_plan_parse_dtype("float16", &v, NULL), HR_OK);
    assert_int_equal(v, HR_DTYPE_FP16);
    assert_int_equal(hr_plan_parse_dtype("nf4", &v, NULL), HR_OK);
    assert_int_equal(v, HR_DTYPE_INT4);
    assert_int_equal(hr_plan_parse_dtype("fp8", &v, NULL), HR_EINVAL);
    assert_int_equal(hr_plan_parse_device_kind("MPS", &v, NULL), HR_OK);
    assert_int_equal(v, HR_ACCEL_MPS);
    assert_int_equal(hr_plan_parse_device_kind("tpu", &v, NULL), HR_EINVAL);
    assert_string_equal(hr_plan_device_kind_name(HR_ACCEL_ROCM), "rocm");
    assert_string_equal(hr_plan_dtype_name(99), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_bytes_units),
        cmocka_unit_test(test_plan_bytes_rejects_bad_input),
        cmocka_unit_test(test_plan_bytes_error_names_the_problem),
        cmocka_unit_test(test_plan_params_forms),
        cmocka_unit_test(test_plan_params_rejects_bad_input),
        cmocka_unit_test(test_plan_image_size),
        cmocka_unit_test(test_plan_dtype_and_kind_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

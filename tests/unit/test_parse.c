/* test_parse.c: the strict value parsers accept exactly valid values. */
#include "harness/hr_test.h"

#include "core/util/parse.h"

static void test_parse_i64_accepts_sysfs_forms(void **state) {
    (void)state;
    int64_t v = 0;
    assert_int_equal(hr__parse_i64("45000\n", 6, &v), HR_OK);
    assert_int_equal(v, 45000);
    assert_int_equal(hr__parse_i64("  -273 ", 7, &v), HR_OK);
    assert_int_equal(v, -273);
    assert_int_equal(hr__parse_i64("9223372036854775807", 19, &v), HR_OK);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(hr__parse_i64("-9223372036854775808", 20, &v), HR_OK);
    assert_true(v == INT64_MIN);
}

static void test_parse_i64_rejects_hostile_content(void **state) {
    (void)state;
    int64_t v = 42;
    const char *bad[] = {"", "\n", "N/A", "12a", "1 2", "-", "+", "9223372036854775808",
                         "99999999999999999999999", "0x10", "1.5", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (hr__parse_i64(bad[i], strlen(bad[i]), &v) != HR_EPARSE)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(v, 42);
}

static void test_parse_u64_full_range(void **state) {
    (void)state;
    uint64_t v = 0;
    assert_int_equal(hr__parse_u64("18446744073709551615", 20, &v), HR_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(hr__parse_u64("18446744073709551616", 20, &v), HR_EPARSE);
    assert_int_equal(hr__parse_u64("-1", 2, &v), HR_EPARSE);
}

static void test_parse_fixed_scales_and_truncates(void **state) {
    (void)state;
    int64_t v = 0;
    assert_int_equal(hr__parse_fixed("12.34", 5, 2, &v), HR_OK);
    assert_int_equal(v, 1234);
    assert_int_equal(hr__parse_fixed("0.5", 3, 4, &v), HR_OK);
    assert_int_equal(v, 5000);
    assert_int_equal(hr__parse_fixed("7", 1, 2, &v), HR_OK);
    assert_int_equal(v, 700);
    assert_int_equal(hr__parse_fixed("1.23456", 7, 2, &v), HR_OK);
    assert_int_equal(v, 123);
    assert_int_equal(hr__parse_fixed("-0.25", 5, 2, &v), HR_OK);
    assert_int_equal(v, -25);
    assert_int_equal(hr__parse_fixed("1.", 2, 2, &v), HR_EPARSE);
    assert_int_equal(hr__parse_fixed(".5", 2, 2, &v), HR_EPARSE);
    assert_int_equal(hr__parse_fixed("1.2.3", 5, 2, &v), HR_EPARSE);
}

static void test_kv_find_meminfo(void **state) {
    (void)state;
    const char *m = "MemTotal:       16315812 kB\nMemFree:  100 kB\nHugePages_Total:       0\n";
    int64_t v = 0;
    assert_int_equal(hr__kv_find_i64(m, strlen(m), "MemTotal", &v), HR_OK);
    assert_int_equal(v, 16315812LL * 1024);
    assert_int_equal(hr__kv_find_i64(m, strlen(m), "HugePages_Total", &v), HR_OK);
    assert_int_equal(v, 0);
    assert_int_equal(hr__kv_find_i64(m, strlen(m), "MemAvailable", &v), HR_ENOENT);
    assert_int_equal(hr__kv_find_i64(m, strlen(m), "Mem", &v), HR_ENOENT);
}

static void test_field_find_psi(void **state) {
    (void)state;
    const char *l = "some avg10=1.25 avg60=0.00 avg300=0.00 total=123456";
    const char *val;
    size_t n;
    assert_int_equal(hr__field_find(l, strlen(l), "avg10", &val, &n), HR_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(val, "1.25", 4);
    assert_int_equal(hr__field_find(l, strlen(l), "total", &val, &n), HR_OK);
    assert_memory_equal(val, "123456", 6);
    assert_int_equal(hr__field_find(l, strlen(l), "avg", &val, &n), HR_ENOENT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_i64_accepts_sysfs_forms),
        cmocka_unit_test(test_parse_i64_rejects_hostile_content),
        cmocka_unit_test(test_parse_u64_full_range),
        cmocka_unit_test(test_parse_fixed_scales_and_truncates),
        cmocka_unit_test(test_kv_find_meminfo),
        cmocka_unit_test(test_field_find_psi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

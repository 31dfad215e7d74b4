/* test_binding.c: hr_struct_size answers sizeof for every public struct a
 * binding mirrors, 0 for anything else, and its name list is consistent. */
#include "harness/hr_test.h"

#include "headroom/hr_binding.h"
#include "headroom/hr_run.h"

#define CHECK_SIZE(type) assert_int_equal(hr_struct_size(#type), sizeof(type))

static void sizes_match_sizeof(void **state) {
    (void)state;
    CHECK_SIZE(hr_reading);
    CHECK_SIZE(hr_host_info);
    CHECK_SIZE(hr_cpu_core);
    CHECK_SIZE(hr_cpu_info);
    CHECK_SIZE(hr_psi);
    CHECK_SIZE(hr_mem_info);
    CHECK_SIZE(hr_sensor);
    CHECK_SIZE(hr_trip_point);
    CHECK_SIZE(hr_thermal_zone);
    CHECK_SIZE(hr_rapl_domain);
    CHECK_SIZE(hr_gpu_info);
    CHECK_SIZE(hr_accel_info);
    CHECK_SIZE(hr_source_report);
    CHECK_SIZE(hr_probe);
    CHECK_SIZE(hr_plan_error);
    CHECK_SIZE(hr_plan_device);
    CHECK_SIZE(hr_plan_model_result);
    CHECK_SIZE(hr_plan_diffusion_result);
    CHECK_SIZE(hr_plan_cache_result);
    CHECK_SIZE(hr_govern_config);
    CHECK_SIZE(hr_govern_stats);
    CHECK_SIZE(hr_session_info);
    CHECK_SIZE(hr_step);
    CHECK_SIZE(hr_event);
    CHECK_SIZE(hr_record_config);
    CHECK_SIZE(hr_record_stats);
    CHECK_SIZE(hr_run_config);
    CHECK_SIZE(hr_run_event);
}

static void unknown_names_are_zero(void **state) {
    (void)state;
    assert_int_equal(hr_struct_size(NULL), 0);
    assert_int_equal(hr_struct_size(""), 0);
    assert_int_equal(hr_struct_size("hr_ctx"), 0);         /* opaque: no size to mirror */
    assert_int_equal(hr_struct_size("hr_readin"), 0);      /* a prefix is not a match */
    assert_int_equal(hr_struct_size("hr_reading "), 0);
    assert_int_equal(hr_struct_size("HR_READING"), 0);
}

static void name_list_is_consistent(void **state) {
    (void)state;
    size_t n = hr_struct_count();
    assert_true(n >= 40);
    assert_null(hr_struct_name(n));
    for (size_t i = 0; i < n; i++) {
        const char *name = hr_struct_name(i);
        assert_non_null(name);
        assert_true(hr_struct_size(name) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(hr_struct_name(j), name);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_match_sizeof),
        cmocka_unit_test(unknown_names_are_zero),
        cmocka_unit_test(name_list_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

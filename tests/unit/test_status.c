/* test_status.c: every status and reason has a name, a text and a section in
 * docs/ERRORS.md, and the throttle reason names decode NVML's bits. */
#include "harness/hr_test.h"

static char *read_doc(void) {
    FILE *f = fopen(HR_SOURCE_DIR "/docs/ERRORS.md", "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_status_every_code_named_and_documented(void **state) {
    (void)state;
    const char *doc = read_doc();
    for (int s = 0; s < HR_STATUS_LAST; s++) {
        const char *name = hr_status_name(s);
        assert_string_not_equal(name, "HR_UNKNOWN");
        assert_string_not_equal(hr_strerror(s), "unknown status");
        char heading[64];
        snprintf(heading, sizeof heading, "\n### %s\n", name);
        if (!strstr(doc, heading))
            fail_msg("docs/ERRORS.md lacks a section for %s", name);
    }
    assert_string_equal(hr_status_name(HR_STATUS_LAST), "HR_UNKNOWN");
    assert_string_equal(hr_status_name(-1), "HR_UNKNOWN");
}

static void test_status_every_reason_named_and_documented(void **state) {
    (void)state;
    const char *doc = read_doc();
    for (int w = 0; w < HR_WHY_LAST; w++) {
        const char *name = hr_why_name(w);
        assert_string_not_equal(name, "unknown");
        assert_string_not_equal(hr_why_text(w), "unknown reason");
        char heading[64];
        snprintf(heading, sizeof heading, "\n### %s\n", name);
        if (!strstr(doc, heading))
            fail_msg("docs/ERRORS.md lacks a section for reason %s", name);
    }
    assert_string_equal(hr_why_name(HR_WHY_NO_PERMISSION), "no_permission");
    assert_string_equal(hr_why_name(HR_WHY_LAST), "unknown");
}

static void test_status_zeroed_reading_is_not_known(void **state) {
    (void)state;
    hr_reading r;
    memset(&r, 0, sizeof r);
    assert_false(HR_IS_KNOWN(r));
    assert_int_equal(r.why, HR_WHY_NOT_READ);
}

static void test_status_throttle_reasons_text(void **state) {
    (void)state;
    char buf[256];
    assert_int_equal(hr_throttle_reasons_text(0, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(hr_throttle_reasons_text(0x20 | 0x40, buf, sizeof buf), 2);
    assert_string_equal(buf, "sw_thermal_slowdown,hw_thermal_slowdown");
    assert_int_equal(hr_throttle_reasons_text(0x4, buf, sizeof buf), 1);
    assert_string_equal(buf, "sw_power_cap");
    assert_int_equal(hr_throttle_reasons_text(0x8 | 0x1000, buf, sizeof buf), 2);
    assert_string_equal(buf, "hw_slowdown,other(0x1000)");
    /* A short buffer is truncated, never overflowed, and always terminated. */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    hr_throttle_reasons_text(0x1ff, tiny, sizeof tiny);
    assert_true(memchr(tiny, '\0', sizeof tiny) != NULL);
}

static void test_status_ctx_root_errors_name_the_path(void **state) {
    (void)state;
    hr_ctx *ctx = NULL;
    assert_int_equal(hr_ctx_new(&ctx), HR_OK);
    assert_string_equal(hr_ctx_root(ctx), "/");
    assert_int_equal(hr_ctx_set_root(ctx, "/no/such/dir"), HR_EINVAL);
    assert_non_null(strstr(hr_ctx_last_error(ctx), "/no/such/dir"));
    assert_string_equal(hr_ctx_root(ctx), "/");
    assert_int_equal(hr_ctx_set_root(ctx, ""), HR_EINVAL);
    assert_int_equal(hr_ctx_set_root(ctx, HR_SOURCE_DIR), HR_OK);
    assert_string_equal(hr_ctx_root(ctx), HR_SOURCE_DIR);
    hr_ctx_free(ctx);
    assert_int_equal(hr_ctx_new(NULL), HR_EINVAL);
    hr_ctx_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_every_code_named_and_documented),
        cmocka_unit_test(test_status_every_reason_named_and_documented),
        cmocka_unit_test(test_status_zeroed_reading_is_not_known),
        cmocka_unit_test(test_status_throttle_reasons_text),
        cmocka_unit_test(test_status_ctx_root_errors_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

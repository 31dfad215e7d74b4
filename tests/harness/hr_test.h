/* hr_test.h: shared helpers for the cmocka unit tests. */
#ifndef HR_TESTS_HARNESS_HR_TEST_H
#define HR_TESTS_HARNESS_HR_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "headroom/headroom.h"

/* The path of a fixture: hr_test_fixture("linux/laptop") -> ".../tests/fixtures/linux/laptop". */
static inline const char *hr_test_fixture(const char *rel) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", HR_FIXTURES, rel);
    return path;
}

/* A context rooted at a fixture scenario (NULL: the live machine). */
static inline hr_ctx *hr_test_ctx(const char *scenario) {
    hr_ctx *ctx = NULL;
    assert_int_equal(hr_ctx_new(&ctx), HR_OK);
    if (scenario)
        assert_int_equal(hr_ctx_set_root(ctx, hr_test_fixture(scenario)), HR_OK);
    /* Never pick up a real NVML in fixture tests unless a test asks for one. */
    if (scenario)
        hr_ctx_set_nvml_library(ctx, HR_BUILD_DIR "/no-such-libnvidia-ml.so.1");
    return ctx;
}

/* Asserts a reading is known with value V. */
#define assert_known(r, val)                                                             \
    do {                                                                                 \
        hr_reading r__ = (r);                                                            \
        if (r__.why != HR_WHY_KNOWN)                                                     \
            fail_msg("%s: expected known %lld, got unknown (%s)", #r, (long long)(val),   \
                     hr_why_text(r__.why));                                              \
        assert_int_equal(r__.v, (val));                                                  \
    } while (0)

/* Asserts a reading is unknown for reason W. */
#define assert_unknown(r, w)                                                             \
    do {                                                                                 \
        hr_reading r__ = (r);                                                            \
        if (r__.why != (w))                                                              \
            fail_msg("%s: expected unknown (%s), got why=%s v=%lld", #r, hr_why_text(w),   \
                     hr_why_text(r__.why), (long long)r__.v);                            \
        assert_int_equal(r__.v, 0);                                                      \
    } while (0)

#endif /* HR_TESTS_HARNESS_HR_TEST_H */

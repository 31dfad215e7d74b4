/* test_cli_args.c: the CLI's shared duration parser accepts exactly the
 * documented forms (cli/args.h). */
#include "harness/hr_test.h"

#include "../../cli/args.c"

static void test_cli_args_accepts_durations(void **state) {
    (void)state;
    static const struct {
        const char *text;
        double seconds;
    } ok[] = {{"90", 90},     {"90s", 90},        {"500ms", 0.5},  {"2m", 120},   {"2min", 120},
              {"1h", 3600},   {"1h30m", 5400},    {"1.5h", 5400},  {"1d", 86400}, {".5s", 0.5},
              {"0", 0},       {"1m30s", 90},      {"10000000000", 1e10}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        double v = -1;
        if (cli_parse_seconds(ok[i].text, &v) != 0)
            fail_msg("refused \"%s\"", ok[i].text);
        assert_float_equal(v, ok[i].seconds, 1e-9);
    }
}

static void test_cli_args_refuses_the_rest(void **state) {
    (void)state;
    static const char *const bad[] = {"", "1h30", "-5", "+5", " 5", "5 ", "5x", "s", "ms",
                                      "1e3", "nan", "inf", "10000000001", "1..5s", "5s5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42;
        if (cli_parse_seconds(bad[i], &v) == 0)
            fail_msg("accepted \"%s\" as %g s", bad[i], v);
        assert_float_equal(v, 42, 0);
    }
    assert_int_equal(cli_parse_seconds(NULL, NULL), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_args_accepts_durations),
        cmocka_unit_test(test_cli_args_refuses_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

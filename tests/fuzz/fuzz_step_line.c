/* fuzz_step_line.c: arbitrary bytes through the step channel's line cutter
 * and the step-line parser. Besides not crashing, every result must keep its
 * contract (docs/RUN.md, "Step channel"); a broken contract aborts. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/step_line.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_line(const char *s, size_t n) {
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    memcpy(copy, s, n);
    hr__step_line l;
    char why[64];
    hr_status st = hr__step_line_parse(copy, n, &l, why, sizeof why);
    CHECK(st == HR_OK || st == HR_ENOENT || st == HR_EPARSE);
    CHECK(memchr(why, '\0', sizeof why) != NULL);
    if (st == HR_EPARSE)
        CHECK(why[0] != '\0');
    if (st == HR_OK) {
        CHECK(!l.has_step || l.step >= 0);
        CHECK(isfinite(l.units) && l.units >= 0);
        CHECK(!l.has_dt || (isfinite(l.dt_s) && l.dt_s >= 0));
        CHECK(l.nvalues <= HR__STEP_MAX_VALUES);
        for (size_t i = 0; i < l.nvalues; i++) {
            CHECK(hr__name_ok(l.names[i]));
            CHECK(!isinf(l.values[i]));
            CHECK(strcmp(l.names[i], "step") != 0 && strcmp(l.names[i], "units") != 0);
            for (size_t j = 0; j < i; j++)
                CHECK(strcmp(l.names[i], l.names[j]) != 0);
        }
    }
    free(copy);
}

static void on_line(void *user, const char *s, size_t n) {
    (void)user;
    if (!s)
        return; /* too long: reported, skipped */
    CHECK(n <= HR__STEP_LINE_MAX && memchr(s, '\n', n) == NULL);
    check_line(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static hr__linebuf lb;
    memset(&lb, 0, sizeof lb);
    size_t cut = size ? data[0] % (size + 1) : 0;
    hr__linebuf_feed(&lb, (const char *)data, cut, on_line, NULL);
    hr__linebuf_feed(&lb, (const char *)data + cut, size - cut, on_line, NULL);
    hr__linebuf_flush(&lb, on_line, NULL);
    check_line((const char *)data, size);
    return 0;
}

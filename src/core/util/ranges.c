/* ranges.c: table-driven range validation (ranges.h). */
#include "core/util/ranges.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

hr_status hr__ranges_say(char *why, size_t cap, const char *fmt, ...) {
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return HR_EINVAL;
}

static double rule_value(const void *obj, const hr__range_rule *r) {
    const char *p = (const char *)obj + r->off;
    if (r->type == HR__RANGE_U32) {
        uint32_t u;
        memcpy(&u, p, sizeof u);
        return (double)u;
    }
    if (r->type == HR__RANGE_I32) {
        int32_t i;
        memcpy(&i, p, sizeof i);
        return (double)i;
    }
    double d;
    memcpy(&d, p, sizeof d);
    return d;
}

static int rule_ok(const hr__range_rule *r, double v) {
    if (!isfinite(v))
        return 0;
    if (r->lo_open ? v <= r->lo : v < r->lo)
        return 0;
    return r->hi_open ? v < r->hi : v <= r->hi;
}

hr_status hr__ranges_check(const void *obj, const hr__range_rule *rules, size_t n, char *why,
                           size_t cap) {
    for (size_t i = 0; i < n; i++) {
        const hr__range_rule *r = &rules[i];
        double v = rule_value(obj, r);
        if (!rule_ok(r, v))
            return hr__ranges_say(why, cap, "%s: must be in %s%g, %g%s (got %g)", r->name,
                                  r->lo_open ? "(" : "[", r->lo, r->hi, r->hi_open ? ")" : "]", v);
    }
    return HR_OK;
}

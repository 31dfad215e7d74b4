/* ranges.h: validation of a config struct by a table of numeric ranges, so
 * that no field can be forgotten (hr_govern_config, hr_rle_config). */
#ifndef HR_CORE_UTIL_RANGES_H
#define HR_CORE_UTIL_RANGES_H

#include <stddef.h>

#include "headroom/hr_status.h"

typedef enum hr__range_type { HR__RANGE_DOUBLE, HR__RANGE_U32, HR__RANGE_I32 } hr__range_type;

/* One rule: LO < or <= the field < or <= HI; a non-finite value fails. */
typedef struct hr__range_rule {
    const char *name;
    size_t off;
    hr__range_type type;
    double lo, hi;
    int lo_open, hi_open; /* 1: the bound itself is not allowed */
} hr__range_rule;

#define HR__RANGE(type_, f, t, lo, hi, lo_open, hi_open)                                           \
    { #f, offsetof(type_, f), t, lo, hi, lo_open, hi_open }

/* Checks OBJ against the N rules. HR_OK, or HR_EINVAL with WHY (when given)
 * naming the first field out of range: "window: must be in [1, 64] (got 0)". */
hr_status hr__ranges_check(const void *obj, const hr__range_rule *rules, size_t n, char *why,
                           size_t cap);

/* Writes the formatted message into WHY (when given) and returns HR_EINVAL. */
hr_status hr__ranges_say(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* HR_CORE_UTIL_RANGES_H */

/* parse.h: strict parsers for the values sysfs, procfs and vendor tools print.
 *
 * Every parser is total: it accepts exactly the documented form and reports
 * anything else as HR_EPARSE, never a partial or made-up number. Inputs need
 * not be NUL-terminated; lengths are explicit. */
#ifndef HR_CORE_UTIL_PARSE_H
#define HR_CORE_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_status.h"

/* Parses a decimal integer: optional leading blanks, optional sign, at least
 * one digit, optional trailing blanks/newline, nothing else. Overflow of
 * int64 is HR_EPARSE. */
hr_status hr__parse_i64(const char *s, size_t n, int64_t *out);

/* Same, for an unsigned value that may use the full uint64 range
 * (RAPL energy counters, cgroup limits). A sign is HR_EPARSE. */
hr_status hr__parse_u64(const char *s, size_t n, uint64_t *out);

/* Parses a decimal fixed-point number such as "12.34" into an integer scaled
 * by 10^DECIMALS (truncated beyond them): ("12.34", 2) -> 1234. */
hr_status hr__parse_fixed(const char *s, size_t n, int decimals, int64_t *out);

/* Multiplies V by MUL and divides by DIV, failing with HR_EPARSE on overflow. */
hr_status hr__scale_i64(int64_t v, int64_t mul, int64_t div, int64_t *out);

/* Finds "KEY:" at the start of a line in a "key: value unit" file
 * (/proc/meminfo style) and parses the integer after it; a trailing "kB"
 * multiplies by 1024. Returns HR_ENOENT when the key is absent. */
hr_status hr__kv_find_i64(const char *buf, size_t n, const char *key, int64_t *out);

/* Finds "NAME=VALUE" among the blank-separated fields of LINE (PSI style,
 * "some avg10=0.12 avg60=0.00 avg300=0.00 total=1234") and returns VALUE's
 * span. Returns HR_ENOENT when absent. */
hr_status hr__field_find(const char *line, size_t n, const char *name, const char **val,
                         size_t *vlen);

/* Copies the first line of BUF (up to n bytes) into DST without its newline
 * and surrounding blanks. */
void hr__copy_line(char *dst, size_t cap, const char *buf, size_t n);

#endif /* HR_CORE_UTIL_PARSE_H */

/* format.h: human-readable values for the CLI's text output. Every
 * formatter writes "unknown (why)" for an unknown reading, never a number. */
#ifndef HR_CLI_FORMAT_H
#define HR_CLI_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "headroom/headroom.h"

/* Each returns BUF. */
const char *fmt_unknown(const hr_reading *r, char *buf, size_t cap);
const char *fmt_bytes_raw(int64_t v, char *buf, size_t cap); /* "21.0 GiB" */
const char *fmt_bytes(const hr_reading *r, char *buf, size_t cap);
const char *fmt_scaled(const hr_reading *r, double div, int decimals, const char *unit, char *buf,
                       size_t cap);
const char *fmt_temp(const hr_reading *r, char *buf, size_t cap);  /* _mc -> "52.0 °C" */
const char *fmt_watts(const hr_reading *r, char *buf, size_t cap); /* _mw -> "35.2 W" */
const char *fmt_pct(const hr_reading *r, char *buf, size_t cap);   /* _ppm -> "12.5 %" */
const char *fmt_int(const hr_reading *r, const char *unit, char *buf, size_t cap);
const char *fmt_duration_ns(int64_t ns, char *buf, size_t cap);

/* Prints "  LABEL              VALUE" with the label padded to align. */
void fmt_row(FILE *f, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* HR_CLI_FORMAT_H */

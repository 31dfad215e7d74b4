/* format.c: human-readable values for the CLI's text output. */
#include "format.h"

#include <stdio.h>
#include <string.h>

const char *fmt_unknown(const hr_reading *r, char *buf, size_t cap) {
    snprintf(buf, cap, "unknown (%s)", hr_why_text(r->why));
    return buf;
}

const char *fmt_bytes_raw(int64_t v, char *buf, size_t cap) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double d = (double)v;
    size_t u = 0;
    while ((d >= 1024.0 || d <= -1024.0) && u + 1 < sizeof units / sizeof units[0]) {
        d /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%lld B", (long long)v);
    else
        snprintf(buf, cap, "%.1f %s", d, units[u]);
    return buf;
}

const char *fmt_bytes(const hr_reading *r, char *buf, size_t cap) {
    return HR_IS_KNOWN(*r) ? fmt_bytes_raw(r->v, buf, cap) : fmt_unknown(r, buf, cap);
}

const char *fmt_scaled(const hr_reading *r, double div, int decimals, const char *unit, char *buf,
                       size_t cap) {
    if (!HR_IS_KNOWN(*r))
        return fmt_unknown(r, buf, cap);
    snprintf(buf, cap, "%.*f%s%s", decimals, (double)r->v / div, *unit ? " " : "", unit);
    return buf;
}

const char *fmt_temp(const hr_reading *r, char *buf, size_t cap) {
    return fmt_scaled(r, 1000.0, 1, "°C", buf, cap);
}

const char *fmt_watts(const hr_reading *r, char *buf, size_t cap) {
    return fmt_scaled(r, 1000.0, 1, "W", buf, cap);
}

const char *fmt_pct(const hr_reading *r, char *buf, size_t cap) {
    return fmt_scaled(r, 10000.0, 1, "%", buf, cap);
}

const char *fmt_int(const hr_reading *r, const char *unit, char *buf, size_t cap) {
    return fmt_scaled(r, 1.0, 0, unit, buf, cap);
}

const char *fmt_duration_ns(int64_t ns, char *buf, size_t cap) {
    int64_t s = ns / 1000000000;
    if (s >= 86400)
        snprintf(buf, cap, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, cap, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, cap, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
    return buf;
}

void fmt_row(FILE *f, const char *label, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(f, "  %-22s ", label);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
}

/* format.c: numbers, durations and times as the text and Markdown reports
 * print them. NaN is always "unknown", never a number. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report.h"

const char *hr__fmt_num(double v, char *buf, size_t cap) {
    if (!isfinite(v))
        hr__snprintf(buf, cap, "unknown");
    else
        hr__snprintf(buf, cap, "%.4g", v);
    return buf;
}

const char *hr__fmt_pct(double share, char *buf, size_t cap) {
    if (!isfinite(share))
        hr__snprintf(buf, cap, "unknown");
    else
        hr__snprintf(buf, cap, "%.1f %%", share * 100);
    return buf;
}

const char *hr__fmt_value(double v, const char *base, char *buf, size_t cap) {
    if (!isfinite(v)) {
        hr__snprintf(buf, cap, "unknown");
    } else if (strcmp(base, "celsius") == 0) {
        hr__snprintf(buf, cap,
                     "%.1f \xc2\xb0"
                     "C",
                     v);
    } else if (strcmp(base, "watts") == 0) {
        hr__snprintf(buf, cap, "%.1f W", v);
    } else if (strcmp(base, "ratio") == 0) {
        hr__snprintf(buf, cap, "%.1f %%", v * 100);
    } else if (strcmp(base, "hertz") == 0) {
        if (fabs(v) >= 1e9)
            hr__snprintf(buf, cap, "%.2f GHz", v / 1e9);
        else
            hr__snprintf(buf, cap, "%.0f MHz", v / 1e6);
    } else if (strcmp(base, "bytes") == 0) {
        if (fabs(v) >= 1073741824.0)
            hr__snprintf(buf, cap, "%.2f GiB", v / 1073741824.0);
        else
            hr__snprintf(buf, cap, "%.1f MiB", v / 1048576.0);
    } else if (strcmp(base, "seconds") == 0) {
        hr__fmt_dur(v, buf, cap);
    } else {
        hr__snprintf(buf, cap, "%.4g", v);
    }
    return buf;
}

const char *hr__fmt_dur(double s, char *buf, size_t cap) {
    if (!isfinite(s)) {
        hr__snprintf(buf, cap, "unknown");
        return buf;
    }
    double a = fabs(s);
    const char *sign = s < 0 && a >= 0.05 ? "-" : "";
    if (a < 60)
        hr__snprintf(buf, cap, "%s%.1f s", sign, a);
    else if (a < 3600)
        hr__snprintf(buf, cap, "%s%.1f min", sign, a / 60);
    else
        hr__snprintf(buf, cap, "%s%.0f min (%.1f h)", sign, a / 60, a / 3600);
    return buf;
}

const char *hr__fmt_utc(const hr__rdata *d, int64_t t_ns, char *buf, size_t cap) {
    int64_t wall = t_ns + d->wall_minus_mono_ns;
    time_t sec = (time_t)(wall / 1000000000LL);
    struct tm tm;
    if (wall <= 0 || !gmtime_r(&sec, &tm)) {
        hr__snprintf(buf, cap, "unknown");
        return buf;
    }
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

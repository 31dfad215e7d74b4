/* rle_csv_time.c: ISO-8601 timestamps for the RLE CSVs, in both directions.
 * Civil-date arithmetic is done here (Howard Hinnant's days-from-civil
 * algorithm) so that neither direction depends on the process time zone. */
#include "record/rle_csv_time.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "record/rle_csv.h"

#define NS_PER_S 1000000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int64_t m) {
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Reads exactly N digits at *P. Returns -1 when they are not all digits. */
static int64_t digits(const char **p, int n) {
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

/* Reads "Z", "+HH:MM", "+HHMM" or "+HH" into seconds east of UTC. */
static int parse_zone(const char *p, int64_t *off_s, int32_t *has_zone) {
    *off_s = 0;
    *has_zone = 0;
    if (*p == '\0')
        return 0;
    *has_zone = 1;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return 0;
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p++ == '-' ? -1 : 1;
    int64_t hh = digits(&p, 2), mm = 0;
    if (hh < 0 || hh > 23)
        return -1;
    if (*p == ':')
        p++;
    if (*p != '\0' && ((mm = digits(&p, 2)) < 0 || mm > 59))
        return -1;
    if (*p != '\0')
        return -1;
    *off_s = sign * (hh * 3600 + mm * 60);
    return 0;
}

/* Reads ".fraction" into nanoseconds. */
static int parse_fraction(const char **p, int64_t *ns) {
    *ns = 0;
    if (**p != '.')
        return 0;
    (*p)++;
    int n = 0;
    int64_t scale = 100000000;
    for (; **p >= '0' && **p <= '9'; (*p)++, n++) {
        *ns += (**p - '0') * scale;
        scale /= 10;
    }
    return n > 0 ? 0 : -1;
}

int hr__rle_parse_time(const char *s, int64_t *t_unix_ns, int32_t *has_zone) {
    const char *p = s;
    int64_t y = digits(&p, 4);
    if (y < 1 || *p++ != '-')
        return -1;
    int64_t mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return -1;
    int64_t d = digits(&p, 2);
    if (d < 1 || d > days_in_month(y, mo) || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    int64_t hh = digits(&p, 2);
    if (hh < 0 || hh > 23 || *p++ != ':')
        return -1;
    int64_t mi = digits(&p, 2);
    if (mi < 0 || mi > 59 || *p++ != ':')
        return -1;
    int64_t ss = digits(&p, 2), frac = 0, off = 0;
    if (ss < 0 || ss > 59 || parse_fraction(&p, &frac) != 0 || parse_zone(p, &off, has_zone) != 0)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - off;
    /* Nanoseconds in int64 reach from 1677 to 2262. */
    if (secs <= INT64_MIN / NS_PER_S || secs >= INT64_MAX / NS_PER_S)
        return -1;
    *t_unix_ns = secs * NS_PER_S + frac;
    return 0;
}

void hr__rle_csv_format_time(int64_t t_unix_ns, char *buf, size_t cap) {
    int64_t secs = t_unix_ns / NS_PER_S, ns = t_unix_ns % NS_PER_S;
    if (ns < 0) {
        ns += NS_PER_S;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (cap)
        snprintf(buf, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", (long long)y,
                 (long long)m, (long long)d, (long long)(rem / 3600), (long long)(rem / 60 % 60),
                 (long long)(rem % 60), (long long)(ns / 1000));
}

/* args.c: value parsers shared by the subcommands. */
#include "args.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The unit at P and its length in seconds; 0 when P starts no unit. */
static double unit_at(const char **p) {
    static const struct {
        const char *name;
        double seconds;
    } units[] = {{"ms", 1e-3}, {"min", 60.0}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}, {"d", 86400.0}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(*p, units[i].name, n) == 0) {
            *p += n;
            return units[i].seconds;
        }
    }
    return 0.0;
}

int cli_parse_seconds(const char *s, double *out) {
    if (!s || !*s || !out)
        return -1;
    double total = 0.0;
    int terms = 0;
    for (const char *p = s; *p; terms++) {
        /* Plain decimals only: strtod would also take signs, blanks,
         * exponents, hex and "inf". */
        size_t n = strspn(p, "0123456789.");
        const char *dot = memchr(p, '.', n);
        if (n == 0 || n >= 32 || (dot && memchr(dot + 1, '.', n - (size_t)(dot - p) - 1)) ||
            (n == 1 && dot))
            return -1;
        char num[32];
        memcpy(num, p, n);
        num[n] = '\0';
        double v = strtod(num, NULL);
        p += n;
        double unit = unit_at(&p);
        if (unit == 0.0) {
            if (*p || terms > 0)
                return -1; /* "1h30": 30 of what? a bare number only alone */
            unit = 1.0;
        }
        total += v * unit;
    }
    if (!(total <= 1e10))
        return -1;
    *out = total;
    return 0;
}

/* numtext.c: strict numbers and names (numtext.h). */
#include "run/numtext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Case-insensitive prefix match of WORD at S (N bytes). */
static int word_at(const char *s, size_t n, const char *word) {
    size_t w = strlen(word);
    if (n < w)
        return 0;
    for (size_t i = 0; i < w; i++)
        if (lower(s[i]) != word[i])
            return 0;
    return 1;
}

/* nan / inf / infinity after an optional sign at S + I. */
static size_t special(const char *s, size_t n, size_t i, int neg, double *v) {
    if (word_at(s + i, n - i, "nan")) {
        *v = NAN;
        return i + 3;
    }
    if (word_at(s + i, n - i, "infinity")) {
        *v = neg ? -INFINITY : INFINITY;
        return i + 8;
    }
    if (word_at(s + i, n - i, "inf")) {
        *v = neg ? -INFINITY : INFINITY;
        return i + 3;
    }
    return 0;
}

/* Digits from S + I; returns the index after them. */
static size_t skip_digits(const char *s, size_t n, size_t i) {
    while (i < n && is_digit(s[i]))
        i++;
    return i;
}

size_t hr__num_parse(const char *s, size_t n, double *v) {
    if (!s || n == 0)
        return 0;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    size_t sp = special(s, n, i, neg, v);
    if (sp)
        return sp;
    size_t int_end = skip_digits(s, n, i), end = int_end;
    if (end < n && s[end] == '.')
        end = skip_digits(s, n, end + 1);
    if (int_end == i && end <= int_end + 1)
        return 0; /* no digit at all: "", "+", ".", "-." */
    if (end < n && (s[end] == 'e' || s[end] == 'E')) {
        size_t e = end + 1;
        if (e < n && (s[e] == '+' || s[e] == '-'))
            e++;
        size_t ed = skip_digits(s, n, e);
        if (ed > e)
            end = ed;
    }
    char buf[64];
    if (end >= sizeof buf)
        return 0; /* absurdly long: not a number we keep */
    memcpy(buf, s, end);
    buf[end] = '\0';
    *v = strtod(buf, NULL);
    return end;
}

int hr__name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > HR__NAME_MAX)
        return 0;
    char c0 = name[0];
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_'))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
              strchr("_.:/-", c)))
            return 0;
    }
    return 1;
}

/* prom_write.c: buffer, numbers, label values and families for the text
 * exposition (prom_write.h). */
#include "exporter/prom_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t pow10_u64[19] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull};

/* Writes the decimal digits of V into the end of BUF (capacity 20) and
 * returns where they start. */
static char *digits(uint64_t v, char *end) {
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* Writes MAG / 10^SCALE (negated when NEG) with the fraction's trailing
 * zeros removed. Digits are written by hand: this runs once per sample
 * line and printf would be most of its cost. */
static void put_decimal(hr__pbuf *b, int neg, uint64_t mag, int scale) {
    char tmp[48], *p = tmp;
    uint64_t div = pow10_u64[scale];
    uint64_t ip = mag / div, fp = mag % div;
    char d[24];
    if (neg)
        *p++ = '-';
    char *s = digits(ip, d + sizeof d);
    size_t n = (size_t)(d + sizeof d - s);
    memcpy(p, s, n);
    p += n;
    if (fp) {
        /* SCALE digits with leading zeros, then drop the trailing ones. */
        *p++ = '.';
        for (int i = scale - 1; i >= 0; i--) {
            p[i] = (char)('0' + fp % 10);
            fp /= 10;
        }
        p += scale;
        while (p[-1] == '0')
            p--;
    }
    hr__pbuf_put(b, tmp, (size_t)(p - tmp));
}

void hr__pbuf_scaled(hr__pbuf *b, int64_t v, int exp10) {
    if (exp10 < -18 || exp10 > 18)
        exp10 = 0;
    int neg = v < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (exp10 <= 0) {
        put_decimal(b, neg, mag, -exp10);
        return;
    }
    uint64_t prod;
    if (!__builtin_mul_overflow(mag, pow10_u64[exp10], &prod) && prod <= (uint64_t)INT64_MAX) {
        put_decimal(b, neg, prod, 0);
        return;
    }
    char tmp[48];
    double d = (double)v;
    for (int i = 0; i < exp10; i++)
        d *= 10.0;
    int n = snprintf(tmp, sizeof tmp, "%.17g", d);
    hr__pbuf_put(b, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at S (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s) {
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void hr__pbuf_label_value(hr__pbuf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        /* Copy the longest run that needs nothing done to it. */
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x7F && *p != '\\' && *p != '"')
            p++;
        if (p > run)
            hr__pbuf_put(b, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        if (*p == '\\' || *p == '"') {
            char esc[2] = {'\\', (char)*p};
            hr__pbuf_put(b, esc, 2);
            p++;
        } else if (*p == '\n') {
            hr__pbuf_put(b, "\\n", 2);
            p++;
        } else if (*p < 0x20 || *p == 0x7F) {
            hr__pbuf_put(b, "?", 1);
            p++;
        } else {
            size_t n = utf8_len(p);
            hr__pbuf_put(b, n ? (const char *)p : "?", n ? n : 1);
            p += n ? n : 1;
        }
    }
}

void hr__plabels_add(hr__plabels *ls, const char *name, const char *value) {
    if (ls->n >= HR__PLABELS_MAX)
        return;
    ls->l[ls->n].name = name;
    ls->l[ls->n].value = value ? value : "";
    ls->n++;
}

void hr__pw_family(hr__pw *w, const char *name, const char *type, const char *help) {
    w->name = name;
    w->type = type;
    w->help = help;
    w->header_written = 0;
}

/* HELP text escapes backslash and newline; ours are constants without
 * either, so they go out as they are. */
static void write_header(hr__pw *w) {
    hr__pbuf_puts(&w->b, "# HELP ");
    hr__pbuf_puts(&w->b, w->name);
    hr__pbuf_put(&w->b, " ", 1);
    hr__pbuf_puts(&w->b, w->help);
    hr__pbuf_puts(&w->b, "\n# TYPE ");
    hr__pbuf_puts(&w->b, w->name);
    hr__pbuf_put(&w->b, " ", 1);
    hr__pbuf_puts(&w->b, w->type);
    hr__pbuf_put(&w->b, "\n", 1);
    w->header_written = 1;
}

void hr__pw_sample(hr__pw *w, const hr__plabels *labels, int64_t v, int exp10) {
    if (!w->name)
        return;
    if (!w->header_written)
        write_header(w);
    hr__pbuf_puts(&w->b, w->name);
    if (labels && labels->n > 0) {
        hr__pbuf_put(&w->b, "{", 1);
        for (int i = 0; i < labels->n; i++) {
            if (i)
                hr__pbuf_put(&w->b, ",", 1);
            hr__pbuf_puts(&w->b, labels->l[i].name);
            hr__pbuf_put(&w->b, "=\"", 2);
            hr__pbuf_label_value(&w->b, labels->l[i].value);
            hr__pbuf_put(&w->b, "\"", 1);
        }
        hr__pbuf_put(&w->b, "}", 1);
    }
    hr__pbuf_put(&w->b, " ", 1);
    hr__pbuf_scaled(&w->b, v, exp10);
    hr__pbuf_put(&w->b, "\n", 1);
}

/* strbuf.c: the growable text buffer (strbuf.h). */
#include "core/util/strbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for MORE bytes and the NUL; 0, or -1 (and oom) on failure. */
static int reserve(hr__strbuf *b, size_t more) {
    if (b->oom)
        return -1;
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void hr__strbuf_put(hr__strbuf *b, const char *s, size_t n) {
    if (reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void hr__strbuf_puts(hr__strbuf *b, const char *s) { hr__strbuf_put(b, s, strlen(s)); }

void hr__strbuf_printf(hr__strbuf *b, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k < sizeof small) {
        hr__strbuf_put(b, small, (size_t)k);
        return;
    }
    if (reserve(b, (size_t)k) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

void hr__strbuf_free(hr__strbuf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

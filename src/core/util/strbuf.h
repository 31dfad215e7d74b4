/* strbuf.h: a growable, always NUL-terminated text buffer. After an
 * allocation failure `oom` is set and every later append is ignored, so
 * writers check once at the end. Zero-initialise to start ({0}). */
#ifndef HR_CORE_UTIL_STRBUF_H
#define HR_CORE_UTIL_STRBUF_H

#include <stddef.h>

typedef struct hr__strbuf {
    char *p;    /* NULL until the first append */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap;
    int oom;    /* an append failed; the content is incomplete */
} hr__strbuf;

void hr__strbuf_put(hr__strbuf *b, const char *s, size_t n);
void hr__strbuf_puts(hr__strbuf *b, const char *s);
void hr__strbuf_printf(hr__strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees the text and zeroes B. */
void hr__strbuf_free(hr__strbuf *b);

#endif /* HR_CORE_UTIL_STRBUF_H */

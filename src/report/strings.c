/* strings.c: UTF-8 cleaning and the escapes
 * of each output format (report.h). Every string that comes from a session
 * passes through one of these before it reaches an output. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

/* Length of the valid UTF-8 sequence at S (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = c & (0x7fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

char *hr__utf8_dup(const char *s) {
    if (!s)
        s = "";
    hr__sb b = {0};
    hr__sb_put(&b, "", 0);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t k = utf8_seq(p);
        if (k == 0) {
            hr__sb_puts(&b, "\xef\xbf\xbd");
            p++;
        } else {
            hr__sb_put(&b, (const char *)p, k);
            p += k;
        }
    }
    if (b.oom) {
        hr__sb_free(&b);
        return NULL;
    }
    return b.p;
}

void hr__utf8_copy(char *dst, const char *src, size_t cap) {
    if (!cap)
        return;
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(src ? src : "");
    while (*p) {
        size_t k = utf8_seq(p);
        const char *piece = k ? (const char *)p : "\xef\xbf\xbd";
        size_t len = k ? k : 3;
        if (n + len + 1 > cap)
            break;
        memcpy(dst + n, piece, len);
        n += len;
        p += k ? k : 1;
    }
    dst[n] = '\0';
}

void hr__esc_text(hr__sb *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            hr__sb_printf(b, "\\x%02x", *p);
        else
            hr__sb_put(b, (const char *)p, 1);
    }
}

void hr__esc_md(hr__sb *b, const char *s) {
    /* Session text never starts a line (a label or "| " comes first), so
     * the characters that only matter there (# + - . !) stay as they are,
     * and with '[' and ']' escaped no '(' can make a link. */
    static const char punct[] = "\\`*_{}[]|~";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '<')
            hr__sb_puts(b, "&lt;");
        else if (*p == '>')
            hr__sb_puts(b, "&gt;");
        else if (*p == '&')
            hr__sb_puts(b, "&amp;");
        else if (*p == '\n' || *p == '\r' || *p == '\t')
            hr__sb_puts(b, " ");
        else if (*p < 0x20 || *p == 0x7f)
            hr__sb_printf(b, "\\\\x%02x", *p);
        else if (strchr(punct, *p)) {
            hr__sb_puts(b, "\\");
            hr__sb_put(b, (const char *)p, 1);
        } else {
            hr__sb_put(b, (const char *)p, 1);
        }
    }
}

void hr__esc_html(hr__sb *b, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': hr__sb_puts(b, "&amp;"); break;
        case '<': hr__sb_puts(b, "&lt;"); break;
        case '>': hr__sb_puts(b, "&gt;"); break;
        case '"': hr__sb_puts(b, "&quot;"); break;
        case '\'': hr__sb_puts(b, "&#39;"); break;
        default:
            if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
                hr__sb_printf(b, "&#xfffd;");
            else
                hr__sb_put(b, (const char *)p, 1);
        }
    }
}

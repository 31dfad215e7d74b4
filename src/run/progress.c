/* progress.c: the tqdm-style progress parser (progress.h). */
#include "run/progress.h"

#include <math.h>
#include <string.h>

#include "run/numtext.h"

/* A cursor over [p, end). */
typedef struct cur {
    const char *p, *end;
} cur;

static int at(const cur *c, char ch) { return c->p < c->end && *c->p == ch; }

static void skip_spaces(cur *c) {
    while (c->p < c->end && *c->p == ' ')
        c->p++;
}

/* Reads 1..MAXD digits into *V. Returns 0 or -1. */
static int read_digits(cur *c, int maxd, int64_t *v) {
    int64_t x = 0;
    int d = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && d < maxd) {
        x = x * 10 + (*c->p - '0');
        c->p++;
        d++;
    }
    if (d == 0 || (c->p < c->end && *c->p >= '0' && *c->p <= '9'))
        return -1;
    *v = x;
    return 0;
}

/* tqdm's format_interval: "MM:SS" or "H:MM:SS" (hours may exceed 24). */
static int read_interval(cur *c, double *secs) {
    int64_t a = 0, b = 0, s = 0;
    if (read_digits(c, 9, &a) || !at(c, ':'))
        return -1;
    c->p++;
    if (read_digits(c, 2, &b) || b > 59)
        return -1;
    if (at(c, ':')) {
        c->p++;
        if (read_digits(c, 2, &s) || s > 59)
            return -1;
        *secs = (double)a * 3600.0 + (double)b * 60.0 + (double)s;
        return 0;
    }
    *secs = (double)a * 60.0 + (double)b;
    return 0;
}

/* Units that are not the job's work: bytes and data-set preprocessing. */
static int unit_rejected(const char *u) {
    size_t n = strlen(u);
    if (n == 0)
        return 0;
    if (u[n - 1] == 'B' || strcmp(u, "b") == 0 || strcmp(u, "bit") == 0)
        return 1;
    static const char *const data_units[] = {"examples", "example", "ex", "ba", "tokens"};
    for (size_t i = 0; i < sizeof data_units / sizeof data_units[0]; i++)
        if (strcmp(u, data_units[i]) == 0)
            return 1;
    return 0;
}

/* Copies [p, p + n) into DST (cap CAP) trimmed of spaces. */
static void copy_trimmed(char *dst, size_t cap, const char *p, size_t n) {
    while (n && *p == ' ') {
        p++;
        n--;
    }
    while (n && p[n - 1] == ' ')
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = '\0';
}

/* A unit word: up to the next '/', ',' or ']' (exclusive); letters only. */
static int read_unit(cur *c, char *unit, size_t cap) {
    const char *b = c->p;
    while (c->p < c->end && ((*c->p >= 'a' && *c->p <= 'z') || (*c->p >= 'A' && *c->p <= 'Z')))
        c->p++;
    size_t n = (size_t)(c->p - b);
    if (n == 0 || n >= cap)
        return -1;
    memcpy(unit, b, n);
    unit[n] = '\0';
    return 0;
}

/* "  2.05it/s", "4.02s/it", "?it/s", "1.23kit/s" (SI-scaled rates). */
static int read_rate(cur *c, hr__progress *out) {
    skip_spaces(c);
    if (at(c, '?')) {
        c->p++;
        out->rate = NAN;
        if (read_unit(c, out->unit, sizeof out->unit))
            return -1;
        if (c->end - c->p < 2 || c->p[0] != '/' || c->p[1] != 's')
            return -1;
        c->p += 2;
        return 0;
    }
    double v = 0;
    size_t used = hr__num_parse(c->p, (size_t)(c->end - c->p), &v);
    if (used == 0 || !isfinite(v) || v < 0)
        return -1;
    c->p += used;
    static const char si[] = "kMGTPEZY";
    if (c->p < c->end && strchr(si, *c->p) && c->p + 1 < c->end && c->p[1] != '/') {
        v *= pow(1000.0, (double)(strchr(si, *c->p) - si + 1));
        c->p++;
    }
    skip_spaces(c);
    if (c->end - c->p >= 2 && c->p[0] == 's' && c->p[1] == '/') {
        c->p += 2;
        if (read_unit(c, out->unit, sizeof out->unit))
            return -1;
        out->rate = v > 0 ? 1.0 / v : NAN;
        return 0;
    }
    if (read_unit(c, out->unit, sizeof out->unit))
        return -1;
    if (c->end - c->p < 2 || c->p[0] != '/' || c->p[1] != 's')
        return -1;
    c->p += 2;
    out->rate = v;
    return 0;
}

/* One "name=value" postfix item in [b, e); kept when the value is finite. */
static void postfix_item(const char *b, const char *e, hr__progress *out) {
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq || out->npostfix >= HR__PROGRESS_MAX_POSTFIX)
        return;
    char name[HR__PROGRESS_NAME_CAP];
    copy_trimmed(name, sizeof name, b, (size_t)(eq - b));
    if (!hr__name_ok(name))
        return;
    const char *v = eq + 1;
    while (v < e && *v == ' ')
        v++;
    const char *ve = e;
    while (ve > v && ve[-1] == ' ')
        ve--;
    double x = 0;
    if (ve == v || hr__num_parse(v, (size_t)(ve - v), &x) != (size_t)(ve - v) || !isfinite(x))
        return;
    for (size_t i = 0; i < out->npostfix; i++)
        if (strcmp(out->names[i], name) == 0)
            return;
    memcpy(out->names[out->npostfix], name, sizeof name);
    out->values[out->npostfix++] = x;
}

/* The postfix: ", a=1, b=2" up to the end of the brackets. */
static void read_postfix(cur *c, hr__progress *out) {
    while (c->p < c->end) {
        if (!(c->end - c->p >= 2 && c->p[0] == ',' && c->p[1] == ' '))
            return;
        c->p += 2;
        const char *b = c->p;
        while (c->p < c->end && !(c->end - c->p >= 2 && c->p[0] == ',' && c->p[1] == ' '))
            c->p++;
        postfix_item(b, c->p, out);
    }
}

/* The text inside "[...]": "elapsed<remaining, rate, postfix",
 * "elapsed, rate, postfix", or "elapsed<remaining". */
static int parse_brackets(const char *b, const char *e, hr__progress *out) {
    cur c = {b, e};
    if (read_interval(&c, &out->elapsed_s))
        return -1;
    if (at(&c, '<')) {
        c.p++;
        double rem = 0;
        if (at(&c, '?'))
            c.p++;
        else if (read_interval(&c, &rem))
            return -1;
    }
    out->rate = NAN;
    if (c.p == c.end)
        return 0;
    if (!(c.end - c.p >= 2 && c.p[0] == ',' && c.p[1] == ' '))
        return -1;
    c.p += 2;
    if (read_rate(&c, out))
        return -1;
    read_postfix(&c, out);
    return 0;
}

/* Scans back over digits ending at E (exclusive); returns their start. */
static const char *digits_before(const char *s, const char *e) {
    const char *p = e;
    while (p > s && p[-1] >= '0' && p[-1] <= '9')
        p--;
    return p;
}

static int parse_int(const char *b, const char *e, int64_t *v) {
    cur c = {b, e};
    return read_digits(&c, 18, v) || c.p != e ? -1 : 0;
}

/* The description before a "NN%|bar|" (or before the count when there is
 * no percentage), without its ": ". */
static void set_desc(const char *s, const char *count, hr__progress *out) {
    const char *e = count;
    /* "desc: 42%|####      | 21/50": find "%|" before the count. */
    for (const char *p = count; p > s + 1; p--) {
        if (p[-2] == '%' && p[-1] == '|') {
            e = p - 2;
            while (e > s && (e[-1] == ' ' || (e[-1] >= '0' && e[-1] <= '9')))
                e--;
            break;
        }
    }
    while (e > s && (e[-1] == ' ' || e[-1] == '|'))
        e--;
    if (e > s && e[-1] == ':')
        e--;
    copy_trimmed(out->desc, sizeof out->desc, s, (size_t)(e - s));
}

/* The head before " [": "... | 21/50", "... | 21/?" or "desc: 123it". */
static int parse_head(const char *s, const char *e, hr__progress *out) {
    while (e > s && e[-1] == ' ')
        e--;
    const char *count = NULL;
    if (e > s && e[-1] == '?' && e - 1 > s && e[-2] == '/') {
        out->total = -1;
        count = digits_before(s, e - 2);
        if (parse_int(count, e - 2, &out->n))
            return -1;
    } else if (e > s && e[-1] >= '0' && e[-1] <= '9') {
        const char *t = digits_before(s, e);
        if (t == s || t[-1] != '/')
            return -1;
        count = digits_before(s, t - 1);
        if (parse_int(count, t - 1, &out->n) || parse_int(t, e, &out->total))
            return -1;
    } else {
        /* "123it" or "123 examples": a count, then the unit. */
        const char *u = e;
        while (u > s && ((u[-1] >= 'a' && u[-1] <= 'z') || (u[-1] >= 'A' && u[-1] <= 'Z')))
            u--;
        if (u == e)
            return -1;
        const char *d = u;
        while (d > s && d[-1] == ' ')
            d--;
        count = digits_before(s, d);
        if (parse_int(count, d, &out->n))
            return -1;
        if (!out->unit[0])
            copy_trimmed(out->unit, sizeof out->unit, u, (size_t)(e - u));
        out->total = -1;
    }
    /* The count starts a word: at the start, after a space or a '|'. */
    if (count > s && count[-1] != ' ' && count[-1] != '|')
        return -1;
    set_desc(s, count, out);
    return 0;
}

/* Tries the bracket group opening at OPEN. */
static int try_at(const char *s, const char *open, const char *close, hr__progress *out) {
    memset(out, 0, sizeof *out);
    out->total = -1;
    if (parse_brackets(open + 1, close, out))
        return -1;
    if (open == s || open[-1] != ' ')
        return -1;
    if (parse_head(s, open - 1, out))
        return -1;
    if (!out->unit[0])
        memcpy(out->unit, "it", 3);
    return unit_rejected(out->unit) ? -1 : 0;
}

hr_status hr__progress_parse(const char *s, size_t n, hr__progress *out) {
    if (!s || !out)
        return HR_ENOENT;
    const char *e = s + n;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e - s < 8 || e[-1] != ']')
        return HR_ENOENT;
    const char *close = e - 1;
    /* The postfix may hold '[' itself: try the last few candidates. */
    int tries = 0;
    for (const char *p = close; p > s && tries < 4; p--) {
        if (p[-1] != '[')
            continue;
        tries++;
        if (try_at(s, p - 1, close, out) == 0)
            return HR_OK;
    }
    memset(out, 0, sizeof *out);
    return HR_ENOENT;
}

/* --- segmenter --- */

enum { ESC_NONE = 0, ESC_START, ESC_CSI, ESC_OSC, ESC_OSC_ESC };

static void seg_end(hr__segmenter *sg, hr__segment_fn emit, void *user) {
    if (sg->len && !sg->overflow)
        emit(user, sg->buf, sg->len);
    sg->len = 0;
    sg->overflow = 0;
}

/* Advances the escape state by byte C; returns 1 when C is consumed by it. */
static int seg_escape(hr__segmenter *sg, unsigned char c) {
    switch (sg->esc) {
    case ESC_START: sg->esc = c == '[' ? ESC_CSI : c == ']' ? ESC_OSC : ESC_NONE; return 1;
    case ESC_CSI:
        if (c >= 0x20 && c <= 0x3f)
            return 1;
        sg->esc = ESC_NONE;
        return c >= 0x40 && c <= 0x7e;
    case ESC_OSC:
        if (c == 0x07)
            sg->esc = ESC_NONE;
        else if (c == 0x1b)
            sg->esc = ESC_OSC_ESC;
        else if (c == '\n' || c == '\r') {
            sg->esc = ESC_NONE;
            return 0;
        }
        return 1;
    case ESC_OSC_ESC: sg->esc = c == '\\' ? ESC_NONE : ESC_OSC; return 1;
    default: return 0;
    }
}

void hr__segmenter_feed(hr__segmenter *sg, const char *data, size_t n, hr__segment_fn emit,
                        void *user) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if (sg->esc != ESC_NONE && seg_escape(sg, c))
            continue;
        if (c == '\r' || c == '\n') {
            seg_end(sg, emit, user);
            continue;
        }
        if (c == 0x1b) {
            sg->esc = ESC_START;
            continue;
        }
        if (c < 0x20 && c != '\t')
            continue;
        if (sg->len >= sizeof sg->buf) {
            sg->overflow = 1;
            continue;
        }
        sg->buf[sg->len++] = (char)c;
    }
}

/* parse.c: strict value parsers. See parse.h for the contracts. */
#include "core/util/parse.h"

#include <string.h>

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void trim(const char **s, size_t *n) {
    while (*n > 0 && is_blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_blank((*s)[*n - 1]))
        (*n)--;
}

hr_status hr__parse_u64(const char *s, size_t n, uint64_t *out) {
    if (!s || !out)
        return HR_EINVAL;
    trim(&s, &n);
    if (n == 0)
        return HR_EPARSE;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return HR_EPARSE;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return HR_EPARSE;
        v = v * 10 + d;
    }
    *out = v;
    return HR_OK;
}

hr_status hr__parse_i64(const char *s, size_t n, int64_t *out) {
    if (!s || !out)
        return HR_EINVAL;
    trim(&s, &n);
    int neg = 0;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (n == 0 || is_blank(s[0]))
        return HR_EPARSE;
    uint64_t u;
    if (hr__parse_u64(s, n, &u) != HR_OK)
        return HR_EPARSE;
    if (neg) {
        if (u > (uint64_t)INT64_MAX + 1u)
            return HR_EPARSE;
        *out = u == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)u;
    } else {
        if (u > (uint64_t)INT64_MAX)
            return HR_EPARSE;
        *out = (int64_t)u;
    }
    return HR_OK;
}

hr_status hr__parse_fixed(const char *s, size_t n, int decimals, int64_t *out) {
    if (!s || !out || decimals < 0 || decimals > 9)
        return HR_EINVAL;
    trim(&s, &n);
    const char *dot = memchr(s, '.', n);
    size_t ilen = dot ? (size_t)(dot - s) : n;
    int64_t ip;
    if (ilen == 0 || hr__parse_i64(s, ilen, &ip) != HR_OK)
        return HR_EPARSE;
    int neg = s[0] == '-';
    int64_t frac = 0;
    int got = 0;
    if (dot) {
        size_t flen = n - ilen - 1;
        if (flen == 0)
            return HR_EPARSE;
        for (size_t i = 0; i < flen; i++) {
            char c = dot[1 + i];
            if (c < '0' || c > '9')
                return HR_EPARSE;
            if (got < decimals) {
                frac = frac * 10 + (c - '0');
                got++;
            }
        }
    }
    for (; got < decimals; got++)
        frac *= 10;
    int64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    int64_t v;
    if (__builtin_mul_overflow(ip, scale, &v))
        return HR_EPARSE;
    if (__builtin_add_overflow(v, neg ? -frac : frac, &v))
        return HR_EPARSE;
    *out = v;
    return HR_OK;
}

hr_status hr__scale_i64(int64_t v, int64_t mul, int64_t div, int64_t *out) {
    if (!out || div == 0)
        return HR_EINVAL;
    int64_t m;
    if (__builtin_mul_overflow(v, mul, &m))
        return HR_EPARSE;
    *out = m / div;
    return HR_OK;
}

static const char *line_end(const char *p, const char *end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

hr_status hr__kv_find_i64(const char *buf, size_t n, const char *key, int64_t *out) {
    if (!buf || !key || !out)
        return HR_EINVAL;
    size_t klen = strlen(key);
    const char *end = buf + n;
    for (const char *p = buf; p < end;) {
        const char *e = line_end(p, end);
        size_t len = (size_t)(e - p);
        if (len > klen && memcmp(p, key, klen) == 0 && p[klen] == ':') {
            const char *v = p + klen + 1;
            size_t vlen = (size_t)(e - v);
            int kb = 0;
            trim(&v, &vlen);
            if (vlen >= 2 && memcmp(v + vlen - 2, "kB", 2) == 0) {
                kb = 1;
                vlen -= 2;
            }
            int64_t x;
            if (hr__parse_i64(v, vlen, &x) != HR_OK)
                return HR_EPARSE;
            if (kb && hr__scale_i64(x, 1024, 1, &x) != HR_OK)
                return HR_EPARSE;
            *out = x;
            return HR_OK;
        }
        p = e + 1;
    }
    return HR_ENOENT;
}

hr_status hr__field_find(const char *line, size_t n, const char *name, const char **val,
                         size_t *vlen) {
    if (!line || !name || !val || !vlen)
        return HR_EINVAL;
    size_t nlen = strlen(name);
    const char *end = line + n;
    const char *p = line;
    while (p < end) {
        while (p < end && is_blank(*p))
            p++;
        const char *f = p;
        while (p < end && !is_blank(*p))
            p++;
        size_t flen = (size_t)(p - f);
        if (flen > nlen && memcmp(f, name, nlen) == 0 && f[nlen] == '=') {
            *val = f + nlen + 1;
            *vlen = flen - nlen - 1;
            return HR_OK;
        }
    }
    return HR_ENOENT;
}

void hr__copy_line(char *dst, size_t cap, const char *buf, size_t n) {
    if (!dst || cap == 0)
        return;
    const char *e = memchr(buf, '\n', n);
    size_t len = e ? (size_t)(e - buf) : n;
    trim(&buf, &len);
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, buf, len);
    dst[len] = '\0';
}

/* step_line.c: the step protocol parser (step_line.h). */
#include "run/step_line.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t'; }

static hr_status malformed(char *why, size_t cap, size_t tok, const char *what) {
    if (why && cap)
        snprintf(why, cap, "token %zu: %s", tok, what);
    return HR_EPARSE;
}

/* A reserved key's value: step must be an integer >= 0; units and dt >= 0. */
static const char *reserved(hr__step_line *out, const char *name, double v) {
    if (strcmp(name, "step") == 0) {
        if (out->has_step)
            return "'step' given twice";
        if (!isfinite(v) || v < 0 || v > 9.0e15 || v != floor(v))
            return "'step' must be a whole number >= 0";
        out->has_step = 1;
        out->step = (int64_t)v;
        return "";
    }
    if (strcmp(name, "units") == 0) {
        if (out->has_units)
            return "'units' given twice";
        if (!isfinite(v) || v < 0)
            return "'units' must be a number >= 0";
        out->has_units = 1;
        out->units = v;
        return "";
    }
    if (strcmp(name, "dt") == 0) {
        if (!isfinite(v) || v < 0)
            return "'dt' must be seconds >= 0";
        out->has_dt = 1;
        out->dt_s = v;
    }
    return NULL;
}

/* Adds NAME=V as a named number. Returns NULL or why not. */
static const char *add_value(hr__step_line *out, const char *name, double v) {
    if (isinf(v))
        return "value is infinite";
    for (size_t i = 0; i < out->nvalues; i++)
        if (strcmp(out->names[i], name) == 0)
            return "name given twice";
    if (out->nvalues >= HR__STEP_MAX_VALUES)
        return "too many values (32 at most)";
    memcpy(out->names[out->nvalues], name, strlen(name) + 1);
    out->values[out->nvalues++] = v;
    return NULL;
}

/* One NAME=NUMBER token [b, e). */
static hr_status token(hr__step_line *out, const char *b, const char *e, size_t tok, char *why,
                       size_t cap) {
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (!eq)
        return malformed(why, cap, tok, "no '='");
    char name[HR__NAME_MAX + 2];
    size_t nl = (size_t)(eq - b);
    if (nl == 0 || nl > HR__NAME_MAX)
        return malformed(why, cap, tok, "bad name length");
    memcpy(name, b, nl);
    name[nl] = '\0';
    if (!hr__name_ok(name))
        return malformed(why, cap, tok, "bad name");
    double v = 0;
    size_t vl = (size_t)(e - eq - 1);
    if (vl == 0 || hr__num_parse(eq + 1, vl, &v) != vl)
        return malformed(why, cap, tok, "value is not a number");
    const char *r = reserved(out, name, v);
    if (r && *r)
        return malformed(why, cap, tok, r);
    if (r)
        return HR_OK; /* step or units: not a named value */
    const char *a = add_value(out, name, v);
    return a ? malformed(why, cap, tok, a) : HR_OK;
}

hr_status hr__step_line_parse(const char *s, size_t n, hr__step_line *out, char *why, size_t cap) {
    if (why && cap)
        why[0] = '\0';
    if (!out)
        return HR_EPARSE;
    memset(out, 0, sizeof *out);
    out->units = 1.0;
    if (!s)
        return HR_ENOENT;
    if (n && s[n - 1] == '\r')
        n--;
    if (n > HR__STEP_LINE_MAX)
        return malformed(why, cap, 0, "line too long");
    size_t tok = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && is_space(s[i]))
            i++;
        if (i == n)
            break;
        size_t b = i;
        while (i < n && !is_space(s[i]))
            i++;
        hr_status st = token(out, s + b, s + i, ++tok, why, cap);
        if (st != HR_OK)
            return st;
    }
    return tok ? HR_OK : HR_ENOENT;
}

void hr__linebuf_feed(hr__linebuf *lb, const char *data, size_t n, hr__line_fn emit, void *user) {
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(data + i, '\n', n - i);
        size_t chunk = nl ? (size_t)(nl - (data + i)) : n - i;
        if (!lb->overflow && lb->len + chunk <= sizeof lb->buf) {
            memcpy(lb->buf + lb->len, data + i, chunk);
            lb->len += chunk;
        } else if (!lb->overflow) {
            lb->overflow = 1;
            emit(user, NULL, 0);
        }
        i += chunk;
        if (nl) {
            if (!lb->overflow)
                emit(user, lb->buf, lb->len);
            lb->len = 0;
            lb->overflow = 0;
            i++;
        }
    }
}

void hr__linebuf_flush(hr__linebuf *lb, hr__line_fn emit, void *user) {
    if (lb->len && !lb->overflow)
        emit(user, lb->buf, lb->len);
    lb->len = 0;
    lb->overflow = 0;
}

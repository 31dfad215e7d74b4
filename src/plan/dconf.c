/* dconf.c: the diffusion configuration handle: a private copy of the
 * constant defaults, each value with its origin, and the explanation of
 * every layer applied. Pure. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/dconf.h"

#define EXPLAIN_MAX 4096

hr_status hr_plan_dconf_new(hr_plan_dconf **out) {
    if (!out)
        return HR_EINVAL;
    *out = NULL;
    hr_plan_dconf *c = calloc(1, sizeof *c);
    if (!c)
        return HR_ENOMEM;
    c->val = calloc(hr__dc_ndefs, sizeof *c->val);
    c->origin = calloc(hr__dc_ndefs, sizeof *c->origin);
    if (!c->val || !c->origin) {
        hr_plan_dconf_free(c);
        return HR_ENOMEM;
    }
    for (size_t i = 0; i < hr__dc_ndefs; i++) {
        c->val[i].num = hr__dc_defs[i].num;
        c->val[i].w = hr__dc_defs[i].w;
        c->val[i].h = hr__dc_defs[i].h;
        hr__strlcpy(c->origin[i], "default", HR__DC_ORIGIN_CAP);
    }
    if (hr__dconf_explain(c, "defaults: seed 002's code tables (DiffusionAPI memory_config.py "
                             "@82b5ea1), %zu settings", hr__dc_ndefs) != HR_OK) {
        hr_plan_dconf_free(c);
        return HR_ENOMEM;
    }
    *out = c;
    return HR_OK;
}

void hr_plan_dconf_free(hr_plan_dconf *c) {
    if (!c)
        return;
    for (size_t i = 0; i < c->nexplain; i++)
        free(c->explain[i]);
    free(c->explain);
    free(c->val);
    free(c->origin);
    free(c);
}

int hr__dconf_find(const char *path) {
    for (size_t i = 0; i < hr__dc_ndefs; i++)
        if (strcmp(hr__dc_defs[i].path, path) == 0)
            return (int)i;
    return -1;
}

const hr__dc_val *hr__dconf_get(const hr_plan_dconf *c, const char *path) {
    int i = hr__dconf_find(path);
    return i < 0 ? NULL : &c->val[i];
}

const char *hr__dconf_origin(const hr_plan_dconf *c, const char *path) {
    int i = hr__dconf_find(path);
    return i < 0 ? "" : c->origin[i];
}

int hr__dconf_user_set(const hr_plan_dconf *c, const char *path) {
    return strcmp(hr__dconf_origin(c, path), "default") != 0;
}

void hr__dconf_fmt(char *buf, size_t cap, hr__dc_type t, const hr__dc_val *v) {
    switch (t) {
    case HR__DC_BOOL: hr__snprintf(buf, cap, "%s", v->num != 0 ? "true" : "false"); break;
    case HR__DC_INT: hr__snprintf(buf, cap, "%lld", (long long)v->num); break;
    case HR__DC_WH: hr__snprintf(buf, cap, "%dx%d", v->w, v->h); break;
    case HR__DC_DTYPE: hr__snprintf(buf, cap, "%s", hr_plan_dtype_name((int)v->num)); break;
    default: hr__snprintf(buf, cap, "%g", v->num); break;
    }
}

/* A plain decimal "12" or "5.5" (no sign, exponent or blanks). */
static int parse_number(const char *s, double *out) {
    size_t digits = 0, dots = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && dots == 0 && p != s && p[1])
            dots++;
        else
            return 0;
    }
    if (digits == 0 || digits > 15)
        return 0;
    *out = strtod(s, NULL);
    return isfinite(*out);
}

hr_status hr__dconf_parse(size_t i, const char *text, hr__dc_val *out, hr_plan_error *err) {
    const hr__dc_def *d = &hr__dc_defs[i];
    int64_t n = 0;
    int32_t dt = 0;
    memset(out, 0, sizeof *out);
    switch (d->type) {
    case HR__DC_BOOL:
        if (hr__plan_ieq(text, "true") || strcmp(text, "1") == 0)
            out->num = 1;
        else if (!hr__plan_ieq(text, "false") && strcmp(text, "0") != 0)
            return hr__plan_fail(err, HR_EINVAL, NULL, "use true, false, 1 or 0",
                                 "'%s' is not a boolean", text);
        break;
    case HR__DC_INT:
        if (!hr__plan_parse_int(text, 0, 1 << 30, &n))
            return hr__plan_fail(err, HR_EINVAL, NULL, "give a whole number",
                                 "'%s' is not a whole number", text);
        out->num = (double)n;
        break;
    case HR__DC_GB:
    case HR__DC_REAL:
        if (!parse_number(text, &out->num))
            return hr__plan_fail(err, HR_EINVAL, NULL, "give a number such as 12 or 5.5",
                                 "'%s' is not a number", text);
        break;
    case HR__DC_WH:
        return hr_plan_parse_image_size(text, &out->w, &out->h, err);
    case HR__DC_DTYPE:
        if (hr_plan_parse_dtype(text, &dt, NULL) != HR_OK || dt == HR_DTYPE_INT8 ||
            dt == HR_DTYPE_INT4)
            return hr__plan_fail(err, HR_EINVAL, NULL, "use float16, bfloat16 or float32",
                                 "'%s' is not a pipeline dtype", text);
        out->num = dt;
        break;
    }
    return HR_OK;
}

hr_status hr__dconf_check(size_t i, const hr__dc_val *v, hr_plan_error *err) {
    const hr__dc_def *d = &hr__dc_defs[i];
    if (d->type == HR__DC_WH) {
        if (v->w < d->min || v->w > d->max || v->h < d->min || v->h > d->max)
            return hr__plan_fail(err, HR_EINVAL, NULL, "use sides from 64 to 16384 pixels",
                                 "%dx%d is out of range", v->w, v->h);
        if (v->w % 8 || v->h % 8)
            return hr__plan_fail(err, HR_EINVAL, NULL, "diffusion sizes are multiples of 8",
                                 "%dx%d is not a multiple of 8", v->w, v->h);
        return HR_OK;
    }
    if ((d->type == HR__DC_INT || d->type == HR__DC_GB || d->type == HR__DC_REAL) &&
        (v->num < d->min || v->num > d->max)) {
        char hint[96];
        hr__snprintf(hint, sizeof hint, "use %g to %g", d->min, d->max);
        return hr__plan_fail(err, HR_EINVAL, NULL, hint, "%g is out of range", v->num);
    }
    return HR_OK;
}

hr_status hr__dconf_explain(hr_plan_dconf *c, const char *fmt, ...) {
    if (c->nexplain >= EXPLAIN_MAX)
        return HR_OK;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(line, sizeof line, fmt, ap) < 0)
        line[0] = '\0';
    va_end(ap);
    hr_status s = hr__grow((void **)&c->explain, sizeof *c->explain, c->nexplain, &c->explain_cap);
    if (s != HR_OK)
        return s;
    if (!(c->explain[c->nexplain] = strdup(line)))
        return HR_ENOMEM;
    c->nexplain++;
    return HR_OK;
}

hr_status hr__dconf_store(hr_plan_dconf *c, size_t i, const hr__dc_val *v, const char *origin,
                          const char *layer) {
    char was[48], now[48];
    hr__dconf_fmt(was, sizeof was, hr__dc_defs[i].type, &c->val[i]);
    hr__dconf_fmt(now, sizeof now, hr__dc_defs[i].type, v);
    hr_status s = hr__dconf_explain(c, "%s: %s = %s (was %s from %s)", layer, hr__dc_defs[i].path,
                                    now, was, c->origin[i]);
    c->val[i] = *v;
    hr__strlcpy_tail(c->origin[i], origin, HR__DC_ORIGIN_CAP);
    return s;
}

hr_status hr__dconf_snap(const hr_plan_dconf *c, hr__dc_snap *s) {
    s->val = malloc(hr__dc_ndefs * sizeof *s->val);
    s->origin = malloc(hr__dc_ndefs * sizeof *s->origin);
    s->nexplain = c->nexplain;
    if (!s->val || !s->origin) {
        hr__dconf_snap_free(s);
        return HR_ENOMEM;
    }
    memcpy(s->val, c->val, hr__dc_ndefs * sizeof *s->val);
    memcpy(s->origin, c->origin, hr__dc_ndefs * sizeof *s->origin);
    return HR_OK;
}

void hr__dconf_restore(hr_plan_dconf *c, hr__dc_snap *s) {
    memcpy(c->val, s->val, hr__dc_ndefs * sizeof *s->val);
    memcpy(c->origin, s->origin, hr__dc_ndefs * sizeof *s->origin);
    while (c->nexplain > s->nexplain)
        free(c->explain[--c->nexplain]);
}

void hr__dconf_snap_free(hr__dc_snap *s) {
    free(s->val);
    free(s->origin);
    s->val = NULL;
    s->origin = NULL;
}

size_t hr_plan_dconf_explain_count(const hr_plan_dconf *c) { return c ? c->nexplain : 0; }

const char *hr_plan_dconf_explain_line(const hr_plan_dconf *c, size_t i) {
    return c && i < c->nexplain ? c->explain[i] : "";
}

/* test_prom_text_check.h: our own checker of the Prometheus text format
 * 0.0.4, for what promtool 2.42 does not catch (docs/measurements.md A.3):
 * duplicate series, families split into non-adjacent groups, samples
 * without HELP and TYPE, and the rest of the grammar we rely on (names,
 * escaped label values, float values, the final newline, counters ending
 * in _total). prom_check returns NULL when TEXT is clean, else a message
 * (static buffer) naming the first problem and its line. */
#ifndef HR_TESTS_UNIT_TEST_PROM_TEXT_CHECK_H
#define HR_TESTS_UNIT_TEST_PROM_TEXT_CHECK_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PC_MAX_FAMILIES 512
#define PC_MAX_SERIES 8192

typedef struct pc_family {
    char name[128];
    int help, type;
    char type_name[16];
    int closed; /* another family's line came after its lines */
} pc_family;

typedef struct pc_state {
    pc_family fam[PC_MAX_FAMILIES];
    int nfam;
    int current; /* index of the family of the latest line, -1 */
    char *series[PC_MAX_SERIES];
    int nseries;
    int samples;
    char msg[512];
} pc_state;

static int pc_name_ok(const char *s, size_t n, int colon) {
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = isalpha(c) || c == '_' || (colon && c == ':') || (i > 0 && isdigit(c));
        if (!ok)
            return 0;
    }
    return 1;
}

/* The family a sample name belongs to: counters' samples carry the family
 * name itself here (we write no histograms or summaries). */
static int pc_find(pc_state *st, const char *name, size_t n) {
    for (int i = 0; i < st->nfam; i++)
        if (strlen(st->fam[i].name) == n && strncmp(st->fam[i].name, name, n) == 0)
            return i;
    return -1;
}

static int pc_enter(pc_state *st, const char *name, size_t n, int line) {
    int i = pc_find(st, name, n);
    if (i < 0) {
        if (st->nfam >= PC_MAX_FAMILIES || n >= sizeof st->fam[0].name)
            return -2;
        i = st->nfam++;
        memset(&st->fam[i], 0, sizeof st->fam[i]);
        memcpy(st->fam[i].name, name, n);
    }
    if (st->current >= 0 && st->current != i)
        st->fam[st->current].closed = 1;
    if (st->fam[i].closed) {
        snprintf(st->msg, sizeof st->msg, "line %d: family %s is split into two groups", line,
                 st->fam[i].name);
        return -1;
    }
    st->current = i;
    return i;
}

/* Parses {a="x",b="y"} at *P into a canonical "a=x\x01b=y" (sorted is not
 * needed: we compare our own output, whose label order is fixed per
 * family). Returns 0 or -1. */
static int pc_labels(const char **p, char *canon, size_t cap, int line, pc_state *st) {
    const char *s = *p;
    size_t o = 0;
    canon[0] = '\0';
    if (*s != '{')
        return 0;
    s++;
    while (*s && *s != '}') {
        const char *n0 = s;
        while (*s && *s != '=')
            s++;
        if (!pc_name_ok(n0, (size_t)(s - n0), 0) || s[0] != '=' || s[1] != '"') {
            snprintf(st->msg, sizeof st->msg, "line %d: bad label name or missing '=\"'", line);
            return -1;
        }
        o += (size_t)snprintf(canon + o, cap - o, "%.*s=", (int)(s - n0), n0);
        s += 2;
        while (*s && *s != '"') {
            if (*s == '\n') {
                snprintf(st->msg, sizeof st->msg, "line %d: raw newline in a label value", line);
                return -1;
            }
            if (*s == '\\') {
                if (s[1] != '\\' && s[1] != '"' && s[1] != 'n') {
                    snprintf(st->msg, sizeof st->msg, "line %d: bad escape \\%c", line, s[1]);
                    return -1;
                }
                s++;
            }
            if (o + 2 < cap)
                canon[o++] = *s;
            s++;
        }
        if (*s != '"') {
            snprintf(st->msg, sizeof st->msg, "line %d: unterminated label value", line);
            return -1;
        }
        s++;
        if (o + 2 < cap)
            canon[o++] = '\x01';
        canon[o] = '\0';
        if (*s == ',')
            s++;
        else if (*s != '}') {
            snprintf(st->msg, sizeof st->msg, "line %d: expected ',' or '}'", line);
            return -1;
        }
    }
    if (*s != '}') {
        snprintf(st->msg, sizeof st->msg, "line %d: unterminated label set", line);
        return -1;
    }
    *p = s + 1;
    return 0;
}

static int pc_value_ok(const char *v) {
    if (!strcmp(v, "NaN") || !strcmp(v, "+Inf") || !strcmp(v, "-Inf"))
        return 1;
    char *end = NULL;
    strtod(v, &end);
    return end != v && *end == '\0';
}

static int pc_comment(pc_state *st, const char *l, int line) {
    int help = strncmp(l, "# HELP ", 7) == 0, type = strncmp(l, "# TYPE ", 7) == 0;
    if (!help && !type)
        return 0; /* a plain comment */
    const char *n0 = l + 7, *n1 = n0;
    while (*n1 && *n1 != ' ')
        n1++;
    if (!pc_name_ok(n0, (size_t)(n1 - n0), 1) || *n1 != ' ' || !n1[1]) {
        snprintf(st->msg, sizeof st->msg, "line %d: bad HELP/TYPE line", line);
        return -1;
    }
    int i = pc_enter(st, n0, (size_t)(n1 - n0), line);
    if (i < 0)
        return -1;
    pc_family *f = &st->fam[i];
    if ((help && f->help) || (type && f->type)) {
        snprintf(st->msg, sizeof st->msg, "line %d: second %s for %s", line, help ? "HELP" : "TYPE",
                 f->name);
        return -1;
    }
    if (type) {
        const char *t = n1 + 1;
        if (strcmp(t, "gauge") && strcmp(t, "counter") && strcmp(t, "untyped") &&
            strcmp(t, "histogram") && strcmp(t, "summary")) {
            snprintf(st->msg, sizeof st->msg, "line %d: unknown type %s", line, t);
            return -1;
        }
        snprintf(f->type_name, sizeof f->type_name, "%s", t);
        f->type = 1;
    } else {
        f->help = 1;
    }
    return 0;
}

static int pc_sample(pc_state *st, const char *l, int line) {
    const char *p = l;
    while (*p && *p != '{' && *p != ' ')
        p++;
    if (!pc_name_ok(l, (size_t)(p - l), 1)) {
        snprintf(st->msg, sizeof st->msg, "line %d: bad metric name", line);
        return -1;
    }
    int i = pc_enter(st, l, (size_t)(p - l), line);
    if (i < 0)
        return -1;
    pc_family *f = &st->fam[i];
    if (!f->help || !f->type) {
        snprintf(st->msg, sizeof st->msg, "line %d: sample of %s before its HELP and TYPE", line,
                 f->name);
        return -1;
    }
    if (!strcmp(f->type_name, "counter")) {
        size_t n = strlen(f->name);
        if (n < 6 || strcmp(f->name + n - 6, "_total") != 0) {
            snprintf(st->msg, sizeof st->msg, "line %d: counter %s does not end in _total", line,
                     f->name);
            return -1;
        }
    }
    char canon[2048];
    if (pc_labels(&p, canon, sizeof canon, line, st) != 0)
        return -1;
    if (*p != ' ' || !p[1]) {
        snprintf(st->msg, sizeof st->msg, "line %d: no value", line);
        return -1;
    }
    p++;
    char value[64];
    size_t vn = strcspn(p, " ");
    if (vn >= sizeof value || p[vn] == ' ') {
        snprintf(st->msg, sizeof st->msg, "line %d: bad value or unexpected timestamp", line);
        return -1;
    }
    memcpy(value, p, vn);
    value[vn] = '\0';
    if (!pc_value_ok(value)) {
        snprintf(st->msg, sizeof st->msg, "line %d: '%s' is not a float", line, value);
        return -1;
    }
    char key[2300];
    snprintf(key, sizeof key, "%s\x02%s", f->name, canon);
    for (int k = 0; k < st->nseries; k++)
        if (!strcmp(st->series[k], key)) {
            snprintf(st->msg, sizeof st->msg, "line %d: duplicate series %s", line, l);
            return -1;
        }
    if (st->nseries < PC_MAX_SERIES)
        st->series[st->nseries++] = strdup(key);
    st->samples++;
    return 0;
}

/* Checks TEXT; returns NULL when clean, else a message. *SAMPLES (may be
 * NULL) gets the sample count. */
static const char *prom_check(const char *text, int *samples) {
    static pc_state st;
    for (int k = 0; k < st.nseries; k++)
        free(st.series[k]);
    memset(&st, 0, sizeof st);
    st.current = -1;
    size_t n = strlen(text);
    const char *res = NULL;
    if (n == 0 || text[n - 1] != '\n') {
        snprintf(st.msg, sizeof st.msg, "the text does not end with a newline");
        return st.msg;
    }
    int line = 0;
    for (const char *l = text; *l && !res;) {
        const char *e = strchr(l, '\n');
        char buf[4096];
        size_t len = (size_t)(e - l);
        line++;
        if (len >= sizeof buf) {
            snprintf(st.msg, sizeof st.msg, "line %d: too long", line);
            return st.msg;
        }
        memcpy(buf, l, len);
        buf[len] = '\0';
        int rc = len == 0        ? 0
                 : buf[0] == '#' ? pc_comment(&st, buf, line)
                                 : pc_sample(&st, buf, line);
        if (rc != 0)
            res = st.msg;
        l = e + 1;
    }
    if (samples)
        *samples = st.samples;
    return res;
}

/* 1 when TEXT has a line starting with PREFIX. */
static int prom_has(const char *text, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *l = text; l && *l;) {
        if (strncmp(l, prefix, n) == 0)
            return 1;
        l = strchr(l, '\n');
        if (l)
            l++;
    }
    return 0;
}

#endif /* HR_TESTS_UNIT_TEST_PROM_TEXT_CHECK_H */

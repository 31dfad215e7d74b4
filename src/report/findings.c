/* findings.c: building findings (a title, evidence lines, advice) and
 * ordering them; the checks themselves are in diagnose*.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/diagnose.h"

const char *hr__severity_name(int sev) {
    switch (sev) {
    case HR__SEV_CRITICAL: return "critical";
    case HR__SEV_WARNING: return "warning";
    default: return "info";
    }
}

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap) {
    char buf[768];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return hr__utf8_dup(buf);
}

hr__mfinding *hr__finding_new(hr__rmodel *m, const char *id, int severity, const char *fmt, ...) {
    hr__mfinding *nf = realloc(m->find, (m->nfind + 1) * sizeof *nf);
    if (!nf)
        return NULL;
    m->find = nf;
    hr__mfinding *f = &m->find[m->nfind];
    memset(f, 0, sizeof *f);
    hr__strlcpy(f->id, id, sizeof f->id);
    f->severity = severity;
    va_list ap;
    va_start(ap, fmt);
    f->title = vformat(fmt, ap);
    va_end(ap);
    if (!f->title)
        return NULL;
    m->nfind++;
    return f;
}

static hr_status push(char ***v, size_t *n, char *s) {
    if (!s)
        return HR_ENOMEM;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) {
        free(s);
        return HR_ENOMEM;
    }
    *v = nv;
    nv[(*n)++] = s;
    return HR_OK;
}

hr_status hr__evidence(hr__mfinding *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return push(&f->evidence, &f->nev, s);
}

hr_status hr__advice(hr__mfinding *f, const char *text) {
    return push(&f->advice, &f->nadv, hr__utf8_dup(text));
}

hr_status hr__finding_drop_if_empty(hr__rmodel *m) {
    if (m->nfind && m->find[m->nfind - 1].nev == 0) {
        hr__mfinding *f = &m->find[--m->nfind];
        free(f->title);
        for (size_t i = 0; i < f->nadv; i++)
            free(f->advice[i]);
        free(f->advice);
        free(f->evidence);
    }
    return HR_OK;
}

/* Most severe first; equal severities keep the order they were found in. */
void hr__findings_sort(hr__rmodel *m) {
    for (size_t i = 1; i < m->nfind; i++) {
        hr__mfinding f = m->find[i];
        size_t j = i;
        while (j > 0 && m->find[j - 1].severity < f.severity) {
            m->find[j] = m->find[j - 1];
            j--;
        }
        m->find[j] = f;
    }
}

double hr__share_where(const double *v, const double *w, size_t n, double lo, double *known) {
    double on = 0, all = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != v[i])
            continue;
        double wt = w ? w[i] : 1.0;
        all += wt;
        if (v[i] >= lo)
            on += wt;
    }
    if (known)
        *known = all;
    return all > 0 ? on / all : -1.0;
}

/* correlate.c: the job's numbers against the telemetry on the shared
 * timeline. Each step (or row of a joined log) takes the latest tick at or
 * before its time, at most `tolerance` older (an as-of join, as pandas'
 * merge_asof(direction="backward") that seed 004 used); a value missing on
 * that tick drops the pair. Pearson and Spearman come with n and a 95 %
 * interval. The four scatter plots keep every joined pair. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

/* One series of numbers per step or log row. */
typedef struct rowser {
    char name[96];
    const hr__rsteps *rows;
    const double *v;
} rowser;

/* The telemetry the steps are compared with. */
static const char *const target_metrics[] = {"rle", "temp", "power", "util", "clock_sm"};

static int is_main_component(const char *c) {
    return strcmp(c, "cpu") == 0 || (strncmp(c, "gpu", 3) == 0 && isdigit((unsigned char)c[3]));
}

/* Values of channel C as seen by each row of R (NaN when no tick within TOL). */
static double *join(const hr__rdata *d, const hr__rsteps *r, const hr__rchan *c, int64_t tol) {
    double *out = malloc((r->n ? r->n : 1) * sizeof *out);
    if (!out)
        return NULL;
    for (size_t i = 0; i < r->n; i++) {
        size_t k = hr__asof(d->t_ns, d->nticks, r->t_ns[i], tol);
        out[i] = k == (size_t)-1 ? NAN : c->v[k];
    }
    return out;
}

static size_t collect_series(const hr__rdata *d, const hr__rmodel *m, rowser *out, size_t cap) {
    size_t n = 0;
    if (d->steps.n && m->steps.timed && n < cap) {
        hr__snprintf(out[n].name, sizeof out[n].name, "%s",
                     m->steps.per_unit ? "step time (s/unit)" : "step time (s/step)");
        out[n].rows = &d->steps;
        out[n++].v = m->steps.spu;
    }
    for (size_t f = 0; f < d->steps.nfields && n < cap; f++) {
        hr__strlcpy(out[n].name, d->steps.fields[f].name, sizeof out[n].name);
        out[n].rows = &d->steps;
        out[n++].v = d->steps.fields[f].v;
    }
    for (size_t f = 0; f < d->ext.nfields && n < cap; f++) {
        hr__snprintf(out[n].name, sizeof out[n].name, "log:%s", d->ext.fields[f].name);
        out[n].rows = &d->ext;
        out[n++].v = d->ext.fields[f].v;
    }
    return n;
}

static hr_status add_pair(hr__rmodel *m, const char *x, const char *y, const double *xv,
                          const double *yv, size_t n) {
    hr__corr p, s;
    hr__pearson(xv, yv, n, &p);
    if (p.n < 3 || !isfinite(p.r)) /* too few pairs, or a constant side */
        return HR_OK;
    hr__spearman(xv, yv, n, &s);
    hr__mcorr *nc = realloc(m->corr, (m->ncorr + 1) * sizeof *nc);
    if (!nc)
        return HR_ENOMEM;
    m->corr = nc;
    hr__mcorr *c = &m->corr[m->ncorr++];
    memset(c, 0, sizeof *c);
    hr__utf8_copy(c->x, x, sizeof c->x);
    hr__utf8_copy(c->y, y, sizeof c->y);
    c->p = p;
    c->s = s;
    return HR_OK;
}

static hr_status pairs(const hr__rdata *d, hr__rmodel *m, const rowser *ser, size_t nser,
                       int64_t tol) {
    for (size_t c = 0; c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        int wanted = 0;
        for (size_t k = 0; k < sizeof target_metrics / sizeof target_metrics[0]; k++)
            wanted |= strcmp(ch->metric, target_metrics[k]) == 0;
        if (!wanted || !ch->nknown || !is_main_component(ch->component))
            continue;
        char y[96];
        hr__snprintf(y, sizeof y, "%s/%s", ch->component, ch->metric);
        double *js = NULL, *je = NULL;
        for (size_t s = 0; s < nser; s++) {
            double **slot = ser[s].rows == &d->steps ? &js : &je;
            if (!*slot && !(*slot = join(d, ser[s].rows, ch, tol))) {
                free(js);
                free(je);
                return HR_ENOMEM;
            }
            hr_status st = add_pair(m, ser[s].name, y, ser[s].v, *slot, ser[s].rows->n);
            if (st != HR_OK) {
                free(js);
                free(je);
                return st;
            }
        }
        free(js);
        free(je);
    }
    return HR_OK;
}

/* --- scatter plots --- */

static int lower_contains(const char *s, const char *part) {
    char buf[96];
    size_t i = 0;
    for (; s[i] && i + 1 < sizeof buf; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[i] = '\0';
    return strstr(buf, part) != NULL;
}

static int is_grad_norm(const char *n) {
    return lower_contains(n, "grad") && lower_contains(n, "norm");
}

static int is_loss(const char *n) {
    const char *base = strncmp(n, "log:", 4) == 0 ? n + 4 : n;
    size_t k = strlen(base);
    return strcmp(base, "loss") == 0 || (k > 4 && strcmp(base + k - 4, "loss") == 0);
}

static const rowser *find_series(const rowser *ser, size_t n, int (*pred)(const char *)) {
    for (size_t i = 0; i < n; i++)
        if (pred(ser[i].name))
            return &ser[i];
    return NULL;
}

/* Adds series NAME with the finite pairs of X and Y to SC. */
static hr_status scatter_series(hr__mscatter *sc, const char *name, const double *x,
                                const double *y, size_t n) {
    if (sc->ns >= HR__SCATTER_SERIES)
        return HR_OK;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += isfinite(x[i]) && isfinite(y[i]) ? 1u : 0u;
    if (!k)
        return HR_OK;
    double *ox = malloc(k * sizeof *ox), *oy = malloc(k * sizeof *oy);
    if (!ox || !oy) {
        free(ox);
        free(oy);
        return HR_ENOMEM;
    }
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) {
            ox[k] = x[i];
            oy[k++] = y[i];
        }
    hr__strlcpy(sc->s[sc->ns].name, name, sizeof sc->s[sc->ns].name);
    sc->s[sc->ns].n = k;
    sc->s[sc->ns].x = ox;
    sc->s[sc->ns].y = oy;
    sc->ns++;
    return HR_OK;
}

typedef struct scatter_spec {
    const char *id, *title;
    const rowser *field; /* the step side */
    const char *metric;  /* the telemetry side */
    int field_on_x;      /* 1: x = the step number, y = the telemetry */
} scatter_spec;

static hr_status scatter(const hr__rdata *d, hr__rmodel *m, const scatter_spec *sp, int64_t tol) {
    if (!sp->field)
        return HR_OK;
    hr__mscatter *sc = &m->scat[m->nscat];
    memset(sc, 0, sizeof *sc);
    hr__strlcpy(sc->id, sp->id, sizeof sc->id);
    hr__strlcpy(sc->title, sp->title, sizeof sc->title);
    const char *unit = strcmp(sp->metric, "temp") == 0 ? " (\xc2\xb0"
                                                         "C)"
                                                       : "";
    char tele[96];
    hr__snprintf(tele, sizeof tele, "%s%s", strcmp(sp->metric, "rle") == 0 ? "RLE" : "temperature",
                 unit);
    hr__strlcpy(sp->field_on_x ? sc->xlabel : sc->ylabel, sp->field->name, sizeof sc->xlabel);
    hr__strlcpy(sp->field_on_x ? sc->ylabel : sc->xlabel, tele, sizeof sc->xlabel);
    /* GPUs first, then the CPU: every plot gives a component the same colour. */
    for (size_t k = 0; k < 2 * d->nch; k++) {
        const hr__rchan *ch = &d->ch[k % d->nch];
        int gpu = strncmp(ch->component, "gpu", 3) == 0;
        if ((k < d->nch) != gpu || strcmp(ch->metric, sp->metric) != 0 || !ch->nknown ||
            !is_main_component(ch->component))
            continue;
        double *j = join(d, sp->field->rows, ch, tol);
        if (!j)
            return HR_ENOMEM;
        const double *f = sp->field->v;
        size_t n = sp->field->rows->n;
        hr_status st = sp->field_on_x ? scatter_series(sc, ch->component, f, j, n)
                                      : scatter_series(sc, ch->component, j, f, n);
        free(j);
        if (st != HR_OK)
            return st;
    }
    if (sc->ns)
        m->nscat++;
    return HR_OK;
}

static int is_step_time(const char *n) { return strncmp(n, "step time", 9) == 0; }

hr_status hr__an_correlate(const hr__rdata *d, const hr_report_options *opt, hr__rmodel *m) {
    double tol = opt->tolerance_s > 0 ? opt->tolerance_s : 2.0 * m->tick_s;
    if (!(opt->tolerance_s > 0) && tol < 1.0)
        tol = 1.0;
    m->tolerance_s = tol;
    int64_t tol_ns = (int64_t)llround(tol * 1e9);
    rowser ser[256];
    size_t nser = collect_series(d, m, ser, sizeof ser / sizeof ser[0]);
    if (!nser)
        return HR_OK;
    hr_status st = pairs(d, m, ser, nser, tol_ns);
    const rowser *gn = find_series(ser, nser, is_grad_norm);
    const rowser *loss = find_series(ser, nser, is_loss);
    const rowser *stime = find_series(ser, nser, is_step_time);
    const scatter_spec specs[] = {
        {"grad_norm_rle", "grad_norm vs RLE", gn, "rle", 0},
        {"loss_rle", "loss vs RLE", loss, "rle", 0},
        {"temp_grad_norm", "temperature vs grad_norm", gn, "temp", 1},
        {"step_time_temp", "step time vs temperature", stime, "temp", 0},
    };
    for (size_t i = 0; st == HR_OK && i < sizeof specs / sizeof specs[0]; i++)
        st = scatter(d, m, &specs[i], tol_ns);
    if (st == HR_OK && !m->ncorr)
        st = hr__note(m,
                      "no correlation: no step or log row fell within %.3g s after a tick with "
                      "telemetry",
                      tol);
    return st;
}

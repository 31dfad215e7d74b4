/* html_data.c: the chart data of the HTML report, as one JSON object the
 * page's script reads (docs/REPORT.md, "HTML"): the shared time axis, the
 * shaded intervals (cooling breaks, throttling, collapses), the time series
 * per component, the step times and the scatter plots. Long series are cut
 * into min/max buckets (peaks kept) for drawing only. The text is safe
 * inside a <script> element: '<', '>' and '&' are written as \u escapes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

#define MAX_SERIES_PER_CHART 12
#define MAX_BANDS 4000
#define MAX_SCATTER_POINTS 1500

/* --- JSON pieces --- */

static void jstr(hr__sb *b, const char *s) {
    hr__sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            hr__sb_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' || *p == 0x7f)
            hr__sb_printf(b, "\\u%04x", *p);
        else if (*p == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            hr__sb_printf(b, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
            p += 2;
        } else
            hr__sb_put(b, (const char *)p, 1);
    }
    hr__sb_puts(b, "\"");
}

static void jnum(hr__sb *b, double v) {
    if (!isfinite(v)) {
        hr__sb_puts(b, "null");
        return;
    }
    char buf[40];
    int n = snprintf(buf, sizeof buf, "%.5g", v);
    if (n > 0)
        hr__sb_put(b, buf, (size_t)n);
}

static void jarr(hr__sb *b, const double *v, size_t n) {
    hr__sb_puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            hr__sb_puts(b, ",");
        jnum(b, v[i]);
    }
    hr__sb_puts(b, "]");
}

/* --- bands --- */

typedef struct bandset {
    hr__sb *b;
    size_t n;
} bandset;

static void band(bandset *bs, const char *kind, double from, double to, const char *component,
                 const char *label) {
    if (bs->n >= MAX_BANDS || !(to >= from))
        return;
    hr__sb_puts(bs->b, bs->n ? ",{\"kind\":" : "{\"kind\":");
    jstr(bs->b, kind);
    hr__sb_puts(bs->b, ",\"from\":");
    jnum(bs->b, from);
    hr__sb_puts(bs->b, ",\"to\":");
    jnum(bs->b, to);
    hr__sb_puts(bs->b, ",\"component\":");
    jstr(bs->b, component);
    hr__sb_puts(bs->b, ",\"label\":");
    jstr(bs->b, label);
    hr__sb_puts(bs->b, "}");
    bs->n++;
}

static void event_bands(const hr_report *r, bandset *bs) {
    const hr__rdata *d = &r->d;
    double end = r->m.duration_s;
    for (size_t i = 0; i < d->nev; i++) {
        const hr__revent *e = &d->ev[i];
        const char *kind = hr__is_cooling_kind(e->kind)       ? "cooling"
                           : hr__is_throttle_kind(e->kind)    ? "throttle"
                           : hr__is_collapse_kind(e->kind)    ? "collapse"
                           : strcmp(e->kind, "slowdown") == 0 ? "slowdown"
                                                              : NULL;
        if (!kind)
            continue;
        char comp[48] = "";
        if (!hr__is_cooling_kind(e->kind))
            hr__event_component(d, e->detail, comp, sizeof comp);
        double a = hr__rel_s(d, e->start_ns), z = e->end_ns ? hr__rel_s(d, e->end_ns) : end;
        band(bs, kind, a, z, comp, e->detail);
    }
}

/* Runs of ticks with a thermal, power or slowdown reason, per GPU; runs
 * closer than a chart pixel or so are merged. */
static void reason_bands(const hr_report *r, bandset *bs, double merge_s) {
    const hr__rdata *d = &r->d;
    const uint64_t mask =
        HR_THROTTLE_THERMAL_MASK | HR_THROTTLE_POWER_MASK | HR_THROTTLE_HW_SLOWDOWN;
    for (size_t c = 0; c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        if (strcmp(ch->metric, "throttle_reasons") != 0)
            continue;
        double a = NAN, z = NAN;
        for (size_t i = 0; i <= d->nticks; i++) {
            int on = i < d->nticks && isfinite(ch->v[i]) && (hr__mask_of(ch->v[i]) & mask);
            double t = i < d->nticks ? hr__rel_s(d, d->t_ns[i]) : NAN;
            if (on) {
                if (isfinite(z) && t - z > merge_s) {
                    band(bs, "throttle", a, z, ch->component, "clock-event reasons");
                    a = NAN;
                }
                if (!isfinite(a))
                    a = t;
                z = t + r->m.dt_s[i];
            }
        }
        if (isfinite(a))
            band(bs, "throttle", a, z, ch->component, "clock-event reasons");
    }
}

/* --- time series --- */

typedef struct chart_series {
    const char *label;
    const double *v;
    double mul;
    int limit;
} chart_series;

static void series_json(hr__sb *b, const chart_series *s, size_t n, size_t nb, double *tmp,
                        double *out) {
    for (size_t i = 0; i < n; i++)
        tmp[i] = s->v[i] * s->mul;
    size_t k = hr__minmax_v(tmp, n, nb, out);
    hr__sb_puts(b, "{\"label\":");
    jstr(b, s->label);
    hr__sb_printf(b, ",\"limit\":%s,\"v\":", s->limit ? "true" : "false");
    jarr(b, out, k);
    hr__sb_puts(b, "}");
}

typedef struct charts {
    hr__sb *b;
    size_t n, nticks, nb;
    double *tmp, *out;
} charts;

static void chart(charts *cs, const char *component, const char *what, const char *unit,
                  const chart_series *s, size_t ns) {
    if (!ns)
        return;
    hr__sb *b = cs->b;
    hr__sb_puts(b, cs->n++ ? ",{\"component\":" : "{\"component\":");
    jstr(b, component);
    hr__sb_puts(b, ",\"title\":");
    char title[160];
    hr__snprintf(title, sizeof title, "%s %s", component, what);
    jstr(b, title);
    hr__sb_puts(b, ",\"unit\":");
    jstr(b, unit);
    hr__sb_puts(b, ",\"series\":[");
    for (size_t i = 0; i < ns; i++) {
        if (i)
            hr__sb_puts(b, ",");
        series_json(b, &s[i], cs->nticks, cs->nb, cs->tmp, cs->out);
    }
    hr__sb_puts(b, "]}");
}

static const struct kind_chart {
    int kind;
    const char *what, *unit;
    double mul;
} kind_charts[] = {
    {HR__RK_TEMP, "temperature",
     "\xc2\xb0"
     "C",
     1},
    {HR__RK_POWER, "power", "W", 1},
    {HR__RK_UTIL, "utilisation", "%", 100},
    {HR__RK_CLOCK, "clocks", "MHz", 1e-6},
    {HR__RK_MEMORY, "memory", "GiB", 1.0 / 1073741824.0},
    {HR__RK_RLE, "RLE", "index", 1},
};

/* The limit drawn dashed in a chart of KIND, if the component has one. */
static int limit_of(int kind, const char *metric) {
    if (kind == HR__RK_TEMP)
        return strcmp(metric, "temp_slowdown") == 0 || strcmp(metric, "temp_crit") == 0;
    if (kind == HR__RK_POWER)
        return strcmp(metric, "power_limit") == 0;
    return 0;
}

static int in_chart(const hr__rchan *ch, int kind) {
    if (kind == HR__RK_RLE)
        return strcmp(ch->metric, "rle") == 0;
    return ch->kind == kind || (ch->kind == HR__RK_LIMIT && limit_of(kind, ch->metric));
}

static void component_charts(charts *cs, const hr__rdata *d, const char *comp) {
    chart_series s[MAX_SERIES_PER_CHART];
    for (size_t k = 0; k < sizeof kind_charts / sizeof kind_charts[0]; k++) {
        const struct kind_chart *kc = &kind_charts[k];
        size_t ns = 0;
        for (size_t c = 0; c < d->nch && ns < MAX_SERIES_PER_CHART; c++) {
            const hr__rchan *ch = &d->ch[c];
            if (ch->core >= 0 || !ch->nknown || strcmp(ch->component, comp) != 0 ||
                !in_chart(ch, kc->kind))
                continue;
            s[ns].label = ch->metric;
            s[ns].v = ch->v;
            s[ns].mul = kc->mul;
            s[ns++].limit = ch->kind == HR__RK_LIMIT;
        }
        int only_limits = 1;
        for (size_t i = 0; i < ns; i++)
            only_limits &= s[i].limit;
        if (!only_limits)
            chart(cs, comp, kc->what, kc->unit, s, ns);
    }
}

static int comp_rank(const char *c) {
    return strncmp(c, "gpu", 3) == 0 ? 0
           : strcmp(c, "cpu") == 0   ? 1
           : strcmp(c, "mem") == 0   ? 3
                                     : 4;
}

static void time_charts(charts *cs, const hr_report *r) {
    const hr__rdata *d = &r->d;
    for (int rank = 0; rank <= 4; rank++) {
        for (size_t c = 0; c < d->nch; c++) {
            const char *comp = d->ch[c].component;
            if (d->ch[c].core >= 0 || comp_rank(comp) != rank)
                continue;
            int seen = 0;
            for (size_t p = 0; p < c && !seen; p++)
                seen = strcmp(d->ch[p].component, comp) == 0;
            if (!seen)
                component_charts(cs, d, comp);
        }
        if (rank == 1 && r->m.ncores) {
            chart_series u[2] = {{"busiest core", r->m.busiest, 100, 0},
                                 {"mean of cores", r->m.core_util_mean, 100, 0}};
            chart(cs, "cpu cores", "utilisation", "%", u, 2);
            chart_series f[1] = {{"mean of cores", r->m.core_freq_mean, 1e-6, 0}};
            double any = 0;
            for (size_t i = 0; i < d->nticks; i++)
                any += isfinite(r->m.core_freq_mean[i]);
            if (any)
                chart(cs, "cpu cores", "clocks", "MHz", f, 1);
        }
    }
}

/* --- steps and scatter plots --- */

static void steps_json(hr__sb *b, const hr_report *r, size_t nb) {
    const hr__rdata *d = &r->d;
    const hr__msteps *s = &r->m.steps;
    if (!s->timed || !isfinite(s->baseline)) {
        hr__sb_puts(b, "null");
        return;
    }
    double *x = malloc(s->timed * sizeof *x), *y = malloc(s->timed * sizeof *y);
    double *ox = malloc(s->timed * sizeof *ox), *oy = malloc(s->timed * sizeof *oy);
    if (!x || !y || !ox || !oy) {
        b->oom = 1;
        free(x);
        free(y);
        free(ox);
        free(oy);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < d->steps.n; i++)
        if (isfinite(s->spu[i])) {
            x[k] = hr__rel_s(d, d->steps.t_ns[i]);
            y[k++] = s->spu[i];
        }
    size_t nx = hr__minmax_x(x, k, nb, ox), ny = hr__minmax_v(y, k, nb, oy);
    hr__sb_printf(b, "{\"unit\":\"%s\",\"baseline\":", s->per_unit ? "s/unit" : "s/step");
    jnum(b, s->baseline);
    hr__sb_puts(b, ",\"slow\":");
    jnum(b, s->slow_factor);
    hr__sb_puts(b, ",\"critical\":");
    jnum(b, s->critical_factor);
    hr__sb_puts(b, ",\"x\":");
    jarr(b, ox, nx);
    hr__sb_puts(b, ",\"y\":");
    jarr(b, oy, ny);
    hr__sb_puts(b, "}");
    free(x);
    free(y);
    free(ox);
    free(oy);
}

static void scatter_json(hr__sb *b, const hr__mscatter *sc) {
    hr__sb_puts(b, "{\"id\":");
    jstr(b, sc->id);
    hr__sb_puts(b, ",\"title\":");
    jstr(b, sc->title);
    hr__sb_puts(b, ",\"xlabel\":");
    jstr(b, sc->xlabel);
    hr__sb_puts(b, ",\"ylabel\":");
    jstr(b, sc->ylabel);
    hr__sb_puts(b, ",\"series\":[");
    for (size_t k = 0; k < sc->ns; k++) {
        size_t n = sc->s[k].n, stride = n > MAX_SCATTER_POINTS
                                            ? (n + MAX_SCATTER_POINTS - 1) / MAX_SCATTER_POINTS
                                            : 1;
        hr__sb_puts(b, k ? ",{\"label\":" : "{\"label\":");
        jstr(b, sc->s[k].name);
        hr__sb_printf(b, ",\"n\":%zu,\"x\":[", n);
        for (size_t i = 0; i < n; i += stride) {
            hr__sb_puts(b, i ? "," : "");
            jnum(b, sc->s[k].x[i]);
        }
        hr__sb_puts(b, "],\"y\":[");
        for (size_t i = 0; i < n; i += stride) {
            hr__sb_puts(b, i ? "," : "");
            jnum(b, sc->s[k].y[i]);
        }
        hr__sb_puts(b, "]}");
    }
    hr__sb_puts(b, "]}");
}

hr_status hr__html_chart_data(const hr_report *r, hr__sb *b) {
    const hr__rdata *d = &r->d;
    size_t nb = (size_t)r->opt.chart_buckets, n = d->nticks;
    double *x = malloc((n ? n : 1) * sizeof *x), *ox = malloc((n ? n : 1) * sizeof *ox);
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!x || !ox || !tmp) {
        free(x);
        free(ox);
        free(tmp);
        return HR_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = hr__rel_s(d, d->t_ns[i]);
    int64_t t0 = hr__t0_ns(d);
    hr__sb_puts(b, "{\"t0\":");
    if (t0 + d->wall_minus_mono_ns > 0)
        hr__sb_printf(b, "%.3f", (double)(t0 + d->wall_minus_mono_ns) / 1e9);
    else
        hr__sb_puts(b, "null");
    hr__sb_puts(b, ",\"x\":");
    jarr(b, ox, hr__minmax_x(x, n, nb, ox));
    hr__sb_puts(b, ",\"bands\":[");
    bandset bs = {b, 0};
    event_bands(r, &bs);
    reason_bands(r, &bs, r->m.duration_s / (double)nb);
    hr__sb_puts(b, "],\"time\":[");
    charts cs = {b, 0, n, nb, tmp, ox};
    time_charts(&cs, r);
    hr__sb_puts(b, "],\"steps\":");
    steps_json(b, r, nb);
    hr__sb_puts(b, ",\"scatter\":[");
    for (size_t i = 0; i < r->m.nscat; i++) {
        hr__sb_puts(b, i ? "," : "");
        scatter_json(b, &r->m.scat[i]);
    }
    hr__sb_puts(b, "]}");
    free(x);
    free(ox);
    free(tmp);
    return b->oom ? HR_ENOMEM : HR_OK;
}

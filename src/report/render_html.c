/* render_html.c: the report as one self-contained HTML page: the findings
 * at the top, where the time went, the charts (uPlot, embedded), then the
 * tables. It loads nothing from the network. Every session string is
 * HTML-escaped; the chart data is JSON made safe for a <script>. */
#include <math.h>
#include <string.h>

#include "headroom/hr_version.h"
#include "report/html_assets.h"
#include "report/render_common.h"
#include "report/report.h"

static void esc(hr__sb *b, const char *s) { hr__esc_html(b, s); }

static void dd(hr__sb *b, const char *label, const char *value) {
    hr__sb_printf(b, "<dt>%s</dt><dd>", label);
    esc(b, value);
    hr__sb_puts(b, "</dd>\n");
}

static void head(const hr_report *r, hr__sb *b) {
    hr__sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>headroom report: ");
    esc(b, r->d.path);
    hr__sb_puts(b, "</title>\n<style>\n");
    hr__sb_put(b, (const char *)hr__uplot_css, hr__uplot_css_len);
    hr__sb_puts(b, "\n</style>\n<style>\n");
    hr__sb_puts(b, hr__report_css);
    hr__sb_puts(b, "</style>\n</head>\n<body>\n<main>\n");
}

static void header(const hr_report *r, hr__sb *b) {
    const hr__rdata *d = &r->d;
    char v[512];
    hr__sb_puts(b, "<header>\n<h1>headroom report</h1>\n<p class=\"path\">");
    esc(b, d->path);
    hr__sb_puts(b, "</p>\n<dl class=\"meta\">\n");
    dd(b, "session", hr__rc_session_line(r, v, sizeof v));
    dd(b, "time", hr__rc_span_line(r, v, sizeof v));
    if (d->command[0])
        dd(b, "command", d->command);
    if (d->notes[0])
        dd(b, "notes", d->notes);
    if (d->tags) {
        hr__sb_puts(b, "<dt>tags</dt><dd>");
        const char *k;
        json_t *val;
        int first = 1;
        json_object_foreach(d->tags, k, val) {
            hr__sb_puts(b, first ? "" : ", ");
            esc(b, k);
            hr__sb_puts(b, "=");
            esc(b, json_is_string(val) ? json_string_value(val) : "");
            first = 0;
        }
        hr__sb_puts(b, "</dd>\n");
    }
    if (hr__rc_host_line(r, v, sizeof v)[0])
        dd(b, "host", v);
    dd(b, "sampling", hr__rc_sampling_line(r, v, sizeof v));
    if (d->ext_name) {
        hr__sb_puts(b, "<dt>joined log</dt><dd>");
        esc(b, d->ext_name);
        hr__sb_printf(b, " (%zu rows)</dd>\n", d->ext.n);
    }
    hr__sb_puts(b, "</dl>\n</header>\n");
}

static void findings(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    hr__sb_puts(b, "<section id=\"findings\">\n<h2>Findings</h2>\n");
    if (!m->nfind)
        hr__sb_puts(b, "<p class=\"none\">None: nothing in this session shows a bound (checked: "
                       "input, thermal, power, memory, step time, RLE collapses).</p>\n");
    for (size_t i = 0; i < m->nfind; i++) {
        const hr__mfinding *f = &m->find[i];
        const char *sev = hr__severity_name(f->severity);
        hr__sb_printf(b,
                      "<div class=\"finding %s\" data-id=\"%s\"><div class=\"sev\">%s</div>"
                      "<h3>",
                      sev, f->id, sev);
        esc(b, f->title);
        hr__sb_puts(b, "</h3>\n<ul>\n");
        for (size_t k = 0; k < f->nev; k++) {
            hr__sb_puts(b, "<li>");
            esc(b, f->evidence[k]);
            hr__sb_puts(b, "</li>\n");
        }
        for (size_t k = 0; k < f->nadv; k++) {
            hr__sb_puts(b, "<li class=\"adv\">");
            esc(b, f->advice[k]);
            hr__sb_puts(b, "</li>\n");
        }
        hr__sb_puts(b, "</ul></div>\n");
    }
    hr__sb_puts(b, "</section>\n");
}

static void bar_part(hr__sb *b, double s, double total, const char *color, const char *what) {
    if (!(s > 0) || !(total > 0))
        return;
    hr__sb_printf(b, "<span style=\"width:%.2f%%;background:%s\" title=\"%s\"></span>",
                  s / total * 100, color, what);
}

static void efficiency(const hr_report *r, hr__sb *b) {
    const hr__meff *e = &r->m.eff;
    char x[48], y[48];
    hr__sb_puts(b, "<section id=\"efficiency\">\n<h2>Where the time went</h2>\n");
    if (!e->known) {
        hr__sb_puts(b, "<p class=\"none\">Unknown: ");
        esc(b, e->why);
        hr__sb_puts(b, "</p>\n</section>\n");
        return;
    }
    hr__sb_printf(b, "<div class=\"big\"><div>actual<b>%s</b></div>",
                  hr__fmt_dur(e->actual_s, x, sizeof x));
    hr__sb_printf(b, "<div>at baseline speed<b>%s</b></div>",
                  hr__fmt_dur(e->theoretical_s, x, sizeof x));
    hr__sb_printf(b, "<div>lost<b>%s</b>%s</div>", hr__fmt_pct(e->lost_share, x, sizeof x),
                  hr__fmt_dur(e->lost_s, y, sizeof y));
    hr__sb_printf(b, "<div>efficiency<b>%s</b></div></div>\n",
                  hr__fmt_pct(e->efficiency, x, sizeof x));
    hr__sb_puts(b, "<div class=\"bar\">");
    double total = e->actual_s, base = e->theoretical_s < total ? e->theoretical_s : total;
    bar_part(b, base, total, "#2ca02c", "at baseline speed");
    bar_part(b, e->throttle_loss_s, total, "#ff7f0e", "slow steps");
    bar_part(b, e->cooling_s, total, "#1f77b4", "cooling breaks");
    bar_part(b, e->other_s, total, "#9aa3b2", "elsewhere");
    hr__sb_puts(b, "</div>\n<table>\n");
    hr__sb_printf(b, "<tr><td>lost in slow steps</td><td class=\"n\">%s</td></tr>\n",
                  hr__fmt_dur(e->throttle_loss_s, x, sizeof x));
    hr__sb_printf(b, "<tr><td>lost in cooling breaks</td><td class=\"n\">%s</td></tr>\n",
                  hr__fmt_dur(e->cooling_s, x, sizeof x));
    hr__sb_printf(b, "<tr><td>lost elsewhere (gaps, variation)</td><td class=\"n\">%s</td></tr>\n",
                  hr__fmt_dur(e->other_s, x, sizeof x));
    hr__sb_puts(b, "</table>\n</section>\n");
}

static void charts(const hr_report *r, hr__sb *b) {
    const hr__msteps *s = &r->m.steps;
    char a[32], c[32], d[32];
    hr__sb_puts(b, "<section id=\"timeline\">\n<h2>Timeline</h2>\n<p class=\"legend-bands\">"
                   "<span class=\"cooling\">cooling break</span><span class=\"throttle\">"
                   "throttled</span><span class=\"collapse\">RLE collapse</span><span "
                   "class=\"slowdown\">slow steps (timing)</span></p>\n"
                   "<div id=\"charts-time\"></div>\n</section>\n");
    hr__sb_puts(b, "<section id=\"steps\">\n<h2>Steps</h2>\n");
    if (!s->count) {
        hr__sb_puts(b, "<p class=\"none\">No steps recorded.</p>\n");
    } else {
        const char *per = s->per_unit ? "s/unit" : "s/step";
        hr__sb_printf(b,
                      "<p>%zu steps (%zu with a duration); baseline %s %s, median %s, p95 %s; "
                      "%zu slow (&ge; %.2gx baseline), %zu critical (&ge; %.2gx).</p>\n",
                      s->count, s->timed, hr__fmt_num(s->baseline, a, sizeof a), per,
                      hr__fmt_num(s->median, c, sizeof c), hr__fmt_num(s->p95, d, sizeof d),
                      s->slow, s->slow_factor, s->critical, s->critical_factor);
    }
    hr__sb_puts(b, "<div id=\"chart-steps\"></div>\n");
    if (s->nepisodes) {
        hr__sb_puts(b, "<table><tr><th>steps</th><th class=\"n\">count</th><th class=\"n\">starts "
                       "at</th><th class=\"n\">worst</th><th class=\"n\">lost</th></tr>\n");
        size_t shown = s->nepisodes < 50 ? s->nepisodes : 50;
        for (size_t i = 0; i < shown; i++) {
            const hr__mepisode *e = &s->episodes[i];
            hr__sb_printf(b,
                          "<tr><td>%lld..%lld</td><td class=\"n\">%zu</td><td class=\"n\">%s"
                          "</td><td class=\"n\">%.1fx</td><td class=\"n\">%s</td></tr>\n",
                          (long long)e->first_index, (long long)e->last_index, e->steps,
                          hr__fmt_dur(e->start_s, a, sizeof a), e->worst_factor,
                          hr__fmt_dur(e->lost_s, c, sizeof c));
        }
        hr__sb_puts(b, "</table>\n");
    }
    hr__sb_puts(b, "</section>\n");
}

static void correlation(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    hr__sb_puts(b, "<section id=\"correlation\">\n<h2>Correlation</h2>\n");
    if (!m->ncorr) {
        hr__sb_puts(b, "<p class=\"none\">No step numbers to correlate with the telemetry.</p>\n");
    } else {
        hr__sb_printf(b,
                      "<p>Each step takes the latest tick at or before it, at most %.3g s "
                      "older; 95 %% intervals by Fisher z.</p>\n",
                      m->tolerance_s);
    }
    hr__sb_puts(b, "<div id=\"charts-scatter\" class=\"grid2\"></div>\n");
    if (m->ncorr)
        hr__sb_puts(b, "<table><tr><th>step number</th><th>telemetry</th><th class=\"n\">n</th>"
                       "<th>Pearson r [95 % CI]</th><th>Spearman &rho; [95 % CI]</th></tr>\n");
    for (size_t i = 0; i < m->ncorr; i++) {
        const hr__mcorr *c = &m->corr[i];
        char p[96], s[96];
        hr__sb_puts(b, "<tr><td>");
        esc(b, c->x);
        hr__sb_puts(b, "</td><td>");
        esc(b, c->y);
        hr__sb_printf(b, "</td><td class=\"n\">%zu</td><td>%s</td><td>%s</td></tr>\n", c->p.n,
                      hr__rc_corr_text(&c->p, p, sizeof p), hr__rc_corr_text(&c->s, s, sizeof s));
    }
    if (m->ncorr)
        hr__sb_puts(b, "</table>\n");
    hr__sb_puts(b, "</section>\n");
}

static void components(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char lo[40], mean[40], hi[40];
    hr__sb_puts(b, "<section id=\"components\">\n<h2>Components</h2>\n<p>Min, mean and max over "
                   "every tick.</p>\n<table><tr><th>component</th><th>metric</th><th class=\"n\">"
                   "min</th><th class=\"n\">mean</th><th class=\"n\">max</th></tr>\n");
    for (size_t i = 0; i < m->nsum; i++) {
        const hr__msum *s = &m->sum[i];
        hr__sb_puts(b, "<tr><td>");
        esc(b, s->component);
        hr__sb_puts(b, "</td><td>");
        esc(b, s->metric);
        hr__sb_printf(b,
                      "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s"
                      "</td></tr>\n",
                      hr__fmt_value(s->st.min, s->base_unit, lo, sizeof lo),
                      hr__fmt_value(s->st.mean, s->base_unit, mean, sizeof mean),
                      hr__fmt_value(s->st.max, s->base_unit, hi, sizeof hi));
    }
    hr__sb_puts(b, "</table>\n</section>\n");
}

static void throttle(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char a[48], c[48];
    hr__sb_puts(b, "<section id=\"throttle\">\n<h2>Throttling and pressure</h2>\n");
    if (!m->nthr)
        hr__sb_puts(b, "<p>No throttling seen (or no source of throttle information).</p>\n");
    else
        hr__sb_puts(b, "<table><tr><th>component</th><th>reason</th><th>source</th>"
                       "<th class=\"n\">time</th><th class=\"n\">share</th></tr>\n");
    for (size_t i = 0; i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        hr__sb_puts(b, "<tr><td>");
        esc(b, t->component[0] ? t->component : "-");
        hr__sb_puts(b, "</td><td>");
        esc(b, t->reason);
        hr__sb_printf(b, "</td><td>%s</td>", hr__rc_source_text(t->source));
        if (strcmp(t->source, "count") == 0)
            hr__sb_printf(b, "<td class=\"n\">%lld times</td><td></td></tr>\n",
                          (long long)t->count);
        else
            hr__sb_printf(b, "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                          hr__fmt_dur(t->seconds, a, sizeof a), hr__fmt_pct(t->share, c, sizeof c));
    }
    if (m->nthr)
        hr__sb_puts(b, "</table>\n");
    if (m->nlev)
        hr__sb_puts(b, "<table><tr><th>channel</th><th>level</th><th class=\"n\">time</th>"
                       "<th class=\"n\">share</th></tr>\n");
    for (size_t i = 0; i < m->nlev; i++) {
        const hr__mlevel *l = &m->lev[i];
        hr__sb_puts(b, "<tr><td>");
        esc(b, l->channel);
        hr__sb_puts(b, "</td><td>");
        esc(b, l->name);
        hr__sb_printf(b, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                      hr__fmt_dur(l->seconds, a, sizeof a), hr__fmt_pct(l->share, c, sizeof c));
    }
    if (m->nlev)
        hr__sb_puts(b, "</table>\n");
    hr__sb_puts(b, "</section>\n");
}

static void event_list(const hr_report *r, hr__sb *b) {
    const hr__rdata *d = &r->d;
    size_t shown = d->nev < HR__EVENTS_LISTED ? d->nev : HR__EVENTS_LISTED;
    if (!shown)
        return;
    hr__sb_puts(b, "<table><tr><th class=\"n\">at</th><th>kind</th><th class=\"n\">lasted</th>"
                   "<th>detail</th></tr>\n");
    for (size_t i = 0; i < shown; i++) {
        const hr__revent *e = &d->ev[i];
        char at[48], dur[48];
        hr__fmt_dur(hr__rel_s(d, e->start_ns), at, sizeof at);
        if (e->end_ns)
            hr__fmt_dur((double)(e->end_ns - e->start_ns) / 1e9, dur, sizeof dur);
        else
            hr__snprintf(dur, sizeof dur, "open");
        hr__sb_printf(b, "<tr><td class=\"n\">%s</td><td>", at);
        esc(b, e->kind);
        hr__sb_printf(b, "</td><td class=\"n\">%s</td><td>", dur);
        esc(b, e->detail);
        hr__sb_puts(b, "</td></tr>\n");
    }
    hr__sb_puts(b, "</table>\n");
    if (d->nev > shown)
        hr__sb_printf(b, "<p>... and %zu more events.</p>\n", d->nev - shown);
}

static void events(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char a[48];
    hr__sb_printf(b,
                  "<section id=\"events\">\n<h2>Cooling breaks and events</h2>\n<p>Cooling "
                  "breaks: %zu, %s in all%s.</p>\n",
                  m->cool.count, hr__fmt_dur(m->cool.total_s, a, sizeof a),
                  m->cool.open ? " (one still open at the end)" : "");
    if (m->cool.nreasons) {
        hr__sb_puts(b, "<ul>\n");
        for (size_t i = 0; i < m->cool.nreasons; i++) {
            hr__sb_printf(b, "<li>%zu &times; ", m->cool.reasons[i].count);
            esc(b, m->cool.reasons[i].text);
            hr__sb_printf(b, " (%s)</li>\n", hr__fmt_dur(m->cool.reasons[i].seconds, a, sizeof a));
        }
        hr__sb_puts(b, "</ul>\n");
    }
    if (m->nkinds)
        hr__sb_puts(b, "<table><tr><th>kind</th><th class=\"n\">count</th><th class=\"n\">total"
                       "</th><th class=\"n\">open at the end</th></tr>\n");
    for (size_t i = 0; i < m->nkinds; i++) {
        const hr__mkind *k = &m->kinds[i];
        hr__sb_puts(b, "<tr><td>");
        esc(b, k->kind);
        hr__sb_printf(b,
                      "</td><td class=\"n\">%zu</td><td class=\"n\">%s</td><td class=\"n\">"
                      "%zu</td></tr>\n",
                      k->count, hr__fmt_dur(k->total_s, a, sizeof a), k->open);
    }
    if (m->nkinds)
        hr__sb_puts(b, "</table>\n");
    event_list(r, b);
    hr__sb_puts(b, "</section>\n");
}

static void rle(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    if (!m->nrle)
        return;
    char a[32], c[32], e[32], f[32];
    hr__sb_puts(b, "<section id=\"rle\">\n<h2>RLE per component</h2>\n<p>Collapse rates are "
                   "counted per component.</p>\n<table><tr><th>component</th><th class=\"n\">"
                   "mean</th><th class=\"n\">collapse rate</th><th class=\"n\">collapse events"
                   "</th><th class=\"n\">mean |dRLE/dt|</th><th class=\"n\">late spread</th>"
                   "<th>verdict</th></tr>\n");
    for (size_t i = 0; i < m->nrle; i++) {
        const hr__mrle *x = &m->rle[i];
        hr__sb_puts(b, "<tr><td>");
        esc(b, x->component);
        hr__sb_printf(b,
                      "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%zu"
                      "</td><td class=\"n\">%s /s</td><td class=\"n\">%s</td><td>%s</td></tr>\n",
                      hr__fmt_num(x->st.mean, a, sizeof a),
                      hr__fmt_pct(x->collapse_rate, c, sizeof c), x->collapse_events,
                      hr__fmt_num(x->mean_abs_d, e, sizeof e),
                      hr__fmt_num(x->late_spread, f, sizeof f), x->verdict);
    }
    hr__sb_puts(b, "</table>\n</section>\n");
}

static void notes(const hr_report *r, hr__sb *b) {
    if (!r->m.nnotes)
        return;
    hr__sb_puts(b, "<section id=\"notes\">\n<h2>Notes</h2>\n<ul>\n");
    for (size_t i = 0; i < r->m.nnotes; i++) {
        hr__sb_puts(b, "<li>");
        esc(b, r->m.notes[i]);
        hr__sb_puts(b, "</li>\n");
    }
    hr__sb_puts(b, "</ul>\n</section>\n");
}

static void tail(const hr_report *r, hr__sb *b) {
    hr__sb_printf(b,
                  "<footer>headroom %s. Charts drawn with uPlot (MIT licence, "
                  "github.com/leeoniya/uPlot), embedded in this file.</footer>\n</main>\n",
                  HR_VERSION_STRING);
    hr__sb_puts(b, "<script type=\"application/json\" id=\"hr-data\">");
    hr__html_chart_data(r, b);
    hr__sb_puts(b, "</script>\n<script>\n");
    hr__sb_put(b, (const char *)hr__uplot_js, hr__uplot_js_len);
    hr__sb_puts(b, "\n</script>\n<script>\n");
    hr__sb_puts(b, hr__report_js);
    hr__sb_puts(b, "</script>\n</body>\n</html>\n");
}

hr_status hr__render_html(const hr_report *r, hr__sb *b) {
    head(r, b);
    header(r, b);
    findings(r, b);
    efficiency(r, b);
    charts(r, b);
    correlation(r, b);
    components(r, b);
    throttle(r, b);
    events(r, b);
    rle(r, b);
    notes(r, b);
    tail(r, b);
    return b->oom ? HR_ENOMEM : HR_OK;
}

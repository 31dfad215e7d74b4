/* render_md.c: the report as GitHub-flavoured Markdown, the same facts as
 * the text report in headings, lists and tables. Session strings are
 * escaped (Markdown punctuation, '|' in tables, no raw HTML). */
#include <math.h>
#include <string.h>

#include "report/render_common.h"
#include "report/report.h"

static void item(hr__sb *b, const char *label, const char *value) {
    hr__sb_printf(b, "- **%s**: ", label);
    hr__esc_md(b, value);
    hr__sb_puts(b, "\n");
}

static void header(const hr_report *r, hr__sb *b) {
    const hr__rdata *d = &r->d;
    char v[512];
    hr__sb_puts(b, "# headroom report: ");
    hr__esc_md(b, d->path);
    hr__sb_puts(b, "\n\n");
    item(b, "session", hr__rc_session_line(r, v, sizeof v));
    item(b, "time", hr__rc_span_line(r, v, sizeof v));
    if (d->command[0])
        item(b, "command", d->command);
    if (d->notes[0])
        item(b, "notes", d->notes);
    if (d->tags) {
        hr__sb_puts(b, "- **tags**: ");
        const char *k;
        json_t *val;
        int first = 1;
        json_object_foreach(d->tags, k, val) {
            hr__sb_puts(b, first ? "" : ", ");
            hr__esc_md(b, k);
            hr__sb_puts(b, "=");
            hr__esc_md(b, json_is_string(val) ? json_string_value(val) : "");
            first = 0;
        }
        hr__sb_puts(b, "\n");
    }
    if (hr__rc_host_line(r, v, sizeof v)[0])
        item(b, "host", v);
    item(b, "sampling", hr__rc_sampling_line(r, v, sizeof v));
    if (d->ext_name) {
        hr__sb_puts(b, "- **joined log**: ");
        hr__esc_md(b, d->ext_name);
        hr__sb_printf(b, " (%zu rows)\n", d->ext.n);
    }
}

static void findings(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    hr__sb_puts(b, "\n## Findings\n\n");
    if (!m->nfind)
        hr__sb_puts(b, "None: nothing in this session shows a bound (checked: input, thermal, "
                       "power, memory, step time, RLE collapses).\n");
    for (size_t i = 0; i < m->nfind; i++) {
        const hr__mfinding *f = &m->find[i];
        hr__sb_printf(b, "### %s: ", hr__severity_name(f->severity));
        hr__esc_md(b, f->title);
        hr__sb_puts(b, "\n\nEvidence:\n\n");
        for (size_t k = 0; k < f->nev; k++) {
            hr__sb_puts(b, "- ");
            hr__esc_md(b, f->evidence[k]);
            hr__sb_puts(b, "\n");
        }
        if (f->nadv)
            hr__sb_puts(b, "\nAdvice:\n\n");
        for (size_t k = 0; k < f->nadv; k++) {
            hr__sb_puts(b, "- ");
            hr__esc_md(b, f->advice[k]);
            hr__sb_puts(b, "\n");
        }
        hr__sb_puts(b, "\n");
    }
}

static void efficiency(const hr_report *r, hr__sb *b) {
    const hr__meff *e = &r->m.eff;
    const hr__msteps *s = &r->m.steps;
    char x[48], y[48];
    hr__sb_puts(b, "\n## Where the time went\n\n");
    if (!e->known) {
        hr__sb_puts(b, "Unknown: ");
        hr__esc_md(b, e->why);
        hr__sb_puts(b, "\n");
        return;
    }
    hr__sb_puts(b, "| | time | share |\n|---|---:|---:|\n");
    hr__sb_printf(b, "| actual (first step's start to last step's end) | %s | 100 %% |\n",
                  hr__fmt_dur(e->actual_s, x, sizeof x));
    hr__sb_printf(b, "| at baseline speed (%.15g %s x %.4g s) | %s | %s |\n", e->units,
                  s->per_unit ? "units" : "steps", s->baseline,
                  hr__fmt_dur(e->theoretical_s, x, sizeof x),
                  hr__fmt_pct(e->efficiency, y, sizeof y));
    hr__sb_printf(b, "| lost | %s | %s |\n", hr__fmt_dur(e->lost_s, x, sizeof x),
                  hr__fmt_pct(e->lost_share, y, sizeof y));
    hr__sb_printf(b, "| lost in slow steps | %s | %s |\n",
                  hr__fmt_dur(e->throttle_loss_s, x, sizeof x),
                  hr__fmt_pct(e->throttle_loss_s / e->actual_s, y, sizeof y));
    hr__sb_printf(b, "| lost in cooling breaks | %s | %s |\n",
                  hr__fmt_dur(e->cooling_s, x, sizeof x),
                  hr__fmt_pct(e->cooling_s / e->actual_s, y, sizeof y));
    hr__sb_printf(b, "| lost elsewhere | %s | %s |\n", hr__fmt_dur(e->other_s, x, sizeof x),
                  hr__fmt_pct(e->other_s / e->actual_s, y, sizeof y));
    hr__sb_printf(b, "\n**Efficiency: %s** (%s lost).\n", hr__fmt_pct(e->efficiency, x, sizeof x),
                  hr__fmt_pct(e->lost_share, y, sizeof y));
}

static void steps(const hr_report *r, hr__sb *b) {
    const hr__msteps *s = &r->m.steps;
    char a[32], c[32], d[32];
    hr__sb_puts(b, "\n## Steps\n\n");
    if (!s->count) {
        hr__sb_puts(b, "None recorded.\n");
        return;
    }
    const char *per = s->per_unit ? "s/unit" : "s/step";
    hr__sb_printf(b, "- **count**: %zu (%zu with a duration)\n", s->count, s->timed);
    hr__sb_printf(b, "- **baseline**: %s %s; median %s, p95 %s\n",
                  hr__fmt_num(s->baseline, a, sizeof a), per, hr__fmt_num(s->median, c, sizeof c),
                  hr__fmt_num(s->p95, d, sizeof d));
    hr__sb_printf(b, "- **slow steps**: %zu at >= %.2gx baseline, %zu at >= %.2gx\n", s->slow,
                  s->slow_factor, s->critical, s->critical_factor);
    if (!s->nepisodes)
        return;
    hr__sb_puts(b, "\n| steps | count | starts at | worst | lost |\n|---|---:|---:|---:|---:|\n");
    size_t shown = s->nepisodes < 50 ? s->nepisodes : 50;
    for (size_t i = 0; i < shown; i++) {
        const hr__mepisode *e = &s->episodes[i];
        hr__sb_printf(b, "| %lld..%lld | %zu | %s | %.1fx | %s |\n", (long long)e->first_index,
                      (long long)e->last_index, e->steps, hr__fmt_dur(e->start_s, a, sizeof a),
                      e->worst_factor, hr__fmt_dur(e->lost_s, c, sizeof c));
    }
    if (s->nepisodes > shown)
        hr__sb_printf(b, "\n... and %zu more.\n", s->nepisodes - shown);
}

static void components(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    hr__sb_puts(b, "\n## Components\n\nMin, mean and max over every tick.\n\n");
    if (!m->nsum) {
        hr__sb_puts(b, "No telemetry.\n");
        return;
    }
    hr__sb_puts(b, "| component | metric | min | mean | max |\n|---|---|---:|---:|---:|\n");
    char lo[40], mean[40], hi[40];
    for (size_t i = 0; i < m->nsum; i++) {
        const hr__msum *s = &m->sum[i];
        hr__sb_puts(b, "| ");
        hr__esc_md(b, s->component);
        hr__sb_puts(b, " | ");
        hr__esc_md(b, s->metric);
        hr__sb_printf(b, " | %s | %s | %s |\n",
                      hr__fmt_value(s->st.min, s->base_unit, lo, sizeof lo),
                      hr__fmt_value(s->st.mean, s->base_unit, mean, sizeof mean),
                      hr__fmt_value(s->st.max, s->base_unit, hi, sizeof hi));
    }
}

static void throttle(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char a[48], c[48];
    hr__sb_puts(b, "\n## Throttling\n\n");
    if (!m->nthr)
        hr__sb_puts(b, "None seen (or no source of throttle information in this session).\n");
    else
        hr__sb_puts(b, "| component | reason | source | time | share |\n|---|---|---|---:|---:|\n");
    for (size_t i = 0; i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        hr__sb_puts(b, "| ");
        hr__esc_md(b, t->component[0] ? t->component : "-");
        hr__sb_puts(b, " | ");
        hr__esc_md(b, t->reason);
        hr__sb_printf(b, " | %s | ", hr__rc_source_text(t->source));
        if (strcmp(t->source, "count") == 0)
            hr__sb_printf(b, "%lld times | |\n", (long long)t->count);
        else
            hr__sb_printf(b, "%s | %s |\n", hr__fmt_dur(t->seconds, a, sizeof a),
                          hr__fmt_pct(t->share, c, sizeof c));
    }
    if (!m->nlev)
        return;
    hr__sb_puts(b, "\n### Pressure\n\n| channel | level | time | share |\n|---|---|---:|---:|\n");
    for (size_t i = 0; i < m->nlev; i++) {
        const hr__mlevel *l = &m->lev[i];
        hr__sb_puts(b, "| ");
        hr__esc_md(b, l->channel);
        hr__sb_printf(b, " | %s | %s | %s |\n", l->name, hr__fmt_dur(l->seconds, a, sizeof a),
                      hr__fmt_pct(l->share, c, sizeof c));
    }
}

static void events(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char a[48];
    hr__sb_printf(b, "\n## Cooling breaks and events\n\nCooling breaks: %zu, %s in all%s.\n",
                  m->cool.count, hr__fmt_dur(m->cool.total_s, a, sizeof a),
                  m->cool.open ? " (one still open at the end)" : "");
    for (size_t i = 0; i < m->cool.nreasons; i++) {
        hr__sb_printf(b, "%s- %zu x ", i ? "" : "\n", m->cool.reasons[i].count);
        hr__esc_md(b, m->cool.reasons[i].text);
        hr__sb_printf(b, " (%s)\n", hr__fmt_dur(m->cool.reasons[i].seconds, a, sizeof a));
    }
    if (!m->nkinds)
        return;
    hr__sb_puts(b, "\n| kind | count | total | open at the end |\n|---|---:|---:|---:|\n");
    for (size_t i = 0; i < m->nkinds; i++) {
        const hr__mkind *k = &m->kinds[i];
        hr__sb_puts(b, "| ");
        hr__esc_md(b, k->kind);
        hr__sb_printf(b, " | %zu | %s | %zu |\n", k->count, hr__fmt_dur(k->total_s, a, sizeof a),
                      k->open);
    }
    const hr__rdata *d = &r->d;
    size_t shown = d->nev < HR__EVENTS_LISTED ? d->nev : HR__EVENTS_LISTED;
    hr__sb_puts(b, "\n| at | kind | lasted | detail |\n|---:|---|---:|---|\n");
    for (size_t i = 0; i < shown; i++) {
        const hr__revent *e = &d->ev[i];
        char at[48], dur[48];
        hr__fmt_dur(hr__rel_s(d, e->start_ns), at, sizeof at);
        if (e->end_ns)
            hr__fmt_dur((double)(e->end_ns - e->start_ns) / 1e9, dur, sizeof dur);
        else
            hr__snprintf(dur, sizeof dur, "open");
        hr__sb_printf(b, "| %s | ", at);
        hr__esc_md(b, e->kind);
        hr__sb_printf(b, " | %s | ", dur);
        hr__esc_md(b, e->detail);
        hr__sb_puts(b, " |\n");
    }
    if (d->nev > shown)
        hr__sb_printf(b, "\n... and %zu more events.\n", d->nev - shown);
}

static void rle(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    if (!m->nrle)
        return;
    char a[32], c[32], e[32], f[32], g[32];
    hr__sb_puts(b, "\n## RLE per component\n\nCollapse rates are counted per component.\n\n"
                   "| component | mean | collapse rate | collapse events | mean abs dRLE/dt | late "
                   "spread | verdict |\n|---|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < m->nrle; i++) {
        const hr__mrle *x = &m->rle[i];
        hr__sb_puts(b, "| ");
        hr__esc_md(b, x->component);
        hr__sb_printf(b, " | %s | %s | %zu | %s /s | %s | %s |\n",
                      hr__fmt_num(x->st.mean, a, sizeof a),
                      hr__fmt_pct(x->collapse_rate, c, sizeof c), x->collapse_events,
                      hr__fmt_num(x->mean_abs_d, e, sizeof e),
                      hr__fmt_num(x->late_spread, f, sizeof f), x->verdict);
    }
    (void)g;
}

static void correlation(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    if (!m->ncorr)
        return;
    hr__sb_printf(b,
                  "\n## Correlation\n\nEach step takes the latest tick at or before it, at "
                  "most %.3g s older; 95 %% intervals by Fisher z.\n\n"
                  "| step number | telemetry | n | Pearson r [95 %% CI] | Spearman rho [95 %% "
                  "CI] |\n|---|---|---:|---|---|\n",
                  m->tolerance_s);
    for (size_t i = 0; i < m->ncorr; i++) {
        const hr__mcorr *c = &m->corr[i];
        char p[96], s[96];
        hr__sb_puts(b, "| ");
        hr__esc_md(b, c->x);
        hr__sb_puts(b, " | ");
        hr__esc_md(b, c->y);
        hr__sb_printf(b, " | %zu | %s | %s |\n", c->p.n, hr__rc_corr_text(&c->p, p, sizeof p),
                      hr__rc_corr_text(&c->s, s, sizeof s));
    }
}

static void notes(const hr_report *r, hr__sb *b) {
    if (!r->m.nnotes)
        return;
    hr__sb_puts(b, "\n## Notes\n\n");
    for (size_t i = 0; i < r->m.nnotes; i++) {
        hr__sb_puts(b, "- ");
        hr__esc_md(b, r->m.notes[i]);
        hr__sb_puts(b, "\n");
    }
}

hr_status hr__render_md(const hr_report *r, hr__sb *b) {
    header(r, b);
    findings(r, b);
    efficiency(r, b);
    steps(r, b);
    components(r, b);
    throttle(r, b);
    events(r, b);
    rle(r, b);
    correlation(r, b);
    notes(r, b);
    return b->oom ? HR_ENOMEM : HR_OK;
}

/* render_text.c: the report as plain text for a terminal: the findings
 * first, then the figures behind them. Strings from the session are
 * printed with control characters escaped. */
#include <math.h>
#include <string.h>

#include "report/report.h"
#include "report/render_common.h"

static void section(hr__sb *b, const char *title) { hr__sb_printf(b, "\n%s\n", title); }

/* "  LABEL   VALUE": VALUE may hold session text, so it is escaped. */
static void row(hr__sb *b, const char *label, const char *value) {
    hr__sb_printf(b, "  %-22s ", label);
    hr__esc_text(b, value);
    hr__sb_puts(b, "\n");
}

static void header(const hr_report *r, hr__sb *b) {
    const hr__rdata *d = &r->d;
    char v[512];
    hr__sb_puts(b, "headroom report: ");
    hr__esc_text(b, d->path);
    hr__sb_puts(b, "\n");
    hr__rc_session_line(r, v, sizeof v);
    row(b, "session", v);
    hr__rc_span_line(r, v, sizeof v);
    row(b, "time", v);
    if (d->command[0]) {
        hr__sb_printf(b, "  %-22s ", "command");
        hr__esc_text(b, d->command);
        hr__sb_puts(b, "\n");
    }
    if (d->notes[0]) {
        hr__sb_printf(b, "  %-22s ", "notes");
        hr__esc_text(b, d->notes);
        hr__sb_puts(b, "\n");
    }
    if (d->tags) {
        hr__sb_printf(b, "  %-22s ", "tags");
        const char *k;
        json_t *val;
        int first = 1;
        json_object_foreach(d->tags, k, val) {
            hr__sb_puts(b, first ? "" : ", ");
            hr__esc_text(b, k);
            hr__sb_puts(b, "=");
            hr__esc_text(b, json_is_string(val) ? json_string_value(val) : "");
            first = 0;
        }
        hr__sb_puts(b, "\n");
    }
    hr__rc_host_line(r, v, sizeof v);
    if (v[0])
        row(b, "host", v);
    hr__rc_sampling_line(r, v, sizeof v);
    row(b, "sampling", v);
    if (d->ext_name) {
        hr__sb_printf(b, "  %-22s ", "joined log");
        hr__esc_text(b, d->ext_name);
        hr__sb_printf(b, " (%zu rows)\n", d->ext.n);
    }
}

static void findings(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    section(b, "Findings");
    if (!m->nfind) {
        hr__sb_puts(b, "  none: nothing in this session shows a bound (checked: input, thermal, "
                       "power, memory, step time, RLE collapses)\n");
        return;
    }
    for (size_t i = 0; i < m->nfind; i++) {
        const hr__mfinding *f = &m->find[i];
        hr__sb_printf(b, "  [%s] ", hr__severity_name(f->severity));
        hr__esc_text(b, f->title);
        hr__sb_puts(b, "\n");
        for (size_t k = 0; k < f->nev; k++) {
            hr__sb_puts(b, "      - ");
            hr__esc_text(b, f->evidence[k]);
            hr__sb_puts(b, "\n");
        }
        for (size_t k = 0; k < f->nadv; k++) {
            hr__sb_puts(b, "      > ");
            hr__esc_text(b, f->advice[k]);
            hr__sb_puts(b, "\n");
        }
    }
}

static void efficiency(const hr_report *r, hr__sb *b) {
    const hr__meff *e = &r->m.eff;
    const hr__msteps *s = &r->m.steps;
    char v[160], x[48], y[48];
    section(b, "Where the time went");
    if (!e->known) {
        hr__sb_puts(b, "  unknown: ");
        hr__esc_text(b, e->why);
        hr__sb_puts(b, "\n");
        return;
    }
    hr__snprintf(v, sizeof v, "%s (first step's start to last step's end)",
                 hr__fmt_dur(e->actual_s, x, sizeof x));
    row(b, "actual", v);
    hr__snprintf(v, sizeof v, "%s (%.15g %s x %.4g s baseline)",
                 hr__fmt_dur(e->theoretical_s, x, sizeof x), e->units,
                 s->per_unit ? "units" : "steps", s->baseline);
    row(b, "at baseline speed", v);
    hr__snprintf(v, sizeof v, "%s (%s)", hr__fmt_dur(e->lost_s, x, sizeof x),
                 hr__fmt_pct(e->lost_share, y, sizeof y));
    row(b, "lost", v);
    row(b, "  in slow steps", hr__fmt_dur(e->throttle_loss_s, x, sizeof x));
    row(b, "  in cooling breaks", hr__fmt_dur(e->cooling_s, x, sizeof x));
    row(b, "  elsewhere", hr__fmt_dur(e->other_s, x, sizeof x));
    row(b, "efficiency", hr__fmt_pct(e->efficiency, x, sizeof x));
}

static void steps(const hr_report *r, hr__sb *b) {
    const hr__msteps *s = &r->m.steps;
    char v[200], a[32], c[32], d[32];
    section(b, "Steps");
    if (!s->count) {
        hr__sb_puts(b, "  none recorded\n");
        return;
    }
    const char *per = s->per_unit ? "s/unit" : "s/step";
    hr__snprintf(v, sizeof v, "%zu (%zu with a duration)", s->count, s->timed);
    row(b, "count", v);
    hr__snprintf(v, sizeof v, "%s %s, median %s, p95 %s", hr__fmt_num(s->baseline, a, sizeof a),
                 per, hr__fmt_num(s->median, c, sizeof c), hr__fmt_num(s->p95, d, sizeof d));
    row(b, "baseline", v);
    hr__snprintf(v, sizeof v, "%zu at >= %.2gx baseline, %zu at >= %.2gx", s->slow, s->slow_factor,
                 s->critical, s->critical_factor);
    row(b, "slow steps", v);
    size_t shown = s->nepisodes < 20 ? s->nepisodes : 20;
    for (size_t i = 0; i < shown; i++) {
        const hr__mepisode *e = &s->episodes[i];
        hr__snprintf(v, sizeof v, "steps %lld..%lld (%zu) at %s: up to %.1fx, %s lost",
                     (long long)e->first_index, (long long)e->last_index, e->steps,
                     hr__fmt_dur(e->start_s, a, sizeof a), e->worst_factor,
                     hr__fmt_dur(e->lost_s, c, sizeof c));
        row(b, i ? "" : "slowdowns", v);
    }
    if (s->nepisodes > shown)
        hr__sb_printf(b, "  %-22s ... %zu more\n", "", s->nepisodes - shown);
}

static void components(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    section(b, "Components (min / mean / max over every tick)");
    if (!m->nsum) {
        hr__sb_puts(b, "  no telemetry\n");
        return;
    }
    const char *cur = NULL;
    char lo[40], mean[40], hi[40];
    for (size_t i = 0; i < m->nsum; i++) {
        const hr__msum *s = &m->sum[i];
        if (!cur || strcmp(cur, s->component) != 0) {
            hr__sb_puts(b, "  ");
            hr__esc_text(b, s->component);
            hr__sb_puts(b, "\n");
            cur = s->component;
        }
        hr__sb_puts(b, "    ");
        hr__sb_printf(b, "%-24.24s", s->metric);
        hr__sb_printf(b, " %12s %12s %12s\n", hr__fmt_value(s->st.min, s->base_unit, lo, sizeof lo),
                      hr__fmt_value(s->st.mean, s->base_unit, mean, sizeof mean),
                      hr__fmt_value(s->st.max, s->base_unit, hi, sizeof hi));
    }
}

static void throttle(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char a[48], c[48];
    section(b, "Throttling");
    if (!m->nthr)
        hr__sb_puts(b, "  none seen (or no source of throttle information in this session)\n");
    for (size_t i = 0; i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        hr__sb_puts(b, "  ");
        hr__esc_text(b, t->component[0] ? t->component : "-");
        hr__sb_puts(b, " ");
        hr__esc_text(b, t->reason);
        hr__sb_printf(b, " (%s): ", hr__rc_source_text(t->source));
        if (strcmp(t->source, "count") == 0)
            hr__sb_printf(b, "%lld times\n", (long long)t->count);
        else
            hr__sb_printf(b, "%s (%s)\n", hr__fmt_dur(t->seconds, a, sizeof a),
                          hr__fmt_pct(t->share, c, sizeof c));
    }
    if (!m->nlev)
        return;
    section(b, "Pressure (time per level)");
    for (size_t i = 0; i < m->nlev; i++) {
        const hr__mlevel *l = &m->lev[i];
        hr__sb_puts(b, "  ");
        hr__esc_text(b, l->channel);
        hr__sb_printf(b, " %s: %s (%s)\n", l->name, hr__fmt_dur(l->seconds, a, sizeof a),
                      hr__fmt_pct(l->share, c, sizeof c));
    }
}

static void events(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    char a[48];
    section(b, "Cooling breaks and events");
    hr__sb_printf(b, "  cooling breaks: %zu, %s in all", m->cool.count,
                  hr__fmt_dur(m->cool.total_s, a, sizeof a));
    hr__sb_puts(b, m->cool.open ? " (one still open at the end)\n" : "\n");
    for (size_t i = 0; i < m->cool.nreasons; i++) {
        hr__sb_printf(b, "    %zu x ", m->cool.reasons[i].count);
        hr__esc_text(b, m->cool.reasons[i].text);
        hr__sb_printf(b, " (%s)\n", hr__fmt_dur(m->cool.reasons[i].seconds, a, sizeof a));
    }
    for (size_t i = 0; i < m->nkinds; i++) {
        const hr__mkind *k = &m->kinds[i];
        hr__sb_puts(b, "  ");
        hr__esc_text(b, k->kind);
        hr__sb_printf(b, ": %zu, %s%s%s\n", k->count, hr__fmt_dur(k->total_s, a, sizeof a),
                      k->open ? ", open at the end: " : "", k->open ? "yes" : "");
    }
    const hr__rdata *d = &r->d;
    size_t shown = d->nev < HR__EVENTS_LISTED ? d->nev : HR__EVENTS_LISTED;
    for (size_t i = 0; i < shown; i++) {
        const hr__revent *e = &d->ev[i];
        char at[48], dur[48];
        hr__fmt_dur(hr__rel_s(d, e->start_ns), at, sizeof at);
        if (e->end_ns)
            hr__fmt_dur((double)(e->end_ns - e->start_ns) / 1e9, dur, sizeof dur);
        else
            hr__snprintf(dur, sizeof dur, "open");
        hr__sb_printf(b, "%s    at %s, %s, ", i ? "" : "  list:\n", at, dur);
        hr__esc_text(b, e->kind);
        hr__sb_puts(b, ": ");
        hr__esc_text(b, e->detail);
        hr__sb_puts(b, "\n");
    }
    if (d->nev > shown)
        hr__sb_printf(b, "    ... %zu more (all are in the JSON report's counts)\n",
                      d->nev - shown);
}

static void rle(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    if (!m->nrle)
        return;
    char a[32], c[32], e[32], f[32], g[32];
    section(b, "RLE per component (collapse rate counted per component)");
    for (size_t i = 0; i < m->nrle; i++) {
        const hr__mrle *x = &m->rle[i];
        hr__sb_puts(b, "  ");
        hr__esc_text(b, x->component);
        hr__sb_printf(b, ": mean %s (min %s, max %s), collapse %s",
                      hr__fmt_num(x->st.mean, a, sizeof a), hr__fmt_num(x->st.min, c, sizeof c),
                      hr__fmt_num(x->st.max, e, sizeof e),
                      hr__fmt_pct(x->collapse_rate, f, sizeof f));
        if (x->rate_from_events)
            hr__sb_printf(b, " of the time (%zu events)\n", x->collapse_events);
        else
            hr__sb_printf(b, " (%zu of %zu samples, %zu events)\n", x->collapse_on,
                          x->collapse_known, x->collapse_events);
        hr__sb_printf(b, "      mean |dRLE/dt| %s /s, sd %s /s, late spread %s: %s\n",
                      hr__fmt_num(x->mean_abs_d, a, sizeof a), hr__fmt_num(x->std_d, c, sizeof c),
                      hr__fmt_num(x->late_spread, g, sizeof g), x->verdict);
    }
}

static void correlation(const hr_report *r, hr__sb *b) {
    const hr__rmodel *m = &r->m;
    if (!m->ncorr)
        return;
    section(b, "Correlation (steps joined with the latest tick before them)");
    hr__sb_printf(b, "  tolerance %.3g s; 95 %% intervals by Fisher z\n", m->tolerance_s);
    for (size_t i = 0; i < m->ncorr; i++) {
        const hr__mcorr *c = &m->corr[i];
        char p[96], s[96];
        hr__rc_corr_text(&c->p, p, sizeof p);
        hr__rc_corr_text(&c->s, s, sizeof s);
        hr__sb_puts(b, "  ");
        hr__esc_text(b, c->x);
        hr__sb_puts(b, " ~ ");
        hr__esc_text(b, c->y);
        hr__sb_printf(b, ": n %zu, Pearson %s, Spearman %s\n", c->p.n, p, s);
    }
}

static void notes(const hr_report *r, hr__sb *b) {
    if (!r->m.nnotes)
        return;
    section(b, "Notes");
    for (size_t i = 0; i < r->m.nnotes; i++) {
        hr__sb_puts(b, "  - ");
        hr__esc_text(b, r->m.notes[i]);
        hr__sb_puts(b, "\n");
    }
}

hr_status hr__render_text(const hr_report *r, hr__sb *b) {
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

/* render_sections.c: the content of the text, Markdown and HTML reports,
 * written once to a format-neutral document (render_common.h): the parts
 * in their order (head, findings, where the time went, the timeline where
 * a format draws charts, steps, correlation, components, throttling,
 * events, RLE, notes), the items of each, the numbers as people read them
 * (format.c; NaN is "unknown", never 0) and the sentence that stands for
 * an empty part. The formats add markup only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/render_common.h"

/* Episodes of slow steps listed one by one. */
#define EPISODES_LISTED 50

/* Table columns: session text, a figure, the report's own words, a
 * column that groups the rows. */
/* clang-format off */
#define COL(title) {title, 0}
#define NUM(title) {title, HR__COL_NUM}
#define OWN(title) {title, HR__COL_OWN}
#define GROUP(title) {title, HR__COL_GROUP}
/* clang-format on */

/* --- the head --- */

/* "model=sdxl, run=3" */
static void tags_field(const hr_report *r, hr__doc *d) {
    hr__sb t = {0};
    const char *k;
    json_t *v;
    json_object_foreach(r->d.tags, k, v) {
        hr__sb_printf(&t, "%s%s=%s", t.len ? ", " : "", k,
                      json_is_string(v) ? json_string_value(v) : "");
    }
    if (t.oom)
        d->b->oom = 1;
    hr__doc_field(d, "tags", t.p ? t.p : "");
    hr__sb_free(&t);
}

static const char *host_str(json_t *o, const char *key) {
    json_t *v = o ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

/* "ws (linux, Test CPU, 2 CPUs; Test GPU)"; nothing without an inventory. */
static void host_field(const hr_report *r, hr__doc *d) {
    json_t *h = r->d.host ? json_object_get(r->d.host, "host") : NULL;
    if (!json_is_object(h))
        return;
    json_t *ncpu = json_object_get(h, "cpus_logical");
    char cpus[32] = "";
    if (json_is_integer(ncpu))
        hr__snprintf(cpus, sizeof cpus, ", %lld CPUs", (long long)json_integer_value(ncpu));
    char gpus[160] = "";
    size_t n = 0, i;
    json_t *g;
    json_array_foreach(json_object_get(r->d.host, "gpus"), i, g) {
        size_t len = strlen(gpus);
        if (len + 8 < sizeof gpus)
            hr__snprintf(gpus + len, sizeof gpus - len, "%s%s", n++ ? ", " : "; ",
                         host_str(g, "name"));
    }
    hr__doc_field(d, "host",
                  hr__doc_fmt(d, "%s (%s, %s%s%s)", host_str(h, "hostname"), host_str(h, "os"),
                              host_str(h, "cpu_model"), cpus, gpus));
}

/* "1 Hz requested, 1 Hz achieved, 600 ticks, 0 missed (0.0 %), 25 channels" */
static void sampling_field(const hr_report *r, hr__doc *d) {
    const hr__rdata *x = &r->d;
    char req[48] = "rate not recorded";
    if (x->requested_hz > 0)
        hr__snprintf(req, sizeof req, "%.4g Hz requested", x->requested_hz);
    char ach[48] = "";
    if (x->nticks > 1)
        hr__snprintf(ach, sizeof ach, ", %.4g Hz achieved", x->achieved_hz);
    double expected = (double)x->nticks + (double)x->missed_ticks;
    double miss = expected > 0 ? (double)x->missed_ticks / expected * 100 : 0;
    hr__doc_field(d, "sampling",
                  hr__doc_fmt(d, "%s%s, %zu ticks, %lld missed (%.1f %%), %zu channels", req, ach,
                              x->nticks, (long long)x->missed_ticks, miss, x->nch));
}

static void head(const hr_report *r, hr__doc *d) {
    const hr__rdata *x = &r->d;
    hr__doc_head(d, x->path);
    const char *state = hr_session_state_name(x->state);
    char start[48], dur[48];
    hr__doc_fields(d);
    hr__doc_field(d, "session",
                  x->created_by[0] ? hr__doc_fmt(d, "%s, written by %s", state, x->created_by)
                                   : state);
    hr__fmt_utc(x, hr__t0_ns(x), start, sizeof start);
    hr__fmt_dur(r->m.duration_s, dur, sizeof dur);
    hr__doc_field(d, "time", hr__doc_fmt(d, "from %s, %s", start, dur));
    if (x->command[0])
        hr__doc_field(d, "command", x->command);
    if (x->notes[0])
        hr__doc_field(d, "notes", x->notes);
    if (x->tags)
        tags_field(r, d);
    host_field(r, d);
    sampling_field(r, d);
    if (x->ext_name)
        hr__doc_field(d, "joined log", hr__doc_fmt(d, "%s (%zu rows)", x->ext_name, x->ext.n));
    hr__doc_fields_end(d);
    hr__doc_head_end(d);
}

/* --- findings and where the time went --- */

static void findings(const hr_report *r, hr__doc *d) {
    const hr__rmodel *m = &r->m;
    hr__doc_section(d, "findings", "Findings");
    if (!m->nfind)
        hr__doc_para(d, HR__PARA_NONE,
                     "None: nothing in this session shows a bound (checked: input, thermal, "
                     "power, memory, step time, RLE collapses).");
    for (size_t i = 0; i < m->nfind; i++)
        hr__doc_finding(d, &m->find[i]);
    hr__doc_section_end(d);
}

/* One row of the time table: LABEL, S as a duration, SHARE. */
static void time_row(hr__doc *d, const char *label, double s, double share) {
    char t[48], p[48];
    const char *cells[3] = {label, hr__fmt_dur(s, t, sizeof t), hr__fmt_pct(share, p, sizeof p)};
    hr__doc_row(d, cells);
}

static void time_table(const hr_report *r, hr__doc *d) {
    static const hr__dcol cols[] = {COL(""), NUM("time"), NUM("share")};
    const hr__meff *e = &r->m.eff;
    char base[160];
    hr__snprintf(base, sizeof base, "at baseline speed (%.15g %s x %.4g s)", e->units,
                 r->m.steps.per_unit ? "units" : "steps", r->m.steps.baseline);
    hr__doc_table(d, cols, 3);
    time_row(d, "actual (first step's start to last step's end)", e->actual_s, 1);
    time_row(d, base, e->theoretical_s, e->efficiency);
    time_row(d, "lost", e->lost_s, e->lost_share);
    time_row(d, "lost in slow steps", e->throttle_loss_s, e->throttle_loss_s / e->actual_s);
    time_row(d, "lost in cooling breaks", e->cooling_s, e->cooling_s / e->actual_s);
    time_row(d, "lost elsewhere", e->other_s, e->other_s / e->actual_s);
    hr__doc_table_end(d);
}

static void efficiency(const hr_report *r, hr__doc *d) {
    const hr__meff *e = &r->m.eff;
    char x[48], y[48];
    hr__doc_section(d, "efficiency", "Where the time went");
    if (!e->known) {
        hr__doc_para(d, HR__PARA_NONE, hr__doc_fmt(d, "Unknown: %s", e->why));
    } else {
        hr__doc_para(d, HR__PARA_KEY,
                     hr__doc_fmt(d, "Efficiency: %s (%s lost).",
                                 hr__fmt_pct(e->efficiency, x, sizeof x),
                                 hr__fmt_pct(e->lost_share, y, sizeof y)));
        hr__doc_chart(d, HR__CHART_SPLIT, r);
        time_table(r, d);
    }
    hr__doc_section_end(d);
}

static void timeline(hr__doc *d) {
    if (!hr__doc_has_charts(d))
        return;
    hr__doc_section(d, "timeline", "Timeline");
    hr__doc_chart(d, HR__CHART_TIME, NULL);
    hr__doc_section_end(d);
}

/* --- steps and correlation --- */

static void step_fields(const hr__msteps *s, hr__doc *d) {
    char a[32], b[32], c[32];
    hr__doc_fields(d);
    hr__doc_field(d, "count", hr__doc_fmt(d, "%zu (%zu with a duration)", s->count, s->timed));
    hr__doc_field(d, "baseline",
                  hr__doc_fmt(d, "%s %s, median %s, p95 %s", hr__fmt_num(s->baseline, a, sizeof a),
                              s->per_unit ? "s/unit" : "s/step",
                              hr__fmt_num(s->median, b, sizeof b),
                              hr__fmt_num(s->p95, c, sizeof c)));
    hr__doc_field(d, "slow steps",
                  hr__doc_fmt(d, "%zu at \xe2\x89\xa5 %.2gx baseline, %zu at \xe2\x89\xa5 %.2gx",
                              s->slow, s->slow_factor, s->critical, s->critical_factor));
    hr__doc_fields_end(d);
}

static void episodes(const hr__msteps *s, hr__doc *d) {
    static const hr__dcol cols[] = {OWN("steps"), NUM("count"), NUM("starts at"), NUM("worst"),
                                    NUM("lost")};
    size_t shown = s->nepisodes < EPISODES_LISTED ? s->nepisodes : EPISODES_LISTED;
    hr__doc_table(d, cols, 5);
    for (size_t i = 0; i < shown; i++) {
        const hr__mepisode *e = &s->episodes[i];
        char span[64], n[32], at[48], worst[32], lost[48];
        hr__snprintf(span, sizeof span, "%lld..%lld", (long long)e->first_index,
                     (long long)e->last_index);
        hr__snprintf(n, sizeof n, "%zu", e->steps);
        hr__snprintf(worst, sizeof worst, "%.1fx", e->worst_factor);
        const char *cells[5] = {span, n, hr__fmt_dur(e->start_s, at, sizeof at), worst,
                                hr__fmt_dur(e->lost_s, lost, sizeof lost)};
        hr__doc_row(d, cells);
    }
    hr__doc_table_end(d);
    if (s->nepisodes > shown)
        hr__doc_para(d, HR__PARA_PLAIN, hr__doc_fmt(d, "... and %zu more.", s->nepisodes - shown));
}

static void steps(const hr_report *r, hr__doc *d) {
    const hr__msteps *s = &r->m.steps;
    hr__doc_section(d, "steps", "Steps");
    if (!s->count)
        hr__doc_para(d, HR__PARA_NONE, "None recorded.");
    else
        step_fields(s, d);
    hr__doc_chart(d, HR__CHART_STEPS, r);
    if (s->nepisodes)
        episodes(s, d);
    hr__doc_section_end(d);
}

/* "0.82 [0.71, 0.89]", "0.82" or "unknown" */
static const char *corr_text(const hr__corr *c, char *buf, size_t cap) {
    if (!isfinite(c->r))
        hr__snprintf(buf, cap, "unknown");
    else if (isfinite(c->lo))
        hr__snprintf(buf, cap, "%.3f [%.3f, %.3f]", c->r, c->lo, c->hi);
    else
        hr__snprintf(buf, cap, "%.3f", c->r);
    return buf;
}

static void corr_table(const hr__rmodel *m, hr__doc *d) {
    static const hr__dcol cols[] = {COL("step value"), COL("telemetry"), NUM("n"),
                                    OWN("Pearson r [95 % CI]"), OWN("Spearman rho [95 % CI]")};
    hr__doc_table(d, cols, 5);
    for (size_t i = 0; i < m->ncorr; i++) {
        const hr__mcorr *c = &m->corr[i];
        char n[32], p[96], s[96];
        hr__snprintf(n, sizeof n, "%zu", c->p.n);
        const char *cells[5] = {c->x, c->y, n, corr_text(&c->p, p, sizeof p),
                                corr_text(&c->s, s, sizeof s)};
        hr__doc_row(d, cells);
    }
    hr__doc_table_end(d);
}

/* Left out when there is nothing to show: no pairs, and no place for the
 * scatter plots. */
static void correlation(const hr_report *r, hr__doc *d) {
    const hr__rmodel *m = &r->m;
    if (!m->ncorr && !hr__doc_has_charts(d))
        return;
    hr__doc_section(d, "correlation", "Correlation");
    if (!m->ncorr)
        hr__doc_para(d, HR__PARA_NONE, "No step numbers to correlate with the telemetry.");
    else
        hr__doc_para(
            d, HR__PARA_PLAIN,
            hr__doc_fmt(d,
                        "Each step takes the latest tick at or before it, at most %.3g s older; "
                        "95 %% intervals by Fisher z.",
                        m->tolerance_s));
    hr__doc_chart(d, HR__CHART_SCATTER, r);
    if (m->ncorr)
        corr_table(m, d);
    hr__doc_section_end(d);
}

/* --- components, throttling and pressure --- */

static void component_table(const hr__rmodel *m, hr__doc *d) {
    static const hr__dcol cols[] = {GROUP("component"), COL("metric"), NUM("min"), NUM("mean"),
                                    NUM("max")};
    hr__doc_table(d, cols, 5);
    for (size_t i = 0; i < m->nsum; i++) {
        const hr__msum *s = &m->sum[i];
        char lo[40], mean[40], hi[40];
        const char *cells[5] = {s->component, s->metric,
                                hr__fmt_value(s->st.min, s->base_unit, lo, sizeof lo),
                                hr__fmt_value(s->st.mean, s->base_unit, mean, sizeof mean),
                                hr__fmt_value(s->st.max, s->base_unit, hi, sizeof hi)};
        hr__doc_row(d, cells);
    }
    hr__doc_table_end(d);
}

static void components(const hr_report *r, hr__doc *d) {
    hr__doc_section(d, "components", "Components");
    hr__doc_para(d, HR__PARA_PLAIN, "Min, mean and max over every tick.");
    if (!r->m.nsum)
        hr__doc_para(d, HR__PARA_NONE, "No telemetry.");
    else
        component_table(&r->m, d);
    hr__doc_section_end(d);
}

/* What a throttle row's source means. */
static const char *source_text(const char *source) {
    static const char *const text[][2] = {{"reasons", "clock-event reasons, share of sampled time"},
                                          {"counter", "driver's throttle-time counter"},
                                          {"count", "throttle counter"}};
    for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
        if (strcmp(source, text[i][0]) == 0)
            return text[i][1];
    return source; /* "events" */
}

static void throttle_row(const hr__mthrottle *t, hr__doc *d) {
    char a[48], c[48];
    if (strcmp(t->source, "count") == 0) {
        hr__snprintf(a, sizeof a, "%lld times", (long long)t->count);
        c[0] = '\0';
    } else {
        hr__fmt_dur(t->seconds, a, sizeof a);
        hr__fmt_pct(t->share, c, sizeof c);
    }
    const char *cells[5] = {t->component[0] ? t->component : "-", t->reason, source_text(t->source),
                            a, c};
    hr__doc_row(d, cells);
}

static void pressure(const hr__rmodel *m, hr__doc *d) {
    static const hr__dcol cols[] = {COL("channel"), COL("level"), NUM("time"), NUM("share")};
    hr__doc_table(d, cols, 4);
    for (size_t i = 0; i < m->nlev; i++) {
        const hr__mlevel *l = &m->lev[i];
        char a[48], c[48];
        const char *cells[4] = {l->channel, l->name, hr__fmt_dur(l->seconds, a, sizeof a),
                                hr__fmt_pct(l->share, c, sizeof c)};
        hr__doc_row(d, cells);
    }
    hr__doc_table_end(d);
}

static void throttle_table(const hr__rmodel *m, hr__doc *d) {
    static const hr__dcol cols[] = {COL("component"), COL("reason"), COL("source"), NUM("time"),
                                    NUM("share")};
    hr__doc_table(d, cols, 5);
    for (size_t i = 0; i < m->nthr; i++)
        throttle_row(&m->thr[i], d);
    hr__doc_table_end(d);
}

static void throttle(const hr_report *r, hr__doc *d) {
    hr__doc_section(d, "throttle", "Throttling and pressure");
    if (!r->m.nthr)
        hr__doc_para(d, HR__PARA_NONE,
                     "No throttling seen (or no source of throttle information in this session).");
    else
        throttle_table(&r->m, d);
    if (r->m.nlev)
        pressure(&r->m, d);
    hr__doc_section_end(d);
}

/* --- events, RLE, notes --- */

static void cooling(const hr__mcool *c, hr__doc *d) {
    char a[48];
    hr__doc_para(d, HR__PARA_PLAIN,
                 hr__doc_fmt(d, "Cooling breaks: %zu, %s in all%s.", c->count,
                             hr__fmt_dur(c->total_s, a, sizeof a),
                             c->open ? " (one still open at the end)" : ""));
    if (!c->nreasons)
        return;
    hr__doc_list(d, HR__LIST_PLAIN);
    for (size_t i = 0; i < c->nreasons; i++)
        hr__doc_item(d, hr__doc_fmt(d, "%zu x %s (%s)", c->reasons[i].count, c->reasons[i].text,
                                    hr__fmt_dur(c->reasons[i].seconds, a, sizeof a)));
    hr__doc_list_end(d);
}

static void event_kinds(const hr__rmodel *m, hr__doc *d) {
    static const hr__dcol cols[] = {COL("kind"), NUM("count"), NUM("total"),
                                    NUM("open at the end")};
    hr__doc_table(d, cols, 4);
    for (size_t i = 0; i < m->nkinds; i++) {
        const hr__mkind *k = &m->kinds[i];
        char n[32], total[48], open[32];
        hr__snprintf(n, sizeof n, "%zu", k->count);
        hr__snprintf(open, sizeof open, "%zu", k->open);
        const char *cells[4] = {k->kind, n, hr__fmt_dur(k->total_s, total, sizeof total), open};
        hr__doc_row(d, cells);
    }
    hr__doc_table_end(d);
}

static void event_list(const hr__rdata *x, hr__doc *d) {
    static const hr__dcol cols[] = {NUM("at"), COL("kind"), NUM("lasted"), COL("detail")};
    size_t shown = x->nev < HR__EVENTS_LISTED ? x->nev : HR__EVENTS_LISTED;
    hr__doc_table(d, cols, 4);
    for (size_t i = 0; i < shown; i++) {
        const hr__revent *e = &x->ev[i];
        char at[48], dur[48] = "open";
        hr__fmt_dur(hr__rel_s(x, e->start_ns), at, sizeof at);
        if (e->end_ns)
            hr__fmt_dur((double)(e->end_ns - e->start_ns) / 1e9, dur, sizeof dur);
        const char *cells[4] = {at, e->kind, dur, e->detail};
        hr__doc_row(d, cells);
    }
    hr__doc_table_end(d);
    if (x->nev > shown)
        hr__doc_para(d, HR__PARA_PLAIN, hr__doc_fmt(d, "... and %zu more events.", x->nev - shown));
}

static void events(const hr_report *r, hr__doc *d) {
    hr__doc_section(d, "events", "Cooling breaks and events");
    cooling(&r->m.cool, d);
    if (r->m.nkinds)
        event_kinds(&r->m, d);
    if (r->d.nev)
        event_list(&r->d, d);
    hr__doc_section_end(d);
}

/* "5.0 % (30 of 600 samples)", or "5.0 % of the time" from events. */
static const char *collapse_rate(const hr__mrle *x, char *buf, size_t cap) {
    char pct[32];
    hr__fmt_pct(x->collapse_rate, pct, sizeof pct);
    if (x->rate_from_events)
        hr__snprintf(buf, cap, "%s of the time", pct);
    else
        hr__snprintf(buf, cap, "%s (%zu of %zu samples)", pct, x->collapse_on, x->collapse_known);
    return buf;
}

static void rle_row(const hr__mrle *x, hr__doc *d) {
    char mean[32], lo[32], hi[32], rate[96], ev[32], md[48], sd[48], late[32];
    hr__fmt_num(x->st.mean, mean, sizeof mean);
    hr__fmt_num(x->st.min, lo, sizeof lo);
    hr__fmt_num(x->st.max, hi, sizeof hi);
    collapse_rate(x, rate, sizeof rate);
    hr__snprintf(ev, sizeof ev, "%zu", x->collapse_events);
    hr__fmt_num(x->mean_abs_d, md, sizeof md);
    hr__fmt_num(x->std_d, sd, sizeof sd);
    hr__fmt_num(x->late_spread, late, sizeof late);
    const char *cells[10] = {x->component, mean, lo, hi, rate, ev, md, sd, late, x->verdict};
    hr__doc_row(d, cells);
}

/* clang-format off */
static const hr__dcol rle_cols[] = {
    COL("component"), NUM("mean"), NUM("min"), NUM("max"), NUM("collapse rate"),
    NUM("collapse events"), NUM("mean abs dRLE/dt (1/s)"), NUM("sd dRLE/dt (1/s)"),
    NUM("late spread"), OWN("verdict")};
/* clang-format on */

static void rle(const hr_report *r, hr__doc *d) {
    const hr__rmodel *m = &r->m;
    if (!m->nrle)
        return;
    hr__doc_section(d, "rle", "RLE per component");
    hr__doc_para(d, HR__PARA_PLAIN, "Collapse rates are counted per component.");
    hr__doc_table(d, rle_cols, 10);
    for (size_t i = 0; i < m->nrle; i++)
        rle_row(&m->rle[i], d);
    hr__doc_table_end(d);
    hr__doc_section_end(d);
}

static void notes(const hr_report *r, hr__doc *d) {
    if (!r->m.nnotes)
        return;
    hr__doc_section(d, "notes", "Notes");
    hr__doc_list(d, HR__LIST_PLAIN);
    for (size_t i = 0; i < r->m.nnotes; i++)
        hr__doc_item(d, r->m.notes[i]);
    hr__doc_list_end(d);
    hr__doc_section_end(d);
}

void hr__render_doc(const hr_report *r, hr__doc *d) {
    head(r, d);
    findings(r, d);
    efficiency(r, d);
    timeline(d);
    steps(r, d);
    correlation(r, d);
    components(r, d);
    throttle(r, d);
    events(r, d);
    rle(r, d);
    notes(r, d);
    free(d->scratch);
    d->scratch = NULL;
    d->scratch_cap = 0;
}

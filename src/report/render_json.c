/* render_json.c: the report as JSON (schema: docs/REPORT.md, "JSON").
 * Unknown numbers are null, never 0; base units throughout (seconds,
 * celsius, watts, ratio, hertz, bytes). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report/report.h"

#define REPORT_JSON_VERSION 1

static json_t *jnum(double v) { return isfinite(v) ? json_real(v) : json_null(); }

/* A JSON string; text that is not valid UTF-8 (a name cut short) is
 * cleaned first. */
static json_t *jstr(const char *s) {
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    char *clean = hr__utf8_dup(s);
    j = clean ? json_string(clean) : NULL;
    free(clean);
    return j ? j : json_string("");
}

static void set(json_t *o, const char *k, json_t *v) {
    json_object_set_new(o, k, v ? v : json_null());
}

static json_t *stat_json(const hr__stat *s) {
    json_t *o = json_object();
    set(o, "n", json_integer((json_int_t)s->n));
    set(o, "min", jnum(s->min));
    set(o, "mean", jnum(s->mean));
    set(o, "max", jnum(s->max));
    return o;
}

static json_t *session_json(const hr__rdata *d, const hr__rmodel *m) {
    json_t *o = json_object();
    set(o, "path", jstr(d->path));
    set(o, "state", jstr(hr_session_state_name(d->state)));
    set(o, "created_by", jstr(d->created_by));
    set(o, "command", jstr(d->command));
    set(o, "notes", jstr(d->notes));
    set(o, "tags", d->tags ? json_deep_copy(d->tags) : json_object());
    set(o, "time_base", jstr(d->time_base[0] ? d->time_base : "monotonic"));
    int64_t t0 = hr__t0_ns(d);
    char utc[48];
    int64_t wall = t0 + d->wall_minus_mono_ns;
    time_t sec = (time_t)(wall / 1000000000LL);
    struct tm tm;
    int ok = t0 && wall > 0 && gmtime_r(&sec, &tm);
    if (ok)
        strftime(utc, sizeof utc, "%Y-%m-%dT%H:%M:%SZ", &tm);
    set(o, "start_utc", ok ? jstr(utc) : json_null());
    set(o, "start_unix_ns", t0 && wall > 0 ? json_integer(wall) : json_null());
    set(o, "duration_s", jnum(m->duration_s));
    set(o, "requested_hz", d->requested_hz > 0 ? jnum(d->requested_hz) : json_null());
    set(o, "achieved_hz", d->nticks > 1 ? jnum(d->achieved_hz) : json_null());
    set(o, "ticks", json_integer((json_int_t)d->nticks));
    set(o, "missed_ticks", json_integer(d->missed_ticks));
    set(o, "tick_interval_s", m->tick_s > 0 ? jnum(m->tick_s) : json_null());
    set(o, "channels", json_integer((json_int_t)d->nch));
    set(o, "steps", json_integer((json_int_t)d->steps.n));
    set(o, "events", json_integer((json_int_t)d->nev));
    set(o, "external_log", d->ext_name ? jstr(d->ext_name) : json_null());
    set(o, "external_rows", json_integer((json_int_t)d->ext.n));
    json_t *host = json_object();
    static const char *const keys[] = {"hostname", "os",        "os_release",  "kernel",
                                       "arch",     "cpu_model", "cpus_logical"};
    json_t *h = d->host ? json_object_get(d->host, "host") : NULL;
    for (size_t i = 0; h && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(h, keys[i]);
        if (v)
            set(host, keys[i], json_deep_copy(v));
    }
    json_t *gpus = d->host ? json_object_get(d->host, "gpus") : NULL;
    json_t *names = json_array();
    size_t gi;
    json_t *g;
    json_array_foreach(gpus, gi, g) {
        json_t *nm = json_object_get(g, "name");
        if (json_is_string(nm))
            json_array_append(names, nm);
    }
    set(host, "gpus", names);
    set(o, "host", host);
    return o;
}

static json_t *findings_json(const hr__rmodel *m) {
    json_t *a = json_array();
    for (size_t i = 0; i < m->nfind; i++) {
        const hr__mfinding *f = &m->find[i];
        json_t *o = json_object(), *ev = json_array(), *adv = json_array();
        set(o, "id", jstr(f->id));
        set(o, "severity", jstr(hr__severity_name(f->severity)));
        set(o, "title", jstr(f->title));
        for (size_t k = 0; k < f->nev; k++)
            json_array_append_new(ev, jstr(f->evidence[k]));
        for (size_t k = 0; k < f->nadv; k++)
            json_array_append_new(adv, jstr(f->advice[k]));
        set(o, "evidence", ev);
        set(o, "advice", adv);
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *components_json(const hr__rmodel *m) {
    json_t *a = json_array();
    json_t *cur = NULL, *metrics = NULL;
    const char *curname = NULL;
    for (size_t i = 0; i < m->nsum; i++) {
        const hr__msum *s = &m->sum[i];
        if (!curname || strcmp(curname, s->component) != 0) {
            cur = json_object();
            metrics = json_array();
            set(cur, "component", jstr(s->component));
            set(cur, "metrics", metrics);
            json_array_append_new(a, cur);
            curname = s->component;
        }
        json_t *o = json_object();
        set(o, "metric", jstr(s->metric));
        set(o, "kind", jstr(hr__rkind_name(s->kind)));
        set(o, "unit", jstr(s->base_unit));
        set(o, "n", json_integer((json_int_t)s->st.n));
        set(o, "min", jnum(s->st.min));
        set(o, "mean", jnum(s->st.mean));
        set(o, "max", jnum(s->st.max));
        json_array_append_new(metrics, o);
    }
    return a;
}

static json_t *throttle_json(const hr__rmodel *m) {
    json_t *a = json_array();
    for (size_t i = 0; i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        json_t *o = json_object();
        set(o, "component", jstr(t->component));
        set(o, "reason", jstr(t->reason));
        set(o, "source", jstr(t->source));
        set(o, "seconds", jnum(t->seconds));
        set(o, "share", jnum(t->share));
        set(o, "count", t->count >= 0 ? json_integer(t->count) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *levels_json(const hr__rmodel *m) {
    json_t *a = json_array();
    for (size_t i = 0; i < m->nlev; i++) {
        const hr__mlevel *l = &m->lev[i];
        json_t *o = json_object();
        set(o, "channel", jstr(l->channel));
        set(o, "level", json_integer(l->level));
        set(o, "name", jstr(l->name));
        set(o, "seconds", jnum(l->seconds));
        set(o, "share", jnum(l->share));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *events_json(const hr__rdata *d, const hr__rmodel *m) {
    json_t *o = json_object(), *reasons = json_array(), *kinds = json_array();
    json_t *cool = json_object();
    set(cool, "count", json_integer((json_int_t)m->cool.count));
    set(cool, "open", json_integer((json_int_t)m->cool.open));
    set(cool, "total_s", jnum(m->cool.total_s));
    for (size_t i = 0; i < m->cool.nreasons; i++) {
        json_t *r = json_object();
        set(r, "reason", jstr(m->cool.reasons[i].text));
        set(r, "count", json_integer((json_int_t)m->cool.reasons[i].count));
        set(r, "seconds", jnum(m->cool.reasons[i].seconds));
        json_array_append_new(reasons, r);
    }
    set(cool, "reasons", reasons);
    for (size_t i = 0; i < m->nkinds; i++) {
        const hr__mkind *k = &m->kinds[i];
        json_t *r = json_object();
        set(r, "kind", jstr(k->kind));
        set(r, "count", json_integer((json_int_t)k->count));
        set(r, "open", json_integer((json_int_t)k->open));
        set(r, "total_s", jnum(k->total_s));
        set(r, "documented", json_boolean(k->documented));
        json_array_append_new(kinds, r);
    }
    set(o, "cooling", cool);
    set(o, "kinds", kinds);
    json_t *list = json_array();
    size_t shown = d->nev < HR__EVENTS_LISTED ? d->nev : HR__EVENTS_LISTED;
    for (size_t i = 0; i < shown; i++) {
        const hr__revent *e = &d->ev[i];
        json_t *r = json_object();
        set(r, "kind", jstr(e->kind));
        set(r, "start_s", jnum(hr__rel_s(d, e->start_ns)));
        set(r, "end_s", e->end_ns ? jnum(hr__rel_s(d, e->end_ns)) : json_null());
        set(r, "detail", jstr(e->detail));
        json_array_append_new(list, r);
    }
    set(o, "list", list);
    set(o, "listed", json_integer((json_int_t)shown));
    set(o, "total", json_integer((json_int_t)d->nev));
    return o;
}

static json_t *steps_json(const hr__rmodel *m) {
    const hr__msteps *s = &m->steps;
    json_t *o = json_object(), *eps = json_array();
    set(o, "count", json_integer((json_int_t)s->count));
    set(o, "timed", json_integer((json_int_t)s->timed));
    set(o, "per", jstr(s->per_unit ? "unit" : "step"));
    set(o, "baseline_s", jnum(s->baseline));
    set(o, "median_s", jnum(s->median));
    set(o, "p95_s", jnum(s->p95));
    set(o, "mean_s", jnum(s->mean));
    set(o, "slow_factor", jnum(s->slow_factor));
    set(o, "critical_factor", jnum(s->critical_factor));
    set(o, "slow", json_integer((json_int_t)s->slow));
    set(o, "critical", json_integer((json_int_t)s->critical));
    for (size_t i = 0; i < s->nepisodes; i++) {
        const hr__mepisode *e = &s->episodes[i];
        json_t *r = json_object();
        set(r, "first_index", json_integer(e->first_index));
        set(r, "last_index", json_integer(e->last_index));
        set(r, "steps", json_integer((json_int_t)e->steps));
        set(r, "start_s", jnum(e->start_s));
        set(r, "end_s", jnum(e->end_s));
        set(r, "worst_factor", jnum(e->worst_factor));
        set(r, "lost_s", jnum(e->lost_s));
        json_array_append_new(eps, r);
    }
    set(o, "slowdowns", eps);
    return o;
}

static json_t *efficiency_json(const hr__meff *e) {
    json_t *o = json_object();
    set(o, "known", json_boolean(e->known));
    if (!e->known) {
        set(o, "why", jstr(e->why));
        return o;
    }
    set(o, "actual_s", jnum(e->actual_s));
    set(o, "theoretical_s", jnum(e->theoretical_s));
    set(o, "lost_s", jnum(e->lost_s));
    set(o, "lost_share", jnum(e->lost_share));
    set(o, "efficiency", jnum(e->efficiency));
    set(o, "throttle_loss_s", jnum(e->throttle_loss_s));
    set(o, "cooling_s", jnum(e->cooling_s));
    set(o, "other_s", jnum(e->other_s));
    set(o, "units", jnum(e->units));
    return o;
}

static json_t *rle_json(const hr__rmodel *m) {
    json_t *a = json_array();
    for (size_t i = 0; i < m->nrle; i++) {
        const hr__mrle *r = &m->rle[i];
        json_t *o = json_object();
        set(o, "component", jstr(r->component));
        set(o, "rle", stat_json(&r->st));
        set(o, "collapse_samples", json_integer((json_int_t)r->collapse_on));
        set(o, "collapse_of", json_integer((json_int_t)r->collapse_known));
        set(o, "collapse_rate", jnum(r->collapse_rate));
        set(o, "collapse_rate_from", jstr(r->rate_from_events ? "events" : "samples"));
        set(o, "collapse_events", json_integer((json_int_t)r->collapse_events));
        set(o, "collapse_s", jnum(r->collapse_s));
        set(o, "mean_abs_drle_dt", jnum(r->mean_abs_d));
        set(o, "std_drle_dt", jnum(r->std_d));
        set(o, "late_spread", jnum(r->late_spread));
        set(o, "verdict", jstr(r->verdict));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *corr_json(const hr__corr *c) {
    json_t *o = json_object();
    set(o, "r", jnum(c->r));
    set(o, "ci95", json_pack("[o,o]", jnum(c->lo), jnum(c->hi)));
    return o;
}

static json_t *series_json(const char *name, size_t n) {
    json_t *o = json_object();
    set(o, "component", jstr(name));
    set(o, "n", json_integer((json_int_t)n));
    return o;
}

static json_t *correlation_json(const hr__rmodel *m) {
    json_t *o = json_object(), *a = json_array(), *sc = json_array();
    set(o, "join", jstr("as-of, backward: each step takes the latest tick at or before it"));
    set(o, "tolerance_s", jnum(m->tolerance_s));
    for (size_t i = 0; i < m->ncorr; i++) {
        const hr__mcorr *c = &m->corr[i];
        json_t *r = json_object();
        set(r, "x", jstr(c->x));
        set(r, "y", jstr(c->y));
        set(r, "n", json_integer((json_int_t)c->p.n));
        set(r, "pearson", corr_json(&c->p));
        set(r, "spearman", corr_json(&c->s));
        json_array_append_new(a, r);
    }
    set(o, "pairs", a);
    for (size_t i = 0; i < m->nscat; i++) {
        const hr__mscatter *s = &m->scat[i];
        json_t *r = json_object(), *series = json_array();
        set(r, "id", jstr(s->id));
        set(r, "title", jstr(s->title));
        set(r, "x", jstr(s->xlabel));
        set(r, "y", jstr(s->ylabel));
        for (size_t k = 0; k < s->ns; k++)
            json_array_append_new(series, series_json(s->s[k].name, s->s[k].n));
        set(r, "series", series);
        json_array_append_new(sc, r);
    }
    set(o, "scatter", sc);
    return o;
}

json_t *hr__report_json(const hr_report *r) {
    const hr__rdata *d = &r->d;
    const hr__rmodel *m = &r->m;
    json_t *o = json_object();
    set(o, "format", jstr("headroom-report"));
    set(o, "version", json_integer(REPORT_JSON_VERSION));
    set(o, "session", session_json(d, m));
    set(o, "findings", findings_json(m));
    set(o, "efficiency", efficiency_json(&m->eff));
    set(o, "steps", steps_json(m));
    set(o, "components", components_json(m));
    set(o, "throttle", throttle_json(m));
    set(o, "pressure", levels_json(m));
    set(o, "events", events_json(d, m));
    set(o, "rle", rle_json(m));
    set(o, "correlation", correlation_json(m));
    json_t *notes = json_array();
    for (size_t i = 0; i < m->nnotes; i++)
        json_array_append_new(notes, jstr(m->notes[i]));
    set(o, "notes", notes);
    return o;
}

hr_status hr__render_json(const hr_report *r, hr__sb *b) {
    json_t *o = hr__report_json(r);
    if (!o)
        return HR_ENOMEM;
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!text)
        return HR_ENOMEM;
    hr__sb_puts(b, text);
    hr__sb_puts(b, "\n");
    free(text);
    return b->oom ? HR_ENOMEM : HR_OK;
}

/* load.c: a session read into plain arrays (hr__rdata_load), through the
 * public session API only: every tick, step and event, and the metadata the
 * report shows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "store/store.h"

/* Meta KEY as clean UTF-8 text ("" when absent). */
static char *meta_text(hr_session *s, const char *key) {
    char *raw = NULL;
    if (hr_session_get_meta(s, key, &raw) != HR_OK)
        raw = NULL;
    char *clean = hr__utf8_dup(raw ? raw : "");
    hr_free(raw);
    return clean;
}

static int meta_i64(hr_session *s, const char *key, int64_t *out) {
    char *raw = NULL;
    if (hr_session_get_meta(s, key, &raw) != HR_OK || !raw)
        return 0;
    char *end = NULL;
    long long v = strtoll(raw, &end, 10);
    int ok = end != raw && *end == '\0';
    hr_free(raw);
    if (ok)
        *out = v;
    return ok;
}

static hr_status load_meta(hr__rdata *d, hr_session *s) {
    d->path = hr__utf8_dup(hr_session_path(s));
    d->created_by = meta_text(s, "created_by");
    d->command = meta_text(s, "command_line");
    if (d->command && !d->command[0]) {
        free(d->command);
        d->command = meta_text(s, "command");
    }
    d->notes = meta_text(s, "notes");
    d->time_base = meta_text(s, "time_base");
    if (!d->path || !d->created_by || !d->command || !d->notes || !d->time_base)
        return HR_ENOMEM;
    char *json = NULL;
    hr_status st = hr_session_meta_json(s, 0, &json);
    if (st != HR_OK)
        return st;
    json_t *root = json_loads(json, 0, NULL);
    hr_free(json);
    if (!root)
        return HR_ENOMEM;
    json_t *host = json_object_get(root, "host");
    json_t *tags = json_object_get(root, "tags");
    if (json_is_object(host))
        d->host = json_incref(host);
    if (json_is_object(tags) && json_object_size(tags))
        d->tags = json_incref(tags);
    json_decref(root);
    return HR_OK;
}

static hr_status load_info(hr__rdata *d, hr_session *s, hr_session_info *info) {
    memset(info, 0, sizeof *info);
    info->size = sizeof *info;
    hr_status st = hr_session_info_get(s, info);
    if (st != HR_OK)
        return st;
    d->state = info->state;
    d->requested_hz = info->requested_hz;
    d->achieved_hz = info->achieved_hz;
    d->missed_ticks = info->missed_ticks;
    d->start_ns = info->start_mono_ns;
    d->end_ns = info->end_mono_ns;
    int64_t sm = 0, sw = 0;
    if (meta_i64(s, "start_mono_ns", &sm) && meta_i64(s, "start_wall_ns", &sw))
        d->wall_minus_mono_ns = sw - sm;
    else if (info->start_wall_ns && info->start_mono_ns)
        d->wall_minus_mono_ns = info->start_wall_ns - info->start_mono_ns;
    int64_t ds = 0;
    if (meta_i64(s, "dataset_bytes", &ds) && ds > 0)
        d->dataset_bytes = (double)ds;
    int64_t rc = 0;
    if (meta_i64(s, "job_rchar_bytes", &rc) && rc > 0)
        d->job_rchar_bytes = (double)rc;
    return HR_OK;
}

static hr_status grow_ticks(hr__rdata *d) {
    size_t cap = d->tcap ? d->tcap * 2 : 1024;
    int64_t *t = realloc(d->t_ns, cap * sizeof *t);
    if (!t)
        return HR_ENOMEM;
    d->t_ns = t;
    for (size_t c = 0; c < d->nch; c++) {
        double *v = realloc(d->ch[c].v, cap * sizeof *v);
        if (!v)
            return HR_ENOMEM;
        d->ch[c].v = v;
    }
    d->tcap = cap;
    return HR_OK;
}

/* Channels as the session declares them, with room for EXPECT ticks. */
static hr_status load_channels(hr__rdata *d, hr_session *s, size_t expect) {
    size_t n = hr_session_channel_count(s);
    d->ch = calloc(n ? n : 1, sizeof *d->ch);
    if (!d->ch)
        return HR_ENOMEM;
    d->tcap = expect ? expect : 1;
    d->t_ns = malloc(d->tcap * sizeof *d->t_ns);
    if (!d->t_ns)
        return HR_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const hr_channel *hc = hr_session_channel(s, i);
        size_t at = 0; /* no ticks yet: the values come from the cursor */
        hr_status st =
            hr__rdata_add_channel(d, hc->component, hc->metric, hc->base_unit, NULL, &at);
        if (st != HR_OK)
            return st;
        hr__rchan *c = &d->ch[at];
        double *v = realloc(c->v, d->tcap * sizeof *v);
        if (!v)
            return HR_ENOMEM;
        c->v = v;
        hr__utf8_copy(c->unit, hc->unit, sizeof c->unit);
        hr__utf8_copy(c->label, hc->label, sizeof c->label);
        c->scale = hc->scale;
    }
    return HR_OK;
}

static hr_status load_ticks(hr__rdata *d, hr_session *s) {
    hr_tick_cursor *cur = NULL;
    hr_status st = hr_session_ticks(s, &cur);
    hr_tick_row row;
    while (st == HR_OK && (st = hr_tick_cursor_next(cur, &row)) == HR_OK) {
        if (d->nticks == d->tcap && (st = grow_ticks(d)) != HR_OK)
            break;
        size_t i = d->nticks++;
        d->t_ns[i] = row.t_mono_ns;
        if (i == 0)
            d->wall_minus_mono_ns = row.t_wall_ns - row.t_mono_ns;
        size_t n = row.n < d->nch ? row.n : d->nch;
        for (size_t c = 0; c < n; c++) {
            const hr_reading *r = &row.values[c];
            double v = HR_IS_KNOWN(*r) ? (double)r->v * d->ch[c].scale : NAN;
            d->ch[c].v[i] = v;
            d->ch[c].nknown += HR_IS_KNOWN(*r) ? 1u : 0u;
        }
        for (size_t c = n; c < d->nch; c++)
            d->ch[c].v[i] = NAN;
    }
    hr_tick_cursor_free(cur);
    return st == HR_ENOENT ? HR_OK : st;
}

static hr_status load_steps(hr__rdata *d, hr_session *s) {
    hr_step_cursor *cur = NULL;
    hr_status st = hr_session_steps(s, &cur);
    hr_step step;
    while (st == HR_OK && (st = hr_step_cursor_next(cur, &step)) == HR_OK)
        st = hr__rsteps_add(&d->steps, step.index, step.t_mono_ns, step.duration_ns, step.units,
                            step.nvalues, step.names, step.values);
    hr_step_cursor_free(cur);
    return st == HR_ENOENT ? HR_OK : st;
}

static hr_status load_events(hr__rdata *d, hr_session *s) {
    hr_event_cursor *cur = NULL;
    hr_status st = hr_session_events(s, &cur);
    hr_event ev;
    while (st == HR_OK && (st = hr_event_cursor_next(cur, &ev)) == HR_OK)
        st = hr__rdata_add_event(d, ev.kind, ev.start_mono_ns, ev.end_mono_ns, ev.detail);
    hr_event_cursor_free(cur);
    return st == HR_ENOENT ? HR_OK : st;
}

hr_status hr__rdata_load(hr__rdata *d, hr_session *s) {
    memset(d, 0, sizeof *d);
    hr_session_info info;
    hr_status st = load_info(d, s, &info);
    if (st == HR_OK)
        st = load_meta(d, s);
    if (st == HR_OK)
        st = load_channels(d, s, info.ticks > 0 ? (size_t)info.ticks : 0);
    if (st == HR_OK)
        st = load_ticks(d, s);
    if (st == HR_OK)
        st = load_steps(d, s);
    if (st == HR_OK)
        st = load_events(d, s);
    if (st == HR_ENOMEM)
        return hr__session_fail(s, HR_ENOMEM, "report: out of memory reading %s",
                                hr_session_path(s));
    return st;
}

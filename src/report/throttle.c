/* throttle.c: time throttled, by reason: from the GPUs' clock-event reason
 * masks (per tick), the drivers' cumulative throttle-time counters, the
 * CPU package throttle counter, and the throttle events `headroom run`
 * writes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static const struct reason_bit {
    uint64_t bit;
    const char *name;
} reason_bits[] = {
    {HR_THROTTLE_GPU_IDLE, "gpu_idle"},
    {HR_THROTTLE_APP_CLOCKS, "app_clocks"},
    {HR_THROTTLE_SW_POWER_CAP, "sw_power_cap"},
    {HR_THROTTLE_HW_SLOWDOWN, "hw_slowdown"},
    {HR_THROTTLE_SYNC_BOOST, "sync_boost"},
    {HR_THROTTLE_SW_THERMAL, "sw_thermal"},
    {HR_THROTTLE_HW_THERMAL, "hw_thermal"},
    {HR_THROTTLE_HW_POWER_BRAKE, "hw_power_brake"},
    {HR_THROTTLE_DISPLAY_CLOCKS, "display_clocks"},
    {HR_THROTTLE_BOARD_LIMIT, "board_limit"},
    {HR_THROTTLE_RELIABILITY, "reliability"},
};

static hr__mthrottle *thr_add(hr__rmodel *m, const char *component, const char *reason,
                              const char *source) {
    hr__mthrottle *nt = realloc(m->thr, (m->nthr + 1) * sizeof *nt);
    if (!nt)
        return NULL;
    m->thr = nt;
    hr__mthrottle *t = &m->thr[m->nthr++];
    memset(t, 0, sizeof *t);
    hr__utf8_copy(t->component, component, sizeof t->component);
    hr__utf8_copy(t->reason, reason, sizeof t->reason);
    hr__strlcpy(t->source, source, sizeof t->source);
    t->seconds = t->share = NAN;
    t->count = -1;
    return t;
}

static hr_status from_mask(const hr__rchan *ch, const hr__rdata *d, hr__rmodel *m) {
    double known = 0;
    for (size_t i = 0; i < d->nticks; i++)
        if (isfinite(ch->v[i]))
            known += m->dt_s[i];
    if (known <= 0)
        return HR_OK;
    for (size_t b = 0; b < sizeof reason_bits / sizeof reason_bits[0]; b++) {
        double on = 0;
        for (size_t i = 0; i < d->nticks; i++)
            if (isfinite(ch->v[i]) && (hr__mask_of(ch->v[i]) & reason_bits[b].bit))
                on += m->dt_s[i];
        if (on <= 0)
            continue;
        hr__mthrottle *t = thr_add(m, ch->component, reason_bits[b].name, "reasons");
        if (!t)
            return HR_ENOMEM;
        t->seconds = on;
        t->share = on / known;
    }
    return HR_OK;
}

/* The increase of a cumulative counter: the sum of its rises (a reset, as
 * after a driver reload, does not count as a fall), and the time span it
 * covers. */
static double counter_rise(const double *v, size_t n, const int64_t *t, double *span_s) {
    double rise = 0, prev = NAN;
    int64_t first = 0, last = 0;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (!any) {
            first = t[i];
            any = 1;
        } else if (v[i] > prev) {
            rise += v[i] - prev;
        }
        last = t[i];
        prev = v[i];
    }
    *span_s = (double)(last - first) / 1e9;
    return any ? rise : NAN;
}

static hr_status from_counter(const hr__rchan *ch, const hr__rdata *d, hr__rmodel *m) {
    double span = 0;
    double rise = counter_rise(ch->v, d->nticks, d->t_ns, &span);
    if (!(rise > 0))
        return HR_OK;
    if (strcmp(ch->base_unit, "seconds") == 0) {
        hr__mthrottle *t =
            thr_add(m, ch->component, ch->metric + strlen("throttle_time_"), "counter");
        if (!t)
            return HR_ENOMEM;
        t->seconds = rise;
        t->share = span > 0 ? rise / span : NAN;
        return HR_OK;
    }
    hr__mthrottle *t = thr_add(m, ch->component, "package_throttle", "count");
    if (!t)
        return HR_ENOMEM;
    t->count = rise < 9e18 ? (int64_t)llround(rise) : INT64_MAX;
    return HR_OK;
}

/* The end of event E for accounting: its end, or the end of the session. */
static int64_t event_end(const hr__rdata *d, const hr__revent *e) {
    if (e->end_ns)
        return e->end_ns;
    int64_t end = d->end_ns;
    if (d->nticks && d->t_ns[d->nticks - 1] > end)
        end = d->t_ns[d->nticks - 1];
    return end > e->start_ns ? end : e->start_ns;
}

static hr_status from_events(const hr__rdata *d, hr__rmodel *m) {
    for (size_t i = 0; i < d->nev; i++) {
        const hr__revent *e = &d->ev[i];
        if (!hr__is_throttle_kind(e->kind))
            continue;
        char comp[48] = "";
        hr__event_component(d, e->detail, comp, sizeof comp);
        const char *reason = hr__throttle_event_reason(e);
        double s = (double)(event_end(d, e) - e->start_ns) / 1e9;
        hr__mthrottle *t = NULL;
        for (size_t k = 0; k < m->nthr; k++)
            if (strcmp(m->thr[k].source, "events") == 0 && strcmp(m->thr[k].component, comp) == 0 &&
                strcmp(m->thr[k].reason, reason) == 0)
                t = &m->thr[k];
        if (!t) {
            t = thr_add(m, comp, reason, "events");
            if (!t)
                return HR_ENOMEM;
            t->seconds = 0;
            t->count = 0;
        }
        t->seconds += s;
        t->count++;
        t->share = m->duration_s > 0 ? t->seconds / m->duration_s : NAN;
    }
    return HR_OK;
}

hr_status hr__an_throttle(const hr__rdata *d, hr__rmodel *m) {
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        if (!ch->nknown)
            continue;
        if (strcmp(ch->metric, "throttle_reasons") == 0)
            st = from_mask(ch, d, m);
        else if (strncmp(ch->metric, "throttle_time_", 14) == 0 && ch->core < 0)
            st = from_counter(ch, d, m);
        else if (strcmp(ch->metric, "throttle_count") == 0 && ch->core < 0)
            st = from_counter(ch, d, m);
    }
    return st == HR_OK ? from_events(d, m) : st;
}

static int name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '@' ||
           c == '.';
}

static int is_component(const hr__rdata *d, const char *name) {
    for (size_t c = 0; d && c < d->nch; c++)
        if (strcmp(d->ch[c].component, name) == 0)
            return 1;
    return 0;
}

int hr__event_component(const hr__rdata *d, const char *detail, char *out, size_t cap) {
    size_t n = 0;
    while (detail[n] && name_char(detail[n]))
        n++;
    if (!n || n >= cap || n > 40 || (detail[n] != ':' && detail[n] != ' '))
        return 0;
    memcpy(out, detail, n);
    out[n] = '\0';
    if (detail[n] == ':' || is_component(d, out))
        return 1;
    out[0] = '\0';
    return 0;
}

const char *hr__throttle_event_reason(const hr__revent *e) {
    if (strstr(e->detail, "power"))
        return "power";
    if (strstr(e->detail, "thermal") ||
        strstr(e->detail, "\xc2\xb0"
                          "C") ||
        strstr(e->detail, "temperature") || strstr(e->detail, "hot"))
        return "thermal";
    return e->kind;
}

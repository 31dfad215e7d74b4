/* render_common.c: sentences shared by the renderers (render_common.h). */
#include <math.h>
#include <string.h>

#include "report/render_common.h"

const char *hr__rc_session_line(const hr_report *r, char *buf, size_t cap) {
    const hr__rdata *d = &r->d;
    if (d->created_by[0])
        hr__snprintf(buf, cap, "%s, written by %s", hr_session_state_name(d->state), d->created_by);
    else
        hr__snprintf(buf, cap, "%s", hr_session_state_name(d->state));
    return buf;
}

const char *hr__rc_span_line(const hr_report *r, char *buf, size_t cap) {
    char start[48], dur[48];
    hr__fmt_utc(&r->d, hr__t0_ns(&r->d), start, sizeof start);
    hr__snprintf(buf, cap, "from %s, %s", start, hr__fmt_dur(r->m.duration_s, dur, sizeof dur));
    return buf;
}

static const char *host_str(json_t *o, const char *key) {
    json_t *v = o ? json_object_get(o, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

const char *hr__rc_host_line(const hr_report *r, char *buf, size_t cap) {
    json_t *h = r->d.host ? json_object_get(r->d.host, "host") : NULL;
    buf[0] = '\0';
    if (!json_is_object(h))
        return buf;
    json_t *ncpu = json_object_get(h, "cpus_logical");
    char cpus[32] = "";
    if (json_is_integer(ncpu))
        hr__snprintf(cpus, sizeof cpus, ", %lld CPUs", (long long)json_integer_value(ncpu));
    char gpus[160] = "";
    size_t n = 0, i;
    json_t *g;
    json_array_foreach(json_object_get(r->d.host, "gpus"), i, g) {
        const char *name = host_str(g, "name");
        size_t len = strlen(gpus);
        if (len + 8 < sizeof gpus)
            hr__snprintf(gpus + len, sizeof gpus - len, "%s%s", n++ ? ", " : "; ", name);
    }
    hr__snprintf(buf, cap, "%s (%s, %s%s%s)", host_str(h, "hostname"), host_str(h, "os"),
                 host_str(h, "cpu_model"), cpus, gpus);
    return buf;
}

const char *hr__rc_sampling_line(const hr_report *r, char *buf, size_t cap) {
    const hr__rdata *d = &r->d;
    char req[48] = "rate not recorded";
    if (d->requested_hz > 0)
        hr__snprintf(req, sizeof req, "%.4g Hz requested", d->requested_hz);
    char ach[48] = "";
    if (d->nticks > 1)
        hr__snprintf(ach, sizeof ach, ", %.4g Hz achieved", d->achieved_hz);
    double expected = (double)d->nticks + (double)d->missed_ticks;
    double miss = expected > 0 ? (double)d->missed_ticks / expected * 100 : 0;
    hr__snprintf(buf, cap, "%s%s, %zu ticks, %lld missed (%.1f %%), %zu channels", req, ach,
                 d->nticks, (long long)d->missed_ticks, miss, d->nch);
    return buf;
}

const char *hr__rc_source_text(const char *source) {
    if (strcmp(source, "reasons") == 0)
        return "clock-event reasons, share of sampled time";
    if (strcmp(source, "counter") == 0)
        return "driver's throttle-time counter";
    if (strcmp(source, "count") == 0)
        return "throttle counter";
    if (strcmp(source, "events") == 0)
        return "events";
    return source;
}

const char *hr__rc_corr_text(const hr__corr *c, char *buf, size_t cap) {
    if (!isfinite(c->r))
        hr__snprintf(buf, cap, "unknown");
    else if (isfinite(c->lo))
        hr__snprintf(buf, cap, "%.3f [%.3f, %.3f]", c->r, c->lo, c->hi);
    else
        hr__snprintf(buf, cap, "%.3f", c->r);
    return buf;
}

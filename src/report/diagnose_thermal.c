/* diagnose_thermal.c: thermally throttled (GPU thermal reasons and
 * counters, the CPU package throttle counter, macOS thermal pressure,
 * throttle events from `headroom run`, temperatures at their limits) and
 * power-capped (power-cap reasons, power at its limit). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/diagnose.h"

static int is_thermal_reason(const char *r) {
    return strcmp(r, "sw_thermal") == 0 || strcmp(r, "hw_thermal") == 0;
}

static int is_power_reason(const char *r) {
    return strcmp(r, "sw_power_cap") == 0 || strcmp(r, "hw_power_brake") == 0 ||
           strcmp(r, "sw_power") == 0 || strcmp(r, "power") == 0;
}

/* Mean of channel "COMPONENT/clock_sm" on ticks whose reason mask does (IN
 * = 1) or does not (IN = 0) intersect MASK. */
static double clock_when(const hr__rdata *d, const char *component, uint64_t mask, int in) {
    int r = hr__rdata_find(d, component, "throttle_reasons");
    int c = hr__rdata_find(d, component, "clock_sm");
    if (r < 0 || c < 0)
        return NAN;
    double s = 0;
    size_t n = 0;
    for (size_t i = 0; i < d->nticks; i++) {
        double rv = d->ch[r].v[i], cv = d->ch[c].v[i];
        if (!isfinite(rv) || !isfinite(cv))
            continue;
        int hit = (hr__mask_of(rv) & mask) != 0;
        if (hit == in) {
            s += cv;
            n++;
        }
    }
    return n ? s / (double)n : NAN;
}

/* Share of the ticks where channel A is within MARGIN of channel B. */
static double near_limit(const hr__rdata *d, const char *component, const char *temp,
                         const char *limit, double margin, double *lim_out) {
    int a = hr__rdata_find(d, component, temp), b = hr__rdata_find(d, component, limit);
    if (a < 0 || b < 0)
        return -1;
    size_t n = 0, near = 0;
    double lim = NAN;
    for (size_t i = 0; i < d->nticks; i++) {
        double t = d->ch[a].v[i], l = d->ch[b].v[i];
        if (!isfinite(t) || !isfinite(l) || l <= 0)
            continue;
        n++;
        near += t >= l - margin;
        lim = l;
    }
    *lim_out = lim;
    return n ? (double)near / (double)n : -1;
}

static hr_status thermal_reasons(const hr__rdata *d, const hr__rmodel *m, hr__mfinding *f,
                                 double *worst) {
    hr_status st = HR_OK;
    for (size_t i = 0; st == HR_OK && i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        if (strcmp(t->source, "reasons") != 0 || !is_thermal_reason(t->reason))
            continue;
        if (t->share < HR__THERMAL_SHARE && t->seconds < HR__THERMAL_MIN_S)
            continue;
        st = hr__evidence(f,
                          "%s clocks were held back for a thermal reason (%s) %.1f %% of the "
                          "sampled time (%.0f s)",
                          t->component, t->reason, t->share * 100, t->seconds);
        *worst = t->share > *worst ? t->share : *worst;
        double in = clock_when(d, t->component, HR_THROTTLE_THERMAL_MASK, 1);
        double out = clock_when(d, t->component, HR_THROTTLE_THERMAL_MASK, 0);
        if (st == HR_OK && isfinite(in) && isfinite(out))
            st = hr__evidence(f,
                              "%s SM clock averaged %.0f MHz while thermally throttled, "
                              "%.0f MHz otherwise",
                              t->component, in / 1e6, out / 1e6);
    }
    for (size_t i = 0; st == HR_OK && i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        if (strcmp(t->source, "counter") == 0 && is_thermal_reason(t->reason) && t->seconds >= 1.0)
            st = hr__evidence(f, "the driver counted %.0f s of %s slowdown on %s", t->seconds,
                              t->reason, t->component);
        else if (strcmp(t->source, "count") == 0 && t->count > 0)
            st = hr__evidence(f, "the %s package throttled %lld times (thermal throttle counter)",
                              t->component, (long long)t->count);
        else if (strcmp(t->source, "events") == 0 && t->count > 0 && strcmp(t->reason, "power"))
            st = hr__evidence(f, "%lld throttle event(s)%s%s (%s) lasting %.0f s in all",
                              (long long)t->count, t->component[0] ? " on " : "", t->component,
                              t->reason, t->seconds);
    }
    return st;
}

static hr_status thermal_levels(const hr__rmodel *m, hr__mfinding *f) {
    double share = 0;
    for (size_t i = 0; i < m->nlev; i++)
        if (strstr(m->lev[i].channel, "thermal_pressure") && m->lev[i].level >= 1)
            share += m->lev[i].share;
    if (share <= 0)
        return HR_OK;
    return hr__evidence(f,
                        "the system reported thermal pressure moderate or worse %.1f %% of "
                        "the time",
                        share * 100);
}

static hr_status limits(const hr__rdata *d, hr__mfinding *f) {
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        if (strcmp(ch->metric, "temp") != 0 || ch->core >= 0)
            continue;
        int gpu = strncmp(ch->component, "gpu", 3) == 0;
        double lim = NAN, margin = gpu ? HR__NEAR_LIMIT_GPU_C : HR__NEAR_LIMIT_CPU_C;
        double s =
            near_limit(d, ch->component, "temp", gpu ? "temp_slowdown" : "temp_crit", margin, &lim);
        if (s >= HR__NEAR_LIMIT_SHARE)
            st = hr__evidence(f,
                              "%s was within %.0f \xc2\xb0"
                              "C of its %s temperature "
                              "(%.0f \xc2\xb0"
                              "C) on %.1f %% of ticks",
                              ch->component, margin, gpu ? "slowdown" : "critical", lim, s * 100);
    }
    return st;
}

hr_status hr__dx_thermal(const hr__rdata *d, hr__rmodel *m) {
    hr__mfinding *f = hr__finding_new(m, "thermal_throttled", HR__SEV_WARNING,
                                      "Thermally throttled: the hardware slowed itself down to "
                                      "stay within its temperature limits");
    if (!f)
        return HR_ENOMEM;
    double worst = 0;
    hr_status st = thermal_reasons(d, m, f, &worst);
    if (st == HR_OK)
        st = thermal_levels(m, f);
    if (st == HR_OK)
        st = limits(d, f);
    if (st != HR_OK)
        return st;
    if (f->nev == 0)
        return hr__finding_drop_if_empty(m);
    if (worst >= 0.25)
        f->severity = HR__SEV_CRITICAL;
    st = hr__advice(f, "Let 'headroom run --policy sensor' pause the job before the firmware "
                       "throttles it: time spent cooling is shorter than time spent crawling.");
    if (st == HR_OK)
        st = hr__advice(f, "Improve cooling (airflow, fan curve, room temperature); a lower power "
                           "limit often costs less speed than thermal throttling.");
    return st;
}

static hr_status power_at_limit(const hr__rdata *d, hr__mfinding *f) {
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        if (strcmp(ch->metric, "power") != 0)
            continue;
        int l = hr__rdata_find(d, ch->component, "power_limit");
        if (l < 0)
            continue;
        size_t n = 0, at = 0;
        for (size_t i = 0; i < d->nticks; i++) {
            double p = ch->v[i], lim = d->ch[l].v[i];
            if (!isfinite(p) || !isfinite(lim) || lim <= 0)
                continue;
            n++;
            at += p >= HR__POWER_AT_LIMIT * lim;
        }
        double s = n ? (double)at / (double)n : 0;
        if (s >= HR__POWER_SHARE)
            st = hr__evidence(f, "%s drew at least %.0f %% of its power limit on %.1f %% of ticks",
                              ch->component, HR__POWER_AT_LIMIT * 100, s * 100);
    }
    return st;
}

hr_status hr__dx_power(const hr__rdata *d, hr__rmodel *m) {
    hr__mfinding *f = hr__finding_new(m, "power_capped", HR__SEV_INFO,
                                      "Power-capped: clocks followed the power limit");
    if (!f)
        return HR_ENOMEM;
    hr_status st = HR_OK;
    for (size_t i = 0; st == HR_OK && i < m->nthr; i++) {
        const hr__mthrottle *t = &m->thr[i];
        if (!is_power_reason(t->reason))
            continue;
        if (strcmp(t->source, "reasons") == 0 && t->share >= HR__POWER_SHARE) {
            st = hr__evidence(f, "%s was limited by %s %.1f %% of the sampled time", t->component,
                              t->reason, t->share * 100);
            if (strcmp(t->reason, "hw_power_brake") == 0)
                f->severity = HR__SEV_WARNING;
        } else if (strcmp(t->source, "counter") == 0 && t->share >= HR__POWER_SHARE) {
            st = hr__evidence(f, "the driver counted %.0f s of %s limiting on %s (%.1f %%)",
                              t->seconds, t->reason, t->component, t->share * 100);
        } else if (strcmp(t->source, "events") == 0 && t->share >= HR__POWER_SHARE) {
            st = hr__evidence(f, "%lld power-cap event(s)%s%s lasting %.0f s in all (%.1f %%)",
                              (long long)t->count, t->component[0] ? " on " : "", t->component,
                              t->seconds, t->share * 100);
        }
    }
    if (st == HR_OK)
        st = power_at_limit(d, f);
    if (st != HR_OK)
        return st;
    if (f->nev == 0)
        return hr__finding_drop_if_empty(m);
    return hr__advice(f, "A GPU at full load that sits at its power limit is normal; clocks then "
                         "follow the limit. If the limit is below the board's default "
                         "(nvidia-smi -q -d POWER), raising it buys speed; lowering it trades "
                         "a little speed for less heat.");
}

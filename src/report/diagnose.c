/* diagnose.c: memory pressure or swapping, where the job's time went, step
 * time tracking temperature, RLE collapses, sampling gaps; and the order of
 * all checks (hr__an_diagnose). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/diagnose.h"

#define GIB 1073741824.0

static double host_mem_total(const hr__rdata *d) {
    json_t *mem = d->host ? json_object_get(d->host, "memory") : NULL;
    json_t *t = mem ? json_object_get(mem, "total_bytes") : NULL;
    return json_is_number(t) ? json_number_value(t) : NAN;
}

static hr_status mem_levels(const hr__rmodel *m, hr__mfinding *f) {
    hr_status st = HR_OK;
    for (size_t i = 0; st == HR_OK && i < m->nlev; i++) {
        const hr__mlevel *l = &m->lev[i];
        int mem = strstr(l->channel, "mem/") == l->channel;
        int bad = strcmp(l->name, "warn") == 0 || strcmp(l->name, "critical") == 0;
        if (!mem || !bad || l->share <= 0.01)
            continue;
        st = hr__evidence(f, "%s was %s %.1f %% of the time", l->channel, l->name, l->share * 100);
        if (strcmp(l->name, "critical") == 0)
            f->severity = HR__SEV_CRITICAL;
    }
    return st;
}

static hr_status mem_psi(const hr__rdata *d, const hr__rmodel *m, hr__mfinding *f) {
    int c = hr__rdata_find(d, "psi", "memory_some_avg10");
    if (c < 0)
        return HR_OK;
    double s = hr__share_where(d->ch[c].v, m->dt_s, d->nticks, HR__PSI_MEM_HIGH, NULL);
    if (s < HR__PSI_MEM_SHARE)
        return HR_OK;
    return hr__evidence(f,
                        "tasks stalled on memory (PSI memory some, 10 s) at least %.0f %% of "
                        "the time on %.1f %% of the session",
                        HR__PSI_MEM_HIGH * 100, s * 100);
}

static hr_status mem_swap(const hr__rdata *d, hr__mfinding *f) {
    int c = hr__rdata_find(d, "mem", "swap_free");
    if (c < 0)
        return HR_OK;
    double first = NAN, low = NAN;
    for (size_t i = 0; i < d->nticks; i++) {
        double v = d->ch[c].v[i];
        if (!isfinite(v))
            continue;
        if (!isfinite(first))
            first = v;
        low = isfinite(low) && low < v ? low : v;
    }
    if (!(first - low >= HR__SWAP_GROWTH_BYTES))
        return HR_OK;
    f->severity = HR__SEV_CRITICAL;
    return hr__evidence(f, "swap in use grew by %.2f GiB during the session", (first - low) / GIB);
}

static hr_status mem_available(const hr__rdata *d, hr__mfinding *f) {
    int c = hr__rdata_find(d, "mem", "available");
    double total = host_mem_total(d);
    if (c < 0 || !(total > 0))
        return HR_OK;
    hr__stat st;
    hr__stat_of(d->ch[c].v, d->nticks, &st);
    if (!st.n || st.min >= HR__AVAILABLE_LOW * total)
        return HR_OK;
    return hr__evidence(f, "available memory fell to %.2f GiB (%.1f %% of %.1f GiB)", st.min / GIB,
                        st.min / total * 100, total / GIB);
}

static hr_status dx_memory(const hr__rdata *d, hr__rmodel *m) {
    hr__mfinding *f = hr__finding_new(m, "memory_pressure", HR__SEV_WARNING,
                                      "Memory pressure: the job competed for memory");
    if (!f)
        return HR_ENOMEM;
    hr_status st = mem_levels(m, f);
    if (st == HR_OK)
        st = mem_psi(d, m, f);
    if (st == HR_OK)
        st = mem_swap(d, f);
    if (st == HR_OK)
        st = mem_available(d, f);
    if (st != HR_OK)
        return st;
    if (!f->nev)
        return hr__finding_drop_if_empty(m);
    st = hr__advice(f, "Lower the batch size, the resolution or the precision ('headroom plan "
                       "model' and 'headroom plan diffusion' say what fits).");
    if (st == HR_OK)
        st = hr__advice(f, "Close other memory-hungry programs; in a container, check its memory "
                           "limit.");
    return st;
}

static hr_status dx_time_lost(hr__rmodel *m) {
    const hr__meff *e = &m->eff;
    if (!e->known || e->lost_share < HR__LOST_SHARE)
        return HR_OK;
    int sev = e->lost_share >= 0.5   ? HR__SEV_CRITICAL
              : e->lost_share >= 0.2 ? HR__SEV_WARNING
                                     : HR__SEV_INFO;
    char a[32], t[32];
    hr__mfinding *f =
        hr__finding_new(m, "time_lost", sev,
                        "%.1f %% of the job's time was lost: %s actual against %s at "
                        "baseline speed (%.1f %% efficient)",
                        e->lost_share * 100, hr__fmt_dur(e->actual_s, a, sizeof a),
                        hr__fmt_dur(e->theoretical_s, t, sizeof t), e->efficiency * 100);
    if (!f)
        return HR_ENOMEM;
    char b[32], c[32], o[32];
    double worst = 0;
    for (size_t i = 0; i < m->steps.nepisodes; i++)
        worst =
            m->steps.episodes[i].worst_factor > worst ? m->steps.episodes[i].worst_factor : worst;
    hr_status st = HR_OK;
    if (m->steps.nepisodes)
        st = hr__evidence(f,
                          "%zu slow stretch(es) of steps took %s beyond the baseline (the "
                          "slowest step %.1fx the baseline)",
                          m->steps.nepisodes, hr__fmt_dur(e->throttle_loss_s, b, sizeof b), worst);
    if (st == HR_OK && m->cool.count)
        st = hr__evidence(f, "%zu cooling break(s) took %s", m->cool.count,
                          hr__fmt_dur(e->cooling_s, c, sizeof c));
    if (st == HR_OK)
        st = hr__evidence(f, "the rest (gaps between steps, small variations) is %s",
                          hr__fmt_dur(e->other_s, o, sizeof o));
    return st;
}

/* Mean of channel C over the steps that are (SLOW = 1) or are not slow. */
static double temp_of_steps(const hr__rdata *d, const hr__rmodel *m, int c, int slow) {
    int64_t tol = (int64_t)llround(m->tolerance_s * 1e9);
    double s = 0, lim = m->steps.slow_factor * m->steps.baseline;
    size_t n = 0;
    for (size_t i = 0; i < d->steps.n; i++) {
        double spu = m->steps.spu[i];
        if (!isfinite(spu) || (spu >= lim) != slow)
            continue;
        size_t k = hr__asof(d->t_ns, d->nticks, d->steps.t_ns[i], tol);
        if (k != (size_t)-1 && isfinite(d->ch[c].v[k])) {
            s += d->ch[c].v[k];
            n++;
        }
    }
    return n ? s / (double)n : NAN;
}

static hr_status dx_tracking(const hr__rdata *d, hr__rmodel *m) {
    const hr__mcorr *best = NULL;
    for (size_t i = 0; i < m->ncorr; i++) {
        const hr__mcorr *c = &m->corr[i];
        size_t yl = strlen(c->y);
        if (strncmp(c->x, "step time", 9) != 0 || yl < 5 || strcmp(c->y + yl - 5, "/temp") != 0)
            continue;
        if (c->s.n < HR__TRACK_MIN_N || !(c->s.r >= HR__TRACK_RHO) || !(c->s.lo > 0))
            continue;
        if (!best || c->s.r > best->s.r)
            best = c;
    }
    if (!best)
        return HR_OK;
    hr__mfinding *f = hr__finding_new(m, "step_time_tracks_temperature", HR__SEV_WARNING,
                                      "Step time tracks temperature: the job slowed as %.*s "
                                      "heated up",
                                      (int)(strchr(best->y, '/') - best->y), best->y);
    if (!f)
        return HR_ENOMEM;
    hr_status st =
        hr__evidence(f,
                     "Spearman rho = %.2f (95 %% CI %.2f .. %.2f, n = %zu) between "
                     "%s and %s; Pearson r = %.2f",
                     best->s.r, best->s.lo, best->s.hi, best->s.n, best->x, best->y, best->p.r);
    char comp[48];
    hr__snprintf(comp, sizeof comp, "%.*s", (int)(strchr(best->y, '/') - best->y), best->y);
    int c = hr__rdata_find(d, comp, "temp");
    double hot = c >= 0 ? temp_of_steps(d, m, c, 1) : NAN;
    double cool = c >= 0 ? temp_of_steps(d, m, c, 0) : NAN;
    if (st == HR_OK && isfinite(hot) && isfinite(cool))
        st = hr__evidence(f,
                          "slow steps ended at %.1f \xc2\xb0"
                          "C on average, the others at "
                          "%.1f \xc2\xb0"
                          "C",
                          hot, cool);
    if (st == HR_OK)
        st = hr__advice(f, "Cooling breaks before the slowdown ('headroom run --policy sensor', "
                           "or --policy timing without sensors) keep the job near its baseline.");
    return st;
}

static hr_status dx_collapse(hr__rmodel *m) {
    hr_status st = HR_OK;
    for (size_t i = 0; st == HR_OK && i < m->nrle; i++) {
        const hr__mrle *r = &m->rle[i];
        if (!(r->collapse_rate >= HR__COLLAPSE_RATE))
            continue;
        int high = r->collapse_rate > 0.15;
        hr__mfinding *f =
            hr__finding_new(m, "rle_collapse", high ? HR__SEV_WARNING : HR__SEV_INFO,
                            "%s efficiency (RLE) collapsed %.1f %% of the time "
                            "(%s)",
                            r->component, r->collapse_rate * 100, high ? "high" : "moderate");
        if (!f)
            return HR_ENOMEM;
        if (r->rate_from_events)
            st = hr__evidence(f, "%zu collapse event(s) on %s lasting %.0f s in all",
                              r->collapse_events, r->component, r->collapse_s);
        else
            st = hr__evidence(f, "%zu of %zu %s samples were inside a collapse (%zu event(s))",
                              r->collapse_on, r->collapse_known, r->component, r->collapse_events);
    }
    return st;
}

static hr_status dx_sampling(const hr__rdata *d, hr__rmodel *m) {
    double expected = (double)d->nticks + (double)d->missed_ticks;
    if (d->missed_ticks <= 0 || expected <= 0 ||
        (double)d->missed_ticks / expected < HR__MISSED_SHARE)
        return HR_OK;
    hr__mfinding *f = hr__finding_new(m, "sampling_gaps", HR__SEV_INFO,
                                      "The recording has gaps: the sampler missed %.1f %% of its "
                                      "ticks",
                                      (double)d->missed_ticks / expected * 100);
    if (!f)
        return HR_ENOMEM;
    return hr__evidence(f, "%lld missed ticks; %.2f Hz requested, %.2f Hz achieved",
                        (long long)d->missed_ticks, d->requested_hz, d->achieved_hz);
}

hr_status hr__an_diagnose(const hr__rdata *d, hr__rmodel *m) {
    hr_status st = hr__dx_input_bound(d, m);
    if (st == HR_OK)
        st = hr__dx_thermal(d, m);
    if (st == HR_OK)
        st = hr__dx_power(d, m);
    if (st == HR_OK)
        st = dx_memory(d, m);
    if (st == HR_OK)
        st = dx_tracking(d, m);
    if (st == HR_OK)
        st = dx_time_lost(m);
    if (st == HR_OK)
        st = dx_collapse(m);
    if (st == HR_OK)
        st = dx_sampling(d, m);
    if (st == HR_OK)
        hr__findings_sort(m);
    return st;
}

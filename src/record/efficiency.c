/* efficiency.c: the recorder's RLE feed (efficiency.h). */
#include "record/efficiency.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/channels.h"

static const struct eff_channel {
    const char *name;
    hr__unit unit;
    const char *label;
} eff_channels[HR__EFF_COUNT] = {
    [HR__EFF_RLE] = {"rle", HR__U_MICRO, "RLE, smoothed"},
    [HR__EFF_RLE_RAW] = {"rle_raw", HR__U_MICRO, "RLE of the tick"},
    [HR__EFF_RLE_NORM] = {"rle_norm", HR__U_MICRO, "RLE over its expected curve, 0..1"},
    [HR__EFF_E_TH] = {"e_th", HR__U_MICRO, "thermal efficiency term"},
    [HR__EFF_E_PW] = {"e_pw", HR__U_MICRO, "power efficiency term"},
    [HR__EFF_A_LOAD] = {"a_load", HR__U_MICRO, "power over its limit"},
    [HR__EFF_T_SUSTAIN] = {"t_sustain", HR__U_MS, "time to the temperature limit, 1..600 s"},
    [HR__EFF_ROLLING_PEAK] = {"rolling_peak", HR__U_MICRO, "collapse detector's decaying peak"},
    [HR__EFF_COLLAPSE] = {"collapse", HR__U_BOOL, "1 while a collapse is open"},
    [HR__EFF_ALERTS] = {"rle_alerts", HR__U_MASK, "1 temperature limit, 2 a_load"},
};

const char *hr__eff_metric_name(hr__eff_metric m) {
    return m < HR__EFF_COUNT ? eff_channels[m].name : "";
}

static hr_status add_component(hr__eff *e, hr_session *s, const char *name, int32_t gpu,
                               const char *uuid, const hr_rle_config *cfg, char *why,
                               size_t cap) {
    hr__eff_comp *c = &e->c[e->n];
    memset(c, 0, sizeof *c);
    hr__strlcpy(c->name, name, sizeof c->name);
    c->gpu_index = gpu;
    hr__strlcpy(c->gpu_uuid, uuid ? uuid : "", sizeof c->gpu_uuid);
    if (hr_rle_config_validate(cfg, why, cap) != HR_OK)
        return HR_EINVAL;
    hr_status st = hr_rle_new(cfg, &c->rle);
    for (int m = 0; st == HR_OK && m < HR__EFF_COUNT; m++) {
        const char *unit, *base;
        double scale;
        hr__unit_info(eff_channels[m].unit, &unit, &base, &scale);
        int32_t id = 0;
        st = hr_session_add_channel(s, name, eff_channels[m].name, unit, base, scale,
                                    eff_channels[m].label, &id);
        if (m == 0)
            c->first_channel = id;
    }
    e->n++; /* counted even on failure so that hr__eff_free frees c->rle */
    return st;
}

hr_status hr__eff_init(hr__eff *e, const hr_probe *p, hr_session *s, const hr_record_config *cfg,
                       char *why, size_t cap) {
    memset(e, 0, sizeof *e);
    e->c = calloc(p->ngpus + 1, sizeof *e->c);
    if (!e->c)
        return HR_ENOMEM;
    hr_status st = add_component(e, s, "cpu", -1, NULL, &cfg->rle_cpu, why, cap);
    for (size_t i = 0; st == HR_OK && i < p->ngpus; i++) {
        char name[16];
        hr__snprintf(name, sizeof name, "gpu%d", (int)p->gpus[i].index);
        st = add_component(e, s, name, p->gpus[i].index, p->gpus[i].uuid, &cfg->rle_gpu, why,
                           cap);
    }
    return st;
}

void hr__eff_inputs(const hr__eff *e, size_t i, const hr_probe *p, int64_t t_mono_ns,
                    hr_rle_sample *out) {
    const hr__eff_comp *c = &e->c[i];
    hr_reading gone = hr__unknown(HR_WHY_VANISHED, 0);
    memset(out, 0, sizeof *out);
    out->t_mono_ns = t_mono_ns;
    out->thermal_pressure = p->mem.thermal_pressure;
    if (c->gpu_index < 0) {
        out->util_ppm = p->cpu.util_ppm;
        out->power_mw = p->cpu.power_mw;
        /* The probe knows no CPU power limit: the RLE config's
         * power_limit_w supplies it, or the CPU has no RLE. */
        out->power_limit_mw = hr__unknown(HR_WHY_ABSENT, 0);
        out->temp_mc = p->cpu.temp_mc;
        out->temp_limit_mc = p->cpu.temp_crit_mc;
        out->throttle_reasons = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
        return;
    }
    const hr_gpu_info *g = hr__find_gpu(p, c->gpu_index, c->gpu_uuid);
    out->util_ppm = g ? g->util_ppm : gone;
    out->power_mw = g ? g->power_mw : gone;
    out->power_limit_mw = g ? g->power_limit_mw : gone;
    out->temp_mc = g ? g->temp_mc : gone;
    out->temp_limit_mc = g ? (HR_IS_KNOWN(g->temp_slowdown_mc) ? g->temp_slowdown_mc : g->temp_max_mc)
                           : gone;
    out->throttle_reasons = g ? g->throttle_reasons : gone;
}

/* A double term as a stored reading in millionths (or milliseconds). */
static hr_reading scaled(double v, double mul, int32_t why) {
    if (!isfinite(v) || fabs(v * mul) > 9.0e15)
        return hr__unknown(why == HR_WHY_KNOWN ? HR_WHY_UNREADABLE : (hr_why)why, 0);
    return hr__known(llround(v * mul));
}

hr_status hr__eff_push(hr__eff *e, size_t i, const hr_rle_sample *in, hr_reading *values,
                       hr_rle_result *res) {
    hr__eff_comp *c = &e->c[i];
    hr_reading *v = &values[c->first_channel - 1];
    hr_status st = hr_rle_push(c->rle, in, res);
    if (st != HR_OK) {
        for (int m = 0; m < HR__EFF_COUNT; m++)
            v[m] = hr__unknown(HR_WHY_UNREADABLE, 0);
        return st;
    }
    int32_t why = res->why == HR_WHY_KNOWN ? HR_WHY_NEEDS_INTERVAL : res->why;
    v[HR__EFF_RLE] = scaled(res->rle_smoothed, 1e6, why);
    v[HR__EFF_RLE_RAW] = scaled(res->rle, 1e6, why);
    v[HR__EFF_RLE_NORM] = scaled(res->rle_norm, 1e6, why);
    v[HR__EFF_E_TH] = scaled(res->e_th, 1e6, why);
    v[HR__EFF_E_PW] = scaled(res->e_pw, 1e6, why);
    v[HR__EFF_A_LOAD] = scaled(res->a_load, 1e6, why);
    v[HR__EFF_T_SUSTAIN] = scaled(res->t_sustain_s, 1e3, why);
    v[HR__EFF_ROLLING_PEAK] = scaled(res->rolling_peak, 1e6, why);
    v[HR__EFF_COLLAPSE] = hr__known(res->in_collapse ? 1 : 0);
    v[HR__EFF_ALERTS] = hr__known(res->alerts);
    return HR_OK;
}

void hr__eff_free(hr__eff *e) {
    for (size_t i = 0; e->c && i < e->n; i++)
        hr_rle_free(e->c[i].rle);
    free(e->c);
    e->c = NULL;
    e->n = 0;
}

/* sensors.c: what `headroom run` reads each tick: the sensors fed to the
 * governor (from the recorder's latest tick, the GPU closest to its limit;
 * or, with --no-record, from our own probe at --hz) and the job's I/O
 * counters. Also the intervals of throttling and slowdown, each recorded as
 * one event when it ends. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "run_cli.h"

#define MAX_GPUS 16

static const char *const iv_kinds[IV_COUNT] = {"throttle", "throttle", "throttle", "throttle",
                                               "slowdown"};

/* ------------------------------------------------------------------ */
/* intervals */

static void iv_set(run_state *st, int k, int on, int64_t t, const char *detail) {
    run_interval *v = &st->iv[k];
    if (on && !v->on) {
        v->on = 1;
        v->start_ns = t;
        snprintf(v->detail, sizeof v->detail, "%s", detail);
    } else if (!on && v->on) {
        v->on = 0;
        run_record_event(st, iv_kinds[k], v->start_ns, t > v->start_ns ? t : v->start_ns,
                         v->detail);
    }
}

void run_iv_from_sensors(run_state *st, const hr_govern_sensors *s, int64_t t) {
    char text[160], detail[192];
    uint64_t mask = HR_IS_KNOWN(s->gpu_throttle_reasons) ? (uint64_t)s->gpu_throttle_reasons.v : 0;
    /* Every thermal reason counts here, also those that pause only near the limit. */
    uint64_t th = mask & (st->o->gov.thermal_reasons_mask | st->o->gov.near_reasons_mask);
    uint64_t pw = mask & st->o->gov.power_reasons_mask;
    hr_throttle_reasons_text(th, text, sizeof text);
    snprintf(detail, sizeof detail, "gpu%d thermal: %s", s->gpu_index, text);
    iv_set(st, IV_GPU_THERMAL, th != 0, t, detail);
    hr_throttle_reasons_text(pw, text, sizeof text);
    snprintf(detail, sizeof detail, "gpu%d power cap: %s", s->gpu_index, text);
    iv_set(st, IV_GPU_POWER, pw != 0, t, detail);
    int heavy =
        HR_IS_KNOWN(s->thermal_pressure) && s->thermal_pressure.v >= st->o->gov.pressure_pause;
    snprintf(detail, sizeof detail, "thermal pressure level %lld",
             (long long)s->thermal_pressure.v);
    iv_set(st, IV_PRESSURE, heavy, t, detail);
    int hot = HR_IS_KNOWN(s->cpu_temp_mc) && HR_IS_KNOWN(s->cpu_temp_crit_mc) &&
              (double)s->cpu_temp_mc.v >=
                  (double)s->cpu_temp_crit_mc.v - st->o->gov.cpu_pause_margin_c * 1000.0;
    snprintf(detail, sizeof detail, "cpu %.1f °C, near its limit %.1f °C",
             (double)s->cpu_temp_mc.v / 1000.0, (double)s->cpu_temp_crit_mc.v / 1000.0);
    iv_set(st, IV_CPU_HOT, hot, t, detail);
}

/* The slowdown interval, from the governor's latest ratio after a step. */
void run_iv_slowdown(run_state *st) {
    hr_govern_stats gs = {.size = sizeof gs};
    if (hr_govern_stats_get(st->gov, &gs) != HR_OK)
        return;
    char detail[96];
    snprintf(detail, sizeof detail, "steps at or above %.2fx the baseline", st->o->gov.threshold);
    int slow = isfinite(gs.last_ratio) && gs.last_ratio >= st->o->gov.threshold;
    iv_set(st, IV_SLOWDOWN, slow, slow ? st->pend.start_ns : st->pend.t_ns, detail);
}

void run_iv_close_all(run_state *st, int64_t t) {
    for (int k = 0; k < IV_COUNT; k++)
        iv_set(st, k, 0, t, "");
}

/* ------------------------------------------------------------------ */
/* sensors */

/* A reading of COMP/METRIC from the recorder's latest tick (unknown else). */
static hr_reading latest(run_state *st, const char *comp, const char *metric, int *exists) {
    hr_reading r;
    memset(&r, 0, sizeof r);
    hr_status s = hr_recorder_latest(st->rec, comp, metric, &r);
    if (exists)
        *exists = s != HR_ENOENT;
    if (s != HR_OK)
        memset(&r, 0, sizeof r);
    return r;
}

/* The margin to the slowdown threshold, as hr_govern_sensors_from_probe
 * judges it: NVML's, else slowdown - temperature. */
static int gpu_margin(const hr_govern_sensors *g, int64_t *m) {
    if (HR_IS_KNOWN(g->gpu_temp_margin_mc)) {
        *m = g->gpu_temp_margin_mc.v;
        return 1;
    }
    if (HR_IS_KNOWN(g->gpu_temp_mc) && HR_IS_KNOWN(g->gpu_temp_slowdown_mc) &&
        g->gpu_temp_slowdown_mc.v > 0) {
        *m = g->gpu_temp_slowdown_mc.v - g->gpu_temp_mc.v;
        return 1;
    }
    return 0;
}

/* 1 when candidate A is closer to its limit than the current pick B. */
static int gpu_closer(const hr_govern_sensors *a, const hr_govern_sensors *b) {
    if (b->gpu_index < 0)
        return 1;
    int64_t ma = 0, mb = 0;
    int ka = gpu_margin(a, &ma), kb = gpu_margin(b, &mb);
    if (ka != kb)
        return ka;
    if (ka)
        return ma < mb;
    if (HR_IS_KNOWN(a->gpu_temp_mc) != HR_IS_KNOWN(b->gpu_temp_mc))
        return HR_IS_KNOWN(a->gpu_temp_mc);
    return HR_IS_KNOWN(a->gpu_temp_mc) && a->gpu_temp_mc.v > b->gpu_temp_mc.v;
}

/* The sensors from the recorder's latest tick: the GPU closest to its limit. */
static void sensors_from_recorder(run_state *st, int64_t t, hr_govern_sensors *s) {
    memset(s, 0, sizeof *s);
    s->t_ns = t;
    s->gpu_index = -1;
    for (int i = 0; i < MAX_GPUS; i++) {
        char comp[16];
        snprintf(comp, sizeof comp, "gpu%d", i);
        int exists = 0;
        hr_govern_sensors c;
        memset(&c, 0, sizeof c);
        c.gpu_index = i;
        c.gpu_temp_mc = latest(st, comp, "temp", &exists);
        if (!exists)
            continue;
        c.gpu_temp_slowdown_mc = latest(st, comp, "temp_slowdown", NULL);
        c.gpu_temp_margin_mc = latest(st, comp, "temp_margin", NULL);
        c.gpu_throttle_reasons = latest(st, comp, "throttle_reasons", NULL);
        if (gpu_closer(&c, s)) {
            s->gpu_index = i;
            s->gpu_temp_mc = c.gpu_temp_mc;
            s->gpu_temp_slowdown_mc = c.gpu_temp_slowdown_mc;
            s->gpu_temp_margin_mc = c.gpu_temp_margin_mc;
            s->gpu_throttle_reasons = c.gpu_throttle_reasons;
        }
    }
    s->cpu_temp_mc = latest(st, "cpu", "temp", NULL);
    s->cpu_temp_crit_mc = latest(st, "cpu", "temp_crit", NULL);
    s->thermal_pressure = latest(st, "system", "thermal_pressure", NULL);
}

/* A new sample when one is due: the recorder's newest tick, or (without a
 * session) a refresh of our own probe. Returns 1 when S was filled. */
int run_new_sample(run_state *st, int64_t t, hr_govern_sensors *s) {
    if (st->rec) {
        hr_record_stats rs = {.size = sizeof rs};
        if (hr_recorder_stats(st->rec, &rs) != HR_OK || rs.ticks == st->ticks_seen)
            return 0;
        st->ticks_seen = rs.ticks;
        sensors_from_recorder(st, t, s);
        return 1;
    }
    if (!st->probe || t < st->next_probe_ns)
        return 0;
    st->next_probe_ns = t + (int64_t)(1e9 / st->o->hz);
    if (hr_probe_refresh(st->probe) != HR_OK)
        return 0;
    hr_govern_sensors_from_probe(st->probe, t, s);
    return 1;
}

/* Keeps the job's latest known I/O counters: once it has exited its /proc
 * entry is gone, so the last value read while it ran is the total. */
void run_read_job_io(run_state *st) {
    hr_reading rchar, rbytes;
    if (!st->run || hr_run_read_io(st->run, &rchar, &rbytes) != HR_OK)
        return;
    if (HR_IS_KNOWN(rchar))
        st->io_rchar = rchar;
    if (HR_IS_KNOWN(rbytes))
        st->io_read = rbytes;
}

/* thermal_sim.c: the thermal simulator (see thermal_sim.h and
 * docs/GOVERNOR.md). Deterministic: no randomness, fixed time step. */
#include "sim/thermal_sim.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define NS_PER_S 1e9

void hr_sim_params_default(hr_sim_params *p) {
    memset(p, 0, sizeof *p);
    p->ambient_c = 25.0;
    p->r_die_c_per_w = 1.0;
    p->r_chassis_c_per_w = 6.0;
    p->tau_die_s = 20.0;
    p->tau_chassis_s = 900.0;
    p->p_idle_w = 4.0;
    p->p_dyn_w = 36.0;
    p->t_soft_c = 85.0;
    p->dvfs_band_c = 10.0;
    p->t_hard_c = 100.0;
    p->emerg_release_c = 70.0;
    p->f_min = 0.6;
    p->s_per_unit = 4.0;
    p->emerg_s_per_unit = 45.0;
    p->units = 35 * 25;
    p->units_per_step = 1;
    p->units_per_image = 25;
    p->jitter = 0.05;
    p->spike_every = 97;
    p->spike_factor = 2.5;
    p->dt_s = 0.1;
    p->sample_period_s = 1.0;
    p->max_time_s = 12 * 3600.0;
}

void hr_sim_seed_default(hr_sim_seed *s) {
    memset(s, 0, sizeof *s);
    s->baseline_s = 4.5;
    s->threshold = 1.3;
    s->cooling_s = 30.0;
    s->window = 5;
    s->batch_size = 10;
    s->batch_break_s = 60.0;
    s->per_unit = 0;
}

/* The machine and the job. */
typedef struct sim {
    const hr_sim_params *p;
    double t, td, tc;
    int emergency;
    int paused;
    double pause_until; /* cooperative and duty breaks: when they end; <0 none */
    double progress;    /* work into the current step, in nominal units */
    double need;        /* work the current step needs */
    uint32_t rng;       /* the jitter sequence */
    double step_start;
    double image_start;
    double image_work; /* seconds of work in the current image (cooperative timing) */
    unsigned done;
    hr_sim_result *r;
} sim;

typedef struct ctl ctl;
struct ctl {
    /* A step of units_per_step finished at s->t after DURATION_S. */
    void (*on_step)(ctl *c, sim *s, double duration_s);
    /* Every sample period. */
    void (*on_tick)(ctl *c, sim *s);
    /* Every integration step (duty cycles). */
    void (*on_dt)(ctl *c, sim *s);
};

/* Work of the next step: units_per_step units, each with its jitter and
 * the occasional spike. A 32-bit LCG (Numerical Recipes) keeps runs
 * repeatable across platforms. */
static double next_need(sim *s) {
    const hr_sim_params *p = s->p;
    double need = 0;
    for (unsigned i = 0; i < p->units_per_step; i++) {
        s->rng = s->rng * 1664525u + 1013904223u;
        double u01 = (double)(s->rng >> 8) / 16777216.0;
        double w = 1.0 + p->jitter * (2.0 * u01 - 1.0);
        unsigned unit = s->done + i + 1;
        if (p->spike_every && unit % p->spike_every == 0)
            w *= p->spike_factor;
        need += w;
    }
    return need;
}

static double clock_fraction(const sim *s) {
    const hr_sim_params *p = s->p;
    if (s->emergency)
        return p->s_per_unit / p->emerg_s_per_unit;
    if (s->td <= p->t_soft_c)
        return 1.0;
    double k = (s->td - p->t_soft_c) / p->dvfs_band_c;
    double f = 1.0 - (1.0 - p->f_min) * k;
    return f < p->f_min ? p->f_min : f;
}

static void integrate(sim *s) {
    const hr_sim_params *p = s->p;
    double power = p->p_idle_w;
    if (!s->paused) {
        double f = clock_fraction(s);
        power += p->p_dyn_w * f * f * f;
        s->progress += f / p->s_per_unit * p->dt_s;
    }
    double heat_w = (s->td - s->tc) / p->r_die_c_per_w;
    double td_next = s->td + (s->tc + p->r_die_c_per_w * power - s->td) * p->dt_s / p->tau_die_s;
    double tc_next = s->tc + (p->ambient_c + p->r_chassis_c_per_w * heat_w - s->tc) * p->dt_s /
                                 p->tau_chassis_s;
    s->td = td_next;
    s->tc = tc_next;
    s->t += p->dt_s;
    if (s->td >= p->t_hard_c)
        s->emergency = 1;
    else if (s->emergency && s->td <= p->emerg_release_c)
        s->emergency = 0;
    if (s->emergency) {
        s->r->emergency = 1;
        s->r->emergency_s += p->dt_s;
    }
    if (s->paused)
        s->r->paused_s += p->dt_s;
    if (s->td > s->r->peak_die_c)
        s->r->peak_die_c = s->td;
}

static void run(const hr_sim_params *p, ctl *c, hr_sim_result *r) {
    memset(r, 0, sizeof *r);
    sim s;
    memset(&s, 0, sizeof s);
    s.p = p;
    s.r = r;
    s.td = s.tc = p->ambient_c;
    s.pause_until = -1;
    r->peak_die_c = p->ambient_c;
    s.rng = 12345u;
    s.need = next_need(&s);
    double next_tick = p->sample_period_s;
    while (s.done < p->units && s.t < p->max_time_s) {
        integrate(&s);
        if (!s.paused && s.progress >= s.need) {
            s.progress -= s.need;
            s.done += p->units_per_step;
            s.need = next_need(&s);
            double d = s.t - s.step_start;
            s.step_start = s.t;
            if (c->on_step)
                c->on_step(c, &s, d);
        }
        if (c->on_dt)
            c->on_dt(c, &s);
        if (s.t + 1e-9 >= next_tick) {
            next_tick += p->sample_period_s;
            if (c->on_tick)
                c->on_tick(c, &s);
        }
    }
    r->finished = s.done >= p->units;
    r->finish_s = s.t;
    r->units = s.done;
}

/* No policy. */
int hr_sim_run_none(const hr_sim_params *p, hr_sim_result *r) {
    ctl c = {0};
    run(p, &c, r);
    return 0;
}

/* The governor, as the runner drives it. */
typedef struct gov_ctl {
    ctl base;
    hr_governor *g;
    hr_sim_sensors sensors;
} gov_ctl;

static int64_t ns(double t_s) {
    return (int64_t)llround(t_s * NS_PER_S);
}

#ifdef HR_SIM_TRACE
#include <stdio.h>
#endif

static void gov_apply(sim *s, const hr_govern_decision *d) {
#ifdef HR_SIM_TRACE
    if (d->action != HR_GOVERN_CONTINUE)
        fprintf(stderr, "t %7.1f Td %5.1f Tc %5.1f em %d %s %s %.0f: %s\n", s->t, s->td, s->tc,
                s->emergency, hr_govern_action_name(d->action), hr_govern_reason_name(d->reason),
                d->pause_s, d->text);
#endif
    if (d->action == HR_GOVERN_PAUSE && !s->paused) {
        s->paused = 1;
        s->r->breaks++;
    } else if (d->action == HR_GOVERN_RESUME) {
        s->paused = 0;
    }
}

static void gov_on_step(ctl *c, sim *s, double duration_s) {
    gov_ctl *gc = (gov_ctl *)c;
    hr_govern_decision d;
    if (hr_govern_step(gc->g, ns(s->t), duration_s, (double)s->p->units_per_step, &d) == HR_OK)
        gov_apply(s, &d);
}

static hr_reading known(int64_t v) {
    hr_reading r = {v, HR_WHY_KNOWN, 0};
    return r;
}

static int pressure_of(const sim *s) {
    const hr_sim_params *p = s->p;
    if (s->emergency)
        return HR_THERMAL_TRAPPING;
    if (s->td < p->t_soft_c)
        return HR_THERMAL_NOMINAL;
    if (s->td < p->t_soft_c + p->dvfs_band_c)
        return HR_THERMAL_MODERATE; /* DVFS at work */
    return HR_THERMAL_HEAVY; /* DVFS at its floor and still heating */
}

static void sensors_of(const sim *s, hr_sim_sensors kind, hr_govern_sensors *out) {
    memset(out, 0, sizeof *out);
    out->t_ns = ns(s->t);
    out->gpu_index = -1;
    if (kind == HR_SIM_SENSORS_APPLE) {
        out->thermal_pressure = known(pressure_of(s));
        return;
    }
    /* NVIDIA: whole degrees as NVML reports them; the slowdown threshold is
     * the emergency (HW slowdown) limit; SW thermal while DVFS lowers clocks. */
    int64_t temp_mc = (int64_t)floor(s->td) * 1000;
    int64_t slow_mc = (int64_t)llround(s->p->t_hard_c * 1000);
    uint64_t reasons = 0;
    if (!s->paused && s->td > s->p->t_soft_c)
        reasons |= HR_THROTTLE_SW_THERMAL;
    if (s->emergency)
        reasons |= HR_THROTTLE_HW_SLOWDOWN | HR_THROTTLE_HW_THERMAL;
    out->gpu_index = 0;
    out->gpu_temp_mc = known(temp_mc);
    out->gpu_temp_slowdown_mc = known(slow_mc);
    out->gpu_temp_margin_mc = known(slow_mc - temp_mc);
    out->gpu_throttle_reasons = known((int64_t)reasons);
}

static void gov_on_tick(ctl *c, sim *s) {
    gov_ctl *gc = (gov_ctl *)c;
    hr_govern_decision d;
    if (gc->sensors != HR_SIM_SENSORS_NONE) {
        hr_govern_sensors in;
        sensors_of(s, gc->sensors, &in);
        if (hr_govern_sample(gc->g, &in, &d) == HR_OK)
            gov_apply(s, &d);
    }
    if (hr_govern_tick(gc->g, ns(s->t), &d) == HR_OK)
        gov_apply(s, &d);
}

int hr_sim_run_governor(const hr_sim_params *p, const hr_govern_config *cfg,
                        hr_sim_sensors sensors, hr_sim_result *r, hr_govern_stats *stats) {
    gov_ctl gc;
    memset(&gc, 0, sizeof gc);
    gc.base.on_step = gov_on_step;
    gc.base.on_tick = gov_on_tick;
    gc.sensors = sensors;
    if (hr_govern_new(cfg, &gc.g) != HR_OK)
        return -1;
    run(p, &gc.base, r);
    if (stats)
        hr_govern_stats_get(gc.g, stats);
    hr_govern_free(gc.g);
    return 0;
}

/* The seed's BatchThermalManager, as its guide uses it: before each image,
 * `if should_cool(): cooling_break()`; after it, record_timing(elapsed). */
typedef struct seed_ctl {
    ctl base;
    hr_sim_seed cfg;
    double window[64];
    unsigned nwin;
    unsigned since_break;
    unsigned step_in_image;
} seed_ctl;

static int seed_should_cool(const seed_ctl *sc) {
    if (sc->since_break >= sc->cfg.batch_size)
        return 1;
    if (sc->nwin == 0)
        return 0;
    double mx = 0;
    for (unsigned i = 0; i < sc->nwin; i++)
        mx = sc->window[i] > mx ? sc->window[i] : mx;
    return mx / sc->cfg.baseline_s >= sc->cfg.threshold;
}

static void seed_record(seed_ctl *sc, double t) {
    if (sc->nwin == sc->cfg.window) {
        memmove(&sc->window[0], &sc->window[1], sizeof sc->window[0] * (sc->nwin - 1));
        sc->nwin--;
    }
    sc->window[sc->nwin++] = t;
    sc->since_break++;
}

static void seed_on_step(ctl *c, sim *s, double duration_s) {
    seed_ctl *sc = (seed_ctl *)c;
    s->image_work += duration_s;
    sc->step_in_image += s->p->units_per_step;
    if (sc->step_in_image < s->p->units_per_image)
        return;
    sc->step_in_image = 0;
    double elapsed = s->image_work;
    s->image_work = 0;
    seed_record(sc, sc->cfg.per_unit ? elapsed / s->p->units_per_image : elapsed);
    if (s->done >= s->p->units || !seed_should_cool(sc))
        return;
    /* cooling_break(): the batch duration at a batch boundary, else 30 s;
     * it does not clear the window; it resets the batch count. */
    double len = sc->since_break >= sc->cfg.batch_size ? sc->cfg.batch_break_s : sc->cfg.cooling_s;
    sc->since_break = 0;
    s->paused = 1;
    s->pause_until = s->t + len;
    s->r->breaks++;
}

static void timed_on_dt(ctl *c, sim *s) {
    (void)c;
    if (s->paused && s->pause_until >= 0 && s->t + 1e-9 >= s->pause_until) {
        s->paused = 0;
        s->pause_until = -1;
        s->step_start = s->t; /* the job measures its own steps, not its sleeps */
    }
}

int hr_sim_run_seed(const hr_sim_params *p, const hr_sim_seed *cfg, hr_sim_result *r) {
    seed_ctl sc;
    memset(&sc, 0, sizeof sc);
    sc.base.on_step = seed_on_step;
    sc.base.on_dt = timed_on_dt;
    sc.cfg = *cfg;
    if (sc.cfg.window == 0 || sc.cfg.window > 64)
        sc.cfg.window = 5;
    run(p, &sc.base, r);
    return 0;
}

/* A fixed duty cycle: work W s, rest R s, regardless of anything. */
typedef struct duty_ctl {
    ctl base;
    double work_s, rest_s;
    double phase_end;
} duty_ctl;

static void duty_on_dt(ctl *c, sim *s) {
    duty_ctl *dc = (duty_ctl *)c;
    if (s->t + 1e-9 < dc->phase_end)
        return;
    s->paused = !s->paused;
    if (s->paused)
        s->r->breaks++;
    dc->phase_end = s->t + (s->paused ? dc->rest_s : dc->work_s);
}

int hr_sim_run_duty(const hr_sim_params *p, double work_s, double rest_s, hr_sim_result *r) {
    duty_ctl dc;
    memset(&dc, 0, sizeof dc);
    dc.base.on_dt = duty_on_dt;
    dc.work_s = work_s;
    dc.rest_s = rest_s;
    dc.phase_end = work_s;
    run(p, &dc.base, r);
    r->work_s = work_s;
    r->rest_s = rest_s;
    return 0;
}

int hr_sim_best_duty(const hr_sim_params *p, hr_sim_result *best) {
    static const double works[] = {10, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600};
    static const double rests[] = {5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300};
    int found = 0;
    for (size_t i = 0; i < sizeof works / sizeof works[0]; i++) {
        for (size_t k = 0; k < sizeof rests / sizeof rests[0]; k++) {
            hr_sim_result r;
            hr_sim_run_duty(p, works[i], rests[k], &r);
            if (!r.finished || r.emergency)
                continue;
            if (!found || r.finish_s < best->finish_s) {
                *best = r;
                found = 1;
            }
        }
    }
    return found ? 0 : -1;
}

static int gov_row(const hr_sim_params *p, int policy, hr_sim_sensors sensors, hr_sim_result *r) {
    hr_govern_config c;
    hr_govern_config_defaults(&c);
    c.policy = policy;
    if (policy == HR_POLICY_BATCH) {
        /* The seed's batch: 10 images, 60 s. */
        c.batch_size = 0;
        c.batch_units = 10.0 * p->units_per_image;
    }
    return hr_sim_run_governor(p, &c, sensors, r, NULL);
}

int hr_sim_compare(const hr_sim_params *p, hr_sim_row rows[HR_SIM_ROWS]) {
    static const char *const names[HR_SIM_ROWS] = {
        "no policy",
        "seed BatchThermalManager (as its guide uses it)",
        "seed BatchThermalManager, per-unit times",
        "headroom timing",
        "headroom batch (10 images, 60 s)",
        "headroom sensor (NVML-like)",
        "headroom sensor (macOS pressure only)",
        "headroom auto, NVML-like sensors",
        "headroom auto, macOS pressure (with timing)",
        "headroom auto, no sensors",
        "best fixed duty cycle",
    };
    int rc = 0;
    memset(rows, 0, sizeof(hr_sim_row) * HR_SIM_ROWS);
    for (int i = 0; i < HR_SIM_ROWS; i++)
        rows[i].name = names[i];
    hr_sim_seed seed;
    hr_sim_seed_default(&seed);
    rows[HR_SIM_ROW_NONE].ok = hr_sim_run_none(p, &rows[HR_SIM_ROW_NONE].r) == 0;
    rows[HR_SIM_ROW_SEED].ok = hr_sim_run_seed(p, &seed, &rows[HR_SIM_ROW_SEED].r) == 0;
    seed.per_unit = 1;
    rows[HR_SIM_ROW_SEED_UNITS].ok = hr_sim_run_seed(p, &seed, &rows[HR_SIM_ROW_SEED_UNITS].r) == 0;
    rows[HR_SIM_ROW_TIMING].ok =
        gov_row(p, HR_POLICY_TIMING, HR_SIM_SENSORS_NONE, &rows[HR_SIM_ROW_TIMING].r) == 0;
    rows[HR_SIM_ROW_BATCH].ok =
        gov_row(p, HR_POLICY_BATCH, HR_SIM_SENSORS_NONE, &rows[HR_SIM_ROW_BATCH].r) == 0;
    rows[HR_SIM_ROW_SENSOR_NVIDIA].ok = gov_row(p, HR_POLICY_SENSOR, HR_SIM_SENSORS_NVIDIA,
                                                &rows[HR_SIM_ROW_SENSOR_NVIDIA].r) == 0;
    rows[HR_SIM_ROW_SENSOR_APPLE].ok = gov_row(p, HR_POLICY_SENSOR, HR_SIM_SENSORS_APPLE,
                                               &rows[HR_SIM_ROW_SENSOR_APPLE].r) == 0;
    rows[HR_SIM_ROW_AUTO_NVIDIA].ok = gov_row(p, HR_POLICY_AUTO, HR_SIM_SENSORS_NVIDIA,
                                              &rows[HR_SIM_ROW_AUTO_NVIDIA].r) == 0;
    rows[HR_SIM_ROW_AUTO_APPLE].ok = gov_row(p, HR_POLICY_AUTO, HR_SIM_SENSORS_APPLE,
                                             &rows[HR_SIM_ROW_AUTO_APPLE].r) == 0;
    rows[HR_SIM_ROW_AUTO_NONE].ok =
        gov_row(p, HR_POLICY_AUTO, HR_SIM_SENSORS_NONE, &rows[HR_SIM_ROW_AUTO_NONE].r) == 0;
    rows[HR_SIM_ROW_DUTY].ok = hr_sim_best_duty(p, &rows[HR_SIM_ROW_DUTY].r) == 0;
    for (int i = 0; i < HR_SIM_ROWS; i++)
        if (!rows[i].ok)
            rc = -1;
    return rc;
}

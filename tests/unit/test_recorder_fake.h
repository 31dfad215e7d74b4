/* test_recorder_fake.h: a hand-built probe and a simulated clock for the
 * recorder tests: the recorder runs through minutes of simulated time
 * without sleeping, and each tick's work takes exactly the time a test
 * scripts. */
#ifndef HR_TESTS_UNIT_TEST_RECORDER_FAKE_H
#define HR_TESTS_UNIT_TEST_RECORDER_FAKE_H

#include <pthread.h>
#include <time.h>

#include "test_store_util.h"

typedef struct fake_clock {
    pthread_mutex_t mu;
    int64_t t;        /* simulated CLOCK_MONOTONIC */
    int64_t wall0;    /* UTC at t = 0 */
} fake_clock;

static int64_t fc_now(void *u) {
    fake_clock *c = u;
    pthread_mutex_lock(&c->mu);
    int64_t t = c->t;
    pthread_mutex_unlock(&c->mu);
    return t;
}

static int64_t fc_wall(void *u) { return ((fake_clock *)u)->wall0 + fc_now(u); }

static void fc_sleep_until(void *u, int64_t deadline) {
    fake_clock *c = u;
    pthread_mutex_lock(&c->mu);
    if (deadline > c->t)
        c->t = deadline;
    pthread_mutex_unlock(&c->mu);
}

static void fc_advance(fake_clock *c, int64_t ns) {
    pthread_mutex_lock(&c->mu);
    c->t += ns;
    pthread_mutex_unlock(&c->mu);
}

/* What the fake probe does on each refresh. */
typedef struct fake_script {
    fake_clock *clock;
    hr_probe *p;
    int tick;                 /* refreshes so far */
    int64_t work_ns;          /* simulated cost of every refresh */
    int slow_tick;            /* this refresh costs slow_ns instead (-1: none) */
    int64_t slow_ns;
    int vanish_tick;          /* from this refresh on, sensor "A" is gone (-1: never) */
    int fail_tick;            /* this refresh fails with HR_EIO (-1: never) */
    int gpu_lost_tick;        /* from this refresh on, the GPU is gone (-1: never) */
    /* A CPU trace for RLE: util (ppm), power (mW), temp (m°C) of refresh k. */
    void (*trace)(int k, hr_probe *p);
} fake_script;

static hr_reading fk_unknown(void) { return hr__unknown(HR_WHY_ABSENT, 0); }

static void fk_unknown_psi(hr_psi *p) {
    p->some_avg10_ppm = p->some_avg60_ppm = p->full_avg10_ppm = p->some_total_us = fk_unknown();
}

/* A probe whose every reading is unknown (zeroed readings would read as
 * known zeros), then a CPU, memory and two hwmon sensors "A" and "B". */
static hr_probe *fake_probe_new(void) {
    hr_probe *p = calloc(1, sizeof *p);
    p->size = sizeof *p;
    hr_reading u = fk_unknown();
    p->host.cpus_logical = p->host.cores_physical = p->host.packages = u;
    p->host.cores_performance = p->host.cores_efficiency = p->host.uptime_ns = u;
    p->cpu.util_ppm = p->cpu.iowait_ppm = p->cpu.temp_mc = p->cpu.temp_crit_mc = u;
    p->cpu.package_throttle_count = p->cpu.power_mw = u;
    hr_mem_info *m = &p->mem;
    m->total_bytes = m->available_bytes = m->swap_total_bytes = m->swap_free_bytes = u;
    m->cgroup_limit_bytes = m->cgroup_usage_bytes = m->budget_bytes = u;
    fk_unknown_psi(&m->psi_memory);
    fk_unknown_psi(&m->psi_cpu);
    fk_unknown_psi(&m->psi_io);
    m->pressure_level = m->vm_pressure_level = m->memorystatus_level = m->thermal_pressure = u;
    p->accel.budget_bytes = p->accel.ceiling_bytes = u;
    p->cpu.util_ppm = hr__known(100000);
    p->cpu.temp_mc = hr__known(50000);
    p->cpu.temp_crit_mc = hr__known(90000);
    p->cpu.power_mw = hr__known(20000);
    p->mem.available_bytes = hr__known(8000000000LL);
    p->sensors = calloc(2, sizeof *p->sensors);
    p->nsensors = 2;
    for (int i = 0; i < 2; i++) {
        hr_sensor *s = &p->sensors[i];
        snprintf(s->chip, sizeof s->chip, "fakechip");
        snprintf(s->label, sizeof s->label, "%s", i == 0 ? "A" : "B");
        snprintf(s->device, sizeof s->device, "hwmon0");
        s->kind = HR_SENSOR_TEMP;
        s->value = hr__known(40000 + i);
        s->max = s->crit = u;
    }
    return p;
}

/* Adds one NVIDIA-like GPU with util, temperature, limits and power known. */
static void fake_probe_add_gpu(hr_probe *p) {
    p->gpus = calloc(1, sizeof *p->gpus);
    p->ngpus = 1;
    hr_gpu_info *g = &p->gpus[0];
    hr_reading *r = &g->mem_total_bytes;
    /* Every reading of the struct, from mem_total_bytes to the last
     * throttle-time counter, starts unknown. */
    size_t n = (size_t)((char *)&g->throttle_time_ns[HR_TCOUNT_COUNT] - (char *)r) / sizeof *r;
    for (size_t i = 0; i < n; i++)
        r[i] = fk_unknown();
    snprintf(g->backend, sizeof g->backend, "nvml");
    snprintf(g->name, sizeof g->name, "Fake GPU");
    snprintf(g->uuid, sizeof g->uuid, "GPU-fake-1");
    g->util_ppm = hr__known(900000);
    g->temp_mc = hr__known(60000);
    g->temp_slowdown_mc = hr__known(87000);
    g->power_mw = hr__known(150000);
    g->power_limit_mw = hr__known(250000);
    g->throttle_reasons = hr__known(0);
}

static void fake_probe_free(hr_probe *p) {
    free(p->sensors);
    free(p->gpus);
    free(p);
}

/* Sensor "A" reads 40000 + k, "B" 41000 + k on refresh k. */
static int64_t fake_sensor_value(const char *label, int k) {
    return (strcmp(label, "B") == 0 ? 41000 : 40000) + k;
}

static hr_status fake_refresh(hr_probe *p, void *user) {
    fake_script *sc = user;
    int k = sc->tick++;
    fc_advance(sc->clock, k == sc->slow_tick ? sc->slow_ns : sc->work_ns);
    if (k == sc->fail_tick)
        return HR_EIO;
    p->cpu.util_ppm = hr__known(100000 + k);
    p->mem.available_bytes = hr__known(8000000000LL - k);
    if (sc->vanish_tick >= 0 && k >= sc->vanish_tick && p->nsensors == 2) {
        /* "A" is removed and "B" moves to its place: identity, not
         * position, must find "B" and see "A" gone. */
        p->sensors[0] = p->sensors[1];
        p->nsensors = 1;
    }
    for (size_t i = 0; i < p->nsensors; i++)
        p->sensors[i].value = hr__known(fake_sensor_value(p->sensors[i].label, k));
    if (sc->gpu_lost_tick >= 0 && k >= sc->gpu_lost_tick)
        p->ngpus = 0;
    for (size_t i = 0; i < p->ngpus; i++)
        p->gpus[i].temp_mc = hr__known(60000 + 100 * (int64_t)k);
    if (sc->trace)
        sc->trace(k, p);
    return HR_OK;
}

static void fake_script_init(fake_script *sc, fake_clock *c, hr_probe *p) {
    memset(sc, 0, sizeof *sc);
    sc->clock = c;
    sc->p = p;
    sc->work_ns = 1000000;
    sc->slow_tick = -1;
    sc->vanish_tick = -1;
    sc->fail_tick = -1;
    sc->gpu_lost_tick = -1;
}

static void fake_clock_init(fake_clock *c) {
    pthread_mutex_init(&c->mu, NULL);
    c->t = 5000000000LL;
    c->wall0 = 1700000000000000000LL;
}

/* Threads adding steps (and events) while a recorder runs: each adds STEPS
 * steps of UNITS units with NVALUES named values ("loss", then
 * "grad_norm"), an event "mark" every EVENT_EVERY steps, and sleeps
 * PAUSE_NS between steps. */
typedef struct step_plan {
    int steps;
    double units;
    int nvalues;
    int event_every;
    int64_t pause_ns;
} step_plan;

typedef struct step_thread_arg {
    hr_recorder *rec;
    int id;
    const step_plan *plan;
} step_thread_arg;

static void *step_thread(void *arg) {
    step_thread_arg *t = arg;
    const step_plan *pl = t->plan;
    const char *names[] = {"loss", "grad_norm"};
    for (int i = 0; i < pl->steps; i++) {
        double v[] = {1.0 / (i + 1), t->id + i / 100.0};
        if (hr_recorder_add_step(t->rec, t->id * 1000 + i, pl->units, names, v,
                                 (size_t)pl->nvalues) != HR_OK)
            return (void *)1;
        if (i % pl->event_every == 0 &&
            hr_recorder_add_event(t->rec, "mark", hr_recorder_now_ns(t->rec), 0,
                                  "from a thread") != HR_OK)
            return (void *)1;
        if (pl->pause_ns > 0) {
            struct timespec ts = {(time_t)(pl->pause_ns / 1000000000LL),
                                  (long)(pl->pause_ns % 1000000000LL)};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* Runs N (at most 8) step threads of PLAN against REC and joins them; each
 * must have succeeded. */
static void run_step_threads(hr_recorder *rec, int n, const step_plan *plan) {
    pthread_t th[8];
    step_thread_arg args[8];
    assert_true(n > 0 && n <= 8);
    for (int i = 0; i < n; i++) {
        args[i] = (step_thread_arg){rec, i + 1, plan};
        assert_int_equal(pthread_create(&th[i], NULL, step_thread, &args[i]), 0);
    }
    for (int i = 0; i < n; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
}

#endif /* HR_TESTS_UNIT_TEST_RECORDER_FAKE_H */

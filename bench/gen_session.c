/* gen_session.c: writes a synthetic session for the report benchmark
 * (bench/report_bench.sh) through the public session API: by default 24 h
 * at 1 Hz with 60 channels (CPU, 16 cores, one GPU, memory, PSI, RLE), a
 * step every 2 s with loss and grad_norm, hourly heat waves with throttle
 * reasons, a cooling break and a collapse in each.
 *
 * usage: gen_session OUT.db [--hours H] [--hz HZ] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "headroom/headroom.h"

#define NS 1000000000LL
#define MONO0 (1000 * NS)
#define WALL0 (1700000000LL * NS)
#define NCORES 16

typedef struct chan {
    char component[16], metric[32];
    const char *unit, *base;
    double scale;
} chan;

static chan chans[64];
static int nchans;

static int add(const char *comp, const char *metric, const char *unit, const char *base,
               double scale) {
    chan *c = &chans[nchans];
    snprintf(c->component, sizeof c->component, "%s", comp);
    snprintf(c->metric, sizeof c->metric, "%s", metric);
    c->unit = unit;
    c->base = base;
    c->scale = scale;
    return nchans++;
}

enum { C_UTIL, C_IOWAIT, C_TEMP, C_CRIT, C_POWER };

static int layout(void) {
    add("cpu", "util", "ppm", "ratio", 1e-6);
    add("cpu", "iowait", "ppm", "ratio", 1e-6);
    add("cpu", "temp", "mc", "celsius", 1e-3);
    add("cpu", "temp_crit", "mc", "celsius", 1e-3);
    add("cpu", "power", "mw", "watts", 1e-3);
    for (int i = 0; i < NCORES; i++) {
        char comp[16];
        snprintf(comp, sizeof comp, "cpu%d", i);
        add(comp, "util", "ppm", "ratio", 1e-6);
        add(comp, "freq", "mhz", "hertz", 1e6);
    }
    static const char *const gm[][3] = {
        {"util", "ppm", "ratio"},
        {"temp", "mc", "celsius"},
        {"temp_slowdown", "mc", "celsius"},
        {"power", "mw", "watts"},
        {"power_limit", "mw", "watts"},
        {"clock_sm", "mhz", "hertz"},
        {"clock_mem", "mhz", "hertz"},
        {"mem_used", "bytes", "bytes"},
        {"throttle_reasons", "mask", "mask"},
        {"fan", "pct", "ratio"},
    };
    static const double gs[] = {1e-6, 1e-3, 1e-3, 1e-3, 1e-3, 1e6, 1e6, 1, 1, 1e-2};
    for (int i = 0; i < 10; i++)
        add("gpu0", gm[i][0], gm[i][1], gm[i][2], gs[i]);
    add("mem", "available", "bytes", "bytes", 1);
    add("mem", "swap_free", "bytes", "bytes", 1);
    add("mem", "pressure", "level", "level", 1);
    add("psi", "memory_some_avg10", "ppm", "ratio", 1e-6);
    add("psi", "memory_full_avg10", "ppm", "ratio", 1e-6);
    add("psi", "cpu_some_avg10", "ppm", "ratio", 1e-6);
    add("psi", "io_some_avg10", "ppm", "ratio", 1e-6);
    add("gpu0", "rle", "micro", "index", 1e-6);
    add("gpu0", "collapse", "bool", "bool", 1);
    add("cpu", "rle", "micro", "index", 1e-6);
    add("cpu", "collapse", "bool", "bool", 1);
    add("acpitz", "temp", "mc", "celsius", 1e-3);
    add("nvme", "Composite", "mc", "celsius", 1e-3);
    return nchans;
}

/* A cheap deterministic noise in [-1, 1]. */
static double noise(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 53) * 2.0 - 1.0;
}

/* Heat waves: the last 10 minutes of every hour run hot and throttle. */
static int hot(double t) { return fmod(t, 3600.0) >= 3000.0; }

static void tick_values(double t, uint64_t *rng, double *v) {
    int h = hot(t);
    double n = noise(rng);
    int k = 0;
    v[k++] = 0.35 + 0.05 * n;
    v[k++] = 0.02 + 0.01 * noise(rng);
    v[k++] = 55 + 3 * n;
    v[k++] = 100;
    v[k++] = 65 + 5 * n;
    for (int i = 0; i < NCORES; i++) {
        v[k++] = (i == 3 ? 0.9 : 0.3) + 0.05 * noise(rng);
        v[k++] = 3000e6 + 200e6 * noise(rng);
    }
    double gt = h ? 84 + noise(rng) : 70 + 8 * sin(t / 600) + noise(rng);
    v[k++] = 0.95 + 0.03 * noise(rng);
    v[k++] = gt;
    v[k++] = 83;
    v[k++] = h ? 290 + 5 * noise(rng) : 250 + 10 * noise(rng);
    v[k++] = 300;
    v[k++] = h ? 1300e6 : 1900e6 + 20e6 * noise(rng);
    v[k++] = 9501e6;
    v[k++] = 20.0 * 1073741824.0 + 1e8 * noise(rng);
    v[k++] = h ? 0x20 : 0;
    v[k++] = 0.6 + 0.1 * noise(rng);
    v[k++] = 40.0 * 1073741824.0 + 5e8 * noise(rng);
    v[k++] = 8.0 * 1073741824.0;
    v[k++] = 0;
    v[k++] = 0.001 * (1 + noise(rng));
    v[k++] = 0;
    v[k++] = 0.05 + 0.02 * noise(rng);
    v[k++] = 0.01 + 0.005 * noise(rng);
    v[k++] = h ? 0.3 + 0.05 * noise(rng) : 0.8 + 0.05 * noise(rng);
    v[k++] = h && fmod(t, 3600.0) < 3030.0;
    v[k++] = 0.5 + 0.02 * noise(rng);
    v[k++] = 0;
    v[k++] = 45 + noise(rng);
    v[k++] = 40 + noise(rng);
}

static int fail(hr_session *s, const char *what) {
    fprintf(stderr, "gen_session: %s: %s\n", what, s ? hr_session_last_error(s) : "failed");
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: gen_session OUT.db [--hours H] [--hz HZ]\n");
        return 2;
    }
    double hours = 24, hz = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--hours") == 0)
            hours = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--hz") == 0)
            hz = atof(argv[i + 1]);
    }
    if (!(hours > 0) || !(hz > 0))
        return 2;
    hr_ctx *ctx = NULL;
    hr_session *s = NULL;
    if (hr_ctx_new(&ctx) != HR_OK ||
        hr_session_create(ctx, argv[1], HR_SESSION_OVERWRITE, &s) != HR_OK) {
        fprintf(stderr, "gen_session: %s: %s\n", argv[1], ctx ? hr_ctx_last_error(ctx) : "");
        return 1;
    }
    int n = layout();
    for (int i = 0; i < n; i++)
        if (hr_session_add_channel(s, chans[i].component, chans[i].metric, chans[i].unit,
                                   chans[i].base, chans[i].scale, NULL, NULL) != HR_OK)
            return fail(s, "add_channel");
    hr_session_set_sync_interval(s, 3600 * NS);
    hr_session_set_meta_i64(s, "start_mono_ns", MONO0);
    hr_session_set_meta_i64(s, "start_wall_ns", WALL0);
    hr_session_set_meta(s, "created_by", "bench/gen_session");
    hr_session_set_meta(s, "command_line", "python train.py --epochs 90");
    int64_t ticks = (int64_t)llround(hours * 3600 * hz);
    uint64_t rng = 42;
    double v[64], next_step = 2.0;
    int64_t step = 0;
    const char *names[2] = {"loss", "grad_norm"};
    for (int64_t k = 0; k < ticks; k++) {
        double t = (double)k / hz;
        tick_values(t, &rng, v);
        int64_t mono = MONO0 + llround(t * 1e9);
        if (hr_session_begin_tick(s, mono, WALL0 + llround(t * 1e9), NULL) != HR_OK)
            return fail(s, "begin_tick");
        for (int c = 0; c < n; c++)
            if (hr_session_put(s, c + 1, llround(v[c] / chans[c].scale)) != HR_OK)
                return fail(s, "put");
        while (next_step <= t) {
            /* The job is paused during a cooling break (hh:59:00..hh:59:30). */
            double in_hour = fmod(next_step, 3600.0);
            if (in_hour >= 3540.0 && in_hour < 3570.0) {
                next_step += 3570.0 - in_hour + 2.0; /* the first step after it ends 2 s later */
                continue;
            }
            double dur = hot(next_step) ? 3.1 : 2.0;
            double vals[2] = {2.0 * exp(-(double)step / 20000.0) + 0.01 * noise(&rng),
                              4 + 0.05 * v[C_TEMP] + 0.1 * noise(&rng)};
            hr_step st = {step,
                          MONO0 + llround(next_step * 1e9),
                          WALL0 + llround(next_step * 1e9),
                          llround(dur * 1e9),
                          32,
                          2,
                          names,
                          vals};
            if (hr_session_add_step(s, &st) != HR_OK)
                return fail(s, "add_step");
            step++;
            next_step += dur;
        }
        if (fmod(t, 3600.0) == 3000.0) {
            char d[64];
            snprintf(d, sizeof d, "gpu0: sw_thermal (hour %d)", (int)(t / 3600));
            hr_session_add_event(s, "throttle", mono, mono + 600 * NS, d, NULL);
            hr_session_add_event(s, "collapse", mono, mono + 30 * NS, "gpu0: RLE fell under load",
                                 NULL);
            hr_session_add_event(s, "cooling_break", mono + 540 * NS, mono + 570 * NS,
                                 "gpu0 over its slowdown temperature", NULL);
        }
        if (hr_session_commit_tick(s) != HR_OK)
            return fail(s, "commit_tick");
    }
    int64_t end = MONO0 + llround((double)ticks / hz * 1e9);
    if (hr_session_finish(s, end, end - MONO0 + WALL0, hz, 0) != HR_OK)
        return fail(s, "finish");
    hr_session_close(s);
    hr_ctx_free(ctx);
    printf("{\"ticks\": %lld, \"channels\": %d, \"steps\": %lld}\n", (long long)ticks, n,
           (long long)step);
    return 0;
}

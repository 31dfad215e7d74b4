/* test_report_util.h: sessions for the report tests, written through the
 * public hr_session API into a temporary directory, with figures simple
 * enough to work out by hand (the expected values are derived in the
 * tests that use them). */
#ifndef HR_TESTS_UNIT_TEST_REPORT_UTIL_H
#define HR_TESTS_UNIT_TEST_REPORT_UTIL_H

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/hr_test.h"

#define TRP_S 1000000000LL
#define TRP_MONO0 (1000 * TRP_S)         /* the first tick's monotonic time */
#define TRP_WALL0 (1700000000LL * TRP_S) /* and its UTC time: 2023-11-14 22:13:20 */
#define TRP_GIB (1024.0 * 1024 * 1024)

static int trp_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline char *trp_mkdtemp(void) {
    const char *base = getenv("TMPDIR");
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/hr-report-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(p))
        fail_msg("mkdtemp failed");
    return p;
}

static inline void trp_rmdir(char *dir) {
    nftw(dir, trp_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* A new session at DIR/NAME; PATH (4096 bytes) receives its path. */
static inline hr_session *trp_create(hr_ctx *ctx, const char *dir, const char *name, char *path) {
    snprintf(path, 4096, "%s/%s", dir, name);
    hr_session *s = NULL;
    assert_int_equal(hr_session_create(ctx, path, HR_SESSION_OVERWRITE, &s), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(s, "start_mono_ns", TRP_MONO0), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(s, "start_wall_ns", TRP_WALL0), HR_OK);
    return s;
}

typedef struct trp_chan {
    const char *component, *metric, *unit, *base;
    double scale;
} trp_chan;

static inline void trp_channels(hr_session *s, const trp_chan *c, size_t n) {
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hr_session_add_channel(s, c[i].component, c[i].metric, c[i].unit,
                                                c[i].base, c[i].scale, NULL, NULL),
                         HR_OK);
}

/* Base-unit value V as a stored reading of channel C (NaN: unknown). */
static inline hr_reading trp_val(const trp_chan *c, double v) {
    hr_reading r = {0, HR_WHY_ABSENT, 0};
    if (!isnan(v)) {
        r.v = llround(v / c->scale);
        r.why = HR_WHY_KNOWN;
    }
    return r;
}

static inline void trp_step(hr_session *s, int64_t index, double end_s, double dur_s, double units,
                            size_t n, const char *const *names, const double *values) {
    hr_step st = {index,
                  TRP_MONO0 + llround(end_s * 1e9),
                  TRP_WALL0 + llround(end_s * 1e9),
                  dur_s >= 0 ? llround(dur_s * 1e9) : -1,
                  units,
                  n,
                  names,
                  values};
    assert_int_equal(hr_session_add_step(s, &st), HR_OK);
}

static inline void trp_event(hr_session *s, const char *kind, double a_s, double z_s,
                             const char *detail) {
    assert_int_equal(hr_session_add_event(s, kind, TRP_MONO0 + llround(a_s * 1e9),
                                          z_s >= 0 ? TRP_MONO0 + llround(z_s * 1e9) : 0, detail,
                                          NULL),
                     HR_OK);
}

static inline void trp_finish(hr_session *s, double end_s, double hz, int64_t missed) {
    assert_int_equal(hr_session_finish(s, TRP_MONO0 + llround(end_s * 1e9),
                                       TRP_WALL0 + llround(end_s * 1e9), hz, missed),
                     HR_OK);
}

/* --- the "workstation" session: 600 s at 1 Hz, one GPU and two cores ---
 *
 *   phase A   0 <= t < 200     GPU busy, 60 -> 80 C, steps of 2 s (4 units)
 *   phase B   200 <= t < 402   GPU at 84 C (slowdown 83 C), SW thermal
 *                              reason set, SM clock 1200 MHz, steps of 3.2 s
 *   cooling   402 <= t < 430   GPU idle (a cooling break from 401.6 s)
 *   phase C   430 <= t < 600   GPU busy at 68 C, steps of 2 s
 *
 * Steps: 100 in A, 63 in B (the last ends at 401.6 s), 85 in C (430..600),
 * 248 in all, 992 units; baseline 0.5 s/unit, B steps 0.8 s/unit (1.6x).
 * GPU temperature is unknown at t = 50. Memory pressure "warn" for
 * 300 <= t < 360; swap in use grows by 512 MiB at t = 300. gpu0 collapses
 * for 250 <= t < 280 (30 of 600 samples), cpu for 100 <= t < 105 (5). */

enum {
    W_CPU_UTIL,
    W_CPU_IOWAIT,
    W_CPU_TEMP,
    W_CPU_CRIT,
    W_CPU_POWER,
    W_C0_UTIL,
    W_C0_FREQ,
    W_C1_UTIL,
    W_C1_FREQ,
    W_G_UTIL,
    W_G_TEMP,
    W_G_SLOW,
    W_G_POWER,
    W_G_LIMIT,
    W_G_CLOCK,
    W_G_REASONS,
    W_G_MEM,
    W_G_TTHERM,
    W_MEM_AVAIL,
    W_MEM_SWAP,
    W_MEM_PRESSURE,
    W_G_RLE,
    W_G_COLLAPSE,
    W_C_RLE,
    W_C_COLLAPSE,
    W_COUNT
};

static const trp_chan trp_workstation_chans[W_COUNT] = {
    {"cpu", "util", "ppm", "ratio", 1e-6},
    {"cpu", "iowait", "ppm", "ratio", 1e-6},
    {"cpu", "temp", "mc", "celsius", 1e-3},
    {"cpu", "temp_crit", "mc", "celsius", 1e-3},
    {"cpu", "power", "mw", "watts", 1e-3},
    {"cpu0", "util", "ppm", "ratio", 1e-6},
    {"cpu0", "freq", "mhz", "hertz", 1e6},
    {"cpu1", "util", "ppm", "ratio", 1e-6},
    {"cpu1", "freq", "mhz", "hertz", 1e6},
    {"gpu0", "util", "ppm", "ratio", 1e-6},
    {"gpu0", "temp", "mc", "celsius", 1e-3},
    {"gpu0", "temp_slowdown", "mc", "celsius", 1e-3},
    {"gpu0", "power", "mw", "watts", 1e-3},
    {"gpu0", "power_limit", "mw", "watts", 1e-3},
    {"gpu0", "clock_sm", "mhz", "hertz", 1e6},
    {"gpu0", "throttle_reasons", "mask", "mask", 1},
    {"gpu0", "mem_used", "bytes", "bytes", 1},
    {"gpu0", "throttle_time_sw_thermal", "ns", "seconds", 1e-9},
    {"mem", "available", "bytes", "bytes", 1},
    {"mem", "swap_free", "bytes", "bytes", 1},
    {"mem", "pressure", "level", "level", 1},
    {"gpu0", "rle", "micro", "index", 1e-6},
    {"gpu0", "collapse", "bool", "bool", 1},
    {"cpu", "rle", "micro", "index", 1e-6},
    {"cpu", "collapse", "bool", "bool", 1},
};

static inline double trp_gpu_temp(double t) {
    if (t < 200)
        return 60 + 20 * t / 200;
    if (t < 402)
        return 84;
    if (t < 430)
        return 84 - (t - 402) * 0.5;
    return 68;
}

static inline void trp_workstation_tick(int k, double *v) {
    double t = k;
    int a = t < 200, b = t >= 200 && t < 402, cool = t >= 402 && t < 430;
    v[W_CPU_UTIL] = 0.3;
    v[W_CPU_IOWAIT] = 0.01;
    v[W_CPU_TEMP] = 55;
    v[W_CPU_CRIT] = 100;
    v[W_CPU_POWER] = 65;
    v[W_C0_UTIL] = 0.4;
    v[W_C0_FREQ] = 3000e6;
    v[W_C1_UTIL] = 0.2;
    v[W_C1_FREQ] = 2800e6;
    v[W_G_UTIL] = cool ? 0.02 : b ? 0.93 : 0.95;
    v[W_G_TEMP] = k == 50 ? NAN : trp_gpu_temp(t);
    v[W_G_SLOW] = 83;
    v[W_G_POWER] = cool ? 40 : b ? 280 : 250;
    v[W_G_LIMIT] = 300;
    v[W_G_CLOCK] = cool ? 300e6 : b ? 1200e6 : 1900e6;
    v[W_G_REASONS] = b ? 0x20 : cool ? 0x1 : (a && k % 10 == 0) ? 0x4 : 0;
    v[W_G_MEM] = 10 * TRP_GIB;
    v[W_G_TTHERM] = t < 200 ? 0 : t < 402 ? (t - 200 + 1) : 202;
    v[W_MEM_AVAIL] = 20 * TRP_GIB;
    v[W_MEM_SWAP] = 8 * TRP_GIB - (t >= 300 ? 512.0 * 1024 * 1024 : 0);
    v[W_MEM_PRESSURE] = t >= 300 && t < 360 ? 1 : 0;
    v[W_G_RLE] = cool ? 0.02 : b ? 0.3 : 0.8;
    v[W_G_COLLAPSE] = t >= 250 && t < 280;
    v[W_C_RLE] = 0.5 + 0.01 * sin(t / 10);
    v[W_C_COLLAPSE] = t >= 100 && t < 105;
}

static inline void trp_workstation_ticks(hr_session *s) {
    for (int k = 0; k < 600; k++) {
        double v[W_COUNT];
        hr_reading r[W_COUNT];
        trp_workstation_tick(k, v);
        for (int c = 0; c < W_COUNT; c++)
            r[c] = trp_val(&trp_workstation_chans[c], v[c]);
        assert_int_equal(hr_session_write_tick(s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, r,
                                               W_COUNT, NULL),
                         HR_OK);
    }
}

/* The steps: returns how many. */
static inline int trp_workstation_steps(hr_session *s) {
    const char *names[2] = {"loss", "grad_norm"};
    double start = 0;
    int i = 0;
    for (;;) {
        if (start >= 401.6 - 1e-9 && start < 430)
            start = 430;
        double dur = start >= 200 && start < 402 ? 3.2 : 2.0;
        double end = start + dur;
        if (end > 600 + 1e-9)
            break;
        double vals[2] = {2.0 * exp(-i / 100.0), 1.0 + 0.05 * trp_gpu_temp(end)};
        trp_step(s, i, end, dur, 4, 2, names, vals);
        start = end;
        i++;
    }
    return i;
}

static inline void trp_workstation_events(hr_session *s) {
    trp_event(s, "collapse", 100, 105, "cpu: RLE 0.49 under 0.65 x peak while heating");
    trp_event(s, "collapse", 250, 280, "gpu0: RLE 0.30 under 0.65 x peak 0.80, t_sustain 40 s");
    trp_event(s, "throttle", 200, 400, "gpu0: sw_thermal <i>hot</i>");
    trp_event(s, "cooling_break", 401.6, 430, "gpu0 at 84 C, over its 83 C slowdown");
    trp_event(s, "mark", 10, 10, "warm-up done <b>bold</b> & 'quoted'");
    trp_event(s, "weird_kind", 500, 510, "something new | *with* markdown");
    trp_event(s, "channel_missing", 590, -1, "gpu0/fan: disappeared after discovery");
}

/* The whole session at DIR/NAME, finished; returns its open handle. */
static inline hr_session *trp_workstation(hr_ctx *ctx, const char *dir, const char *name,
                                          char *path) {
    hr_session *s = trp_create(ctx, dir, name, path);
    trp_channels(s, trp_workstation_chans, W_COUNT);
    assert_int_equal(hr_session_set_meta(s, "created_by", "headroom run"), HR_OK);
    assert_int_equal(
        hr_session_set_meta(s, "command_line",
                            "python train.py --name \"<script>alert(1)</script>\" && echo | tee"),
        HR_OK);
    assert_int_equal(hr_session_set_meta(s, "notes", "first | row *bold* _x_\nsecond line"), HR_OK);
    assert_int_equal(hr_session_set_tag(s, "model", "sdxl<b>"), HR_OK);
    assert_int_equal(
        hr_session_set_meta(s, "host_json",
                            "{\"host\":{\"hostname\":\"ws\",\"os\":\"linux\",\"cpu_model\":"
                            "\"Test CPU\",\"cpus_logical\":2},\"memory\":{\"total_bytes\":"
                            "34359738368},\"gpus\":[{\"name\":\"Test GPU\"}]}"),
        HR_OK);
    trp_workstation_ticks(s);
    trp_workstation_steps(s);
    trp_workstation_events(s);
    trp_finish(s, 600, 1.0, 0);
    return s;
}

/* Builds and renders a report of S in FORMAT; the text is malloc'd. */
static inline char *trp_render(hr_session *s, const hr_report_options *o, int format,
                               hr_report **keep) {
    hr_report *r = NULL;
    hr_status st = hr_report_build(s, o, &r);
    if (st != HR_OK)
        fail_msg("hr_report_build: %s: %s", hr_status_name(st), hr_session_last_error(s));
    char *text = NULL;
    assert_int_equal(hr_report_render(r, format, &text, NULL), HR_OK);
    if (keep)
        *keep = r;
    else
        hr_report_free(r);
    return text;
}

#endif /* HR_TESTS_UNIT_TEST_REPORT_UTIL_H */

/* test_store_size.c: a realistic 60-channel session at 1 Hz stays within
 * 16 bytes per stored reading (page_count * page_size / readings), and
 * prints the per-tick commit latency (a figure for docs/PERFORMANCE.md, not
 * asserted: tests assert behaviour, timings belong to bench/).
 * HR_STORE_SIZE_TICKS overrides the length (default 6 h of ticks);
 * HR_STORE_SIZE_KEEP=1 keeps the file for other measurements. */
#include <math.h>

#include "record/histo.h"
#include "test_store_util.h"

#define NCH 60

typedef struct walk {
    double v, lo, hi, step;
} walk;

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static double uniform(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double walk_next(walk *w) {
    w->v += (uniform() * 2 - 1) * w->step;
    if (w->v < w->lo)
        w->v = w->lo;
    if (w->v > w->hi)
        w->v = w->hi;
    return w->v;
}

typedef struct chan_def {
    const char *component, *metric, *unit, *base;
    double scale;
    walk w;
    int counter; /* cumulative: grows by w each tick */
} chan_def;

/* The channels of a laptop with one GPU, in the units the probe reports. */
static void define_channels(chan_def *c) {
    int n = 0;
#define CH(comp, met, unit, base, scale, v0, lo, hi, step, ctr)                                  \
    c[n++] = (chan_def){comp, met, unit, base, scale, {v0, lo, hi, step}, ctr}
    CH("cpu", "util", "ppm", "ratio", 1e-6, 500000, 0, 1000000, 80000, 0);
    CH("cpu", "iowait", "ppm", "ratio", 1e-6, 5000, 0, 200000, 3000, 0);
    CH("cpu", "temp", "mc", "celsius", 1e-3, 60000, 35000, 98000, 1000, 0);
    CH("cpu", "temp_crit", "mc", "celsius", 1e-3, 100000, 100000, 100000, 0, 0);
    CH("cpu", "power", "mw", "watts", 1e-3, 25000, 3000, 65000, 3000, 0);
    static const char *cores[8] = {"cpu0", "cpu1", "cpu2", "cpu3", "cpu4", "cpu5", "cpu6", "cpu7"};
    for (int i = 0; i < 8; i++) {
        CH(cores[i], "util", "ppm", "ratio", 1e-6, 400000, 0, 1000000, 150000, 0);
        CH(cores[i], "freq", "mhz", "hertz", 1e6, 3000, 800, 4700, 300, 0);
    }
    CH("mem", "available", "bytes", "bytes", 1, 12e9, 2e9, 30e9, 5e7, 0);
    CH("mem", "budget", "bytes", "bytes", 1, 11e9, 2e9, 30e9, 5e7, 0);
    CH("mem", "swap_free", "bytes", "bytes", 1, 8e9, 7e9, 8.5e9, 1e6, 0);
    CH("mem", "pressure", "level", "level", 1, 0, 0, 2, 0.02, 0);
    static const char *psi[5] = {"memory_some_avg10", "memory_full_avg10", "cpu_some_avg10",
                                 "io_some_avg10", "io_full_avg10"};
    for (int i = 0; i < 5; i++)
        CH("psi", psi[i], "ppm", "ratio", 1e-6, 2000, 0, 300000, 2000, 0);
    static const char *core_t[5] = {"Package id 0", "Core 0", "Core 1", "Core 2", "Core 3"};
    for (int i = 0; i < 5; i++)
        CH("coretemp", core_t[i], "mc", "celsius", 1e-3, 58000, 35000, 99000, 1000, 0);
    CH("nvme", "Composite", "mc", "celsius", 1e-3, 42850, 30000, 70000, 100, 0);
    CH("acpitz", "temp1", "mc", "celsius", 1e-3, 50000, 30000, 90000, 500, 0);
    CH("gpu0", "util", "ppm", "ratio", 1e-6, 900000, 0, 1000000, 50000, 0);
    CH("gpu0", "mem_util", "ppm", "ratio", 1e-6, 400000, 0, 1000000, 30000, 0);
    CH("gpu0", "temp", "mc", "celsius", 1e-3, 70000, 30000, 90000, 1000, 0);
    CH("gpu0", "temp_mem", "mc", "celsius", 1e-3, 80000, 30000, 100000, 1000, 0);
    CH("gpu0", "power", "mw", "watts", 1e-3, 180000, 20000, 250000, 8000, 0);
    CH("gpu0", "power_limit", "mw", "watts", 1e-3, 200000, 200000, 200000, 0, 0);
    CH("gpu0", "energy", "mj", "joules", 1e-3, 180000, 20000, 250000, 8000, 1);
    CH("gpu0", "mem_used", "bytes", "bytes", 1, 6e9, 1e9, 8e9, 1e7, 0);
    CH("gpu0", "clock_sm", "mhz", "hertz", 1e6, 1800, 300, 2100, 30, 0);
    CH("gpu0", "clock_mem", "mhz", "hertz", 1e6, 7000, 7000, 7000, 0, 0);
    CH("gpu0", "pstate", "level", "level", 1, 2, 0, 8, 0.05, 0);
    CH("gpu0", "fan", "pct", "ratio", 1e-2, 60, 30, 100, 2, 0);
    CH("gpu0", "throttle_reasons", "mask", "mask", 1, 0, 0, 4, 0.3, 0);
    static const char *rle[10] = {"rle",   "rle_raw", "rle_norm",     "e_th",     "e_pw",
                                  "a_load", "t_sustain", "rolling_peak", "collapse", "rle_alerts"};
    for (int i = 0; i < 10; i++) {
        if (i == 6)
            CH("cpu", rle[i], "ms", "seconds", 1e-3, 300000, 1000, 600000, 20000, 0);
        else if (i >= 8)
            CH("cpu", rle[i], i == 8 ? "bool" : "mask", i == 8 ? "bool" : "mask", 1, 0, 0, 1, 0.1,
               0);
        else
            CH("cpu", rle[i], "micro", "index", 1e-6, 800000, 0, 5000000, 50000, 0);
    }
#undef CH
    assert_int_equal(n, NCH);
}

static void test_store_size_per_reading(void **state) {
    (void)state;
    long ticks = 6 * 3600;
    const char *env = getenv("HR_STORE_SIZE_TICKS");
    if (env && atol(env) > 0)
        ticks = atol(env);
    char *dir = tsu_mkdtemp();
    char path[4200];
    tsu_path(path, sizeof path, dir, "size.db");
    hr_ctx *ctx = NULL;
    hr_ctx_new(&ctx);
    hr_session *s = NULL;
    assert_int_equal(hr_session_create(ctx, path, 0, &s), HR_OK);
    static chan_def defs[NCH];
    define_channels(defs);
    for (int i = 0; i < NCH; i++)
        assert_int_equal(hr_session_add_channel(s, defs[i].component, defs[i].metric, defs[i].unit,
                                                defs[i].base, defs[i].scale, NULL, NULL),
                         HR_OK);
    static hr__histo commit;
    double counters[NCH] = {0};
    long readings = 0;
    hr_reading v[NCH];
    int64_t t0 = 1000000000000LL;
    for (long k = 0; k < ticks; k++) {
        for (int i = 0; i < NCH; i++) {
            double x = walk_next(&defs[i].w);
            if (defs[i].counter)
                x = counters[i] += x;
            /* About 1 % of readings missing (a sensor that fails to answer). */
            v[i] = uniform() < 0.01 ? hr__unknown(HR_WHY_IO_ERROR, 0) : hr__known(llround(x));
            readings += HR_IS_KNOWN(v[i]);
        }
        int64_t a = hr__now_mono_ns();
        hr_status st = hr_session_write_tick(s, t0 + k * 1000000000LL,
                                             1700000000000000000LL + k * 1000000000LL, v, NCH, NULL);
        if (st != HR_OK)
            fail_msg("tick %ld: %s", k, hr_session_last_error(s));
        hr__histo_add(&commit, hr__now_mono_ns() - a);
    }
    assert_int_equal(hr_session_finish(s, t0 + ticks * 1000000000LL, 0, 1.0, 0), HR_OK);
    assert_int_equal(hr_session_close(s), HR_OK);
    long long pages = tsu_sql_int(path, "PRAGMA page_count");
    long long page_size = tsu_sql_int(path, "PRAGMA page_size");
    assert_int_equal(tsu_sql_int(path, "SELECT count(*) FROM samples"), readings);
    double bpr = (double)(pages * page_size) / (double)readings;
    print_message("%ld ticks x %d channels: %ld readings, %lld bytes, %.2f bytes/reading\n", ticks,
                  NCH, readings, pages * page_size, bpr);
    print_message("write_tick (60 readings, one transaction): p50 %.1f us, p99 %.1f us, "
                  "max %.1f us\n",
                  hr__histo_quantile(&commit, 0.5) / 1e3, hr__histo_quantile(&commit, 0.99) / 1e3,
                  (double)commit.max / 1e3);
    assert_true(bpr <= 16.0);
    hr_ctx_free(ctx);
    if (!getenv("HR_STORE_SIZE_KEEP"))
        tsu_rmdir(dir);
    else
        print_message("kept %s\n", path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_size_per_reading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

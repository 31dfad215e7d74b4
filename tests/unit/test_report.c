/* test_report.c: the report's figures on sessions written through the
 * public session API, each checked against a value worked out by hand from
 * how the session was built (test_report_util.h). */
#include "test_report_util.h"

#include "report/report.h"

typedef struct fixture {
    char *dir;
    char path[4096];
    hr_ctx *ctx;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = trp_mkdtemp();
    assert_int_equal(hr_ctx_new(&f->ctx), HR_OK);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    hr_ctx_free(f->ctx);
    trp_rmdir(f->dir);
    free(f);
    return 0;
}

static hr_report *build(hr_session *s, const hr_report_options *o) {
    hr_report *r = NULL;
    hr_status st = hr_report_build(s, o, &r);
    if (st != HR_OK)
        fail_msg("hr_report_build: %s: %s", hr_status_name(st), hr_session_last_error(s));
    return r;
}

static const hr__mfinding *finding(const hr_report *r, const char *id) {
    for (size_t i = 0; i < r->m.nfind; i++)
        if (strcmp(r->m.find[i].id, id) == 0)
            return &r->m.find[i];
    return NULL;
}

static int evidence_has(const hr__mfinding *f, const char *part) {
    for (size_t i = 0; f && i < f->nev; i++)
        if (strstr(f->evidence[i], part))
            return 1;
    return 0;
}

static const hr__msum *sum_row(const hr_report *r, const char *comp, const char *metric) {
    for (size_t i = 0; i < r->m.nsum; i++)
        if (strcmp(r->m.sum[i].component, comp) == 0 && strcmp(r->m.sum[i].metric, metric) == 0)
            return &r->m.sum[i];
    return NULL;
}

/* --- seed 000: 530 min actual, 228 min at baseline --- */

/* 35 images: 30 of 80 units and 5 of 120 (3000 units) at 4.56 s/unit,
 * except images 12, 13 and 14 (80 units each), which take 5960 s longer;
 * four 60 s cooling breaks between images. Actual: 13680 + 3 x 5960 + 240
 * = 31800 s = 530 min; at baseline 3000 x 4.56 = 13680 s = 228 min. */
static hr_session *seed000(fixture *f) {
    hr_session *s = trp_create(f->ctx, f->dir, "seed000.db", f->path);
    double t = 0;
    int breaks = 0;
    for (int i = 0; i < 35; i++) {
        double units = i >= 30 ? 120 : 80;
        double dur = 4.56 * units + (i >= 12 && i <= 14 ? 5960 : 0);
        const char *names[1] = {"image"};
        double vals[1] = {i};
        trp_step(s, i, t + dur, dur, units, 1, names, vals);
        t += dur;
        if ((i >= 12 && i <= 14) || i == 20) {
            trp_event(s, "cooling_break", t, t + 60, "timing: step 17.3x baseline");
            t += 60;
            breaks++;
        }
    }
    assert_int_equal(breaks, 4);
    trp_finish(s, t, 0, 0);
    return s;
}

static void test_report_seed000_efficiency(void **state) {
    fixture *f = *state;
    hr_session *s = seed000(f);
    hr_report *r = build(s, NULL);
    const hr__meff *e = &r->m.eff;
    assert_true(e->known);
    assert_float_equal(e->actual_s, 31800, 1e-6);
    assert_float_equal(e->theoretical_s, 13680, 1e-6);
    assert_float_equal(e->lost_s, 18120, 1e-6);
    assert_float_equal(e->lost_share, 18120.0 / 31800.0, 1e-12); /* 0.5698: 57 %, not 45.1 % */
    assert_float_equal(e->efficiency, 13680.0 / 31800.0, 1e-12); /* 0.4302: 43 % */
    assert_float_equal(e->throttle_loss_s, 3 * 5960, 1e-6);
    assert_float_equal(e->cooling_s, 240, 1e-6);
    assert_float_equal(e->other_s, 0, 1e-6);
    assert_float_equal(r->m.steps.baseline, 4.56, 1e-9);
    assert_int_equal(r->m.steps.per_unit, 1);
    assert_int_equal(r->m.steps.slow, 3);
    assert_int_equal(r->m.steps.nepisodes, 1); /* 12..14 in a row */
    assert_int_equal(r->m.steps.episodes[0].first_index, 12);
    assert_int_equal(r->m.steps.episodes[0].last_index, 14);
    assert_int_equal(r->m.cool.count, 4);
    assert_float_equal(r->m.cool.total_s, 240, 1e-6);
    const hr__mfinding *tl = finding(r, "time_lost");
    assert_non_null(tl);
    assert_int_equal(tl->severity, HR__SEV_CRITICAL);
    for (int fmt = HR_REPORT_TEXT; fmt <= HR_REPORT_HTML; fmt++) {
        char *text = NULL;
        assert_int_equal(hr_report_render(r, fmt, &text, NULL), HR_OK);
        if (fmt != HR_REPORT_JSON) {
            assert_non_null(strstr(text, "57.0 %"));
            assert_non_null(strstr(text, "43.0 %"));
            assert_non_null(strstr(text, "530 min"));
            assert_non_null(strstr(text, "228 min"));
        } else {
            assert_non_null(strstr(text, "\"lost_share\": 0.5698113208"));
            assert_non_null(strstr(text, "\"efficiency\": 0.4301886792"));
        }
        assert_null(strstr(text, "45.1"));
        hr_free(text);
    }
    hr_report_free(r);
    hr_session_close(s);
}

/* A cooling break pauses the job in the middle of a step: the step's time
 * without the break is its speed, and the break counts once, as cooling.
 * Ten steps of 10 s (1 unit each); step 5 spans a 60 s break; step 8 is
 * slow (25 s). Actual 175 s; at baseline 100 s; slow 15 s; cooling 60 s. */
static void test_report_step_spanning_cooling_break(void **state) {
    fixture *f = *state;
    hr_session *s = trp_create(f->ctx, f->dir, "pause.db", f->path);
    double t = 0;
    for (int i = 0; i < 10; i++) {
        double dur = i == 5 ? 70 : i == 8 ? 25 : 10;
        if (i == 5)
            trp_event(s, "cooling_break", t + 4, t + 64, "governor: sensor");
        trp_step(s, i, t + dur, dur, 1, 0, NULL, NULL);
        t += dur;
    }
    trp_finish(s, t, 0, 0);
    hr_report *r = build(s, NULL);
    assert_float_equal(r->m.steps.spu[5], 10, 1e-9);
    assert_float_equal(r->m.steps.baseline, 10, 1e-9);
    assert_int_equal(r->m.steps.slow, 1);
    assert_float_equal(r->m.eff.actual_s, 175, 1e-6);
    assert_float_equal(r->m.eff.theoretical_s, 100, 1e-6);
    assert_float_equal(r->m.eff.throttle_loss_s, 15, 1e-6);
    assert_float_equal(r->m.eff.cooling_s, 60, 1e-6);
    assert_float_equal(r->m.eff.other_s, 0, 1e-6);
    hr_report_free(r);
    hr_session_close(s);
}

/* Breaks are grouped by the reason word `headroom run` puts first. */
static void test_report_cooling_reasons_grouped(void **state) {
    fixture *f = *state;
    hr_session *s = trp_create(f->ctx, f->dir, "breaks.db", f->path);
    trp_event(s, "cooling_break", 10, 40, "thermal: gpu0 84 C over 83 C; planned 30 s");
    trp_event(s, "cooling_break", 100, 145, "thermal: gpu0 85 C over 83 C; planned 45 s");
    trp_event(s, "cooling_break", 200, 260, "batch: every 10 images; planned 60 s");
    trp_event(s, "cooling_break", 300, -1, "a break: left open");
    trp_finish(s, 320, 0, 0);
    hr_report *r = build(s, NULL);
    assert_int_equal(r->m.cool.count, 4);
    assert_int_equal(r->m.cool.open, 1);
    assert_float_equal(r->m.cool.total_s, 30 + 45 + 60 + 20, 1e-6);
    assert_int_equal(r->m.cool.nreasons, 3);
    assert_string_equal(r->m.cool.reasons[0].text, "thermal"); /* most frequent first */
    assert_int_equal(r->m.cool.reasons[0].count, 2);
    assert_float_equal(r->m.cool.reasons[0].seconds, 75, 1e-6);
    assert_string_equal(r->m.cool.reasons[1].text, "a break: left open"); /* not one word */
    assert_string_equal(r->m.cool.reasons[2].text, "batch");
    hr_report_free(r);
    hr_session_close(s);
}

/* --- the workstation session --- */

static void test_report_workstation_steps_and_time(void **state) {
    fixture *f = *state;
    hr_session *s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_report *r = build(s, NULL);
    const hr__msteps *st = &r->m.steps;
    assert_int_equal(st->count, 248);
    assert_int_equal(st->timed, 248);
    assert_float_equal(st->baseline, 0.5, 1e-12);
    assert_float_equal(st->median, 0.5, 1e-12);
    assert_float_equal(st->p95, 0.8, 1e-12);
    assert_int_equal(st->slow, 63);
    assert_int_equal(st->critical, 0);
    assert_int_equal(st->nepisodes, 1);
    assert_float_equal(st->episodes[0].start_s, 200, 1e-6);
    assert_float_equal(st->episodes[0].end_s, 401.6, 1e-6);
    assert_float_equal(st->episodes[0].worst_factor, 1.6, 1e-9);
    const hr__meff *e = &r->m.eff;
    assert_float_equal(e->actual_s, 600, 1e-6);
    assert_float_equal(e->theoretical_s, 992 * 0.5, 1e-6);
    assert_float_equal(e->throttle_loss_s, 63 * 1.2, 1e-6);
    assert_float_equal(e->cooling_s, 28.4, 1e-6);
    assert_float_equal(e->other_s, 600 - 496 - 75.6 - 28.4, 1e-6);
    assert_float_equal(r->m.duration_s, 600, 1e-6);
    hr_report_free(r);
    hr_session_close(s);
}

static void test_report_workstation_summary(void **state) {
    fixture *f = *state;
    hr_session *s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_report *r = build(s, NULL);
    const hr__msum *t = sum_row(r, "gpu0", "temp");
    assert_non_null(t);
    assert_int_equal(t->st.n, 599); /* t = 50 unknown: skipped, not 0 */
    assert_float_equal(t->st.min, 60, 1e-9);
    assert_float_equal(t->st.max, 84, 1e-9);
    double sum = 0;
    for (int k = 0; k < 600; k++)
        if (k != 50)
            sum += trp_gpu_temp(k);
    assert_float_equal(t->st.mean, sum / 599, 1e-6);
    const hr__msum *b = sum_row(r, "cpu cores", "util (busiest core)");
    assert_non_null(b);
    assert_float_equal(b->st.mean, 0.4, 1e-9);
    assert_null(sum_row(r, "gpu0", "temp_slowdown")); /* a limit, not a measurement */
    assert_null(sum_row(r, "cpu0", "util"));          /* cores are summarised together */
    /* GPUs first, then cpu, cpu cores, mem. */
    assert_string_equal(r->m.sum[0].component, "gpu0");
    const hr__msum *clk = sum_row(r, "gpu0", "clock_sm");
    assert_float_equal(clk->st.max, 1900e6, 1e-3);
    hr_report_free(r);
    hr_session_close(s);
}

static const hr__mthrottle *thr(const hr_report *r, const char *reason, const char *source) {
    for (size_t i = 0; i < r->m.nthr; i++)
        if (strcmp(r->m.thr[i].reason, reason) == 0 && strcmp(r->m.thr[i].source, source) == 0)
            return &r->m.thr[i];
    return NULL;
}

static void test_report_workstation_throttle_and_pressure(void **state) {
    fixture *f = *state;
    hr_session *s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_report *r = build(s, NULL);
    const hr__mthrottle *th = thr(r, "sw_thermal", "reasons");
    assert_non_null(th);
    assert_float_equal(th->seconds, 202, 1e-6); /* ticks 200..401 */
    assert_float_equal(th->share, 202.0 / 600, 1e-9);
    const hr__mthrottle *pc = thr(r, "sw_power_cap", "reasons");
    assert_float_equal(pc->seconds, 20, 1e-6); /* every 10th tick of phase A */
    assert_float_equal(thr(r, "gpu_idle", "reasons")->seconds, 28, 1e-6);
    assert_float_equal(thr(r, "sw_thermal", "counter")->seconds, 202, 1e-6);
    const hr__mthrottle *ev = thr(r, "thermal", "events"); /* the detail says sw_thermal */
    assert_float_equal(ev->seconds, 200, 1e-6);
    assert_int_equal(ev->count, 1);
    assert_string_equal(ev->component, "gpu0");
    int warn = 0;
    for (size_t i = 0; i < r->m.nlev; i++)
        if (strcmp(r->m.lev[i].channel, "mem/pressure") == 0 && r->m.lev[i].level == 1) {
            assert_string_equal(r->m.lev[i].name, "warn");
            assert_float_equal(r->m.lev[i].seconds, 60, 1e-6);
            assert_float_equal(r->m.lev[i].share, 0.1, 1e-9);
            warn = 1;
        }
    assert_true(warn);
    hr_report_free(r);
    hr_session_close(s);
}

static void test_report_workstation_events_and_unknown_kinds(void **state) {
    fixture *f = *state;
    hr_session *s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_report *r = build(s, NULL);
    assert_int_equal(r->m.cool.count, 1);
    assert_float_equal(r->m.cool.total_s, 28.4, 1e-6);
    assert_int_equal(r->m.cool.nreasons, 1);
    int weird = 0, missing = 0;
    for (size_t i = 0; i < r->m.nkinds; i++) {
        const hr__mkind *k = &r->m.kinds[i];
        if (strcmp(k->kind, "weird_kind") == 0) {
            weird = 1;
            assert_int_equal(k->count, 1);
            assert_false(k->documented); /* shown generically */
            assert_float_equal(k->total_s, 10, 1e-6);
        }
        if (strcmp(k->kind, "channel_missing") == 0) {
            missing = 1;
            assert_int_equal(k->open, 1);
            assert_float_equal(k->total_s, 10, 1e-6); /* open: counted to the end */
        }
    }
    assert_true(weird && missing);
    hr_report_free(r);
    hr_session_close(s);
}

/* gpu0 and cpu collapse on 30 and 5 of their 600 samples: 5 % and 0.83 %,
 * each over its own samples. The seed's scripts mixed the rows: 35 / 1200
 * = 2.9 % for both, which hides that the GPU is the one collapsing. */
static void test_report_collapse_rate_per_component(void **state) {
    fixture *f = *state;
    hr_session *s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_report *r = build(s, NULL);
    assert_int_equal(r->m.nrle, 2);
    const hr__mrle *g = NULL, *c = NULL;
    for (size_t i = 0; i < r->m.nrle; i++) {
        if (strcmp(r->m.rle[i].component, "gpu0") == 0)
            g = &r->m.rle[i];
        if (strcmp(r->m.rle[i].component, "cpu") == 0)
            c = &r->m.rle[i];
    }
    assert_non_null(g);
    assert_non_null(c);
    assert_int_equal(g->collapse_on, 30);
    assert_int_equal(g->collapse_known, 600);
    assert_float_equal(g->collapse_rate, 0.05, 1e-12);
    assert_int_equal(g->collapse_events, 1);
    assert_float_equal(g->collapse_s, 30, 1e-6);
    assert_int_equal(c->collapse_on, 5);
    assert_float_equal(c->collapse_rate, 5.0 / 600, 1e-12);
    assert_int_equal(c->collapse_events, 1);
    assert_true(fabs(g->collapse_rate - 35.0 / 1200) > 0.01);
    /* gpu0's RLE steps between levels: still modulating. Its mean
     * |dRLE/dt| is the sum of the jumps' central differences over 600 s. */
    assert_string_equal(g->verdict, "still modulating");
    const hr__mfinding *rf = finding(r, "rle_collapse");
    assert_non_null(rf);
    assert_true(evidence_has(rf, "30 of 600 gpu0 samples"));
    hr_report_free(r);
    hr_session_close(s);
}

static void test_report_rle_saturated_and_derivative(void **state) {
    fixture *f = *state;
    char path[4096];
    hr_session *s = trp_create(f->ctx, f->dir, "rle.db", path);
    const trp_chan ch[1] = {{"gpu0", "rle", "micro", "index", 1e-6}};
    trp_channels(s, ch, 1);
    /* RLE = 0.5 + 0.0002 t: dRLE/dt = 0.0002 everywhere (< 0.001); the
     * 10-sample spread of a line with slope 0.0002 per s at 1 Hz is
     * 0.0002 x sd(0..9) = 0.0002 x 3.0277 = 0.000606 (< 0.001). */
    for (int k = 0; k < 100; k++) {
        hr_reading v = trp_val(&ch[0], 0.5 + 0.0002 * k);
        assert_int_equal(
            hr_session_write_tick(s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, &v, 1, NULL),
            HR_OK);
    }
    trp_finish(s, 100, 1, 0);
    hr_report *r = build(s, NULL);
    assert_int_equal(r->m.nrle, 1);
    const hr__mrle *g = &r->m.rle[0];
    assert_float_equal(g->mean_abs_d, 0.0002, 1e-9);
    assert_float_equal(g->std_d, 0, 1e-9);
    assert_float_equal(g->late_spread, 0.0002 * 3.0276503540974917, 1e-8);
    assert_string_equal(g->verdict, "saturated");
    assert_true(isnan(g->collapse_rate)); /* no collapse channel, no events: unknown */
    hr_report_free(r);
    hr_session_close(s);
}

static void test_report_workstation_findings(void **state) {
    fixture *f = *state;
    hr_session *s = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_report *r = build(s, NULL);
    const hr__mfinding *th = finding(r, "thermal_throttled");
    assert_non_null(th);
    assert_int_equal(th->severity, HR__SEV_CRITICAL); /* 33.7 % of the time */
    assert_true(evidence_has(th, "(sw_thermal) 33.7 %"));
    /* Clock while throttled 1200 MHz; otherwise (370 x 1900 + 28 x 300) / 398. */
    assert_true(evidence_has(th, "1200 MHz while thermally throttled, 1787 MHz otherwise"));
    assert_true(evidence_has(th, "202 s of sw_thermal"));
    /* Within 2 C of 83 C: phase B (202 ticks) and 7 cooling ticks, of 599 known. */
    assert_true(evidence_has(th, "on 34.9 % of ticks"));
    assert_null(finding(r, "power_capped")); /* 3.3 % power cap, 93 % of the limit at most */
    assert_null(finding(r, "input_bound"));  /* the GPU was busy */
    const hr__mfinding *mem = finding(r, "memory_pressure");
    assert_non_null(mem);
    assert_int_equal(mem->severity, HR__SEV_CRITICAL); /* swap grew */
    assert_true(evidence_has(mem, "mem/pressure was warn 10.0 %"));
    assert_true(evidence_has(mem, "swap in use grew by 0.50 GiB"));
    const hr__mfinding *tr = finding(r, "step_time_tracks_temperature");
    assert_non_null(tr);
    assert_true(evidence_has(tr, "gpu0/temp"));
    const hr__mfinding *tl = finding(r, "time_lost");
    assert_non_null(tl);
    assert_int_equal(tl->severity, HR__SEV_INFO); /* 17.3 % */
    /* Most severe first. */
    for (size_t i = 1; i < r->m.nfind; i++)
        assert_true(r->m.find[i - 1].severity >= r->m.find[i].severity);
    /* The public accessors agree. */
    assert_int_equal(hr_report_finding_count(r), r->m.nfind);
    assert_string_equal(hr_report_finding_severity(r, 0), "critical");
    assert_null(hr_report_finding_id(r, r->m.nfind));
    hr_report_free(r);
    hr_session_close(s);
}

/* --- input-bound (seed 001) --- */

static hr_session *input_bound(fixture *f, int with_io_counter) {
    hr_session *s = trp_create(f->ctx, f->dir, "input.db", f->path);
    const trp_chan ch[] = {
        {"gpu0", "util", "ppm", "ratio", 1e-6},     {"cpu", "iowait", "ppm", "ratio", 1e-6},
        {"cpu0", "util", "ppm", "ratio", 1e-6},     {"cpu1", "util", "ppm", "ratio", 1e-6},
        {"job", "read_bytes", "bytes", "bytes", 1},
    };
    size_t n = with_io_counter ? 5 : 4;
    trp_channels(s, ch, n);
    if (with_io_counter)
        assert_int_equal(hr_session_set_meta_i64(s, "dataset_bytes", 100LL * 1024 * 1024), HR_OK);
    /* 100 ticks: the GPU at 5 % on 80 of them (busy 90 % on every 5th),
     * cpu1 saturated (98 %) on 60 of the idle ones, iowait 20 % on 40 of
     * them; the job reads 64 GiB over the session. */
    int idle_seen = 0;
    for (int k = 0; k < 100; k++) {
        int idle = k % 5 != 0;
        double io = 0.01, c1 = 0.2;
        if (idle) {
            if (idle_seen < 60)
                c1 = 0.98;
            if (idle_seen >= 40)
                io = 0.2;
            idle_seen++;
        }
        hr_reading v[5] = {trp_val(&ch[0], idle ? 0.05 : 0.9), trp_val(&ch[1], io),
                           trp_val(&ch[2], 0.3), trp_val(&ch[3], c1),
                           trp_val(&ch[4], 64 * TRP_GIB * k / 99)};
        assert_int_equal(
            hr_session_write_tick(s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, v, n, NULL),
            HR_OK);
    }
    trp_finish(s, 100, 1, 0);
    return s;
}

static void test_report_input_bound_with_evidence(void **state) {
    fixture *f = *state;
    hr_session *s = input_bound(f, 1);
    hr_report *r = build(s, NULL);
    const hr__mfinding *ib = finding(r, "input_bound");
    assert_non_null(ib);
    assert_int_equal(ib->severity, HR__SEV_CRITICAL); /* idle 80 % */
    assert_true(evidence_has(ib, "under 20 % on 80.0 % of 100 ticks (median 5.0 %)"));
    assert_true(evidence_has(ib, "(most often cpu1) was above 90 % on 75.0 %")); /* 60 / 80 */
    assert_true(evidence_has(ib, "I/O wait was above 10 % on 50.0 %"));          /* 40 / 80 */
    assert_true(evidence_has(ib, "read 64.0 GiB (job/read_bytes), 655 times its data set"));
    assert_true(ib->nadv >= 3);
    assert_non_null(strstr(ib->advice[0], "tensor cache"));
    hr_report_free(r);
    hr_session_close(s);
}

static void test_report_input_bound_without_io_counter_says_so(void **state) {
    fixture *f = *state;
    hr_session *s = input_bound(f, 0);
    hr_report *r = build(s, NULL);
    const hr__mfinding *ib = finding(r, "input_bound");
    assert_non_null(ib);
    assert_false(evidence_has(ib, "data set"));
    int noted = 0;
    for (size_t i = 0; i < r->m.nnotes; i++)
        noted |= strstr(r->m.notes[i], "--dataset-bytes") != NULL;
    assert_true(noted);
    hr_report_free(r);
    hr_session_close(s);
}

/* headroom run stores the job's /proc/PID/io total and --dataset-bytes as
 * meta; that is evidence too when there is no counter channel. */
static void test_report_input_bound_from_run_io_totals(void **state) {
    fixture *f = *state;
    hr_session *s = input_bound(f, 0);
    assert_int_equal(hr_session_set_meta_i64(s, "dataset_bytes", 1LL << 30), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(s, "job_rchar_bytes", 640LL << 30), HR_OK);
    hr_report *r = build(s, NULL);
    const hr__mfinding *ib = finding(r, "input_bound");
    assert_non_null(ib);
    assert_true(evidence_has(ib, "640 times its data set"));
    hr_report_free(r);
    hr_session_close(s);
}

/* Without an accelerator, reading the data set many times over is its own
 * finding; reading it about once is none. */
static hr_session *cpu_job(fixture *f, const char *name, long long rchar) {
    hr_session *s = trp_create(f->ctx, f->dir, name, f->path);
    const trp_chan ch[] = {{"cpu", "util", "ppm", "ratio", 1e-6}};
    trp_channels(s, ch, 1);
    for (int k = 0; k < 20; k++) {
        hr_reading v[1] = {trp_val(&ch[0], 0.5)};
        assert_int_equal(
            hr_session_write_tick(s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, v, 1, NULL),
            HR_OK);
    }
    assert_int_equal(hr_session_set_meta_i64(s, "dataset_bytes", 100LL << 20), HR_OK);
    assert_int_equal(hr_session_set_meta_i64(s, "job_rchar_bytes", rchar), HR_OK);
    trp_finish(s, 20, 1, 0);
    return s;
}

static void test_report_reread_without_accelerator(void **state) {
    fixture *f = *state;
    hr_session *s = cpu_job(f, "reread.db", 50LL * (100LL << 20));
    hr_report *r = build(s, NULL);
    const hr__mfinding *rr = finding(r, "input_reread");
    assert_non_null(rr);
    assert_true(evidence_has(rr, "50 times its data set"));
    hr_report_free(r);
    hr_session_close(s);
    s = cpu_job(f, "once.db", (100LL << 20) + (10LL << 20));
    r = build(s, NULL);
    assert_null(finding(r, "input_reread"));
    hr_report_free(r);
    hr_session_close(s);
}

/* A healthy session: busy GPU, cool, no pressure, steady steps. No finding
 * may appear without evidence. */
static void test_report_healthy_session_has_no_findings(void **state) {
    fixture *f = *state;
    hr_session *s = trp_create(f->ctx, f->dir, "ok.db", f->path);
    const trp_chan ch[] = {{"gpu0", "util", "ppm", "ratio", 1e-6},
                           {"gpu0", "temp", "mc", "celsius", 1e-3},
                           {"gpu0", "temp_slowdown", "mc", "celsius", 1e-3},
                           {"gpu0", "throttle_reasons", "mask", "mask", 1},
                           {"mem", "pressure", "level", "level", 1}};
    trp_channels(s, ch, 5);
    for (int k = 0; k < 120; k++) {
        hr_reading v[5] = {trp_val(&ch[0], 0.97), trp_val(&ch[1], 65 + (k % 3)),
                           trp_val(&ch[2], 83), trp_val(&ch[3], 0), trp_val(&ch[4], 0)};
        assert_int_equal(
            hr_session_write_tick(s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, v, 5, NULL),
            HR_OK);
    }
    const char *names[1] = {"loss"};
    for (int i = 0; i < 59; i++) {
        double dur = 2.0 + 0.01 * (i % 5), loss = 1.0 / (i + 1);
        trp_step(s, i, 2.0 * (i + 1), dur, NAN, 1, names, &loss);
    }
    trp_finish(s, 120, 1, 0);
    hr_report *r = build(s, NULL);
    assert_int_equal(r->m.nfind, 0);
    assert_int_equal(r->m.steps.per_unit, 0); /* units unknown: per step */
    assert_true(r->m.eff.known);
    assert_true(r->m.eff.efficiency > 0.95);
    char *text = NULL;
    assert_int_equal(hr_report_render(r, HR_REPORT_TEXT, &text, NULL), HR_OK);
    assert_non_null(strstr(text, "None: nothing in this session shows a bound"));
    hr_free(text);
    hr_report_free(r);
    hr_session_close(s);
}

/* A session without steps: efficiency unknown with the reason, never 0. */
static void test_report_no_steps_is_unknown(void **state) {
    fixture *f = *state;
    hr_session *s = input_bound(f, 0);
    hr_report *r = build(s, NULL);
    assert_false(r->m.eff.known);
    assert_non_null(strstr(r->m.eff.why, "no steps"));
    char *json = NULL;
    assert_int_equal(hr_report_render(r, HR_REPORT_JSON, &json, NULL), HR_OK);
    assert_non_null(strstr(json, "\"efficiency\": {\n    \"known\": false"));
    assert_non_null(strstr(json, "\"baseline_s\": null"));
    hr_free(json);
    hr_report_free(r);
    hr_session_close(s);
}

/* An empty session (no channels, no ticks) still reports. */
static void test_report_empty_session(void **state) {
    fixture *f = *state;
    hr_session *s = trp_create(f->ctx, f->dir, "empty.db", f->path);
    hr_report *r = build(s, NULL);
    for (int fmt = HR_REPORT_TEXT; fmt <= HR_REPORT_HTML; fmt++) {
        char *text = NULL;
        size_t len = 0;
        assert_int_equal(hr_report_render(r, fmt, &text, &len), HR_OK);
        assert_true(len > 0 && strlen(text) == len);
        hr_free(text);
    }
    assert_int_equal(hr_report_render(r, 99, &(char *){NULL}, NULL), HR_EINVAL);
    hr_report_free(r);
    hr_session_close(s);
}

/* Values no sensor gives (a negative mask, a level of 9e18, a temperature
 * of INT64_MIN millidegrees) must not crash any step nor invent throttling
 * or pressure levels. */
static void test_report_hostile_values(void **state) {
    fixture *f = *state;
    hr_session *s = trp_create(f->ctx, f->dir, "hostile.db", f->path);
    const trp_chan ch[] = {{"gpu0", "throttle_reasons", "mask", "mask", 1},
                           {"mem", "pressure", "level", "level", 1},
                           {"gpu0", "temp", "mc", "celsius", 1e-3},
                           {"gpu0", "util", "ppm", "ratio", 1e-6},
                           {"cpu", "throttle_count", "count", "count", 1}};
    trp_channels(s, ch, 5);
    const int64_t odd[4] = {-5, INT64_MAX, INT64_MIN, 0};
    for (int k = 0; k < 40; k++) {
        hr_reading v[5];
        for (int c = 0; c < 5; c++) {
            v[c].v = odd[(k + c) % 4];
            v[c].why = HR_WHY_KNOWN;
            v[c].err = 0;
        }
        assert_int_equal(
            hr_session_write_tick(s, TRP_MONO0 + k * TRP_S, TRP_WALL0 + k * TRP_S, v, 5, NULL),
            HR_OK);
    }
    trp_finish(s, 40, 1, 0);
    hr_report *r = build(s, NULL);
    for (size_t i = 0; i < r->m.nthr; i++)
        assert_true(strcmp(r->m.thr[i].source, "reasons") != 0); /* no bits from -5 or 2^63 */
    for (size_t i = 0; i < r->m.nlev; i++)
        assert_int_equal(r->m.lev[i].level, 0);
    for (int fmt = HR_REPORT_TEXT; fmt <= HR_REPORT_HTML; fmt++) {
        char *text = NULL;
        assert_int_equal(hr_report_render(r, fmt, &text, NULL), HR_OK);
        hr_free(text);
    }
    hr_report_free(r);
    hr_session_close(s);
}

/* A session opened read-only (what `headroom report` does) reports the same. */
static void test_report_read_only_open(void **state) {
    fixture *f = *state;
    hr_session *w = trp_workstation(f->ctx, f->dir, "ws.db", f->path);
    hr_session_close(w);
    hr_session *s = NULL;
    assert_int_equal(hr_session_open(f->ctx, f->path, HR_SESSION_READONLY, &s), HR_OK);
    hr_report *r = build(s, NULL);
    assert_int_equal(r->m.steps.count, 248);
    assert_int_equal(r->d.nticks, 600);
    hr_report_free(r);
    hr_session_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_seed000_efficiency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_step_spanning_cooling_break, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_cooling_reasons_grouped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_workstation_steps_and_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_workstation_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_workstation_throttle_and_pressure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_workstation_events_and_unknown_kinds, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_collapse_rate_per_component, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_rle_saturated_and_derivative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_workstation_findings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_input_bound_with_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_input_bound_without_io_counter_says_so, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_input_bound_from_run_io_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_reread_without_accelerator, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_healthy_session_has_no_findings, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_no_steps_is_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_empty_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_hostile_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_read_only_open, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

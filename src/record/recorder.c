/* recorder.c: the recorder's lifecycle (start, stop) and its thread-safe
 * calls (steps, events, figures). */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/recorder.h"

void hr_record_config_defaults(hr_record_config *c) {
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->hz = 1.0;
    c->writer_thread = 1;
    c->rle = 1;
    c->channel_events = 1;
    hr_rle_config_defaults(&c->rle_cpu);
    hr_rle_config_defaults(&c->rle_gpu);
    c->rle_gpu.norm_baseline = HR_RLE_NORM_GPU_BASELINE;
    c->rle_gpu.norm_optimum = HR_RLE_NORM_GPU_OPTIMUM;
    c->rle_gpu.norm_peak_util_pct = HR_RLE_NORM_GPU_PEAK_UTIL_PCT;
}

/* CONFIG over the defaults, honouring a caller built with a smaller struct. */
static void config_copy(hr_record_config *dst, const hr_record_config *src) {
    hr_record_config_defaults(dst);
    if (!src)
        return;
    size_t n = src->size && src->size < sizeof *dst ? src->size : sizeof *dst;
    memcpy(dst, src, n);
    dst->size = sizeof *dst;
}

static hr_status config_check(hr_ctx *ctx, const hr_record_config *c) {
    if (!(c->hz > 0) || c->hz > HR_RECORD_MAX_HZ || !isfinite(c->hz))
        return hr__fail(ctx, HR_EINVAL, 0, "record: rate %g Hz is outside (0, %g]", c->hz,
                        HR_RECORD_MAX_HZ);
    if (c->duration_ns < 0)
        return hr__fail(ctx, HR_EINVAL, 0, "record: negative duration");
    if (c->clock && (!c->clock->now_ns || !c->clock->sleep_until))
        return hr__fail(ctx, HR_EINVAL, 0, "record: the clock needs now_ns and sleep_until");
    char why[160];
    if (c->rle && hr_rle_config_validate(&c->rle_cpu, why, sizeof why) != HR_OK)
        return hr__fail(ctx, HR_EINVAL, 0, "record: CPU RLE config: %s", why);
    if (c->rle && hr_rle_config_validate(&c->rle_gpu, why, sizeof why) != HR_OK)
        return hr__fail(ctx, HR_EINVAL, 0, "record: GPU RLE config: %s", why);
    return HR_OK;
}

static void recorder_free(hr_recorder *rec) {
    if (!rec)
        return;
    for (uint32_t i = 0; rec->ring && i < rec->qcap; i++) {
        free(rec->ring[i].values);
        free(rec->ring[i].rle_in);
    }
    free(rec->ring);
    free(rec->latest);
    free(rec->was_known);
    free(rec->missing_event);
    free(rec->missing_count);
    free(rec->rle_res);
    hr__eff_free(&rec->eff);
    hr__chanset_free(&rec->chans);
    if (rec->own_probe)
        hr_probe_free(rec->probe);
    pthread_cond_destroy(&rec->stop_cv);
    pthread_cond_destroy(&rec->cv_work);
    pthread_cond_destroy(&rec->cv_space);
    pthread_mutex_destroy(&rec->mu);
    free(rec);
}

static hr_recorder *recorder_alloc(void) {
    hr_recorder *rec = calloc(1, sizeof *rec);
    if (!rec)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
#ifndef __APPLE__
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
#endif
    pthread_mutex_init(&rec->mu, NULL);
    pthread_cond_init(&rec->stop_cv, &ca);
    pthread_cond_init(&rec->cv_work, &ca);
    pthread_cond_init(&rec->cv_space, NULL);
    pthread_condattr_destroy(&ca);
    return rec;
}

static hr_status alloc_buffers(hr_recorder *rec) {
    size_t nv = rec->nvalues ? rec->nvalues : 1, ne = rec->eff.n ? rec->eff.n : 1;
    size_t nc = rec->chans.n ? rec->chans.n : 1;
    uint32_t q = rec->cfg.queue_ticks;
    if (!q) {
        double two_s = rec->cfg.hz * 2;
        q = two_s < 16 ? 16 : (uint32_t)two_s;
    }
    rec->qcap = rec->cfg.writer_thread ? q : 1;
    rec->ring = calloc(rec->qcap, sizeof *rec->ring);
    rec->latest = calloc(nv, sizeof *rec->latest);
    rec->was_known = calloc(nc, sizeof *rec->was_known);
    rec->missing_event = calloc(nc, sizeof *rec->missing_event);
    rec->missing_count = calloc(nc, sizeof *rec->missing_count);
    rec->rle_res = calloc(ne, sizeof *rec->rle_res);
    if (!rec->ring || !rec->latest || !rec->was_known || !rec->missing_event ||
        !rec->missing_count || !rec->rle_res)
        return HR_ENOMEM;
    for (uint32_t i = 0; i < rec->qcap; i++) {
        rec->ring[i].values = calloc(nv, sizeof *rec->ring[i].values);
        rec->ring[i].rle_in = calloc(ne, sizeof *rec->ring[i].rle_in);
        if (!rec->ring[i].values || !rec->ring[i].rle_in)
            return HR_ENOMEM;
    }
    for (size_t i = 0; i < nv; i++)
        rec->latest[i] = hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
    return HR_OK;
}

static json_t *rle_config_json(const hr_rle_config *c) {
    return json_pack(
        "{s:f, s:f, s:f, s:i, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, "
        "s:f, s:f, s:f, s:f, s:f, s:i, s:i, s:f, s:f, s:f, s:I, s:I, s:f}",
        "stability_window_s", c->stability_window_s, "smooth_window_s", c->smooth_window_s,
        "slope_window_s", c->slope_window_s, "min_samples", (int)c->min_samples,
        "t_sustain_min_s", c->t_sustain_min_s, "t_sustain_max_s", c->t_sustain_max_s,
        "slope_floor_c_per_s", c->slope_floor_c_per_s, "a_load_floor", c->a_load_floor,
        "power_limit_w", c->power_limit_w, "temp_limit_c", c->temp_limit_c, "norm_baseline",
        c->norm_baseline, "norm_optimum", c->norm_optimum, "norm_peak_util_pct",
        c->norm_peak_util_pct, "warmup_s", c->warmup_s, "peak_decay_per_s", c->peak_decay_per_s,
        "drop_frac", c->drop_frac, "sustain_s", c->sustain_s, "recover_s", c->recover_s,
        "load_gate_util_pct", c->load_gate_util_pct, "load_gate_a_load", c->load_gate_a_load,
        "heat_window_s", c->heat_window_s, "heat_c_per_s", c->heat_c_per_s, "require_evidence",
        (int)c->require_evidence, "evidence_thermal_pressure", (int)c->evidence_thermal_pressure,
        "evidence_t_sustain_s", c->evidence_t_sustain_s, "evidence_temp_margin_c",
        c->evidence_temp_margin_c, "evidence_a_load", c->evidence_a_load,
        "evidence_throttle_thermal", (json_int_t)c->evidence_throttle_thermal,
        "evidence_throttle_power", (json_int_t)c->evidence_throttle_power, "alert_a_load",
        c->alert_a_load);
}

/* How ticks reach the disk (docs/SESSION.md, "Durability"). */
static const char *durability_text(const hr_recorder *rec) {
    if (rec->cfg.writer_thread && hr__rec_batch_fits(0, rec->period_ns, rec->period_ns))
        return "WAL; one transaction per batch of up to 100 ms of ticks, synchronous=NORMAL, "
               "FULL once a second";
    return "WAL; one transaction per tick, synchronous=NORMAL, FULL once a second";
}

/* The sampler's settings and the RLE thresholds, so a session says how it
 * was recorded. */
static hr_status sampler_meta(hr_recorder *rec) {
    hr_session *s = rec->s;
    hr_status st = hr_session_set_meta_f64(s, "requested_hz", rec->cfg.hz);
    if (st == HR_OK)
        st = hr_session_set_meta_i64(s, "duration_ns", rec->cfg.duration_ns);
    if (st == HR_OK)
        st = hr_session_set_meta(s, "writer", rec->cfg.writer_thread ? "thread" : "inline");
    if (st == HR_OK)
        st = hr_session_set_meta_i64(s, "queue_ticks", rec->qcap);
    if (st == HR_OK)
        st = hr_session_set_meta(s, "durability", durability_text(rec));
    if (st == HR_OK && rec->cfg.rle) {
        json_t *o = json_pack("{s:o, s:o}", "cpu", rle_config_json(&rec->cfg.rle_cpu), "gpu",
                              rle_config_json(&rec->cfg.rle_gpu));
        char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        st = text ? hr_session_set_meta(s, "rle_config", text) : HR_ENOMEM;
        free(text);
        json_decref(o);
    }
    if (st == HR_OK) {
        char *host = NULL;
        if (hr_probe_to_json(rec->probe, 0, &host) == HR_OK && host)
            st = hr_session_set_meta(s, "host_json", host);
        hr_free(host);
    }
    return st;
}

/* Opens (or adopts) the probe and lays out the channels. */
static hr_status prepare(hr_ctx *ctx, hr_recorder *rec) {
    hr_status st = HR_OK;
    if (rec->cfg.probe) {
        rec->probe = rec->cfg.probe;
    } else {
        st = hr_probe_open(ctx, &rec->probe);
        if (st != HR_OK)
            return st;
        rec->own_probe = 1;
    }
    st = hr__chanset_build(&rec->chans, rec->probe, rec->s);
    if (st == HR_OK && rec->cfg.rle) {
        char why[160] = "";
        st = hr__eff_init(&rec->eff, rec->probe, rec->s, &rec->cfg, why, sizeof why);
        if (st == HR_EINVAL)
            return hr__fail(ctx, st, 0, "record: RLE config: %s", why);
    }
    if (st != HR_OK)
        return hr__fail(ctx, st, 0, "record: %s", hr_session_last_error(rec->s));
    rec->nvalues = hr_session_channel_count(rec->s);
    if (rec->nvalues != rec->chans.n + rec->eff.n * HR__EFF_COUNT)
        return hr__fail(ctx, HR_ESTATE, 0, "record: channel layout mismatch");
    if (alloc_buffers(rec) != HR_OK)
        return hr__fail(ctx, HR_ENOMEM, 0, "record: out of memory");
    st = sampler_meta(rec);
    if (st != HR_OK)
        return hr__fail(ctx, st, 0, "record: %s", hr_session_last_error(rec->s));
    return HR_OK;
}

static hr_status launch(hr_ctx *ctx, hr_recorder *rec) {
    rec->start_mono_ns = rec->clock.now_ns(rec->clock.user);
    int64_t wall = rec->clock.wall_ns ? rec->clock.wall_ns(rec->clock.user) : hr__now_wall_ns();
    rec->end_mono_ns = rec->cfg.duration_ns ? rec->start_mono_ns + rec->cfg.duration_ns : INT64_MAX;
    rec->last_step_ns = rec->start_mono_ns;
    hr_status st = hr_session_set_meta_i64(rec->s, "start_mono_ns", rec->start_mono_ns);
    if (st == HR_OK)
        st = hr_session_set_meta_i64(rec->s, "start_wall_ns", wall);
    if (st != HR_OK)
        return hr__fail(ctx, st, 0, "record: %s", hr_session_last_error(rec->s));
    if (rec->cfg.writer_thread) {
        if (pthread_create(&rec->writer, NULL, hr__rec_writer_main, rec) != 0)
            return hr__fail(ctx, HR_ENOMEM, 0, "record: cannot start the writer thread");
        rec->writer_started = 1;
    }
    if (pthread_create(&rec->sampler, NULL, hr__rec_sampler_main, rec) != 0)
        return hr__fail(ctx, HR_ENOMEM, 0, "record: cannot start the sampling thread");
    rec->sampler_started = 1;
    return HR_OK;
}

static void join_threads(hr_recorder *rec) {
    hr__rec_request_stop(rec);
    if (rec->sampler_started)
        pthread_join(rec->sampler, NULL);
    rec->sampler_started = 0;
    pthread_mutex_lock(&rec->mu);
    rec->writer_exit = 1;
    pthread_cond_broadcast(&rec->cv_work);
    pthread_mutex_unlock(&rec->mu);
    if (rec->writer_started)
        pthread_join(rec->writer, NULL);
    rec->writer_started = 0;
}

hr_status hr_recorder_start(hr_ctx *ctx, hr_session *session, const hr_record_config *config,
                            hr_recorder **out) {
    if (!out || !session)
        return hr__fail(ctx, HR_EINVAL, 0, "hr_recorder_start: session or out is NULL");
    *out = NULL;
    if (hr_session_readonly(session) || hr_session_channel_count(session) != 0)
        return hr__fail(ctx, HR_ESTATE, 0, "record: %s is %s", hr_session_path(session),
                        hr_session_readonly(session) ? "read-only" : "not a new session");
    hr_recorder *rec = recorder_alloc();
    if (!rec)
        return hr__fail(ctx, HR_ENOMEM, 0, "record: out of memory");
    config_copy(&rec->cfg, config);
    hr_status st = config_check(ctx, &rec->cfg);
    rec->ctx = ctx;
    rec->s = session;
    rec->period_ns = (int64_t)llround(1e9 / rec->cfg.hz);
    if (rec->cfg.clock)
        rec->clock = *rec->cfg.clock;
    else
        hr__rec_real_clock(rec);
    if (st == HR_OK)
        st = prepare(ctx, rec);
    if (st == HR_OK)
        st = launch(ctx, rec);
    if (st != HR_OK) {
        join_threads(rec);
        recorder_free(rec);
        return st;
    }
    *out = rec;
    return HR_OK;
}

hr_status hr_recorder_stop(hr_recorder *rec) {
    if (!rec)
        return HR_OK;
    join_threads(rec);
    hr_status st = rec->status;
    if (st == HR_OK) {
        int64_t end = rec->clock.now_ns(rec->clock.user);
        int64_t wall = rec->clock.wall_ns ? rec->clock.wall_ns(rec->clock.user) : hr__now_wall_ns();
        /* A recording whose duration ran out ends at start + duration, so
         * that 10 s at 1 Hz is 10 ticks over 10 s, however long the last
         * tick's write or the caller's stop took. */
        if (rec->duration_reached) {
            wall += rec->end_mono_ns - end;
            end = rec->end_mono_ns;
        }
        st = hr_session_finish(rec->s, end, wall, rec->cfg.hz, rec->missed);
    }
    recorder_free(rec);
    return st;
}

hr_status hr_recorder_wait(hr_recorder *rec, int64_t timeout_ns) {
    if (!rec)
        return HR_EINVAL;
    int64_t deadline = timeout_ns < 0 ? INT64_MAX : hr__now_mono_ns() + timeout_ns;
    pthread_mutex_lock(&rec->mu);
    while (!(rec->sampler_done && rec->qcount == 0) && hr__now_mono_ns() < deadline) {
        /* Re-check at least every 100 ms: the wait runs on the real clock
         * even when the recorder's clock is injected. */
        int64_t until = hr__now_mono_ns() + 100000000;
        if (until > deadline)
            until = deadline;
#ifdef __APPLE__
        struct timespec rel = {0, 100000000};
        pthread_cond_timedwait_relative_np(&rec->stop_cv, &rec->mu, &rel);
#else
        struct timespec ts = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
        pthread_cond_timedwait(&rec->stop_cv, &rec->mu, &ts);
#endif
    }
    int done = rec->sampler_done && rec->qcount == 0;
    pthread_mutex_unlock(&rec->mu);
    return done ? HR_OK : HR_ETIMEDOUT;
}

int64_t hr_recorder_now_ns(hr_recorder *rec) {
    return rec ? rec->clock.now_ns(rec->clock.user) : hr__now_mono_ns();
}

hr_status hr_recorder_add_step(hr_recorder *rec, int64_t index, double units,
                               const char *const *names, const double *values, size_t n) {
    if (!rec || (n && (!names || !values)))
        return HR_EINVAL;
    /* The clock is read under the lock so that steps from several threads
     * get increasing times and non-negative durations. */
    pthread_mutex_lock(&rec->mu);
    int64_t now = rec->clock.now_ns(rec->clock.user);
    int64_t wall = rec->clock.wall_ns ? rec->clock.wall_ns(rec->clock.user) : hr__now_wall_ns();
    int stopped = rec->sampler_done || rec->status != HR_OK;
    int64_t prev = rec->last_step_ns;
    if (!stopped && now > prev)
        rec->last_step_ns = now;
    pthread_mutex_unlock(&rec->mu);
    if (stopped)
        return HR_ESTATE;
    hr_step step = {index, now, wall, now >= prev ? now - prev : -1, units, n, names, values};
    return hr_session_add_step(rec->s, &step);
}

hr_status hr_recorder_add_event(hr_recorder *rec, const char *kind, int64_t start_mono_ns,
                                int64_t end_mono_ns, const char *detail) {
    if (!rec)
        return HR_EINVAL;
    pthread_mutex_lock(&rec->mu);
    int stopped = rec->sampler_done || rec->status != HR_OK;
    pthread_mutex_unlock(&rec->mu);
    if (stopped)
        return HR_ESTATE;
    return hr_session_add_event(rec->s, kind, start_mono_ns, end_mono_ns, detail, NULL);
}

hr_status hr_recorder_stats(hr_recorder *rec, hr_record_stats *out) {
    if (!rec || !out)
        return HR_EINVAL;
    size_t want = out->size && out->size < sizeof *out ? out->size : sizeof *out;
    hr_record_stats r;
    memset(&r, 0, sizeof r);
    r.size = want;
    pthread_mutex_lock(&rec->mu);
    r.running = !rec->sampler_done;
    r.status = rec->status;
    hr__strlcpy(r.error, rec->error, sizeof r.error);
    r.ticks = rec->ticks;
    r.written = rec->written;
    r.missed = rec->missed;
    r.start_mono_ns = rec->start_mono_ns;
    r.last_mono_ns = rec->last_tick_ns;
    r.requested_hz = rec->cfg.hz;
    r.achieved_hz = NAN; /* unknown until two ticks */
    if (rec->ticks > 1 && rec->last_tick_ns > rec->first_tick_ns)
        r.achieved_hz = (double)(rec->ticks - 1) * 1e9 / (double)(rec->last_tick_ns - rec->first_tick_ns);
    r.lateness_p50_ns = hr__histo_quantile(&rec->lateness, 0.50);
    r.lateness_p99_ns = hr__histo_quantile(&rec->lateness, 0.99);
    r.lateness_max_ns = rec->lateness.max;
    r.sample_p50_ns = hr__histo_quantile(&rec->sample_cost, 0.50);
    r.sample_p99_ns = hr__histo_quantile(&rec->sample_cost, 0.99);
    r.commit_p50_ns = hr__histo_quantile(&rec->commit_cost, 0.50);
    r.commit_p99_ns = hr__histo_quantile(&rec->commit_cost, 0.99);
    r.commit_max_ns = rec->commit_cost.max;
    r.queue_max = rec->queue_max;
    r.channels = rec->nvalues;
    pthread_mutex_unlock(&rec->mu);
    memcpy(out, &r, want);
    return HR_OK;
}

hr_status hr_recorder_latest(hr_recorder *rec, const char *component, const char *metric,
                             hr_reading *out) {
    if (!rec || !out)
        return HR_EINVAL;
    int32_t id = hr_session_find_channel(rec->s, component, metric);
    if (id <= 0 || (size_t)id > rec->nvalues)
        return HR_ENOENT;
    pthread_mutex_lock(&rec->mu);
    *out = rec->latest[id - 1];
    pthread_mutex_unlock(&rec->mu);
    return HR_OK;
}

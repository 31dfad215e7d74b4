/* exporter.c: the exporter's lifecycle: configuration, the listening
 * socket and server, the own sampling thread (`headroom serve`), the
 * recorder hook (`record --serve`, `run --serve`), and the thread-safe
 * calls (publish, job status, render). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exporter/exporter_int.h"

#define MIN_MAX_AGE_NS 1000000000LL      /* the age limit is never under 1 s */
#define EXTERNAL_MAX_AGE_NS 5000000000LL /* default limit when the caller publishes */
#define MAX_CONNECTIONS_LIMIT 1024u
#define TIMEOUT_LIMIT_S 3600u

void hr_exporter_config_defaults(hr_exporter_config *c) {
    if (!c)
        return;
    memset(c, 0, sizeof *c);
    c->size = sizeof *c;
    c->hz = 1.0;
    c->rle = 1;
    /* The same thresholds a recorder uses by default. */
    hr_record_config r;
    hr_record_config_defaults(&r);
    c->rle_cpu = r.rle_cpu;
    c->rle_gpu = r.rle_gpu;
    c->max_connections = 32;
    c->timeout_s = 5;
}

static void config_copy(hr_exporter_config *dst, const hr_exporter_config *src) {
    hr_exporter_config_defaults(dst);
    if (!src)
        return;
    size_t n = src->size && src->size < sizeof *dst ? src->size : sizeof *dst;
    memcpy(dst, src, n);
    dst->size = sizeof *dst;
    if (!dst->max_connections)
        dst->max_connections = 32;
    if (!dst->timeout_s)
        dst->timeout_s = 5;
}

static hr_status config_check(hr_ctx *ctx, const hr_exporter_config *c) {
    if (!c->external && (!(c->hz > 0) || c->hz > HR_RECORD_MAX_HZ || !isfinite(c->hz)))
        return hr__fail(ctx, HR_EINVAL, 0, "serve: rate %g Hz is outside (0, %g]", c->hz,
                        HR_RECORD_MAX_HZ);
    if (c->max_age_ns < 0)
        return hr__fail(ctx, HR_EINVAL, 0, "serve: negative age limit");
    if (c->max_connections > MAX_CONNECTIONS_LIMIT)
        return hr__fail(ctx, HR_EINVAL, 0, "serve: at most %u connections", MAX_CONNECTIONS_LIMIT);
    if (c->timeout_s > TIMEOUT_LIMIT_S)
        return hr__fail(ctx, HR_EINVAL, 0, "serve: a timeout of at most %u s", TIMEOUT_LIMIT_S);
    char why[160];
    if (c->rle && hr_rle_config_validate(&c->rle_cpu, why, sizeof why) != HR_OK)
        return hr__fail(ctx, HR_EINVAL, 0, "serve: CPU RLE config: %s", why);
    if (c->rle && hr_rle_config_validate(&c->rle_gpu, why, sizeof why) != HR_OK)
        return hr__fail(ctx, HR_EINVAL, 0, "serve: GPU RLE config: %s", why);
    return HR_OK;
}

/* The age limit: as configured, else 3 periods and at least 1 s. */
static int64_t max_age_for(const hr_exporter_config *c, int64_t period_ns) {
    if (c->max_age_ns > 0)
        return c->max_age_ns;
    if (period_ns <= 0)
        return EXTERNAL_MAX_AGE_NS;
    return 3 * period_ns > MIN_MAX_AGE_NS ? 3 * period_ns : MIN_MAX_AGE_NS;
}

static hr_exporter *exporter_alloc(hr_ctx *ctx, const hr_exporter_config *c) {
    hr_exporter *srv = calloc(1, sizeof *srv);
    if (!srv)
        return NULL;
    srv->ctx = ctx;
    config_copy(&srv->cfg, c);
    srv->port = -1;
    hr__feed_init(&srv->feed);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
#ifndef __APPLE__
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
#endif
    pthread_mutex_init(&srv->smu, NULL);
    pthread_cond_init(&srv->scv, &ca);
    pthread_condattr_destroy(&ca);
    return srv;
}

static void exporter_free(hr_exporter *srv) {
    hr__feed_free(&srv->feed);
    hr_probe_free(srv->probe);
    pthread_cond_destroy(&srv->scv);
    pthread_mutex_destroy(&srv->smu);
    free(srv);
}

/* Sets up the feed from the configuration (before any publish). */
static void feed_setup(hr_exporter *srv, int64_t period_ns) {
    hr__feed *f = &srv->feed;
    f->period_ns = period_ns;
    f->max_age_ns = max_age_for(&srv->cfg, period_ns);
    f->rle_on = srv->cfg.rle;
    f->rle_cpu = srv->cfg.rle_cpu;
    f->rle_gpu = srv->cfg.rle_gpu;
}

/* Binds the configured address and starts the server. */
static hr_status serve_open(hr_exporter *srv) {
    const char *text = srv->cfg.listen ? srv->cfg.listen : HR_EXPORTER_DEFAULT_LISTEN;
    struct sockaddr_storage sa;
    socklen_t len = 0;
    char why[200];
    if (hr__listen_parse(text, &sa, &len, why, sizeof why) != 0)
        return hr__fail(srv->ctx, HR_EINVAL, 0, "serve: %s", why);
    hr_status st;
    int fd = hr__listen_open(srv->ctx, &sa, len, text, &st);
    if (fd < 0)
        return st;
    srv->port = hr__listen_port(fd);
    hr__listen_url(fd, srv->url, sizeof srv->url);
    return hr__http_start(srv, fd);
}

/* --- the own sampling thread --- */

/* Waits until DEADLINE_NS (monotonic) or a stop request, SMU held.
 * Returns 1 when asked to stop. */
static int sampler_sleep(hr_exporter *srv, int64_t deadline_ns) {
    while (!srv->stop && hr__now_mono_ns() < deadline_ns) {
#ifdef __APPLE__
        int64_t left = deadline_ns - hr__now_mono_ns();
        if (left < 0)
            left = 0;
        struct timespec rel = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        pthread_cond_timedwait_relative_np(&srv->scv, &srv->smu, &rel);
#else
        struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
        if (pthread_cond_timedwait(&srv->scv, &srv->smu, &ts) == ETIMEDOUT)
            break;
#endif
    }
    return srv->stop;
}

static void sample_once(hr_exporter *srv) {
    hr_status st = hr_probe_refresh(srv->probe);
    if (st == HR_OK) {
        hr__feed_publish(&srv->feed, srv->probe);
        return;
    }
    char why[200];
    hr__snprintf(why, sizeof why, "the probe refresh failed: %s", hr_strerror(st));
    hr__feed_withdraw(&srv->feed, why);
}

/* Samples on absolute deadlines (start + k * period); deadlines that
 * passed while a refresh ran late are skipped, not made up. */
static void *sampler_main(void *arg) {
    hr_exporter *srv = arg;
    int64_t period = srv->feed.period_ns;
    int64_t deadline = hr__now_mono_ns() + period;
    pthread_mutex_lock(&srv->smu);
    while (!sampler_sleep(srv, deadline)) {
        pthread_mutex_unlock(&srv->smu);
        sample_once(srv);
        int64_t now = hr__now_mono_ns();
        deadline += period;
        if (deadline <= now)
            deadline += ((now - deadline) / period + 1) * period;
        pthread_mutex_lock(&srv->smu);
    }
    pthread_mutex_unlock(&srv->smu);
    hr__feed_withdraw(&srv->feed, "the sampler has stopped");
    return NULL;
}

void hr__exporter_sampler_stop(hr_exporter *srv) {
    if (!srv->sampler_started)
        return;
    pthread_mutex_lock(&srv->smu);
    srv->stop = 1;
    pthread_cond_broadcast(&srv->scv);
    pthread_mutex_unlock(&srv->smu);
    pthread_join(srv->sampler, NULL);
    srv->sampler_started = 0;
}

/* --- public API --- */

hr_status hr_exporter_start(hr_ctx *ctx, const hr_exporter_config *config, hr_exporter **out) {
    if (!ctx || !out)
        return ctx ? hr__fail(ctx, HR_EINVAL, 0, "hr_exporter_start: out is NULL") : HR_EINVAL;
    *out = NULL;
    hr_exporter *srv = exporter_alloc(ctx, config);
    if (!srv)
        return hr__fail(ctx, HR_ENOMEM, 0, "serve: out of memory");
    hr_status st = config_check(ctx, &srv->cfg);
    int own = !srv->cfg.external;
    if (st == HR_OK) {
        feed_setup(srv, own ? (int64_t)llround(1e9 / srv->cfg.hz) : 0);
        if (own)
            st = hr_probe_open(ctx, &srv->probe);
    }
    /* The first sample is served at once; rates appear from the second. */
    if (st == HR_OK && own)
        st = hr__feed_publish(&srv->feed, srv->probe);
    if (st == HR_OK)
        st = serve_open(srv);
    if (st == HR_OK && own) {
        if (pthread_create(&srv->sampler, NULL, sampler_main, srv) != 0)
            st = hr__fail(ctx, HR_ENOMEM, 0, "serve: cannot start the sampling thread");
        else
            srv->sampler_started = 1;
    }
    if (st != HR_OK) {
        hr_exporter_stop(srv);
        return st;
    }
    *out = srv;
    return HR_OK;
}

/* The refresh hook installed in a recorder's configuration: the recorder's
 * refresh (or the one it chained), then a publish of the fresh probe. */
static hr_status recorder_refresh(hr_probe *probe, void *user) {
    hr_exporter *srv = user;
    hr_status st =
        srv->prev_refresh ? srv->prev_refresh(probe, srv->prev_user) : hr_probe_refresh(probe);
    if (st == HR_OK) {
        hr__feed_publish(&srv->feed, probe);
    } else {
        char why[200];
        hr__snprintf(why, sizeof why, "the recorder's probe refresh failed: %s", hr_strerror(st));
        hr__feed_withdraw(&srv->feed, why);
    }
    return st;
}

hr_status hr_exporter_start_for_recorder(hr_ctx *ctx, const char *listen, hr_record_config *rcfg,
                                         hr_exporter **out) {
    if (!ctx || !out || !rcfg)
        return ctx ? hr__fail(ctx, HR_EINVAL, 0, "hr_exporter_start_for_recorder: NULL argument")
                   : HR_EINVAL;
    *out = NULL;
    if (!(rcfg->hz > 0) || rcfg->hz > HR_RECORD_MAX_HZ || !isfinite(rcfg->hz))
        return hr__fail(ctx, HR_EINVAL, 0, "serve: the recorder's rate %g Hz is outside (0, %g]",
                        rcfg->hz, HR_RECORD_MAX_HZ);
    hr_exporter_config c;
    hr_exporter_config_defaults(&c);
    c.listen = listen;
    c.external = 1;
    c.rle = rcfg->rle;
    c.rle_cpu = rcfg->rle_cpu;
    c.rle_gpu = rcfg->rle_gpu;
    int64_t period = (int64_t)llround(1e9 / rcfg->hz);
    c.max_age_ns = 3 * period > MIN_MAX_AGE_NS ? 3 * period : MIN_MAX_AGE_NS;
    hr_exporter *srv = exporter_alloc(ctx, &c);
    if (!srv)
        return hr__fail(ctx, HR_ENOMEM, 0, "serve: out of memory");
    hr_status st = config_check(ctx, &srv->cfg);
    if (st == HR_OK) {
        feed_setup(srv, period);
        hr__feed_withdraw(&srv->feed, "the recorder has not sampled yet");
        st = serve_open(srv);
    }
    if (st != HR_OK) {
        hr_exporter_stop(srv);
        return st;
    }
    srv->prev_refresh = rcfg->refresh;
    srv->prev_user = rcfg->refresh_user;
    rcfg->refresh = recorder_refresh;
    rcfg->refresh_user = srv;
    *out = srv;
    return HR_OK;
}

hr_status hr_exporter_publish(hr_exporter *srv, const hr_probe *probe, const char *why) {
    if (!srv)
        return HR_EINVAL;
    if (!probe) {
        hr__feed_withdraw(&srv->feed, why);
        return HR_OK;
    }
    return hr__feed_publish(&srv->feed, probe);
}

hr_status hr_exporter_set_job(hr_exporter *srv, const hr_job_status *job) {
    if (!srv)
        return HR_EINVAL;
    hr__feed *f = &srv->feed;
    pthread_mutex_lock(&f->mu);
    memset(&f->job, 0, sizeof f->job);
    if (job) {
        size_t n = job->size && job->size < sizeof f->job ? job->size : sizeof f->job;
        memcpy(&f->job, job, n);
        f->job.size = sizeof f->job;
    }
    f->have_job = job != NULL;
    f->cache_ok = 0;
    pthread_mutex_unlock(&f->mu);
    return HR_OK;
}

int hr_exporter_port(const hr_exporter *srv) { return srv ? srv->port : -1; }

const char *hr_exporter_url(const hr_exporter *srv) { return srv ? srv->url : ""; }

hr_status hr_exporter_render(hr_exporter *srv, char **out, size_t *len) {
    if (out)
        *out = NULL;
    if (!srv || !out)
        return HR_EINVAL;
    return hr__feed_render(&srv->feed, hr__now_mono_ns(), out, len);
}

hr_status hr_exporter_stop(hr_exporter *srv) {
    if (!srv)
        return HR_OK;
    hr__exporter_sampler_stop(srv);
    hr__http_stop(srv);
    exporter_free(srv);
    return HR_OK;
}

/* feed.c: the exporter's latest sample. A publisher (the sampling thread,
 * a recorder's tick, or the caller) copies its probe in; a scrape renders
 * the copy while it is fresh and otherwise gets the reason it is not, so
 * that old values are never served as current ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/exporter_int.h"
#include "exporter/prom_text.h"

void hr__feed_init(hr__feed *f) {
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    hr__strlcpy(f->why, "no sample yet", sizeof f->why);
}

void hr__feed_free(hr__feed *f) {
    free(f->snap.cores);
    free(f->snap.sensors);
    free(f->snap.zones);
    free(f->snap.rapl);
    free(f->snap.gpus);
    free(f->snap.sources);
    free(f->rle);
    free(f->cache.p);
    hr__eff_free(&f->eff);
    pthread_mutex_destroy(&f->mu);
}

/* Copies N elements of ELEM bytes from SRC into *DST, growing it. */
static int copy_array(void **dst, size_t *cap, const void *src, size_t n, size_t elem) {
    if (n > *cap) {
        void *p = realloc(*dst, n * elem);
        if (!p)
            return -1;
        *dst = p;
        *cap = n;
    }
    if (n)
        memcpy(*dst, src, n * elem);
    return 0;
}

/* SNAP = a deep copy of P, reusing SNAP's arrays. */
static int copy_probe(hr__feed *f, const hr_probe *p) {
    hr_probe *s = &f->snap;
    hr_probe keep = *s;
    *s = *p;
    s->priv = NULL;
    s->cores = keep.cores;
    s->sensors = keep.sensors;
    s->zones = keep.zones;
    s->rapl = keep.rapl;
    s->gpus = keep.gpus;
    s->sources = keep.sources;
    int bad = copy_array((void **)&s->cores, &f->cap_cores, p->cores, p->ncores, sizeof *p->cores);
    bad |= copy_array((void **)&s->sensors, &f->cap_sensors, p->sensors, p->nsensors,
                      sizeof *p->sensors);
    bad |= copy_array((void **)&s->zones, &f->cap_zones, p->zones, p->nzones, sizeof *p->zones);
    bad |= copy_array((void **)&s->rapl, &f->cap_rapl, p->rapl, p->nrapl, sizeof *p->rapl);
    bad |= copy_array((void **)&s->gpus, &f->cap_gpus, p->gpus, p->ngpus, sizeof *p->gpus);
    bad |= copy_array((void **)&s->sources, &f->cap_sources, p->sources, p->nsources,
                      sizeof *p->sources);
    if (bad) {
        /* Counts that match what the arrays hold, whatever was copied. */
        s->ncores = s->nsensors = s->nzones = s->nrapl = s->ngpus = s->nsources = 0;
        return -1;
    }
    return 0;
}

/* --- RLE per component --- */

/* The components of P (the CPU package, each GPU) with their calculators,
 * as the recorder lays them out. */
static hr_status rle_setup(hr__feed *f, const hr_probe *p) {
    f->eff_ready = 1;
    f->eff.c = calloc(p->ngpus + 1, sizeof *f->eff.c);
    f->rle = calloc(p->ngpus + 1, sizeof *f->rle);
    if (!f->eff.c || !f->rle)
        return HR_ENOMEM;
    for (size_t i = 0; i <= p->ngpus; i++) {
        hr__eff_comp *c = &f->eff.c[i];
        if (i == 0) {
            hr__strlcpy(c->name, "cpu", sizeof c->name);
            c->gpu_index = -1;
        } else {
            const hr_gpu_info *g = &p->gpus[i - 1];
            hr__snprintf(c->name, sizeof c->name, "gpu%d", (int)g->index);
            c->gpu_index = g->index;
            hr__strlcpy(c->gpu_uuid, g->uuid, sizeof c->gpu_uuid);
        }
        hr_status st = hr_rle_new(i == 0 ? &f->rle_cpu : &f->rle_gpu, &c->rle);
        if (st != HR_OK)
            return st;
        f->eff.n++;
        hr__strlcpy(f->rle[i].component, c->name, sizeof f->rle[i].component);
    }
    f->nrle = f->eff.n;
    return HR_OK;
}

/* A term of the result in millionths (or thousandths), known when finite. */
static hr_reading term(double v, double mul) {
    if (!isfinite(v) || fabs(v * mul) > 9.0e15)
        return hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
    return hr__known(llround(v * mul));
}

static void rle_store(hr_prom_rle *o, const hr_rle_result *r) {
    o->rle_micro = term(r->rle_smoothed, 1e6);
    o->rle_raw_micro = term(r->rle, 1e6);
    o->rle_norm_micro = term(r->rle_norm, 1e6);
    o->e_th_micro = term(r->e_th, 1e6);
    o->e_pw_micro = term(r->e_pw, 1e6);
    o->a_load_micro = term(r->a_load, 1e6);
    o->t_sustain_ms = term(r->t_sustain_s, 1e3);
    /* A component without an RLE can never collapse: its "0" would say
     * nothing, so it is left out. */
    o->collapse = r->in_collapse || HR_IS_KNOWN(o->rle_micro) ? hr__known(r->in_collapse ? 1 : 0)
                                                              : hr__unknown((hr_why)r->why, 0);
}

static void rle_push(hr__feed *f, const hr_probe *p) {
    if (!f->rle_on)
        return;
    if (!f->eff_ready && rle_setup(f, p) != HR_OK) {
        f->nrle = 0;
        return;
    }
    for (size_t i = 0; i < f->eff.n; i++) {
        hr_rle_sample in;
        hr_rle_result res;
        hr__eff_inputs(&f->eff, i, p, p->t_mono_ns, &in);
        /* A sample not after the previous one (published twice) changes
         * nothing. */
        if (hr_rle_push(f->eff.c[i].rle, &in, &res) == HR_OK)
            rle_store(&f->rle[i], &res);
    }
}

/* --- publish, withdraw, render --- */

hr_status hr__feed_publish(hr__feed *f, const hr_probe *p) {
    pthread_mutex_lock(&f->mu);
    hr_status st = HR_OK;
    if (copy_probe(f, p) != 0) {
        f->have = 0;
        hr__strlcpy(f->why, "out of memory copying the sample", sizeof f->why);
        st = HR_ENOMEM;
    } else {
        f->have = 1;
        f->samples++;
        rle_push(f, p);
    }
    f->cache_ok = 0;
    pthread_mutex_unlock(&f->mu);
    return st;
}

void hr__feed_withdraw(hr__feed *f, const char *why) {
    pthread_mutex_lock(&f->mu);
    f->have = 0;
    f->cache_ok = 0;
    hr__strlcpy(f->why, why && *why ? why : "the sample was withdrawn", sizeof f->why);
    pthread_mutex_unlock(&f->mu);
}

static hr_status text_out(const char *msg, char **out, size_t *len) {
    size_t n = strlen(msg);
    *out = malloc(n + 2);
    if (!*out)
        return HR_ENOMEM;
    memcpy(*out, msg, n);
    (*out)[n] = '\n';
    (*out)[n + 1] = '\0';
    if (len)
        *len = n + 1;
    return HR_OK;
}

/* Writes the exposition of the current sample without its age into the
 * cache (F->mu held). */
static hr_status fill_cache(hr__feed *f) {
    hr_prom_input in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    in.probe = &f->snap;
    in.job = f->have_job ? &f->job : NULL;
    in.rle = f->nrle ? f->rle : NULL;
    in.nrle = f->nrle;
    in.samples = hr__known(f->samples);
    in.period_ns =
        f->period_ns > 0 ? hr__known(f->period_ns) : hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    hr__pw w;
    memset(&w, 0, sizeof w);
    w.b = f->cache; /* reuse its memory */
    w.b.len = 0;
    w.b.oom = 0;
    hr__prom_write_sample(&w, &in);
    f->cache = w.b;
    if (w.b.oom || !w.b.p)
        return HR_ENOMEM;
    f->cache_ok = 1;
    return HR_OK;
}

/* The cached exposition plus the sample's age at NOW_NS (F->mu held). */
static hr_status render_locked(hr__feed *f, int64_t now_ns, char **out, size_t *len) {
    if (!f->cache_ok && fill_cache(f) != HR_OK)
        return HR_ENOMEM;
    hr__pw w;
    memset(&w, 0, sizeof w);
    w.b.cap = f->cache.len + 256;
    w.b.p = malloc(w.b.cap);
    if (!w.b.p)
        return HR_ENOMEM;
    hr__pbuf_put(&w.b, f->cache.p, f->cache.len);
    hr__prom_write_age(&w, &f->snap, now_ns);
    if (w.b.oom) {
        free(w.b.p);
        return HR_ENOMEM;
    }
    *out = w.b.p;
    if (len)
        *len = w.b.len;
    return HR_OK;
}

hr_status hr__feed_render(hr__feed *f, int64_t now_ns, char **out, size_t *len) {
    *out = NULL;
    if (len)
        *len = 0;
    char msg[384];
    pthread_mutex_lock(&f->mu);
    hr_status st;
    int64_t age = now_ns - f->snap.t_mono_ns;
    if (!f->have) {
        hr__snprintf(msg, sizeof msg, "headroom: no current sample: %s", f->why);
        st = HR_ESTATE;
    } else if (age > f->max_age_ns) {
        hr__snprintf(msg, sizeof msg,
                     "headroom: the latest sample is %.3f s old (limit %.3f s): the sampler has "
                     "stalled or stopped",
                     (double)age / 1e9, (double)f->max_age_ns / 1e9);
        st = HR_ESTATE;
    } else {
        st = render_locked(f, now_ns, out, len);
    }
    pthread_mutex_unlock(&f->mu);
    if (st == HR_ESTATE && text_out(msg, out, len) != HR_OK)
        return HR_ENOMEM;
    return st;
}

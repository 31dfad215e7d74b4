/* writer.c: the queue between sampling and storing, grouped into batches
 * (one transaction per batch: one tick at 10 Hz and below, up to 100 ms of
 * ticks above), and storing a tick: RLE per component, the tick's readings,
 * collapse and channel events, the missed-tick count. */
#include <string.h>

#include "record/recorder.h"
#include "store/batch.h"

#define MISSING_EVENTS_MAX 20 /* per channel, so that a flapping sensor cannot flood the events */

void hr__rec_fail(hr_recorder *rec, hr_status st, const char *detail) {
    pthread_mutex_lock(&rec->mu);
    if (rec->status == HR_OK) {
        rec->status = st;
        hr__strlcpy(rec->error, detail, sizeof rec->error);
    }
    rec->stop = 1;
    pthread_cond_broadcast(&rec->stop_cv);
    pthread_cond_broadcast(&rec->cv_space);
    pthread_mutex_unlock(&rec->mu);
}

int hr__rec_batch_fits(int64_t first_ns, int64_t deadline_ns, int64_t period_ns) {
    return deadline_ns - first_ns + period_ns <= HR__REC_BATCH_NS;
}

hr__slot *hr__rec_slot_acquire(hr_recorder *rec) {
    if (!rec->cfg.writer_thread)
        return &rec->ring[0];
    pthread_mutex_lock(&rec->mu);
    /* A full queue means storage is slower than sampling: wait (the
     * deadlines missed meanwhile are counted) rather than drop ticks. */
    while (rec->qcount == rec->qcap && !rec->stop)
        pthread_cond_wait(&rec->cv_space, &rec->mu);
    hr__slot *slot = rec->stop ? NULL : &rec->ring[(rec->qhead + rec->qcount) % rec->qcap];
    pthread_mutex_unlock(&rec->mu);
    return slot;
}

void hr__rec_close_batch_locked(hr_recorder *rec) {
    if (rec->qready == rec->qcount)
        return;
    rec->ring[(rec->qhead + rec->qcount - 1) % rec->qcap].batch_end = 1;
    rec->qready = rec->qcount;
    rec->batch_open = 0;
    pthread_cond_signal(&rec->cv_work);
}

void hr__rec_slot_publish(hr_recorder *rec, hr__slot *slot, int64_t deadline_ns) {
    pthread_mutex_lock(&rec->mu);
    /* A tick late enough to skip deadlines may not fit the open batch. */
    if (rec->batch_open && !hr__rec_batch_fits(rec->batch_first_ns, deadline_ns, rec->period_ns))
        hr__rec_close_batch_locked(rec);
    if (!rec->batch_open) {
        rec->batch_open = 1;
        rec->batch_first_ns = deadline_ns;
        rec->batch_opened_ns = hr__now_mono_ns();
    }
    slot->batch_end = 0;
    rec->qcount++;
    if ((int64_t)rec->qcount > rec->queue_max)
        rec->queue_max = rec->qcount;
    /* The writer sleeps until a batch closes: one wake-up per batch. */
    if (rec->qcount == rec->qcap ||
        !hr__rec_batch_fits(rec->batch_first_ns, deadline_ns + rec->period_ns, rec->period_ns))
        hr__rec_close_batch_locked(rec);
    pthread_mutex_unlock(&rec->mu);
}

/* Waits on cv_work until NS_FROM_NOW has passed (or a signal). The condition
 * variable runs on CLOCK_MONOTONIC, except on macOS (no setclock there). */
static void wait_work_for(hr_recorder *rec, int64_t ns_from_now) {
    struct timespec ts;
#ifdef __APPLE__
    clock_gettime(CLOCK_REALTIME, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    int64_t t = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + ns_from_now;
    ts.tv_sec = (time_t)(t / 1000000000LL);
    ts.tv_nsec = (long)(t % 1000000000LL);
    pthread_cond_timedwait(&rec->cv_work, &rec->mu, &ts);
}

/* Sleeps until a batch is ready. Where batches hold several ticks (above
 * 10 Hz) on the real clock, it also looks every half stall period for a
 * batch the sampler has left open past HR__REC_BATCH_STALL_NS, and closes
 * it (the sampler does not wake the writer when a batch opens, only when it
 * closes). An injected clock's time is not real time: there the batching
 * rule alone decides, so that its tests stay deterministic. Returns with
 * rec->mu held. */
static void wait_for_batch(hr_recorder *rec) {
    int watch = !rec->cfg.clock && hr__rec_batch_fits(0, rec->period_ns, rec->period_ns);
    while (rec->qready == 0 && !rec->writer_exit) {
        if (watch && rec->batch_open && rec->qcount > 0 &&
            hr__now_mono_ns() - rec->batch_opened_ns >= HR__REC_BATCH_STALL_NS) {
            hr__rec_close_batch_locked(rec);
            break;
        }
        if (watch)
            wait_work_for(rec, HR__REC_BATCH_STALL_NS / 2);
        else
            pthread_cond_wait(&rec->cv_work, &rec->mu);
        rec->writer_wakes++;
    }
}

/* Ticks from the queue's head up to the end of its first closed batch. */
static uint32_t first_batch_len(const hr_recorder *rec) {
    uint32_t n = 1;
    while (n < rec->qready && !rec->ring[(rec->qhead + n - 1) % rec->qcap].batch_end)
        n++;
    return n;
}

void *hr__rec_writer_main(void *arg) {
    hr_recorder *rec = arg;
    pthread_mutex_lock(&rec->mu);
    for (;;) {
        wait_for_batch(rec);
        if (rec->writer_exit)
            rec->qready = rec->qcount; /* the sampler has ended: store everything */
        if (rec->qready == 0)
            break;
        uint32_t first = rec->qhead, n = first_batch_len(rec);
        pthread_mutex_unlock(&rec->mu);
        hr__rec_store_slots(rec, first, n);
        pthread_mutex_lock(&rec->mu);
        rec->qhead = (rec->qhead + n) % rec->qcap;
        rec->qcount -= n;
        rec->qready -= n;
        pthread_cond_signal(&rec->cv_space);
        if (rec->sampler_done && rec->qcount == 0)
            pthread_cond_broadcast(&rec->stop_cv); /* hr_recorder_wait */
    }
    pthread_mutex_unlock(&rec->mu);
    return NULL;
}

/* --- storing ticks --- */

static hr_status collapse_events(hr_recorder *rec, hr__eff_comp *c, const hr_rle_result *r) {
    hr_status st = HR_OK;
    char detail[320];
    if (r->collapse_ended && c->open_event) {
        st = hr_session_end_event(rec->s, c->open_event, r->event_end_ns);
        c->open_event = 0;
    } else if (r->collapse_ended) {
        hr__snprintf(detail, sizeof detail, "%s: %s", c->name, r->evidence_text);
        st = hr_session_add_event(rec->s, "collapse", r->event_start_ns, r->event_end_ns, detail,
                                  NULL);
    }
    if (st == HR_OK && r->collapse_started) {
        hr__snprintf(detail, sizeof detail, "%s: %s", c->name, r->evidence_text);
        st = hr_session_add_event(rec->s, "collapse", r->event_start_ns, 0, detail,
                                  &c->open_event);
    }
    return st;
}

/* Runs every component's RLE for SLOT; collapse events are then written
 * with the tick, from the results kept in RES. */
static void run_rle(hr_recorder *rec, hr__slot *slot, hr_rle_result *res) {
    for (size_t i = 0; i < rec->eff.n; i++)
        if (hr__eff_push(&rec->eff, i, &slot->rle_in[i], slot->values, &res[i]) != HR_OK)
            memset(&res[i], 0, sizeof res[i]);
}

/* An event when a channel that was known goes missing, ended when it comes
 * back: the timeline then says when and why a sensor vanished. */
static hr_status channel_events(hr_recorder *rec, const hr__slot *slot) {
    if (!rec->cfg.channel_events)
        return HR_OK;
    hr_status st = HR_OK;
    for (size_t i = 0; st == HR_OK && i < rec->chans.n; i++) {
        const hr_reading *v = &slot->values[i];
        if (HR_IS_KNOWN(*v)) {
            if (rec->was_known[i] == 2 && rec->missing_event[i])
                st = hr_session_end_event(rec->s, rec->missing_event[i], slot->t_mono_ns);
            rec->missing_event[i] = 0;
            rec->was_known[i] = 1;
        } else if (rec->was_known[i] == 1) {
            rec->was_known[i] = 2;
            if (rec->missing_count[i] >= MISSING_EVENTS_MAX)
                continue;
            rec->missing_count[i]++;
            const hr_channel *c = hr_session_channel(rec->s, i);
            char detail[200];
            hr__snprintf(detail, sizeof detail, "%s/%s: %s", c->component, c->metric,
                         hr_why_text(v->why));
            st = hr_session_add_event(rec->s, "channel_missing", slot->t_mono_ns, 0, detail,
                                      &rec->missing_event[i]);
        }
    }
    return st;
}

/* Writes SLOT as one tick inside the open batch. */
static hr_status tick_rows(hr_recorder *rec, hr__slot *slot, const hr_rle_result *res) {
    hr_status st = hr_session_begin_tick(rec->s, slot->t_mono_ns, slot->t_wall_ns, NULL);
    for (size_t i = 0; st == HR_OK && i < rec->nvalues; i++)
        if (HR_IS_KNOWN(slot->values[i]))
            st = hr_session_put(rec->s, (int32_t)i + 1, slot->values[i].v);
    for (size_t i = 0; st == HR_OK && i < rec->eff.n; i++)
        st = collapse_events(rec, &rec->eff.c[i], &res[i]);
    if (st == HR_OK)
        st = channel_events(rec, slot);
    pthread_mutex_lock(&rec->mu);
    int64_t missed = rec->missed;
    pthread_mutex_unlock(&rec->mu);
    if (st == HR_OK && missed != rec->missed_written) {
        st = hr_session_set_meta_i64(rec->s, "missed_ticks", missed);
        rec->missed_written = missed;
    }
    if (st == HR_OK)
        st = hr_session_commit_tick(rec->s);
    return st;
}

hr_status hr__rec_store_slots(hr_recorder *rec, uint32_t first, uint32_t n) {
    pthread_mutex_lock(&rec->mu);
    hr_status prior = rec->status;
    pthread_mutex_unlock(&rec->mu);
    if (prior != HR_OK)
        return prior; /* recording stopped on an error: discard */
    int64_t t0 = hr__now_mono_ns();
    hr__slot *slot = NULL;
    hr_status st = hr__session_begin_batch(rec->s);
    for (uint32_t k = 0; st == HR_OK && k < n; k++) {
        slot = &rec->ring[(first + k) % rec->qcap];
        run_rle(rec, slot, rec->rle_res);
        st = tick_rows(rec, slot, rec->rle_res);
    }
    if (st == HR_OK)
        st = hr__session_commit_batch(rec->s);
    else
        hr__session_abort_batch(rec->s);
    int64_t cost = hr__now_mono_ns() - t0;
    if (st != HR_OK) {
        hr__rec_fail(rec, st, hr_session_last_error(rec->s));
        return st;
    }
    pthread_mutex_lock(&rec->mu);
    rec->written += n;
    rec->commits++;
    hr__histo_add(&rec->commit_cost, cost);
    memcpy(rec->latest, slot->values, rec->nvalues * sizeof *rec->latest);
    pthread_mutex_unlock(&rec->mu);
    return HR_OK;
}

/* sampler.c: the cadence loop. Tick k is due at start + k * period; a tick
 * that wakes late is still sampled, and deadlines that passed while a tick
 * ran late are skipped and counted, never made up in a burst. */
#include <stdint.h>

#include "record/recorder.h"

int64_t hr__rec_next_deadline(int64_t deadline_ns, int64_t now_ns, int64_t period_ns,
                              int64_t end_ns, int64_t *next_ns) {
    int64_t next = deadline_ns + period_ns;
    if (now_ns <= next) {
        *next_ns = next;
        return 0;
    }
    /* The first deadline at or after now: deadlines before it are missed. */
    int64_t k = (now_ns - next + period_ns - 1) / period_ns;
    *next_ns = next + k * period_ns;
    if (next >= end_ns)
        return 0;
    int64_t before_end = (end_ns - next + period_ns - 1) / period_ns;
    return k < before_end ? k : before_end;
}

/* Refreshes the probe and flattens it into SLOT at the tick's time. */
static void sample_into(hr_recorder *rec, hr__slot *slot) {
    slot->t_mono_ns = rec->clock.now_ns(rec->clock.user);
    slot->t_wall_ns = rec->clock.wall_ns ? rec->clock.wall_ns(rec->clock.user) : hr__now_wall_ns();
    hr_status st = rec->cfg.refresh ? rec->cfg.refresh(rec->probe, rec->cfg.refresh_user)
                                    : hr_probe_refresh(rec->probe);
    if (st == HR_OK) {
        hr__chanset_read(&rec->chans, rec->probe, slot->values);
    } else {
        /* Stale values must not pass for fresh ones. */
        for (size_t i = 0; i < rec->chans.n; i++)
            slot->values[i] = hr__unknown(HR_WHY_IO_ERROR, (int32_t)st);
    }
    for (size_t i = 0; i < rec->eff.n; i++)
        hr__eff_inputs(&rec->eff, i, rec->probe, slot->t_mono_ns, &slot->rle_in[i]);
    if (st != HR_OK)
        for (size_t i = 0; i < rec->eff.n; i++)
            slot->rle_in[i].util_ppm = hr__unknown(HR_WHY_IO_ERROR, (int32_t)st);
}

static void count_tick(hr_recorder *rec, const hr__slot *slot, int64_t deadline, int64_t woke,
                       int64_t done) {
    pthread_mutex_lock(&rec->mu);
    if (rec->ticks == 0)
        rec->first_tick_ns = slot->t_mono_ns;
    rec->last_tick_ns = slot->t_mono_ns;
    rec->ticks++;
    hr__histo_add(&rec->lateness, woke - deadline);
    hr__histo_add(&rec->sample_cost, done - woke);
    pthread_mutex_unlock(&rec->mu);
}

static void count_missed(hr_recorder *rec, int64_t n) {
    if (!n)
        return;
    pthread_mutex_lock(&rec->mu);
    rec->missed += n;
    pthread_mutex_unlock(&rec->mu);
}

void *hr__rec_sampler_main(void *arg) {
    hr_recorder *rec = arg;
    int64_t deadline = rec->start_mono_ns;
    while (deadline < rec->end_mono_ns) {
        if (hr__rec_sleep_until(rec, deadline))
            break;
        int64_t woke = rec->clock.now_ns(rec->clock.user);
        hr__slot *slot = hr__rec_slot_acquire(rec);
        if (!slot)
            break;
        sample_into(rec, slot);
        int64_t done = rec->clock.now_ns(rec->clock.user);
        count_tick(rec, slot, deadline, woke, done);
        if (rec->cfg.writer_thread) {
            hr__rec_slot_publish(rec, slot, deadline);
        } else if (hr__rec_store_slots(rec, 0, 1) != HR_OK) {
            break;
        }
        int64_t now = rec->clock.now_ns(rec->clock.user);
        count_missed(rec, hr__rec_next_deadline(deadline, now, rec->period_ns, rec->end_mono_ns,
                                                &deadline));
    }
    /* A duration covers its whole length: 10 s at 1 Hz is ticks 0..9 and
     * then the rest of the tenth second. */
    if (deadline >= rec->end_mono_ns && rec->end_mono_ns != INT64_MAX)
        hr__rec_sleep_until(rec, rec->end_mono_ns);
    pthread_mutex_lock(&rec->mu);
    if (rec->cfg.writer_thread)
        hr__rec_close_batch_locked(rec); /* the last, partial batch */
    rec->sampler_done = 1;
    rec->duration_reached = deadline >= rec->end_mono_ns;
    pthread_cond_broadcast(&rec->stop_cv);
    pthread_mutex_unlock(&rec->mu);
    return NULL;
}

/* recorder.h: the recorder's state, shared by recorder.c (lifecycle and
 * API), sampler.c (the cadence loop) and writer.c (the queue and storing). */
#ifndef HR_RECORD_RECORDER_H
#define HR_RECORD_RECORDER_H

#include <pthread.h>
#include <stdint.h>

#include "core/internal.h"
#include "headroom/hr_record.h"
#include "record/channels.h"
#include "record/efficiency.h"
#include "record/histo.h"

/* Group commit: above 10 Hz the writer thread stores the ticks sampled
 * within this long in one transaction; at 10 Hz and below each tick is its
 * own batch (docs/SESSION.md, "Durability"). */
#define HR__REC_BATCH_NS 100000000LL

/* A batch the sampler has left open this long in real time (a refresh that
 * hangs, say a GPU falling off the bus) is closed and stored by the writer,
 * so that a kill -9 still loses at most about the last second. */
#define HR__REC_BATCH_STALL_NS 500000000LL

/* One sampled tick waiting to be stored. VALUES has one reading per
 * session channel (probe channels first, then RLE channels, which the
 * writing side fills); RLE_IN one sample per RLE component. */
typedef struct hr__slot {
    int64_t t_mono_ns;
    int64_t t_wall_ns;
    int batch_end;           /* the last tick of its batch: the writer commits after it */
    hr_reading *values;
    hr_rle_sample *rle_in;
} hr__slot;

struct hr_recorder {
    hr_ctx *ctx;
    hr_session *s;
    hr_record_config cfg;
    hr_clock clock;          /* the injected clock, or the real one */
    int real_clock;
    hr_probe *probe;
    int own_probe;
    hr__chanset chans;       /* probe channels: ids 1 .. chans.n */
    hr__eff eff;             /* RLE components and their channels */
    size_t nvalues;          /* all channels of the session */
    int64_t period_ns;
    int64_t start_mono_ns;   /* the first deadline */
    int64_t end_mono_ns;     /* INT64_MAX without a duration */

    pthread_t sampler;
    pthread_t writer;
    int sampler_started;
    int writer_started;

    /* One lock for the stop request, the queue and the figures. stop_cv
     * wakes the real clock's sleep and hr_recorder_wait (CLOCK_MONOTONIC
     * where the platform allows). */
    pthread_mutex_t mu;
    pthread_cond_t stop_cv;
    int stop;
    int sampler_done;        /* the sampling loop has ended */
    int duration_reached;    /* ... because the duration ran out */

    /* Queue of sampled ticks (cv_work, cv_space). The sampler groups them
     * into batches and wakes the writer once per batch, when it closes. */
    pthread_cond_t cv_work;
    pthread_cond_t cv_space;
    hr__slot *ring;
    uint32_t qcap;
    uint32_t qhead;
    uint32_t qcount;
    uint32_t qready;         /* queued ticks in closed batches (a prefix of the queue) */
    int batch_open;          /* the sampler has published ticks of a batch not yet closed */
    int64_t batch_first_ns;  /* ... the deadline of its first tick */
    int64_t batch_opened_ns; /* ... CLOCK_MONOTONIC (real, not the recorder's clock) when it opened */
    int writer_exit;         /* the writer drains and exits */

    /* Figures (under mu). */
    int64_t ticks, written, missed, missed_written;
    int64_t first_tick_ns, last_tick_ns;
    int64_t queue_max;
    int64_t commits;         /* transactions that stored ticks */
    int64_t writer_wakes;    /* times the writer thread's wait returned */
    hr__histo lateness, sample_cost, commit_cost;
    hr_status status;
    char error[256];
    hr_reading *latest;      /* the latest stored tick's values */

    /* Writing side only. */
    int8_t *was_known;       /* per probe channel: 0 not yet known, 1 known, 2 missing */
    int64_t *missing_event;  /* per probe channel: id of the open "channel_missing" event */
    uint16_t *missing_count; /* per probe channel: such events written (capped) */
    hr_rle_result *rle_res;  /* per RLE component, the latest result */

    /* Steps (under mu). */
    int64_t last_step_ns;
};

/* The real clock: CLOCK_MONOTONIC, and a sleep to an absolute deadline that
 * hr_recorder_stop can cut short. */
void hr__rec_real_clock(hr_recorder *rec);

/* Sleeps until DEADLINE_NS on the recorder's clock or a stop request.
 * Returns 1 when asked to stop. */
int hr__rec_sleep_until(hr_recorder *rec, int64_t deadline_ns);

/* 1 once hr_recorder_stop (or a storage error) asked the sampler to stop. */
int hr__rec_stopping(hr_recorder *rec);

/* Asks the sampler to stop (from any thread). */
void hr__rec_request_stop(hr_recorder *rec);

/* The sampling thread. */
void *hr__rec_sampler_main(void *arg);

/* Number of deadlines skipped when the tick due at DEADLINE_NS finished at
 * NOW_NS with period PERIOD_NS; *NEXT_NS gets the next deadline still in
 * the future. Deadlines at or after END_NS are not counted. */
int64_t hr__rec_next_deadline(int64_t deadline_ns, int64_t now_ns, int64_t period_ns,
                              int64_t end_ns, int64_t *next_ns);

/* 1 when the tick due at DEADLINE_NS fits in a batch whose first tick was
 * due at FIRST_NS (period PERIOD_NS): the sampling time the batch covers,
 * [first, deadline + period), stays within HR__REC_BATCH_NS. A batch closes
 * as soon as the next on-time tick would not fit, so at 10 Hz and below
 * every tick is its own batch and at 100 Hz ten ticks make one. */
int hr__rec_batch_fits(int64_t first_ns, int64_t deadline_ns, int64_t period_ns);

/* Queue: the sampler takes a free slot (waiting while the writer is behind)
 * and hands it over with its DEADLINE_NS, which decides its batch (a late
 * tick that does not fit closes the open batch first; a full queue closes
 * it too); the writer is woken when a batch closes and stores slots in
 * order. */
hr__slot *hr__rec_slot_acquire(hr_recorder *rec);
void hr__rec_slot_publish(hr_recorder *rec, hr__slot *slot, int64_t deadline_ns);

/* Closes the open batch so that the writer stores it (the sampler's end).
 * The caller holds rec->mu. */
void hr__rec_close_batch_locked(hr_recorder *rec);

/* Stores N slots of the ring from index FIRST (wrapping) in one
 * transaction (RLE, ticks, events); on the writer thread, or one slot at a
 * time on the sampling thread without one. Returns the storage status. */
hr_status hr__rec_store_slots(hr_recorder *rec, uint32_t first, uint32_t n);

/* The writer thread. */
void *hr__rec_writer_main(void *arg);

/* Records the first storage failure and asks everything to stop. */
void hr__rec_fail(hr_recorder *rec, hr_status st, const char *detail);

#endif /* HR_RECORD_RECORDER_H */

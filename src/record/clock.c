/* clock.c: the recorder's real clock and its interruptible absolute sleep.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times (start + k * period), so
 * sleeping never accumulates drift. The sleep waits on a condition variable
 * bound to CLOCK_MONOTONIC with that absolute deadline: on Linux this is a
 * futex wait with an absolute monotonic timeout, the same timer as
 * clock_nanosleep(TIMER_ABSTIME), but hr_recorder_stop can wake it at once
 * instead of waiting out a tick of up to a second or more. */
#include <errno.h>
#include <time.h>

#include "record/recorder.h"

static int64_t real_now(void *user) {
    (void)user;
    return hr__now_mono_ns();
}

static int64_t real_wall(void *user) {
    (void)user;
    return hr__now_wall_ns();
}

/* Placeholder: the real clock's sleep goes through hr__rec_sleep_until,
 * which knows the recorder's condition variable. */
static void real_sleep(void *user, int64_t deadline_ns) {
    (void)user;
    (void)deadline_ns;
}

void hr__rec_real_clock(hr_recorder *rec) {
    rec->clock.now_ns = real_now;
    rec->clock.wall_ns = real_wall;
    rec->clock.sleep_until = real_sleep;
    rec->clock.user = NULL;
    rec->real_clock = 1;
}

static struct timespec ts_of(int64_t ns) {
    struct timespec ts;
    ts.tv_sec = (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

/* Waits on stop_cv until DEADLINE_NS (monotonic) with rec->mu held. */
static int timed_wait(hr_recorder *rec, int64_t deadline_ns) {
#ifdef __APPLE__
    /* macOS condition variables time out on the wall clock only; a relative
     * wait measured from the monotonic clock keeps the deadline absolute. */
    int64_t left = deadline_ns - hr__now_mono_ns();
    struct timespec rel = ts_of(left > 0 ? left : 0);
    return pthread_cond_timedwait_relative_np(&rec->stop_cv, &rec->mu, &rel);
#else
    struct timespec ts = ts_of(deadline_ns);
    return pthread_cond_timedwait(&rec->stop_cv, &rec->mu, &ts);
#endif
}

int hr__rec_sleep_until(hr_recorder *rec, int64_t deadline_ns) {
    if (!rec->real_clock) {
        rec->clock.sleep_until(rec->clock.user, deadline_ns);
        return hr__rec_stopping(rec);
    }
    pthread_mutex_lock(&rec->mu);
    while (!rec->stop && hr__now_mono_ns() < deadline_ns)
        if (timed_wait(rec, deadline_ns) == ETIMEDOUT)
            break;
    int stop = rec->stop;
    pthread_mutex_unlock(&rec->mu);
    return stop;
}

int hr__rec_stopping(hr_recorder *rec) {
    pthread_mutex_lock(&rec->mu);
    int stop = rec->stop;
    pthread_mutex_unlock(&rec->mu);
    return stop;
}

void hr__rec_request_stop(hr_recorder *rec) {
    pthread_mutex_lock(&rec->mu);
    rec->stop = 1;
    pthread_cond_broadcast(&rec->stop_cv);
    pthread_cond_broadcast(&rec->cv_space);
    pthread_mutex_unlock(&rec->mu);
}

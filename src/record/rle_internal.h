/* rle_internal.h: the pieces behind hr_rle (include/headroom/hr_rle.h): the
 * sample history with its time-window statistics, and the collapse detector.
 * Pure code: no I/O, no clock. */
#ifndef HR_RECORD_RLE_INTERNAL_H
#define HR_RECORD_RLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_rle.h"

/* One pushed sample as the windows see it. Unknown values are NAN. */
typedef struct hr__rle_entry {
    int64_t t_ns;      /* the sample's time */
    int64_t t_prev_ns; /* the previous push's time (= t_ns for the first push) */
    double util_pct;   /* utilisation over (t_prev_ns, t_ns] */
    double temp_c;     /* temperature at t_ns */
    double rle;        /* RLE_raw of this tick */
} hr__rle_entry;

/* A ring of entries, oldest first, that grows on demand. Entries are also
 * numbered by a sequence that never restarts (head_seq is the oldest's). */
typedef struct hr__rle_hist {
    hr__rle_entry *e;
    size_t cap;
    size_t head; /* index of the oldest entry */
    size_t n;
    uint64_t head_seq;
} hr__rle_hist;

/* Which value of an entry a statistic reads. */
typedef enum hr__rle_value { HR__RLE_UTIL, HR__RLE_TEMP, HR__RLE_RLE } hr__rle_value;

/* How a window summarises its value: a time-weighted mean and variance
 * (rates such as utilisation, and the RLE itself), or a least-squares line
 * (levels such as temperature). */
typedef enum hr__rle_acc_kind { HR__RLE_WEIGHTED, HR__RLE_FIT } hr__rle_acc_kind;

/* Running sums over one time window (t_now - w, t_now]. Entries are added as
 * they arrive and removed as they leave, so each push costs O(1) amortised.
 * Values and times are shifted by a reference taken at the latest rebase,
 * and the sums are rebuilt exactly once per window length, so neither
 * cancellation nor rounding drift builds up. */
typedef struct hr__rle_acc {
    hr__rle_value which;
    hr__rle_acc_kind kind;
    int64_t w_ns;
    uint64_t first; /* sequence of the oldest entry in the sums */
    uint64_t end;   /* sequence after the newest entry added */
    int have_ref;
    int rebased;
    double ref_x;        /* value shift */
    int64_t ref_t_ns;    /* time origin */
    int64_t rebased_ns;  /* when the sums were last rebuilt */
    double s0, s1, s2;   /* weighted: sum w, w*x, w*x^2; fit: n, sum y, unused */
    double st, stt, sty; /* fit: sum t, t^2, t*y */
    size_t count;        /* known values with weight in the sums */
} hr__rle_acc;

/* Time-weighted mean and population variance of one value over the window.
 * Entry i weighs the part of (t_prev_i, t_i] inside the window, so irregular
 * spacing is handled. count = entries with weight > 0 and a known value. */
typedef struct hr__rle_wstat {
    double mean;
    double var;
    double weight_s;
    size_t count;
} hr__rle_wstat;

/* Least-squares line of one value over the entries in the window: slope
 * per second, fit = the line at t_now. */
typedef struct hr__rle_fit {
    double slope;
    double fit;
    size_t count;
    int ok; /* 1 when count >= 2 and the times are not all equal */
} hr__rle_fit;

void hr__rle_hist_free(hr__rle_hist *h);

/* Appends an entry; HR_ENOMEM when the ring cannot grow (nothing changes). */
hr_status hr__rle_hist_push(hr__rle_hist *h, const hr__rle_entry *e);

/* The newest entry; the history must not be empty. */
hr__rle_entry *hr__rle_hist_last(hr__rle_hist *h);

/* Drops entries whose time is at or before T_OLDEST_NS. Every accumulator
 * must have slid past them first (hr__rle_acc_slide). */
void hr__rle_hist_trim(hr__rle_hist *h, int64_t t_oldest_ns);

void hr__rle_acc_init(hr__rle_acc *a, hr__rle_value which, hr__rle_acc_kind kind, double w_s);

/* Adds the history's newest entry (each entry exactly once, in order, after
 * its value is final). */
void hr__rle_acc_add(hr__rle_acc *a, const hr__rle_hist *h);

/* Removes entries that left the window ending at T_NOW_NS and rebuilds the
 * sums when a window length has passed since the last rebuild. */
void hr__rle_acc_slide(hr__rle_acc *a, const hr__rle_hist *h, int64_t t_now_ns);

/* The statistics of a slid accumulator (HR__RLE_WEIGHTED / HR__RLE_FIT). */
hr__rle_wstat hr__rle_acc_wstat(const hr__rle_acc *a, const hr__rle_hist *h, int64_t t_now_ns);
hr__rle_fit hr__rle_acc_fit(const hr__rle_acc *a, int64_t t_now_ns);

/* Fills DST from the caller's config: the defaults, then the first
 * SRC->size bytes of SRC (SRC NULL: the defaults only). Returns HR_EINVAL
 * when SRC->size is smaller than the size field or larger than ours. */
hr_status hr__rle_config_load(hr_rle_config *dst, const hr_rle_config *src, char *why, size_t cap);

/* The collapse detector's state. */
typedef struct hr__rle_collapse {
    double peak;       /* NAN until the first known rle_smoothed */
    int64_t t_peak_ns; /* when the peak was last decayed */
    int in_run;        /* drop AND gates have held since run_start_ns */
    int in_recover;    /* no drop OR no load has held since recover_ns */
    int in_collapse;   /* an event is open since event_start_ns */
    int reserved;
    int64_t run_start_ns;
    int64_t recover_ns;
    int64_t event_start_ns;
} hr__rle_collapse;

/* What the detector sees on a tick whose RLE is known. */
typedef struct hr__rle_tick {
    int64_t t_ns;
    int64_t t_prev_ns;
    int64_t t_first_ns; /* the first push of this hr_rle (warm-up origin) */
    const hr_rle_sample *in;
} hr__rle_tick;

/* Runs one tick with a known RLE: updates the peak, the gates, the evidence
 * and the event state, writing them into R (whose terms are already set). */
void hr__rle_collapse_tick(hr__rle_collapse *c, const hr_rle_config *cfg, const hr__rle_tick *tk,
                           hr_rle_result *r);

/* A tick without RLE: the pending runs restart, an open event stays open. */
void hr__rle_collapse_gap(hr__rle_collapse *c, hr_rle_result *r);

/* Seconds to nanoseconds, rounded. */
int64_t hr__rle_ns(double s);

#endif /* HR_RECORD_RLE_INTERNAL_H */

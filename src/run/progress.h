/* progress.h: pure parsers for the job's output: tqdm-style progress
 * segments, the segmenter that cuts a byte stream into them, and the
 * tracker that turns successive progress readings into steps of work.
 *
 * Nothing here does I/O or reads a clock: times come from the caller. */
#ifndef HR_RUN_PROGRESS_H
#define HR_RUN_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_status.h"

/* The most name=number pairs kept from a bar's postfix. */
#define HR__PROGRESS_MAX_POSTFIX 8
#define HR__PROGRESS_NAME_CAP 48
/* The longest segment the segmenter keeps; longer ones are no progress lines. */
#define HR__SEGMENT_CAP 1024

/* One progress reading, as tqdm (and diffusers, HF Trainer and Lightning,
 * which print through tqdm) writes it:
 *   "desc:  42%|####      | 21/50 [00:10<00:12,  2.05it/s, loss=0.3]"
 *   "desc: 123it [00:01, 98.76it/s]"  (no total)
 *   " 10%|#         | 1/10 [00:04<00:36,  4.02s/it]" (inverse rate) */
typedef struct hr__progress {
    int64_t n;          /* units done so far (an integer count) */
    int64_t total;      /* -1 when the bar has no total */
    double rate;        /* units per second as printed (s/unit inverted); NAN for "?" */
    double elapsed_s;   /* the bar's elapsed time */
    char unit[16];      /* "it", "img", ... */
    char desc[64];      /* the text before the percentage or count, trimmed, ": " dropped */
    size_t npostfix;
    char names[HR__PROGRESS_MAX_POSTFIX][HR__PROGRESS_NAME_CAP];
    double values[HR__PROGRESS_MAX_POSTFIX]; /* finite numbers only */
} hr__progress;

/* Parses one segment S (N bytes, no '\r' or '\n'; escape sequences already
 * removed). Returns HR_OK with OUT filled when S is a progress reading of
 * countable work, HR_ENOENT otherwise: not a progress line, a count with a
 * scaled suffix ("2.24G/4.98G"), or a byte/data-set bar (unit "B", "kB",
 * "MiB", "examples", "ba") that is not the job's own work. Never reads past
 * S + N. */
hr_status hr__progress_parse(const char *s, size_t n, hr__progress *out);

/* --- segmenter --- */

/* Cuts a byte stream into segments at '\r' and '\n', dropping ANSI escape
 * sequences (CSI "ESC [ ... final", OSC "ESC ] ... BEL/ST", two-byte ESC x).
 * A segment longer than HR__SEGMENT_CAP is discarded whole. Zero it to start. */
typedef struct hr__segmenter {
    char buf[HR__SEGMENT_CAP];
    size_t len;
    int overflow;   /* the current segment is too long: skip to its end */
    int esc;        /* escape-sequence state */
} hr__segmenter;

typedef void (*hr__segment_fn)(void *user, const char *s, size_t n);

/* Feeds N bytes; calls EMIT for each complete non-empty segment. */
void hr__segmenter_feed(hr__segmenter *sg, const char *data, size_t n, hr__segment_fn emit,
                        void *user);

/* --- tracker --- */

#define HR__TRACK_BARS 8

/* A bar the tracker follows: identified by its description and total. */
typedef struct hr__bar {
    char desc[64];
    int64_t total;
    int64_t n;
    int64_t last_advance_ns; /* when n last grew (or the bar (re)started) */
    int64_t last_seen_ns;
    uint64_t advances;
    int finished;            /* n reached total (kept for the record) */
    int64_t base_n;          /* n and time when the bar was first seen or restarted */
    int64_t base_ns;
    int counted;             /* a step has been emitted from this bar since its base */
    int interleaved;         /* another bar was read since its base */
} hr__bar;

/* Follows the bars in the output and emits steps from one of them, the
 * primary: the first bar to advance twice. Another bar (advanced twice)
 * takes over when it has advanced more often than the primary, or when the
 * primary has not advanced for HR__TRACK_STALE_NS: a loading bar gives way
 * to the work that follows, an epoch bar never to its validation bar. A
 * step is n growing; its units are the growth. The first step of a bar
 * since it was first seen (or restarted) covers all its growth since then,
 * from the time it was seen, unless another bar was read in between: the
 * advances it made before it became the primary are work too (a job's
 * first unit is not lost). A bar whose n goes down
 * restarted (diffusers prints one 0..25 bar per image): it counts from 0
 * again. Bars are told apart by description (digit runs folded, so that
 * "Epoch 3" continues "Epoch 2") and total. */
#define HR__TRACK_STALE_NS (120LL * 1000000000LL)

typedef struct hr__tracker {
    hr__bar bars[HR__TRACK_BARS];
    size_t nbars;
    int primary;            /* index into bars, -1 none */
    int64_t last_other_ns;  /* latest reading of any bar other than the primary */
    uint64_t readings;
} hr__tracker;

/* A step from the primary bar. */
typedef struct hr__track_step {
    int64_t index;     /* the bar's n after the step */
    int64_t total;     /* -1 when none */
    double units;      /* growth of n */
    int64_t start_ns;  /* when the step began: the primary's previous advance (or start),
                        * or a later reading of another bar (work in between is not the step's) */
    int64_t t_ns;
    int switched;      /* 1 on the first step of a new primary bar */
} hr__track_step;

/* Starts an empty tracker. */
void hr__tracker_init(hr__tracker *t);

/* Feeds reading P seen at T_NS. Returns 1 and fills OUT when it is a step of
 * the primary bar, else 0. */
int hr__tracker_feed(hr__tracker *t, const hr__progress *p, int64_t t_ns, hr__track_step *out);

#endif /* HR_RUN_PROGRESS_H */

/* hr_record.h: the recorder (a sampling thread that writes a session on a
 * steady cadence), and session export and import.
 *
 * A recorder refreshes a probe on absolute CLOCK_MONOTONIC deadlines
 * (start + k / hz: no drift). A deadline that has already passed when the
 * previous tick's work ends is skipped and counted as missed, never made up
 * with a burst of late ticks. Each tick flattens the probe into the
 * session's channels (fixed at start; a sensor that disappears later is
 * recorded as missing) and is stored by default on a writer thread so that
 * storage stalls never delay sampling: one transaction per tick at 10 Hz
 * and below, one per batch of up to 100 ms of ticks above (group commit;
 * without the writer thread, one per tick). With RLE on,
 * each component (CPU package, each GPU) gets its efficiency index and the
 * gated collapse detector every tick (hr_rle.h); collapses become events.
 *
 * Durability: WAL with synchronous=NORMAL per transaction, and a
 * synchronous=FULL commit once a second. A killed recorder (kill -9) loses
 * at most the tick in flight and the ticks still queued for the writer (the
 * open batch, at most 100 ms, and at most the queue when storage stalls);
 * an operating-system crash loses at most about a second.
 * Reopening the session afterwards marks it interrupted at its last tick.
 *
 * Thread safety: hr_recorder_add_step, hr_recorder_add_event,
 * hr_recorder_stats, hr_recorder_latest and hr_recorder_now_ns may be
 * called from any thread while the recorder runs. hr_recorder_stop must be
 * called once, by one thread. While a recorder runs on a session, write to
 * that session only through the recorder; the probe and the context are the
 * recorder's until it stops. */
#ifndef HR_RECORD_H
#define HR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_rle.h"
#include "hr_session.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The fastest cadence a recorder accepts. */
#define HR_RECORD_MAX_HZ 1000.0

/* A clock for the recorder. Tests inject one to run a recorder through
 * hours of simulated time without sleeping. */
typedef struct hr_clock {
    int64_t (*now_ns)(void *user);  /* monotonic nanoseconds */
    int64_t (*wall_ns)(void *user); /* UTC nanoseconds; NULL: CLOCK_REALTIME */
    /* Returns at or after DEADLINE_NS on the now_ns scale. It may return
     * early; the recorder then checks whether it was asked to stop. */
    void (*sleep_until)(void *user, int64_t deadline_ns);
    void *user;
} hr_clock;

typedef struct hr_record_config {
    size_t size;              /* sizeof(hr_record_config) as the caller was built */
    double hz;                /* ticks per second, (0, HR_RECORD_MAX_HZ]; default 1 */
    int64_t duration_ns;      /* stop by itself after this long; 0 (default): until stopped */
    int32_t writer_thread;    /* 1 (default): a writer thread stores ticks; 0: the sampling thread does */
    int32_t rle;              /* 1 (default): RLE and collapse detection per component */
    hr_rle_config rle_cpu;    /* the CPU package's thresholds (hr_rle_config_defaults) */
    hr_rle_config rle_gpu;    /* every GPU's (defaults with the GPU normalisation constants) */
    uint32_t queue_ticks;     /* ticks the writer may fall behind; 0 (default): 2 s worth, >= 16 */
    int32_t channel_events;   /* 1 (default): an event when a channel goes missing or comes back */
    const hr_clock *clock;    /* NULL (default): the real monotonic clock */
    hr_probe *probe;          /* NULL (default): the recorder opens its own probe on the context */
    /* Re-reads PROBE each tick; NULL (default): hr_probe_refresh. */
    hr_status (*refresh)(hr_probe *probe, void *user);
    void *refresh_user;
} hr_record_config;

/* Fills C with the defaults above (RLE configs from hr_rle_config_defaults). */
HR_EXTERN void hr_record_config_defaults(hr_record_config *c);

typedef struct hr_recorder hr_recorder;

/* The recorder's figures so far. Latencies are percentiles of a histogram
 * (within about 6 %); 0 before the first tick. */
typedef struct hr_record_stats {
    size_t size;              /* set by the caller: sizeof(hr_record_stats), or 0 for all */
    int32_t running;          /* 1 while the sampling thread runs */
    int32_t status;           /* HR_OK, or the error that stopped recording (see error) */
    int64_t ticks;            /* ticks sampled */
    int64_t written;          /* ticks committed to the session */
    int64_t missed;           /* deadlines skipped because the previous tick ran late */
    int64_t start_mono_ns;    /* the first deadline */
    int64_t last_mono_ns;     /* the latest tick's time */
    double requested_hz;
    double achieved_hz;       /* (ticks - 1) / (last tick - first tick); NaN under 2 ticks */
    int64_t lateness_p50_ns;  /* how long after its deadline a tick woke */
    int64_t lateness_p99_ns;
    int64_t lateness_max_ns;
    int64_t sample_p50_ns;    /* probe refresh + flattening, per tick */
    int64_t sample_p99_ns;
    int64_t commit_p50_ns;    /* storing one transaction (begin .. commit): a tick, or a batch
                               * of up to 100 ms of ticks above 10 Hz */
    int64_t commit_p99_ns;
    int64_t commit_max_ns;
    int64_t queue_max;        /* most ticks that waited for the writer at once */
    size_t channels;
    char error[256];          /* detail of `status` */
} hr_record_stats;

/* Starts recording into SESSION (freshly created: no channels yet) with
 * CONFIG (NULL: defaults). Opens a probe on CTX unless config->probe is
 * given, adds the channels, writes the start metadata (host inventory,
 * requested rate, sampler settings) and starts the thread(s). Returns
 * HR_OK; HR_EINVAL (bad config: hz out of range, negative duration, an
 * invalid RLE config; the detail is on CTX); HR_ESTATE (the session already
 * has channels or is read-only); HR_ESTORE; HR_ENOMEM; the probe's errors. */
HR_EXTERN hr_status hr_recorder_start(hr_ctx *ctx, hr_session *session,
                                      const hr_record_config *config, hr_recorder **out);

/* Records one step of the job, ending now: INDEX is the job's step number,
 * UNITS its units of work (NaN when unknown), NAMES/VALUES N numbers it
 * reported. The duration is the time since the previous step (or since the
 * start). Returns HR_OK, HR_EINVAL, HR_ESTATE (stopped), HR_ESTORE. */
HR_EXTERN hr_status hr_recorder_add_step(hr_recorder *rec, int64_t index, double units,
                                         const char *const *names, const double *values,
                                         size_t n);

/* Records an event (see hr_session_add_event); times on the recorder's
 * clock (hr_recorder_now_ns). Returns as hr_session_add_event, or
 * HR_ESTATE when stopped. */
HR_EXTERN hr_status hr_recorder_add_event(hr_recorder *rec, const char *kind,
                                          int64_t start_mono_ns, int64_t end_mono_ns,
                                          const char *detail);

/* The recorder's clock now (monotonic ns). */
HR_EXTERN int64_t hr_recorder_now_ns(hr_recorder *rec);

/* Fills STATS. Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_recorder_stats(hr_recorder *rec, hr_record_stats *stats);

/* The latest stored tick's reading of channel COMPONENT/METRIC (e.g. "cpu",
 * "util") in its stored unit; above 10 Hz ticks are stored a batch (up to
 * 100 ms) at a time. Returns HR_OK, HR_ENOENT (no such channel), HR_EINVAL. */
HR_EXTERN hr_status hr_recorder_latest(hr_recorder *rec, const char *component,
                                       const char *metric, hr_reading *out);

/* Waits up to TIMEOUT_NS (real time; < 0 waits forever) for the sampling
 * thread to end by itself (duration reached, or a storage error). Returns
 * HR_OK when it has ended, HR_ETIMEDOUT, HR_EINVAL. */
HR_EXTERN hr_status hr_recorder_wait(hr_recorder *rec, int64_t timeout_ns);

/* Stops sampling, stores what is queued, marks the session finished (end =
 * now, achieved rate, missed ticks) and frees the recorder. The session
 * stays open for the caller. Returns HR_OK, or the first error met while
 * recording or finishing (its detail is on the session). NULL is allowed. */
HR_EXTERN hr_status hr_recorder_stop(hr_recorder *rec);

/* --- export and import --- */

typedef enum hr_export_format {
    HR_EXPORT_CSV = 0,     /* wide: one row per tick, one column per channel, base units */
    HR_EXPORT_JSONL = 1,   /* one JSON object per tick with the same keys as the CSV columns */
    HR_EXPORT_RLE_CSV = 2  /* seed 004's 19-column layout, one row per component and tick */
} hr_export_format;

/* What CSV and JSONL exports write (rle-csv always writes ticks). */
typedef enum hr_export_table {
    HR_EXPORT_TICKS = 0,   /* one row per tick: tick, time_utc, t_s, then one column per channel */
    HR_EXPORT_STEPS = 1,   /* one row per step: step, index, time_utc, t_s, duration_s, units,
                            * then one column per reported name */
    HR_EXPORT_EVENTS = 2   /* one row per event: id, kind, start/end (UTC and s), duration_s, detail */
} hr_export_table;

typedef struct hr_export_options {
    size_t size;           /* sizeof(hr_export_options) as the caller was built */
    int32_t format;        /* hr_export_format (default CSV) */
    int32_t table;         /* hr_export_table (default ticks) */
    int32_t gpu;           /* rle-csv: the GPU whose rows are written (the layout knows one
                            * "gpu" device); default 0; -1 for CPU rows only */
    int32_t reserved;
} hr_export_options;

/* Fills O with the defaults (CSV, ticks, GPU 0). */
HR_EXTERN void hr_export_options_defaults(hr_export_options *o);

/* Writes session S to file descriptor FD (not closed) in OPT's format
 * (NULL: the defaults). *ROWS (may be NULL) gets the data rows written.
 * Every row has the same columns; a value missing on a row is an empty
 * field (CSV) or null (JSONL), never 0. Tick values are in base units
 * (celsius, watts, ratio, ...; the column name says which: "cpu/temp[celsius]").
 * Returns HR_OK, HR_EINVAL, HR_EIO (write failed; detail on S), HR_ESTORE,
 * HR_ENOMEM. */
HR_EXTERN hr_status hr_session_export(hr_session *s, const hr_export_options *opt, int fd,
                                      int64_t *rows);

/* What an import read and skipped. */
typedef struct hr_import_stats {
    size_t size;              /* set by the caller */
    int64_t lines;            /* lines in the file */
    int64_t rows;             /* data rows read */
    int64_t imported;         /* rows stored */
    int64_t ticks;            /* ticks made (a CPU and a GPU row of one time share a tick) */
    int64_t junk;             /* lines skipped as unreadable */
    int64_t repeated;         /* rows skipped: same device and time as the previous row */
    int64_t backwards;        /* rows skipped: earlier than the previous row of that device */
    int64_t headers;          /* header lines (more than one: concatenated files) */
    int64_t collapses;        /* collapse events made from runs of collapse = 1 */
    int64_t first_junk_line;  /* 0 when no junk */
    char first_junk_why[128];
    int32_t columns;          /* the layout's column count (16, 19, 42, ...) */
    int32_t reserved;
} hr_import_stats;

/* Imports a seed-004 RLE CSV (16-, 19- or 42-column layouts; see
 * docs/SESSION.md) from CSV_PATH into S, a freshly created session (no
 * channels yet), and finishes it. Imported sessions have no monotonic
 * clock: their t_mono_ns is the UTC time (meta "time_base" = "wall").
 * Returns HR_OK (also when some lines were junk: see STATS); HR_EINVAL;
 * HR_ENOENT / HR_EIO (cannot read CSV_PATH); HR_EPARSE (no row could be
 * read); HR_ESTATE; HR_ESTORE; HR_ENOMEM. The detail is on S. */
HR_EXTERN hr_status hr_session_import_rle_csv(hr_session *s, const char *csv_path,
                                              hr_import_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* HR_RECORD_H */

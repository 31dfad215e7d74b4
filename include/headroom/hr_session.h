/* hr_session.h: the session store: one file per recording, holding the
 * host's metadata, the channels, one row of readings per tick, the job's
 * steps and the events, on one timeline. `record`, `run`, `report`,
 * `export` and the Python binding all read and write sessions through this
 * API; the file format (SQLite, WAL) and its SQL views are documented in
 * docs/SESSION.md, so a person can also query a session with any SQLite
 * client.
 *
 * Values are stored as integers in the channel's unit (the unit named by the
 * hr_probe field they come from: "mc", "mw", "ppm", "bytes", ...); each
 * channel also carries its base unit and the scale that converts to it.
 * A reading that is unknown on a tick is not stored: reading it back gives
 * an unknown hr_reading (HR_WHY_ABSENT), never 0.
 *
 * Errors: every call returns hr_status. Storage failures return HR_ESTORE
 * and leave a detail naming the file, the SQLite extended result code and,
 * when the operating system said why, errno ("disk full", "read-only file
 * system", "permission denied"). Failures of create/open are described on
 * the context (hr_ctx_last_error); failures on an open session on the
 * session (hr_session_last_error).
 *
 * Thread safety: calls on one hr_session are serialised by a lock inside
 * it, so several threads may add steps and events. A tick's transaction
 * spans hr_session_begin_tick .. hr_session_commit_tick; rows added by any
 * thread in between belong to that transaction. Distinct sessions are
 * independent. Do not open the same file twice for writing. */
#ifndef HR_SESSION_H
#define HR_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema this library writes (PRAGMA user_version and meta
 * "schema_version"). A file with a newer schema is refused with HR_ENOTSUP. */
#define HR_SESSION_SCHEMA_VERSION 1

/* Channel ids are 1 .. HR_SESSION_MAX_CHANNELS. */
#define HR_SESSION_MAX_CHANNELS 4095

/* Flags of hr_session_create and hr_session_open. */
#define HR_SESSION_OVERWRITE 0x1u /* create: replace an existing file */
#define HR_SESSION_READONLY 0x2u  /* open: never write (no recovery of an unfinished session) */

typedef enum hr_session_state {
    HR_SESSION_RUNNING = 0,     /* a writer is (or was, until it died) recording */
    HR_SESSION_FINISHED = 1,    /* hr_session_finish was called */
    HR_SESSION_INTERRUPTED = 2  /* the writer died or closed without finishing */
} hr_session_state;

typedef struct hr_session hr_session;

/* One channel: (component, metric) is unique in a session. */
typedef struct hr_channel {
    int32_t id;            /* 1.. in creation order; tick arrays are indexed by id - 1 */
    int32_t reserved;
    char component[48];    /* "cpu", "cpu3", "gpu0", "mem", "coretemp", ... */
    char metric[64];       /* "util", "temp", "Package id 0", ... */
    char unit[16];         /* stored unit: "ppm", "mc", "mw", "mhz", "bytes", "ns", ... */
    char base_unit[16];    /* "ratio", "celsius", "watts", "hertz", "bytes", "seconds", ... */
    double scale;          /* value in base_unit = stored value * scale */
    char label[96];        /* where the values come from, in words; may be "" */
} hr_channel;

/* A session's summary. Times are CLOCK_MONOTONIC (_mono_ns) and UTC
 * (_wall_ns) nanoseconds; end times are 0 while the session is running. */
typedef struct hr_session_info {
    size_t size;               /* sizeof(hr_session_info) as the library built it */
    int32_t state;             /* hr_session_state, as recovered (see hr_session_open) */
    int32_t schema_version;
    int64_t start_mono_ns;
    int64_t start_wall_ns;
    int64_t end_mono_ns;       /* finished: the finish time; interrupted: the last tick's time */
    int64_t end_wall_ns;
    double requested_hz;       /* 0 when not recorded */
    double achieved_hz;        /* (ticks - 1) / (last tick - first tick); NaN under 2 ticks */
    int64_t ticks;             /* rows in the tick table */
    int64_t missed_ticks;      /* deadlines the sampler skipped */
    int64_t steps;
    int64_t events;
    size_t nchannels;
} hr_session_info;

/* Creates a new session file at PATH (WAL, schema HR_SESSION_SCHEMA_VERSION,
 * state "running", this process as its writer). FLAGS: 0 or
 * HR_SESSION_OVERWRITE. Returns HR_OK; HR_EINVAL (NULL arguments, PATH
 * exists without HR_SESSION_OVERWRITE); HR_ESTORE (cannot create or write:
 * read-only directory or file system, disk full; the detail on CTX says
 * which); HR_ENOMEM. On failure nothing is left at PATH. */
HR_EXTERN hr_status hr_session_create(hr_ctx *ctx, const char *path, unsigned flags,
                                      hr_session **out);

/* Opens an existing session. Without HR_SESSION_READONLY, a session left
 * "running" by a writer that no longer exists (killed, crashed, machine
 * rebooted) is marked "interrupted" with its real end, the time of its last
 * tick; a read-only open reports the same state and end without writing.
 * A session whose writer is still alive is opened as it is (state running).
 * If the file cannot be opened for writing (read-only file or file system),
 * it is opened read-only. Returns HR_OK; HR_EINVAL; HR_ENOENT (no such
 * file); HR_EPARSE (not a headroom session); HR_ENOTSUP (written by a newer
 * schema); HR_ESTORE (SQLite failure, detail on CTX); HR_ENOMEM. */
HR_EXTERN hr_status hr_session_open(hr_ctx *ctx, const char *path, unsigned flags,
                                    hr_session **out);

/* Closes the session. A writer that closes a running session without
 * hr_session_finish marks it interrupted (end = last tick). Returns HR_OK, or
 * HR_ESTORE when that last write or the close failed (the session is freed
 * in every case; the detail is lost with it, so call hr_session_finish
 * first when the outcome matters). NULL is allowed. */
HR_EXTERN hr_status hr_session_close(hr_session *s);

/* The detail of the latest failure on S ("" if none). Valid until the next
 * call on S from the same thread. */
HR_EXTERN const char *hr_session_last_error(const hr_session *s);

/* The file's path as given to create/open. */
HR_EXTERN const char *hr_session_path(const hr_session *s);

/* 1 when S was opened read-only (by flag or because the file is not writable). */
HR_EXTERN int hr_session_readonly(const hr_session *s);

/* --- channels --- */

/* Adds a channel. COMPONENT and METRIC are non-empty (at most 47 and 63
 * bytes); UNIT and BASE_UNIT non-empty (at most 15); SCALE finite and not 0;
 * LABEL may be NULL. *ID (may be NULL) receives the new id. Returns HR_OK,
 * HR_EINVAL (bad argument, duplicate (component, metric), more than
 * HR_SESSION_MAX_CHANNELS), HR_ESTATE (read-only), HR_ESTORE, HR_ENOMEM. */
HR_EXTERN hr_status hr_session_add_channel(hr_session *s, const char *component,
                                           const char *metric, const char *unit,
                                           const char *base_unit, double scale,
                                           const char *label, int32_t *id);

/* Number of channels. */
HR_EXTERN size_t hr_session_channel_count(const hr_session *s);

/* Channel I (0-based, i.e. id I + 1), or NULL when out of range. The pointer
 * is valid until the next hr_session_add_channel or hr_session_close. */
HR_EXTERN const hr_channel *hr_session_channel(const hr_session *s, size_t i);

/* The id of (COMPONENT, METRIC), or 0 when there is none. */
HR_EXTERN int32_t hr_session_find_channel(const hr_session *s, const char *component,
                                          const char *metric);

/* --- ticks --- */

/* Starts a tick at T_MONO_NS / T_WALL_NS and opens its transaction. *TICK
 * (may be NULL) receives the tick's number (0, 1, 2, ... in the file). Times
 * must not go back: T_MONO_NS must exceed the previous tick's. Returns HR_OK,
 * HR_EINVAL, HR_ESTATE (a tick already open, or read-only), HR_ESTORE. */
HR_EXTERN hr_status hr_session_begin_tick(hr_session *s, int64_t t_mono_ns, int64_t t_wall_ns,
                                          int64_t *tick);

/* Stores VALUE (in the channel's unit) for CHANNEL on the open tick. Returns
 * HR_OK, HR_EINVAL (unknown channel, or the channel already has a value on
 * this tick), HR_ESTATE (no tick open), HR_ESTORE. */
HR_EXTERN hr_status hr_session_put(hr_session *s, int32_t channel, int64_t value);

/* Commits the open tick. On HR_ESTORE the tick is rolled back (nothing of it
 * is stored) and no tick is open any more. Returns HR_OK, HR_ESTATE (no tick
 * open), HR_ESTORE. */
HR_EXTERN hr_status hr_session_commit_tick(hr_session *s);

/* Rolls the open tick back. No-op when none is open. */
HR_EXTERN void hr_session_abort_tick(hr_session *s);

/* One tick in one call: VALUES[i] is channel id i + 1 (N at most the channel
 * count); unknown readings are not stored. Same returns as the three calls. */
HR_EXTERN hr_status hr_session_write_tick(hr_session *s, int64_t t_mono_ns, int64_t t_wall_ns,
                                          const hr_reading *values, size_t n, int64_t *tick);

/* How often a commit is made durable against an operating-system crash or
 * power loss (WAL synced with synchronous=FULL); the commits in between use
 * synchronous=NORMAL, which survives a crash of the process (kill -9) but
 * not of the machine. Default 1 s; 0 syncs every commit. Returns HR_OK or
 * HR_EINVAL (negative). */
HR_EXTERN hr_status hr_session_set_sync_interval(hr_session *s, int64_t interval_ns);

/* --- steps and events --- */

/* One step of the job. NAMES[i] / VALUES[i] are the numbers it reported
 * (loss, grad_norm, lr, ...); NaN values are stored as unknown (NULL). */
typedef struct hr_step {
    int64_t index;             /* the job's own step number */
    int64_t t_mono_ns;         /* when the step ended */
    int64_t t_wall_ns;
    int64_t duration_ns;       /* < 0 when unknown */
    double units;              /* units of work in the step (images, samples); NaN if unknown */
    size_t nvalues;
    const char *const *names;
    const double *values;
} hr_step;

/* Stores a step. Names are non-empty and unique within the step. Returns
 * HR_OK, HR_EINVAL, HR_ESTATE (read-only), HR_ESTORE. */
HR_EXTERN hr_status hr_session_add_step(hr_session *s, const hr_step *step);

/* One event: a cooling break, throttle onset, a collapse, a user mark. */
typedef struct hr_event {
    int64_t id;
    char kind[32];             /* "collapse", "cooling_break", "mark", "channel_missing", ... */
    int64_t start_mono_ns;
    int64_t end_mono_ns;       /* 0 when open-ended (not ended when recording stopped) */
    const char *detail;        /* in words; never NULL */
} hr_event;

/* Stores an event. KIND is non-empty (at most 31 bytes); END_MONO_NS is 0 for
 * an event still open, else >= START_MONO_NS. *ID (may be NULL) receives its
 * id. Returns HR_OK, HR_EINVAL, HR_ESTATE (read-only), HR_ESTORE. */
HR_EXTERN hr_status hr_session_add_event(hr_session *s, const char *kind, int64_t start_mono_ns,
                                         int64_t end_mono_ns, const char *detail, int64_t *id);

/* Sets the end of event ID. Returns HR_OK, HR_EINVAL (no such event, or END
 * before its start), HR_ESTATE, HR_ESTORE. */
HR_EXTERN hr_status hr_session_end_event(hr_session *s, int64_t id, int64_t end_mono_ns);

/* --- metadata --- */

/* Sets meta KEY (non-empty, at most 63 bytes) to a text, integer or real
 * value. Well-known keys are listed in docs/SESSION.md; others are free.
 * Returns HR_OK, HR_EINVAL, HR_ESTATE (read-only), HR_ESTORE. */
HR_EXTERN hr_status hr_session_set_meta(hr_session *s, const char *key, const char *value);
HR_EXTERN hr_status hr_session_set_meta_i64(hr_session *s, const char *key, int64_t value);
HR_EXTERN hr_status hr_session_set_meta_f64(hr_session *s, const char *key, double value);

/* Reads meta KEY as text into *OUT (malloc'd, free with hr_free). Returns
 * HR_OK, HR_ENOENT (no such key), HR_EINVAL, HR_ESTORE, HR_ENOMEM. */
HR_EXTERN hr_status hr_session_get_meta(hr_session *s, const char *key, char **out);

/* Sets tag KEY=VALUE (a --tag k=v). KEY non-empty, at most 63 bytes. */
HR_EXTERN hr_status hr_session_set_tag(hr_session *s, const char *key, const char *value);

/* Marks the session finished at END_MONO_NS / END_WALL_NS and records the
 * sampler's figures (REQUESTED_HZ may be 0 when not applicable; MISSED_TICKS
 * the deadlines it skipped). Returns HR_OK, HR_ESTATE, HR_ESTORE. */
HR_EXTERN hr_status hr_session_finish(hr_session *s, int64_t end_mono_ns, int64_t end_wall_ns,
                                      double requested_hz, int64_t missed_ticks);

/* Fills INFO (set info->size first, or 0 for the full struct). Returns HR_OK,
 * HR_EINVAL, HR_ESTORE. */
HR_EXTERN hr_status hr_session_info_get(hr_session *s, hr_session_info *info);

/* The whole metadata as a JSON object: every meta key (host inventory
 * parsed as an object), tags, channels, and the summary of
 * hr_session_info_get. *OUT is malloc'd; free with hr_free. INDENT 0 writes
 * one line. Returns HR_OK, HR_EINVAL, HR_ESTORE, HR_ENOMEM. */
HR_EXTERN hr_status hr_session_meta_json(hr_session *s, int indent, char **out);

/* --- reading back --- */

typedef struct hr_tick_cursor hr_tick_cursor;

/* One tick as read back: VALUES[i] is channel id i + 1; a value missing on
 * that tick is unknown with HR_WHY_ABSENT. The array is owned by the cursor
 * and valid until the next call on it. */
typedef struct hr_tick_row {
    int64_t tick;
    int64_t t_mono_ns;
    int64_t t_wall_ns;
    size_t n;
    const hr_reading *values;
} hr_tick_row;

/* Opens a cursor over the ticks in order. Returns HR_OK, HR_EINVAL,
 * HR_ESTORE, HR_ENOMEM. Do not write ticks to S while a cursor is open. */
HR_EXTERN hr_status hr_session_ticks(hr_session *s, hr_tick_cursor **out);

/* Moves to the next tick. Returns HR_OK (ROW filled), HR_ENOENT (no more),
 * HR_ESTORE (the detail is on the session). */
HR_EXTERN hr_status hr_tick_cursor_next(hr_tick_cursor *c, hr_tick_row *row);

/* Frees the cursor. NULL is allowed. */
HR_EXTERN void hr_tick_cursor_free(hr_tick_cursor *c);

typedef struct hr_step_cursor hr_step_cursor;

/* Steps in the order they were added; STEP's names and values are owned by
 * the cursor and valid until the next call. Same returns as the tick cursor. */
HR_EXTERN hr_status hr_session_steps(hr_session *s, hr_step_cursor **out);
HR_EXTERN hr_status hr_step_cursor_next(hr_step_cursor *c, hr_step *step);
HR_EXTERN void hr_step_cursor_free(hr_step_cursor *c);

typedef struct hr_event_cursor hr_event_cursor;

/* Events by start time; EV's detail is owned by the cursor and valid until
 * the next call. Same returns as the tick cursor. */
HR_EXTERN hr_status hr_session_events(hr_session *s, hr_event_cursor **out);
HR_EXTERN hr_status hr_event_cursor_next(hr_event_cursor *c, hr_event *ev);
HR_EXTERN void hr_event_cursor_free(hr_event_cursor *c);

/* The state's name: "running", "finished", "interrupted"; "unknown" else. */
HR_EXTERN const char *hr_session_state_name(int state);

#ifdef __cplusplus
}
#endif

#endif /* HR_SESSION_H */

/* store.h: the session store's internals, shared by the files of src/store.
 * SQLite appears here and in the files of src/store only. */
#ifndef HR_STORE_STORE_H
#define HR_STORE_STORE_H

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>

#include "core/internal.h"
#include "headroom/hr_session.h"

/* A sample's key packs the tick and the channel: tick << HR__CHANNEL_BITS |
 * channel. One integer primary key keeps a reading at about 12 bytes on
 * disk (docs/SESSION.md, "Size"). */
#define HR__CHANNEL_BITS 12
#define HR__CHANNEL_MASK ((1 << HR__CHANNEL_BITS) - 1)

/* The file's application_id ("hrs1"): marks a headroom session. */
#define HR__SESSION_APP_ID 0x68727331

/* Prepared statements, created once per connection. */
typedef enum hr__stmt {
    HR__ST_BEGIN = 0,
    HR__ST_COMMIT,
    HR__ST_ROLLBACK,
    HR__ST_SYNC_FULL,
    HR__ST_SYNC_NORMAL,
    HR__ST_TICK,
    HR__ST_SAMPLE,
    HR__ST_META,
    HR__ST_STEP,
    HR__ST_STEP_VALUE,
    HR__ST_EVENT,
    HR__ST_EVENT_END,
    HR__ST_COUNT
} hr__stmt;

struct hr_session {
    sqlite3 *db;
    char path[PATH_MAX];
    pthread_mutex_t mu;
    int readonly;            /* opened read-only */
    int writer;              /* this handle owns the "running" state (created or recovered it) */
    int finished;            /* hr_session_finish succeeded on this handle */
    int in_tick;             /* a tick is open (its own transaction, or inside a batch) */
    int in_batch;            /* a batch transaction is open (hr__session_begin_batch) */
    int64_t batch_next_tick; /* next_tick and the latest tick's times when the batch began: */
    int64_t batch_last_mono_ns; /* restored when it is rolled back */
    int64_t batch_last_wall_ns;
    int64_t prev_mono_ns;    /* the latest committed tick's times while a tick is open: */
    int64_t prev_wall_ns;    /* restored when it is rolled back */
    int64_t next_tick;       /* number the next tick gets */
    int64_t last_mono_ns;    /* the latest tick's times (0 before the first) */
    int64_t last_wall_ns;
    int64_t sync_interval_ns;
    int64_t last_sync_ns;    /* CLOCK_MONOTONIC of the latest FULL commit */
    int full_tx;             /* the open transaction runs with synchronous=FULL */
    uint8_t *put_mask;       /* channels given a value on the open tick, one bit each */
    hr_channel *chans;
    size_t nchans;
    size_t chans_cap;
    sqlite3_stmt *st[HR__ST_COUNT];
    char err[HR__ERR_CAP];
    int err_code;            /* SQLite extended code of the latest failure */
};

/* Builds the detail of a failed SQLite call RC made while doing WHAT into
 * BUF: "PATH: WHAT: message (SQLite code NAME; errno: text)", with a plain
 * sentence first for disk full, read-only and permission failures. */
void hr__store_describe(sqlite3 *db, int rc, const char *path, const char *what, char *buf,
                        size_t cap);

/* Records a failed SQLite call on the session; returns HR_ESTORE. */
hr_status hr__store_fail(hr_session *s, int rc, const char *what);

/* Records a failure of another kind on the session; returns STATUS. */
hr_status hr__session_fail(hr_session *s, hr_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rolls back an open tick or batch (none: nothing), so that the session
 * ends at its last committed tick. The caller holds the lock. */
void hr__session_rollback_open_locked(hr_session *s);

/* Runs SQL (no result rows) on DB. Returns the SQLite code. */
int hr__store_exec(sqlite3 *db, const char *sql);

/* Steps a prepared statement that returns no rows and resets it; returns
 * SQLITE_OK or the failing code. */
int hr__store_step_done(sqlite3_stmt *st);

/* Schema: creates the tables and views of HR_SESSION_SCHEMA_VERSION in an
 * empty database. Returns the SQLite code. */
int hr__schema_create(sqlite3 *db);

/* Checks that DB is a headroom session this library can read: *VERSION gets
 * its schema version, *RC the SQLite code of reading the header. Returns
 * HR_OK, HR_EPARSE (not a session), HR_ENOTSUP (newer schema) or HR_ESTORE
 * (could not read); DETAIL (capacity CAP) says why. */
hr_status hr__schema_check(sqlite3 *db, int *version, int *rc, char *detail, size_t cap);

/* Prepares the statements of a writable session. Returns the SQLite code. */
int hr__store_prepare(hr_session *s);

/* Loads the channel table into s->chans. Returns the SQLite code. */
int hr__store_load_channels(hr_session *s);

/* Meta read helpers: the integer/real value of KEY, or DEF when absent or
 * not a number. */
int64_t hr__meta_i64(sqlite3 *db, const char *key, int64_t def);
double hr__meta_f64(sqlite3 *db, const char *key, double def);

/* Writes meta KEY with a bound value through the prepared statement; the
 * caller holds the lock. Returns the SQLite code. */
int hr__meta_put_text(hr_session *s, const char *key, const char *value);
int hr__meta_put_i64(hr_session *s, const char *key, int64_t value);
int hr__meta_put_f64(hr_session *s, const char *key, double value);

/* The last tick's number and times; *N gets the tick count. Returns the
 * SQLite code; with no ticks *N is 0 and the times are 0. */
int hr__store_last_tick(sqlite3 *db, int64_t *n, int64_t *last_tick, int64_t *mono_ns,
                        int64_t *wall_ns, int64_t *first_mono_ns);

/* Writer liveness: 1 when the process recorded as the session's writer
 * (meta writer_pid, writer_boot_id, writer_start) still runs on this boot. */
int hr__writer_alive(sqlite3 *db);

/* Records this process as the writer (meta writer_*). The caller holds the
 * lock. Returns the SQLite code. */
int hr__writer_claim(hr_session *s);

#endif /* HR_STORE_STORE_H */

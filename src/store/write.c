/* write.c: channels, ticks (one transaction each, or several in a batch:
 * batch.h), steps and events. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/batch.h"
#include "store/store.h"

static int text_fits(const char *t, size_t cap) { return t && *t && strlen(t) < cap; }

static hr_status writable(hr_session *s) {
    if (s->readonly)
        return hr__session_fail(s, HR_ESTATE, "%s: opened read-only", s->path);
    return HR_OK;
}

static int insert_channel(hr_session *s, const hr_channel *c) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO channels(id, component, metric, unit, base_unit, "
                                "scale, label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, c->id);
        sqlite3_bind_text(st, 2, c->component, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, c->metric, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, c->unit, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, c->base_unit, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 6, c->scale);
        sqlite3_bind_text(st, 7, c->label, -1, SQLITE_STATIC);
        rc = hr__store_step_done(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static hr_status check_channel_args(hr_session *s, const char *component, const char *metric,
                                    const char *unit, const char *base_unit, double scale) {
    hr_channel c;
    if (!text_fits(component, sizeof c.component) || !text_fits(metric, sizeof c.metric) ||
        !text_fits(unit, sizeof c.unit) || !text_fits(base_unit, sizeof c.base_unit) ||
        !isfinite(scale) || scale == 0)
        return hr__session_fail(s, HR_EINVAL, "channel %s/%s: bad name, unit or scale",
                                component ? component : "?", metric ? metric : "?");
    if (s->nchans >= HR_SESSION_MAX_CHANNELS)
        return hr__session_fail(s, HR_EINVAL, "%s: at most %d channels", s->path,
                                HR_SESSION_MAX_CHANNELS);
    if (hr_session_find_channel(s, component, metric))
        return hr__session_fail(s, HR_EINVAL, "channel %s/%s exists already", component, metric);
    return HR_OK;
}

hr_status hr_session_add_channel(hr_session *s, const char *component, const char *metric,
                                 const char *unit, const char *base_unit, double scale,
                                 const char *label, int32_t *id) {
    if (!s)
        return HR_EINVAL;
    hr_status res = writable(s);
    if (res != HR_OK)
        return res;
    pthread_mutex_lock(&s->mu);
    res = check_channel_args(s, component, metric, unit, base_unit, scale);
    if (res == HR_OK && s->in_tick)
        res = hr__session_fail(s, HR_ESTATE, "%s: add channels between ticks", s->path);
    if (res == HR_OK &&
        hr__grow((void **)&s->chans, sizeof *s->chans, s->nchans, &s->chans_cap) != HR_OK)
        res = hr__session_fail(s, HR_ENOMEM, "channels: out of memory");
    if (res == HR_OK) {
        hr_channel *c = &s->chans[s->nchans];
        memset(c, 0, sizeof *c);
        c->id = (int32_t)s->nchans + 1;
        hr__strlcpy(c->component, component, sizeof c->component);
        hr__strlcpy(c->metric, metric, sizeof c->metric);
        hr__strlcpy(c->unit, unit, sizeof c->unit);
        hr__strlcpy(c->base_unit, base_unit, sizeof c->base_unit);
        c->scale = scale;
        hr__strlcpy(c->label, label ? label : "", sizeof c->label);
        int rc = insert_channel(s, c);
        if (rc != SQLITE_OK) {
            res = hr__store_fail(s, rc, "add a channel");
        } else {
            s->nchans++;
            if (id)
                *id = c->id;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

size_t hr_session_channel_count(const hr_session *s) { return s ? s->nchans : 0; }

const hr_channel *hr_session_channel(const hr_session *s, size_t i) {
    return s && i < s->nchans ? &s->chans[i] : NULL;
}

int32_t hr_session_find_channel(const hr_session *s, const char *component, const char *metric) {
    if (!s || !component || !metric)
        return 0;
    for (size_t i = 0; i < s->nchans; i++)
        if (strcmp(s->chans[i].component, component) == 0 &&
            strcmp(s->chans[i].metric, metric) == 0)
            return s->chans[i].id;
    return 0;
}

hr_status hr_session_set_sync_interval(hr_session *s, int64_t interval_ns) {
    if (!s || interval_ns < 0)
        return HR_EINVAL;
    pthread_mutex_lock(&s->mu);
    s->sync_interval_ns = interval_ns;
    pthread_mutex_unlock(&s->mu);
    return HR_OK;
}

/* Durability: a process crash loses nothing committed (WAL with
 * synchronous=NORMAL); to bound what a machine crash loses, one transaction
 * per sync interval runs with synchronous=FULL, which syncs the WAL on its
 * commit. The level can only change outside a transaction: it is raised
 * before BEGIN (begin_tx) and lowered after COMMIT or ROLLBACK (end_tx). */
static int begin_tx(hr_session *s) {
    int64_t now = hr__now_mono_ns();
    s->full_tx = s->sync_interval_ns == 0 || now - s->last_sync_ns >= s->sync_interval_ns;
    int rc = s->full_tx ? hr__store_step_done(s->st[HR__ST_SYNC_FULL]) : SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = hr__store_step_done(s->st[HR__ST_BEGIN]);
    if (rc != SQLITE_OK && s->full_tx) {
        s->full_tx = 0;
        hr__store_step_done(s->st[HR__ST_SYNC_NORMAL]);
    }
    return rc;
}

static void end_tx(hr_session *s, int committed) {
    if (!s->full_tx)
        return;
    s->full_tx = 0;
    hr__store_step_done(s->st[HR__ST_SYNC_NORMAL]);
    if (committed)
        s->last_sync_ns = hr__now_mono_ns();
}

/* Commits; a failure is described on the session (as WHAT) at once, before
 * later statements overwrite SQLite's error state. */
static int commit_locked(hr_session *s, const char *what) {
    int rc = hr__store_step_done(s->st[HR__ST_COMMIT]);
    if (rc != SQLITE_OK) {
        hr__store_fail(s, rc, what);
        if (!sqlite3_get_autocommit(s->db))
            hr__store_step_done(s->st[HR__ST_ROLLBACK]);
    }
    end_tx(s, rc == SQLITE_OK);
    return rc;
}

static void rollback_locked(hr_session *s) {
    if (!sqlite3_get_autocommit(s->db))
        hr__store_step_done(s->st[HR__ST_ROLLBACK]);
    end_tx(s, 0);
}

/* Rolls the open batch back: its ticks are gone, so the session continues
 * after the last committed tick. */
static void batch_rollback_locked(hr_session *s) {
    rollback_locked(s);
    s->in_batch = 0;
    s->in_tick = 0;
    s->next_tick = s->batch_next_tick;
    s->last_mono_ns = s->batch_last_mono_ns;
    s->last_wall_ns = s->batch_last_wall_ns;
}

/* Undoes the open tick: alone it is its own transaction; in a batch the
 * whole batch goes (SQLite may have rolled it back already). */
static void tick_rollback_locked(hr_session *s) {
    if (s->in_batch) {
        batch_rollback_locked(s);
    } else {
        rollback_locked(s);
        s->last_mono_ns = s->prev_mono_ns;
        s->last_wall_ns = s->prev_wall_ns;
    }
    s->in_tick = 0;
}

/* 1 when the tick's or batch's transaction is open for us but SQLite has
 * rolled it back after an error (disk full, I/O): writing on would commit
 * each row on its own, so whole ticks would no longer be guaranteed. */
static int tx_lost(hr_session *s) {
    return (s->in_tick || s->in_batch) && sqlite3_get_autocommit(s->db);
}

static hr_status tx_lost_fail(hr_session *s) {
    return hr__session_fail(s, HR_ESTORE, "%s: the transaction was rolled back after an error",
                            s->path);
}

/* --- ticks --- */

static hr_status begin_locked(hr_session *s, int64_t t_mono_ns, int64_t t_wall_ns,
                              int64_t *tick) {
    if (s->readonly || s->in_tick)
        return hr__session_fail(s, HR_ESTATE, "%s: %s", s->path,
                                s->readonly ? "opened read-only" : "a tick is already open");
    if (s->next_tick > 0 && t_mono_ns <= s->last_mono_ns)
        return hr__session_fail(s, HR_EINVAL, "%s: tick time %lld is not after the previous %lld",
                                s->path, (long long)t_mono_ns, (long long)s->last_mono_ns);
    if (tx_lost(s))
        return tx_lost_fail(s);
    size_t bytes = (HR_SESSION_MAX_CHANNELS + 8) / 8;
    if (!s->put_mask && !(s->put_mask = malloc(bytes)))
        return hr__session_fail(s, HR_ENOMEM, "tick: out of memory");
    memset(s->put_mask, 0, bytes);
    int rc = s->in_batch ? SQLITE_OK : begin_tx(s);
    if (rc != SQLITE_OK)
        return hr__store_fail(s, rc, "begin a tick");
    sqlite3_stmt *st = s->st[HR__ST_TICK];
    sqlite3_bind_int64(st, 1, s->next_tick);
    sqlite3_bind_int64(st, 2, t_mono_ns);
    sqlite3_bind_int64(st, 3, t_wall_ns);
    rc = hr__store_step_done(st);
    if (rc != SQLITE_OK) {
        hr__store_fail(s, rc, "write a tick");
        tick_rollback_locked(s);
        return HR_ESTORE;
    }
    s->in_tick = 1;
    if (tick)
        *tick = s->next_tick;
    return HR_OK;
}

hr_status hr_session_begin_tick(hr_session *s, int64_t t_mono_ns, int64_t t_wall_ns,
                                int64_t *tick) {
    if (!s)
        return HR_EINVAL;
    pthread_mutex_lock(&s->mu);
    hr_status res = begin_locked(s, t_mono_ns, t_wall_ns, tick);
    if (res == HR_OK) {
        s->prev_mono_ns = s->last_mono_ns;
        s->prev_wall_ns = s->last_wall_ns;
        s->last_mono_ns = t_mono_ns;
        s->last_wall_ns = t_wall_ns;
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

static hr_status put_locked(hr_session *s, int32_t channel, int64_t value) {
    if (!s->in_tick)
        return hr__session_fail(s, HR_ESTATE, "%s: no tick open", s->path);
    if (channel < 1 || (size_t)channel > s->nchans)
        return hr__session_fail(s, HR_EINVAL, "%s: no channel %d", s->path, (int)channel);
    if (tx_lost(s))
        return tx_lost_fail(s);
    uint8_t bit = (uint8_t)(1u << (channel & 7));
    if (s->put_mask[channel >> 3] & bit)
        return hr__session_fail(s, HR_EINVAL, "%s: channel %d already has a value on this tick",
                                s->path, (int)channel);
    sqlite3_stmt *st = s->st[HR__ST_SAMPLE];
    sqlite3_bind_int64(st, 1, (s->next_tick << HR__CHANNEL_BITS) | channel);
    sqlite3_bind_int64(st, 2, value);
    int rc = hr__store_step_done(st);
    if (rc != SQLITE_OK)
        return hr__store_fail(s, rc, "write a sample");
    s->put_mask[channel >> 3] |= bit;
    return HR_OK;
}

hr_status hr_session_put(hr_session *s, int32_t channel, int64_t value) {
    if (!s)
        return HR_EINVAL;
    pthread_mutex_lock(&s->mu);
    hr_status res = put_locked(s, channel, value);
    pthread_mutex_unlock(&s->mu);
    return res;
}

hr_status hr_session_commit_tick(hr_session *s) {
    if (!s)
        return HR_EINVAL;
    pthread_mutex_lock(&s->mu);
    hr_status res = HR_OK;
    if (!s->in_tick) {
        res = hr__session_fail(s, HR_ESTATE, "%s: no tick open", s->path);
    } else if (s->in_batch) {
        s->in_tick = 0; /* durable when the batch commits */
        s->next_tick++;
    } else {
        int rc = commit_locked(s, "commit a tick");
        s->in_tick = 0;
        if (rc != SQLITE_OK) {
            res = HR_ESTORE;
        } else {
            s->next_tick++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

void hr_session_abort_tick(hr_session *s) {
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->in_tick)
        tick_rollback_locked(s);
    pthread_mutex_unlock(&s->mu);
}

hr_status hr_session_write_tick(hr_session *s, int64_t t_mono_ns, int64_t t_wall_ns,
                                const hr_reading *values, size_t n, int64_t *tick) {
    if (!s || (n && !values))
        return HR_EINVAL;
    if (n > s->nchans)
        return hr__session_fail(s, HR_EINVAL, "%s: %zu values for %zu channels", s->path, n,
                                s->nchans);
    hr_status res = hr_session_begin_tick(s, t_mono_ns, t_wall_ns, tick);
    for (size_t i = 0; res == HR_OK && i < n; i++)
        if (HR_IS_KNOWN(values[i]))
            res = hr_session_put(s, (int32_t)i + 1, values[i].v);
    if (res == HR_OK)
        return hr_session_commit_tick(s);
    hr_session_abort_tick(s);
    return res;
}

void hr__session_rollback_open_locked(hr_session *s) {
    if (s->in_batch)
        batch_rollback_locked(s);
    else if (s->in_tick)
        tick_rollback_locked(s);
}

/* --- batches (batch.h) --- */

hr_status hr__session_begin_batch(hr_session *s) {
    if (!s)
        return HR_EINVAL;
    pthread_mutex_lock(&s->mu);
    hr_status res = HR_OK;
    if (s->readonly || s->in_tick || s->in_batch) {
        res =
            hr__session_fail(s, HR_ESTATE, "%s: %s", s->path,
                             s->readonly ? "opened read-only" : "a tick or batch is already open");
    } else {
        int rc = begin_tx(s);
        if (rc != SQLITE_OK) {
            res = hr__store_fail(s, rc, "begin a batch of ticks");
        } else {
            s->in_batch = 1;
            s->batch_next_tick = s->next_tick;
            s->batch_last_mono_ns = s->last_mono_ns;
            s->batch_last_wall_ns = s->last_wall_ns;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

hr_status hr__session_commit_batch(hr_session *s) {
    if (!s)
        return HR_EINVAL;
    pthread_mutex_lock(&s->mu);
    hr_status res = HR_OK;
    if (!s->in_batch || s->in_tick) {
        res = hr__session_fail(s, HR_ESTATE, "%s: %s", s->path,
                               s->in_batch ? "commit a batch with a tick open" : "no batch open");
    } else if (commit_locked(s, "commit a batch of ticks") != SQLITE_OK) {
        batch_rollback_locked(s); /* commit_locked rolled the rows back */
        res = HR_ESTORE;
    } else {
        s->in_batch = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

void hr__session_abort_batch(hr_session *s) {
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->in_batch)
        batch_rollback_locked(s);
    pthread_mutex_unlock(&s->mu);
}

/* --- steps and events --- */

/* Runs FN inside a transaction unless a tick's or a batch's transaction is
 * open, in which case the rows join it. A failure is described on the
 * session (as WHAT) before the rollback. Returns the SQLite code. */
static int in_transaction(hr_session *s, int (*fn)(hr_session *, const void *), const void *arg,
                          const char *what) {
    if (s->in_tick || s->in_batch) {
        if (tx_lost(s)) {
            tx_lost_fail(s);
            return SQLITE_ABORT;
        }
        int rc = fn(s, arg);
        if (rc != SQLITE_OK && rc != SQLITE_NOTFOUND)
            hr__store_fail(s, rc, what);
        return rc;
    }
    int rc = begin_tx(s);
    if (rc != SQLITE_OK) {
        hr__store_fail(s, rc, what);
        return rc;
    }
    rc = fn(s, arg);
    if (rc == SQLITE_OK)
        return commit_locked(s, what);
    if (rc != SQLITE_NOTFOUND)
        hr__store_fail(s, rc, what);
    rollback_locked(s);
    return rc;
}

static int step_rows(hr_session *s, const void *arg) {
    const hr_step *step = arg;
    sqlite3_stmt *st = s->st[HR__ST_STEP];
    sqlite3_bind_int64(st, 1, step->index);
    sqlite3_bind_int64(st, 2, step->t_mono_ns);
    sqlite3_bind_int64(st, 3, step->t_wall_ns);
    if (step->duration_ns >= 0)
        sqlite3_bind_int64(st, 4, step->duration_ns);
    if (isfinite(step->units))
        sqlite3_bind_double(st, 5, step->units);
    int rc = hr__store_step_done(st);
    int64_t row = sqlite3_last_insert_rowid(s->db);
    for (size_t i = 0; rc == SQLITE_OK && i < step->nvalues; i++) {
        sqlite3_stmt *v = s->st[HR__ST_STEP_VALUE];
        sqlite3_bind_int64(v, 1, row);
        sqlite3_bind_text(v, 2, step->names[i], -1, SQLITE_STATIC);
        if (isfinite(step->values[i]))
            sqlite3_bind_double(v, 3, step->values[i]);
        rc = hr__store_step_done(v);
    }
    return rc;
}

static int step_names_ok(const hr_step *step) {
    if (step->nvalues && (!step->names || !step->values))
        return 0;
    for (size_t i = 0; i < step->nvalues; i++) {
        if (!step->names[i] || !*step->names[i])
            return 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(step->names[i], step->names[j]) == 0)
                return 0;
    }
    return 1;
}

hr_status hr_session_add_step(hr_session *s, const hr_step *step) {
    if (!s)
        return HR_EINVAL;
    if (!step || !step_names_ok(step))
        return hr__session_fail(s, HR_EINVAL, "step: names must be non-empty and unique");
    hr_status res = writable(s);
    if (res != HR_OK)
        return res;
    pthread_mutex_lock(&s->mu);
    if (in_transaction(s, step_rows, step, "add a step") != SQLITE_OK)
        res = HR_ESTORE;
    pthread_mutex_unlock(&s->mu);
    return res;
}

typedef struct event_args {
    const char *kind;
    int64_t start, end;
    const char *detail;
} event_args;

static int event_row(hr_session *s, const void *arg) {
    const event_args *e = arg;
    sqlite3_stmt *st = s->st[HR__ST_EVENT];
    sqlite3_bind_text(st, 1, e->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, e->start);
    if (e->end)
        sqlite3_bind_int64(st, 3, e->end);
    sqlite3_bind_text(st, 4, e->detail ? e->detail : "", -1, SQLITE_STATIC);
    return hr__store_step_done(st);
}

hr_status hr_session_add_event(hr_session *s, const char *kind, int64_t start_mono_ns,
                               int64_t end_mono_ns, const char *detail, int64_t *id) {
    if (!s)
        return HR_EINVAL;
    if (!text_fits(kind, 32) || (end_mono_ns != 0 && end_mono_ns < start_mono_ns))
        return hr__session_fail(s, HR_EINVAL, "event: kind must be 1..31 bytes, end >= start");
    hr_status res = writable(s);
    if (res != HR_OK)
        return res;
    event_args a = {kind, start_mono_ns, end_mono_ns, detail};
    pthread_mutex_lock(&s->mu);
    if (in_transaction(s, event_row, &a, "add an event") != SQLITE_OK)
        res = HR_ESTORE;
    else if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    pthread_mutex_unlock(&s->mu);
    return res;
}

typedef struct end_args {
    int64_t id, end;
} end_args;

static int event_end_row(hr_session *s, const void *arg) {
    const end_args *e = arg;
    sqlite3_stmt *st = s->st[HR__ST_EVENT_END];
    sqlite3_bind_int64(st, 1, e->id);
    sqlite3_bind_int64(st, 2, e->end);
    int rc = hr__store_step_done(st);
    return rc == SQLITE_OK && sqlite3_changes(s->db) != 1 ? SQLITE_NOTFOUND : rc;
}

hr_status hr_session_end_event(hr_session *s, int64_t id, int64_t end_mono_ns) {
    if (!s)
        return HR_EINVAL;
    hr_status res = writable(s);
    if (res != HR_OK)
        return res;
    end_args a = {id, end_mono_ns};
    pthread_mutex_lock(&s->mu);
    int rc = in_transaction(s, event_end_row, &a, "end an event");
    if (rc == SQLITE_NOTFOUND)
        res = hr__session_fail(s, HR_EINVAL, "event %lld: no such event, or end before its start",
                               (long long)id);
    else if (rc != SQLITE_OK)
        res = HR_ESTORE;
    pthread_mutex_unlock(&s->mu);
    return res;
}

/* meta.c: session metadata (key/value), tags, the finish record and the
 * summary (hr_session_info_get). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define META_KEY_MAX 63

static int bind_key(hr_session *s, const char *key) {
    sqlite3_stmt *st = s->st[HR__ST_META];
    return sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
}

int hr__meta_put_text(hr_session *s, const char *key, const char *value) {
    sqlite3_stmt *st = s->st[HR__ST_META];
    if (!st) /* during creation the statements may not exist yet */
        return SQLITE_MISUSE;
    int rc = bind_key(s, key);
    if (rc == SQLITE_OK)
        rc = value ? sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, 2);
    return rc == SQLITE_OK ? hr__store_step_done(st) : rc;
}

int hr__meta_put_i64(hr_session *s, const char *key, int64_t value) {
    sqlite3_stmt *st = s->st[HR__ST_META];
    if (!st)
        return SQLITE_MISUSE;
    int rc = bind_key(s, key);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(st, 2, value);
    return rc == SQLITE_OK ? hr__store_step_done(st) : rc;
}

int hr__meta_put_f64(hr_session *s, const char *key, double value) {
    sqlite3_stmt *st = s->st[HR__ST_META];
    if (!st)
        return SQLITE_MISUSE;
    int rc = bind_key(s, key);
    if (rc == SQLITE_OK)
        rc = isfinite(value) ? sqlite3_bind_double(st, 2, value) : sqlite3_bind_null(st, 2);
    return rc == SQLITE_OK ? hr__store_step_done(st) : rc;
}

static sqlite3_stmt *meta_lookup(sqlite3 *db, const char *key) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
        SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

int64_t hr__meta_i64(sqlite3 *db, const char *key, int64_t def) {
    sqlite3_stmt *st = meta_lookup(db, key);
    if (!st)
        return def;
    int t = sqlite3_column_type(st, 0);
    int64_t v = t == SQLITE_INTEGER || t == SQLITE_FLOAT ? sqlite3_column_int64(st, 0) : def;
    sqlite3_finalize(st);
    return v;
}

double hr__meta_f64(sqlite3 *db, const char *key, double def) {
    sqlite3_stmt *st = meta_lookup(db, key);
    if (!st)
        return def;
    int t = sqlite3_column_type(st, 0);
    double v = t == SQLITE_INTEGER || t == SQLITE_FLOAT ? sqlite3_column_double(st, 0) : def;
    sqlite3_finalize(st);
    return v;
}

int hr__store_last_tick(sqlite3 *db, int64_t *n, int64_t *last_tick, int64_t *mono_ns,
                        int64_t *wall_ns, int64_t *first_mono_ns) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db,
        "SELECT (SELECT count(*) FROM ticks), t.tick, t.t_mono_ns, t.t_wall_ns, "
        "(SELECT t_mono_ns FROM ticks ORDER BY tick LIMIT 1) "
        "FROM ticks t ORDER BY t.tick DESC LIMIT 1",
        -1, &st, NULL);
    *n = 0;
    *mono_ns = *wall_ns = *first_mono_ns = 0;
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *n = sqlite3_column_int64(st, 0);
            *last_tick = sqlite3_column_int64(st, 1);
            *mono_ns = sqlite3_column_int64(st, 2);
            *wall_ns = sqlite3_column_int64(st, 3);
            *first_mono_ns = sqlite3_column_int64(st, 4);
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Common checks of the meta setters; the caller then holds the lock. */
static hr_status meta_enter(hr_session *s, const char *key) {
    if (!s)
        return HR_EINVAL;
    if (!key || !*key || strlen(key) > META_KEY_MAX)
        return hr__session_fail(s, HR_EINVAL, "meta key must be 1..%d bytes", META_KEY_MAX);
    if (s->readonly)
        return hr__session_fail(s, HR_ESTATE, "%s: opened read-only", s->path);
    pthread_mutex_lock(&s->mu);
    return HR_OK;
}

static hr_status meta_leave(hr_session *s, int rc, const char *key) {
    hr_status st = HR_OK;
    if (rc != SQLITE_OK) {
        char what[96];
        hr__snprintf(what, sizeof what, "set meta %s", key);
        st = hr__store_fail(s, rc, what);
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

hr_status hr_session_set_meta(hr_session *s, const char *key, const char *value) {
    hr_status st = meta_enter(s, key);
    return st != HR_OK ? st : meta_leave(s, hr__meta_put_text(s, key, value ? value : ""), key);
}

hr_status hr_session_set_meta_i64(hr_session *s, const char *key, int64_t value) {
    hr_status st = meta_enter(s, key);
    return st != HR_OK ? st : meta_leave(s, hr__meta_put_i64(s, key, value), key);
}

hr_status hr_session_set_meta_f64(hr_session *s, const char *key, double value) {
    hr_status st = meta_enter(s, key);
    return st != HR_OK ? st : meta_leave(s, hr__meta_put_f64(s, key, value), key);
}

hr_status hr_session_set_tag(hr_session *s, const char *key, const char *value) {
    hr_status st = meta_enter(s, key);
    if (st != HR_OK)
        return st;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO tags(key, value) VALUES (?1, ?2)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, value ? value : "", -1, SQLITE_STATIC);
        rc = hr__store_step_done(q);
    }
    sqlite3_finalize(q);
    return meta_leave(s, rc, key);
}

hr_status hr_session_get_meta(hr_session *s, const char *key, char **out) {
    if (!s || !key || !out)
        return HR_EINVAL;
    *out = NULL;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = meta_lookup(s->db, key);
    hr_status res = HR_ENOENT;
    if (st) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        *out = strdup(v ? (const char *)v : "");
        res = *out ? HR_OK : HR_ENOMEM;
        sqlite3_finalize(st);
    } else {
        hr__session_fail(s, HR_ENOENT, "%s: no meta key %s", s->path, key);
    }
    pthread_mutex_unlock(&s->mu);
    return res;
}

/* NAN when it cannot be known (fewer than two ticks): never a made-up 0. */
static double achieved_hz(int64_t n, int64_t first_mono, int64_t last_mono) {
    if (n < 2 || last_mono <= first_mono)
        return NAN;
    return (double)(n - 1) * 1e9 / (double)(last_mono - first_mono);
}

static int finish_rows(hr_session *s, int64_t end_mono_ns, int64_t end_wall_ns,
                       double requested_hz, int64_t missed) {
    int64_t n = 0, last = 0, mono = 0, wall = 0, first = 0;
    int rc = hr__store_last_tick(s->db, &n, &last, &mono, &wall, &first);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_text(s, "state", "finished");
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "end_mono_ns", end_mono_ns);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "end_wall_ns", end_wall_ns);
    if (rc == SQLITE_OK && requested_hz > 0)
        rc = hr__meta_put_f64(s, "requested_hz", requested_hz);
    double achieved = achieved_hz(n, first, mono);
    if (rc == SQLITE_OK && isfinite(achieved))
        rc = hr__meta_put_f64(s, "achieved_hz", achieved);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "missed_ticks", missed);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "ticks", n);
    return rc;
}

hr_status hr_session_finish(hr_session *s, int64_t end_mono_ns, int64_t end_wall_ns,
                            double requested_hz, int64_t missed_ticks) {
    if (!s)
        return HR_EINVAL;
    if (s->readonly)
        return hr__session_fail(s, HR_ESTATE, "%s: opened read-only", s->path);
    pthread_mutex_lock(&s->mu);
    hr_status res = HR_OK;
    if (s->in_tick) {
        res = hr__session_fail(s, HR_ESTATE, "%s: finish with a tick open", s->path);
        goto out;
    }
    /* The finish record is made durable at once (synchronous=FULL). */
    int rc = hr__store_step_done(s->st[HR__ST_SYNC_FULL]);
    if (rc == SQLITE_OK)
        rc = hr__store_step_done(s->st[HR__ST_BEGIN]);
    if (rc == SQLITE_OK) {
        rc = finish_rows(s, end_mono_ns, end_wall_ns, requested_hz, missed_ticks);
        if (rc == SQLITE_OK)
            rc = hr__store_step_done(s->st[HR__ST_COMMIT]);
        if (rc != SQLITE_OK) {
            res = hr__store_fail(s, rc, "finish the session");
            if (!sqlite3_get_autocommit(s->db))
                hr__store_step_done(s->st[HR__ST_ROLLBACK]);
        }
    } else {
        res = hr__store_fail(s, rc, "finish the session");
    }
    hr__store_step_done(s->st[HR__ST_SYNC_NORMAL]);
    if (res == HR_OK)
        s->finished = 1;
out:
    pthread_mutex_unlock(&s->mu);
    return res;
}

static int64_t count_rows(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int state_from_meta(sqlite3 *db) {
    sqlite3_stmt *st = meta_lookup(db, "state");
    int state = HR_SESSION_INTERRUPTED;
    if (st) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (v && strcmp(v, "running") == 0)
            state = HR_SESSION_RUNNING;
        else if (v && strcmp(v, "finished") == 0)
            state = HR_SESSION_FINISHED;
        sqlite3_finalize(st);
    }
    return state;
}

hr_status hr_session_info_get(hr_session *s, hr_session_info *info) {
    if (!s || !info)
        return HR_EINVAL;
    size_t want = info->size && info->size < sizeof *info ? info->size : sizeof *info;
    hr_session_info r;
    memset(&r, 0, sizeof r);
    r.size = want;
    pthread_mutex_lock(&s->mu);
    int64_t last = 0, mono = 0, wall = 0, first = 0;
    int rc = hr__store_last_tick(s->db, &r.ticks, &last, &mono, &wall, &first);
    r.schema_version = (int32_t)hr__meta_i64(s->db, "schema_version", 0);
    r.state = state_from_meta(s->db);
    r.start_mono_ns = hr__meta_i64(s->db, "start_mono_ns", first);
    r.start_wall_ns = hr__meta_i64(s->db, "start_wall_ns", 0);
    r.end_mono_ns = hr__meta_i64(s->db, "end_mono_ns", 0);
    r.end_wall_ns = hr__meta_i64(s->db, "end_wall_ns", 0);
    if (r.state == HR_SESSION_RUNNING && !hr__writer_alive(s->db) && !(s->writer && !s->readonly)) {
        /* Read-only view of a session whose writer died: as recovery would say. */
        r.state = HR_SESSION_INTERRUPTED;
        r.end_mono_ns = r.ticks ? mono : r.start_mono_ns;
        r.end_wall_ns = r.ticks ? wall : r.start_wall_ns;
    }
    r.requested_hz = hr__meta_f64(s->db, "requested_hz", 0);
    r.achieved_hz = achieved_hz(r.ticks, first, mono);
    r.missed_ticks = hr__meta_i64(s->db, "missed_ticks", 0);
    r.steps = count_rows(s->db, "SELECT count(*) FROM steps");
    r.events = count_rows(s->db, "SELECT count(*) FROM events");
    r.nchannels = s->nchans;
    hr_status res = rc == SQLITE_OK ? HR_OK : hr__store_fail(s, rc, "read the summary");
    pthread_mutex_unlock(&s->mu);
    memcpy(info, &r, want);
    return res;
}

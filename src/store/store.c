/* store.c: creating, opening and closing session files; error details;
 * recovery of a session whose writer died. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store/store.h"

_Static_assert(HR_SESSION_MAX_CHANNELS == HR__CHANNEL_MASK, "views use 12 channel bits");

/* Plain words for the failures a user can fix, keyed by errno. */
static const char *errno_sentence(int err) {
    switch (err) {
    case ENOSPC: return "the disk is full";
    case EDQUOT: return "the disk quota is exhausted";
    case EFBIG: return "the file size limit was reached";
    case EROFS: return "the file system is read-only";
    case EACCES:
    case EPERM: return "permission denied";
    default: return NULL;
    }
}

/* 1 when FILE is within 64 KiB of the process's file size limit. */
static int near_fsize_limit(const char *file) {
    struct rlimit rl;
    struct stat sb;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    return stat(file, &sb) == 0 && (rlim_t)sb.st_size + 65536 >= rl.rlim_cur;
}

/* SQLite does not always keep the errno of a failed write (it reads errno
 * late), so a write error is explained by looking at the disk and limits. */
static const char *write_failure_sentence(const char *path) {
    char dir[PATH_MAX], wal[PATH_MAX + 8];
    hr__strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        hr__strlcpy(dir, ".", sizeof dir);
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 1024 * 1024)
        return "the disk is full";
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (near_fsize_limit(path) || near_fsize_limit(wal))
        return "the file size limit was reached";
    return NULL;
}

void hr__store_describe(sqlite3 *db, int rc, const char *path, const char *what, char *buf,
                        size_t cap) {
    int ext = db ? sqlite3_extended_errcode(db) : rc;
    if ((ext & 0xff) != (rc & 0xff))
        ext = rc;
    int sys = db ? sqlite3_system_errno(db) : 0;
    const char *sentence = errno_sentence(sys);
    if (!sentence && ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR))
        sentence = write_failure_sentence(path);
    if (!sentence && (rc & 0xff) == SQLITE_FULL)
        sentence = "the disk is full";
    if (!sentence && (rc & 0xff) == SQLITE_READONLY)
        sentence = "the file is read-only";
    char sysbuf[96] = "";
    if (sys)
        hr__snprintf(sysbuf, sizeof sysbuf, "; errno %d: %s", sys, strerror(sys));
    hr__snprintf(buf, cap, "%s: %s%s%s: %s (SQLite %d: %s%s)", path, what, sentence ? ": " : "",
                 sentence ? sentence : "", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), ext,
                 sqlite3_errstr(ext), sysbuf);
}

hr_status hr__store_fail(hr_session *s, int rc, const char *what) {
    hr__store_describe(s->db, rc, s->path, what, s->err, sizeof s->err);
    s->err_code = sqlite3_extended_errcode(s->db);
    return HR_ESTORE;
}

hr_status hr__session_fail(hr_session *s, hr_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(s->err, sizeof s->err, fmt, ap) < 0)
        s->err[0] = '\0';
    va_end(ap);
    s->err_code = 0;
    return status;
}

int hr__store_exec(sqlite3 *db, const char *sql) {
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

int hr__store_step_done(sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static const char *const stmt_sql[HR__ST_COUNT] = {
    [HR__ST_BEGIN] = "BEGIN IMMEDIATE",
    [HR__ST_COMMIT] = "COMMIT",
    [HR__ST_ROLLBACK] = "ROLLBACK",
    [HR__ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [HR__ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [HR__ST_TICK] = "INSERT INTO ticks(tick, t_mono_ns, t_wall_ns) VALUES (?1, ?2, ?3)",
    [HR__ST_SAMPLE] = "INSERT INTO samples(tick_channel, value) VALUES (?1, ?2)",
    [HR__ST_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
    [HR__ST_STEP] = "INSERT INTO steps(idx, t_mono_ns, t_wall_ns, duration_ns, units) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)",
    [HR__ST_STEP_VALUE] = "INSERT INTO step_values(step, name, value) VALUES (?1, ?2, ?3)",
    [HR__ST_EVENT] = "INSERT INTO events(kind, start_mono_ns, end_mono_ns, detail) "
                     "VALUES (?1, ?2, ?3, ?4)",
    [HR__ST_EVENT_END] = "UPDATE events SET end_mono_ns = ?2 WHERE id = ?1 AND start_mono_ns <= ?2",
};

int hr__store_prepare(hr_session *s) {
    for (int i = 0; i < HR__ST_COUNT; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
                                    NULL);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

int hr__store_load_channels(hr_session *s) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, component, metric, unit, base_unit, scale, label "
                                "FROM channels ORDER BY id",
                                -1, &st, NULL);
    s->nchans = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        /* Ids are dense from 1: tick arrays are indexed by id - 1. */
        if (id != (int)s->nchans + 1) {
            rc = SQLITE_CORRUPT;
            break;
        }
        if (hr__grow((void **)&s->chans, sizeof *s->chans, s->nchans, &s->chans_cap) != HR_OK) {
            rc = SQLITE_NOMEM;
            break;
        }
        hr_channel *c = &s->chans[s->nchans++];
        memset(c, 0, sizeof *c);
        c->id = id;
        hr__strlcpy(c->component, (const char *)sqlite3_column_text(st, 1), sizeof c->component);
        hr__strlcpy(c->metric, (const char *)sqlite3_column_text(st, 2), sizeof c->metric);
        hr__strlcpy(c->unit, (const char *)sqlite3_column_text(st, 3), sizeof c->unit);
        hr__strlcpy(c->base_unit, (const char *)sqlite3_column_text(st, 4), sizeof c->base_unit);
        c->scale = sqlite3_column_double(st, 5);
        hr__strlcpy(c->label, (const char *)sqlite3_column_text(st, 6), sizeof c->label);
        rc = SQLITE_OK;
    }
    if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    sqlite3_finalize(st);
    return rc;
}

static hr_session *session_alloc(const char *path) {
    hr_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    hr__strlcpy(s->path, path, sizeof s->path);
    s->sync_interval_ns = 1000000000;
    return s;
}

static void session_free(hr_session *s) {
    for (int i = 0; i < HR__ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db)
        sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s->chans);
    free(s->put_mask);
    free(s);
}

/* Removes PATH and its -wal/-shm companions; ENOENT is fine. Returns 0 or
 * the first other errno. */
static int unlink_session_files(const char *path) {
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    int first = 0;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char p[PATH_MAX + 16];
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        if (unlink(p) != 0 && errno != ENOENT && !first)
            first = errno;
    }
    return first;
}

/* Settings every connection needs: extended codes, a bounded wait for a
 * concurrent writer, and synchronous=NORMAL (WAL; see hr_session_set_sync_interval). */
static int configure_connection(sqlite3 *db, int writable) {
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 2000);
    return writable ? hr__store_exec(db, "PRAGMA synchronous = NORMAL") : SQLITE_OK;
}

static int set_wal(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(st, 0);
            rc = mode && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

static int initial_meta(hr_session *s) {
    int rc = hr__meta_put_i64(s, "schema_version", HR_SESSION_SCHEMA_VERSION);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_text(s, "headroom_version", hr_version());
    if (rc == SQLITE_OK)
        rc = hr__meta_put_text(s, "state", "running");
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "created_wall_ns", hr__now_wall_ns());
    if (rc == SQLITE_OK)
        rc = hr__writer_claim(s);
    return rc;
}

/* Creates the file with O_EXCL first so that "exists", "read-only" and
 * "permission denied" come from the operating system in plain words before
 * SQLite is involved. No SQLite lock exists yet, so closing this fd is safe. */
static hr_status create_file(hr_ctx *ctx, const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
        close(fd);
        return HR_OK;
    }
    int err = errno;
    if (err == EEXIST)
        return hr__fail(ctx, HR_EINVAL, err, "%s: already exists (choose another name or overwrite)",
                        path);
    const char *sentence = errno_sentence(err);
    return hr__fail(ctx, HR_ESTORE, err, "%s: cannot create the session file: %s (errno %d: %s)",
                    path, sentence ? sentence : "open failed", err, strerror(err));
}

static hr_status create_db(hr_ctx *ctx, hr_session *s) {
    int rc = sqlite3_open_v2(s->path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
    const char *what = "open";
    if (rc == SQLITE_OK && (rc = configure_connection(s->db, 1)) != SQLITE_OK)
        what = "configure";
    else if (rc == SQLITE_OK && (rc = set_wal(s->db)) != SQLITE_OK)
        what = "switch to WAL";
    else if (rc == SQLITE_OK && (rc = hr__schema_create(s->db)) != SQLITE_OK)
        what = "create the schema";
    else if (rc == SQLITE_OK && (rc = hr__store_prepare(s)) != SQLITE_OK)
        what = "prepare statements";
    else if (rc == SQLITE_OK && (rc = initial_meta(s)) != SQLITE_OK)
        what = "write the metadata";
    if (rc == SQLITE_OK)
        return HR_OK;
    char detail[HR__ERR_CAP];
    hr__store_describe(s->db, rc, s->path, what, detail, sizeof detail);
    return hr__fail(ctx, rc == SQLITE_NOMEM ? HR_ENOMEM : HR_ESTORE,
                    s->db ? sqlite3_extended_errcode(s->db) : rc, "%s", detail);
}

hr_status hr_session_create(hr_ctx *ctx, const char *path, unsigned flags, hr_session **out) {
    if (!out || !path || !*path || (flags & ~HR_SESSION_OVERWRITE))
        return hr__fail(ctx, HR_EINVAL, 0, "hr_session_create: bad argument");
    *out = NULL;
    if (strlen(path) >= PATH_MAX - 16)
        return hr__fail(ctx, HR_EINVAL, 0, "%s: path too long", path);
    if (flags & HR_SESSION_OVERWRITE) {
        int err = unlink_session_files(path);
        if (err)
            return hr__fail(ctx, HR_ESTORE, err, "%s: cannot replace the existing file: %s", path,
                            strerror(err));
    }
    hr_status st = create_file(ctx, path);
    if (st != HR_OK)
        return st;
    hr_session *s = session_alloc(path);
    if (!s) {
        unlink_session_files(path);
        return hr__fail(ctx, HR_ENOMEM, 0, "session: out of memory");
    }
    s->writer = 1;
    st = create_db(ctx, s);
    if (st != HR_OK) {
        session_free(s);
        unlink_session_files(path);
        return st;
    }
    *out = s;
    return HR_OK;
}

/* Marks a running session whose writer is gone as interrupted, ending at its
 * last tick (or at its start when it has none). */
static int recover_interrupted(hr_session *s) {
    int rc = hr__store_exec(s->db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'state'", -1, &st, NULL);
    int still_running = 0;
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        still_running = v && strcmp(v, "running") == 0;
    }
    sqlite3_finalize(st);
    /* Another process may have recovered it between our check and the lock. */
    if (rc == SQLITE_OK && still_running && !hr__writer_alive(s->db)) {
        int64_t n = 0, last = 0, mono = 0, wall = 0, first = 0;
        rc = hr__store_last_tick(s->db, &n, &last, &mono, &wall, &first);
        if (rc == SQLITE_OK && n == 0) {
            mono = hr__meta_i64(s->db, "start_mono_ns", 0);
            wall = hr__meta_i64(s->db, "start_wall_ns", hr__meta_i64(s->db, "created_wall_ns", 0));
        }
        if (rc == SQLITE_OK)
            rc = hr__meta_put_text(s, "state", "interrupted");
        if (rc == SQLITE_OK)
            rc = hr__meta_put_i64(s, "end_mono_ns", mono);
        if (rc == SQLITE_OK)
            rc = hr__meta_put_i64(s, "end_wall_ns", wall);
        if (rc == SQLITE_OK)
            rc = hr__meta_put_i64(s, "ticks", n);
    }
    if (rc == SQLITE_OK)
        rc = hr__store_exec(s->db, "COMMIT");
    if (rc != SQLITE_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int meta_state_running(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    int running = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'state'", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        running = v && strcmp(v, "running") == 0;
    }
    sqlite3_finalize(st);
    return running;
}

/* "file:PATH?immutable=1" with PATH percent-encoded where URIs need it. */
static void immutable_uri(const char *path, char *out, size_t cap) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = hr__strlcpy(out, "file:", cap);
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < cap; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p < 0x20) {
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
    hr__strlcpy(out + n, "?immutable=1", cap - n);
}

/* A WAL file with content next to PATH (it would hold committed ticks). */
static int has_wal(const char *path) {
    char p[PATH_MAX + 16];
    snprintf(p, sizeof p, "%s-wal", path);
    struct stat sb;
    return stat(p, &sb) == 0 && sb.st_size > 0;
}

/* Reading a WAL session needs its -shm file; where neither it can be created
 * (a read-only directory or medium) nor a -wal exists, the file is complete
 * and is read as immutable. */
static int reopen_immutable(hr_session *s) {
    if (has_wal(s->path))
        return SQLITE_READONLY;
    char uri[PATH_MAX * 3 + 32];
    immutable_uri(s->path, uri, sizeof uri);
    sqlite3_close_v2(s->db);
    s->db = NULL;
    return sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
}

static hr_status open_db(hr_ctx *ctx, hr_session *s, unsigned flags) {
    int ro = (flags & HR_SESSION_READONLY) != 0;
    int rc = sqlite3_open_v2(s->path, &s->db,
                             (ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                                 SQLITE_OPEN_NOFOLLOW,
                             NULL);
    if (rc != SQLITE_OK && !ro) {
        /* A read-only file or file system: read what is there. */
        sqlite3_close_v2(s->db);
        s->db = NULL;
        ro = 1;
        rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
    }
    if (rc != SQLITE_OK) {
        char detail[HR__ERR_CAP];
        hr__store_describe(s->db, rc, s->path, "open", detail, sizeof detail);
        return hr__fail(ctx, HR_ESTORE, rc, "%s", detail);
    }
    int version = 0, hrc = SQLITE_OK;
    char why[256];
    hr_status st = hr__schema_check(s->db, &version, &hrc, why, sizeof why);
    if (st == HR_ESTORE && ((hrc & 0xff) == SQLITE_READONLY || (hrc & 0xff) == SQLITE_CANTOPEN) &&
        reopen_immutable(s) == SQLITE_OK) {
        ro = 1;
        st = hr__schema_check(s->db, &version, &hrc, why, sizeof why);
    }
    if (st != HR_OK)
        return hr__fail(ctx, st, hrc, "%s: %s", s->path, why);
    s->readonly = ro || sqlite3_db_readonly(s->db, "main") == 1;
    rc = configure_connection(s->db, !s->readonly);
    if (rc != SQLITE_OK) {
        char detail[HR__ERR_CAP];
        hr__store_describe(s->db, rc, s->path, "configure", detail, sizeof detail);
        return hr__fail(ctx, HR_ESTORE, rc, "%s", detail);
    }
    return HR_OK;
}

static hr_status open_finish(hr_ctx *ctx, hr_session *s) {
    int rc = SQLITE_OK;
    const char *what = "prepare statements";
    if (!s->readonly)
        rc = hr__store_prepare(s);
    if (rc == SQLITE_OK && !s->readonly && meta_state_running(s->db) && !hr__writer_alive(s->db)) {
        what = "recover the interrupted session";
        rc = recover_interrupted(s);
    }
    if (rc == SQLITE_OK) {
        what = "read the channels";
        rc = hr__store_load_channels(s);
    }
    int64_t n = 0;
    if (rc == SQLITE_OK) {
        what = "read the ticks";
        int64_t last = -1, first = 0;
        rc = hr__store_last_tick(s->db, &n, &last, &s->last_mono_ns, &s->last_wall_ns, &first);
        s->next_tick = n ? last + 1 : 0;
    }
    if (rc == SQLITE_OK)
        return HR_OK;
    char detail[HR__ERR_CAP];
    hr__store_describe(s->db, rc, s->path, what, detail, sizeof detail);
    return hr__fail(ctx, rc == SQLITE_NOMEM ? HR_ENOMEM : HR_ESTORE, rc, "%s", detail);
}

hr_status hr_session_open(hr_ctx *ctx, const char *path, unsigned flags, hr_session **out) {
    if (!out || !path || !*path || (flags & ~HR_SESSION_READONLY))
        return hr__fail(ctx, HR_EINVAL, 0, "hr_session_open: bad argument");
    *out = NULL;
    if (strlen(path) >= PATH_MAX - 16)
        return hr__fail(ctx, HR_EINVAL, 0, "%s: path too long", path);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return hr__fail(ctx, errno == ENOENT ? HR_ENOENT : HR_ESTORE, errno, "%s: %s", path,
                        strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return hr__fail(ctx, HR_EPARSE, 0, "%s: not a regular file", path);
    hr_session *s = session_alloc(path);
    if (!s)
        return hr__fail(ctx, HR_ENOMEM, 0, "session: out of memory");
    hr_status st = open_db(ctx, s, flags);
    if (st == HR_OK)
        st = open_finish(ctx, s);
    if (st != HR_OK) {
        session_free(s);
        return st;
    }
    *out = s;
    return HR_OK;
}

/* A writer closing without hr_session_finish: interrupted, ending at its last tick. */
static int close_unfinished(hr_session *s) {
    hr__session_rollback_open_locked(s);
    int rc = hr__store_exec(s->db, "BEGIN IMMEDIATE");
    if (rc == SQLITE_OK)
        rc = hr__meta_put_text(s, "state", "interrupted");
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "end_mono_ns", s->last_mono_ns);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "end_wall_ns", s->last_wall_ns);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_i64(s, "ticks", s->next_tick);
    if (rc == SQLITE_OK)
        rc = hr__store_exec(s->db, "COMMIT");
    if (rc != SQLITE_OK)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

hr_status hr_session_close(hr_session *s) {
    if (!s)
        return HR_OK;
    int rc = SQLITE_OK;
    pthread_mutex_lock(&s->mu);
    if (s->writer && !s->finished && !s->readonly && meta_state_running(s->db))
        rc = close_unfinished(s);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < HR__ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
    /* The last connection's close checkpoints the WAL into the file and
     * removes the -wal and -shm files. */
    int crc = sqlite3_close(s->db);
    if (crc != SQLITE_OK)
        rc = rc != SQLITE_OK ? rc : crc;
    else
        s->db = NULL;
    session_free(s);
    return rc == SQLITE_OK ? HR_OK : HR_ESTORE;
}

const char *hr_session_last_error(const hr_session *s) { return s ? s->err : ""; }

const char *hr_session_path(const hr_session *s) { return s ? s->path : ""; }

int hr_session_readonly(const hr_session *s) { return s ? s->readonly : 1; }

const char *hr_session_state_name(int state) {
    switch (state) {
    case HR_SESSION_RUNNING: return "running";
    case HR_SESSION_FINISHED: return "finished";
    case HR_SESSION_INTERRUPTED: return "interrupted";
    default: return "unknown";
    }
}

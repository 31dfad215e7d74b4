/* read.c: cursors over ticks (wide rows), steps and events. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct hr_tick_cursor {
    hr_session *s;
    sqlite3_stmt *ticks;    /* tick, t_mono_ns, t_wall_ns in order */
    sqlite3_stmt *samples;  /* tick_channel, value in order */
    int sample_ready;       /* samples holds an unread row */
    int samples_done;
    size_t n;
    hr_reading *values;
};

hr_status hr_session_ticks(hr_session *s, hr_tick_cursor **out) {
    if (!s || !out)
        return HR_EINVAL;
    *out = NULL;
    hr_tick_cursor *c = calloc(1, sizeof *c);
    if (c)
        c->values = calloc(s->nchans ? s->nchans : 1, sizeof *c->values);
    if (!c || !c->values) {
        free(c);
        return hr__session_fail(s, HR_ENOMEM, "tick cursor: out of memory");
    }
    c->s = s;
    c->n = s->nchans;
    pthread_mutex_lock(&s->mu);
    int rc = sqlite3_prepare_v2(s->db, "SELECT tick, t_mono_ns, t_wall_ns FROM ticks ORDER BY tick",
                                -1, &c->ticks, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT tick_channel, value FROM samples ORDER BY tick_channel", -1,
                                &c->samples, NULL);
    hr_status res = rc == SQLITE_OK ? HR_OK : hr__store_fail(s, rc, "read the ticks");
    pthread_mutex_unlock(&s->mu);
    if (res != HR_OK) {
        hr_tick_cursor_free(c);
        return res;
    }
    *out = c;
    return HR_OK;
}

static int advance_samples(hr_tick_cursor *c) {
    int rc = sqlite3_step(c->samples);
    if (rc == SQLITE_ROW) {
        c->sample_ready = 1;
        return SQLITE_OK;
    }
    c->sample_ready = 0;
    c->samples_done = 1;
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Fills c->values for TICK from the sample rows, skipping rows of ticks that
 * have no tick row (none exist in a consistent file). */
static int fill_values(hr_tick_cursor *c, int64_t tick) {
    for (size_t i = 0; i < c->n; i++)
        c->values[i] = hr__unknown(HR_WHY_ABSENT, 0);
    int rc = SQLITE_OK;
    if (!c->sample_ready && !c->samples_done)
        rc = advance_samples(c);
    while (rc == SQLITE_OK && c->sample_ready) {
        int64_t key = sqlite3_column_int64(c->samples, 0);
        int64_t t = key >> HR__CHANNEL_BITS;
        if (t > tick)
            break;
        if (t == tick) {
            int64_t ch = key & HR__CHANNEL_MASK;
            if (ch >= 1 && (size_t)ch <= c->n)
                c->values[ch - 1] = hr__known(sqlite3_column_int64(c->samples, 1));
        }
        rc = advance_samples(c);
    }
    return rc;
}

hr_status hr_tick_cursor_next(hr_tick_cursor *c, hr_tick_row *row) {
    if (!c || !row)
        return HR_EINVAL;
    pthread_mutex_lock(&c->s->mu);
    hr_status res = HR_OK;
    int rc = sqlite3_step(c->ticks);
    if (rc == SQLITE_ROW) {
        row->tick = sqlite3_column_int64(c->ticks, 0);
        row->t_mono_ns = sqlite3_column_int64(c->ticks, 1);
        row->t_wall_ns = sqlite3_column_int64(c->ticks, 2);
        rc = fill_values(c, row->tick);
        row->n = c->n;
        row->values = c->values;
        if (rc != SQLITE_OK)
            res = hr__store_fail(c->s, rc, "read the samples");
    } else if (rc == SQLITE_DONE) {
        res = HR_ENOENT;
    } else {
        res = hr__store_fail(c->s, rc, "read the ticks");
    }
    pthread_mutex_unlock(&c->s->mu);
    return res;
}

void hr_tick_cursor_free(hr_tick_cursor *c) {
    if (!c)
        return;
    sqlite3_finalize(c->ticks);
    sqlite3_finalize(c->samples);
    free(c->values);
    free(c);
}

/* --- steps --- */

struct hr_step_cursor {
    hr_session *s;
    sqlite3_stmt *steps;
    sqlite3_stmt *values;
    size_t cap;
    char **names;
    double *vals;
    size_t n;
};

hr_status hr_session_steps(hr_session *s, hr_step_cursor **out) {
    if (!s || !out)
        return HR_EINVAL;
    *out = NULL;
    hr_step_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return hr__session_fail(s, HR_ENOMEM, "step cursor: out of memory");
    c->s = s;
    pthread_mutex_lock(&s->mu);
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT step, idx, t_mono_ns, t_wall_ns, duration_ns, units "
                                "FROM steps ORDER BY step",
                                -1, &c->steps, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT name, value FROM step_values WHERE step = ?1 ORDER BY name",
                                -1, &c->values, NULL);
    hr_status res = rc == SQLITE_OK ? HR_OK : hr__store_fail(s, rc, "read the steps");
    pthread_mutex_unlock(&s->mu);
    if (res != HR_OK) {
        hr_step_cursor_free(c);
        return res;
    }
    *out = c;
    return HR_OK;
}

static void step_values_clear(hr_step_cursor *c) {
    for (size_t i = 0; i < c->n; i++)
        free(c->names[i]);
    c->n = 0;
}

static int step_values_load(hr_step_cursor *c, int64_t step) {
    step_values_clear(c);
    sqlite3_reset(c->values);
    sqlite3_bind_int64(c->values, 1, step);
    int rc;
    while ((rc = sqlite3_step(c->values)) == SQLITE_ROW) {
        if (c->n == c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 8;
            char **nn = realloc(c->names, ncap * sizeof *nn);
            if (nn)
                c->names = nn;
            double *nv = nn ? realloc(c->vals, ncap * sizeof *nv) : NULL;
            if (!nv)
                return SQLITE_NOMEM;
            c->vals = nv;
            c->cap = ncap;
        }
        const char *name = (const char *)sqlite3_column_text(c->values, 0);
        c->names[c->n] = strdup(name ? name : "");
        if (!c->names[c->n])
            return SQLITE_NOMEM;
        c->vals[c->n] = sqlite3_column_type(c->values, 1) == SQLITE_NULL
                            ? NAN
                            : sqlite3_column_double(c->values, 1);
        c->n++;
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

hr_status hr_step_cursor_next(hr_step_cursor *c, hr_step *step) {
    if (!c || !step)
        return HR_EINVAL;
    pthread_mutex_lock(&c->s->mu);
    hr_status res = HR_OK;
    int rc = sqlite3_step(c->steps);
    if (rc == SQLITE_ROW) {
        sqlite3_stmt *q = c->steps;
        step->index = sqlite3_column_int64(q, 1);
        step->t_mono_ns = sqlite3_column_int64(q, 2);
        step->t_wall_ns = sqlite3_column_int64(q, 3);
        step->duration_ns = sqlite3_column_type(q, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 4);
        step->units = sqlite3_column_type(q, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(q, 5);
        rc = step_values_load(c, sqlite3_column_int64(q, 0));
        step->nvalues = c->n;
        step->names = (const char *const *)c->names;
        step->values = c->vals;
        if (rc != SQLITE_OK)
            res = rc == SQLITE_NOMEM ? hr__session_fail(c->s, HR_ENOMEM, "steps: out of memory")
                                     : hr__store_fail(c->s, rc, "read the step values");
    } else {
        res = rc == SQLITE_DONE ? HR_ENOENT : hr__store_fail(c->s, rc, "read the steps");
    }
    pthread_mutex_unlock(&c->s->mu);
    return res;
}

void hr_step_cursor_free(hr_step_cursor *c) {
    if (!c)
        return;
    step_values_clear(c);
    free(c->names);
    free(c->vals);
    sqlite3_finalize(c->steps);
    sqlite3_finalize(c->values);
    free(c);
}

/* --- events --- */

struct hr_event_cursor {
    hr_session *s;
    sqlite3_stmt *q;
    char *detail;
};

hr_status hr_session_events(hr_session *s, hr_event_cursor **out) {
    if (!s || !out)
        return HR_EINVAL;
    *out = NULL;
    hr_event_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return hr__session_fail(s, HR_ENOMEM, "event cursor: out of memory");
    c->s = s;
    pthread_mutex_lock(&s->mu);
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, kind, start_mono_ns, end_mono_ns, detail FROM events "
                                "ORDER BY start_mono_ns, id",
                                -1, &c->q, NULL);
    hr_status res = rc == SQLITE_OK ? HR_OK : hr__store_fail(s, rc, "read the events");
    pthread_mutex_unlock(&s->mu);
    if (res != HR_OK) {
        hr_event_cursor_free(c);
        return res;
    }
    *out = c;
    return HR_OK;
}

hr_status hr_event_cursor_next(hr_event_cursor *c, hr_event *ev) {
    if (!c || !ev)
        return HR_EINVAL;
    pthread_mutex_lock(&c->s->mu);
    hr_status res = HR_OK;
    int rc = sqlite3_step(c->q);
    if (rc == SQLITE_ROW) {
        memset(ev, 0, sizeof *ev);
        ev->id = sqlite3_column_int64(c->q, 0);
        const char *kind = (const char *)sqlite3_column_text(c->q, 1);
        hr__strlcpy(ev->kind, kind ? kind : "", sizeof ev->kind);
        ev->start_mono_ns = sqlite3_column_int64(c->q, 2);
        ev->end_mono_ns = sqlite3_column_type(c->q, 3) == SQLITE_NULL ? 0
                                                                      : sqlite3_column_int64(c->q, 3);
        const char *d = (const char *)sqlite3_column_text(c->q, 4);
        free(c->detail);
        c->detail = strdup(d ? d : "");
        ev->detail = c->detail ? c->detail : "";
        if (!c->detail)
            res = hr__session_fail(c->s, HR_ENOMEM, "events: out of memory");
    } else {
        res = rc == SQLITE_DONE ? HR_ENOENT : hr__store_fail(c->s, rc, "read the events");
    }
    pthread_mutex_unlock(&c->s->mu);
    return res;
}

void hr_event_cursor_free(hr_event_cursor *c) {
    if (!c)
        return;
    sqlite3_finalize(c->q);
    free(c->detail);
    free(c);
}

/* meta_json.c: a session's metadata as one JSON object (the export sidecar,
 * `report`, the Python binding). */
#include <math.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* Meta keys that are internal bookkeeping or given their own place. */
static int meta_key_hidden(const char *key) {
    static const char *const hidden[] = {"host_json", "writer_boot_id", "writer_start"};
    for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
        if (strcmp(key, hidden[i]) == 0)
            return 1;
    return 0;
}

static json_t *column_json(sqlite3_stmt *st, int col) {
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, col));
    case SQLITE_NULL: return json_null();
    default: return json_string((const char *)sqlite3_column_text(st, col));
    }
}

/* Fills META with every meta key and HOST with the parsed inventory. */
static int add_meta(sqlite3 *db, json_t *meta, json_t *root) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        rc = SQLITE_OK;
        if (!key)
            continue;
        if (strcmp(key, "host_json") == 0) {
            const char *text = (const char *)sqlite3_column_text(st, 1);
            json_t *host = text ? json_loads(text, 0, NULL) : NULL;
            json_object_set_new(root, "host", host ? host : json_null());
        }
        if (!meta_key_hidden(key))
            json_object_set_new(meta, key, column_json(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int add_tags(sqlite3 *db, json_t *tags) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT key, value FROM tags ORDER BY key", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (k)
            json_object_set_new(tags, k, json_string(v ? v : ""));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static json_t *channels_json(const hr_session *s) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < s->nchans; i++) {
        const hr_channel *c = &s->chans[i];
        json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:f, s:s}", "id", c->id,
                                             "component", c->component, "metric", c->metric,
                                             "unit", c->unit, "base_unit", c->base_unit, "scale",
                                             c->scale, "label", c->label));
    }
    return arr;
}

static json_t *summary_json(const hr_session_info *in) {
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(hr_session_state_name(in->state)));
    json_object_set_new(o, "schema_version", json_integer(in->schema_version));
    json_object_set_new(o, "start_mono_ns", json_integer(in->start_mono_ns));
    json_object_set_new(o, "start_wall_ns", json_integer(in->start_wall_ns));
    json_object_set_new(o, "end_mono_ns", in->end_mono_ns ? json_integer(in->end_mono_ns) : json_null());
    json_object_set_new(o, "end_wall_ns", in->end_wall_ns ? json_integer(in->end_wall_ns) : json_null());
    json_object_set_new(o, "duration_s",
                        in->end_mono_ns ? json_real((double)(in->end_mono_ns - in->start_mono_ns) / 1e9)
                                        : json_null());
    json_object_set_new(o, "requested_hz", in->requested_hz > 0 ? json_real(in->requested_hz) : json_null());
    json_object_set_new(o, "achieved_hz",
                        isfinite(in->achieved_hz) ? json_real(in->achieved_hz) : json_null());
    json_object_set_new(o, "ticks", json_integer(in->ticks));
    json_object_set_new(o, "missed_ticks", json_integer(in->missed_ticks));
    json_object_set_new(o, "steps", json_integer(in->steps));
    json_object_set_new(o, "events", json_integer(in->events));
    return o;
}

hr_status hr_session_meta_json(hr_session *s, int indent, char **out) {
    if (!s || !out)
        return HR_EINVAL;
    *out = NULL;
    hr_session_info info = {.size = sizeof info};
    hr_status res = hr_session_info_get(s, &info);
    if (res != HR_OK)
        return res;
    json_t *root = json_object(), *meta = json_object(), *tags = json_object();
    if (!root || !meta || !tags) {
        json_decref(root);
        json_decref(meta);
        json_decref(tags);
        return hr__session_fail(s, HR_ENOMEM, "meta json: out of memory");
    }
    json_object_set_new(root, "format", json_string("headroom-session"));
    json_object_set_new(root, "path", json_string(s->path));
    json_object_set_new(root, "session", summary_json(&info));
    pthread_mutex_lock(&s->mu);
    int rc = add_meta(s->db, meta, root);
    if (rc == SQLITE_OK)
        rc = add_tags(s->db, tags);
    json_object_set_new(root, "channels", channels_json(s));
    if (rc != SQLITE_OK)
        res = hr__store_fail(s, rc, "read the metadata");
    pthread_mutex_unlock(&s->mu);
    json_object_set_new(root, "meta", meta);
    json_object_set_new(root, "tags", tags);
    if (res == HR_OK) {
        size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) |
                       (indent > 0 ? JSON_INDENT(indent > 8 ? 8 : indent) : JSON_COMPACT);
        *out = json_dumps(root, flags);
        if (!*out)
            res = hr__session_fail(s, HR_ENOMEM, "meta json: out of memory");
    }
    json_decref(root);
    return res;
}

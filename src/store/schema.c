/* schema.c: the session file's tables and views (docs/SESSION.md), and the
 * check that a file is a session this library can read. */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* Version 1. Changing anything here means a new HR_SESSION_SCHEMA_VERSION and
 * a section in docs/SESSION.md. Samples are keyed by tick << 12 | channel
 * (HR__CHANNEL_BITS) in a rowid table: appends fill pages completely and a
 * reading costs about 12 bytes, where a (tick, channel) WITHOUT ROWID key
 * costs about 16 (measured in tests/unit/test_store_size.c). */
static const char schema_v1[] =
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE tags(\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE channels(\n"
    "  id INTEGER PRIMARY KEY CHECK (id BETWEEN 1 AND 4095),\n"
    "  component TEXT NOT NULL,\n"
    "  metric TEXT NOT NULL,\n"
    "  unit TEXT NOT NULL,\n"
    "  base_unit TEXT NOT NULL,\n"
    "  scale REAL NOT NULL,\n"
    "  label TEXT NOT NULL DEFAULT '',\n"
    "  UNIQUE(component, metric)\n"
    ");\n"
    "CREATE TABLE ticks(\n"
    "  tick INTEGER PRIMARY KEY,\n"
    "  t_mono_ns INTEGER NOT NULL,\n"
    "  t_wall_ns INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE samples(\n"
    "  tick_channel INTEGER PRIMARY KEY,\n"
    "  value INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE steps(\n"
    "  step INTEGER PRIMARY KEY,\n"
    "  idx INTEGER NOT NULL,\n"
    "  t_mono_ns INTEGER NOT NULL,\n"
    "  t_wall_ns INTEGER NOT NULL,\n"
    "  duration_ns INTEGER,\n"
    "  units REAL\n"
    ");\n"
    "CREATE TABLE step_values(\n"
    "  step INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY(step, name)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE events(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL,\n"
    "  start_mono_ns INTEGER NOT NULL,\n"
    "  end_mono_ns INTEGER,\n"
    "  detail TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    /* The offset from CLOCK_MONOTONIC to UTC for rows that carry only a
     * monotonic time (events): taken from the first tick, else the start. */
    "CREATE VIEW clock_offset AS\n"
    "  SELECT coalesce(\n"
    "    (SELECT t_wall_ns - t_mono_ns FROM ticks ORDER BY tick LIMIT 1),\n"
    "    (SELECT w.value - m.value FROM meta w, meta m\n"
    "      WHERE w.key = 'start_wall_ns' AND m.key = 'start_mono_ns'),\n"
    "    0) AS wall_minus_mono_ns;\n"
    "CREATE VIEW samples_long AS\n"
    "  SELECT s.tick_channel >> 12 AS tick,\n"
    "         strftime('%Y-%m-%dT%H:%M:%fZ', t.t_wall_ns / 1e9, 'unixepoch') AS time_utc,\n"
    "         t.t_wall_ns / 1e9 AS t_unix_s,\n"
    "         t.t_mono_ns AS t_mono_ns,\n"
    "         c.component AS component,\n"
    "         c.metric AS metric,\n"
    "         c.base_unit AS unit,\n"
    "         s.value * c.scale AS value,\n"
    "         c.id AS channel,\n"
    "         c.unit AS stored_unit,\n"
    "         s.value AS stored_value\n"
    "  FROM samples s\n"
    "  JOIN ticks t ON t.tick = (s.tick_channel >> 12)\n"
    "  JOIN channels c ON c.id = (s.tick_channel & 4095);\n"
    "CREATE VIEW steps_long AS\n"
    "  SELECT st.step AS step, st.idx AS idx,\n"
    "         strftime('%Y-%m-%dT%H:%M:%fZ', st.t_wall_ns / 1e9, 'unixepoch') AS time_utc,\n"
    "         st.t_mono_ns AS t_mono_ns,\n"
    "         st.duration_ns / 1e9 AS duration_s, st.units AS units,\n"
    "         v.name AS name, v.value AS value\n"
    "  FROM steps st LEFT JOIN step_values v ON v.step = st.step;\n"
    "CREATE VIEW events_long AS\n"
    "  SELECT e.id AS id, e.kind AS kind,\n"
    "         strftime('%Y-%m-%dT%H:%M:%fZ',\n"
    "                  (e.start_mono_ns + o.wall_minus_mono_ns) / 1e9, 'unixepoch') AS start_utc,\n"
    "         CASE WHEN e.end_mono_ns IS NULL THEN NULL ELSE\n"
    "           strftime('%Y-%m-%dT%H:%M:%fZ',\n"
    "                    (e.end_mono_ns + o.wall_minus_mono_ns) / 1e9, 'unixepoch') END AS end_utc,\n"
    "         (e.end_mono_ns - e.start_mono_ns) / 1e9 AS duration_s,\n"
    "         e.detail AS detail\n"
    "  FROM events e, clock_offset o;\n";

int hr__schema_create(sqlite3 *db) {
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             HR__SESSION_APP_ID, HR_SESSION_SCHEMA_VERSION);
    int rc = hr__store_exec(db, "BEGIN");
    if (rc == SQLITE_OK)
        rc = hr__store_exec(db, schema_v1);
    if (rc == SQLITE_OK)
        rc = hr__store_exec(db, pragmas);
    if (rc == SQLITE_OK)
        rc = hr__store_exec(db, "COMMIT");
    if (rc != SQLITE_OK)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int pragma_int(sqlite3 *db, const char *sql, int *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

hr_status hr__schema_check(sqlite3 *db, int *version, int *rc_out, char *detail, size_t cap) {
    int app = 0, ver = 0;
    int rc = pragma_int(db, "PRAGMA application_id", &app);
    if (rc == SQLITE_OK)
        rc = pragma_int(db, "PRAGMA user_version", &ver);
    *rc_out = rc;
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
        hr__snprintf(detail, cap, "not a headroom session: %s", sqlite3_errstr(rc));
        return HR_EPARSE;
    }
    if (rc != SQLITE_OK) {
        hr__snprintf(detail, cap, "cannot read the session header: %s (SQLite %d)",
                     sqlite3_errstr(rc), rc);
        return HR_ESTORE;
    }
    if (app != HR__SESSION_APP_ID) {
        hr__snprintf(detail, cap,
                     "not a headroom session (SQLite application_id 0x%08x, expected 0x%08x)",
                     (unsigned)app, (unsigned)HR__SESSION_APP_ID);
        return HR_EPARSE;
    }
    if (ver > HR_SESSION_SCHEMA_VERSION) {
        hr__snprintf(detail, cap,
                     "session schema %d is newer than this headroom understands (%d); "
                     "upgrade headroom",
                     ver, HR_SESSION_SCHEMA_VERSION);
        return HR_ENOTSUP;
    }
    if (ver < 1) {
        hr__snprintf(detail, cap, "not a headroom session (schema version %d)", ver);
        return HR_EPARSE;
    }
    *version = ver;
    return HR_OK;
}

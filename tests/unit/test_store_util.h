/* test_store_util.h: temporary directories and raw SQLite checks shared by
 * the store and recorder tests. */
#ifndef HR_TESTS_UNIT_TEST_STORE_UTIL_H
#define HR_TESTS_UNIT_TEST_STORE_UTIL_H

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/hr_test.h"

#include "core/internal.h"

static int tsu_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A fresh directory under TMPDIR; removed by tsu_rmdir. */
static inline char *tsu_mkdtemp(void) {
    const char *base = getenv("TMPDIR");
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/hr-store-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(p))
        fail_msg("mkdtemp failed");
    return p;
}

static inline void tsu_rmdir(char *dir) {
    nftw(dir, tsu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static inline void tsu_path(char *out, size_t cap, const char *dir, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
}

/* Runs SQL on PATH with a separate connection and returns the first column
 * of the first row as an integer (or -1). */
static inline long long tsu_sql_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return v;
}

/* The first column of the first row as text into OUT ("" if none). */
static inline void tsu_sql_text(const char *path, const char *sql, char *out, size_t cap) {
    sqlite3 *db = NULL;
    out[0] = '\0';
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
}

#endif /* HR_TESTS_UNIT_TEST_STORE_UTIL_H */

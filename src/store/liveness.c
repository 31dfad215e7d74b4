/* liveness.c: is the process that writes a "running" session still alive?
 *
 * A session records its writer as (pid, boot id, process start time). The
 * writer is alive when that pid exists on the same boot with the same start
 * time, so a reused pid or a reboot is not mistaken for the writer. Where
 * /proc is absent (macOS), boot id and start time are empty and the pid
 * alone decides. These reads concern the local process table, not the probed
 * machine, so they do not go through the context's root. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

/* Reads a small file into BUF (NUL-terminated, trailing newline removed). */
static int read_small(const char *path, char *buf, size_t cap) {
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 0;
}

static void boot_id(char *buf, size_t cap) {
    if (read_small("/proc/sys/kernel/random/boot_id", buf, cap) != 0)
        buf[0] = '\0';
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot), as
 * text; "" when unavailable. The command name (field 2) may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static void start_time(long pid, char *out, size_t cap, int *zombie) {
    out[0] = '\0';
    *zombie = 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_small(path, buf, sizeof buf) != 0)
        return;
    const char *p = strrchr(buf, ')');
    if (!p)
        return;
    /* Field 3 is the state: a zombie (Z) or dead (X) writer writes no more. */
    if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
        *zombie = 1;
    int field = 2;
    while (*p && field < 22) {
        if (*p == ' ')
            field++;
        p++;
    }
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9' && n + 1 < cap)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void meta_text(sqlite3 *db, const char *key, char *out, size_t cap) {
    out[0] = '\0';
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            hr__strlcpy(out, (const char *)sqlite3_column_text(st, 0), cap);
    }
    sqlite3_finalize(st);
}

int hr__writer_alive(sqlite3 *db) {
    int64_t pid = hr__meta_i64(db, "writer_pid", 0);
    if (pid <= 0)
        return 0;
    char rec_boot[64], now_boot[64];
    meta_text(db, "writer_boot_id", rec_boot, sizeof rec_boot);
    boot_id(now_boot, sizeof now_boot);
    if (rec_boot[0] && now_boot[0] && strcmp(rec_boot, now_boot) != 0)
        return 0; /* the machine rebooted since */
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    char rec_start[32], now_start[32];
    meta_text(db, "writer_start", rec_start, sizeof rec_start);
    int zombie = 0;
    start_time((long)pid, now_start, sizeof now_start, &zombie);
    if (zombie)
        return 0;
    if (rec_start[0] && now_start[0] && strcmp(rec_start, now_start) != 0)
        return 0; /* the pid was reused */
    return 1;
}

int hr__writer_claim(hr_session *s) {
    char boot[64], start[32];
    boot_id(boot, sizeof boot);
    int zombie = 0;
    start_time((long)getpid(), start, sizeof start, &zombie);
    int rc = hr__meta_put_i64(s, "writer_pid", (int64_t)getpid());
    if (rc == SQLITE_OK)
        rc = hr__meta_put_text(s, "writer_boot_id", boot);
    if (rc == SQLITE_OK)
        rc = hr__meta_put_text(s, "writer_start", start);
    return rc;
}

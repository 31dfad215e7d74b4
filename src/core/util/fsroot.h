/* fsroot.h: every file read relative to the context's root directory.
 *
 * Paths given here are relative to the root ("sys/class/hwmon", "proc/stat"),
 * never absolute. Tests point the root at tests/fixtures/linux/<scenario>.
 * All opens go through hr__sys so tests can inject failures. */
#ifndef HR_CORE_UTIL_FSROOT_H
#define HR_CORE_UTIL_FSROOT_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

/* Opens REL read-only under the root. Returns the fd, or -errno. */
int hr__fs_open(const hr_ctx *ctx, const char *rel);

/* Opens the directory REL under the root for listing. Returns NULL with
 * *err set to the errno on failure. Close with closedir(). */
DIR *hr__fs_opendir(const hr_ctx *ctx, const char *rel, int *err);

/* Reads at most cap-1 bytes of REL into BUF and NUL-terminates it; *len gets
 * the byte count. Returns HR_OK, or HR_EIO with *err = errno (ENOENT when the
 * file is absent, EACCES when it needs permission). */
hr_status hr__fs_read(const hr_ctx *ctx, const char *rel, char *buf, size_t cap, size_t *len,
                      int *err);

/* Reads the target of the symlink REL; NUL-terminated. Returns HR_OK or HR_EIO. */
hr_status hr__fs_readlink(const hr_ctx *ctx, const char *rel, char *buf, size_t cap, int *err);

/* 1 when REL exists under the root (any type). */
int hr__fs_exists(const hr_ctx *ctx, const char *rel);

/* One value file kept open for repeated pread at offset 0 (sysfs attributes
 * and procfs files return fresh content on every pread; docs/measurements.md
 * row 25). A failed open is remembered so that the reason is reported on
 * every read without retrying the open in the hot path. */
typedef struct hr__attr {
    int fd;  /* >= 0 when open */
    int err; /* errno of the failed open, else 0 */
} hr__attr;

#define HR__ATTR_NONE {-1, ENOENT}

/* Opens REL into A. Never fails loudly: a failed open is kept in A->err. */
void hr__attr_open(hr__attr *a, const hr_ctx *ctx, const char *rel);

/* Closes A (safe on a never-opened or closed attr). */
void hr__attr_close(hr__attr *a);

/* 1 when A was opened. */
static inline int hr__attr_ok(const hr__attr *a) { return a->fd >= 0; }

/* Reads A's whole content (at most cap-1 bytes) into BUF, NUL-terminated.
 * Returns the length, or -errno on failure (ENODATA when the file is empty). */
long hr__attr_read(hr__attr *a, char *buf, size_t cap);

/* Reads A as one integer, multiplies by MUL and divides by DIV into a
 * reading. Absent, unreadable, empty, non-numeric and overflowing contents
 * become an unknown reading with the matching reason; never a wrong number. */
hr_reading hr__attr_reading(hr__attr *a, int64_t mul, int64_t div);

/* One-shot variant for static values read once at discovery. */
hr_reading hr__fs_reading(const hr_ctx *ctx, const char *rel, int64_t mul, int64_t div);

/* Converts the text of one sysfs value to a reading with the same rules. */
hr_reading hr__text_reading(const char *buf, size_t n, int64_t mul, int64_t div);

#endif /* HR_CORE_UTIL_FSROOT_H */

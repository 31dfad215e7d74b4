/* internal.h: the context and helpers shared by every library module.
 * Nothing here is installed; the CLI and the binding never include it. */
#ifndef HR_CORE_INTERNAL_H
#define HR_CORE_INTERNAL_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "headroom/headroom.h"

#define HR__ERR_CAP 512

struct hr_ctx {
    char root[PATH_MAX];        /* "/" or a fixture tree */
    int root_fd;                /* O_DIRECTORY fd of root; every file read is relative to it */
    char nvml_path[PATH_MAX];   /* "" means the default soname list */
    char err[HR__ERR_CAP];      /* detail of the latest failure */
    int err_code;               /* errno or vendor code of the latest failure */
};

/* Records a failure's detail on the context and returns STATUS, so that
 * callers can write `return hr__fail(ctx, HR_EIO, errno, "...", ...)`. */
hr_status hr__fail(hr_ctx *ctx, hr_status status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Monotonic and wall clocks in nanoseconds. */
int64_t hr__now_mono_ns(void);
int64_t hr__now_wall_ns(void);

/* Bounded string copy that always NUL-terminates and never reads past SRC's
 * NUL. Returns the number of bytes copied (excluding NUL). */
size_t hr__strlcpy(char *dst, const char *src, size_t cap);

/* Like hr__strlcpy, but when SRC does not fit keeps its end behind "...":
 * for file paths, whose last part names the file. */
size_t hr__strlcpy_tail(char *dst, const char *src, size_t cap);

/* Bounded formatted write that always NUL-terminates; truncates silently. */
void hr__snprintf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a reading known with value V. */
static inline hr_reading hr__known(int64_t v) {
    hr_reading r = {v, HR_WHY_KNOWN, 0};
    return r;
}

/* An unknown reading with its reason and underlying code. */
static inline hr_reading hr__unknown(hr_why why, int32_t err) {
    hr_reading r = {0, (int32_t)why, err};
    return r;
}

/* Maps an errno from open/read to the reason a value is unknown. */
hr_why hr__why_from_errno(int err);

/* Probe-wide helpers used by the OS and GPU layers. */

/* Adds or replaces (by NAME) the report of one source on the probe. Never
 * fails loudly: on allocation failure the report is dropped. */
void hr__probe_report(hr_probe *p, const char *name, hr_source_state state, hr_why why,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The context a probe was opened on. */
hr_ctx *hr__probe_ctx(const hr_probe *p);

/* Grows *ARR (element size ELEM) to hold at least N+1 elements; *CAP tracks
 * the capacity. New memory is zeroed. Returns HR_OK or HR_ENOMEM. */
hr_status hr__grow(void **arr, size_t elem, size_t n, size_t *cap);

#endif /* HR_CORE_INTERNAL_H */

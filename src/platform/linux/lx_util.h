/* lx_util.h: small helpers shared by the Linux modules (private to this
 * folder): one-line sysfs reads, natural-order directory listings, and the
 * tally that turns a module's readings into its source report. */
#ifndef HR_PLATFORM_LINUX_LX_UTIL_H
#define HR_PLATFORM_LINUX_LX_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util/fsroot.h"
#include "core/util/parse.h"

/* Longest directory entry kept. sysfs names we read are short ("hwmon12",
 * "thermal_zone3", "intel-rapl-mmio:0"); longer ones are not ours. */
#define HR__LX_NAME_CAP 64

/* Room for a path under the root: class dir + entry + attribute, or a cgroup
 * path (bounded separately in mem.c). */
#define HR__LX_PATH_CAP 512

typedef char hr__lx_name[HR__LX_NAME_CAP];

/* The lowest plausible temperature: anything at or below absolute zero is a
 * driver's "no reading" marker, not a temperature. */
#define HR__LX_TEMP_MIN_MC (-273150)

/* The highest plausible temperature. NVMe drives report 65261.850 C (0xFFFF K)
 * for a threshold they do not have; no silicon survives 1000 C. */
#define HR__LX_TEMP_MAX_MC 1000000

/* Reads the first line of REL (trimmed) into DST. Returns 0, or the errno of
 * the failure (ENODATA when the file is empty or blank). Device-tree strings
 * end with a NUL, which ends the value. */
static inline int hr__lx_read_line(const hr_ctx *ctx, const char *rel, char *dst, size_t cap) {
    /* 256 bytes hold any one-line sysfs string we keep (names, labels, models). */
    char buf[256];
    size_t n = 0;
    int err = 0;
    dst[0] = '\0';
    if (hr__fs_read(ctx, rel, buf, sizeof buf, &n, &err) != HR_OK)
        return err ? err : EIO;
    hr__copy_line(dst, cap, buf, strnlen(buf, n));
    return dst[0] ? 0 : ENODATA;
}

/* An unknown reading for a failed read that returned -ERR (hr__attr_read's
 * convention): an empty file is unreadable, the rest follows the errno. */
static inline hr_reading hr__lx_errno_reading(long neg_err) {
    int err = (int)-neg_err;
    return hr__unknown(err == ENODATA ? HR_WHY_UNREADABLE : hr__why_from_errno(err), err);
}

/* Compares digit runs by value so that "hwmon2" < "hwmon10" and
 * "intel-rapl:0:1" < "intel-rapl:1". */
static inline int hr__lx_natcmp(const char *a, const char *b) {
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0' && a[1] >= '0' && a[1] <= '9')
                a++;
            while (*b == '0' && b[1] >= '0' && b[1] <= '9')
                b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static inline int hr__lx_name_cmp(const void *x, const void *y) {
    return hr__lx_natcmp((const char *)x, (const char *)y);
}

/* Lists the entries of directory REL whose names start with PREFIX ("" for
 * all), in natural order, without "." and "..". *names is malloc'ed (free
 * it, also when *n is 0). A directory that cannot be opened gives 0 entries
 * and *err = its errno (else 0). Returns HR_OK or HR_ENOMEM. */
static inline hr_status hr__lx_list(const hr_ctx *ctx, const char *rel, const char *prefix,
                                    hr__lx_name **names, size_t *n, int *err) {
    *names = NULL;
    *n = 0;
    *err = 0;
    DIR *d = hr__fs_opendir(ctx, rel, err);
    if (!d)
        return HR_OK;
    size_t cap = 0, plen = strlen(prefix);
    hr_status s = HR_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen) != 0 ||
            strlen(e->d_name) >= HR__LX_NAME_CAP)
            continue;
        s = hr__grow((void **)names, sizeof **names, *n, &cap);
        if (s != HR_OK)
            break;
        hr__strlcpy((*names)[(*n)++], e->d_name, HR__LX_NAME_CAP);
    }
    closedir(d);
    if (s != HR_OK) {
        free(*names);
        *names = NULL;
        *n = 0;
        return s;
    }
    if (*n > 1)
        qsort(*names, *n, sizeof **names, hr__lx_name_cmp);
    return HR_OK;
}

/* How a module's readings fared, for its source report. Readings waiting for
 * a second sample count as read: the source answered. */
typedef struct hr__lx_tally {
    int known;
    int unknown;
    hr_why why; /* reason of the first unknown reading */
    int err;
} hr__lx_tally;

static inline void hr__lx_count(hr__lx_tally *t, hr_reading r) {
    if (r.why == HR_WHY_KNOWN || r.why == HR_WHY_NEEDS_INTERVAL) {
        t->known++;
        return;
    }
    if (t->unknown++ == 0) {
        t->why = (hr_why)r.why;
        t->err = r.err;
    }
}

/* Answered when everything was read, partial when some was, absent when
 * nothing was there, failed when something was there but unreadable. */
static inline hr_source_state hr__lx_state(const hr__lx_tally *t) {
    if (t->unknown == 0)
        return t->known ? HR_SOURCE_ANSWERED : HR_SOURCE_ABSENT;
    if (t->known)
        return HR_SOURCE_PARTIAL;
    return t->why == HR_WHY_ABSENT ? HR_SOURCE_ABSENT : HR_SOURCE_FAILED;
}

/* The reason to report with hr__lx_state's state. */
static inline hr_why hr__lx_why(const hr__lx_tally *t) {
    if (t->unknown)
        return t->why;
    return t->known ? HR_WHY_KNOWN : HR_WHY_ABSENT;
}

#endif /* HR_PLATFORM_LINUX_LX_UTIL_H */

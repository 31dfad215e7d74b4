/* fsroot.c: file access relative to the context root. */
#include "core/util/fsroot.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "core/util/parse.h"
#include "sys/sys.h"

/* Strips leading slashes so that openat() stays under the root fd. */
static const char *relative(const char *rel) {
    while (*rel == '/')
        rel++;
    return *rel ? rel : ".";
}

int hr__fs_open(const hr_ctx *ctx, const char *rel) {
    int fd = hr__sys.openat(ctx->root_fd, relative(rel), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    return fd >= 0 ? fd : -errno;
}

DIR *hr__fs_opendir(const hr_ctx *ctx, const char *rel, int *err) {
    int fd = hr__sys.openat(ctx->root_fd, relative(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        *err = errno;
        return NULL;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        *err = errno;
        hr__sys.close(fd);
    }
    return d;
}

/* Reads until EOF or CAP-1 bytes. A short read is taken as EOF without a
 * second call: sysfs attributes are returned whole, and procfs seq_files fill
 * the whole request unless they reach the end. That halves the system calls
 * of a sample (docs/PERFORMANCE.md). */
static long read_all(int fd, char *buf, size_t cap) {
    size_t got = 0;
    while (got + 1 < cap) {
        size_t want = cap - 1 - got;
        ssize_t r = hr__sys.pread(fd, buf + got, want, (off_t)got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        got += (size_t)r;
        if ((size_t)r < want)
            break;
    }
    buf[got] = '\0';
    return (long)got;
}

hr_status hr__fs_read(const hr_ctx *ctx, const char *rel, char *buf, size_t cap, size_t *len,
                      int *err) {
    *err = 0;
    if (cap == 0)
        return HR_EINVAL;
    buf[0] = '\0';
    int fd = hr__fs_open(ctx, rel);
    if (fd < 0) {
        *err = -fd;
        return HR_EIO;
    }
    long n = read_all(fd, buf, cap);
    hr__sys.close(fd);
    if (n < 0) {
        *err = (int)-n;
        return HR_EIO;
    }
    if (len)
        *len = (size_t)n;
    return HR_OK;
}

hr_status hr__fs_readlink(const hr_ctx *ctx, const char *rel, char *buf, size_t cap, int *err) {
    ssize_t n = hr__sys.readlinkat(ctx->root_fd, relative(rel), buf, cap - 1);
    if (n < 0) {
        *err = errno;
        buf[0] = '\0';
        return HR_EIO;
    }
    buf[n] = '\0';
    return HR_OK;
}

int hr__fs_exists(const hr_ctx *ctx, const char *rel) {
    return faccessat(ctx->root_fd, relative(rel), F_OK, 0) == 0;
}

void hr__attr_open(hr__attr *a, const hr_ctx *ctx, const char *rel) {
    int fd = hr__fs_open(ctx, rel);
    a->fd = fd >= 0 ? fd : -1;
    a->err = fd >= 0 ? 0 : -fd;
}

void hr__attr_close(hr__attr *a) {
    if (a->fd >= 0)
        hr__sys.close(a->fd);
    a->fd = -1;
    a->err = ENOENT;
}

long hr__attr_read(hr__attr *a, char *buf, size_t cap) {
    if (a->fd < 0)
        return -(long)(a->err ? a->err : ENOENT);
    long n = read_all(a->fd, buf, cap);
    if (n == 0)
        return -ENODATA;
    return n;
}

hr_reading hr__text_reading(const char *buf, size_t n, int64_t mul, int64_t div) {
    int64_t v;
    if (hr__parse_i64(buf, n, &v) != HR_OK || hr__scale_i64(v, mul, div, &v) != HR_OK)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(v);
}

hr_reading hr__attr_reading(hr__attr *a, int64_t mul, int64_t div) {
    /* 64 bytes hold any integer sysfs prints; longer content is not a value. */
    char buf[64];
    long n = hr__attr_read(a, buf, sizeof buf);
    if (n < 0)
        return hr__unknown(n == -ENODATA ? HR_WHY_UNREADABLE : hr__why_from_errno((int)-n),
                           (int32_t)-n);
    if ((size_t)n >= sizeof buf - 1)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__text_reading(buf, (size_t)n, mul, div);
}

hr_reading hr__fs_reading(const hr_ctx *ctx, const char *rel, int64_t mul, int64_t div) {
    hr__attr a;
    hr__attr_open(&a, ctx, rel);
    hr_reading r = hr__attr_reading(&a, mul, div);
    hr__attr_close(&a);
    return r;
}

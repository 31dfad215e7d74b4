/* context.c: hr_ctx, error detail and small shared helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "sys/sys.h"

size_t hr__strlcpy(char *dst, const char *src, size_t cap) {
    if (cap == 0)
        return 0;
    size_t n = 0;
    while (src && src[n] && n + 1 < cap) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return n;
}

size_t hr__strlcpy_tail(char *dst, const char *src, size_t cap) {
    size_t len = src ? strlen(src) : 0;
    if (cap < 8 || len < cap)
        return hr__strlcpy(dst, src, cap);
    size_t keep = cap - 4; /* "..." + tail + NUL */
    memcpy(dst, "...", 3);
    memcpy(dst + 3, src + len - keep, keep + 1);
    return keep + 3;
}

void hr__snprintf(char *dst, size_t cap, const char *fmt, ...) {
    if (cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        dst[0] = '\0';
}

hr_status hr__fail(hr_ctx *ctx, hr_status status, int code, const char *fmt, ...) {
    if (!ctx)
        return status;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(ctx->err, sizeof ctx->err, fmt, ap);
    va_end(ap);
    if (n < 0)
        ctx->err[0] = '\0';
    ctx->err_code = code;
    return status;
}

static int64_t now_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t hr__now_mono_ns(void) { return now_ns(CLOCK_MONOTONIC); }

int64_t hr__now_wall_ns(void) { return now_ns(CLOCK_REALTIME); }

hr_why hr__why_from_errno(int err) {
    switch (err) {
    case 0: return HR_WHY_KNOWN;
    case ENOENT:
    case ENOTDIR: return HR_WHY_ABSENT;
    case EACCES:
    case EPERM: return HR_WHY_NO_PERMISSION;
    case ENODEV:
    case ENXIO: return HR_WHY_VANISHED;
    case EOPNOTSUPP:
    case EINVAL: return HR_WHY_NOT_SUPPORTED;
    case ENODATA: return HR_WHY_UNREADABLE;
    default: return HR_WHY_IO_ERROR;
    }
}

hr_status hr__grow(void **arr, size_t elem, size_t n, size_t *cap) {
    if (n < *cap)
        return HR_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap <= n)
        ncap *= 2;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return HR_ENOMEM;
    memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return HR_OK;
}

static hr_status open_root(hr_ctx *ctx, const char *dir) {
    int fd = hr__sys.openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hr__fail(ctx, HR_EINVAL, errno, "root directory %s: %s", dir, strerror(errno));
    if (ctx->root_fd >= 0)
        hr__sys.close(ctx->root_fd);
    ctx->root_fd = fd;
    hr__strlcpy(ctx->root, dir, sizeof ctx->root);
    return HR_OK;
}

hr_status hr_ctx_new(hr_ctx **out) {
    if (!out)
        return HR_EINVAL;
    *out = NULL;
    hr_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return HR_ENOMEM;
    ctx->root_fd = -1;
    const char *root = getenv("HEADROOM_ROOT");
    hr_status s = open_root(ctx, root && *root ? root : "/");
    if (s != HR_OK) {
        free(ctx);
        return s;
    }
    const char *nvml = getenv("HEADROOM_NVML_LIBRARY");
    if (nvml && *nvml)
        hr__strlcpy(ctx->nvml_path, nvml, sizeof ctx->nvml_path);
    *out = ctx;
    return HR_OK;
}

void hr_ctx_free(hr_ctx *ctx) {
    if (!ctx)
        return;
    if (ctx->root_fd >= 0)
        hr__sys.close(ctx->root_fd);
    free(ctx);
}

hr_status hr_ctx_set_root(hr_ctx *ctx, const char *dir) {
    if (!ctx || !dir || !*dir)
        return ctx ? hr__fail(ctx, HR_EINVAL, 0, "root directory: empty path") : HR_EINVAL;
    return open_root(ctx, dir);
}

const char *hr_ctx_root(const hr_ctx *ctx) { return ctx ? ctx->root : "/"; }

hr_status hr_ctx_set_nvml_library(hr_ctx *ctx, const char *path) {
    if (!ctx)
        return HR_EINVAL;
    hr__strlcpy(ctx->nvml_path, path ? path : "", sizeof ctx->nvml_path);
    return HR_OK;
}

const char *hr_ctx_last_error(const hr_ctx *ctx) { return ctx ? ctx->err : ""; }

void hr_free(void *p) { free(p); }

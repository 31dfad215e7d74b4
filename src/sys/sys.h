/* sys.h: the seam every read from the outside world goes through.
 *
 * Tests replace entries of hr__sys to fail the Nth call with a chosen errno
 * (SQLite's test_syscall idea). Production code calls hr__sys.xxx, never the
 * libc function directly. */
#ifndef HR_SYS_SYS_H
#define HR_SYS_SYS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct hr__sys_table {
    int (*openat)(int dirfd, const char *path, int flags, ...);
    ssize_t (*pread)(int fd, void *buf, size_t n, off_t off);
    int (*close)(int fd);
    ssize_t (*readlinkat)(int dirfd, const char *path, char *buf, size_t cap);
    void *(*dlopen)(const char *file, int mode);
    void *(*dlsym)(void *handle, const char *name);
    int (*dlclose)(void *handle);
    /* sysctlbyname on macOS; NULL elsewhere unless a test installs a fake. */
    int (*sysctlbyname)(const char *name, void *old, size_t *oldlen, void *new_, size_t newlen);
} hr__sys_table;

extern hr__sys_table hr__sys;

/* Restores every entry to the real function. */
void hr__sys_reset(void);

#endif /* HR_SYS_SYS_H */

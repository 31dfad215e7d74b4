/* test_linux_util.h: helpers shared by the test_linux_*.c unit tests (not a
 * test itself): opening a probe on a fixture or a writable copy of one,
 * finding sensors/zones/domains/sources by name, and fault injection through
 * the hr__sys seam for paths that contain a given string. */
#ifndef HR_TESTS_UNIT_TEST_LINUX_UTIL_H
#define HR_TESTS_UNIT_TEST_LINUX_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "harness/hr_test.h"
#include "sys/sys.h"

#define LX_UNUSED __attribute__((unused))

/* Opens a probe on ROOT (a directory) or, when ROOT is NULL, the live host. */
LX_UNUSED static hr_probe *lx_open_dir(const char *root, hr_ctx **ctx) {
    *ctx = hr_test_ctx(NULL);
    if (root) {
        assert_int_equal(hr_ctx_set_root(*ctx, root), HR_OK);
        hr_ctx_set_nvml_library(*ctx, HR_BUILD_DIR "/no-such-libnvidia-ml.so.1");
    }
    hr_probe *p = NULL;
    assert_int_equal(hr_probe_open(*ctx, &p), HR_OK);
    assert_non_null(p);
    return p;
}

/* Opens a probe on tests/fixtures/linux/SCENARIO. */
LX_UNUSED static hr_probe *lx_open(const char *scenario, hr_ctx **ctx) {
    char rel[256];
    snprintf(rel, sizeof rel, "linux/%s", scenario);
    *ctx = hr_test_ctx(rel);
    hr_probe *p = NULL;
    assert_int_equal(hr_probe_open(*ctx, &p), HR_OK);
    assert_non_null(p);
    return p;
}

LX_UNUSED static void lx_close(hr_probe *p, hr_ctx *ctx) {
    hr_probe_free(p);
    hr_ctx_free(ctx);
}

LX_UNUSED static const hr_source_report *lx_source(const hr_probe *p, const char *name) {
    for (size_t i = 0; i < p->nsources; i++)
        if (strcmp(p->sources[i].name, name) == 0)
            return &p->sources[i];
    fail_msg("no source named %s", name);
    return NULL;
}

/* The sensor of CHIP with LABEL, or NULL. */
LX_UNUSED static const hr_sensor *lx_sensor(const hr_probe *p, const char *chip,
                                            const char *label) {
    for (size_t i = 0; i < p->nsensors; i++)
        if (strcmp(p->sensors[i].chip, chip) == 0 && strcmp(p->sensors[i].label, label) == 0)
            return &p->sensors[i];
    return NULL;
}

/* How many sensors CHIP has. */
LX_UNUSED static size_t lx_chip_count(const hr_probe *p, const char *chip) {
    size_t n = 0;
    for (size_t i = 0; i < p->nsensors; i++)
        n += strcmp(p->sensors[i].chip, chip) == 0;
    return n;
}

LX_UNUSED static const hr_thermal_zone *lx_zone(const hr_probe *p, const char *name) {
    for (size_t i = 0; i < p->nzones; i++)
        if (strcmp(p->zones[i].name, name) == 0)
            return &p->zones[i];
    return NULL;
}

LX_UNUSED static const hr_rapl_domain *lx_rapl(const hr_probe *p, const char *path) {
    for (size_t i = 0; i < p->nrapl; i++)
        if (strcmp(p->rapl[i].path, path) == 0)
            return &p->rapl[i];
    return NULL;
}

/* ---- writable copies of fixtures ----------------------------------------- */

/* Copies tests/fixtures/linux/SCENARIO into a new temporary directory (kept
 * symlinks relative, so the copy resolves the same). Returns its path
 * (static storage: one copy per test at a time). */
LX_UNUSED static const char *lx_copy(const char *scenario) {
    static char dir[256];
    char cmd[1024], rel[256];
    snprintf(dir, sizeof dir, "/tmp/hr-test-linux-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(rel, sizeof rel, "linux/%s", scenario);
    snprintf(cmd, sizeof cmd, "cp -a '%s/.' '%s/'", hr_test_fixture(rel), dir);
    assert_int_equal(system(cmd), 0);
    return dir;
}

LX_UNUSED static void lx_rmtree(const char *dir) {
    char cmd[512];
    assert_true(strncmp(dir, "/tmp/hr-test-linux-", 19) == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Rewrites DIR/REL in place (same inode, so fds kept open see the change). */
LX_UNUSED static void lx_write(const char *dir, const char *rel, const char *content) {
    char path[1024], cmd[1200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(content, f);
    fclose(f);
}

LX_UNUSED static void lx_remove(const char *dir, const char *rel) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/%s'", dir, rel);
    assert_int_equal(system(cmd), 0);
}

LX_UNUSED static void lx_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- fault injection through hr__sys ------------------------------------- */

/* How a matching path fails. */
enum {
    LX_FAIL_OPEN = 0,  /* openat fails */
    LX_FAIL_READ = 1,  /* every pread fails */
    LX_FAIL_LATER = 2  /* preads fail once lx_fault_arm() is called: the file was
                          there at discovery, then broke */
};

static struct {
    const char *match;
    int err;
    int on_read; /* LX_FAIL_* */
    int armed;
    int fds[64];
    int nfds;
    int hits;
} lx_fault;

LX_UNUSED static int lx_fault_openat(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    int match = lx_fault.match && strstr(path, lx_fault.match) != NULL;
    if (match && !lx_fault.on_read) {
        lx_fault.hits++;
        errno = lx_fault.err;
        return -1;
    }
    int fd = openat(dirfd, path, flags, mode);
    if (fd >= 0 && match && lx_fault.nfds < 64)
        lx_fault.fds[lx_fault.nfds++] = fd;
    return fd;
}

LX_UNUSED static ssize_t lx_fault_pread(int fd, void *buf, size_t n, off_t off) {
    for (int i = 0; lx_fault.armed && i < lx_fault.nfds; i++) {
        if (lx_fault.fds[i] == fd) {
            lx_fault.hits++;
            errno = lx_fault.err;
            return -1;
        }
    }
    return pread(fd, buf, n, off);
}

LX_UNUSED static int lx_fault_close(int fd) {
    for (int i = 0; i < lx_fault.nfds; i++)
        if (lx_fault.fds[i] == fd)
            lx_fault.fds[i] = lx_fault.fds[--lx_fault.nfds];
    return close(fd);
}

/* Makes paths containing MATCH fail with ERR as MODE (LX_FAIL_*) says. */
LX_UNUSED static void lx_fault_install(const char *match, int err, int mode) {
    memset(&lx_fault, 0, sizeof lx_fault);
    lx_fault.match = match;
    lx_fault.err = err;
    lx_fault.on_read = mode != LX_FAIL_OPEN;
    lx_fault.armed = mode == LX_FAIL_READ;
    hr__sys.openat = lx_fault_openat;
    hr__sys.pread = lx_fault_pread;
    hr__sys.close = lx_fault_close;
}

/* LX_FAIL_LATER: from now on, reads of the matching files fail. */
LX_UNUSED static void lx_fault_arm(void) { lx_fault.armed = 1; }

/* Restores the real system calls. */
LX_UNUSED static void lx_fault_clear(void) {
    hr__sys_reset();
    memset(&lx_fault, 0, sizeof lx_fault);
}

/* 1 when the live host has DIR (relative to "/"). */
LX_UNUSED static int lx_host_has(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "/%s", dir);
    return access(path, F_OK) == 0;
}

#endif /* HR_TESTS_UNIT_TEST_LINUX_UTIL_H */

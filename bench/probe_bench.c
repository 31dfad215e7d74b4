/* probe_bench.c: the cost of one full Linux sample (hr_probe_refresh) against
 * the raw pread floor of the same files, measured in the same run.
 *
 * The floor is found by watching which files the probe keeps open: every
 * openat made through the hr__sys seam during hr_probe_open is recorded, and
 * the floor loop preads each of those files once per iteration with no
 * parsing. Usage: probe_bench [--root DIR] [--iterations N]. Prints one JSON
 * object on stdout. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "headroom/headroom.h"
#include "sys/sys.h"

#define MAX_FILES 4096

static char *paths[MAX_FILES];
static int dirfds[MAX_FILES];
static int npaths;

static int recording_openat(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    int fd = openat(dirfd, path, flags, mode);
    if (fd >= 0 && !(flags & O_DIRECTORY) && npaths < MAX_FILES) {
        paths[npaths] = strdup(path);
        dirfds[npaths] = dirfd;
        npaths++;
    }
    return fd;
}

static double cpu_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The floor: pread every file the probe reads, once per iteration. */
static void floor_loop(int iterations, double *cpu_us, double *wall_us, int *nfiles) {
    int fds[MAX_FILES];
    int n = 0;
    for (int i = 0; i < npaths; i++) {
        int fd = openat(dirfds[i], paths[i], O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            fds[n++] = fd;
    }
    char buf[65536];
    double c0 = cpu_now_s(), w0 = wall_now_s();
    for (int it = 0; it < iterations; it++)
        for (int i = 0; i < n; i++)
            if (pread(fds[i], buf, sizeof buf, 0) < 0)
                continue;
    *cpu_us = (cpu_now_s() - c0) * 1e6 / iterations;
    *wall_us = (wall_now_s() - w0) * 1e6 / iterations;
    *nfiles = n;
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

int main(int argc, char **argv) {
    const char *root = NULL;
    int iterations = 20000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = atoi(argv[++i]);
    }
    if (iterations <= 0)
        iterations = 1;
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK || (root && hr_ctx_set_root(ctx, root) != HR_OK)) {
        fprintf(stderr, "probe_bench: %s\n", ctx ? hr_ctx_last_error(ctx) : "no context");
        return 1;
    }
    hr__sys.openat = recording_openat;
    hr_probe *p = NULL;
    if (hr_probe_open(ctx, &p) != HR_OK) {
        fprintf(stderr, "probe_bench: %s\n", hr_ctx_last_error(ctx));
        return 1;
    }
    hr__sys_reset();
    int kept = npaths;
    /* Warm up, then measure the refresh path. */
    for (int i = 0; i < 100; i++)
        hr_probe_refresh(p);
    double c0 = cpu_now_s(), w0 = wall_now_s();
    for (int i = 0; i < iterations; i++)
        hr_probe_refresh(p);
    double probe_cpu_us = (cpu_now_s() - c0) * 1e6 / iterations;
    double probe_wall_us = (wall_now_s() - w0) * 1e6 / iterations;
    double floor_cpu_us, floor_wall_us;
    int nfiles;
    floor_loop(iterations, &floor_cpu_us, &floor_wall_us, &nfiles);
    printf("{\"root\": \"%s\", \"iterations\": %d, \"files_opened\": %d, \"files_floor\": %d, "
           "\"cores\": %zu, \"sensors\": %zu, \"zones\": %zu, \"rapl\": %zu, \"gpus\": %zu, "
           "\"probe_cpu_us\": %.2f, \"probe_wall_us\": %.2f, "
           "\"floor_cpu_us\": %.2f, \"floor_wall_us\": %.2f, \"ratio_to_floor\": %.3f}\n",
           root ? root : "/", iterations, kept, nfiles, p->ncores, p->nsensors, p->nzones, p->nrapl,
           p->ngpus, probe_cpu_us, probe_wall_us, floor_cpu_us, floor_wall_us,
           floor_cpu_us > 0 ? probe_cpu_us / floor_cpu_us : 0.0);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    for (int i = 0; i < npaths; i++)
        free(paths[i]);
    return 0;
}

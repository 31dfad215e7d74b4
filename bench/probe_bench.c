/* probe_bench.c: the cost of one full Linux sample (hr_probe_refresh) against
 * the raw pread floor of the same files, measured in the same run.
 *
 * The floor is the refresh's own system calls and nothing else: every pread
 * one refresh makes through the hr__sys seam is recorded (fd, size), and the
 * floor loop repeats exactly those preads on the same fds with no parsing.
 * Usage: probe_bench [--root DIR] [--iterations N]. Prints one JSON object.
 *
 * With --hz HZ --seconds S it measures instead what sampling at a cadence
 * costs at least (bench/record_bench.py): three loops of S seconds each,
 * woken on absolute CLOCK_MONOTONIC deadlines like the recorder, doing
 * nothing, the floor's preads, and a full hr_probe_refresh. Their CPU per
 * tick is the floor under `headroom record` at that rate, storage aside. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "headroom/headroom.h"
#include "sys/sys.h"

#define MAX_READS 8192

static int read_fd[MAX_READS];
static size_t read_len[MAX_READS];
static int nreads;

static ssize_t recording_pread(int fd, void *buf, size_t n, off_t off) {
    ssize_t r = pread(fd, buf, n, off);
    if (off == 0 && nreads < MAX_READS) {
        read_fd[nreads] = fd;
        read_len[nreads] = n;
        nreads++;
    }
    return r;
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

/* The floor: the recorded preads, again, on the same fds. */
static void floor_loop(int iterations, double *cpu_us, double *wall_us) {
    static char buf[1 << 16];
    double c0 = cpu_now_s(), w0 = wall_now_s();
    for (int it = 0; it < iterations; it++)
        for (int i = 0; i < nreads; i++) {
            size_t n = read_len[i] < sizeof buf ? read_len[i] : sizeof buf;
            if (pread(read_fd[i], buf, n, 0) < 0)
                continue;
        }
    *cpu_us = (cpu_now_s() - c0) * 1e6 / iterations;
    *wall_us = (wall_now_s() - w0) * 1e6 / iterations;
}

/* What a paced loop does on each tick. */
enum paced_work { PACED_SLEEP, PACED_FLOOR, PACED_REFRESH };

/* HZ ticks a second for SECONDS on absolute deadlines; CPU us per tick. */
static double paced_loop(hr_probe *p, enum paced_work work, double hz, double seconds) {
    static char buf[1 << 16];
    long long period = (long long)(1e9 / hz), n = (long long)(hz * seconds);
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double c0 = cpu_now_s();
    for (long long k = 0; k < n; k++) {
        t.tv_nsec += period;
        while (t.tv_nsec >= 1000000000L) {
            t.tv_nsec -= 1000000000L;
            t.tv_sec++;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
        if (work == PACED_REFRESH)
            hr_probe_refresh(p);
        for (int i = 0; work == PACED_FLOOR && i < nreads; i++) {
            size_t len = read_len[i] < sizeof buf ? read_len[i] : sizeof buf;
            if (pread(read_fd[i], buf, len, 0) < 0)
                continue;
        }
    }
    return (cpu_now_s() - c0) * 1e6 / (double)(n ? n : 1);
}

static void paced(hr_probe *p, double hz, double seconds) {
    double sleep_us = paced_loop(p, PACED_SLEEP, hz, seconds);
    double floor_us = paced_loop(p, PACED_FLOOR, hz, seconds);
    double refresh_us = paced_loop(p, PACED_REFRESH, hz, seconds);
    printf("{\"hz\": %g, \"seconds\": %g, \"preads_per_sample\": %d, "
           "\"sleep_cpu_us_per_tick\": %.2f, \"floor_cpu_us_per_tick\": %.2f, "
           "\"refresh_cpu_us_per_tick\": %.2f, \"floor_share_of_core\": %.5f, "
           "\"refresh_share_of_core\": %.5f}\n",
           hz, seconds, nreads, sleep_us, floor_us, refresh_us, floor_us * hz / 1e6,
           refresh_us * hz / 1e6);
}

int main(int argc, char **argv) {
    const char *root = NULL;
    int iterations = 20000;
    double hz = 0, seconds = 10;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
            root = argv[++i];
        else if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc)
            iterations = atoi(argv[++i]);
        else if (strcmp(argv[i], "--hz") == 0 && i + 1 < argc)
            hz = atof(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
    }
    if (iterations <= 0)
        iterations = 1;
    hr_ctx *ctx = NULL;
    if (hr_ctx_new(&ctx) != HR_OK || (root && hr_ctx_set_root(ctx, root) != HR_OK)) {
        fprintf(stderr, "probe_bench: %s\n", ctx ? hr_ctx_last_error(ctx) : "no context");
        return 1;
    }
    hr_probe *p = NULL;
    if (hr_probe_open(ctx, &p) != HR_OK) {
        fprintf(stderr, "probe_bench: %s\n", hr_ctx_last_error(ctx));
        return 1;
    }
    hr_probe_refresh(p);
    hr__sys.pread = recording_pread;
    hr_probe_refresh(p);
    hr__sys_reset();
    if (hz > 0 && seconds > 0) {
        paced(p, hz, seconds);
        hr_probe_free(p);
        hr_ctx_free(ctx);
        return 0;
    }
    /* Warm up, then measure the refresh path. */
    for (int i = 0; i < 100; i++)
        hr_probe_refresh(p);
    double c0 = cpu_now_s(), w0 = wall_now_s();
    for (int i = 0; i < iterations; i++)
        hr_probe_refresh(p);
    double probe_cpu_us = (cpu_now_s() - c0) * 1e6 / iterations;
    double probe_wall_us = (wall_now_s() - w0) * 1e6 / iterations;
    double floor_cpu_us, floor_wall_us;
    floor_loop(iterations, &floor_cpu_us, &floor_wall_us);
    printf("{\"root\": \"%s\", \"iterations\": %d, \"preads_per_sample\": %d, "
           "\"cores\": %zu, \"sensors\": %zu, \"zones\": %zu, \"rapl\": %zu, \"gpus\": %zu, "
           "\"probe_cpu_us\": %.2f, \"probe_wall_us\": %.2f, "
           "\"floor_cpu_us\": %.2f, \"floor_wall_us\": %.2f, \"ratio_to_floor\": %.3f}\n",
           root ? root : "/", iterations, nreads, p->ncores, p->nsensors, p->nzones, p->nrapl,
           p->ngpus, probe_cpu_us, probe_wall_us, floor_cpu_us, floor_wall_us,
           floor_cpu_us > 0 ? probe_cpu_us / floor_cpu_us : 0.0);
    hr_probe_free(p);
    hr_ctx_free(ctx);
    return 0;
}

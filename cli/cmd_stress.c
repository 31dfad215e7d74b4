/* cmd_stress.c: `headroom stress`, a duty-cycle CPU load generator for
 * calibrating the recorder and exercising the governor end to end.
 *
 * N worker threads each run 100 ms slices: busy doing fixed units of work
 * until they have used load(t) x 100 ms of CPU, then asleep until the
 * slice's absolute end. load(t)
 * follows the pattern (constant, ramp, square, sine) with the given period.
 * With --steps the workers share a fixed amount of work (steps x units) and
 * the main thread prints tqdm-style progress on stderr, so that pausing the
 * process visibly stretches the steps. SIGINT and SIGTERM stop everything
 * cleanly; the exit code is then 128 + the signal number. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"

#define SLICE_NS 100000000LL /* the duty-cycle slice: 100 ms */
#define POLL_NS 20000000LL   /* how often the main thread looks around */
#define UNIT_ROUNDS 262144u  /* rounds of the mixing function in one unit of work */
#define MAX_CPUS 1024

typedef enum pattern { PAT_CONSTANT, PAT_RAMP, PAT_SQUARE, PAT_SINE } pattern;

static const char *const pattern_names[] = {"constant", "ramp", "square", "sine"};

typedef struct stress_opts {
    long cpus;
    double load;
    pattern pat;
    double duration_s; /* 0: until the steps are done or a signal */
    double period_s;
    long steps; /* 0: no steps */
    long units_per_step;
} stress_opts;

/* Shared by the workers and the main thread. */
typedef struct stress_run {
    const stress_opts *o;
    int64_t t0_ns;
    atomic_int stop;
    atomic_llong units_claimed; /* steps mode: units handed out */
    atomic_llong units_done;    /* steps mode: units finished */
    long long units_total;
    atomic_ullong sink; /* keeps the work from being optimised away */
} stress_run;

static atomic_int got_signal;

static void on_signal(int sig) { atomic_store(&got_signal, sig); }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time this thread has used. */
static int64_t thread_cpu_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps until monotonic time T. macOS has no clock_nanosleep, so the
 * absolute deadline is turned into relative sleeps, re-checked after each. */
static void sleep_until_ns(int64_t t) {
    for (int64_t left = t - now_ns(); left > 0; left = t - now_ns()) {
        struct timespec ts = {(time_t)(left / 1000000000LL), (long)(left % 1000000000LL)};
        nanosleep(&ts, NULL);
    }
}

/* --- the load --------------------------------------------------------- */

/* The requested load at T_S seconds into the run, in [0, load]. */
static double load_at(const stress_opts *o, double t_s) {
    double phase = fmod(t_s / o->period_s, 1.0);
    switch (o->pat) {
    case PAT_RAMP: return o->load * phase;
    case PAT_SQUARE: return phase < 0.5 ? o->load : 0.0;
    case PAT_SINE: return o->load * (0.5 - 0.5 * cos(2.0 * M_PI * phase));
    case PAT_CONSTANT: break;
    }
    return o->load;
}

/* One unit of work: rounds of a 64-bit mixing function (splitmix64). */
static uint64_t work_unit(uint64_t x) {
    for (unsigned i = 0; i < UNIT_ROUNDS; i++) {
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        x ^= z ^ (z >> 31);
    }
    return x;
}

/* Steps mode: claims and does one unit; 0 when all units are handed out. */
static int do_counted_unit(stress_run *run, uint64_t *x) {
    if (atomic_fetch_add(&run->units_claimed, 1) >= run->units_total)
        return 0;
    *x = work_unit(*x);
    atomic_fetch_add(&run->units_done, 1);
    return 1;
}

/* Busy until this thread has used BUDGET_NS of CPU or the slice ends at
 * END_NS (or the stop flag, or no work left). Counting CPU time rather than
 * wall time keeps the achieved load right when other processes compete for
 * the cores. */
static void busy_for(stress_run *run, int64_t budget_ns, int64_t end_ns, uint64_t *x) {
    int64_t cpu0 = thread_cpu_ns();
    while (!atomic_load(&run->stop) && thread_cpu_ns() - cpu0 < budget_ns && now_ns() < end_ns) {
        if (run->units_total > 0) {
            if (!do_counted_unit(run, x))
                return;
        } else {
            *x = work_unit(*x);
        }
    }
}

static void *worker(void *arg) {
    stress_run *run = arg;
    uint64_t x = (uint64_t)(uintptr_t)&x;
    int64_t slice = now_ns();
    while (!atomic_load(&run->stop)) {
        int64_t now = now_ns();
        /* After a pause (SIGSTOP) or an overrun, start afresh instead of
         * catching up with a burst. */
        if (now >= slice + SLICE_NS)
            slice = now;
        double l = load_at(run->o, (double)(slice - run->t0_ns) / 1e9);
        if (l > 0.0)
            busy_for(run, (int64_t)(l * (double)SLICE_NS), slice + SLICE_NS, &x);
        if (run->units_total > 0 && atomic_load(&run->units_claimed) >= run->units_total)
            break;
        slice += SLICE_NS;
        sleep_until_ns(slice);
    }
    atomic_fetch_xor(&run->sink, x);
    return NULL;
}

/* --- progress ------------------------------------------------------------ */

/* "mm:ss", or "h:mm:ss" from an hour on. */
static void fmt_clock(char *buf, size_t cap, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%02ld:%02ld", t / 60, t % 60);
}

/* One tqdm-style line: "  42%|####      | 21/50 [00:10<00:12,  2.05it/s]". */
static void progress_line(char *buf, size_t cap, long done, long total, double elapsed_s) {
    double frac = total > 0 ? (double)done / (double)total : 0.0;
    char bar[11];
    int full = (int)(frac * 10.0);
    for (int i = 0; i < 10; i++)
        bar[i] = i < full ? '#' : ' ';
    bar[10] = '\0';
    char el[32], rem[32] = "?", rate[32] = "?it/s";
    fmt_clock(el, sizeof el, elapsed_s);
    if (done > 0 && elapsed_s > 0) {
        double r = (double)done / elapsed_s;
        fmt_clock(rem, sizeof rem, (double)(total - done) / r);
        if (r >= 1.0)
            snprintf(rate, sizeof rate, "%5.2fit/s", r);
        else
            snprintf(rate, sizeof rate, "%5.2fs/it", 1.0 / r);
    }
    snprintf(buf, cap, " %3.0f%%|%s| %ld/%ld [%s<%s, %s]", frac * 100.0, bar, done, total, el, rem,
             rate);
}

typedef struct progress {
    int tty;
    long shown;      /* steps already printed */
    int64_t last_ns; /* last tty refresh */
} progress;

static void progress_show(progress *p, const stress_run *run, int64_t now, int final) {
    long total = run->o->steps;
    long done = (long)(atomic_load(&((stress_run *)run)->units_done) / run->o->units_per_step);
    if (done > total)
        done = total;
    double el = (double)(now - run->t0_ns) / 1e9;
    char line[160];
    if (p->tty) {
        if (done == p->shown && !final && now - p->last_ns < 100000000LL)
            return;
        progress_line(line, sizeof line, done, total, el);
        fprintf(stderr, "\r%s%s", line, final ? "\n" : "");
        p->shown = done;
        p->last_ns = now;
    } else {
        for (; p->shown < done; p->shown++) {
            progress_line(line, sizeof line, p->shown + 1, total, el);
            fprintf(stderr, "%s\n", line);
        }
    }
    fflush(stderr);
}

/* The opening "0/N" line tqdm prints when a bar is made: a reader of the
 * output (headroom run) learns when the first step began. */
static void progress_open(progress *p, long total) {
    char line[160];
    progress_line(line, sizeof line, 0, total, 0.0);
    fprintf(stderr, p->tty ? "\r%s" : "%s\n", line);
    fflush(stderr);
}

/* --- options ------------------------------------------------------------- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: headroom stress [--cpu N] [--load F] [--pattern P] [--duration D]\n"
            "                       [--period S] [--steps [N] [--units-per-step K]]\n\n"
            "Loads N CPUs with a duty cycle: in every 100 ms slice each worker works until\n"
            "it has used load(t) x 100 ms of CPU, then sleeps until the slice ends.\n\n"
            "  --cpu N             worker threads (1..%d, default 1)\n"
            "  --load F            peak busy share of each worker, 0..1 (default 0.7)\n"
            "  --pattern P         constant | ramp (0 to F over each period) |\n"
            "                      square (F then 0, half a period each) |\n"
            "                      sine (0 to F and back over each period) (default constant)\n"
            "  --period S          pattern period: 90, 90s, 2m, 500ms (default 60s)\n"
            "  --duration D        stop after D (default: until the steps are done, or Ctrl-C)\n"
            "  --steps [N]         do N steps (default 50) of fixed work and print tqdm-style\n"
            "                      progress on stderr (one line per step when not a terminal)\n"
            "  --units-per-step K  units of work per step (default 100; a unit is %u rounds\n"
            "                      of a 64-bit mixing function, about 1 ms of one core)\n\n"
            "Prints a summary on stdout at the end. Exit codes: 0 done, 2 usage error,\n"
            "130/143 stopped by SIGINT/SIGTERM.\n",
            MAX_CPUS, UNIT_ROUNDS);
}

static int parse_duration(const char *s, double *out) { return cli_parse_seconds(s, out); }

static int parse_long(const char *s, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno || strspn(s, "0123456789") != strlen(s))
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !isfinite(v) || strspn(s, "0123456789.") == 0)
        return -1;
    *out = v;
    return 0;
}

/* Splits "--name=value" or "--name value"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *arg, size_t nlen) {
    if (arg[nlen] == '=')
        return arg + nlen + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int set_option(stress_opts *o, const char *name, const char *v) {
    if (strcmp(name, "--cpu") == 0) {
        if (parse_long(v, &o->cpus) != 0 || o->cpus < 1 || o->cpus > MAX_CPUS)
            return cli_usage_error("stress", "--cpu: must be a whole number from 1 to %d (got %s)",
                                   MAX_CPUS, v);
    } else if (strcmp(name, "--load") == 0) {
        if (parse_double(v, &o->load) != 0 || o->load < 0.0 || o->load > 1.0)
            return cli_usage_error("stress", "--load: must be between 0 and 1 (got %s)", v);
    } else if (strcmp(name, "--pattern") == 0) {
        for (int p = 0; p < 4; p++)
            if (strcmp(v, pattern_names[p]) == 0) {
                o->pat = (pattern)p;
                return HR_EXIT_OK;
            }
        return cli_usage_error("stress",
                               "--pattern: must be constant, ramp, square or sine (got %s)", v);
    } else if (strcmp(name, "--duration") == 0) {
        if (parse_duration(v, &o->duration_s) != 0 || o->duration_s <= 0 || o->duration_s > 1e7)
            return cli_usage_error("stress",
                                   "--duration: must be a positive time such as 30, 30s, 2m, "
                                   "500ms (got %s)",
                                   v);
    } else if (strcmp(name, "--period") == 0) {
        if (parse_duration(v, &o->period_s) != 0 || o->period_s < 0.1 || o->period_s > 1e7)
            return cli_usage_error("stress", "--period: must be a time of at least 100ms (got %s)",
                                   v);
    } else if (strcmp(name, "--steps") == 0) {
        if (parse_long(v, &o->steps) != 0 || o->steps < 1 || o->steps > 100000000)
            return cli_usage_error("stress", "--steps: must be a whole number from 1 (got %s)", v);
    } else if (strcmp(name, "--units-per-step") == 0) {
        if (parse_long(v, &o->units_per_step) != 0 || o->units_per_step < 1 ||
            o->units_per_step > 100000000)
            return cli_usage_error("stress",
                                   "--units-per-step: must be a whole number from 1 (got %s)", v);
    } else {
        return cli_usage_error("stress", "unknown option '%s'", name);
    }
    return HR_EXIT_OK;
}

static int parse_args(int argc, char **argv, stress_opts *o, int *help) {
    static const char *const names[] = {"--cpu",    "--load",  "--pattern",       "--duration",
                                        "--period", "--steps", "--units-per-step"};
    int units_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            return HR_EXIT_OK;
        }
        size_t nlen = strcspn(a, "=");
        int known = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            known |= strlen(names[k]) == nlen && strncmp(a, names[k], nlen) == 0;
        if (!known)
            return cli_usage_error("stress", "unknown option '%s'", a);
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)nlen, a);
        const char *v = opt_value(argc, argv, &i, a, nlen);
        /* A bare --steps (end of line or another option next) means 50 steps. */
        if (strcmp(name, "--steps") == 0 && a[nlen] != '=' && (!v || strncmp(v, "--", 2) == 0)) {
            if (v)
                i--;
            v = "50";
        }
        if (!v)
            return cli_usage_error("stress", "%s: needs a value", name);
        units_given |= strcmp(name, "--units-per-step") == 0;
        int rc = set_option(o, name, v);
        if (rc != HR_EXIT_OK)
            return rc;
    }
    if (units_given && o->steps == 0)
        return cli_usage_error("stress", "--units-per-step: needs --steps");
    return HR_EXIT_OK;
}

/* --- the run ------------------------------------------------------------- */

static int start_workers(stress_run *run, pthread_t *tids, long n, long *started) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    /* Workers inherit a mask without SIGINT/SIGTERM: the main thread gets them. */
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int rc = 0;
    for (*started = 0; *started < n; (*started)++) {
        rc = pthread_create(&tids[*started], NULL, worker, run);
        if (rc != 0)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static int install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGINT, &sa, NULL) | sigaction(SIGTERM, &sa, NULL);
}

static double cpu_seconds(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return NAN;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Waits until the duration is over, the steps are done or a signal came. */
static void supervise(stress_run *run, progress *pg) {
    const stress_opts *o = run->o;
    int64_t end = o->duration_s > 0 ? run->t0_ns + (int64_t)(o->duration_s * 1e9) : INT64_MAX;
    int64_t next = run->t0_ns;
    for (;;) {
        int64_t now = now_ns();
        if (o->steps > 0)
            progress_show(pg, run, now, 0);
        if (atomic_load(&got_signal) || now >= end)
            return;
        if (o->steps > 0 && atomic_load(&run->units_done) >= run->units_total)
            return;
        next += POLL_NS;
        if (next < now)
            next = now + POLL_NS;
        sleep_until_ns(next < end ? next : end);
    }
}

static void summary(const stress_run *run, double wall_s, double cpu_s) {
    const stress_opts *o = run->o;
    printf("stress: %ld worker%s, load %.2f %s, %.2f s, %.2f CPU-s (%.2f per worker-second)",
           o->cpus, o->cpus == 1 ? "" : "s", o->load, pattern_names[o->pat], wall_s, cpu_s,
           wall_s > 0 ? cpu_s / wall_s / (double)o->cpus : 0.0);
    if (o->steps > 0)
        printf(", %lld/%ld steps",
               atomic_load(&((stress_run *)run)->units_done) / o->units_per_step, o->steps);
    printf("\n");
}

int cmd_stress(int argc, char **argv) {
    stress_opts o = {1, 0.7, PAT_CONSTANT, 0.0, 60.0, 0, 100};
    int help = 0, rc = parse_args(argc, argv, &o, &help);
    if (rc != HR_EXIT_OK)
        return rc;
    if (help) {
        usage(stdout);
        return HR_EXIT_OK;
    }
    static stress_run run;
    memset(&run, 0, sizeof run);
    run.o = &o;
    run.units_total = o.steps > 0 ? (long long)o.steps * o.units_per_step : 0;
    pthread_t *tids = calloc((size_t)o.cpus, sizeof *tids);
    if (!tids || install_signals() != 0) {
        free(tids);
        cli_error("stress", "cannot start (out of memory or signals)", NULL);
        return HR_EXIT_FAIL;
    }
    double cpu0 = cpu_seconds();
    run.t0_ns = now_ns();
    long started = 0;
    int err = start_workers(&run, tids, o.cpus, &started);
    progress pg = {isatty(STDERR_FILENO), 0, 0};
    if (o.steps > 0 && err == 0)
        progress_open(&pg, o.steps);
    if (err == 0)
        supervise(&run, &pg);
    atomic_store(&run.stop, 1);
    for (long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    int64_t t1 = now_ns();
    if (o.steps > 0 && err == 0)
        progress_show(&pg, &run, t1, 1);
    if (err != 0) {
        cli_error("stress", strerror(err), "fewer --cpu workers may start");
        return HR_EXIT_FAIL;
    }
    summary(&run, (double)(t1 - run.t0_ns) / 1e9, cpu_seconds() - cpu0);
    int sig = atomic_load(&got_signal);
    return sig ? 128 + sig : HR_EXIT_OK;
}

/* diagnose_input.c: is the job input-bound? The accelerator mostly idle
 * while a CPU core is saturated or the CPUs wait on I/O (seed 001: the GPU
 * sat near 0 % because every pass decoded the same images again), and,
 * when the session has the job's I/O counter, the job reading far more
 * bytes than its data set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/diagnose.h"

/* The increase of a cumulative byte counter (rises only). */
static double rise_of(const double *v, size_t n) {
    double rise = 0, prev = NAN;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (any && v[i] > prev)
            rise += v[i] - prev;
        prev = v[i];
        any = 1;
    }
    return any ? rise : NAN;
}

/* The job's read counter: a bytes channel named read_bytes or rchar. */
static int read_counter(const hr__rdata *d) {
    for (size_t c = 0; c < d->nch; c++)
        if ((strcmp(d->ch[c].metric, "read_bytes") == 0 || strcmp(d->ch[c].metric, "rchar") == 0) &&
            strcmp(d->ch[c].base_unit, "bytes") == 0 && d->ch[c].nknown)
            return (int)c;
    return -1;
}

typedef struct idle_facts {
    size_t known, idle;
    double median_util;
    size_t busy_known, busy; /* idle ticks with a busiest-core value / above the threshold */
    int32_t top_cpu;         /* the core most often the busiest while saturated */
    size_t io_known, io;     /* idle ticks with cpu/iowait known / high */
    double io_mean;
    size_t psi_known, psi;
} idle_facts;

#define MAX_CORE_ID 4096

/* The core that was most often the saturated busiest one while idle. */
static int32_t most_common_core(const int32_t *who, const double *busiest, const double *util,
                                size_t n) {
    size_t *count = calloc(MAX_CORE_ID, sizeof *count);
    if (!count)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (util[i] < HR__IDLE_BELOW && busiest[i] >= HR__CORE_SATURATED && who[i] >= 0 &&
            who[i] < MAX_CORE_ID)
            count[who[i]]++;
    int32_t best = -1;
    for (int32_t c = 0; c < MAX_CORE_ID; c++)
        if (count[c] && (best < 0 || count[c] > count[best]))
            best = c;
    free(count);
    return best;
}

static void gather(const hr__rdata *d, const hr__rmodel *m, const double *util, idle_facts *f) {
    memset(f, 0, sizeof *f);
    int io = hr__rdata_find(d, "cpu", "iowait");
    int psi = hr__rdata_find(d, "psi", "io_some_avg10");
    double io_sum = 0;
    for (size_t i = 0; i < d->nticks; i++) {
        if (!isfinite(util[i]))
            continue;
        f->known++;
        if (!(util[i] < HR__IDLE_BELOW))
            continue;
        f->idle++;
        if (isfinite(m->busiest[i])) {
            f->busy_known++;
            f->busy += m->busiest[i] >= HR__CORE_SATURATED;
        }
        if (io >= 0 && isfinite(d->ch[io].v[i])) {
            f->io_known++;
            f->io += d->ch[io].v[i] >= HR__IOWAIT_HIGH;
            io_sum += d->ch[io].v[i];
        }
        if (psi >= 0 && isfinite(d->ch[psi].v[i])) {
            f->psi_known++;
            f->psi += d->ch[psi].v[i] >= HR__IOWAIT_HIGH;
        }
    }
    f->io_mean = f->io_known ? io_sum / (double)f->io_known : NAN;
    f->median_util = hr__quantile(util, d->nticks, 0.5);
    f->top_cpu = f->busy ? most_common_core(m->busiest_cpu, m->busiest, util, d->nticks) : -1;
}

static double share(size_t a, size_t b) { return b ? (double)a / (double)b : 0.0; }

static hr_status advise(hr__mfinding *f) {
    hr_status st = hr__advice(f, "Decode and preprocess the inputs once into a tensor cache and "
                                 "keep the hot loop on the device (size it with 'headroom plan "
                                 "cache --count N --size S'); seed 001's job decoded the same "
                                 "images again on every pass.");
    if (st == HR_OK)
        st = hr__advice(f, "Raise the batch size to what fits, so each transfer and kernel launch "
                           "does more work.");
    if (st == HR_OK)
        st = hr__advice(f, "Give the data loader more workers (num_workers, pin_memory) on CUDA; "
                           "on Apple MPS keep num_workers=0 and rely on the cache instead.");
    return st;
}

/* What the job read in all: the rise of a read counter channel, else the
 * total `headroom run` stored from /proc/PID/io. NAN when neither exists. */
static double bytes_read(const hr__rdata *d, char *src, size_t cap) {
    int c = read_counter(d);
    if (c >= 0) {
        hr__snprintf(src, cap, "%s/%s", d->ch[c].component, d->ch[c].metric);
        return rise_of(d->ch[c].v, d->nticks);
    }
    if (d->job_rchar_bytes > 0) {
        hr__snprintf(src, cap, "/proc/PID/io rchar");
        return d->job_rchar_bytes;
    }
    return NAN;
}

/* 1 and the evidence line in F when the job read REREAD_FACTOR times its
 * data set or more; 0 when it did not or when that cannot be measured. */
static int reread_evidence(const hr__rdata *d, hr__rmodel *m, hr__mfinding *f, hr_status *st) {
    char src[96];
    double rise = bytes_read(d, src, sizeof src);
    *st = HR_OK;
    if (!isfinite(rise) || !(d->dataset_bytes > 0)) {
        *st = hr__note(m, "re-reading of the input could not be measured: the session has no "
                          "job I/O counter and data-set size (headroom run --dataset-bytes SIZE "
                          "records both)");
        return 0;
    }
    if (!(rise >= HR__REREAD_FACTOR * d->dataset_bytes))
        return 0;
    if (f)
        *st = hr__evidence(f, "the job read %.1f GiB (%s), %.0f times its data set of %.2f GiB",
                           rise / 1073741824.0, src, rise / d->dataset_bytes,
                           d->dataset_bytes / 1073741824.0);
    return 1;
}

static hr_status reread(const hr__rdata *d, hr__rmodel *m, hr__mfinding *f) {
    hr_status st;
    reread_evidence(d, m, f, &st);
    return st;
}

/* Without an accelerator, re-reading is still worth a finding of its own. */
static hr_status reread_alone(const hr__rdata *d, hr__rmodel *m) {
    hr_status st;
    if (!reread_evidence(d, m, NULL, &st))
        return st;
    hr__mfinding *fd = hr__finding_new(m, "input_reread", HR__SEV_WARNING,
                                       "The job read its input data over and over");
    if (!fd)
        return HR_ENOMEM;
    reread_evidence(d, m, fd, &st);
    return st == HR_OK ? advise(fd) : st;
}

static hr_status one_gpu(const hr__rdata *d, hr__rmodel *m, const hr__rchan *gpu) {
    idle_facts f;
    gather(d, m, gpu->v, &f);
    double idle = share(f.idle, f.known);
    double busy = share(f.busy, f.busy_known), io = share(f.io, f.io_known);
    double psi = share(f.psi, f.psi_known);
    if (f.known < 10 || idle < HR__IDLE_SHARE ||
        (busy < HR__WHILE_IDLE_SHARE && io < HR__WHILE_IDLE_SHARE && psi < HR__WHILE_IDLE_SHARE))
        return HR_OK;
    hr__mfinding *fd = hr__finding_new(
        m, "input_bound", idle >= 0.8 ? HR__SEV_CRITICAL : HR__SEV_WARNING,
        "Input-bound: %s sat idle %.0f %% of the time while the CPU side was the bottleneck",
        gpu->component, idle * 100);
    if (!fd)
        return HR_ENOMEM;
    hr_status st = hr__evidence(fd,
                                "%s utilisation was under %.0f %% on %.1f %% of %zu ticks "
                                "(median %.1f %%)",
                                gpu->component, HR__IDLE_BELOW * 100, idle * 100, f.known,
                                f.median_util * 100);
    if (st == HR_OK && busy >= HR__WHILE_IDLE_SHARE) {
        char core[24] = "";
        if (f.top_cpu >= 0)
            hr__snprintf(core, sizeof core, " (most often cpu%d)", (int)f.top_cpu);
        st = hr__evidence(fd,
                          "while it idled, the busiest CPU core%s was above %.0f %% on "
                          "%.1f %% of those ticks",
                          core, HR__CORE_SATURATED * 100, busy * 100);
    }
    if (st == HR_OK && io >= HR__WHILE_IDLE_SHARE)
        st = hr__evidence(fd,
                          "while it idled, CPU I/O wait was above %.0f %% on %.1f %% of "
                          "those ticks (mean %.1f %%)",
                          HR__IOWAIT_HIGH * 100, io * 100, f.io_mean * 100);
    if (st == HR_OK && psi >= HR__WHILE_IDLE_SHARE)
        st = hr__evidence(fd,
                          "while it idled, I/O pressure (PSI io some, 10 s) was above %.0f %% "
                          "on %.1f %% of those ticks",
                          HR__IOWAIT_HIGH * 100, psi * 100);
    if (st == HR_OK)
        st = reread(d, m, fd);
    return st == HR_OK ? advise(fd) : st;
}

hr_status hr__dx_input_bound(const hr__rdata *d, hr__rmodel *m) {
    int any = 0;
    hr_status st = HR_OK;
    for (size_t c = 0; st == HR_OK && c < d->nch; c++) {
        const hr__rchan *ch = &d->ch[c];
        if (strncmp(ch->component, "gpu", 3) != 0 || strcmp(ch->metric, "util") != 0 || !ch->nknown)
            continue;
        any = 1;
        size_t before = m->nfind;
        st = one_gpu(d, m, ch);
        if (st == HR_OK && m->nfind > before)
            break; /* one input-bound finding is enough */
    }
    if (st == HR_OK && !any)
        st = hr__note(m, "the input-bound check needs an accelerator's utilisation; this session "
                         "has none");
    if (st == HR_OK && !any)
        st = reread_alone(d, m);
    return st;
}

/* cpu.c: per-CPU utilisation on macOS from host_processor_info tick counters.
 *
 * PROCESSOR_CPU_LOAD_INFO gives each logical CPU's user, system, idle and nice
 * ticks since boot; utilisation is the busy share of the ticks elapsed between
 * two reads (hr__apple_util_ppm, wrap-safe). Apple Silicon offers no sudoless
 * per-core clock (no hw.cpufrequency on arm64; IOReport residencies are a
 * later source), no iowait and no throttle counter: those readings are
 * HR_WHY_NOT_SUPPORTED, as are the CPU package power and throttle count. */
#include <mach/mach.h>
#include <mach/mach_host.h>
#include <mach/processor_info.h>
#include <stdlib.h>
#include <string.h>

#include "core/apple.h"
#include "platform/darwin/darwin.h"

struct hr__dw_cpu {
    mach_port_t host;
    size_t ncpu;
    hr__apple_ticks *prev; /* ncpu entries from the previous read */
    hr__apple_ticks *cur;
    int have_prev;
};

/* Reads every CPU's ticks into OUT (CAP entries). Returns the CPU count the
 * kernel reported (may exceed CAP), or 0 with *kr set on failure. */
static size_t read_ticks(mach_port_t host, hr__apple_ticks *out, size_t cap, kern_return_t *kr) {
    natural_t n = 0;
    processor_info_array_t info = NULL;
    mach_msg_type_number_t info_count = 0;
    *kr = host_processor_info(host, PROCESSOR_CPU_LOAD_INFO, &n, &info, &info_count);
    if (*kr != KERN_SUCCESS)
        return 0;
    processor_cpu_load_info_t load = (processor_cpu_load_info_t)info;
    for (size_t c = 0; c < n && c < cap; c++)
        for (int s = 0; s < 4; s++)
            out[c].t[s] = load[c].cpu_ticks[s];
    vm_deallocate(mach_task_self(), (vm_address_t)info, info_count * sizeof(integer_t));
    return n;
}

static void mark_unsupported(hr_probe *p) {
    hr_reading ns = hr__unknown(HR_WHY_NOT_SUPPORTED, 0);
    p->cpu.iowait_ppm = ns;
    p->cpu.package_throttle_count = ns;
    p->cpu.power_mw = ns;
    for (size_t c = 0; c < p->ncores; c++) {
        p->cores[c].iowait_ppm = ns;
        p->cores[c].clock_mhz = ns;
        p->cores[c].clock_max_mhz = ns;
        p->cores[c].throttle_count = ns;
    }
}

/* Sets the total and every core to the same unknown reading R. */
static void set_unknown_util(hr_probe *p, hr_reading r) {
    p->cpu.util_ppm = r;
    for (size_t c = 0; c < p->ncores; c++)
        p->cores[c].util_ppm = r;
}

hr_status hr__dw_cpu_open(hr_probe *p, struct hr__dw_cpu **out) {
    *out = NULL;
    struct hr__dw_cpu *st = calloc(1, sizeof *st);
    if (!st)
        return HR_ENOMEM;
    st->host = mach_host_self();
    kern_return_t kr = KERN_SUCCESS;
    /* One read to learn the count: Macs have at most a few dozen logical CPUs. */
    hr__apple_ticks probe_ticks[1];
    size_t n = read_ticks(st->host, probe_ticks, 1, &kr);
    st->prev = n ? calloc(n, sizeof *st->prev) : NULL;
    st->cur = n ? calloc(n, sizeof *st->cur) : NULL;
    p->cores = n ? calloc(n, sizeof *p->cores) : NULL;
    if (n && (!st->prev || !st->cur || !p->cores)) {
        hr__dw_cpu_close(st, p);
        return HR_ENOMEM;
    }
    st->ncpu = n;
    p->ncores = n;
    for (size_t c = 0; c < n; c++)
        p->cores[c].cpu = (int32_t)c;
    mark_unsupported(p);
    st->have_prev = n && read_ticks(st->host, st->prev, n, &kr) == n;
    hr_reading first = st->have_prev ? hr__unknown(HR_WHY_NEEDS_INTERVAL, 0)
                                     : hr__unknown(HR_WHY_DRIVER_ERROR, kr);
    set_unknown_util(p, first);
    if (st->have_prev)
        hr__probe_report(p, "host_processor_info", HR_SOURCE_ANSWERED, HR_WHY_KNOWN,
                         "%zu logical CPUs, tick counters", n);
    else
        hr__probe_report(p, "host_processor_info", HR_SOURCE_FAILED, HR_WHY_DRIVER_ERROR,
                         "host_processor_info failed (kern_return %d)", (int)kr);
    *out = st;
    return HR_OK;
}

void hr__dw_cpu_refresh(struct hr__dw_cpu *st, hr_probe *p) {
    if (!st || !st->ncpu)
        return;
    kern_return_t kr = KERN_SUCCESS;
    if (read_ticks(st->host, st->cur, st->ncpu, &kr) != st->ncpu) {
        set_unknown_util(p, hr__unknown(HR_WHY_DRIVER_ERROR, kr));
        st->have_prev = 0;
        return;
    }
    if (st->have_prev) {
        for (size_t c = 0; c < st->ncpu; c++)
            p->cores[c].util_ppm = hr__apple_util_ppm(&st->prev[c], &st->cur[c], 1);
        p->cpu.util_ppm = hr__apple_util_ppm(st->prev, st->cur, st->ncpu);
    }
    memcpy(st->prev, st->cur, st->ncpu * sizeof *st->prev);
    st->have_prev = 1;
}

void hr__dw_cpu_close(struct hr__dw_cpu *st, hr_probe *p) {
    if (p) {
        free(p->cores);
        p->cores = NULL;
        p->ncores = 0;
    }
    if (!st)
        return;
    if (st->host != MACH_PORT_NULL)
        mach_port_deallocate(mach_task_self(), st->host);
    free(st->prev);
    free(st->cur);
    free(st);
}

/* apple.c: the macOS decisions and sysctl readers. See apple.h. */
#include "core/apple.h"

#include <errno.h>
#include <string.h>

#include "sys/sys.h"

#define GIB (1LL << 30)
#define MIB (1LL << 20)

/* ---- pure rules ----------------------------------------------------------- */

int64_t hr__apple_working_set_bytes(int64_t memsize_bytes, int64_t wired_limit_mb) {
    if (memsize_bytes <= 0)
        return -1;
    if (wired_limit_mb > 0) {
        if (wired_limit_mb > memsize_bytes / MIB)
            return memsize_bytes;
        return wired_limit_mb * MIB;
    }
    /* Divide first: no overflow for any memsize, and exact for whole GiB. */
    if (memsize_bytes <= 32 * GIB)
        return memsize_bytes / 3 * 2 + (memsize_bytes % 3) * 2 / 3;
    return memsize_bytes / 4 * 3 + (memsize_bytes % 4) * 3 / 4;
}

hr_reading hr__apple_pressure_from_sysctl(hr_reading vm_level, hr_reading memorystatus_level) {
    if (!HR_IS_KNOWN(vm_level))
        return vm_level;
    switch (vm_level.v) {
    case 1: return hr__known(HR_PRESSURE_NORMAL);
    case 2:
        if (HR_IS_KNOWN(memorystatus_level) && memorystatus_level.v >= HR__APPLE_LATCH_FREE_PCT &&
            memorystatus_level.v <= 100)
            return hr__known(HR_PRESSURE_NORMAL);
        return hr__known(HR_PRESSURE_WARN);
    case 4: return hr__known(HR_PRESSURE_CRITICAL);
    default: return hr__unknown(HR_WHY_UNREADABLE, 0);
    }
}

hr_reading hr__apple_thermal_from_notify(uint32_t status, uint64_t state) {
    if (status != 0)
        return hr__unknown(HR_WHY_DRIVER_ERROR, (int32_t)status);
    if (state > HR_THERMAL_SLEEPING)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known((int64_t)state);
}

hr_reading hr__apple_available_bytes(const hr__apple_vm_pages *vm, int64_t page_size,
                                     hr_reading total) {
    if (page_size <= 0)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    uint64_t pages = vm->free_count;
    uint64_t add[] = {vm->external_page_count, vm->purgeable_count};
    for (size_t i = 0; i < 2; i++) {
        if (pages > UINT64_MAX - add[i])
            return hr__unknown(HR_WHY_UNREADABLE, 0);
        pages += add[i];
    }
    if (pages > (uint64_t)INT64_MAX / (uint64_t)page_size)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    int64_t bytes = (int64_t)pages * page_size;
    if (HR_IS_KNOWN(total) && bytes > total.v)
        bytes = total.v;
    return hr__known(bytes);
}

hr_reading hr__apple_util_ppm(const hr__apple_ticks *prev, const hr__apple_ticks *cur, size_t n) {
    uint64_t busy = 0, all = 0;
    for (size_t c = 0; c < n; c++) {
        for (int s = 0; s < 4; s++) {
            uint64_t d = (uint32_t)(cur[c].t[s] - prev[c].t[s]);
            all += d;
            if (s != HR__APPLE_CPU_IDLE)
                busy += d;
        }
    }
    if (all == 0)
        return hr__unknown(HR_WHY_NEEDS_INTERVAL, 0);
    return hr__known((int64_t)(busy * 1000000 / all));
}

/* ---- sysctl readers ------------------------------------------------------- */

static hr_why why_sysctl(int err) {
    switch (err) {
    case ENOENT: return HR_WHY_ABSENT;
    case EPERM:
    case EACCES: return HR_WHY_NO_PERMISSION;
    case ENOMEM: return HR_WHY_UNREADABLE;
    default: return HR_WHY_IO_ERROR;
    }
}

/* Reads NAME into BUF (CAP bytes); *len gets the size. 0 or an errno; ENOSYS
 * when there is no sysctlbyname on this platform. */
static int sysctl_raw(const char *name, void *buf, size_t cap, size_t *len) {
    if (!hr__sys.sysctlbyname)
        return ENOSYS;
    *len = cap;
    errno = 0;
    if (hr__sys.sysctlbyname(name, buf, len, NULL, 0) != 0)
        return errno ? errno : EIO;
    return 0;
}

static hr_reading unknown_for(int err) {
    if (err == ENOSYS)
        return hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    return hr__unknown(why_sysctl(err), err);
}

hr_reading hr__apple_sysctl_int(const char *name) {
    unsigned char buf[8] = {0};
    size_t len = 0;
    int err = sysctl_raw(name, buf, sizeof buf, &len);
    if (err)
        return unknown_for(err);
    if (len == sizeof(int32_t)) {
        int32_t v;
        memcpy(&v, buf, sizeof v);
        return hr__known(v);
    }
    if (len == sizeof(int64_t)) {
        int64_t v;
        memcpy(&v, buf, sizeof v);
        return hr__known(v);
    }
    return hr__unknown(HR_WHY_UNREADABLE, 0);
}

hr_status hr__apple_sysctl_string(const char *name, char *buf, size_t cap, int *err) {
    /* Every string the probe asks for fits in 256 bytes (brand strings are ~48). */
    char tmp[256];
    size_t len = 0;
    *err = 0;
    if (cap)
        buf[0] = '\0';
    int e = sysctl_raw(name, tmp, sizeof tmp - 1, &len);
    if (e) {
        *err = e;
        return e == ENOSYS ? HR_ENOTSUP : HR_EIO;
    }
    if (len > sizeof tmp - 1)
        len = sizeof tmp - 1;
    tmp[len] = '\0';
    hr__strlcpy(buf, tmp, cap);
    return HR_OK;
}

/* Counts known and unknown host facts for the source report. */
typedef struct tally {
    int known;
    int unknown;
    hr_why why;
} tally;

static void count(tally *t, int ok, hr_why why) {
    if (ok) {
        t->known++;
    } else {
        if (!t->unknown)
            t->why = why;
        t->unknown++;
    }
}

static void host_string(tally *t, const char *name, char *dst, size_t cap) {
    int err = 0;
    hr_status s = hr__apple_sysctl_string(name, dst, cap, &err);
    count(t, s == HR_OK && dst[0], s == HR_ENOTSUP ? HR_WHY_NOT_APPLICABLE : why_sysctl(err));
}

static hr_reading host_int(tally *t, const char *name) {
    hr_reading r = hr__apple_sysctl_int(name);
    if (HR_IS_KNOWN(r) && r.v <= 0)
        r = hr__unknown(HR_WHY_UNREADABLE, 0);
    count(t, HR_IS_KNOWN(r), (hr_why)r.why);
    return r;
}

hr_reading hr__apple_uptime_ns(int64_t now_wall_ns) {
    /* struct timeval on 64-bit macOS: int64 tv_sec, int32 tv_usec, 4 bytes of padding. */
    unsigned char buf[16] = {0};
    size_t len = 0;
    int err = sysctl_raw("kern.boottime", buf, sizeof buf, &len);
    if (err)
        return unknown_for(err);
    if (len < 12)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    int64_t sec;
    int32_t usec;
    memcpy(&sec, buf, sizeof sec);
    memcpy(&usec, buf + 8, sizeof usec);
    if (sec <= 0 || usec < 0 || usec >= 1000000 || sec > INT64_MAX / 1000000000 - 1)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    int64_t boot_ns = sec * 1000000000 + (int64_t)usec * 1000;
    if (boot_ns > now_wall_ns)
        return hr__unknown(HR_WHY_UNREADABLE, 0);
    return hr__known(now_wall_ns - boot_ns);
}

hr_source_state hr__apple_host_read(hr_host_info *h, int64_t now_wall_ns, hr_why *why, char *detail,
                                    size_t cap) {
    tally t = {0, 0, HR_WHY_KNOWN};
    hr__strlcpy(h->os, "macos", sizeof h->os);
    host_string(&t, "kern.osproductversion", h->os_release, sizeof h->os_release);
    host_string(&t, "kern.osrelease", h->kernel, sizeof h->kernel);
    host_string(&t, "hw.machine", h->arch, sizeof h->arch);
    host_string(&t, "kern.hostname", h->hostname, sizeof h->hostname);
    host_string(&t, "hw.model", h->machine_model, sizeof h->machine_model);
    host_string(&t, "machdep.cpu.brand_string", h->cpu_model, sizeof h->cpu_model);
    h->cpus_logical = hr__apple_sysctl_int("hw.logicalcpu");
    if (!HR_IS_KNOWN(h->cpus_logical))
        h->cpus_logical = hr__apple_sysctl_int("hw.ncpu");
    if (HR_IS_KNOWN(h->cpus_logical) && h->cpus_logical.v <= 0)
        h->cpus_logical = hr__unknown(HR_WHY_UNREADABLE, 0);
    count(&t, HR_IS_KNOWN(h->cpus_logical), (hr_why)h->cpus_logical.why);
    h->cores_physical = host_int(&t, "hw.physicalcpu");
    h->packages = host_int(&t, "hw.packages");
    /* Intel Macs have no perflevels: absent there, and not counted as a failure. */
    h->cores_performance = hr__apple_sysctl_int("hw.perflevel0.physicalcpu");
    h->cores_efficiency = hr__apple_sysctl_int("hw.perflevel1.physicalcpu");
    h->uptime_ns = hr__apple_uptime_ns(now_wall_ns);
    count(&t, HR_IS_KNOWN(h->uptime_ns), (hr_why)h->uptime_ns.why);
    hr__snprintf(detail, cap, "%s, macOS %s (Darwin %s), %s, %lld logical CPUs",
                 h->machine_model[0] ? h->machine_model : "unknown Mac",
                 h->os_release[0] ? h->os_release : "?", h->kernel[0] ? h->kernel : "?",
                 h->cpu_model[0] ? h->cpu_model : "unknown CPU", (long long)h->cpus_logical.v);
    *why = t.unknown ? t.why : HR_WHY_KNOWN;
    if (t.unknown == 0)
        return HR_SOURCE_ANSWERED;
    return t.known ? HR_SOURCE_PARTIAL : HR_SOURCE_FAILED;
}

/* vm.swapusage, struct xsw_usage: u64 total, avail, used; u32 pagesize; boolean_t encrypted. */
static void read_swap(hr_mem_info *m) {
    unsigned char buf[32] = {0};
    size_t len = 0;
    int err = sysctl_raw("vm.swapusage", buf, sizeof buf, &len);
    if (err || len < 24) {
        m->swap_total_bytes = err ? unknown_for(err) : hr__unknown(HR_WHY_UNREADABLE, 0);
        m->swap_free_bytes = m->swap_total_bytes;
        return;
    }
    uint64_t total, avail;
    memcpy(&total, buf, sizeof total);
    memcpy(&avail, buf + 8, sizeof avail);
    if (total > (uint64_t)INT64_MAX || avail > total) {
        m->swap_total_bytes = m->swap_free_bytes = hr__unknown(HR_WHY_UNREADABLE, 0);
        return;
    }
    m->swap_total_bytes = hr__known((int64_t)total);
    m->swap_free_bytes = hr__known((int64_t)avail);
}

static void mark_not_applicable(hr_psi *psi) {
    hr_reading na = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    psi->some_avg10_ppm = psi->some_avg60_ppm = psi->full_avg10_ppm = psi->some_total_us = na;
}

void hr__apple_mem_read(hr_mem_info *m) {
    m->total_bytes = hr__apple_sysctl_int("hw.memsize");
    if (HR_IS_KNOWN(m->total_bytes) && m->total_bytes.v <= 0)
        m->total_bytes = hr__unknown(HR_WHY_UNREADABLE, 0);
    read_swap(m);
    m->cgroup_limit_bytes = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    m->cgroup_usage_bytes = hr__unknown(HR_WHY_NOT_APPLICABLE, 0);
    m->cgroup_version = 0;
    mark_not_applicable(&m->psi_memory);
    mark_not_applicable(&m->psi_cpu);
    mark_not_applicable(&m->psi_io);
    m->vm_pressure_level = hr__apple_sysctl_int("kern.memorystatus_vm_pressure_level");
    m->memorystatus_level = hr__apple_sysctl_int("kern.memorystatus_level");
    if (HR_IS_KNOWN(m->memorystatus_level) &&
        (m->memorystatus_level.v < 0 || m->memorystatus_level.v > 100))
        m->memorystatus_level = hr__unknown(HR_WHY_UNREADABLE, 0);
    m->pressure_level = hr__apple_pressure_from_sysctl(m->vm_pressure_level, m->memorystatus_level);
}

hr_reading hr__apple_gpu_ceiling(void) {
    hr_reading memsize = hr__apple_sysctl_int("hw.memsize");
    if (!HR_IS_KNOWN(memsize))
        return memsize;
    hr_reading wired = hr__apple_sysctl_int("iogpu.wired_limit_mb");
    int64_t ws = hr__apple_working_set_bytes(memsize.v, HR_IS_KNOWN(wired) ? wired.v : 0);
    return ws > 0 ? hr__known(ws) : hr__unknown(HR_WHY_UNREADABLE, 0);
}

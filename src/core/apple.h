/* apple.h: the macOS (Apple Silicon) decisions and sysctl readers.
 *
 * Everything here is portable C: the pure rules take plain numbers, and the
 * readers reach the system only through hr__sys.sysctlbyname. So the whole
 * file compiles and is tested on Linux (tests/unit/test_apple.c installs a
 * fake sysctlbyname answering from tests/fixtures/darwin/<scenario>/sysctl.txt).
 * The mach, notify(3) and IOKit calls that feed these rules live in
 * src/platform/darwin/ and src/gpu/apple_iokit.c, which build only on macOS. */
#ifndef HR_CORE_APPLE_H
#define HR_CORE_APPLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"

/* ---- pure rules ----------------------------------------------------------- */

/* The memory the GPU may keep resident (Metal's recommendedMaxWorkingSetSize,
 * what torch.mps.recommended_max_memory() returns), in bytes.
 *
 * When the user set iogpu.wired_limit_mb > 0, Metal reports that limit
 * (WIRED_LIMIT_MB * 1 MiB; measured: 114688 -> 112.00 GiB, antirez/ds4 #893), capped
 * at MEMSIZE. Otherwise the default rule, as macOS 12-14 report it
 * (peers-and-sources 3.7; llama.cpp prints the value in MiB):
 *   MEMSIZE <= 32 GiB: 2/3 of MEMSIZE  (16 GiB -> 10922.67 MiB, llama-cpp-python #687;
 *                                       32 GiB -> 21845.34 MiB, ollama #434)
 *   MEMSIZE  > 32 GiB: 3/4 of MEMSIZE  (64 GiB -> 49152 MiB, llama.cpp #1870;
 *                                       96 GiB -> 73728 MiB, llama.cpp #3213)
 * macOS 26 grants more on large machines (128 GiB -> 107.52 GiB, ds4 #893), so on
 * those the rule errs low, which is the safe side for placement.
 * Returns -1 when MEMSIZE is not positive. */
int64_t hr__apple_working_set_bytes(int64_t memsize_bytes, int64_t wired_limit_mb);

/* Percent free at or above which a "warning" vm pressure level is treated as
 * latched (peers-and-sources 3.7: the sysctl can stay at warning while
 * memorystatus_level shows ~46 % free). */
#define HR__APPLE_LATCH_FREE_PCT 40

/* hr_pressure from kern.memorystatus_vm_pressure_level (1 normal, 2 warn,
 * 4 critical; the DISPATCH_MEMORYPRESSURE_* values) and kern.memorystatus_level
 * (percent of memory free, what memory_pressure(1) prints). The level sysctl
 * decides; a warning while MEMORYSTATUS_LEVEL >= HR__APPLE_LATCH_FREE_PCT is
 * read as normal. Critical is always believed. Unknown (with VM_LEVEL's
 * reason) when VM_LEVEL is unknown, HR_WHY_UNREADABLE for another value. */
hr_reading hr__apple_pressure_from_sysctl(hr_reading vm_level, hr_reading memorystatus_level);

/* hr_thermal_pressure from notify_get_state on com.apple.system.thermalpressurelevel:
 * macOS publishes 0 nominal, 1 moderate, 2 heavy, 3 trapping, 4 sleeping.
 * STATUS is notify's return code (0 = NOTIFY_STATUS_OK); a failed call is
 * HR_WHY_DRIVER_ERROR with err = STATUS, a state outside 0..4 HR_WHY_UNREADABLE. */
hr_reading hr__apple_thermal_from_notify(uint32_t status, uint64_t state);

/* The page counts of host_statistics64(HOST_VM_INFO64) the available-memory
 * rule uses. */
typedef struct hr__apple_vm_pages {
    uint64_t free_count;          /* xnu adds the speculative pages into it */
    uint64_t speculative_count;   /* part of free_count; never added twice */
    uint64_t inactive_count;      /* not used: anonymous inactive pages must be compressed */
    uint64_t external_page_count; /* file-backed pages: clean cache, dropped without I/O */
    uint64_t purgeable_count;     /* volatile purgeable pages, discarded on demand */
} hr__apple_vm_pages;

/* Memory a new job can get without swapping or compressing, in bytes:
 *   (free_count + external_page_count + purgeable_count) * PAGE_SIZE, at most TOTAL.
 * free_count already includes the speculative pages (xnu osfmk/kern/host.c:
 * free_count = vm_page_free_count + speculative_count; vm_stat prints "Pages free"
 * as free - speculative). External pages are Activity Monitor's "Cached Files"
 * with the purgeable ones, and the kernel's own available-page count
 * (VM_CHECK_MEMORYSTATUS in osfmk/vm/vm_page.h) is the same file-backed + free
 * sum. Inactive anonymous pages are left out: freeing them costs compression or
 * swap, which is what memory pressure measures. TOTAL may be unknown (no cap).
 * HR_WHY_UNREADABLE when PAGE_SIZE is not positive or the sum overflows. */
hr_reading hr__apple_available_bytes(const hr__apple_vm_pages *vm, int64_t page_size,
                                     hr_reading total);

/* The four tick counters of one CPU (mach CPU_STATE_USER, _SYSTEM, _IDLE,
 * _NICE), as host_processor_info(PROCESSOR_CPU_LOAD_INFO) reports them. They
 * are 32-bit and wrap; deltas are taken modulo 2^32. */
#define HR__APPLE_CPU_USER 0
#define HR__APPLE_CPU_SYSTEM 1
#define HR__APPLE_CPU_IDLE 2
#define HR__APPLE_CPU_NICE 3
typedef struct hr__apple_ticks {
    uint32_t t[4];
} hr__apple_ticks;

/* Busy share (user + system + nice over all ticks) of N CPUs between PREV and
 * CUR, in ppm. HR_WHY_NEEDS_INTERVAL when no tick elapsed. */
hr_reading hr__apple_util_ppm(const hr__apple_ticks *prev, const hr__apple_ticks *cur, size_t n);

/* ---- sysctl readers (through hr__sys.sysctlbyname) ------------------------ */

/* An integer sysctl of 4 or 8 bytes. Unknown: HR_WHY_NOT_APPLICABLE when
 * there is no sysctlbyname, HR_WHY_ABSENT for ENOENT, HR_WHY_NO_PERMISSION for
 * EPERM/EACCES, HR_WHY_UNREADABLE for any other size. */
hr_reading hr__apple_sysctl_int(const char *name);

/* A string sysctl into BUF (NUL-terminated, truncated to CAP-1). Returns
 * HR_OK, or HR_ENOTSUP (no sysctlbyname) / HR_EIO with *err = errno. */
hr_status hr__apple_sysctl_string(const char *name, char *buf, size_t cap, int *err);

/* Fills H from sysctls: kern.osproductversion, kern.osrelease, hw.machine,
 * kern.hostname, hw.model, machdep.cpu.brand_string, hw.logicalcpu (else
 * hw.ncpu), hw.physicalcpu, hw.packages, hw.perflevel0/1.physicalcpu (P and E
 * cores; absent on Intel Macs), and uptime from kern.boottime and NOW_WALL_NS.
 * Returns how the facts fared for the source report, *why the first reason
 * one was unknown, and a one-line summary in DETAIL. */
hr_source_state hr__apple_host_read(hr_host_info *h, int64_t now_wall_ns, hr_why *why, char *detail,
                                    size_t cap);

/* Re-reads uptime from kern.boottime (struct timeval) against NOW_WALL_NS. */
hr_reading hr__apple_uptime_ns(int64_t now_wall_ns);

/* Fills M from sysctls: total (hw.memsize), swap (vm.swapusage),
 * vm_pressure_level, memorystatus_level and pressure_level; marks the Linux-only
 * parts (cgroup, PSI) HR_WHY_NOT_APPLICABLE. available_bytes is left alone:
 * it comes from host_statistics64 in the darwin layer. */
void hr__apple_mem_read(hr_mem_info *m);

/* The GPU working-set ceiling of this Mac: hr__apple_working_set_bytes of
 * hw.memsize and iogpu.wired_limit_mb (absent or 0 = default rule). Unknown
 * with hw.memsize's reason when that cannot be read. */
hr_reading hr__apple_gpu_ceiling(void);

#endif /* HR_CORE_APPLE_H */

/* lx_parse.h: the procfs/sysfs text parsers of the Linux modules, exposed so
 * that unit tests and the fuzz target (tests/fuzz/fuzz_sysfs_values.c) can
 * call them directly. Like core/util/parse.h they are total: exactly the
 * documented form is accepted, anything else is HR_EPARSE, never a partial
 * or made-up value. Inputs need not be NUL-terminated. */
#ifndef HR_PLATFORM_LINUX_LX_PARSE_H
#define HR_PLATFORM_LINUX_LX_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_status.h"

/* The largest CPU number accepted (the kernel's NR_CPUS limit is 8192). */
#define HR__LX_CPU_MAX 8191

/* One "cpu" line of /proc/stat, in USER_HZ ticks. */
typedef struct hr__lx_cpu_times {
    int32_t cpu;     /* logical CPU number; -1 for the aggregate "cpu" line */
    int32_t nfields; /* counters on the line (4 on 2.4 kernels, 10 today) */
    uint64_t total;  /* user+nice+system+idle+iowait+irq+softirq+steal (guest is in user) */
    uint64_t idle;
    uint64_t iowait; /* 0 when the line has fewer than 5 counters */
} hr__lx_cpu_times;

/* Parses one /proc/stat line (without or with its newline):
 * "cpu[N] user nice system idle [iowait [irq [softirq [steal [guest [guest_nice]]]]]]".
 * Returns HR_OK; HR_ENOENT when the line is not a cpu line ("intr ...",
 * "cpufoo"); HR_EPARSE for a cpu line with bad counters, in which case
 * out->cpu is already set so the caller knows whose line was bad. */
hr_status hr__lx_parse_stat_line(const char *line, size_t n, hr__lx_cpu_times *out);

/* Parses a kernel CPU list such as "0-3,8-11\n" (sys/devices/system/cpu/online)
 * into ascending CPU numbers: up to CAP of them go into CPUS (may be NULL with
 * CAP 0) and *count gets how many the list holds. Ranges must ascend without
 * overlap and stay within HR__LX_CPU_MAX; an empty list is HR_EPARSE. */
hr_status hr__lx_parse_cpu_list(const char *s, size_t n, int32_t *cpus, size_t cap,
                                size_t *count);

/* Finds the memory controller's cgroup in /proc/self/cgroup content:
 * a v1 line "N:...memory...:/path" goes into V1 (else V1 is ""), the v2 line
 * "0::/path" into V2 (else ""). A path is accepted only when absolute and
 * free of "." and ".." components, so that it cannot leave the cgroup mount.
 * Returns HR_OK when at least one was found, HR_ENOENT when none, HR_EPARSE
 * when the only candidates were malformed. */
hr_status hr__lx_parse_cgroup(const char *buf, size_t n, char *v1, size_t v1cap, char *v2,
                              size_t v2cap);

#endif /* HR_PLATFORM_LINUX_LX_PARSE_H */

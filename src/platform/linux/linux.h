/* linux.h: the Linux OS layer's per-concern modules.
 *
 * Each module discovers its files under the context root at open, keeps fds
 * open, fills its part of the probe, and reports itself as a source. A module
 * whose files are absent reports HR_SOURCE_ABSENT and leaves its readings
 * unknown with the reason; open fails only on HR_ENOMEM. */
#ifndef HR_PLATFORM_LINUX_LINUX_H
#define HR_PLATFORM_LINUX_LINUX_H

#include "core/internal.h"

struct hr__lx_cpu;
struct hr__lx_mem;
struct hr__lx_hwmon;
struct hr__lx_thermal;
struct hr__lx_rapl;

/* Static host facts: proc/sys/kernel/{ostype,osrelease,hostname,arch},
 * etc/os-release, sys/class/dmi/id/product_name, proc/cpuinfo, CPU topology.
 * Fills p->host. Returns HR_OK (unknown facts stay unknown) or HR_ENOMEM. */
hr_status hr__lx_host_read(hr_ctx *ctx, hr_probe *p);

/* proc/stat per-CPU utilisation and iowait, cpufreq, thermal_throttle counts.
 * Allocates p->cores (one per logical CPU). */
hr_status hr__lx_cpu_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_cpu **out);
void hr__lx_cpu_refresh(struct hr__lx_cpu *st, hr_probe *p);
void hr__lx_cpu_close(struct hr__lx_cpu *st, hr_probe *p);

/* proc/meminfo, cgroup v2/v1 memory limit and usage, proc/pressure/{memory,cpu,io}. */
hr_status hr__lx_mem_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_mem **out);
void hr__lx_mem_refresh(struct hr__lx_mem *st, hr_probe *p);
void hr__lx_mem_close(struct hr__lx_mem *st, hr_probe *p);

/* sys/class/hwmon: temps (max/crit), fans, power, energy, voltage, current.
 * Allocates p->sensors. */
hr_status hr__lx_hwmon_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_hwmon **out);
void hr__lx_hwmon_refresh(struct hr__lx_hwmon *st, hr_probe *p);
void hr__lx_hwmon_close(struct hr__lx_hwmon *st, hr_probe *p);

/* sys/class/thermal/thermal_zone*: temp, type, trip points. Allocates p->zones. */
hr_status hr__lx_thermal_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_thermal **out);
void hr__lx_thermal_refresh(struct hr__lx_thermal *st, hr_probe *p);
void hr__lx_thermal_close(struct hr__lx_thermal *st, hr_probe *p);

/* sys/class/powercap/intel-rapl*: energy counters with wraparound, power from
 * deltas. Allocates p->rapl; sets p->cpu.power_mw from the package domains. */
hr_status hr__lx_rapl_open(hr_ctx *ctx, hr_probe *p, struct hr__lx_rapl **out);
void hr__lx_rapl_refresh(struct hr__lx_rapl *st, hr_probe *p);
void hr__lx_rapl_close(struct hr__lx_rapl *st, hr_probe *p);

#endif /* HR_PLATFORM_LINUX_LINUX_H */

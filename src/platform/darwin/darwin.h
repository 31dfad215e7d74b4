/* darwin.h: the macOS OS layer's per-concern modules.
 *
 * The decisions and every sysctl read are in src/core/apple.c (portable and
 * tested on Linux); these modules add the mach and notify(3) calls that exist
 * only on macOS. Each fills its part of the probe and reports itself as a
 * source; open fails only on HR_ENOMEM. Nothing here needs root. */
#ifndef HR_PLATFORM_DARWIN_DARWIN_H
#define HR_PLATFORM_DARWIN_DARWIN_H

#include "core/internal.h"

struct hr__dw_cpu;
struct hr__dw_mem;
struct hr__dw_thermal;

/* Static host facts and uptime from sysctl (hr__apple_host_read). */
void hr__dw_host_read(hr_probe *p);
void hr__dw_host_refresh(hr_probe *p);

/* Per-CPU and total utilisation from host_processor_info(PROCESSOR_CPU_LOAD_INFO)
 * tick deltas. Allocates p->cores. Clocks, iowait and throttle counts have no
 * sudoless source on Apple Silicon and are HR_WHY_NOT_SUPPORTED. */
hr_status hr__dw_cpu_open(hr_probe *p, struct hr__dw_cpu **out);
void hr__dw_cpu_refresh(struct hr__dw_cpu *st, hr_probe *p);
void hr__dw_cpu_close(struct hr__dw_cpu *st, hr_probe *p);

/* hw.memsize, vm.swapusage, memory pressure sysctls, and available memory from
 * host_statistics64(HOST_VM_INFO64). */
hr_status hr__dw_mem_open(hr_probe *p, struct hr__dw_mem **out);
void hr__dw_mem_refresh(struct hr__dw_mem *st, hr_probe *p);
void hr__dw_mem_close(struct hr__dw_mem *st, hr_probe *p);

/* Thermal pressure from notify(3) com.apple.system.thermalpressurelevel into
 * p->mem.thermal_pressure; CPU temperature reported as not supported. */
hr_status hr__dw_thermal_open(hr_probe *p, struct hr__dw_thermal **out);
void hr__dw_thermal_refresh(struct hr__dw_thermal *st, hr_probe *p);
void hr__dw_thermal_close(struct hr__dw_thermal *st, hr_probe *p);

#endif /* HR_PLATFORM_DARWIN_DARWIN_H */

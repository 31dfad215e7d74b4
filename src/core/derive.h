/* derive.h: values the core derives from what the sources read. Pure: they
 * look only at the probe, combine only known readings, and never do I/O. */
#ifndef HR_CORE_DERIVE_H
#define HR_CORE_DERIVE_H

#include "core/internal.h"

/* Picks the best CPU temperature among sensors and thermal zones (package
 * sensors first, ACPI zones last) into p->cpu.temp_mc/temp_crit_mc/temp_source. */
void hr__derive_cpu_temp(hr_probe *p);

/* budget_bytes = MemAvailable, capped by (cgroup limit - cgroup usage) when a
 * limit is set. Unknown when MemAvailable is unknown. */
void hr__derive_mem_budget(hr_mem_info *m);

/* Maps PSI memory stalls to p->mem.pressure_level when the OS layer left it
 * unknown: critical when full avg10 >= 5 % or some avg10 >= 40 %, warn when
 * some avg10 >= 10 %, else normal. */
void hr__derive_pressure(hr_mem_info *m);

/* Chooses the accelerator a PyTorch user has here and its memory budget. */
void hr__derive_accel(hr_probe *p);

#endif /* HR_CORE_DERIVE_H */

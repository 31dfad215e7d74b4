/* platform.h: the contract every OS folder implements (one is built).
 *
 * The OS layer fills the host, cpu, mem, cores, sensors, zones and rapl parts
 * of an hr_probe and reports each of its sources with hr__probe_report. It
 * keeps whatever it needs for cheap re-reads (open fds) in its own state. */
#ifndef HR_PLATFORM_PLATFORM_H
#define HR_PLATFORM_PLATFORM_H

#include "core/internal.h"

struct hr__plat_state;

/* Discovers the machine and reads every value once. Returns HR_OK, HR_ENOMEM,
 * or HR_EIO when even the basic host facts could not be read (detail on ctx).
 * On failure *out is NULL and nothing is left allocated. */
hr_status hr__plat_open(hr_ctx *ctx, hr_probe *p, struct hr__plat_state **out);

/* Re-reads dynamic values into P. Rates use the previous read. */
hr_status hr__plat_refresh(struct hr__plat_state *st, hr_probe *p);

/* Releases the state and the probe arrays it allocated (cores, sensors,
 * zones, rapl). NULL is allowed. */
void hr__plat_close(struct hr__plat_state *st, hr_probe *p);

#endif /* HR_PLATFORM_PLATFORM_H */

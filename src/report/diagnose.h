/* diagnose.h: the diagnosis: each check adds a finding only with the
 * evidence that supports it (numbers from this session), and advice.
 * docs/REPORT.md lists the checks, their thresholds and their evidence. */
#ifndef HR_REPORT_DIAGNOSE_H
#define HR_REPORT_DIAGNOSE_H

#include "report/report.h"

/* Thresholds (docs/REPORT.md, "Diagnosis"). */
#define HR__IDLE_BELOW 0.20       /* accelerator utilisation that counts as idle */
#define HR__IDLE_SHARE 0.50       /* share of ticks idle to call it mostly idle */
#define HR__CORE_SATURATED 0.90   /* busiest core utilisation */
#define HR__IOWAIT_HIGH 0.10      /* iowait share, and PSI io some */
#define HR__WHILE_IDLE_SHARE 0.30 /* share of the idle ticks with a cause */
#define HR__REREAD_FACTOR 2.0     /* bytes read over the data set */
#define HR__THERMAL_SHARE 0.01    /* share of time with thermal reasons */
#define HR__THERMAL_MIN_S 10.0    /* ... or at least this long */
#define HR__NEAR_LIMIT_GPU_C 2.0  /* within this of the slowdown temperature */
#define HR__NEAR_LIMIT_CPU_C 5.0  /* within this of the critical temperature */
#define HR__NEAR_LIMIT_SHARE 0.05
#define HR__POWER_SHARE 0.10    /* share of time power-capped */
#define HR__POWER_AT_LIMIT 0.97 /* power over its limit that counts as at the limit */
#define HR__PSI_MEM_HIGH 0.10
#define HR__PSI_MEM_SHARE 0.05
#define HR__SWAP_GROWTH_BYTES (256.0 * 1024 * 1024)
#define HR__AVAILABLE_LOW 0.05 /* available memory under this share of the total */
#define HR__TRACK_RHO 0.5      /* Spearman between step time and temperature */
#define HR__TRACK_MIN_N 10
#define HR__LOST_SHARE 0.10    /* time lost worth a finding */
#define HR__COLLAPSE_RATE 0.05 /* seed 004's "healthy" band ends here */
#define HR__MISSED_SHARE 0.05

/* A new finding on M (NULL on ENOMEM); its title from FMT. */
hr__mfinding *hr__finding_new(hr__rmodel *m, const char *id, int severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
hr_status hr__evidence(hr__mfinding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
hr_status hr__advice(hr__mfinding *f, const char *text);
/* Removes the newest finding when it has no evidence: no finding without it. */
hr_status hr__finding_drop_if_empty(hr__rmodel *m);
void hr__findings_sort(hr__rmodel *m);

/* Share (weighted by W, NULL: 1 each) of the known values of V that are >=
 * LO; *KNOWN gets the total weight. -1 when none is known. */
double hr__share_where(const double *v, const double *w, size_t n, double lo, double *known);

hr_status hr__dx_input_bound(const hr__rdata *d, hr__rmodel *m);
hr_status hr__dx_thermal(const hr__rdata *d, hr__rmodel *m);
hr_status hr__dx_power(const hr__rdata *d, hr__rmodel *m);

#endif /* HR_REPORT_DIAGNOSE_H */

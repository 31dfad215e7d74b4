/* render_common.h: sentences every renderer shares, so the formats state
 * the same facts in the same words. Each writes plain, unescaped text
 * into BUF (the caller escapes it for its format) and returns BUF. */
#ifndef HR_REPORT_RENDER_COMMON_H
#define HR_REPORT_RENDER_COMMON_H

#include "report/report.h"

/* "finished, recorded by headroom record" */
const char *hr__rc_session_line(const hr_report *r, char *buf, size_t cap);
/* "2024-05-01 10:00:00 UTC, 8 h 50 min" */
const char *hr__rc_span_line(const hr_report *r, char *buf, size_t cap);
/* "vm (linux, AMD EPYC, 2 CPUs; NVIDIA H100)"; "" when the session has no inventory */
const char *hr__rc_host_line(const hr_report *r, char *buf, size_t cap);
/* "1 Hz requested, 0.99 Hz achieved, 3600 ticks, 2 missed (0.1 %)" */
const char *hr__rc_sampling_line(const hr_report *r, char *buf, size_t cap);
/* What a throttle row's source means: "clock-event reasons", ... */
const char *hr__rc_source_text(const char *source);
/* "0.82 [0.71, 0.89]" or "unknown" */
const char *hr__rc_corr_text(const hr__corr *c, char *buf, size_t cap);

#endif /* HR_REPORT_RENDER_COMMON_H */

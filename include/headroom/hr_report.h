/* hr_report.h: what happened in a session, and why: the summary, the
 * diagnosis with its evidence, correlation of the job's steps with the
 * telemetry, and renderers (text, Markdown, JSON, one self-contained HTML
 * file with charts). docs/REPORT.md describes every figure, how it is
 * computed, and the JSON schema.
 *
 * A report is computed once from a session (hr_report_build) and then
 * rendered in any format; every format states the same facts. Values a
 * session cannot support (no steps, no GPU, a sensor that was absent) are
 * reported as unknown with the reason, never as 0.
 *
 * Thread safety: a report is immutable after hr_report_build; rendering it
 * from several threads at once is safe. */
#ifndef HR_REPORT_H
#define HR_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_session.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hr_report_format {
    HR_REPORT_TEXT = 0,     /* plain text for a terminal */
    HR_REPORT_MARKDOWN = 1, /* GitHub-flavoured Markdown */
    HR_REPORT_JSON = 2,     /* the schema in docs/REPORT.md */
    HR_REPORT_HTML = 3      /* one file, charts included (uPlot embedded), works offline */
} hr_report_format;

typedef struct hr_report_options {
    size_t size;             /* sizeof(hr_report_options) as the caller was built */
    double tolerance_s;      /* as-of join of steps with ticks: a step takes the latest tick at
                              * or before it, at most this old; 0 (default): 2 tick intervals,
                              * at least 1 s */
    double slow_factor;      /* a step is slow at this many times the baseline (default 1.5) */
    double critical_factor;  /* and critically slow at this many (default 3.0) */
    const char *steps_path;  /* an external log to join (.csv or .jsonl); NULL: none */
    const char *time_column; /* its column of wall time (Unix seconds or ISO-8601); default "t" */
    int32_t chart_buckets;   /* HTML: time buckets per chart (min and max kept per bucket);
                              * default 1500; statistics always use every tick */
    int32_t reserved;
} hr_report_options;

/* Fills O with the defaults above. */
HR_EXTERN void hr_report_options_defaults(hr_report_options *o);

typedef struct hr_report hr_report;

/* Reads session S (every tick, step and event), joins OPT's external log if
 * any, and computes the report. OPT may be NULL (defaults). Returns HR_OK;
 * HR_EINVAL (bad arguments or options); HR_ENOENT / HR_EIO (the external log
 * cannot be read); HR_EPARSE (the external log has no usable rows or no time
 * column); HR_ESTORE; HR_ENOMEM. On failure the detail is on S
 * (hr_session_last_error). */
HR_EXTERN hr_status hr_report_build(hr_session *s, const hr_report_options *opt, hr_report **out);

/* Renders R as FORMAT (hr_report_format) into *OUT (NUL-terminated,
 * malloc'd; free with hr_free); *LEN (may be NULL) receives its length.
 * Every string that came from the session (command line, notes, tags, event
 * details, step names) is escaped for the format. Returns HR_OK, HR_EINVAL
 * (unknown format), HR_ENOMEM. */
HR_EXTERN hr_status hr_report_render(const hr_report *r, int format, char **out, size_t *len);

/* The format's name ("text", "md", "json", "html"), or NULL when unknown. */
HR_EXTERN const char *hr_report_format_name(int format);

/* The format named NAME ("text"/"txt", "md"/"markdown", "json", "html"),
 * or -1. */
HR_EXTERN int hr_report_format_from_name(const char *name);

/* Number of findings, and finding I's identifier ("input_bound",
 * "thermal_throttled", ...; docs/REPORT.md) and severity ("info", "warning",
 * "critical"); NULL when I is out of range. Strings live as long as R. */
HR_EXTERN size_t hr_report_finding_count(const hr_report *r);
HR_EXTERN const char *hr_report_finding_id(const hr_report *r, size_t i);
HR_EXTERN const char *hr_report_finding_severity(const hr_report *r, size_t i);

/* Frees R. NULL is allowed. */
HR_EXTERN void hr_report_free(hr_report *r);

#ifdef __cplusplus
}
#endif

#endif /* HR_REPORT_H */

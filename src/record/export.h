/* export.h: helpers shared by the export writers (export.c, export_rle.c). */
#ifndef HR_RECORD_EXPORT_H
#define HR_RECORD_EXPORT_H

#include <stdio.h>

#include "core/internal.h"
#include "headroom/hr_record.h"

/* A stored value in its channel's base unit: divides by an exact power of
 * ten where the scale is one, so 45123 mc prints as 45.123. */
double hr__export_base_value(const hr_channel *c, int64_t v);

/* Writes V with up to 15 significant digits ("%.15g"); integers stay integers. */
void hr__export_put_number(FILE *fp, double v);

/* "2025-10-28T14:03:22.123Z" (UTC, milliseconds) into BUF. */
void hr__export_time(int64_t t_wall_ns, char *buf, size_t cap);

/* The session's CLOCK_MONOTONIC start (meta start_mono_ns, else the first
 * tick), the zero of the t_s columns. */
int64_t hr__export_t0(hr_session *s);

/* Writes the rle-csv layout of S to FP (export_rle.c). */
hr_status hr__export_rle_csv(hr_session *s, const hr_export_options *o, FILE *fp, int64_t *rows);

/* Steps and events tables (export_tables.c). */
hr_status hr__export_steps(hr_session *s, int jsonl, FILE *fp, int64_t *rows);
hr_status hr__export_events(hr_session *s, int jsonl, FILE *fp, int64_t *rows);

/* Writes TEXT as a CSV field (quoted when it holds a comma, quote or line break). */
void hr__csv_field(FILE *fp, const char *text);

/* Writes TEXT as a JSON string literal. */
void hr__json_string(FILE *fp, const char *text);

#endif /* HR_RECORD_EXPORT_H */

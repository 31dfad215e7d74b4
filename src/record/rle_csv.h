/* rle_csv.h: the seed's RLE CSV layouts (seed 004, docs/seed-behaviour.md 5):
 * a line parser for the 16-, 19- and 42-column files (plus appended columns)
 * and a writer for the 19-column layout.
 *
 * Reading: columns are matched by the names in the latest header line, so any
 * of the layouts, a file with extra appended columns, or concatenated files
 * with a header in the middle all read the same way. A file without a header
 * is read by its column count (16, 19 or 42). Blank, "nan" and "None" fields
 * are unknown, never 0. A line that does not fit (wrong field count, bad
 * timestamp, unknown device, a number that is not a number) is junk: it is
 * counted, its first occurrence described, and skipped. Rows that repeat or go
 * back before the previous timestamp of the same device are returned flagged
 * and counted; the importer decides what to keep.
 *
 * Writing: hr__rle_csv_format19 always writes 19 fields (blank when unknown),
 * with the seed's precision, so every row has the same column count (the
 * seed's GPU rows had 17). */
#ifndef HR_RECORD_RLE_CSV_H
#define HR_RECORD_RLE_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_rle.h"
#include "headroom/hr_status.h"

/* The numeric fields of a row. Order is ours, not a column order. */
typedef enum hr__rle_field {
    HR__RLE_F_RLE_SMOOTHED = 0,
    HR__RLE_F_RLE_RAW,
    HR__RLE_F_RLE_NORM,
    HR__RLE_F_E_TH,
    HR__RLE_F_E_PW,
    HR__RLE_F_TEMP_C,
    HR__RLE_F_VRAM_TEMP_C,
    HR__RLE_F_POWER_W,
    HR__RLE_F_UTIL_PCT,
    HR__RLE_F_A_LOAD,
    HR__RLE_F_T_SUSTAIN_S,
    HR__RLE_F_FAN_PCT,
    HR__RLE_F_ROLLING_PEAK,
    HR__RLE_F_COLLAPSE,
    HR__RLE_F_CPU_FREQ_GHZ, /* 42-column files give MHz; converted */
    HR__RLE_F_CYCLES_PER_JOULE,
    HR__RLE_F_COUNT
} hr__rle_field;

/* The field's name as the 19-column header spells it ("rle_smoothed"). */
const char *hr__rle_field_name(hr__rle_field f);

typedef struct hr__rle_row {
    size_t line_no;     /* 1-based line in the input */
    char timestamp[48]; /* the text as written */
    int64_t t_unix_ns;  /* parsed; UTC when the text had Z or an offset */
    int32_t has_zone;   /* 0: naive time (the seed wrote local or UTC), read as UTC */
    int32_t repeated;   /* same device and same time as that device's previous row */
    int32_t backwards;  /* earlier than that device's previous row */
    int32_t reserved;
    char device[8]; /* "cpu" or "gpu" */
    uint32_t known; /* bit (1u << field) set when v[field] is known */
    double v[HR__RLE_F_COUNT];
    char alerts[128];        /* pipe-joined, "" when none */
    char workload_state[24]; /* 42-column files only, else "" */
} hr__rle_row;

#define HR__RLE_KNOWN(row, f) (((row)->known >> (f)) & 1u)

/* Marks field F of ROW known with value V. */
void hr__rle_row_set(hr__rle_row *row, hr__rle_field f, double v);

typedef struct hr__rle_csv_stats {
    size_t lines;           /* lines seen, blank ones included */
    size_t rows;            /* rows returned (flagged ones included) */
    size_t headers;         /* header lines */
    size_t blank;           /* empty lines */
    size_t junk;            /* lines skipped */
    size_t repeated;        /* rows flagged repeated */
    size_t backwards;       /* rows flagged backwards */
    size_t first_junk_line; /* 0 when no junk */
    char first_junk_why[128];
    int32_t columns; /* column count of the latest header (or guessed layout) */
    int32_t reserved;
} hr__rle_csv_stats;

#define HR__RLE_MAX_COLS 64

typedef struct hr__rle_csv_parser {
    int8_t col_field[HR__RLE_MAX_COLS]; /* column -> field, or a negative HR__RLE_COL_* */
    int32_t ncols;                      /* 0 until a header or a first row fixed the layout */
    int32_t guessed;                    /* layout from a column count, not a header */
    int32_t mhz_col;                    /* the frequency column is in MHz (42-col) */
    int64_t last_t_ns[2];               /* previous time per device (cpu, gpu) */
    int32_t have_last[2];
    hr__rle_csv_stats st;
} hr__rle_csv_parser;

/* What one line was. */
typedef enum hr__rle_line_kind {
    HR__RLE_LINE_ROW = 0,
    HR__RLE_LINE_HEADER = 1,
    HR__RLE_LINE_BLANK = 2,
    HR__RLE_LINE_JUNK = 3
} hr__rle_line_kind;

void hr__rle_csv_init(hr__rle_csv_parser *p);

/* Reads one line (N bytes, without or with its "\n"/"\r\n"). For a row, fills
 * ROW. For junk, writes the reason into WHY (may be NULL). Updates p->st. */
hr__rle_line_kind hr__rle_csv_line(hr__rle_csv_parser *p, const char *line, size_t n,
                                   hr__rle_row *row, char *why, size_t cap);

/* Called for each row; a status other than HR_OK stops the parse and is
 * returned by hr__rle_csv_parse. */
typedef hr_status (*hr__rle_row_fn)(const hr__rle_row *row, void *ud);

/* Reads a whole buffer (need not be NUL-terminated; a UTF-8 BOM and a last
 * line without newline are fine), calling FN for every row. ST (may be NULL)
 * receives the counts. Returns HR_OK, HR_EINVAL (NULL buf with n > 0), or
 * FN's status. */
hr_status hr__rle_csv_parse(const char *buf, size_t n, hr__rle_row_fn fn, void *ud,
                            hr__rle_csv_stats *st);

/* The 19-column header line, with its trailing "\n". */
extern const char hr__rle_csv_header19[];

/* Writes ROW as one 19-column line with "\n" into BUF (always NUL-terminated
 * when CAP > 0). Unknown fields are blank. Returns the length the full line
 * needs, like snprintf; a result >= CAP means it was truncated. */
size_t hr__rle_csv_format19(const hr__rle_row *row, char *buf, size_t cap);

/* "2025-10-28T14:03:22.123456Z" (UTC, microseconds) into BUF. */
void hr__rle_csv_format_time(int64_t t_unix_ns, char *buf, size_t cap);

/* Fills ROW from one tick's result: the RLE terms, temperature, power,
 * utilisation, rolling peak, collapse (in_collapse) and alerts named the
 * seed's way ("GPU_TEMP_LIMIT|GPU_A_LOAD>1.10") with CFG's alert threshold
 * (CFG may be NULL for the defaults). DEVICE is "cpu" or "gpu". Unknown terms
 * stay unknown. vram_temp_c, fan_pct, cpu_freq_ghz and cycles_per_joule are
 * left for the caller (hr__rle_row_set). */
void hr__rle_row_from_result(hr__rle_row *row, int64_t t_unix_ns, const char *device,
                             const hr_rle_result *r, const hr_rle_config *cfg);

#endif /* HR_RECORD_RLE_CSV_H */

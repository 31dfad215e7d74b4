/* render_common.h: the format-neutral document the text, Markdown and HTML
 * reports are written to. render_sections.c decides the content once and
 * writes it through the hr__doc_* calls below; each format implements the
 * callbacks (hr__doc_ops) with its markup only.
 *
 * Text and escaping: every string handed to a callback is plain, unescaped
 * text; the callback escapes it for its format (hr__esc_text, hr__esc_md,
 * hr__esc_html), except three kinds that the report writes itself and
 * that are written as they are: section titles and field labels, column
 * titles, and the cells of HR__COL_NUM and HR__COL_OWN columns (numbers,
 * units and fixed words; never '<' or '&').
 *
 * Structure: a report is a head (the session path, then fields) and
 * sections; a section holds blocks: fields, paragraphs, lists, tables and
 * findings. hr__doc keeps the bookkeeping every format needs (the open
 * table's columns, the open list's kind, how many blocks the section has
 * so far) so that the callbacks can place separators. */
#ifndef HR_REPORT_RENDER_COMMON_H
#define HR_REPORT_RENDER_COMMON_H

#include "report/report.h"

/* The most columns a table may have. */
#define HR__DOC_MAX_COLS 12

/* Column flags: NUM, a figure (right-aligned); OWN, the report's own
 * words (both written as they are); GROUP, a column that groups
 * consecutive rows (text shows it where it changes). */
enum { HR__COL_NUM = 1, HR__COL_OWN = 2, HR__COL_GROUP = 4 };

typedef struct hr__dcol {
    const char *title;
    int flags;
} hr__dcol;

/* Paragraphs: plain; standing for an empty list or an unknown figure; the
 * section's key figure (emphasised). */
typedef enum hr__dpara { HR__PARA_PLAIN = 0, HR__PARA_NONE, HR__PARA_KEY } hr__dpara;

/* Lists: plain; a finding's evidence; a finding's advice. */
typedef enum hr__dlist { HR__LIST_PLAIN = 0, HR__LIST_EVIDENCE, HR__LIST_ADVICE } hr__dlist;

/* Places for pictures, in the formats that draw them: the split of the
 * actual time, the time series, the step times, the scatter plots. */
typedef enum hr__dchart {
    HR__CHART_SPLIT = 0,
    HR__CHART_TIME,
    HR__CHART_STEPS,
    HR__CHART_SCATTER
} hr__dchart;

typedef struct hr__doc hr__doc;

/* A format. A NULL callback writes nothing; a format without `chart`
 * draws no charts (and the parts that exist only for them are left out). */
typedef struct hr__doc_ops {
    void (*esc)(hr__sb *b, const char *s);      /* the format's escape (required) */
    void (*head)(hr__doc *d, const char *path); /* the report's title */
    void (*head_end)(hr__doc *d);
    void (*section)(hr__doc *d, const char *id, const char *title);
    void (*section_end)(hr__doc *d);
    void (*fields)(hr__doc *d); /* "label: value" pairs follow */
    void (*field)(hr__doc *d, const char *label, const char *value);
    void (*fields_end)(hr__doc *d);
    void (*para)(hr__doc *d, hr__dpara kind, const char *text);
    void (*list)(hr__doc *d); /* items of d->list follow */
    void (*item)(hr__doc *d, const char *text);
    void (*list_end)(hr__doc *d);
    void (*table)(hr__doc *d); /* rows of d->cols follow */
    void (*row)(hr__doc *d, const char *const *cells);
    void (*table_end)(hr__doc *d);
    void (*finding)(hr__doc *d, const char *severity, const char *id, const char *title);
    void (*finding_end)(hr__doc *d);
    void (*chart)(hr__doc *d, hr__dchart where, const hr_report *r);
} hr__doc_ops;

struct hr__doc {
    const hr__doc_ops *ops;
    hr__sb *b;            /* the output */
    const hr__dcol *cols; /* the open table's columns */
    size_t ncols;
    size_t blocks;  /* blocks already in the current section (or the head) */
    hr__dlist list; /* the open list's kind */
    char *scratch;  /* hr__doc_fmt's text */
    size_t scratch_cap;
};

/* Writes the whole report of R to D (render_sections.c). */
void hr__render_doc(const hr_report *r, hr__doc *d);

/* --- what the sections call --- */

/* FMT formatted into D's scratch text: valid until the next call, "" (and
 * D's output marked out of memory) when it cannot be had. */
const char *hr__doc_fmt(hr__doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void hr__doc_head(hr__doc *d, const char *path);
void hr__doc_head_end(hr__doc *d);
void hr__doc_section(hr__doc *d, const char *id, const char *title);
void hr__doc_section_end(hr__doc *d);
void hr__doc_fields(hr__doc *d);
void hr__doc_field(hr__doc *d, const char *label, const char *value);
void hr__doc_fields_end(hr__doc *d);
void hr__doc_para(hr__doc *d, hr__dpara kind, const char *text);
void hr__doc_list(hr__doc *d, hr__dlist kind);
void hr__doc_item(hr__doc *d, const char *text);
void hr__doc_list_end(hr__doc *d);
/* A table of NCOLS (at most HR__DOC_MAX_COLS) columns; COLS must stay valid
 * until hr__doc_table_end. Each row gives NCOLS cells. */
void hr__doc_table(hr__doc *d, const hr__dcol *cols, size_t ncols);
void hr__doc_row(hr__doc *d, const char *const *cells);
void hr__doc_table_end(hr__doc *d);
/* A finding: its title, then its evidence and its advice as lists. */
void hr__doc_finding(hr__doc *d, const hr__mfinding *f);
/* 1 when D's format draws charts. */
int hr__doc_has_charts(const hr__doc *d);
void hr__doc_chart(hr__doc *d, hr__dchart where, const hr_report *r);

/* --- what the formats' callbacks call --- */

/* BEFORE, TEXT escaped for D's format, AFTER. */
void hr__doc_put(hr__doc *d, const char *before, const char *text, const char *after);
/* TEXT as cell C of the open table: as it is in the report's own columns,
 * escaped in the others. */
void hr__doc_put_cell(hr__doc *d, size_t c, const char *text);

#endif /* HR_REPORT_RENDER_COMMON_H */

/* render_text.c: the report as plain text for a terminal: the document of
 * render_sections.c with a line per heading, "label  value" fields, lists
 * and aligned tables, indented by two spaces. Every string from the
 * session is written with control characters escaped (hr__esc_text). */
#include <string.h>

#include "report/render_common.h"
#include "report/report.h"

#define LABEL_WIDTH 22

/* A table is held until its end, so that its columns can be aligned:
 * its escaped cells, each ended by a NUL, row after row. */
typedef struct text_doc {
    hr__doc doc;
    hr__sb cells;
    size_t nrows;
} text_doc;

static void head(hr__doc *d, const char *path) { hr__doc_put(d, "headroom report: ", path, "\n"); }

static void section(hr__doc *d, const char *id, const char *title) {
    (void)id;
    hr__sb_printf(d->b, "\n%s\n", title);
}

static void field(hr__doc *d, const char *label, const char *value) {
    hr__sb_printf(d->b, "  %-*s ", LABEL_WIDTH, label);
    hr__doc_put(d, "", value, "\n");
}

static void para(hr__doc *d, hr__dpara kind, const char *text) {
    (void)kind;
    hr__doc_put(d, "  ", text, "\n");
}

/* Plain items, a finding's evidence and its advice (hr__dlist order). */
static void item(hr__doc *d, const char *text) {
    static const char *const mark[] = {"  - ", "      - ", "      > "};
    hr__doc_put(d, mark[d->list], text, "\n");
}

static void finding(hr__doc *d, const char *severity, const char *id, const char *title) {
    (void)id;
    hr__sb_printf(d->b, "  [%s] ", severity);
    hr__doc_put(d, "", title, "\n");
}

/* --- tables --- */

/* Characters on screen: UTF-8 sequences count once. */
static size_t width(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void row(hr__doc *d, const char *const *cells) {
    text_doc *t = (text_doc *)d;
    for (size_t c = 0; c < d->ncols; c++) {
        hr__esc_text(&t->cells, cells[c]); /* every cell: control characters never pass */
        hr__sb_put(&t->cells, "", 1);
    }
    t->nrows++;
}

/* The column titles are the table's first row. */
static void table(hr__doc *d) {
    text_doc *t = (text_doc *)d;
    const char *titles[HR__DOC_MAX_COLS];
    for (size_t c = 0; c < d->ncols; c++)
        titles[c] = d->cols[c].title;
    t->cells.len = 0;
    t->nrows = 0;
    row(d, titles);
    hr__sb_puts(d->b, d->blocks ? "\n" : ""); /* a blank line unless first in its section */
}

/* Points CELL[0..ncols-1] at the row that starts at P; returns the next. */
static const char *next_row(const hr__doc *d, const char *p, const char **cell) {
    for (size_t c = 0; c < d->ncols; c++) {
        cell[c] = p;
        p += strlen(p) + 1;
    }
    return p;
}

/* One line of a table: numbers padded on the left, the rest on the right;
 * no trailing spaces. */
static void line(hr__doc *d, const char *const *cell, const size_t *w) {
    hr__sb *b = d->b;
    for (size_t c = 0; c < d->ncols; c++) {
        int pad = (int)(w[c] - width(cell[c]));
        int right = d->cols[c].flags & HR__COL_NUM;
        hr__sb_printf(b, "  %*s%s%*s", right ? pad : 0, "", cell[c], right ? 0 : pad, "");
    }
    while (!b->oom && b->len && b->p[b->len - 1] == ' ')
        b->p[--b->len] = '\0';
    hr__sb_puts(b, "\n");
}

/* Writes the held table with its columns as wide as their widest cell; a
 * grouping column shows its value only where it changes. */
static void table_end(hr__doc *d) {
    text_doc *t = (text_doc *)d;
    size_t w[HR__DOC_MAX_COLS] = {0};
    const char *cell[HR__DOC_MAX_COLS], *prev[HR__DOC_MAX_COLS], *p = t->cells.p;
    if (t->cells.oom) {
        d->b->oom = 1;
        return;
    }
    for (size_t i = 0; i < t->nrows; i++) {
        p = next_row(d, p, cell);
        for (size_t c = 0; c < d->ncols; c++)
            w[c] = width(cell[c]) > w[c] ? width(cell[c]) : w[c];
    }
    p = t->cells.p;
    for (size_t i = 0; i < t->nrows; i++) {
        p = next_row(d, p, cell);
        const char *shown[HR__DOC_MAX_COLS];
        for (size_t c = 0; c < d->ncols; c++) {
            int same = i > 1 && strcmp(prev[c], cell[c]) == 0;
            shown[c] = (d->cols[c].flags & HR__COL_GROUP) && same ? "" : cell[c];
            prev[c] = cell[c];
        }
        line(d, shown, w);
    }
}

/* clang-format off */
static const hr__doc_ops text_ops = {
    .esc = hr__esc_text,
    .head = head, .section = section,
    .field = field, .para = para, .item = item, .finding = finding,
    .table = table, .row = row, .table_end = table_end,
};
/* clang-format on */

hr_status hr__render_text(const hr_report *r, hr__sb *b) {
    text_doc t = {.doc = {.ops = &text_ops, .b = b}};
    hr__render_doc(r, &t.doc);
    hr__sb_free(&t.cells);
    return b->oom ? HR_ENOMEM : HR_OK;
}

/* render_common.c: the document calls (render_common.h). Each passes its
 * text to the format's callback and keeps the bookkeeping the formats
 * share: a section or the head starts with no blocks; each block (fields,
 * paragraph, list, table, finding) counts once it has begun. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/render_common.h"

/* Formats into the scratch text, growing it once when it is too small. */
const char *hr__doc_fmt(hr__doc *d, const char *fmt, ...) {
    va_list ap;
    for (int pass = 0; pass < 2; pass++) {
        va_start(ap, fmt);
        int n = vsnprintf(d->scratch, d->scratch_cap, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < d->scratch_cap)
            return d->scratch;
        char *p = n >= 0 ? realloc(d->scratch, (size_t)n + 1) : NULL;
        if (!p)
            break;
        d->scratch = p;
        d->scratch_cap = (size_t)n + 1;
    }
    d->b->oom = 1;
    return "";
}

/* D's callback NAME with D and the arguments that follow, when it has one. */
#define CALL(d, name, ...) ((d)->ops->name ? (d)->ops->name(d, __VA_ARGS__) : (void)0)
#define CALL0(d, name) ((d)->ops->name ? (d)->ops->name(d) : (void)0)

/* Opening a section or the head: no blocks yet. */
void hr__doc_head(hr__doc *d, const char *path) {
    d->blocks = 0;
    CALL(d, head, path);
}

void hr__doc_section(hr__doc *d, const char *id, const char *title) {
    CALL(d, section, id, title);
    d->blocks = 0;
}

/* Beginning a block: it counts once begun. */
void hr__doc_fields(hr__doc *d) {
    CALL0(d, fields);
    d->blocks++;
}

void hr__doc_para(hr__doc *d, hr__dpara kind, const char *text) {
    CALL(d, para, kind, text);
    d->blocks++;
}

void hr__doc_list(hr__doc *d, hr__dlist kind) {
    d->list = kind;
    CALL0(d, list);
    d->blocks++;
}

void hr__doc_table(hr__doc *d, const hr__dcol *cols, size_t ncols) {
    d->cols = cols;
    d->ncols = ncols < HR__DOC_MAX_COLS ? ncols : HR__DOC_MAX_COLS;
    CALL0(d, table);
    d->blocks++;
}

/* What goes on inside a block, and its end. */
void hr__doc_field(hr__doc *d, const char *label, const char *text) { CALL(d, field, label, text); }
void hr__doc_item(hr__doc *d, const char *text) { CALL(d, item, text); }
void hr__doc_row(hr__doc *d, const char *const *cells) { CALL(d, row, cells); }
void hr__doc_fields_end(hr__doc *d) { CALL0(d, fields_end); }
void hr__doc_list_end(hr__doc *d) { CALL0(d, list_end); }
void hr__doc_table_end(hr__doc *d) { CALL0(d, table_end); }
void hr__doc_section_end(hr__doc *d) { CALL0(d, section_end); }
void hr__doc_head_end(hr__doc *d) { CALL0(d, head_end); }
void hr__doc_chart(hr__doc *d, hr__dchart where, const hr_report *r) { CALL(d, chart, where, r); }
int hr__doc_has_charts(const hr__doc *d) { return d->ops->chart != NULL; }

static void finding_list(hr__doc *d, hr__dlist kind, char *const *items, size_t n) {
    if (!n)
        return;
    hr__doc_list(d, kind);
    for (size_t k = 0; k < n; k++)
        hr__doc_item(d, items[k]);
    hr__doc_list_end(d);
}

void hr__doc_finding(hr__doc *d, const hr__mfinding *f) {
    CALL(d, finding, hr__severity_name(f->severity), f->id, f->title);
    d->blocks++;
    finding_list(d, HR__LIST_EVIDENCE, f->evidence, f->nev);
    finding_list(d, HR__LIST_ADVICE, f->advice, f->nadv);
    CALL0(d, finding_end);
}

void hr__doc_put(hr__doc *d, const char *before, const char *text, const char *after) {
    hr__sb_puts(d->b, before);
    d->ops->esc(d->b, text);
    hr__sb_puts(d->b, after);
}

void hr__doc_put_cell(hr__doc *d, size_t c, const char *text) {
    if (d->cols[c].flags & (HR__COL_NUM | HR__COL_OWN))
        hr__sb_puts(d->b, text);
    else
        d->ops->esc(d->b, text);
}

/* render_md.c: the report as GitHub-flavoured Markdown: the document of
 * render_sections.c in headings, "- **label**: value" fields, lists and
 * tables, blocks apart by a blank line. Session strings are escaped
 * (hr__esc_md: Markdown punctuation, '|' in tables, no raw HTML). */
#include "report/render_common.h"
#include "report/report.h"

/* A blank line before every block but a section's first. */
static void gap(hr__doc *d) { hr__sb_puts(d->b, d->blocks ? "\n" : ""); }

static void head(hr__doc *d, const char *path) {
    hr__doc_put(d, "# headroom report: ", path, "\n\n");
}

static void section(hr__doc *d, const char *id, const char *title) {
    (void)id;
    hr__sb_printf(d->b, "\n## %s\n\n", title);
}

static void field(hr__doc *d, const char *label, const char *value) {
    hr__sb_printf(d->b, "- **%s**: ", label);
    hr__doc_put(d, "", value, "\n");
}

static void para(hr__doc *d, hr__dpara kind, const char *text) {
    const char *em = kind == HR__PARA_KEY ? "**" : "";
    gap(d);
    hr__doc_put(d, em, text, em);
    hr__sb_puts(d->b, "\n");
}

/* A finding's lists are headed by what they hold. */
static void list(hr__doc *d) {
    static const char *const heading[] = {"", "Evidence:\n\n", "Advice:\n\n"};
    gap(d);
    hr__sb_puts(d->b, heading[d->list]);
}

static void item(hr__doc *d, const char *text) { hr__doc_put(d, "- ", text, "\n"); }

static void table(hr__doc *d) {
    gap(d);
    for (size_t c = 0; c < d->ncols; c++)
        hr__sb_printf(d->b, "| %s%s", d->cols[c].title, d->cols[c].title[0] ? " " : "");
    hr__sb_puts(d->b, "|\n");
    for (size_t c = 0; c < d->ncols; c++)
        hr__sb_puts(d->b, d->cols[c].flags & HR__COL_NUM ? "|---:" : "|---");
    hr__sb_puts(d->b, "|\n");
}

/* An empty cell is "| |". */
static void row(hr__doc *d, const char *const *cells) {
    for (size_t c = 0; c < d->ncols; c++) {
        hr__sb_puts(d->b, "| ");
        hr__doc_put_cell(d, c, cells[c]);
        hr__sb_puts(d->b, cells[c][0] ? " " : "");
    }
    hr__sb_puts(d->b, "|\n");
}

static void finding(hr__doc *d, const char *severity, const char *id, const char *title) {
    (void)id;
    gap(d);
    hr__sb_printf(d->b, "### %s: ", severity);
    hr__doc_put(d, "", title, "\n");
}

/* clang-format off */
static const hr__doc_ops md_ops = {
    .esc = hr__esc_md,
    .head = head, .section = section,
    .fields = gap, .field = field, .para = para, .list = list, .item = item,
    .finding = finding, .table = table, .row = row,
};
/* clang-format on */

hr_status hr__render_md(const hr_report *r, hr__sb *b) {
    hr__doc doc = {.ops = &md_ops, .b = b};
    hr__render_doc(r, &doc);
    return b->oom ? HR_ENOMEM : HR_OK;
}

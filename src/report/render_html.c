/* render_html.c: the report as one self-contained HTML page: the document
 * of render_sections.c in <section id=...> elements, definition lists,
 * lists and tables (class "n" on numbers), plus what only a page has: the
 * style sheets, the efficiency bar, the places for the charts,
 * and the chart data and scripts (uPlot, embedded). It loads nothing from
 * the network. Every session string is HTML-escaped; the chart data is
 * JSON made safe for a <script>. */
#include <string.h>

#include "headroom/hr_version.h"
#include "report/html_assets.h"
#include "report/render_common.h"
#include "report/report.h"

/* Everything before the report's own header. */
static void page_start(const hr_report *r, hr__sb *b) {
    hr__sb_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                   "<title>headroom report: ");
    hr__esc_html(b, r->d.path);
    hr__sb_puts(b, "</title>\n<style>\n");
    hr__sb_put(b, (const char *)hr__uplot_css, hr__uplot_css_len);
    hr__sb_puts(b, "\n</style>\n<style>\n");
    hr__sb_puts(b, hr__report_css);
    hr__sb_puts(b, "</style>\n</head>\n<body>\n<main>\n");
}

/* The footer, the chart data and the scripts that draw it. */
static void page_end(const hr_report *r, hr__sb *b) {
    hr__sb_printf(b,
                  "<footer>headroom %s. Charts drawn with uPlot (MIT licence, "
                  "github.com/leeoniya/uPlot), embedded in this file.</footer>\n</main>\n",
                  HR_VERSION_STRING);
    hr__sb_puts(b, "<script type=\"application/json\" id=\"hr-data\">");
    hr__html_chart_data(r, b);
    hr__sb_puts(b, "</script>\n<script>\n");
    hr__sb_put(b, (const char *)hr__uplot_js, hr__uplot_js_len);
    hr__sb_puts(b, "\n</script>\n<script>\n");
    hr__sb_puts(b, hr__report_js);
    hr__sb_puts(b, "</script>\n</body>\n</html>\n");
}

/* --- the document --- */

static void head(hr__doc *d, const char *path) {
    hr__doc_put(d, "<header>\n<h1>headroom report</h1>\n<p class=\"path\">", path, "</p>\n");
}

static void section(hr__doc *d, const char *id, const char *title) {
    hr__sb_printf(d->b, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
}

static void fields(hr__doc *d) { hr__sb_puts(d->b, "<dl class=\"meta\">\n"); }

static void field(hr__doc *d, const char *label, const char *value) {
    hr__sb_printf(d->b, "<dt>%s</dt>", label);
    hr__doc_put(d, "<dd>", value, "</dd>\n");
}

static void para(hr__doc *d, hr__dpara kind, const char *text) {
    static const char *const open[] = {"<p>", "<p class=\"none\">", "<p class=\"big\"><b>"};
    static const char *const close[] = {"</p>\n", "</p>\n", "</b></p>\n"};
    hr__doc_put(d, open[kind], text, close[kind]);
}

/* A finding's lists share the <ul> its card opened. */
static void list(hr__doc *d) { hr__sb_puts(d->b, d->list == HR__LIST_PLAIN ? "<ul>\n" : ""); }
static void list_end(hr__doc *d) { hr__sb_puts(d->b, d->list == HR__LIST_PLAIN ? "</ul>\n" : ""); }

static void item(hr__doc *d, const char *text) {
    hr__doc_put(d, d->list == HR__LIST_ADVICE ? "<li class=\"adv\">" : "<li>", text, "</li>\n");
}

static void table(hr__doc *d) {
    hr__sb_puts(d->b, "<table><tr>");
    for (size_t c = 0; c < d->ncols; c++)
        hr__sb_printf(d->b, "<th%s>%s</th>", d->cols[c].flags & HR__COL_NUM ? " class=\"n\"" : "",
                      d->cols[c].title);
    hr__sb_puts(d->b, "</tr>\n");
}

static void row(hr__doc *d, const char *const *cells) {
    hr__sb_puts(d->b, "<tr>");
    for (size_t c = 0; c < d->ncols; c++) {
        hr__sb_puts(d->b, d->cols[c].flags & HR__COL_NUM ? "<td class=\"n\">" : "<td>");
        hr__doc_put_cell(d, c, cells[c]);
        hr__sb_puts(d->b, "</td>");
    }
    hr__sb_puts(d->b, "</tr>\n");
}

static void finding(hr__doc *d, const char *severity, const char *id, const char *title) {
    hr__sb_printf(d->b, "<div class=\"finding %s\" data-id=\"%s\"><div class=\"sev\">%s</div>",
                  severity, id, severity);
    hr__doc_put(d, "<h3>", title, "</h3>\n<ul>\n");
}

/* The ends of the head, a section, fields, a table and a finding. */
static void head_end(hr__doc *d) { hr__sb_puts(d->b, "</header>\n"); }
static void section_end(hr__doc *d) { hr__sb_puts(d->b, "</section>\n"); }
static void fields_end(hr__doc *d) { hr__sb_puts(d->b, "</dl>\n"); }
static void table_end(hr__doc *d) { hr__sb_puts(d->b, "</table>\n"); }
static void finding_end(hr__doc *d) { hr__sb_puts(d->b, "</ul></div>\n"); }

/* --- what only the page has --- */

static void bar_part(hr__sb *b, double s, double total, const char *color, const char *what) {
    if (!(s > 0) || !(total > 0))
        return;
    hr__sb_printf(b, "<span style=\"width:%.2f%%;background:%s\" title=\"%s\"></span>",
                  s / total * 100, color, what);
}

/* The actual time as a bar: at baseline speed, slow steps, cooling breaks
 * and the rest. */
static void time_split(hr__doc *d, const hr__meff *e) {
    double total = e->actual_s, base = e->theoretical_s < total ? e->theoretical_s : total;
    hr__sb_puts(d->b, "<div class=\"bar\">");
    bar_part(d->b, base, total, "#2ca02c", "at baseline speed");
    bar_part(d->b, e->throttle_loss_s, total, "#ff7f0e", "slow steps");
    bar_part(d->b, e->cooling_s, total, "#1f77b4", "cooling breaks");
    bar_part(d->b, e->other_s, total, "#9aa3b2", "elsewhere");
    hr__sb_puts(d->b, "</div>\n");
}

/* The bar, and the elements the script (html_script.c) draws the charts
 * into. */
static void chart(hr__doc *d, hr__dchart where, const hr_report *r) {
    switch (where) {
    case HR__CHART_SPLIT: time_split(d, &r->m.eff); break;
    case HR__CHART_TIME:
        hr__sb_puts(d->b, "<p class=\"legend-bands\"><span class=\"cooling\">cooling break</span>"
                          "<span class=\"throttle\">throttled</span><span class=\"collapse\">RLE "
                          "collapse</span><span class=\"slowdown\">slow steps (timing)</span>"
                          "</p>\n<div id=\"charts-time\"></div>\n");
        break;
    case HR__CHART_STEPS: hr__sb_puts(d->b, "<div id=\"chart-steps\"></div>\n"); break;
    case HR__CHART_SCATTER:
        hr__sb_puts(d->b, "<div id=\"charts-scatter\" class=\"grid2\"></div>\n");
        break;
    }
}

/* clang-format off */
static const hr__doc_ops html_ops = {
    .esc = hr__esc_html,
    .head = head, .head_end = head_end,
    .section = section, .section_end = section_end,
    .fields = fields, .field = field, .fields_end = fields_end, .para = para,
    .list = list, .item = item, .list_end = list_end,
    .table = table, .row = row, .table_end = table_end,
    .finding = finding, .finding_end = finding_end,
    .chart = chart,
};
/* clang-format on */

hr_status hr__render_html(const hr_report *r, hr__sb *b) {
    hr__doc doc = {.ops = &html_ops, .b = b};
    page_start(r, b);
    hr__render_doc(r, &doc);
    page_end(r, b);
    return b->oom ? HR_ENOMEM : HR_OK;
}

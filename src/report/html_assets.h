/* html_assets.h: what the HTML report embeds: uPlot's minified script and
 * style sheet (generated from the npm package at build time by
 * cmake/EmbedUplot.cmake into uplot_embed.c; the version is pinned in
 * scripts/fetch-uplot.sh), and the report's own style sheet and script
 * (html_script.c). */
#ifndef HR_REPORT_HTML_ASSETS_H
#define HR_REPORT_HTML_ASSETS_H

#include <stddef.h>

extern const unsigned char hr__uplot_js[];
extern const size_t hr__uplot_js_len;
extern const unsigned char hr__uplot_css[];
extern const size_t hr__uplot_css_len;

extern const char hr__report_css[];
extern const char hr__report_js[];

#endif /* HR_REPORT_HTML_ASSETS_H */

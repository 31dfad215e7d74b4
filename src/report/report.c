/* report.c: the public report API (hr_report.h): build once from a
 * session, render in any format. */
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "store/store.h"

void hr_report_options_defaults(hr_report_options *o) {
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->tolerance_s = 0;
    o->slow_factor = 1.5;
    o->critical_factor = 3.0;
    o->steps_path = NULL;
    o->time_column = "t";
    o->chart_buckets = 1500;
}

static hr_status join_log(hr_report *r, hr_session *s) {
    char why[256] = "";
    hr_status st = hr__ext_load(r->opt.steps_path, r->opt.time_column, r->d.wall_minus_mono_ns,
                                &r->d.ext, why, sizeof why);
    if (st != HR_OK)
        return hr__session_fail(s, st, "report: --steps %s: %s", r->opt.steps_path, why);
    r->d.ext_name = hr__utf8_dup(r->opt.steps_path);
    return r->d.ext_name ? HR_OK : hr__session_fail(s, HR_ENOMEM, "report: out of memory");
}

hr_status hr_report_build(hr_session *s, const hr_report_options *opt, hr_report **out) {
    if (!s || !out)
        return HR_EINVAL;
    *out = NULL;
    if (opt && opt->size && opt->size < offsetof(hr_report_options, steps_path))
        return hr__session_fail(s, HR_EINVAL, "report: options from an unknown version");
    hr_report *r = calloc(1, sizeof *r);
    if (!r)
        return hr__session_fail(s, HR_ENOMEM, "report: out of memory");
    hr__ropts_resolve(opt, &r->opt);
    hr_status st = hr__rdata_load(&r->d, s);
    if (st == HR_OK && r->opt.steps_path)
        st = join_log(r, s);
    if (st == HR_OK) {
        st = hr__analyse(&r->d, &r->opt, &r->m);
        if (st != HR_OK)
            st = hr__session_fail(s, st, "report: out of memory analysing %s", hr_session_path(s));
    }
    /* The options' strings belong to the caller: keep none of them. */
    r->opt.steps_path = NULL;
    r->opt.time_column = NULL;
    if (st != HR_OK) {
        hr_report_free(r);
        return st;
    }
    *out = r;
    return HR_OK;
}

hr_status hr_report_render(const hr_report *r, int format, char **out, size_t *len) {
    if (!r || !out)
        return HR_EINVAL;
    *out = NULL;
    hr__sb b = {0};
    hr_status st;
    switch (format) {
    case HR_REPORT_TEXT: st = hr__render_text(r, &b); break;
    case HR_REPORT_MARKDOWN: st = hr__render_md(r, &b); break;
    case HR_REPORT_JSON: st = hr__render_json(r, &b); break;
    case HR_REPORT_HTML: st = hr__render_html(r, &b); break;
    default: return HR_EINVAL;
    }
    if (st == HR_OK && b.oom)
        st = HR_ENOMEM;
    if (st == HR_OK && !b.p)
        hr__sb_put(&b, "", 0);
    if (st != HR_OK || b.oom) {
        hr__sb_free(&b);
        return st != HR_OK ? st : HR_ENOMEM;
    }
    if (len)
        *len = b.len;
    *out = b.p;
    return HR_OK;
}

static const char *const format_names[] = {"text", "md", "json", "html"};

const char *hr_report_format_name(int format) {
    return format >= 0 && format < 4 ? format_names[format] : NULL;
}

int hr_report_format_from_name(const char *name) {
    if (!name)
        return -1;
    if (strcmp(name, "text") == 0 || strcmp(name, "txt") == 0)
        return HR_REPORT_TEXT;
    if (strcmp(name, "md") == 0 || strcmp(name, "markdown") == 0)
        return HR_REPORT_MARKDOWN;
    if (strcmp(name, "json") == 0)
        return HR_REPORT_JSON;
    if (strcmp(name, "html") == 0 || strcmp(name, "htm") == 0)
        return HR_REPORT_HTML;
    return -1;
}

size_t hr_report_finding_count(const hr_report *r) { return r ? r->m.nfind : 0; }

const char *hr_report_finding_id(const hr_report *r, size_t i) {
    return r && i < r->m.nfind ? r->m.find[i].id : NULL;
}

const char *hr_report_finding_severity(const hr_report *r, size_t i) {
    return r && i < r->m.nfind ? hr__severity_name(r->m.find[i].severity) : NULL;
}

void hr_report_free(hr_report *r) {
    if (!r)
        return;
    hr__rmodel_free(&r->m);
    hr__rdata_free(&r->d);
    free(r);
}

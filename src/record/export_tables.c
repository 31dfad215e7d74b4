/* export_tables.c: steps and events as CSV or JSONL. Steps get one column
 * per number any step reported, so every row has the same columns. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/export.h"

typedef struct names {
    char **v;
    size_t n, cap;
} names;

static int names_add(names *ns, const char *name) {
    for (size_t i = 0; i < ns->n; i++)
        if (strcmp(ns->v[i], name) == 0)
            return 0;
    if (hr__grow((void **)&ns->v, sizeof *ns->v, ns->n, &ns->cap) != HR_OK)
        return -1;
    ns->v[ns->n] = strdup(name);
    if (!ns->v[ns->n])
        return -1;
    ns->n++;
    return 0;
}

static int names_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(names *ns) {
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

/* The sorted union of every step's value names. */
static hr_status collect_names(hr_session *s, names *ns) {
    hr_step_cursor *c = NULL;
    hr_status st = hr_session_steps(s, &c);
    hr_step step;
    while (st == HR_OK && (st = hr_step_cursor_next(c, &step)) == HR_OK)
        for (size_t i = 0; i < step.nvalues; i++)
            if (names_add(ns, step.names[i]) != 0)
                st = HR_ENOMEM;
    hr_step_cursor_free(c);
    if (ns->n)
        qsort(ns->v, ns->n, sizeof *ns->v, names_cmp);
    return st == HR_ENOENT ? HR_OK : st;
}

static const double *value_of(const hr_step *step, const char *name) {
    for (size_t i = 0; i < step->nvalues; i++)
        if (strcmp(step->names[i], name) == 0)
            return &step->values[i];
    return NULL;
}

static void put_opt(FILE *fp, int jsonl, int known, double v) {
    if (known && isfinite(v))
        hr__export_put_number(fp, v);
    else if (jsonl)
        fputs("null", fp);
}

static void step_row(FILE *fp, int jsonl, const hr_step *step, const names *ns, int64_t row,
                     int64_t t0) {
    char ts[40];
    hr__export_time(step->t_wall_ns, ts, sizeof ts);
    double t_s = (double)(step->t_mono_ns - t0) / 1e9;
    if (jsonl)
        fprintf(fp, "{\"step\":%" PRId64 ",\"index\":%" PRId64 ",\"time_utc\":\"%s\",\"t_s\":%.6f,"
                    "\"duration_s\":",
                row, step->index, ts, t_s);
    else
        fprintf(fp, "%" PRId64 ",%" PRId64 ",%s,%.6f,", row, step->index, ts, t_s);
    put_opt(fp, jsonl, step->duration_ns >= 0, (double)step->duration_ns / 1e9);
    fputs(jsonl ? ",\"units\":" : ",", fp);
    put_opt(fp, jsonl, 1, step->units);
    for (size_t i = 0; i < ns->n; i++) {
        const double *v = value_of(step, ns->v[i]);
        if (jsonl) {
            fputc(',', fp);
            hr__json_string(fp, ns->v[i]);
            fputc(':', fp);
        } else {
            fputc(',', fp);
        }
        put_opt(fp, jsonl, v != NULL, v ? *v : NAN);
    }
    fputs(jsonl ? "}\n" : "\n", fp);
}

hr_status hr__export_steps(hr_session *s, int jsonl, FILE *fp, int64_t *rows) {
    names ns = {0};
    hr_status st = collect_names(s, &ns);
    hr_step_cursor *c = NULL;
    if (st == HR_OK)
        st = hr_session_steps(s, &c);
    if (st == HR_OK && !jsonl) {
        fputs("step,index,time_utc,t_s,duration_s,units", fp);
        for (size_t i = 0; i < ns.n; i++) {
            fputc(',', fp);
            hr__csv_field(fp, ns.v[i]);
        }
        fputc('\n', fp);
    }
    int64_t t0 = hr__export_t0(s);
    hr_step step;
    while (st == HR_OK && (st = hr_step_cursor_next(c, &step)) == HR_OK)
        step_row(fp, jsonl, &step, &ns, (*rows)++, t0);
    hr_step_cursor_free(c);
    names_free(&ns);
    return st == HR_ENOENT ? HR_OK : st;
}

static void event_row(FILE *fp, int jsonl, const hr_event *ev, int64_t t0, int64_t offset) {
    char start[40], end[40] = "";
    hr__export_time(ev->start_mono_ns + offset, start, sizeof start);
    if (ev->end_mono_ns)
        hr__export_time(ev->end_mono_ns + offset, end, sizeof end);
    double s0 = (double)(ev->start_mono_ns - t0) / 1e9;
    double s1 = (double)(ev->end_mono_ns - t0) / 1e9;
    double dur = (double)(ev->end_mono_ns - ev->start_mono_ns) / 1e9;
    if (jsonl) {
        fprintf(fp, "{\"id\":%" PRId64 ",\"kind\":", ev->id);
        hr__json_string(fp, ev->kind);
        fprintf(fp, ",\"start_utc\":\"%s\",\"end_utc\":", start);
        if (ev->end_mono_ns)
            fprintf(fp, "\"%s\"", end);
        else
            fputs("null", fp);
        fprintf(fp, ",\"start_s\":%.6f,\"end_s\":", s0);
        put_opt(fp, 1, ev->end_mono_ns != 0, s1);
        fputs(",\"duration_s\":", fp);
        put_opt(fp, 1, ev->end_mono_ns != 0, dur);
        fputs(",\"detail\":", fp);
        hr__json_string(fp, ev->detail);
        fputs("}\n", fp);
        return;
    }
    fprintf(fp, "%" PRId64 ",", ev->id);
    hr__csv_field(fp, ev->kind);
    fprintf(fp, ",%s,%s,%.6f,", start, end, s0);
    put_opt(fp, 0, ev->end_mono_ns != 0, s1);
    fputc(',', fp);
    put_opt(fp, 0, ev->end_mono_ns != 0, dur);
    fputc(',', fp);
    hr__csv_field(fp, ev->detail);
    fputc('\n', fp);
}

/* UTC minus CLOCK_MONOTONIC, from the first tick (else the start metadata). */
static int64_t wall_offset(hr_session *s) {
    hr_tick_cursor *c = NULL;
    hr_tick_row row;
    int64_t off = 0;
    if (hr_session_ticks(s, &c) == HR_OK && hr_tick_cursor_next(c, &row) == HR_OK) {
        off = row.t_wall_ns - row.t_mono_ns;
    } else {
        hr_session_info info = {.size = sizeof info};
        if (hr_session_info_get(s, &info) == HR_OK)
            off = info.start_wall_ns - info.start_mono_ns;
    }
    hr_tick_cursor_free(c);
    return off;
}

hr_status hr__export_events(hr_session *s, int jsonl, FILE *fp, int64_t *rows) {
    hr_event_cursor *c = NULL;
    hr_status st = hr_session_events(s, &c);
    if (st == HR_OK && !jsonl)
        fputs("id,kind,start_utc,end_utc,start_s,end_s,duration_s,detail\n", fp);
    int64_t t0 = hr__export_t0(s), off = wall_offset(s);
    hr_event ev;
    while (st == HR_OK && (st = hr_event_cursor_next(c, &ev)) == HR_OK) {
        event_row(fp, jsonl, &ev, t0, off);
        (*rows)++;
    }
    hr_event_cursor_free(c);
    return st == HR_ENOENT ? HR_OK : st;
}

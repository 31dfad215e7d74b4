/* export.c: sessions out as CSV or JSONL (wide tick rows), dispatching to
 * the steps, events and rle-csv writers. */
#include "record/export.h"

#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void hr_export_options_defaults(hr_export_options *o) {
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->format = HR_EXPORT_CSV;
    o->table = HR_EXPORT_TICKS;
    o->gpu = 0;
}

double hr__export_base_value(const hr_channel *c, int64_t v) {
    if (c->scale > 0 && c->scale < 1) {
        double inv = round(1.0 / c->scale);
        if (fabs(inv * c->scale - 1.0) < 1e-12)
            return (double)v / inv;
    }
    return (double)v * c->scale;
}

void hr__export_put_number(FILE *fp, double v) {
    if (v == floor(v) && fabs(v) < 9.0e15)
        fprintf(fp, "%" PRId64, (int64_t)v);
    else
        fprintf(fp, "%.15g", v);
}

void hr__export_time(int64_t t_wall_ns, char *buf, size_t cap) {
    time_t sec = (time_t)(t_wall_ns / 1000000000);
    int64_t ns = t_wall_ns % 1000000000;
    if (ns < 0) {
        ns += 1000000000;
        sec--;
    }
    struct tm tm;
    if (!gmtime_r(&sec, &tm)) {
        hr__strlcpy(buf, "", cap);
        return;
    }
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    hr__snprintf(buf, cap, "%s.%03dZ", base, (int)(ns / 1000000));
}

int64_t hr__export_t0(hr_session *s) {
    hr_session_info info = {.size = sizeof info};
    if (hr_session_info_get(s, &info) != HR_OK)
        return 0;
    return info.start_mono_ns;
}

void hr__csv_field(FILE *fp, const char *text) {
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, fp);
        return;
    }
    fputc('"', fp);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', fp);
        fputc(*p, fp);
    }
    fputc('"', fp);
}

void hr__json_string(FILE *fp, const char *text) {
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

/* "cpu/temp[celsius]" */
static void column_name(const hr_channel *c, char *buf, size_t cap) {
    hr__snprintf(buf, cap, "%s/%s[%s]", c->component, c->metric, c->base_unit);
}

static void ticks_header_csv(hr_session *s, FILE *fp) {
    fputs("tick,time_utc,t_s", fp);
    char name[160];
    for (size_t i = 0; i < hr_session_channel_count(s); i++) {
        column_name(hr_session_channel(s, i), name, sizeof name);
        fputc(',', fp);
        hr__csv_field(fp, name);
    }
    fputc('\n', fp);
}

static void tick_row_csv(hr_session *s, const hr_tick_row *row, int64_t t0, FILE *fp) {
    char ts[40];
    hr__export_time(row->t_wall_ns, ts, sizeof ts);
    fprintf(fp, "%" PRId64 ",%s,%.6f", row->tick, ts, (double)(row->t_mono_ns - t0) / 1e9);
    for (size_t i = 0; i < row->n; i++) {
        fputc(',', fp);
        if (HR_IS_KNOWN(row->values[i]))
            hr__export_put_number(fp, hr__export_base_value(hr_session_channel(s, i),
                                                            row->values[i].v));
    }
    fputc('\n', fp);
}

static void tick_row_jsonl(hr_session *s, const hr_tick_row *row, int64_t t0, FILE *fp) {
    char ts[40], name[160];
    hr__export_time(row->t_wall_ns, ts, sizeof ts);
    fprintf(fp, "{\"tick\":%" PRId64 ",\"time_utc\":\"%s\",\"t_s\":%.6f", row->tick, ts,
            (double)(row->t_mono_ns - t0) / 1e9);
    for (size_t i = 0; i < row->n; i++) {
        const hr_channel *c = hr_session_channel(s, i);
        column_name(c, name, sizeof name);
        fputc(',', fp);
        hr__json_string(fp, name);
        fputc(':', fp);
        if (HR_IS_KNOWN(row->values[i]))
            hr__export_put_number(fp, hr__export_base_value(c, row->values[i].v));
        else
            fputs("null", fp);
    }
    fputs("}\n", fp);
}

static hr_status export_ticks(hr_session *s, int jsonl, FILE *fp, int64_t *rows) {
    hr_tick_cursor *c = NULL;
    hr_status st = hr_session_ticks(s, &c);
    if (st != HR_OK)
        return st;
    int64_t t0 = hr__export_t0(s);
    if (!jsonl)
        ticks_header_csv(s, fp);
    hr_tick_row row;
    while ((st = hr_tick_cursor_next(c, &row)) == HR_OK) {
        if (jsonl)
            tick_row_jsonl(s, &row, t0, fp);
        else
            tick_row_csv(s, &row, t0, fp);
        (*rows)++;
        if (ferror(fp))
            break;
    }
    hr_tick_cursor_free(c);
    return st == HR_ENOENT ? HR_OK : st;
}

static void options_copy(hr_export_options *dst, const hr_export_options *src) {
    hr_export_options_defaults(dst);
    if (!src)
        return;
    size_t n = src->size && src->size < sizeof *dst ? src->size : sizeof *dst;
    memcpy(dst, src, n);
}

hr_status hr_session_export(hr_session *s, const hr_export_options *opt, int fd, int64_t *rows) {
    if (!s || fd < 0)
        return HR_EINVAL;
    hr_export_options o;
    options_copy(&o, opt);
    if (o.format < HR_EXPORT_CSV || o.format > HR_EXPORT_RLE_CSV || o.table < HR_EXPORT_TICKS ||
        o.table > HR_EXPORT_EVENTS)
        return HR_EINVAL;
    int dfd = dup(fd);
    FILE *fp = dfd >= 0 ? fdopen(dfd, "w") : NULL;
    if (!fp) {
        if (dfd >= 0)
            close(dfd);
        return HR_ENOMEM;
    }
    int64_t n = 0;
    int jsonl = o.format == HR_EXPORT_JSONL;
    hr_status st;
    if (o.format == HR_EXPORT_RLE_CSV)
        st = hr__export_rle_csv(s, &o, fp, &n);
    else if (o.table == HR_EXPORT_STEPS)
        st = hr__export_steps(s, jsonl, fp, &n);
    else if (o.table == HR_EXPORT_EVENTS)
        st = hr__export_events(s, jsonl, fp, &n);
    else
        st = export_ticks(s, jsonl, fp, &n);
    errno = 0;
    int werr = fflush(fp) != 0 || ferror(fp);
    int err = errno;
    if (fclose(fp) != 0 && !werr) {
        werr = 1;
        err = errno;
    }
    if (st == HR_OK && werr)
        return hr__session_fail(s, HR_EIO, "export: write failed: %s",
                                strerror(err ? err : EIO));
    if (rows)
        *rows = n;
    return st;
}

/* ext.c: an external log joined to a session (`report --steps FILE
 * --time-column t`): a CSV with a header row, or JSON Lines. Each row is a
 * point in time (its wall time) with numbers (loss, grad_norm, ...). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record/rle_csv_time.h"
#include "report/report.h"

#define EXT_MAX_BYTES (1024LL * 1024 * 1024)
#define EXT_MAX_COLUMNS 512

/* A number: the whole of S (blanks around allowed). */
static int parse_num(const char *s, double *out) {
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s)
        return 0;
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
        end++;
    if (*end)
        return 0;
    *out = v;
    return 1;
}

/* Wall time in ns from Unix seconds or an ISO-8601 text. */
static int parse_wall(const char *s, int64_t *out) {
    double sec = 0;
    if (parse_num(s, &sec)) {
        if (!isfinite(sec) || sec < 0 || sec > 9.0e9)
            return 0;
        *out = (int64_t)llround(sec * 1e9);
        return 1;
    }
    char buf[64];
    while (*s == ' ')
        s++;
    hr__strlcpy(buf, s, sizeof buf);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\r' || buf[n - 1] == '\n'))
        buf[--n] = '\0';
    int32_t zone = 0;
    return hr__rle_parse_time(buf, out, &zone) == 0;
}

/* Splits one CSV LINE (RFC 4180 quotes; modified in place) into at most
 * MAX fields. Returns the count. */
static size_t csv_split(char *line, char **f, size_t max) {
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return n;
        char *out = p;
        f[n++] = out;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p)
                    break;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        int more = *p == ',';
        if (*p)
            p++;
        *out = '\0';
        if (!more)
            return n;
    }
}

static void chomp(char *s) {
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

typedef struct ext_row {
    const char *names[EXT_MAX_COLUMNS];
    double values[EXT_MAX_COLUMNS];
    size_t n;
    int64_t index;
    int has_index;
    int64_t wall_ns;
    int has_time;
} ext_row;

/* A "step" column gives the row's index (and is not a number to correlate). */
static void row_add(ext_row *r, const char *name, double v) {
    if (strcmp(name, "step") == 0) {
        if (isfinite(v) && v == floor(v) && fabs(v) < 9e15) {
            r->index = (int64_t)v;
            r->has_index = 1;
        }
        return;
    }
    if (r->n < EXT_MAX_COLUMNS) {
        r->names[r->n] = name;
        r->values[r->n++] = v;
    }
}

static hr_status row_store(hr__rsteps *out, const ext_row *r, int64_t off, int64_t rowno) {
    return hr__rsteps_add(out, r->has_index ? r->index : rowno, r->wall_ns - off, -1, NAN, r->n,
                          r->names, r->values);
}

typedef struct ext_state {
    hr__rsteps *out;
    const char *tcol;
    int64_t off;
    int64_t rows, skipped, lineno;
    char *header; /* CSV: the header line (owned) */
    char *cols[EXT_MAX_COLUMNS];
    size_t ncols;
    int tcol_at; /* CSV: index of the time column, -1 */
} ext_state;

static hr_status csv_header(ext_state *x, char *line) {
    x->header = strdup(line);
    if (!x->header)
        return HR_ENOMEM;
    x->ncols = csv_split(x->header, x->cols, EXT_MAX_COLUMNS);
    x->tcol_at = -1;
    for (size_t i = 0; i < x->ncols; i++)
        if (strcmp(x->cols[i], x->tcol) == 0)
            x->tcol_at = (int)i;
    return HR_OK;
}

static hr_status csv_line(ext_state *x, char *line) {
    char *f[EXT_MAX_COLUMNS];
    size_t n = csv_split(line, f, EXT_MAX_COLUMNS);
    ext_row r;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < n && i < x->ncols; i++) {
        if ((int)i == x->tcol_at) {
            r.has_time = parse_wall(f[i], &r.wall_ns);
            continue;
        }
        double v = 0;
        if (x->cols[i][0] && parse_num(f[i], &v))
            row_add(&r, x->cols[i], v);
    }
    if (!r.has_time) {
        x->skipped++;
        return HR_OK;
    }
    return row_store(x->out, &r, x->off, x->rows++);
}

static hr_status jsonl_line(ext_state *x, const char *line) {
    json_error_t err;
    json_t *o = json_loads(line, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &err);
    if (!json_is_object(o)) {
        json_decref(o);
        x->skipped++;
        return HR_OK;
    }
    ext_row r;
    memset(&r, 0, sizeof r);
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val) {
        if (strcmp(key, x->tcol) == 0) {
            if (json_is_number(val)) {
                double sec = json_number_value(val);
                r.has_time = isfinite(sec) && sec >= 0 && sec < 9.0e9;
                r.wall_ns = r.has_time ? (int64_t)llround(sec * 1e9) : 0;
            } else if (json_is_string(val)) {
                r.has_time = parse_wall(json_string_value(val), &r.wall_ns);
            }
        } else if (json_is_number(val)) {
            row_add(&r, key, json_number_value(val));
        }
    }
    hr_status st = HR_OK;
    if (r.has_time)
        st = row_store(x->out, &r, x->off, x->rows++);
    else
        x->skipped++;
    json_decref(o); /* the names were copied by hr__rsteps_add */
    return st;
}

static int is_jsonl(const char *path) {
    size_t n = strlen(path);
    return (n > 6 && strcmp(path + n - 6, ".jsonl") == 0) ||
           (n > 5 && strcmp(path + n - 5, ".json") == 0) ||
           (n > 7 && strcmp(path + n - 7, ".ndjson") == 0);
}

static hr_status read_lines(FILE *fp, ext_state *x, int jsonl, char *why, size_t cap) {
    char *line = NULL;
    size_t lcap = 0;
    hr_status st = HR_OK;
    while (st == HR_OK && getline(&line, &lcap, fp) >= 0) {
        x->lineno++;
        chomp(line);
        if (!line[0])
            continue;
        if (jsonl)
            st = jsonl_line(x, line);
        else if (!x->header)
            st = csv_header(x, line);
        else
            st = csv_line(x, line);
    }
    if (st == HR_OK && ferror(fp)) {
        hr__snprintf(why, cap, "read failed: %s", strerror(errno));
        st = HR_EIO;
    }
    free(line);
    return st;
}

hr_status hr__ext_load(const char *path, const char *time_column, int64_t wall_minus_mono_ns,
                       hr__rsteps *out, char *why, size_t cap) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        hr__snprintf(why, cap, "%s", strerror(errno));
        return errno == ENOENT ? HR_ENOENT : HR_EIO;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size > EXT_MAX_BYTES) {
        hr__snprintf(why, cap, S_ISREG(sb.st_mode) ? "larger than 1 GiB" : "not a regular file");
        return HR_EIO;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        hr__snprintf(why, cap, "%s", strerror(errno));
        return HR_EIO;
    }
    ext_state x;
    memset(&x, 0, sizeof x);
    x.out = out;
    x.tcol = time_column && *time_column ? time_column : "t";
    x.off = wall_minus_mono_ns;
    int jsonl = is_jsonl(path);
    hr_status st = read_lines(fp, &x, jsonl, why, cap);
    fclose(fp);
    if (st == HR_OK && !jsonl && x.header && x.tcol_at < 0) {
        hr__snprintf(why, cap, "no column named '%s' in the header (use --time-column)", x.tcol);
        st = HR_EPARSE;
    } else if (st == HR_OK && x.rows == 0) {
        hr__snprintf(why, cap, "no row with a readable time in column '%s' (%lld lines)", x.tcol,
                     (long long)x.lineno);
        st = HR_EPARSE;
    } else if (st == HR_ENOMEM) {
        hr__snprintf(why, cap, "out of memory");
    }
    free(x.header);
    return st;
}

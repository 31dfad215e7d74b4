/* rle_csv.c: reads the seed's RLE CSV files (rle_csv.h says what is accepted).
 *
 * Every line is split into fields (RFC 4180 quoting accepted), then either
 * recognised as a header (first field "timestamp", a "device" column), mapped
 * through the latest header, or, when no header was seen, through the layout
 * its field count names (16, 19 or 42). Nothing is guessed inside a row: a
 * field is a number, blank (unknown), or the line is junk. */
#include "record/rle_csv.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/internal.h"
#include "record/rle_csv_time.h"

/* Columns that are not numeric fields. */
enum {
    COL_IGNORE = -1,
    COL_TIMESTAMP = -2,
    COL_DEVICE = -3,
    COL_ALERTS = -4,
    COL_WORKLOAD = -5,
    COL_FREQ_MHZ = -6
};

typedef struct col_name {
    const char *name;
    int field; /* hr__rle_field, or a COL_* */
} col_name;

static const col_name col_names[] = {
    {"timestamp", COL_TIMESTAMP},
    {"device", COL_DEVICE},
    {"rle_smoothed", HR__RLE_F_RLE_SMOOTHED},
    {"rle_raw", HR__RLE_F_RLE_RAW},
    {"rle_norm", HR__RLE_F_RLE_NORM},
    {"E_th", HR__RLE_F_E_TH},
    {"E_pw", HR__RLE_F_E_PW},
    {"temp_c", HR__RLE_F_TEMP_C},
    {"vram_temp_c", HR__RLE_F_VRAM_TEMP_C},
    {"power_w", HR__RLE_F_POWER_W},
    {"util_pct", HR__RLE_F_UTIL_PCT},
    {"a_load", HR__RLE_F_A_LOAD},
    {"t_sustain_s", HR__RLE_F_T_SUSTAIN_S},
    {"fan_pct", HR__RLE_F_FAN_PCT},
    {"rolling_peak", HR__RLE_F_ROLLING_PEAK},
    {"collapse", HR__RLE_F_COLLAPSE},
    {"alerts", COL_ALERTS},
    {"cpu_freq_ghz", HR__RLE_F_CPU_FREQ_GHZ},
    {"cycles_per_joule", HR__RLE_F_CYCLES_PER_JOULE},
    /* 42-column names that carry the same quantities. */
    {"cpu_freq_mhz", COL_FREQ_MHZ},
    {"gpu_fan_pct", HR__RLE_F_FAN_PCT},
    {"gpu_memory_temp", HR__RLE_F_VRAM_TEMP_C},
    {"workload_state", COL_WORKLOAD},
};

/* The headerless layouts, by field count. */
static const char *const layout16[] = {"timestamp", "device",       "rle_smoothed", "rle_raw",
                                       "E_th",      "E_pw",         "temp_c",       "vram_temp_c",
                                       "power_w",   "util_pct",     "a_load",       "t_sustain_s",
                                       "fan_pct",   "rolling_peak", "collapse",     "alerts"};
static const char *const layout19[] = {
    "timestamp", "device", "rle_smoothed", "rle_raw",         "rle_norm",
    "E_th",      "E_pw",   "temp_c",       "vram_temp_c",     "power_w",
    "util_pct",  "a_load", "t_sustain_s",  "fan_pct",         "rolling_peak",
    "collapse",  "alerts", "cpu_freq_ghz", "cycles_per_joule"};
static const char *const layout42[] = {"timestamp",
                                       "device",
                                       "rle_smoothed",
                                       "rle_raw",
                                       "E_th",
                                       "E_pw",
                                       "temp_c",
                                       "power_w",
                                       "util_pct",
                                       "a_load",
                                       "t_sustain_s",
                                       "rolling_peak",
                                       "collapse",
                                       "alerts",
                                       "cpu_freq_mhz",
                                       "cpu_cores_active",
                                       "cpu_temp_max",
                                       "gpu_memory_used_gb",
                                       "gpu_memory_total_gb",
                                       "gpu_fan_pct",
                                       "gpu_clock_mhz",
                                       "memory_used_gb",
                                       "memory_total_gb",
                                       "memory_util_pct",
                                       "disk_used_gb",
                                       "disk_total_gb",
                                       "disk_util_pct",
                                       "network_sent_mb",
                                       "network_recv_mb",
                                       "cpu_temp_hwinfo",
                                       "cpu_fan_rpm",
                                       "cpu_voltage",
                                       "motherboard_temp",
                                       "psu_voltage_12v",
                                       "psu_voltage_5v",
                                       "psu_voltage_3v",
                                       "gpu_temp_hwinfo",
                                       "gpu_memory_temp",
                                       "gpu_fan_rpm",
                                       "gpu_voltage",
                                       "case_fan_rpm",
                                       "workload_state"};

const char *hr__rle_field_name(hr__rle_field f) {
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++)
        if (col_names[i].field == (int)f)
            return col_names[i].name;
    return "?";
}

void hr__rle_row_set(hr__rle_row *row, hr__rle_field f, double v) {
    row->v[f] = v;
    row->known |= 1u << f;
}

void hr__rle_csv_init(hr__rle_csv_parser *p) { memset(p, 0, sizeof *p); }

/* --- splitting ----------------------------------------------------------- */

#define FIELD_CAP 128

/* One field: its unquoted, trimmed text (truncated to FIELD_CAP - 1; `long`
 * says so). */
typedef struct field {
    char s[FIELD_CAP];
    size_t len;
    int too_long;
} field;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static void field_put(field *f, char c) {
    if (f->len + 1 < FIELD_CAP)
        f->s[f->len++] = c;
    else
        f->too_long = 1;
}

static void field_trim(field *f) {
    f->s[f->len] = '\0';
    size_t a = 0;
    while (a < f->len && is_blank(f->s[a]))
        a++;
    size_t b = f->len;
    while (b > a && is_blank(f->s[b - 1]))
        b--;
    memmove(f->s, f->s + a, b - a);
    f->len = b - a;
    f->s[f->len] = '\0';
}

/* Reads the field starting at *POS of LINE (length N) into F and advances
 * *POS past its comma. Returns 0 when the line ended with it. */
static int next_field(const char *line, size_t n, size_t *pos, field *f) {
    f->len = 0;
    f->too_long = 0;
    size_t i = *pos;
    while (i < n && is_blank(line[i]))
        i++;
    if (i < n && line[i] == '"') {
        for (i++; i < n; i++) {
            if (line[i] == '"' && i + 1 < n && line[i + 1] == '"')
                field_put(f, line[i++]);
            else if (line[i] == '"')
                break;
            else
                field_put(f, line[i]);
        }
        i += i < n; /* the closing quote */
    }
    for (; i < n && line[i] != ','; i++)
        field_put(f, line[i]);
    field_trim(f);
    *pos = i + 1;
    return i < n;
}

/* --- layout -------------------------------------------------------------- */

static int lookup_col(const char *name) {
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++)
        if (strcasecmp(col_names[i].name, name) == 0)
            return col_names[i].field;
    return COL_IGNORE;
}

static void set_col(hr__rle_csv_parser *p, int32_t col, const char *name) {
    if (col < HR__RLE_MAX_COLS)
        p->col_field[col] = (int8_t)lookup_col(name);
}

static void use_layout(hr__rle_csv_parser *p, const char *const *names, int32_t n) {
    for (int32_t i = 0; i < HR__RLE_MAX_COLS; i++)
        p->col_field[i] = COL_IGNORE;
    for (int32_t i = 0; i < n; i++)
        set_col(p, i, names[i]);
    p->ncols = n;
    p->guessed = 1;
    p->st.columns = n;
}

/* The layout a headerless line of NF fields uses; 0 when none. GPU rows of
 * the 19-column layout carry 17 fields. */
static int guess_layout(hr__rle_csv_parser *p, int32_t nf) {
    if (nf == 16)
        use_layout(p, layout16, 16);
    else if (nf == 17 || nf == 19)
        use_layout(p, layout19, 19);
    else if (nf == 42)
        use_layout(p, layout42, 42);
    else
        return 0;
    return 1;
}

/* --- values -------------------------------------------------------------- */

static int is_unknown_text(const char *s) {
    static const char *const words[] = {"", "nan", "none", "null", "n/a", "-"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

/* Parses a plain decimal number (sign, digits, point, exponent only). */
static int parse_number(const char *s, double *out) {
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

static int junk(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int junk(char *why, size_t cap, const char *fmt, ...) {
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* Stores field F (column kind KIND) into ROW; 0 with WHY when it is junk. */
static int store_field(hr__rle_row *row, int kind, const field *f, char *why, size_t cap) {
    double v = 0.0;
    switch (kind) {
    case COL_IGNORE: return 1;
    case COL_TIMESTAMP:
        hr__strlcpy(row->timestamp, f->s, sizeof row->timestamp);
        if (f->too_long || hr__rle_parse_time(f->s, &row->t_unix_ns, &row->has_zone) != 0)
            return junk(why, cap, "bad timestamp \"%.40s\"", f->s);
        return 1;
    case COL_DEVICE:
        if (strcasecmp(f->s, "cpu") != 0 && strcasecmp(f->s, "gpu") != 0)
            return junk(why, cap, "unknown device \"%.16s\"", f->s);
        row->device[0] = (char)(f->s[0] | 0x20);
        row->device[1] = (char)(f->s[1] | 0x20);
        row->device[2] = (char)(f->s[2] | 0x20);
        row->device[3] = '\0';
        return 1;
    case COL_ALERTS: hr__strlcpy(row->alerts, f->s, sizeof row->alerts); return 1;
    case COL_WORKLOAD: hr__strlcpy(row->workload_state, f->s, sizeof row->workload_state); return 1;
    default: break;
    }
    if (is_unknown_text(f->s))
        return 1;
    if (f->too_long || !parse_number(f->s, &v))
        return junk(why, cap, "%s: not a number \"%.24s\"",
                    kind == COL_FREQ_MHZ ? "cpu_freq_mhz" : hr__rle_field_name((hr__rle_field)kind),
                    f->s);
    if (kind == COL_FREQ_MHZ) {
        hr__rle_row_set(row, HR__RLE_F_CPU_FREQ_GHZ, v / 1000.0);
        return 1;
    }
    if (kind == HR__RLE_F_COLLAPSE && v != 0.0 && v != 1.0)
        return junk(why, cap, "collapse: must be 0 or 1 (got %.24s)", f->s);
    hr__rle_row_set(row, (hr__rle_field)kind, v);
    return 1;
}

/* --- lines --------------------------------------------------------------- */

/* Counts the fields of a line the way next_field splits it. */
static int32_t count_fields(const char *line, size_t n) {
    int32_t nf = 0;
    size_t pos = 0;
    field f;
    for (int more = 1; more && nf < INT32_MAX; nf++)
        more = next_field(line, n, &pos, &f);
    return nf;
}

static int is_header(const char *line, size_t n) {
    size_t pos = 0;
    field f;
    next_field(line, n, &pos, &f);
    if (strcasecmp(f.s, "timestamp") != 0)
        return 0;
    while (pos <= n) {
        int more = next_field(line, n, &pos, &f);
        if (strcasecmp(f.s, "device") == 0)
            return 1;
        if (!more)
            break;
    }
    return 0;
}

static void read_header(hr__rle_csv_parser *p, const char *line, size_t n) {
    for (int32_t i = 0; i < HR__RLE_MAX_COLS; i++)
        p->col_field[i] = COL_IGNORE;
    size_t pos = 0;
    int32_t col = 0;
    field f;
    for (int more = 1; more; col++) {
        more = next_field(line, n, &pos, &f);
        set_col(p, col, f.s);
    }
    p->ncols = col;
    p->guessed = 0;
    p->st.columns = col;
    p->st.headers++;
}

/* The header column a row field at index J maps to. A GPU row two fields
 * short of a header whose columns 17 and 18 are cpu_freq_ghz and
 * cycles_per_joule is the seed's 17-value GPU row: fields from index 17 on
 * are the appended columns, shifted left by two. */
static int column_of(const hr__rle_csv_parser *p, int32_t j, int short_gpu) {
    int32_t col = short_gpu && j >= 17 ? j + 2 : j;
    return col < HR__RLE_MAX_COLS ? p->col_field[col] : COL_IGNORE;
}

static int has_short_gpu_shape(const hr__rle_csv_parser *p) {
    return p->ncols >= 19 && p->col_field[17] == HR__RLE_F_CPU_FREQ_GHZ &&
           p->col_field[18] == HR__RLE_F_CYCLES_PER_JOULE;
}

/* The device of a row before its fields are read (for the short GPU rule). */
static int row_is_gpu(const hr__rle_csv_parser *p, const char *line, size_t n) {
    size_t pos = 0;
    field f;
    for (int32_t j = 0; j < p->ncols && j < HR__RLE_MAX_COLS; j++) {
        int more = next_field(line, n, &pos, &f);
        if (p->col_field[j] == COL_DEVICE)
            return strcasecmp(f.s, "gpu") == 0;
        if (!more)
            break;
    }
    return 0;
}

static int read_row(hr__rle_csv_parser *p, const char *line, size_t n, hr__rle_row *row, char *why,
                    size_t cap) {
    int32_t nf = count_fields(line, n);
    if (p->ncols == 0 || p->guessed) {
        if (!guess_layout(p, nf))
            return junk(why, cap, "%d fields and no header (expected 16, 19 or 42)", nf);
    }
    int short_gpu = 0;
    if (nf != p->ncols) {
        short_gpu = nf == p->ncols - 2 && has_short_gpu_shape(p) && row_is_gpu(p, line, n);
        if (!short_gpu)
            return junk(why, cap, "%d fields, the header has %d", nf, p->ncols);
    }
    size_t pos = 0;
    field f;
    int seen_time = 0, seen_device = 0;
    for (int32_t j = 0; j < nf; j++) {
        next_field(line, n, &pos, &f);
        int kind = column_of(p, j, short_gpu);
        seen_time |= kind == COL_TIMESTAMP;
        seen_device |= kind == COL_DEVICE;
        if (!store_field(row, kind, &f, why, cap))
            return 0;
    }
    if (!seen_time || !seen_device)
        return junk(why, cap, "no %s column", seen_time ? "device" : "timestamp");
    return 1;
}

/* Flags a row that repeats or goes back in its device's time line. */
static void order_check(hr__rle_csv_parser *p, hr__rle_row *row) {
    int d = row->device[0] == 'g';
    if (p->have_last[d] && row->t_unix_ns == p->last_t_ns[d]) {
        row->repeated = 1;
        p->st.repeated++;
    } else if (p->have_last[d] && row->t_unix_ns < p->last_t_ns[d]) {
        row->backwards = 1;
        p->st.backwards++;
    }
    if (!p->have_last[d] || row->t_unix_ns > p->last_t_ns[d])
        p->last_t_ns[d] = row->t_unix_ns;
    p->have_last[d] = 1;
}

static void strip_line(const char **line, size_t *n) {
    if (*n >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) {
        *line += 3;
        *n -= 3;
    }
    while (*n > 0 && ((*line)[*n - 1] == '\n' || (*line)[*n - 1] == '\r'))
        (*n)--;
}

hr__rle_line_kind hr__rle_csv_line(hr__rle_csv_parser *p, const char *line, size_t n,
                                   hr__rle_row *row, char *why, size_t cap) {
    char reason[128] = "";
    p->st.lines++;
    strip_line(&line, &n);
    size_t k = 0;
    while (k < n && (is_blank(line[k]) || line[k] == '\r'))
        k++;
    if (k == n) {
        p->st.blank++;
        return HR__RLE_LINE_BLANK;
    }
    if (is_header(line, n)) {
        read_header(p, line, n);
        return HR__RLE_LINE_HEADER;
    }
    memset(row, 0, sizeof *row);
    row->line_no = p->st.lines;
    if (!read_row(p, line, n, row, reason, sizeof reason)) {
        p->st.junk++;
        if (p->st.first_junk_line == 0) {
            p->st.first_junk_line = p->st.lines;
            hr__strlcpy(p->st.first_junk_why, reason, sizeof p->st.first_junk_why);
        }
        if (why && cap)
            hr__strlcpy(why, reason, cap);
        return HR__RLE_LINE_JUNK;
    }
    order_check(p, row);
    p->st.rows++;
    return HR__RLE_LINE_ROW;
}

hr_status hr__rle_csv_parse(const char *buf, size_t n, hr__rle_row_fn fn, void *ud,
                            hr__rle_csv_stats *st) {
    if (!buf && n > 0)
        return HR_EINVAL;
    hr__rle_csv_parser p;
    hr__rle_csv_init(&p);
    hr__rle_row row;
    hr_status rc = HR_OK;
    size_t i = 0;
    while (i < n && rc == HR_OK) {
        const char *nl = memchr(buf + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (buf + i)) : n - i;
        if (hr__rle_csv_line(&p, buf + i, len, &row, NULL, 0) == HR__RLE_LINE_ROW && fn)
            rc = fn(&row, ud);
        i += len + 1;
    }
    if (st)
        *st = p.st;
    return rc;
}

/* rle_csv_write.c: writes rows in the seed's 19-column RLE CSV layout, with
 * the seed's precision, 19 fields on every row and blanks for unknowns. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "record/rle_csv.h"

const char hr__rle_csv_header19[] =
    "timestamp,device,rle_smoothed,rle_raw,rle_norm,E_th,E_pw,temp_c,vram_temp_c,power_w,"
    "util_pct,a_load,t_sustain_s,fan_pct,rolling_peak,collapse,alerts,cpu_freq_ghz,"
    "cycles_per_joule\n";

/* The columns after "device", in order, with their decimals (the seed's
 * precision; cycles_per_joule in scientific notation). ALERTS_AT marks where
 * the alerts text goes. */
typedef struct out_col {
    int field;
    int decimals;
    int scientific;
} out_col;

#define ALERTS_AT (-1)

static const out_col out_cols[] = {
    {HR__RLE_F_RLE_SMOOTHED, 6, 0},
    {HR__RLE_F_RLE_RAW, 6, 0},
    {HR__RLE_F_RLE_NORM, 6, 0},
    {HR__RLE_F_E_TH, 6, 0},
    {HR__RLE_F_E_PW, 6, 0},
    {HR__RLE_F_TEMP_C, 2, 0},
    {HR__RLE_F_VRAM_TEMP_C, 2, 0},
    {HR__RLE_F_POWER_W, 2, 0},
    {HR__RLE_F_UTIL_PCT, 2, 0},
    {HR__RLE_F_A_LOAD, 3, 0},
    {HR__RLE_F_T_SUSTAIN_S, 1, 0},
    {HR__RLE_F_FAN_PCT, 1, 0},
    {HR__RLE_F_ROLLING_PEAK, 6, 0},
    {HR__RLE_F_COLLAPSE, 0, 0},
    {ALERTS_AT, 0, 0},
    {HR__RLE_F_CPU_FREQ_GHZ, 3, 0},
    {HR__RLE_F_CYCLES_PER_JOULE, 6, 1},
};

/* A writer over a fixed buffer that keeps counting past its end. */
typedef struct sink {
    char *buf;
    size_t cap;
    size_t len; /* what the whole line needs so far */
} sink;

static void put(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sink *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = s->len < s->cap ? s->buf + s->len : NULL;
    size_t room = s->len < s->cap ? s->cap - s->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->len += (size_t)n;
}

/* The alerts text, with the characters that would break a CSV field
 * replaced (the seed joins names with '|', which is kept). */
static void put_value(sink *s, const out_col *c, double v) {
    if (c->scientific)
        put(s, ",%.*e", c->decimals, v);
    else
        put(s, ",%.*f", c->decimals, v);
}

static void put_alerts(sink *s, const char *alerts) {
    char clean[sizeof((hr__rle_row *)0)->alerts];
    size_t i = 0;
    for (; alerts[i] && i + 1 < sizeof clean; i++)
        clean[i] = strchr(",\"\r\n", alerts[i]) ? '_' : alerts[i];
    clean[i] = '\0';
    put(s, ",%s", clean);
}

size_t hr__rle_csv_format19(const hr__rle_row *row, char *buf, size_t cap) {
    sink s = {buf, cap, 0};
    char ts[40];
    hr__rle_csv_format_time(row->t_unix_ns, ts, sizeof ts);
    put(&s, "%s,%s", ts, row->device[0] == 'g' ? "gpu" : "cpu");
    for (size_t i = 0; i < sizeof out_cols / sizeof out_cols[0]; i++) {
        const out_col *c = &out_cols[i];
        if (c->field == ALERTS_AT)
            put_alerts(&s, row->alerts);
        else if (HR__RLE_KNOWN(row, c->field) && isfinite(row->v[c->field]))
            put_value(&s, c, row->v[c->field]);
        else
            put(&s, ",");
    }
    put(&s, "\n");
    if (cap)
        buf[s.len < cap ? s.len : cap - 1] = '\0';
    return s.len;
}

static void set_if(hr__rle_row *row, hr__rle_field f, double v) {
    if (!isnan(v))
        hr__rle_row_set(row, f, v);
}

void hr__rle_row_from_result(hr__rle_row *row, int64_t t_unix_ns, const char *device,
                             const hr_rle_result *r, const hr_rle_config *cfg) {
    hr_rle_config def;
    if (!cfg) {
        hr_rle_config_defaults(&def);
        cfg = &def;
    }
    memset(row, 0, sizeof *row);
    row->t_unix_ns = t_unix_ns;
    row->has_zone = 1;
    hr__rle_csv_format_time(t_unix_ns, row->timestamp, sizeof row->timestamp);
    int gpu = device && strcmp(device, "gpu") == 0;
    hr__strlcpy(row->device, gpu ? "gpu" : "cpu", sizeof row->device);
    set_if(row, HR__RLE_F_RLE_SMOOTHED, r->rle_smoothed);
    set_if(row, HR__RLE_F_RLE_RAW, r->rle);
    set_if(row, HR__RLE_F_RLE_NORM, r->rle_norm);
    set_if(row, HR__RLE_F_E_TH, r->e_th);
    set_if(row, HR__RLE_F_E_PW, r->e_pw);
    set_if(row, HR__RLE_F_TEMP_C, r->temp_c);
    set_if(row, HR__RLE_F_POWER_W, r->power_w);
    set_if(row, HR__RLE_F_UTIL_PCT, r->util_pct);
    set_if(row, HR__RLE_F_A_LOAD, r->a_load);
    set_if(row, HR__RLE_F_T_SUSTAIN_S, r->t_sustain_s);
    set_if(row, HR__RLE_F_ROLLING_PEAK, r->rolling_peak);
    hr__rle_row_set(row, HR__RLE_F_COLLAPSE, r->in_collapse ? 1.0 : 0.0);
    const char *dev = gpu ? "GPU" : "CPU";
    char a[sizeof row->alerts] = "";
    if (r->alerts & HR_RLE_ALERT_TEMP_LIMIT)
        snprintf(a, sizeof a, "%s_TEMP_LIMIT", dev);
    if (r->alerts & HR_RLE_ALERT_A_LOAD)
        snprintf(a + strlen(a), sizeof a - strlen(a), "%s%s_A_LOAD>%.2f", a[0] ? "|" : "", dev,
                 cfg->alert_a_load);
    hr__strlcpy(row->alerts, a, sizeof row->alerts);
}

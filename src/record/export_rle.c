/* export_rle.c: a session as seed 004's 19-column RLE CSV, one row per
 * component (the CPU and one GPU) and tick, for users of the seed's analysis
 * scripts. Values come from the RLE channels the recorder wrote
 * (<component>/rle, rle_raw, ...) and the component's own channels (temp,
 * power, util, fan); unknown values are blank fields, never 0. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/export.h"
#include "record/rle_csv.h"

/* Where each field of a device's row comes from: COMPONENT/METRIC, and the
 * factor from the channel's base unit to the seed's unit. */
static const struct field_src {
    hr__rle_field field;
    const char *metric;
    double factor;
} field_srcs[] = {
    {HR__RLE_F_RLE_SMOOTHED, "rle", 1},      {HR__RLE_F_RLE_RAW, "rle_raw", 1},
    {HR__RLE_F_RLE_NORM, "rle_norm", 1},     {HR__RLE_F_E_TH, "e_th", 1},
    {HR__RLE_F_E_PW, "e_pw", 1},             {HR__RLE_F_TEMP_C, "temp", 1},
    {HR__RLE_F_VRAM_TEMP_C, "temp_mem", 1},  {HR__RLE_F_POWER_W, "power", 1},
    {HR__RLE_F_UTIL_PCT, "util", 100},       {HR__RLE_F_A_LOAD, "a_load", 1},
    {HR__RLE_F_T_SUSTAIN_S, "t_sustain", 1}, {HR__RLE_F_FAN_PCT, "fan", 100},
    {HR__RLE_F_ROLLING_PEAK, "rolling_peak", 1},
    {HR__RLE_F_CPU_FREQ_GHZ, "freq", 1e-9},
    {HR__RLE_F_CYCLES_PER_JOULE, "cycles_per_joule", 1},
};

#define NSRC (sizeof field_srcs / sizeof field_srcs[0])

typedef struct dev_map {
    char device[8];         /* "cpu" or "gpu" */
    int32_t ch[NSRC];       /* channel id per field source, 0 when absent */
    int32_t collapse, alerts;
    int32_t *freq;          /* cpuN/freq channels, averaged for cpu_freq_ghz */
    size_t nfreq;
    hr_rle_config cfg;      /* for the alert threshold in the alerts text */
} dev_map;

static int is_core_component(const char *c) {
    if (strncmp(c, "cpu", 3) != 0 || !c[3])
        return 0;
    for (const char *p = c + 3; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* The alert threshold recorded in meta rle_config, else the default. */
static void map_config(hr_session *s, const char *which, hr_rle_config *cfg) {
    hr_rle_config_defaults(cfg);
    char *text = NULL;
    if (hr_session_get_meta(s, "rle_config", &text) != HR_OK)
        return;
    json_t *root = json_loads(text, 0, NULL);
    json_t *v = json_object_get(json_object_get(root, which), "alert_a_load");
    if (json_is_number(v))
        cfg->alert_a_load = json_number_value(v);
    json_decref(root);
    hr_free(text);
}

static int map_device(hr_session *s, dev_map *m, const char *component, const char *device) {
    memset(m, 0, sizeof *m);
    hr__strlcpy(m->device, device, sizeof m->device);
    int any = 0;
    for (size_t i = 0; i < NSRC; i++) {
        m->ch[i] = hr_session_find_channel(s, component, field_srcs[i].metric);
        any |= m->ch[i] != 0;
    }
    m->collapse = hr_session_find_channel(s, component, "collapse");
    m->alerts = hr_session_find_channel(s, component, "rle_alerts");
    map_config(s, strcmp(device, "gpu") == 0 ? "gpu" : "cpu", &m->cfg);
    if (strcmp(device, "cpu") != 0)
        return any;
    size_t n = hr_session_channel_count(s);
    m->freq = calloc(n ? n : 1, sizeof *m->freq);
    for (size_t i = 0; m->freq && i < n; i++) {
        const hr_channel *c = hr_session_channel(s, i);
        if (is_core_component(c->component) && strcmp(c->metric, "freq") == 0)
            m->freq[m->nfreq++] = c->id;
    }
    return any;
}

static int value_of(hr_session *s, const hr_tick_row *row, int32_t id, double *out) {
    if (id <= 0 || (size_t)id > row->n || !HR_IS_KNOWN(row->values[id - 1]))
        return 0;
    *out = hr__export_base_value(hr_session_channel(s, (size_t)id - 1), row->values[id - 1].v);
    return 1;
}

/* cpu_freq_ghz and cycles_per_joule of a CPU row from the per-core clocks,
 * when the session has no such channel of its own (an import has). */
static void cpu_derived(hr_session *s, const dev_map *m, const hr_tick_row *row,
                        hr__rle_row *r) {
    if (HR__RLE_KNOWN(r, HR__RLE_F_CPU_FREQ_GHZ) || !m->nfreq)
        return;
    double sum = 0, v;
    size_t n = 0;
    for (size_t i = 0; i < m->nfreq; i++)
        if (value_of(s, row, m->freq[i], &v)) {
            sum += v;
            n++;
        }
    if (!n)
        return;
    double hz = sum / (double)n;
    hr__rle_row_set(r, HR__RLE_F_CPU_FREQ_GHZ, hz / 1e9);
    if (!HR__RLE_KNOWN(r, HR__RLE_F_CYCLES_PER_JOULE) && HR__RLE_KNOWN(r, HR__RLE_F_POWER_W) &&
        r->v[HR__RLE_F_POWER_W] > 0)
        hr__rle_row_set(r, HR__RLE_F_CYCLES_PER_JOULE, hz / r->v[HR__RLE_F_POWER_W]);
}

static void build_row(hr_session *s, const dev_map *m, const hr_tick_row *row, hr__rle_row *r) {
    hr_rle_result res;
    memset(&res, 0, sizeof res);
    double *d[] = {&res.rle, &res.rle_smoothed, &res.rle_norm, &res.e_th, &res.e_pw,
                   &res.a_load, &res.t_sustain_s, &res.util_pct, &res.temp_c, &res.power_w,
                   &res.rolling_peak};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        *d[i] = NAN;
    double v = 0;
    int have_collapse = value_of(s, row, m->collapse, &v);
    res.in_collapse = have_collapse && v != 0;
    if (value_of(s, row, m->alerts, &v))
        res.alerts = (int32_t)v;
    /* Timestamp, device, collapse and the alerts text the seed's way. */
    hr__rle_row_from_result(r, row->t_wall_ns, m->device, &res, &m->cfg);
    if (!have_collapse)
        r->known &= ~(1u << HR__RLE_F_COLLAPSE);
    for (size_t i = 0; i < NSRC; i++)
        if (value_of(s, row, m->ch[i], &v))
            hr__rle_row_set(r, field_srcs[i].field, v * field_srcs[i].factor);
    if (strcmp(m->device, "cpu") == 0)
        cpu_derived(s, m, row, r);
}

hr_status hr__export_rle_csv(hr_session *s, const hr_export_options *o, FILE *fp, int64_t *rows) {
    dev_map dev[2];
    size_t ndev = 0;
    if (map_device(s, &dev[ndev], "cpu", "cpu"))
        ndev++;
    else
        free(dev[ndev].freq);
    char gpu[16];
    hr__snprintf(gpu, sizeof gpu, "gpu%d", (int)o->gpu);
    if (o->gpu >= 0 && map_device(s, &dev[ndev], gpu, "gpu"))
        ndev++;
    else if (o->gpu >= 0)
        free(dev[ndev].freq);
    fputs(hr__rle_csv_header19, fp);
    hr_tick_cursor *c = NULL;
    hr_status st = hr_session_ticks(s, &c);
    hr_tick_row row;
    char line[1024];
    while (st == HR_OK && (st = hr_tick_cursor_next(c, &row)) == HR_OK) {
        for (size_t d = 0; d < ndev; d++) {
            hr__rle_row r;
            build_row(s, &dev[d], &row, &r);
            if (!r.known && !r.alerts[0])
                continue; /* the component had no value at all on this tick */
            hr__rle_csv_format19(&r, line, sizeof line);
            fputs(line, fp);
            (*rows)++;
        }
    }
    hr_tick_cursor_free(c);
    for (size_t d = 0; d < ndev; d++)
        free(dev[d].freq);
    return st == HR_ENOENT ? HR_OK : st;
}

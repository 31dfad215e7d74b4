/* import.c: a seed-004 RLE CSV into a session (hr_session_import_rle_csv).
 *
 * The rows are parsed by the rle helper's reader (rle_csv.h). A CPU row and a
 * GPU row less than half a second apart share a tick (the seed wrote one of
 * each per loop, microseconds apart); rows that repeat or go back in time are
 * skipped and counted; runs of collapse = 1 become "collapse" events. The
 * seed's files carry no monotonic clock, so the session's t_mono_ns is the
 * UTC time (meta time_base = "wall"). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/channels.h"
#include "record/rle_csv.h"
#include "store/store.h"

#define MERGE_NS 500000000LL           /* rows this close share a tick */
#define MAX_CSV_BYTES (1024LL * 1024 * 1024)

/* The channel each field becomes, per device; unit says how it is stored. */
static const struct field_chan {
    hr__rle_field field;
    const char *metric;
    hr__unit unit;
    double mul;          /* seed unit -> stored unit */
    int gpu_only, cpu_only;
} field_chans[] = {
    {HR__RLE_F_RLE_SMOOTHED, "rle", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_RLE_RAW, "rle_raw", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_RLE_NORM, "rle_norm", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_E_TH, "e_th", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_E_PW, "e_pw", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_TEMP_C, "temp", HR__U_MC, 1e3, 0, 0},
    {HR__RLE_F_VRAM_TEMP_C, "temp_mem", HR__U_MC, 1e3, 1, 0},
    {HR__RLE_F_POWER_W, "power", HR__U_MW, 1e3, 0, 0},
    {HR__RLE_F_UTIL_PCT, "util", HR__U_PPM, 1e4, 0, 0},
    {HR__RLE_F_A_LOAD, "a_load", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_T_SUSTAIN_S, "t_sustain", HR__U_MS, 1e3, 0, 0},
    {HR__RLE_F_FAN_PCT, "fan", HR__U_PCT, 1, 1, 0},
    {HR__RLE_F_ROLLING_PEAK, "rolling_peak", HR__U_MICRO, 1e6, 0, 0},
    {HR__RLE_F_COLLAPSE, "collapse", HR__U_BOOL, 1, 0, 0},
    {HR__RLE_F_CPU_FREQ_GHZ, "freq", HR__U_MHZ, 1e3, 0, 1},
    {HR__RLE_F_CYCLES_PER_JOULE, "cycles_per_joule", HR__U_COUNT, 1, 0, 1},
};

#define NFIELD (sizeof field_chans / sizeof field_chans[0])

enum { DEV_CPU = 0, DEV_GPU = 1, NDEV = 2 };

static const char *const dev_component[NDEV] = {"cpu", "gpu0"};

typedef struct importer {
    hr_session *s;
    int32_t ch[NDEV][NFIELD];  /* channel ids, 0 when the field does not apply */
    int32_t alerts[NDEV];
    /* The tick being assembled. */
    int pending;
    int64_t t_ns;
    int64_t t_last_ns;         /* the previous stored tick */
    int have[NDEV];
    hr_reading *values;
    size_t nvalues;
    /* Open collapse runs per device. */
    int64_t run_start[NDEV];
    int64_t last_row_ns[NDEV];
    int64_t first_ns, last_ns;
    hr_import_stats st;
    hr_status err;
} importer;

static hr_status add_channels(importer *im) {
    hr_status st = HR_OK;
    for (int d = 0; d < NDEV && st == HR_OK; d++) {
        for (size_t f = 0; f < NFIELD && st == HR_OK; f++) {
            const struct field_chan *fc = &field_chans[f];
            if ((fc->gpu_only && d != DEV_GPU) || (fc->cpu_only && d != DEV_CPU))
                continue;
            const char *unit, *base;
            double scale;
            hr__unit_info(fc->unit, &unit, &base, &scale);
            st = hr_session_add_channel(im->s, dev_component[d], fc->metric, unit, base, scale,
                                        "imported from an RLE CSV", &im->ch[d][f]);
        }
        if (st == HR_OK)
            st = hr_session_add_channel(im->s, dev_component[d], "rle_alerts", "mask", "mask", 1,
                                        "1 temperature limit, 2 a_load", &im->alerts[d]);
    }
    im->nvalues = hr_session_channel_count(im->s);
    im->values = calloc(im->nvalues, sizeof *im->values);
    return st != HR_OK ? st : im->values ? HR_OK : HR_ENOMEM;
}

static hr_status flush_tick(importer *im) {
    if (!im->pending)
        return HR_OK;
    im->pending = 0;
    hr_status st = hr_session_write_tick(im->s, im->t_ns, im->t_ns, im->values, im->nvalues, NULL);
    if (st == HR_OK) {
        im->st.ticks++;
        im->t_last_ns = im->t_ns;
        if (!im->first_ns)
            im->first_ns = im->t_ns;
        im->last_ns = im->t_ns;
    }
    return st;
}

static void start_tick(importer *im, int64_t t) {
    for (size_t i = 0; i < im->nvalues; i++)
        im->values[i] = hr__unknown(HR_WHY_ABSENT, 0);
    memset(im->have, 0, sizeof im->have);
    im->pending = 1;
    im->t_ns = t;
}

static int32_t alert_bits(const char *alerts) {
    int32_t bits = 0;
    if (strstr(alerts, "TEMP_LIMIT"))
        bits |= HR_RLE_ALERT_TEMP_LIMIT;
    if (strstr(alerts, "A_LOAD"))
        bits |= HR_RLE_ALERT_A_LOAD;
    return bits;
}

static void fill_values(importer *im, int d, const hr__rle_row *row) {
    for (size_t f = 0; f < NFIELD; f++) {
        int32_t id = im->ch[d][f];
        hr__rle_field fld = field_chans[f].field;
        if (!id || !HR__RLE_KNOWN(row, fld))
            continue;
        double v = row->v[fld] * field_chans[f].mul;
        if (isfinite(v) && fabs(v) < 9.0e15)
            im->values[id - 1] = hr__known(llround(v));
    }
    im->values[im->alerts[d] - 1] = hr__known(alert_bits(row->alerts));
}

/* Collapse runs: an event from the first row with collapse = 1 to the first
 * row of that device without it. */
static hr_status collapse_run(importer *im, int d, const hr__rle_row *row, int64_t t) {
    int on = HR__RLE_KNOWN(row, HR__RLE_F_COLLAPSE) && row->v[HR__RLE_F_COLLAPSE] != 0;
    if (on && !im->run_start[d]) {
        im->run_start[d] = t;
    } else if (!on && im->run_start[d]) {
        char detail[96];
        hr__snprintf(detail, sizeof detail, "%s: imported (collapse = 1 in the CSV)",
                     dev_component[d]);
        hr_status st = hr_session_add_event(im->s, "collapse", im->run_start[d], t, detail, NULL);
        im->run_start[d] = 0;
        im->st.collapses++;
        return st;
    }
    return HR_OK;
}

static hr_status on_row(const hr__rle_row *row, void *ud) {
    importer *im = ud;
    im->st.rows++;
    if (row->repeated || row->backwards) {
        im->st.repeated += row->repeated;
        im->st.backwards += row->backwards && !row->repeated;
        return HR_OK;
    }
    int d = strcmp(row->device, "gpu") == 0 ? DEV_GPU : DEV_CPU;
    int64_t t = row->t_unix_ns;
    int joins = im->pending && !im->have[d] && llabs(t - im->t_ns) < MERGE_NS;
    if (!joins) {
        hr_status st = flush_tick(im);
        if (st != HR_OK)
            return st;
        if (im->st.ticks && t <= im->t_last_ns) {
            im->st.backwards++; /* earlier than a tick of the other device */
            return HR_OK;
        }
        start_tick(im, t);
    }
    im->have[d] = 1;
    fill_values(im, d, row);
    im->last_row_ns[d] = t;
    im->st.imported++;
    return collapse_run(im, d, row, t);
}

static hr_status read_file(hr_session *s, const char *path, char **buf, size_t *n) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return hr__session_fail(s, err == ENOENT ? HR_ENOENT : HR_EIO, "%s: %s", path,
                                strerror(err));
    }
    if (sb.st_size > MAX_CSV_BYTES) {
        close(fd);
        return hr__session_fail(s, HR_EINVAL, "%s: larger than 1 GiB", path);
    }
    *buf = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    while (*buf && got < (size_t)sb.st_size) {
        ssize_t r = read(fd, *buf + got, (size_t)sb.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!*buf)
        return hr__session_fail(s, HR_ENOMEM, "%s: out of memory", path);
    *n = got;
    return HR_OK;
}

static hr_status import_meta(importer *im, const char *path, const hr__rle_csv_stats *ps) {
    hr_session *s = im->s;
    hr_status st = hr_session_set_meta(s, "time_base", "wall");
    if (st == HR_OK)
        st = hr_session_set_meta(s, "imported_from", path);
    if (st == HR_OK)
        st = hr_session_set_meta(s, "created_by", "headroom import rle-csv");
    if (st == HR_OK)
        st = hr_session_set_meta_i64(s, "start_mono_ns", im->first_ns);
    if (st == HR_OK)
        st = hr_session_set_meta_i64(s, "start_wall_ns", im->first_ns);
    if (st == HR_OK)
        st = hr_session_set_meta_i64(s, "import_junk_lines", ps->junk);
    if (st == HR_OK && ps->first_junk_line)
        st = hr_session_set_meta(s, "import_first_junk", ps->first_junk_why);
    if (st == HR_OK)
        st = hr_session_set_meta_i64(s, "import_columns", ps->columns);
    return st;
}

static void copy_stats(hr_import_stats *out, const importer *im, const hr__rle_csv_stats *ps) {
    if (!out)
        return;
    size_t want = out->size && out->size < sizeof *out ? out->size : sizeof *out;
    hr_import_stats r = im->st;
    r.size = want;
    r.lines = (int64_t)ps->lines;
    r.junk = (int64_t)ps->junk;
    r.headers = (int64_t)ps->headers;
    r.first_junk_line = (int64_t)ps->first_junk_line;
    hr__strlcpy(r.first_junk_why, ps->first_junk_why, sizeof r.first_junk_why);
    r.columns = ps->columns;
    memcpy(out, &r, want);
}

/* Closes collapse runs still open at the end at the device's last row. */
static hr_status close_runs(importer *im) {
    hr_status st = HR_OK;
    for (int d = 0; d < NDEV && st == HR_OK; d++) {
        if (!im->run_start[d])
            continue;
        char detail[96];
        hr__snprintf(detail, sizeof detail, "%s: imported (collapse = 1 until the end of the CSV)",
                     dev_component[d]);
        int64_t end = im->last_row_ns[d] > im->run_start[d] ? im->last_row_ns[d] : im->run_start[d];
        st = hr_session_add_event(im->s, "collapse", im->run_start[d], end, detail, NULL);
        im->st.collapses++;
    }
    return st;
}

hr_status hr_session_import_rle_csv(hr_session *s, const char *csv_path, hr_import_stats *stats) {
    if (!s || !csv_path)
        return HR_EINVAL;
    if (hr_session_readonly(s) || hr_session_channel_count(s) != 0)
        return hr__session_fail(s, HR_ESTATE, "import: %s is not a new session", s->path);
    char *buf = NULL;
    size_t n = 0;
    hr_status st = read_file(s, csv_path, &buf, &n);
    if (st != HR_OK)
        return st;
    importer im;
    memset(&im, 0, sizeof im);
    im.s = s;
    hr__rle_csv_stats ps;
    memset(&ps, 0, sizeof ps);
    st = add_channels(&im);
    if (st == HR_OK)
        st = hr__rle_csv_parse(buf, n, on_row, &im, &ps);
    if (st == HR_OK)
        st = flush_tick(&im);
    if (st == HR_OK)
        st = close_runs(&im);
    if (st == HR_OK && im.st.ticks == 0)
        st = hr__session_fail(s, HR_EPARSE, "%s: no readable row (%zu lines, %zu junk%s%s)",
                              csv_path, ps.lines, ps.junk, ps.first_junk_line ? ": " : "",
                              ps.first_junk_why);
    if (st == HR_OK)
        st = import_meta(&im, csv_path, &ps);
    if (st == HR_OK)
        st = hr_session_finish(s, im.last_ns, im.last_ns, 0, 0);
    copy_stats(stats, &im, &ps);
    free(im.values);
    free(buf);
    return st;
}

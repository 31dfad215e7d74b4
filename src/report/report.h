/* report.h: the report module's internals. A session is loaded once into
 * plain arrays (hr__rdata), the analysis functions turn those arrays into a
 * model (hr__rmodel), and the renderers read the model (and, for charts, the
 * arrays). Everything after loading is pure: no SQLite, no I/O, so tests
 * build an hr__rdata by hand and check the figures.
 *
 * Conventions: times are CLOCK_MONOTONIC nanoseconds as in the session
 * (imported sessions use UTC for both clocks); values are doubles in the
 * channel's base unit (celsius, watts, ratio, hertz, bytes, ...); NaN means
 * unknown and is skipped by every statistic, never counted as 0. */
#ifndef HR_REPORT_REPORT_H
#define HR_REPORT_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/internal.h"
#include "core/util/strbuf.h"
#include "headroom/hr_report.h"

/* --- a growable string --- */

/* The core's buffer (core/util/strbuf.h) under the report's short names. */
typedef hr__strbuf hr__sb;

#define hr__sb_put hr__strbuf_put
#define hr__sb_puts hr__strbuf_puts
#define hr__sb_printf hr__strbuf_printf
#define hr__sb_free hr__strbuf_free

/* Duplicates S with every invalid UTF-8 sequence replaced by U+FFFD, so that
 * every renderer (and jansson) can take it. NULL gives "". NULL on ENOMEM. */
char *hr__utf8_dup(const char *s);

/* Copies SRC into DST (CAP bytes) as clean UTF-8, cut at a character
 * boundary when it does not fit. */
void hr__utf8_copy(char *dst, const char *src, size_t cap);

/* --- the loaded session --- */

typedef enum hr__rkind {
    HR__RK_OTHER = 0,
    HR__RK_TEMP,     /* celsius */
    HR__RK_POWER,    /* watts */
    HR__RK_UTIL,     /* ratio: util, iowait */
    HR__RK_CLOCK,    /* hertz */
    HR__RK_MEMORY,   /* bytes */
    HR__RK_RLE,      /* the RLE family (index) */
    HR__RK_LIMIT,    /* a limit or margin of another channel (temp_crit, power_limit, ...) */
    HR__RK_PRESSURE, /* PSI shares and pressure levels */
    HR__RK_COUNT
} hr__rkind;

/* "temperature", "power", ... */
const char *hr__rkind_name(int kind);

typedef struct hr__rchan {
    char component[48];
    char metric[64];
    char unit[16];      /* stored unit */
    char base_unit[16]; /* the unit of v */
    char label[96];
    double scale;
    int32_t kind; /* hr__rkind */
    int32_t core; /* >= 0: the logical CPU of a per-core channel (component "cpuN"); -1 */
    double *v;    /* one per tick, base units, NaN when absent */
    size_t nknown;
} hr__rchan;

/* One number the steps (or the external log's rows) reported, per row. */
typedef struct hr__rfield {
    char name[64];
    double *v; /* one per row; NaN when that row did not report it */
} hr__rfield;

typedef struct hr__rsteps {
    size_t n, cap;
    int64_t *index;  /* the job's step number */
    int64_t *t_ns;   /* when the step ended (monotonic) */
    int64_t *dur_ns; /* < 0 unknown */
    double *units;   /* NaN unknown */
    size_t nfields;
    hr__rfield *fields;
} hr__rsteps;

typedef struct hr__revent {
    char kind[32];
    int64_t start_ns;
    int64_t end_ns; /* 0: still open when the session ended */
    char *detail;
} hr__revent;

typedef struct hr__rdata {
    char *path;
    char *created_by, *command, *notes, *time_base; /* "" when absent */
    json_t *host;                                   /* the probe's JSON, or NULL */
    json_t *tags;                                   /* object of strings, or NULL */
    int32_t state;                                  /* hr_session_state */
    double requested_hz;                            /* 0 unknown */
    double achieved_hz;
    int64_t missed_ticks;
    int64_t start_ns, end_ns; /* session span, monotonic; end 0 unknown */
    int64_t wall_minus_mono_ns;
    double dataset_bytes; /* meta "dataset_bytes" (the job's input data set); 0 unknown */
    double job_rchar_bytes; /* meta "job_rchar_bytes": what the job read in all (headroom run); 0 unknown */
    size_t nticks, tcap;
    int64_t *t_ns; /* monotonic, increasing */
    size_t nch;
    hr__rchan *ch;
    hr__rsteps steps; /* the session's own */
    hr__rsteps ext;   /* rows of an external log (--steps), times converted to monotonic */
    char *ext_name;   /* its file name, or NULL */
    size_t nev, evcap;
    hr__revent *ev;
} hr__rdata;

/* Building an hr__rdata (the loader and the tests use these). All return
 * HR_OK or HR_ENOMEM (HR_EINVAL for a bad argument). Ticks first: channels
 * take one value per tick. */
hr_status hr__rdata_set_ticks(hr__rdata *d, size_t n, const int64_t *t_ns);
hr_status hr__rdata_add_channel(hr__rdata *d, const char *component, const char *metric,
                                const char *base_unit, const double *v, size_t *index);
hr_status hr__rsteps_add(hr__rsteps *s, int64_t index, int64_t t_ns, int64_t dur_ns, double units,
                         size_t n, const char *const *names, const double *values);
hr_status hr__rdata_add_event(hr__rdata *d, const char *kind, int64_t start_ns, int64_t end_ns,
                              const char *detail);
/* The channel COMPONENT/METRIC, or -1. */
int hr__rdata_find(const hr__rdata *d, const char *component, const char *metric);
void hr__rdata_free(hr__rdata *d);
void hr__rsteps_free(hr__rsteps *s);

/* Reads session S into D (times, every channel, steps, events, meta). */
hr_status hr__rdata_load(hr__rdata *d, hr_session *s);

/* Parses an external log (CSV with a header row, or JSON Lines) into OUT:
 * every numeric column but TIME_COLUMN becomes a field; TIME_COLUMN (Unix
 * seconds or ISO-8601) is converted with WALL_MINUS_MONO_NS. A "step"
 * column, when present, gives the index. Returns HR_OK, HR_ENOENT, HR_EIO,
 * HR_EPARSE (no time column, no usable row), HR_ENOMEM; WHY says what. */
hr_status hr__ext_load(const char *path, const char *time_column, int64_t wall_minus_mono_ns,
                       hr__rsteps *out, char *why, size_t cap);

/* --- statistics (stats.c) --- */

typedef struct hr__stat {
    size_t n; /* finite values; 0: the rest is NaN */
    double min, mean, max;
} hr__stat;

void hr__stat_of(const double *v, size_t n, hr__stat *out);

/* The Q quantile (0..1) of the finite values of V by linear interpolation
 * between order statistics (numpy's default). NaN when there are none. */
double hr__quantile(const double *v, size_t n, double q);

/* A correlation with its 95 % confidence interval (Fisher z). */
typedef struct hr__corr {
    size_t n;      /* pairs where both values are finite */
    double r;      /* NaN when n < 3 or a side is constant */
    double lo, hi; /* NaN when n < 4 or r is NaN */
} hr__corr;

void hr__pearson(const double *x, const double *y, size_t n, hr__corr *out);
/* Spearman's rho: Pearson of average ranks; the interval uses the standard
 * error sqrt(1.06 / (n - 3)) (Fieller, Hartley and Pearson, 1957). */
void hr__spearman(const double *x, const double *y, size_t n, hr__corr *out);
/* Average ranks (1-based, ties share their mean rank) of V[0..n-1] (finite). */
hr_status hr__ranks(const double *v, size_t n, double *rank);

/* The index of the latest time in T[0..n-1] (increasing) that is <= Q and
 * >= Q - TOL_NS, or (size_t)-1. */
size_t hr__asof(const int64_t *t, size_t n, int64_t q, int64_t tol_ns);

/* dY/dT: central differences inside, one-sided at the ends (numpy.gradient
 * with first-order edges). N >= 2. */
void hr__gradient(const double *t, const double *y, size_t n, double *out);

/* The median spacing of T (ns), or 0 with fewer than 2 times. */
int64_t hr__median_step_ns(const int64_t *t, size_t n);

/* --- the model --- */

typedef enum hr__severity {
    HR__SEV_INFO = 0,
    HR__SEV_WARNING = 1,
    HR__SEV_CRITICAL = 2
} hr__severity;
const char *hr__severity_name(int sev);

typedef struct hr__msum {
    char component[48];
    char metric[64];
    int32_t kind;
    char base_unit[16];
    hr__stat st;
} hr__msum;

typedef struct hr__mthrottle {
    char component[48];
    char reason[32]; /* "sw_thermal", "sw_power_cap", ..., or an event's detail class */
    char source[16]; /* "reasons", "counter", "events", "count" */
    double seconds;  /* time (NaN for "count") */
    double share;    /* of the sampled time (NaN where not applicable) */
    int64_t count;   /* "count": throttle events the counter saw; else -1 */
} hr__mthrottle;

typedef struct hr__mlevel {
    char channel[112];
    int64_t level;
    char name[24];
    double seconds, share;
} hr__mlevel;

typedef struct hr__mreason {
    char *text;
    size_t count;
    double seconds;
} hr__mreason;

typedef struct hr__mcool {
    size_t count, open;
    double total_s;
    size_t nreasons;
    hr__mreason *reasons;
} hr__mcool;

typedef struct hr__mkind {
    char kind[32];
    size_t count, open;
    double total_s;
    int32_t documented; /* a kind docs/REPORT.md describes */
    int32_t reserved;
} hr__mkind;

typedef struct hr__mepisode {
    int64_t first_index, last_index; /* the job's step numbers */
    size_t steps;
    double start_s, end_s; /* relative to the session start */
    double worst_factor;   /* slowest step / baseline */
    double lost_s;         /* sum of (duration - baseline x units) */
} hr__mepisode;

typedef struct hr__msteps {
    size_t count, timed;
    int32_t per_unit; /* 1: seconds per unit of work; 0: per step */
    int32_t reserved;
    double baseline, median, p95, mean; /* seconds per unit (or per step) */
    double slow_factor, critical_factor;
    size_t slow, critical;
    size_t nepisodes;
    hr__mepisode *episodes;
    double *spu; /* per step: seconds per unit, NaN when untimed */
} hr__msteps;

typedef struct hr__meff {
    int32_t known;
    char why[200]; /* when not known */
    double actual_s, theoretical_s, lost_s, lost_share, efficiency;
    double throttle_loss_s, cooling_s, other_s, units;
} hr__meff;

typedef struct hr__mrle {
    char component[48];
    hr__stat st;
    size_t collapse_known, collapse_on;
    double collapse_rate;     /* NaN when unknown */
    int32_t rate_from_events; /* 1: no collapse channel; share of time inside collapse events */
    int32_t reserved;
    size_t collapse_events;
    double collapse_s;
    double mean_abs_d, std_d, late_spread; /* per second; NaN when too short */
    const char *verdict;                   /* "saturated", "still modulating", "too short" */
} hr__mrle;

typedef struct hr__mcorr {
    char x[96], y[96];
    hr__corr p, s;
} hr__mcorr;

#define HR__SCATTER_SERIES 8

typedef struct hr__mscatter {
    char id[24];
    char title[96];
    char xlabel[96], ylabel[96];
    size_t ns;
    struct {
        char name[48];
        size_t n;
        double *x, *y;
    } s[HR__SCATTER_SERIES];
} hr__mscatter;

typedef struct hr__mfinding {
    char id[32];
    int32_t severity;
    int32_t reserved;
    char *title;
    size_t nev, nadv;
    char **evidence;
    char **advice;
} hr__mfinding;

typedef struct hr__rmodel {
    double duration_s;      /* session span */
    double tick_s;          /* median tick interval */
    double *dt_s;           /* per tick: the time it stands for (gaps capped) */
    double *busiest;        /* per tick: utilisation of the busiest core, NaN unknown */
    int32_t *busiest_cpu;   /* per tick: which core (-1 unknown) */
    double *core_util_mean; /* per tick */
    double *core_freq_mean; /* per tick, hertz */
    size_t ncores;
    size_t nsum;
    hr__msum *sum;
    size_t nthr;
    hr__mthrottle *thr;
    size_t nlev;
    hr__mlevel *lev;
    hr__mcool cool;
    size_t nkinds;
    hr__mkind *kinds;
    hr__msteps steps;
    hr__meff eff;
    size_t nrle;
    hr__mrle *rle;
    double tolerance_s;
    size_t ncorr;
    hr__mcorr *corr;
    size_t nscat;
    hr__mscatter scat[4];
    size_t nfind;
    hr__mfinding *find;
    size_t nnotes;
    char **notes;
} hr__rmodel;

/* Options with defaults filled in. */
void hr__ropts_resolve(const hr_report_options *in, hr_report_options *out);

/* The whole analysis: fills M from D (every part below, in order). */
hr_status hr__analyse(const hr__rdata *d, const hr_report_options *opt, hr__rmodel *m);
void hr__rmodel_free(hr__rmodel *m);

/* The parts (each returns HR_OK or HR_ENOMEM). */
hr_status hr__an_timeline(const hr__rdata *d, hr__rmodel *m);
hr_status hr__an_summary(const hr__rdata *d, hr__rmodel *m);
hr_status hr__an_throttle(const hr__rdata *d, hr__rmodel *m);
hr_status hr__an_levels(const hr__rdata *d, hr__rmodel *m);
hr_status hr__an_events(const hr__rdata *d, hr__rmodel *m);
hr_status hr__an_steps(const hr__rdata *d, const hr_report_options *opt, hr__rmodel *m);
hr_status hr__an_rle(const hr__rdata *d, hr__rmodel *m);
hr_status hr__an_correlate(const hr__rdata *d, const hr_report_options *opt, hr__rmodel *m);
hr_status hr__an_diagnose(const hr__rdata *d, hr__rmodel *m);

/* Adds a note (what could not be computed, and why) to M. */
hr_status hr__note(hr__rmodel *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A reason-mask channel's value as bits (0 for a value no mask can have). */
static inline uint64_t hr__mask_of(double v) {
    return v >= 0 && v < 18446744073709549568.0 ? (uint64_t)v : 0;
}

/* Seconds since the session start of monotonic time T. */
double hr__rel_s(const hr__rdata *d, int64_t t_ns);

/* The session start used for relative times. */
int64_t hr__t0_ns(const hr__rdata *d);

/* Kinds of events the report knows (docs/REPORT.md). */
int hr__is_cooling_kind(const char *kind);
int hr__is_throttle_kind(const char *kind);
int hr__is_collapse_kind(const char *kind);

/* The component an event's detail names, copied into OUT: the text before
 * a first ':' ("gpu0: ..." as the recorder writes collapses), or a first
 * word that is a component of D ("gpu0 thermal: ..." as `headroom run`
 * writes throttling). 0 when the detail names none. */
int hr__event_component(const hr__rdata *d, const char *detail, char *out, size_t cap);

/* What a throttle event is about, from its detail: "thermal", "power", or
 * its kind when the detail does not say. */
const char *hr__throttle_event_reason(const hr__revent *e);

/* --- rendering --- */

/* Events listed one by one (the counts per kind cover all of them). */
#define HR__EVENTS_LISTED 200

struct hr_report {
    hr__rdata d;
    hr__rmodel m;
    hr_report_options opt;
};

/* Number formatting shared by the text and Markdown renderers: VALUE (base
 * unit BASE) in the unit people read ("61.0 °C", "24.9 W", "52.7 %",
 * "1.41 GHz", "7.9 GiB"); "unknown" for NaN. */
const char *hr__fmt_value(double v, const char *base, char *buf, size_t cap);
/* "8 h 50 min", "12.3 s", "530.0 min" style durations; "unknown" for NaN. */
const char *hr__fmt_dur(double s, char *buf, size_t cap);
/* "57.0 %"; "unknown" for NaN. */
const char *hr__fmt_pct(double share, char *buf, size_t cap);
/* "%.4g" of V; "unknown" for NaN. */
const char *hr__fmt_num(double v, char *buf, size_t cap);
/* UTC wall time of monotonic T as "2024-05-01 10:00:00 UTC". */
const char *hr__fmt_utc(const hr__rdata *d, int64_t t_ns, char *buf, size_t cap);

/* Escapes for each format. TEXT: control characters as "\xNN". MD:
 * Markdown punctuation backslash-escaped, '<' and '>' as entities, newlines
 * as spaces. HTML: & < > " ' as entities. */
void hr__esc_text(hr__sb *b, const char *s);
void hr__esc_md(hr__sb *b, const char *s);
void hr__esc_html(hr__sb *b, const char *s);

json_t *hr__report_json(const hr_report *r);
hr_status hr__render_text(const hr_report *r, hr__sb *b);
hr_status hr__render_md(const hr_report *r, hr__sb *b);
hr_status hr__render_json(const hr_report *r, hr__sb *b);
hr_status hr__render_html(const hr_report *r, hr__sb *b);

/* The chart data of the HTML report as JSON text, safe inside a <script>
 * element ('<' written as \u003c). */
hr_status hr__html_chart_data(const hr_report *r, hr__sb *b);

/* Downsampling for drawing: the N values of V over times X are cut into
 * NB buckets of consecutive ticks; each bucket gives two points, its
 * minimum and its maximum in the order they occur, at the bucket's first
 * and last time, so peaks survive. With N <= 2 NB the data is copied. OX
 * and OV receive up to 2 NB points; returns how many. Buckets are the same
 * for every series of the same length, so series stay aligned. */
size_t hr__minmax_x(const double *x, size_t n, size_t nb, double *ox);
size_t hr__minmax_v(const double *v, size_t n, size_t nb, double *ov);

#endif /* HR_REPORT_REPORT_H */

/* hr_rle.h: the RLE efficiency index and the gated collapse detector, per
 * component (CPU package, each GPU), computed one sample at a time.
 *
 * One hr_rle per component. Each call to hr_rle_push gives it one sample
 * (time, utilisation, power, power limit, temperature, temperature limit,
 * optional throttle evidence) and returns that tick's RLE, its terms and the
 * collapse state. The module is pure: no I/O, no clock, no threads; time is
 * the sample's t_mono_ns, and samples may come at any spacing (windows are in
 * seconds, not in sample counts).
 *
 *   util       = utilisation share, 0..1
 *   stability  = 1 / (1 + spread of utilisation in percent over stability_window_s)
 *                (spread = time-weighted population standard deviation)
 *   a_load     = power / power limit           (limit: config override, else the sample's)
 *   dT/dt      = least-squares slope of temperature over slope_window_s
 *   t_sustain  = (T_limit - T_fit) / max(dT/dt, slope_floor), clamped to
 *                [t_sustain_min_s, t_sustain_max_s] within [1, 600] s
 *   E_th       = stability / (1 + 1 / t_sustain)
 *   E_pw       = util / max(a_load, a_load_floor)
 *   rle        = E_th * E_pw
 *   rle_smoothed = time-weighted mean of rle over smooth_window_s
 *
 * A missing input (utilisation, power, power limit, temperature, temperature
 * limit) means no RLE for that tick: the result's `why` is that input's
 * reason, never a guess. docs/RLE.md gives every threshold, its default and
 * where the default comes from.
 *
 * Thread safety: an hr_rle is used by one thread at a time; distinct hr_rle
 * objects are independent. */
#ifndef HR_RLE_H
#define HR_RLE_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Normalisation constants of the seed's expected-curve model (rle_norm).
 * hr_rle_config_defaults sets the CPU ones; a GPU component should set these. */
#define HR_RLE_NORM_CPU_BASELINE 0.3
#define HR_RLE_NORM_CPU_OPTIMUM 5.0
#define HR_RLE_NORM_CPU_PEAK_UTIL_PCT 67.0
#define HR_RLE_NORM_GPU_BASELINE 0.1
#define HR_RLE_NORM_GPU_OPTIMUM 3.0
#define HR_RLE_NORM_GPU_PEAK_UTIL_PCT 60.0

/* Every threshold of the formula and of the collapse detector. Start from
 * hr_rle_config_defaults, change what you need, and pass it to hr_rle_new.
 * `size` is sizeof(hr_rle_config) as the caller was built; fields past it
 * take their defaults. Units are in the names: _s seconds, _c degrees
 * Celsius, _w watts, _pct percent, _c_per_s degrees Celsius per second.
 * Defaults are in parentheses. */
typedef struct hr_rle_config {
    size_t size;

    /* The formula. */
    double stability_window_s; /* utilisation spread window (10) */
    double smooth_window_s;    /* rle_smoothed averaging window (5) */
    double slope_window_s;     /* temperature regression window for t_sustain (30) */
    uint32_t min_samples;      /* known samples each window needs (3; at least 2) */
    uint32_t reserved0;
    double t_sustain_min_s;     /* lower clamp of t_sustain (1; within [1, 600]) */
    double t_sustain_max_s;     /* upper clamp of t_sustain (600; within [1, 600]) */
    double slope_floor_c_per_s; /* dT/dt floor: flat or cooling gives the upper clamp (1e-3) */
    double a_load_floor;        /* floor of a_load in E_pw (1e-3) */
    double power_limit_w;       /* > 0: replaces the sample's power_limit_mw (0: use it) */
    double temp_limit_c;        /* > 0: replaces the sample's temp_limit_mc (0: use it) */
    double norm_baseline;       /* rle_norm expected curve: value at 0 % (CPU 0.3) */
    double norm_optimum;        /* rle_norm expected curve: value at the peak (CPU 5.0) */
    double norm_peak_util_pct;  /* rle_norm expected curve: utilisation of the peak (CPU 67) */

    /* The gated collapse detector. */
    double warmup_s;           /* nothing is flagged before this long after the first push (60) */
    double peak_decay_per_s;   /* peak P <- max(rle_smoothed, P * decay^dt) (0.998) */
    double drop_frac;          /* dropped: rle_smoothed < drop_frac * P (0.65) */
    double sustain_s;          /* dropped, under load and heating this long: collapse (7) */
    double recover_s;          /* not dropped or not under load this long: it ends (5) */
    double load_gate_util_pct; /* under load: util > this (60) ... */
    double load_gate_a_load;   /* ... or a_load > this (0.75) */
    double heat_window_s;      /* heating: temperature slope over this window (20) ... */
    double heat_c_per_s;       /* ... greater than this (0.05) */
    int32_t require_evidence;  /* 1: a collapse also needs thermal or power evidence (1) */
    /* Thermal evidence: hr_thermal_pressure >= this (1, moderate; 5 never). */
    int32_t evidence_thermal_pressure;
    double evidence_t_sustain_s;   /* thermal evidence: t_sustain < this (60) */
    double evidence_temp_margin_c; /* thermal evidence: T > T_limit - this (5) */
    double evidence_a_load;        /* power evidence: a_load > this (0.95) */
    /* Thermal evidence: throttle_reasons & this (HR_THROTTLE_THERMAL_MASK). */
    uint64_t evidence_throttle_thermal;
    /* Power evidence: throttle_reasons & this (HR_THROTTLE_POWER_MASK). */
    uint64_t evidence_throttle_power;

    /* Alerts (instantaneous). */
    double alert_a_load; /* HR_RLE_ALERT_A_LOAD when a_load > this (1.10) */
} hr_rle_config;

/* One sample of one component. Readings that do not apply (throttle reasons
 * on a CPU, thermal pressure off macOS) are unknown and simply not used. */
typedef struct hr_rle_sample {
    int64_t t_mono_ns;           /* CLOCK_MONOTONIC of the read; increasing per hr_rle */
    hr_reading util_ppm;         /* busy share since the previous read (1000000 = 100 %) */
    hr_reading power_mw;         /* power now */
    hr_reading power_limit_mw;   /* enforced or rated limit (unless config power_limit_w) */
    hr_reading temp_mc;          /* temperature now */
    hr_reading temp_limit_mc;    /* slowdown or critical limit (unless config temp_limit_c) */
    hr_reading throttle_reasons; /* NVML HR_THROTTLE_* bitmask, when the component has one */
    hr_reading thermal_pressure; /* hr_thermal_pressure (macOS) */
} hr_rle_sample;

/* Alert bits (instantaneous, on the tick they hold). */
#define HR_RLE_ALERT_TEMP_LIMIT 0x1 /* temperature >= T_limit */
#define HR_RLE_ALERT_A_LOAD 0x2     /* a_load > alert_a_load */

/* Evidence bits. */
#define HR_RLE_EVIDENCE_THERMAL 0x1
#define HR_RLE_EVIDENCE_POWER 0x2

/* One tick's outcome. Every double is NAN when that term is unknown this
 * tick (an input missing or its window not yet filled); `why` says why the
 * RLE itself is unknown. */
typedef struct hr_rle_result {
    int32_t why;          /* hr_why: HR_WHY_KNOWN when rle is meaningful; HR_WHY_NEEDS_INTERVAL
                           * while windows fill; else the reason of the first missing input */
    int32_t alerts;       /* HR_RLE_ALERT_* bits */
    double rle;           /* RLE_raw = E_th * E_pw */
    double rle_smoothed;  /* time-weighted mean of rle over smooth_window_s */
    double rle_norm;      /* 0..1, rle over the expected curve at this utilisation */
    double e_th;          /* thermal efficiency term */
    double e_pw;          /* power efficiency term */
    double stability;     /* 1 / (1 + utilisation spread in percent) */
    double a_load;        /* power / limit */
    double t_sustain_s;   /* seconds to the temperature limit at the current slope, clamped */
    double dtemp_c_per_s; /* temperature slope over slope_window_s */
    double heat_c_per_s;  /* temperature slope over heat_window_s (heating gate) */
    double util_pct;      /* the sample's utilisation in percent */
    double temp_c;        /* the sample's temperature */
    double temp_limit_c;  /* the limit in use */
    double power_w;       /* the sample's power */
    double power_limit_w; /* the limit in use */
    double rolling_peak;  /* the detector's decaying peak of rle_smoothed */

    /* Collapse detector state after this tick. */
    int32_t under_load;       /* load gate held */
    int32_t heating;          /* heating gate held */
    int32_t dropped;          /* rle_smoothed < drop_frac * rolling_peak */
    int32_t evidence;         /* HR_RLE_EVIDENCE_* bits this tick */
    int32_t in_collapse;      /* 1 while a collapse event is open */
    int32_t collapse_started; /* 1 on the tick an event opens */
    int32_t collapse_ended;   /* 1 on the tick an event closes */
    int32_t reserved;
    int64_t event_start_ns;  /* t_mono_ns the open (or just ended) event began; 0 when none */
    int64_t event_end_ns;    /* t_mono_ns it ended, on the collapse_ended tick; else 0 */
    char evidence_text[256]; /* on collapse_started/collapse_ended: what was seen, in words */
} hr_rle_result;

typedef struct hr_rle hr_rle;

/* Fills C with the defaults listed in the struct (docs/RLE.md says where each
 * comes from), including c->size. */
HR_EXTERN void hr_rle_config_defaults(hr_rle_config *c);

/* Checks every field of C. Returns HR_OK, or HR_EINVAL with WHY (capacity
 * CAP, may be NULL) set to e.g. "drop_frac: must be in (0, 1) (got 1.5)". */
HR_EXTERN hr_status hr_rle_config_validate(const hr_rle_config *c, char *why, size_t cap);

/* Creates a calculator for one component. C may be NULL for the defaults.
 * Returns HR_OK, HR_EINVAL (out NULL or C invalid) or HR_ENOMEM. */
HR_EXTERN hr_status hr_rle_new(const hr_rle_config *c, hr_rle **out);

/* Feeds one sample and fills OUT with this tick's result. A sample whose
 * t_mono_ns is not after the previous one is refused with HR_EINVAL and
 * changes nothing. Missing inputs are not errors: the call returns HR_OK with
 * out->why set. Returns HR_OK, HR_EINVAL (NULL arguments, time not
 * increasing) or HR_ENOMEM (history could not grow). */
HR_EXTERN hr_status hr_rle_push(hr_rle *r, const hr_rle_sample *in, hr_rle_result *out);

/* Frees the calculator. NULL is allowed. */
HR_EXTERN void hr_rle_free(hr_rle *r);

#ifdef __cplusplus
}
#endif

#endif /* HR_RLE_H */

/* hr_govern.h: the job governor: when to pause a running job for cooling, and why.
 *
 * The governor is a pure state machine: the caller feeds it what happened
 * (a finished step of the job, a sensor sample, the passing of time) and it
 * answers with a decision (continue, pause for N s, resume, warn) and the
 * reason in words. It does no I/O, reads no clock, starts no thread; time is
 * the caller's CLOCK_MONOTONIC in every input (nanoseconds, 0 to INT64_MAX/4),
 * and inputs must come in time order (equal times are allowed). The runner
 * (`headroom run`) turns PAUSE into SIGSTOP of the job's process group and
 * RESUME into SIGCONT; the Python binding turns PAUSE into a sleep at a step
 * boundary.
 *
 * Policies (docs/GOVERNOR.md gives every rule, default and its source):
 *
 *   timing  Seconds per UNIT of work: a step of duration d with u units
 *           has x = d / u s/unit (a 25-unit image is not 25x slow). The
 *           baseline is given, or learned as the unit-weighted lower
 *           quartile (learn_quantile) of x over the first learn_steps steps
 *           (a low quantile: the job may already be warming up while it is
 *           learned, and a slow first step, compiling or loading, is ignored). The slowdown statistic is the
 *           unit-weighted median of x over the last `window` steps divided by
 *           the baseline; once the window holds min_evidence_units units,
 *           a statistic >= threshold pauses for break_s. Consecutive steps
 *           with x / baseline >= critical holding critical_evidence_units
 *           units pause for critical_break_s at once (one 25-unit image is
 *           enough; one 1-unit checkpoint or evaluation step is not).
 *           A timing break lasts break_s (critical_break_s), or rest_ratio x
 *           the time of slow steps (ratio >= threshold) since the previous
 *           break if that is longer (long slow steps, long rests). A break clears the window (the evidence that
 *           caused it), so one slow step causes one break. A break that did
 *           not help (no step under the threshold before the next trigger)
 *           makes the next one break_growth times longer, up to max_break_s;
 *           relearn_breaks breaks of max_break_s in a row after which no
 *           step ran even 10 % faster mean the slowdown is not thermal: the
 *           baseline is learned again from the next steps (WARN). A learned baseline is lowered to the window's median when
 *           a full window runs faster than relearn_fast_ratio x baseline
 *           (the baseline was learned warm).
 *   batch   The timing rule plus a break of batch_break_s every batch_size
 *           steps (or every batch_units units); any break restarts the count
 *           (the seed's BatchThermalManager).
 *   sensor  Hysteresis on real signals, per group (GPU, CPU, pressure):
 *           GPU: pause when the thermal margin (to the slowdown threshold)
 *           is <= gpu_pause_margin_c, or NVML reports HW thermal slowdown
 *           (0x40), or SW thermal (0x20) or HW slowdown (0x8) with the margin
 *           <= near_limit_margin_c (SW thermal alone is DVFS doing its job:
 *           pausing then costs throughput, docs/GOVERNOR.md); COOL when the
 *           margin is >= gpu_resume_margin_c and no pausing reason is active.
 *           CPU: temperature vs its critical limit or trip point, with
 *           cpu_pause_margin_c / cpu_resume_margin_c. macOS thermal pressure:
 *           pause at pressure_pause (Heavy) or worse, COOL at
 *           pressure_resume (Nominal) or better. A break ends when every
 *           group that was hot during it reads COOL; or, none being HOT, when
 *           they stopped cooling (plateau_s without plateau_c of progress:
 *           the die is down to its heat sink, and waiting longer buys
 *           little); or at max_break_s.
 *           Unknown is neither hot nor cool: an unknown input never pauses
 *           and never resumes (a break whose cause went unknown lasts until
 *           max_break_s). Power-cap reasons (0x4, 0x80) are reported (WARN
 *           at onset, time counted), never cooled: pausing does not lift a
 *           power cap.
 *   auto    sensor while the latest sample (not older than stale_s) has any
 *           usable thermal input, timing otherwise. When that input is
 *           thermal pressure alone (macOS), the timing rule decides too:
 *           either may start a break. The default.
 *
 * Every policy: a step that did more than a tenth of its work before a
 * break began inside it is counted, but is no evidence for a timing break.
 *   off     Records steps, samples and statistics; never pauses.
 *
 * Thread safety: one hr_governor is used by one thread at a time; distinct
 * governors are independent. */
#ifndef HR_GOVERN_H
#define HR_GOVERN_H

#include <stddef.h>
#include <stdint.h>

#include "hr_export.h"
#include "hr_probe.h"
#include "hr_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hr_govern_policy {
    HR_POLICY_AUTO = 0,
    HR_POLICY_TIMING = 1,
    HR_POLICY_BATCH = 2,
    HR_POLICY_SENSOR = 3,
    HR_POLICY_OFF = 4,
    HR_POLICY_COUNT = 5
} hr_govern_policy;

typedef enum hr_govern_action {
    HR_GOVERN_CONTINUE = 0, /* nothing to do */
    HR_GOVERN_PAUSE = 1,    /* stop the job now; pause_s says for how long at most */
    HR_GOVERN_RESUME = 2,   /* the break is over: continue the job */
    HR_GOVERN_WARN = 3      /* keep running, but tell the user (text) */
} hr_govern_action;

/* Why a decision was taken: X(enum, number, short name). Numbers are
 * forever, as with hr_status. */
#define HR_GOVERN_REASON_MAP(X)                                                                    \
    X(HR_GREASON_NONE, 0, "none")                                                                  \
    X(HR_GREASON_SLOWDOWN, 1, "slowdown")                   /* timing: window >= threshold */      \
    X(HR_GREASON_CRITICAL, 2, "critical_slowdown")          /* timing: one step >= critical */     \
    X(HR_GREASON_BATCH, 3, "batch")                         /* batch boundary */                   \
    X(HR_GREASON_GPU_THERMAL, 4, "gpu_thermal_reason")      /* NVML reason that pauses */        \
    X(HR_GREASON_GPU_MARGIN, 5, "gpu_margin")               /* GPU margin or temperature */        \
    X(HR_GREASON_CPU_TEMP, 6, "cpu_temp")                   /* CPU vs its critical limit */        \
    X(HR_GREASON_PRESSURE, 7, "thermal_pressure")           /* macOS thermal pressure */           \
    X(HR_GREASON_BREAK_DONE, 8, "break_done")               /* RESUME: planned length reached */   \
    X(HR_GREASON_COOLED, 9, "cooled")                       /* RESUME: every hot group is cool */  \
    X(HR_GREASON_MAX_BREAK, 10, "max_break")                /* RESUME: max_break_s reached */      \
    X(HR_GREASON_ENDED_BY_CALLER, 11, "ended_by_caller")    /* hr_govern_break_ended */            \
    X(HR_GREASON_POWER_CAP, 12, "power_cap")                /* WARN: power-cap reason onset */     \
    X(HR_GREASON_RELEARN, 13, "relearn")                    /* WARN: baseline re-learned */        \
    X(HR_GREASON_BASELINE, 14, "baseline")                  /* WARN: baseline learned or lowered */\
    X(HR_GREASON_STILL_HOT, 15, "still_hot")                /* WARN: hot after a max break */   \
    X(HR_GREASON_PLATEAU, 16, "plateau")                    /* RESUME: stopped cooling, not hot */

typedef enum hr_govern_reason {
#define HR__GREASON_ENUM(name, num, id) name = num,
    HR_GOVERN_REASON_MAP(HR__GREASON_ENUM)
#undef HR__GREASON_ENUM
        HR_GREASON_LAST
} hr_govern_reason;

/* Time-throttled categories in hr_govern_stats.throttled_s. */
typedef enum hr_govern_throttle {
    HR_GTHROTTLE_GPU_THERMAL = 0,     /* NVML SW or HW thermal (0x8 near the limit) */
    HR_GTHROTTLE_GPU_POWER = 1,       /* NVML power cap / power brake (reported, not cooled) */
    HR_GTHROTTLE_GPU_HW_SLOWDOWN = 2, /* NVML 0x8 away from the thermal limit */
    HR_GTHROTTLE_CPU_HOT = 3,         /* CPU at or above its pause level */
    HR_GTHROTTLE_PRESSURE = 4,        /* macOS thermal pressure at or above pressure_pause */
    HR_GTHROTTLE_SLOWDOWN = 5,        /* timing: step time of steps at or above threshold */
    HR_GTHROTTLE_COUNT = 6
} hr_govern_throttle;

/* Every knob of every policy. Start from hr_govern_config_defaults, change
 * what you need. `size` is sizeof(hr_govern_config) as the caller was built;
 * fields past it take their defaults. Defaults in parentheses; where each
 * comes from is in docs/GOVERNOR.md. */
typedef struct hr_govern_config {
    size_t size;
    int32_t policy; /* hr_govern_policy (HR_POLICY_AUTO) */
    int32_t reserved0;

    /* timing (also used by batch, and by every policy for the statistics) */
    double baseline_s_per_unit; /* > 0: given baseline; 0: learned (0) */
    uint32_t learn_steps;       /* steps (with units > 0) the learned baseline needs (5) */
    uint32_t window;            /* recent steps in the slowdown statistic (5) */
    double learn_quantile;      /* the learned baseline: this unit-weighted quantile (0.25) */
    double min_evidence_units;  /* units the window must hold before it can trigger (5) */
    double threshold;           /* slowdown ratio that triggers a break, > 1 (1.5) */
    double critical;            /* one step's ratio that triggers a critical break (3.0) */
    double break_s;             /* timing break (5) */
    double critical_break_s;    /* critical break (120) */
    double max_break_s;         /* longest break of any kind, sensor breaks included (300) */
    double rest_ratio;          /* a timing break lasts at least this x the time of slow steps
                                 * since the previous break (0.25; 0 off) */
    double break_growth;        /* a break after an ineffective one is this much longer (2; 1 fixed) */
    uint32_t relearn_breaks;    /* ineffective max_break_s breaks in a row before re-learning
                                 * (1; 0 never) */
    uint32_t reserved1;
    double relearn_fast_ratio; /* learned baseline lowered below this x baseline (0.8; 0 never) */

    /* batch */
    uint32_t batch_size; /* steps between batch breaks (10; 0: not by steps) */
    uint32_t reserved2;
    double batch_units;   /* units between batch breaks (0: not by units) */
    double batch_break_s; /* batch break (60) */

    /* sensor */
    double gpu_pause_margin_c;     /* pause when margin to slowdown <= this (3) */
    double gpu_resume_margin_c;    /* GPU cool when margin >= this (6) */
    double gpu_pause_temp_c;       /* > 0: also pause when GPU temp >= this (0: off) */
    double gpu_resume_temp_c;      /* with gpu_pause_temp_c: GPU cool when temp <= this (0) */
    double near_limit_margin_c;    /* near_reasons_mask bits pause when margin <= this (3) */
    uint64_t thermal_reasons_mask; /* NVML bits that pause (HR_THROTTLE_HW_THERMAL) */
    uint64_t near_reasons_mask;    /* NVML bits that pause only near the limit
                                    * (HR_THROTTLE_SW_THERMAL | HR_THROTTLE_HW_SLOWDOWN) */
    uint64_t power_reasons_mask;   /* NVML bits reported, never cooled (HR_THROTTLE_POWER_MASK) */
    double cpu_pause_margin_c;     /* pause when CPU temp >= crit - this (5) */
    double cpu_resume_margin_c;    /* CPU cool when temp <= crit - this (10) */
    int32_t pressure_pause;        /* hr_thermal_pressure that pauses (HR_THERMAL_HEAVY) */
    int32_t pressure_resume;       /* hr_thermal_pressure that is cool (HR_THERMAL_NOMINAL) */
    double min_break_s;            /* a sensor break lasts at least this long (0) */
    double plateau_s;              /* a sensor break also ends when no hot group has cooled by
                                    * plateau_c for this long and none is hot (5; 0 off) */
    double plateau_c;              /* degrees (pressure: levels) that count as cooling (1) */
    double rearm_after_max_s;      /* after a max-break resume, no sensor pause for this long (60) */
    double stale_s;                /* a sample older than this is not evidence (10) */

    /* timing, added in 0.2 (fields past a caller's `size` take defaults) */
    double critical_evidence_units; /* units in consecutive steps at or above critical that
                                     * call a critical break (2; 1: any one step) */
} hr_govern_config;

/* One sensor sample, in hr_reading form (unknown is never 0). Build it from
 * a probe with hr_govern_sensors_from_probe, or by hand (tests, simulators).
 * A zeroed struct is all-unknown (HR_WHY_NOT_READ). */
typedef struct hr_govern_sensors {
    int64_t t_ns;                    /* CLOCK_MONOTONIC of the sample */
    int32_t gpu_index;               /* the GPU the gpu_* fields came from; -1 none */
    int32_t reserved;
    hr_reading gpu_temp_mc;          /* GPU temperature */
    hr_reading gpu_temp_slowdown_mc; /* where the driver starts slowing clocks */
    hr_reading gpu_temp_margin_mc;   /* distance to the slowdown threshold (NVML margin) */
    hr_reading gpu_throttle_reasons; /* NVML HR_THROTTLE_* bits now active */
    hr_reading cpu_temp_mc;          /* best CPU temperature */
    hr_reading cpu_temp_crit_mc;     /* its critical limit or trip point */
    hr_reading thermal_pressure;     /* hr_thermal_pressure (macOS) */
} hr_govern_sensors;

/* One decision. */
typedef struct hr_govern_decision {
    int32_t action; /* hr_govern_action */
    int32_t reason; /* hr_govern_reason */
    int32_t policy; /* the policy that decided: timing, batch or sensor (auto resolved) */
    int32_t critical; /* 1 for a critical break */
    double pause_s;   /* PAUSE: the break's planned length (sensor: max_break_s, it may end
                       * sooner with RESUME); RESUME: how long the break lasted; else 0 */
    double ratio;     /* timing decisions: the slowdown ratio behind it; else NAN */
    char text[192];   /* in words: "GPU 87 °C, HW thermal slowdown",
                       * "step 2.1x baseline (threshold 1.5)"; "" for a plain CONTINUE */
} hr_govern_decision;

/* Statistics since hr_govern_new. Times in seconds; NAN where unknown. */
typedef struct hr_govern_stats {
    size_t size;
    int32_t policy;        /* configured policy */
    int32_t active_policy; /* what auto resolves to now (timing or sensor); else = policy */
    int32_t paused;        /* 1 while a break is on */
    int32_t break_reason;  /* hr_govern_reason of the break on; HR_GREASON_NONE when none */
    int64_t break_start_ns;  /* when the break on began; 0 when none */
    int64_t break_until_ns;  /* when it ends at the latest; 0 when none */
    uint64_t steps;          /* steps fed */
    double units;            /* units of work done */
    double wall_s;           /* from the first input's time (a step's start) to the latest */
    double productive_s;     /* sum of step durations, time paused inside a step excluded */
    uint64_t breaks;         /* breaks taken, all kinds (the one on included) */
    uint64_t critical_breaks;
    uint64_t batch_breaks;
    uint64_t sensor_breaks;
    double break_total_s;        /* time in breaks (the one on, up to the latest input) */
    double baseline_s_per_unit;  /* current baseline; NAN until learned */
    int32_t baseline_learned;    /* 1 learned, 0 given or not yet */
    int32_t relearns;            /* times the baseline was re-learned or lowered */
    double ideal_s;              /* units x baseline: the job's time with no throttling */
    double throttle_loss_s;      /* sum over steps of max(0, d - baseline x u) */
    double efficiency;           /* ideal_s / wall_s (NAN without baseline or wall time) */
    double throttled_s[HR_GTHROTTLE_COUNT]; /* time per hr_govern_throttle category */
    double last_ratio;           /* latest step's x / baseline; NAN when unknown */
} hr_govern_stats;

typedef struct hr_governor hr_governor;

/* Fills C with the defaults (including c->size). */
HR_EXTERN void hr_govern_config_defaults(hr_govern_config *c);

/* Checks every field of C. Returns HR_OK, or HR_EINVAL with WHY (capacity
 * CAP, may be NULL) set to e.g. "threshold: must be > 1 (got 0.9)". */
HR_EXTERN hr_status hr_govern_config_validate(const hr_govern_config *c, char *why, size_t cap);

/* Creates a governor. C may be NULL for the defaults. Returns HR_OK,
 * HR_EINVAL (out NULL or C invalid) or HR_ENOMEM. */
HR_EXTERN hr_status hr_govern_new(const hr_govern_config *c, hr_governor **out);

/* Frees the governor. NULL is allowed. */
HR_EXTERN void hr_govern_free(hr_governor *g);

/* A step of the job finished at T_NS after DURATION_S seconds, having done
 * UNITS units of work (images, denoising steps, batches: whatever the job
 * counts; 0 means no work to compare, e.g. an evaluation pass). Time the
 * governor held the job paused inside [T_NS - DURATION_S, T_NS] is not
 * counted as step time. A step fed during a break is counted in the
 * statistics but is not evidence. OUT gets CONTINUE, PAUSE (timing, batch)
 * or WARN (baseline learned, lowered or re-learned). Returns HR_OK, or
 * HR_EINVAL (NULL, negative or non-finite numbers, time going backwards)
 * with nothing changed. */
HR_EXTERN hr_status hr_govern_step(hr_governor *g, int64_t t_ns, double duration_s, double units,
                                   hr_govern_decision *out);

/* A sensor sample. OUT gets CONTINUE, PAUSE (sensor), RESUME (sensor break
 * over: every hot group cool, or max break) or WARN (power-cap onset, still
 * hot after a max break). Under timing, batch and off the sample only feeds
 * the statistics. Returns HR_OK or HR_EINVAL (NULL, time going backwards). */
HR_EXTERN hr_status hr_govern_sample(hr_governor *g, const hr_govern_sensors *s,
                                     hr_govern_decision *out);

/* Time passes. OUT gets RESUME when the break's planned length or the
 * maximum break is reached at T_NS, else CONTINUE. Call it often (each
 * sampling tick) while paused. Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_govern_tick(hr_governor *g, int64_t t_ns, hr_govern_decision *out);

/* The caller ended the break at T_NS (the user interrupted it, the job
 * exited, a cooperating job finished its own sleep). Returns HR_OK,
 * HR_EINVAL, or HR_ESTATE when no break is on. */
HR_EXTERN hr_status hr_govern_break_ended(hr_governor *g, int64_t t_ns);

/* Fills OUT (out->size is set by the call). Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_govern_stats_get(const hr_governor *g, hr_govern_stats *out);

/* Fills OUT from a probe's latest read: the GPU with the least thermal
 * margin (or, without margins, the hottest; lost GPUs skipped) gives the
 * gpu_* fields and gpu_index; CPU temperature and limit and thermal pressure
 * come from p->cpu and p->mem. Readings absent from the probe stay unknown.
 * P may be NULL (all unknown). */
HR_EXTERN void hr_govern_sensors_from_probe(const hr_probe *p, int64_t t_ns,
                                            hr_govern_sensors *out);

/* Names: "auto", "timing", "batch", "sensor", "off"; "slowdown", "cooled",
 * ...; "continue", "pause", "resume", "warn". Never NULL ("unknown"). */
HR_EXTERN const char *hr_govern_policy_name(int policy);
HR_EXTERN const char *hr_govern_reason_name(int reason);
HR_EXTERN const char *hr_govern_action_name(int action);

/* Parses a policy name (as above). Returns HR_OK or HR_EINVAL. */
HR_EXTERN hr_status hr_govern_policy_from_name(const char *name, hr_govern_policy *out);

#ifdef __cplusplus
}
#endif

#endif /* HR_GOVERN_H */

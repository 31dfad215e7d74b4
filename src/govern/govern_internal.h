/* govern_internal.h: the governor's state, shared by the files of src/govern.
 *
 * governor.c  the public entry points, breaks, time accounting, statistics
 * timing.c    baseline, slowdown window, timing and batch decisions
 * sensor.c    sensor groups, hysteresis, throttle-time accounting
 * probe.c     hr_govern_sensors_from_probe
 * config.c    defaults, validation, names */
#ifndef HR_GOVERN_INTERNAL_H
#define HR_GOVERN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_govern.h"

/* Most steps the learning buffer and the slowdown window hold; the
 * config's learn_steps and window are validated against these. */
#define HR__GOV_MAX_LEARN 64
#define HR__GOV_MAX_WINDOW 64
/* Break intervals kept to subtract paused time from steps that span them. */
#define HR__GOV_PAUSES 8

/* One observation: seconds per unit and the units behind it (its weight). */
typedef struct hr__gov_obs {
    double x_s; /* seconds per unit */
    double u;   /* units */
} hr__gov_obs;

/* A sensor group's reading against its hysteresis levels. */
typedef enum hr__gov_verdict {
    HR__V_UNKNOWN = 0, /* no usable input: neither hot nor cool */
    HR__V_COOL = 1,    /* at or past the resume level */
    HR__V_MID = 2,     /* between the levels */
    HR__V_HOT = 3      /* at or past the pause level */
} hr__gov_verdict;

enum { HR__G_GPU = 0, HR__G_CPU = 1, HR__G_PRESSURE = 2, HR__G_COUNT = 3 };

/* One sample judged: a verdict per group, what it says in words, and the
 * throttle categories it shows. */
typedef struct hr__gov_judged {
    int verdict[HR__G_COUNT];
    char text[HR__G_COUNT][96];
    double level[HR__G_COUNT]; /* how hot, higher hotter: -margin, temperature, pressure */
    int have_level[HR__G_COUNT];
    uint32_t categories; /* bit (1 << hr_govern_throttle) */
    int power_cap;       /* power-cap reasons active */
    int pausing_reason;  /* a GPU reason that pauses is active */
} hr__gov_judged;

struct hr_governor {
    hr_govern_config c;

    /* Time: the first input's time (a step's start) and the latest input. */
    int have_time;
    int64_t t_first_ns;
    int64_t t_last_ns;

    /* Baseline (seconds per unit). learning: collecting learn[]. */
    double baseline_s;
    int baseline_learned;
    int learning;
    hr__gov_obs learn[HR__GOV_MAX_LEARN];
    uint32_t nlearn;
    int32_t relearns;

    /* Slowdown window: the latest steps, oldest first. */
    hr__gov_obs win[HR__GOV_MAX_WINDOW];
    uint32_t nwin;

    /* Escalation and re-learning: the latest timing break's length, and
     * ineffective breaks of max_break_s in a row. */
    double last_break_len_s;
    uint32_t ineffective_max;
    int good_since_break;   /* a step ran under the threshold since the latest timing break */
    double critical_run_units; /* units of the latest consecutive steps at or above critical */
    int faster_since_break; /* ... or at least 10 % faster than the evidence that caused it */
    int timing_break_seen;
    double trigger_ratio;     /* the statistic that caused the latest timing break */
    double work_since_break_s; /* time of slow steps (>= threshold) since the latest break */

    /* Batch counters since the latest break. */
    uint64_t batch_steps;
    double batch_units;

    /* The break on, if any. */
    int paused;
    int32_t break_reason;
    int32_t break_policy;
    int break_critical;
    int64_t break_start_ns;
    int64_t break_until_ns;
    uint32_t hot_groups; /* sensor groups seen hot during this break */
    double coolest[HR__G_COUNT]; /* lowest level of each hot group during this break */
    int64_t improved_ns;         /* when a hot group last cooled by plateau_c */
    int64_t rearm_until_ns; /* after a max-break resume: no sensor pause before this */
    int still_hot_warned;

    /* Recent breaks [start, end] (end INT64_MAX while on), newest last. */
    int64_t pause_iv[HR__GOV_PAUSES][2];
    uint32_t npause;

    /* Sensors: the latest sample's judgement and time. */
    int have_sample;
    int64_t sample_ns;
    int usable;          /* the latest sample has a usable thermal input */
    uint32_t categories; /* its throttle categories */
    int power_cap;       /* its power-cap state (for onset warnings) */
    hr__gov_judged last;

    /* Statistics. */
    uint64_t steps;
    double units;
    double productive_s;
    uint64_t breaks, critical_breaks, batch_breaks, sensor_breaks;
    double break_done_s; /* ended breaks */
    double ideal_s;
    double loss_s;
    double throttled_s[HR_GTHROTTLE_COUNT];
    double last_ratio;
};

/* config.c: copies SRC (NULL: defaults) over the defaults up to src->size.
 * Returns HR_OK or HR_EINVAL with WHY. */
hr_status hr__govern_config_load(hr_govern_config *dst, const hr_govern_config *src, char *why,
                                 size_t cap);

/* governor.c */
void hr__gov_decision_init(hr_govern_decision *d);
void hr__gov_say(hr_govern_decision *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The policy acting now: auto resolved at time T_NS. */
int hr__gov_active_policy(const hr_governor *g, int64_t t_ns);
/* Starts a break at T_NS of LENGTH_S; fills D with the PAUSE. */
void hr__gov_break_start(hr_governor *g, int64_t t_ns, int32_t reason, int32_t policy,
                         double length_s, int critical, hr_govern_decision *d);
/* Ends the break on at T_NS for REASON; fills D (may be NULL) with the RESUME. */
void hr__gov_break_end(hr_governor *g, int64_t t_ns, int32_t reason, hr_govern_decision *d);

/* timing.c */
/* Feeds one step's seconds per unit X_S over U units (u > 0) while not
 * paused; D gets PAUSE / WARN or stays CONTINUE. */
void hr__gov_timing_step(hr_governor *g, int64_t t_ns, double x_s, double u, int decide,
                         hr_govern_decision *d);
/* Accounts a step's ideal time and loss (with the baseline known). */
void hr__gov_timing_account(hr_governor *g, double x_s, double u);
/* Counts a step toward the batch and pauses at the boundary. */
void hr__gov_batch_step(hr_governor *g, int64_t t_ns, double u, hr_govern_decision *d);
/* A break cleared the evidence. */
void hr__gov_timing_clear(hr_governor *g);
/* Unit-weighted quantile Q (0.5: the median) of N observations. */
double hr__gov_wquantile(const hr__gov_obs *obs, uint32_t n, double q);
double hr__gov_wmedian(const hr__gov_obs *obs, uint32_t n);

/* sensor.c */
void hr__gov_judge(const hr_govern_config *c, const hr_govern_sensors *s, hr__gov_judged *out);

/* 1 when J's only usable group is thermal pressure (macOS without a
 * temperature that has a known limit). */
int hr__gov_pressure_only(const hr__gov_judged *j);
/* Accounts throttle time up to T_NS and stores the new judgement. */
void hr__gov_sensor_account(hr_governor *g, int64_t t_ns, const hr__gov_judged *j);
/* Sensor decisions for a judged sample at T_NS. */
void hr__gov_sensor_decide(hr_governor *g, int64_t t_ns, const hr__gov_judged *j,
                           hr_govern_decision *d);
/* "GPU 87 °C, HW thermal slowdown; CPU ..." for the groups in MASK. */
void hr__gov_hot_text(const hr__gov_judged *j, uint32_t mask, char *buf, size_t cap);

#endif /* HR_GOVERN_INTERNAL_H */

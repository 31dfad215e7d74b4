/* thermal_sim.h: a thermal simulator for the governor (tests and bench only).
 *
 * Model (docs/GOVERNOR.md, "The simulator"): two RC nodes, the die on a
 * chassis/heat sink, the chassis to ambient air:
 *
 *   tau_die     dTd/dt = Tc + R_die P - Td
 *   tau_chassis dTc/dt = Ta + R_chassis (Td - Tc) / R_die - Tc   (heat in from the die)
 *
 * Power P = p_idle + p_dyn f^3 while the job runs at clock fraction f
 * (voltage follows frequency), p_idle while it is paused. DVFS: f = 1 up to
 * t_soft, falling linearly to f_min over dvfs_band_c degrees and staying
 * there up to t_hard (the DVFS controller holds its target while it can).
 * Emergency throttle: at t_hard
 * the firmware clamps the job to emerg_s_per_unit until the die is back
 * under emerg_release_c. The job does `units` units of work at
 * s_per_unit / f seconds per unit, reported every units_per_step units.
 *
 * Controllers: none; the governor (as `headroom run` drives it: steps,
 * samples and ticks, pauses freeze the job mid-step); the seed's
 * BatchThermalManager (as its guide uses it: per image, before each image);
 * a fixed duty cycle (work W s, rest R s). */
#ifndef HR_TESTS_THERMAL_SIM_H
#define HR_TESTS_THERMAL_SIM_H

#include "headroom/hr_govern.h"

typedef struct hr_sim_params {
    double ambient_c;         /* Ta */
    double r_die_c_per_w;     /* die to chassis */
    double r_chassis_c_per_w; /* chassis to air */
    double tau_die_s;
    double tau_chassis_s;
    double p_idle_w;  /* paused or idle */
    double p_dyn_w;   /* dynamic power at full clock */
    double t_soft_c;  /* DVFS target: clocks start falling here */
    double dvfs_band_c; /* ... and reach f_min this many degrees above it */
    double t_hard_c;  /* emergency throttle */
    double emerg_release_c;
    double f_min;            /* DVFS floor (clock fraction) */
    double s_per_unit;       /* nominal seconds per unit at full clock */
    double emerg_s_per_unit; /* while in emergency */
    unsigned units;          /* job size */
    unsigned units_per_step; /* units per reported step (1: per denoising step) */
    unsigned units_per_image;
    double jitter;            /* each unit's work varies by up to +-jitter (0.05) */
    unsigned spike_every;     /* every Nth unit takes spike_factor x the work (0: none) */
    double spike_factor;
    double dt_s;              /* integration step */
    double sample_period_s;   /* sensor samples and ticks */
    double max_time_s;        /* give up after this long */
} hr_sim_params;

typedef enum hr_sim_sensors {
    HR_SIM_SENSORS_NONE = 0,   /* timing only */
    HR_SIM_SENSORS_NVIDIA = 1, /* temperature, slowdown limit, margin, NVML reasons */
    HR_SIM_SENSORS_APPLE = 2   /* macOS thermal pressure only */
} hr_sim_sensors;

/* The seed's BatchThermalManager (docs/seed-behaviour.md 1). */
typedef struct hr_sim_seed {
    double baseline_s;     /* baseline_time_per_step (4.5 in the guide) */
    double threshold;      /* throttle_threshold (1.3) */
    double cooling_s;      /* cooling_duration (30) */
    unsigned window;       /* window_size (5) */
    unsigned batch_size;   /* images (10) */
    double batch_break_s;  /* batch_cooling_duration (60) */
    int per_unit;          /* 0: fed per-image time as the guide does (unit bug); 1: per unit */
} hr_sim_seed;

typedef struct hr_sim_result {
    int finished;       /* 1 when every unit was done within max_time_s */
    double finish_s;    /* time the last unit finished */
    double units;       /* units done */
    int emergency;      /* 1 if the emergency throttle was ever reached */
    double emergency_s; /* time spent in it */
    double peak_die_c;
    double paused_s;    /* time the job was held */
    unsigned breaks;
    double work_s;       /* duty cycle found by hr_sim_best_duty */
    double rest_s;
} hr_sim_result;

void hr_sim_params_default(hr_sim_params *p);
void hr_sim_seed_default(hr_sim_seed *s);

/* Each returns 0, or -1 when the governor could not be created. */
int hr_sim_run_none(const hr_sim_params *p, hr_sim_result *r);
int hr_sim_run_governor(const hr_sim_params *p, const hr_govern_config *c, hr_sim_sensors sensors,
                        hr_sim_result *r, hr_govern_stats *stats);
int hr_sim_run_seed(const hr_sim_params *p, const hr_sim_seed *s, hr_sim_result *r);
int hr_sim_run_duty(const hr_sim_params *p, double work_s, double rest_s, hr_sim_result *r);

/* Searches work W and rest R on a grid (W 10..600 s, R 5..300 s) for the
 * earliest finish without the emergency throttle; fills R with that run and
 * its W, R. Returns 0, or -1 when no grid point avoids the emergency. */
int hr_sim_best_duty(const hr_sim_params *p, hr_sim_result *r);

/* The comparison table: every controller on the same scenario. */
typedef enum hr_sim_row_id {
    HR_SIM_ROW_NONE = 0,      /* no policy */
    HR_SIM_ROW_SEED,          /* the seed as its guide uses it (per-image time, unit bug) */
    HR_SIM_ROW_SEED_UNITS,    /* the seed fed seconds per unit (its bug fixed) */
    HR_SIM_ROW_TIMING,        /* headroom timing, defaults */
    HR_SIM_ROW_BATCH,         /* headroom batch: 10 images (batch_units), 60 s */
    HR_SIM_ROW_SENSOR_NVIDIA, /* headroom sensor: temperature, margin, NVML reasons */
    HR_SIM_ROW_SENSOR_APPLE,  /* headroom sensor: macOS thermal pressure only */
    HR_SIM_ROW_AUTO_NVIDIA,   /* headroom auto with NVML-like sensors */
    HR_SIM_ROW_AUTO_APPLE,    /* headroom auto with macOS thermal pressure only (+ timing) */
    HR_SIM_ROW_AUTO_NONE,     /* headroom auto without sensors */
    HR_SIM_ROW_DUTY,          /* the best fixed duty cycle (grid search) */
    HR_SIM_ROWS
} hr_sim_row_id;

typedef struct hr_sim_row {
    const char *name;
    hr_sim_result r;
    int ok; /* 0 when the run could not be made */
} hr_sim_row;

/* Runs every row on P. Returns 0, or -1 when a row could not be run. */
int hr_sim_compare(const hr_sim_params *p, hr_sim_row rows[HR_SIM_ROWS]);

#endif /* HR_TESTS_THERMAL_SIM_H */

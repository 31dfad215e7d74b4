/* governor.c: the governor's public entry points, its breaks and its
 * statistics. Pure: no I/O, no clock; time comes with every input. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "govern/govern_internal.h"

#define NS_PER_S 1e9

static double ns_to_s(int64_t ns) {
    return (double)ns / NS_PER_S;
}

/* Seconds to nanoseconds, saturating so that a day-long break cannot wrap. */
static int64_t s_to_ns(double s) {
    double ns = s * NS_PER_S;
    if (ns >= 9.0e18)
        return INT64_MAX / 2;
    return (int64_t)llround(ns);
}

void hr__gov_decision_init(hr_govern_decision *d) {
    memset(d, 0, sizeof *d);
    d->action = HR_GOVERN_CONTINUE;
    d->reason = HR_GREASON_NONE;
    d->ratio = NAN;
}

void hr__gov_say(hr_govern_decision *d, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->text, sizeof d->text, fmt, ap);
    va_end(ap);
}

hr_status hr_govern_new(const hr_govern_config *c, hr_governor **out) {
    if (!out)
        return HR_EINVAL;
    *out = NULL;
    if (c && hr_govern_config_validate(c, NULL, 0) != HR_OK)
        return HR_EINVAL;
    hr_governor *g = calloc(1, sizeof *g);
    if (!g)
        return HR_ENOMEM;
    hr__govern_config_load(&g->c, c, NULL, 0);
    if (g->c.baseline_s_per_unit > 0) {
        g->baseline_s = g->c.baseline_s_per_unit;
    } else {
        g->baseline_s = NAN;
        g->learning = 1;
    }
    g->break_reason = HR_GREASON_NONE;
    g->last_ratio = NAN;
    *out = g;
    return HR_OK;
}

void hr_govern_free(hr_governor *g) {
    free(g);
}

int hr__gov_active_policy(const hr_governor *g, int64_t t_ns) {
    if (g->c.policy != HR_POLICY_AUTO)
        return g->c.policy;
    if (g->have_sample && g->usable && ns_to_s(t_ns - g->sample_ns) <= g->c.stale_s)
        return HR_POLICY_SENSOR;
    return HR_POLICY_TIMING;
}

/* Inputs come in time order; equal times are allowed. Monotonic time is
 * never negative, and keeping it so keeps every difference in range. */
static int time_ok(const hr_governor *g, int64_t t_ns) {
    return t_ns >= 0 && t_ns <= INT64_MAX / 4 && (!g->have_time || t_ns >= g->t_last_ns);
}

static void note_time(hr_governor *g, int64_t start_ns, int64_t end_ns) {
    if (!g->have_time) {
        g->have_time = 1;
        g->t_first_ns = start_ns;
        g->t_last_ns = end_ns;
        return;
    }
    if (start_ns < g->t_first_ns)
        g->t_first_ns = start_ns;
    if (end_ns > g->t_last_ns)
        g->t_last_ns = end_ns;
}

void hr__gov_break_start(hr_governor *g, int64_t t_ns, int32_t reason, int32_t policy,
                         double length_s, int critical, hr_govern_decision *d) {
    g->paused = 1;
    g->break_reason = reason;
    g->break_policy = policy;
    g->break_critical = critical;
    g->break_start_ns = t_ns;
    g->break_until_ns = t_ns + s_to_ns(length_s);
    g->hot_groups = 0;
    g->still_hot_warned = 0;
    g->breaks++;
    if (critical)
        g->critical_breaks++;
    if (reason == HR_GREASON_BATCH)
        g->batch_breaks++;
    if (policy == HR_POLICY_SENSOR)
        g->sensor_breaks++;
    /* A break clears the evidence that caused it, and restarts the batch. */
    hr__gov_timing_clear(g);
    g->work_since_break_s = 0;
    g->batch_steps = 0;
    g->batch_units = 0;
    if (g->npause == HR__GOV_PAUSES) {
        memmove(g->pause_iv[0], g->pause_iv[1], sizeof g->pause_iv[0] * (HR__GOV_PAUSES - 1));
        g->npause--;
    }
    g->pause_iv[g->npause][0] = t_ns;
    g->pause_iv[g->npause][1] = INT64_MAX;
    g->npause++;
    d->action = HR_GOVERN_PAUSE;
    d->reason = reason;
    d->policy = policy;
    d->critical = critical;
    d->pause_s = length_s;
}

static const char *end_words(int32_t reason) {
    switch (reason) {
    case HR_GREASON_COOLED:
        return "cooled";
    case HR_GREASON_MAX_BREAK:
        return "maximum break reached";
    case HR_GREASON_PLATEAU:
        return "stopped cooling";
    case HR_GREASON_ENDED_BY_CALLER:
        return "ended by the caller";
    default:
        return "break over";
    }
}

void hr__gov_break_end(hr_governor *g, int64_t t_ns, int32_t reason, hr_govern_decision *d) {
    double len_s = ns_to_s(t_ns - g->break_start_ns);
    g->break_done_s += len_s;
    g->pause_iv[g->npause - 1][1] = t_ns;
    g->paused = 0;
    if (reason == HR_GREASON_MAX_BREAK && g->break_policy == HR_POLICY_SENSOR)
        g->rearm_until_ns = t_ns + s_to_ns(g->c.rearm_after_max_s);
    int32_t policy = g->break_policy;
    g->break_reason = HR_GREASON_NONE;
    g->break_until_ns = 0;
    if (!d)
        return;
    d->action = HR_GOVERN_RESUME;
    d->reason = reason;
    d->policy = policy;
    d->pause_s = len_s;
    if (policy == HR_POLICY_SENSOR && reason != HR_GREASON_ENDED_BY_CALLER) {
        char hot[160];
        hr__gov_hot_text(&g->last, g->hot_groups, hot, sizeof hot);
        hr__gov_say(d, "%s after %.0f s%s%s", end_words(reason), len_s, hot[0] ? ": " : "", hot);
    } else {
        hr__gov_say(d, "%s after %.0f s", end_words(reason), len_s);
    }
}

/* Ends the break when its time has come by T_NS. Breaks of the timing and
 * batch rules end at their planned length, sensor breaks at the maximum. */
static void expire(hr_governor *g, int64_t t_ns, int64_t end_ns, hr_govern_decision *d) {
    if (!g->paused || t_ns < g->break_until_ns)
        return;
    int32_t reason =
        g->break_policy == HR_POLICY_SENSOR ? HR_GREASON_MAX_BREAK : HR_GREASON_BREAK_DONE;
    hr__gov_break_end(g, end_ns, reason, d);
}

/* Time the governor held the job paused within [START_NS, END_NS]. */
static double paused_within(const hr_governor *g, int64_t start_ns, int64_t end_ns) {
    double s = 0;
    for (uint32_t i = 0; i < g->npause; i++) {
        int64_t a = g->pause_iv[i][0] > start_ns ? g->pause_iv[i][0] : start_ns;
        int64_t b = g->pause_iv[i][1] < end_ns ? g->pause_iv[i][1] : end_ns;
        if (b > a)
            s += ns_to_s(b - a);
    }
    return s;
}

/* Whether the step that ran from START_NS to END_NS did more than a tenth
 * of its WORK_S before a break that began inside it: its time then mixes the
 * heat that called the break with the cooling after it. (A step that merely
 * began as the previous one ended and the break started did not.) */
static int spans_break_start(const hr_governor *g, int64_t start_ns, int64_t end_ns,
                             double work_s) {
    for (uint32_t i = 0; i < g->npause; i++) {
        int64_t b = g->pause_iv[i][0];
        if (b > start_ns && b < end_ns && ns_to_s(b - start_ns) > 0.1 * work_s)
            return 1;
    }
    return 0;
}

static int step_args_ok(double duration_s, double units) {
    return isfinite(duration_s) && duration_s >= 0 && duration_s <= 1e9 && isfinite(units) &&
           units >= 0 && units <= 1e15;
}

hr_status hr_govern_step(hr_governor *g, int64_t t_ns, double duration_s, double units,
                         hr_govern_decision *out) {
    if (!g || !out || !step_args_ok(duration_s, units) || !time_ok(g, t_ns))
        return HR_EINVAL;
    hr__gov_decision_init(out);
    int64_t start_ns = t_ns - s_to_ns(duration_s);
    hr_govern_decision resumed;
    hr__gov_decision_init(&resumed);
    /* A break whose time passed before this step ended: the step ran after it. */
    expire(g, t_ns, g->paused ? g->break_until_ns : t_ns, &resumed);
    double work_s = duration_s - paused_within(g, start_ns, t_ns);
    if (work_s < 0)
        work_s = 0;
    g->steps++;
    g->units += units;
    g->productive_s += work_s;
    note_time(g, start_ns, t_ns);
    if (g->paused) {
        /* Output that reached the caller after the pause began: counted, not evidence. */
        if (units > 0)
            hr__gov_timing_account(g, work_s / units, units);
        return HR_OK;
    }
    int policy = hr__gov_active_policy(g, t_ns);
    /* auto on thermal pressure alone (macOS) also keeps the timing rule:
     * pressure levels are coarse and may come late (docs/GOVERNOR.md). */
    int decide = policy == HR_POLICY_TIMING || policy == HR_POLICY_BATCH ||
                 (policy == HR_POLICY_SENSOR && g->c.policy == HR_POLICY_AUTO &&
                  hr__gov_pressure_only(&g->last));
    /* A step a break cut in two is counted, but is no evidence for another. */
    if (spans_break_start(g, start_ns, t_ns, work_s))
        decide = 0;
    if (units > 0)
        hr__gov_timing_step(g, t_ns, work_s / units, units, decide, out);
    if (policy == HR_POLICY_BATCH && out->action != HR_GOVERN_PAUSE)
        hr__gov_batch_step(g, t_ns, units, out);
    /* A resume must reach the caller; only a new pause outranks it. */
    if (resumed.action == HR_GOVERN_RESUME && out->action != HR_GOVERN_PAUSE)
        *out = resumed;
    return HR_OK;
}

hr_status hr_govern_sample(hr_governor *g, const hr_govern_sensors *s, hr_govern_decision *out) {
    if (!g || !s || !out || !time_ok(g, s->t_ns))
        return HR_EINVAL;
    hr__gov_decision_init(out);
    int64_t t_ns = s->t_ns;
    hr__gov_judged j;
    hr__gov_judge(&g->c, s, &j);
    int onset = j.power_cap && !(g->have_sample && g->power_cap);
    hr__gov_sensor_account(g, t_ns, &j);
    note_time(g, t_ns, t_ns);
    expire(g, t_ns, t_ns, out);
    if (out->action == HR_GOVERN_CONTINUE && hr__gov_active_policy(g, t_ns) == HR_POLICY_SENSOR)
        hr__gov_sensor_decide(g, t_ns, &j, out);
    if (out->action == HR_GOVERN_CONTINUE && onset) {
        char hot[160];
        hr__gov_hot_text(&j, 1u << HR__G_GPU, hot, sizeof hot);
        out->action = HR_GOVERN_WARN;
        out->reason = HR_GREASON_POWER_CAP;
        out->policy = hr__gov_active_policy(g, t_ns);
        hr__gov_say(out, "%s (power cap: reported, not cooled)", hot);
    }
    return HR_OK;
}

hr_status hr_govern_tick(hr_governor *g, int64_t t_ns, hr_govern_decision *out) {
    if (!g || !out || !time_ok(g, t_ns))
        return HR_EINVAL;
    hr__gov_decision_init(out);
    note_time(g, t_ns, t_ns);
    expire(g, t_ns, t_ns, out);
    return HR_OK;
}

hr_status hr_govern_break_ended(hr_governor *g, int64_t t_ns) {
    if (!g || !time_ok(g, t_ns))
        return HR_EINVAL;
    if (!g->paused)
        return HR_ESTATE;
    note_time(g, t_ns, t_ns);
    hr__gov_break_end(g, t_ns, HR_GREASON_ENDED_BY_CALLER, NULL);
    return HR_OK;
}

hr_status hr_govern_stats_get(const hr_governor *g, hr_govern_stats *out) {
    if (!g || !out)
        return HR_EINVAL;
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->policy = g->c.policy;
    out->active_policy = hr__gov_active_policy(g, g->t_last_ns);
    out->paused = g->paused;
    out->break_reason = g->paused ? g->break_reason : HR_GREASON_NONE;
    out->break_start_ns = g->paused ? g->break_start_ns : 0;
    out->break_until_ns = g->paused ? g->break_until_ns : 0;
    out->steps = g->steps;
    out->units = g->units;
    out->wall_s = g->have_time ? ns_to_s(g->t_last_ns - g->t_first_ns) : 0;
    out->productive_s = g->productive_s;
    out->breaks = g->breaks;
    out->critical_breaks = g->critical_breaks;
    out->batch_breaks = g->batch_breaks;
    out->sensor_breaks = g->sensor_breaks;
    out->break_total_s = g->break_done_s;
    if (g->paused && g->t_last_ns > g->break_start_ns)
        out->break_total_s += ns_to_s(g->t_last_ns - g->break_start_ns);
    out->baseline_s_per_unit = g->baseline_s;
    out->baseline_learned = g->baseline_learned;
    out->relearns = g->relearns;
    int known = isfinite(g->baseline_s);
    out->ideal_s = known ? g->ideal_s : NAN;
    out->throttle_loss_s = known ? g->loss_s : NAN;
    out->efficiency = known && out->wall_s > 0 ? g->ideal_s / out->wall_s : NAN;
    memcpy(out->throttled_s, g->throttled_s, sizeof out->throttled_s);
    out->last_ratio = g->last_ratio;
    return HR_OK;
}

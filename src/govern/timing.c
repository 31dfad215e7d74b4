/* timing.c: the timing rule (seconds per unit against a baseline) and the
 * batch rule.
 *
 * Rules (docs/GOVERNOR.md):
 * - x = step time / units. The learned baseline is the unit-weighted
 *   learn_quantile (lower quartile) of x over the first learn_steps steps.
 * - ratio = x / baseline per step; the slowdown statistic is the
 *   unit-weighted median of x over the last `window` steps / baseline, and
 *   it may trigger once the window holds min_evidence_units units.
 * - Consecutive steps at or above `critical` holding
 *   critical_evidence_units units trigger a critical break at once; a lone
 *   1-unit spike (a checkpoint save, an evaluation) is not heat.
 * - A break is ineffective when no step ran under the threshold between it
 *   and the next trigger; the next break is then break_growth times longer
 *   (up to max_break_s). relearn_breaks ineffective breaks of max_break_s
 *   in a row: the slowdown is not thermal; learn the baseline again.
 * - A learned baseline is lowered to the window's median when a full window
 *   runs below relearn_fast_ratio x baseline. */
#include <math.h>
#include <string.h>

#include "govern/govern_internal.h"

/* The smallest x whose cumulative weight reaches q of the total; when it
 * lands exactly on a boundary, the mean of the two values there (so that
 * the median of an even count of equal weights is the usual one). */
double hr__gov_wquantile(const hr__gov_obs *obs, uint32_t n, double q) {
    hr__gov_obs v[HR__GOV_MAX_LEARN > HR__GOV_MAX_WINDOW ? HR__GOV_MAX_LEARN : HR__GOV_MAX_WINDOW];
    if (n == 0 || n > sizeof v / sizeof v[0])
        return NAN;
    memcpy(v, obs, n * sizeof *v);
    double total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += v[i].u;
        /* Insertion sort by x: n is at most 64. */
        for (uint32_t k = i; k > 0 && v[k - 1].x_s > v[k].x_s; k--) {
            hr__gov_obs t = v[k - 1];
            v[k - 1] = v[k];
            v[k] = t;
        }
    }
    double target = total * q, cum = 0;
    for (uint32_t i = 0; i < n; i++) {
        cum += v[i].u;
        if (fabs(cum - target) <= 1e-9 * total && i + 1 < n)
            return (v[i].x_s + v[i + 1].x_s) / 2;
        if (cum >= target)
            return v[i].x_s;
    }
    return v[n - 1].x_s;
}

double hr__gov_wmedian(const hr__gov_obs *obs, uint32_t n) {
    return hr__gov_wquantile(obs, n, 0.5);
}

void hr__gov_timing_clear(hr_governor *g) {
    g->nwin = 0;
    g->critical_run_units = 0;
}

void hr__gov_timing_account(hr_governor *g, double x_s, double u) {
    if (g->learning || !isfinite(g->baseline_s))
        return;
    double b = g->baseline_s;
    g->ideal_s += b * u;
    if (x_s > b)
        g->loss_s += (x_s - b) * u;
    g->last_ratio = x_s / b;
    if (g->last_ratio >= g->c.threshold)
        g->throttled_s[HR_GTHROTTLE_SLOWDOWN] += x_s * u;
}

static double window_units(const hr_governor *g) {
    double u = 0;
    for (uint32_t i = 0; i < g->nwin; i++)
        u += g->win[i].u;
    return u;
}

static void window_push(hr_governor *g, double x_s, double u) {
    if (g->nwin == g->c.window) {
        memmove(&g->win[0], &g->win[1], sizeof g->win[0] * (g->nwin - 1));
        g->nwin--;
    }
    g->win[g->nwin].x_s = x_s;
    g->win[g->nwin].u = u;
    g->nwin++;
}

/* Learning: collect, and once there are learn_steps steps, take the median. */
static void learn_step(hr_governor *g, double x_s, double u, hr_govern_decision *d) {
    if (g->nlearn < HR__GOV_MAX_LEARN) {
        g->learn[g->nlearn].x_s = x_s;
        g->learn[g->nlearn].u = u;
        g->nlearn++;
    }
    if (g->nlearn < g->c.learn_steps)
        return;
    int again = isfinite(g->baseline_s);
    g->baseline_s = hr__gov_wquantile(g->learn, g->nlearn, g->c.learn_quantile);
    g->baseline_learned = 1;
    g->learning = 0;
    for (uint32_t i = 0; i < g->nlearn; i++)
        hr__gov_timing_account(g, g->learn[i].x_s, g->learn[i].u);
    g->nlearn = 0;
    d->action = HR_GOVERN_WARN;
    d->reason = HR_GREASON_BASELINE;
    hr__gov_say(d, "baseline %.3g s/unit, %slearned from %u steps", g->baseline_s,
                again ? "re-" : "", (unsigned)g->c.learn_steps);
}

/* The slowdown has outlived breaks of max_break_s: learn the baseline again. */
static void relearn(hr_governor *g, double ratio, hr_govern_decision *d) {
    double was = g->baseline_s;
    g->learning = 1;
    g->nlearn = 0;
    g->ineffective_max = 0;
    g->timing_break_seen = 0;
    g->relearns++;
    hr__gov_timing_clear(g);
    d->action = HR_GOVERN_WARN;
    d->reason = HR_GREASON_RELEARN;
    d->ratio = ratio;
    hr__gov_say(d,
                "%.0f s breaks did not bring steps under %.2gx (now %.2fx): "
                "re-learning the baseline (was %.3g s/unit)",
                g->c.max_break_s, g->c.threshold, ratio, was);
}

static void timing_pause(hr_governor *g, int64_t t_ns, int critical, double ratio,
                         hr_govern_decision *d) {
    double len = critical ? g->c.critical_break_s : g->c.break_s;
    double rest = g->c.rest_ratio * g->work_since_break_s;
    len = rest > len ? rest : len;
    if (g->timing_break_seen && !g->good_since_break) {
        /* The previous break did not bring the steps under the threshold. */
        double grown = g->last_break_len_s * g->c.break_growth;
        len = grown > len ? grown : len;
    }
    len = len > g->c.max_break_s ? g->c.max_break_s : len;
    /* A break of the maximum length after which no step ran faster at all:
     * cooling does not restore speed. */
    if (g->timing_break_seen && !g->faster_since_break && g->last_break_len_s >= g->c.max_break_s)
        g->ineffective_max++;
    else
        g->ineffective_max = 0;
    if (g->c.relearn_breaks && g->ineffective_max >= g->c.relearn_breaks) {
        relearn(g, ratio, d);
        return;
    }
    int policy = g->c.policy == HR_POLICY_BATCH ? HR_POLICY_BATCH : HR_POLICY_TIMING;
    hr__gov_break_start(g, t_ns, critical ? HR_GREASON_CRITICAL : HR_GREASON_SLOWDOWN, policy, len,
                        critical, d);
    g->timing_break_seen = 1;
    g->good_since_break = 0;
    g->faster_since_break = 0;
    g->trigger_ratio = ratio;
    g->last_break_len_s = len;
    d->ratio = ratio;
    if (critical)
        hr__gov_say(d, "step %.2gx baseline (critical %.2g): %.3g s/unit vs %.3g", ratio,
                    g->c.critical, ratio * g->baseline_s, g->baseline_s);
    else
        hr__gov_say(d, "steps %.2gx baseline (threshold %.2g): median %.3g s/unit vs %.3g", ratio,
                    g->c.threshold, ratio * g->baseline_s, g->baseline_s);
}

/* A learned baseline that the job now beats by a margin was learned warm. */
static void lower_baseline(hr_governor *g, double median_s, hr_govern_decision *d) {
    if (!g->baseline_learned || g->c.relearn_fast_ratio <= 0 || g->nwin < g->c.window)
        return;
    if (!(median_s < g->c.relearn_fast_ratio * g->baseline_s))
        return;
    double was = g->baseline_s;
    g->baseline_s = median_s;
    g->relearns++;
    d->action = HR_GOVERN_WARN;
    d->reason = HR_GREASON_BASELINE;
    hr__gov_say(d, "steps run faster than the baseline: lowered from %.3g to %.3g s/unit", was,
                median_s);
}

void hr__gov_timing_step(hr_governor *g, int64_t t_ns, double x_s, double u, int decide,
                         hr_govern_decision *d) {
    if (g->learning) {
        learn_step(g, x_s, u, d);
        return;
    }
    hr__gov_timing_account(g, x_s, u);
    double ratio = x_s / g->baseline_s;
    if (ratio >= g->c.threshold)
        g->work_since_break_s += x_s * u;
    if (ratio < g->c.threshold)
        g->good_since_break = 1;
    if (ratio < g->c.threshold || ratio <= 0.9 * g->trigger_ratio)
        g->faster_since_break = 1;
    window_push(g, x_s, u);
    g->critical_run_units = ratio >= g->c.critical ? g->critical_run_units + u : 0;
    if (decide && ratio >= g->c.critical &&
        g->critical_run_units >= g->c.critical_evidence_units) {
        timing_pause(g, t_ns, 1, ratio, d);
        return;
    }
    double median_s = hr__gov_wmedian(g->win, g->nwin);
    double stat = median_s / g->baseline_s;
    if (decide && window_units(g) >= g->c.min_evidence_units && stat >= g->c.threshold) {
        timing_pause(g, t_ns, 0, stat, d);
        return;
    }
    lower_baseline(g, median_s, d);
}

void hr__gov_batch_step(hr_governor *g, int64_t t_ns, double u, hr_govern_decision *d) {
    g->batch_steps++;
    g->batch_units += u;
    int by_steps = g->c.batch_size > 0 && g->batch_steps >= g->c.batch_size;
    int by_units = g->c.batch_units > 0 && g->batch_units >= g->c.batch_units;
    if (!by_steps && !by_units)
        return;
    uint64_t steps = g->batch_steps;
    double units = g->batch_units;
    hr__gov_break_start(g, t_ns, HR_GREASON_BATCH, HR_POLICY_BATCH, g->c.batch_break_s, 0, d);
    hr__gov_say(d, "batch of %llu steps (%.6g units) done", (unsigned long long)steps, units);
}

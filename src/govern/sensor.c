/* sensor.c: the sensor rule: each group (GPU, CPU, thermal pressure) is
 * judged HOT, MID, COOL or UNKNOWN against its hysteresis levels; any HOT
 * group pauses; a break ends when every group that was hot during it is
 * COOL (or at the maximum break, in governor.c). Unknown inputs never pause
 * and never resume. Throttle time is accounted per category, each sample's
 * state held until the next sample (at most stale_s). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "govern/govern_internal.h"

static const char *const pressure_words[] = {"nominal", "moderate", "heavy", "trapping",
                                             "sleeping"};

/* NVML reason bits in words, in the order they are listed. */
static const struct {
    uint64_t bit;
    const char *words;
} reason_words[] = {
    {HR_THROTTLE_HW_THERMAL, "HW thermal slowdown"}, {HR_THROTTLE_SW_THERMAL, "SW thermal slowdown"},
    {HR_THROTTLE_HW_SLOWDOWN, "HW slowdown"},        {HR_THROTTLE_HW_POWER_BRAKE, "HW power brake"},
    {HR_THROTTLE_SW_POWER_CAP, "SW power cap"},
};

static void append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t cap, const char *fmt, ...) {
    size_t n = strlen(buf);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

static int verdict_of(int hot, int cool) {
    return hot ? HR__V_HOT : cool ? HR__V_COOL : HR__V_MID;
}

/* The margin to the slowdown threshold in degrees: NVML's own, else
 * slowdown - temperature. Returns 0 when neither is known. */
static int gpu_margin(const hr_govern_sensors *s, double *m_c) {
    if (HR_IS_KNOWN(s->gpu_temp_margin_mc)) {
        *m_c = (double)s->gpu_temp_margin_mc.v / 1000.0;
        return 1;
    }
    if (HR_IS_KNOWN(s->gpu_temp_mc) && HR_IS_KNOWN(s->gpu_temp_slowdown_mc) &&
        s->gpu_temp_slowdown_mc.v > 0) {
        *m_c = (double)(s->gpu_temp_slowdown_mc.v - s->gpu_temp_mc.v) / 1000.0;
        return 1;
    }
    return 0;
}

static void gpu_text(const hr_govern_sensors *s, int have_m, double m_c, uint64_t shown, char *buf,
                     size_t cap) {
    buf[0] = '\0';
    if (HR_IS_KNOWN(s->gpu_temp_mc))
        append(buf, cap, "GPU %.0f \xc2\xb0" "C", (double)s->gpu_temp_mc.v / 1000.0);
    else
        append(buf, cap, "GPU");
    if (have_m)
        append(buf, cap, ", %.0f \xc2\xb0" "C below slowdown", m_c);
    for (size_t i = 0; i < sizeof reason_words / sizeof reason_words[0]; i++)
        if (shown & reason_words[i].bit)
            append(buf, cap, ", %s", reason_words[i].words);
}

static void judge_gpu(const hr_govern_config *c, const hr_govern_sensors *s, hr__gov_judged *j) {
    double m_c = 0;
    int have_m = gpu_margin(s, &m_c);
    int have_r = HR_IS_KNOWN(s->gpu_throttle_reasons);
    uint64_t bits = have_r ? (uint64_t)s->gpu_throttle_reasons.v : 0;
    int near = have_m && m_c <= c->near_limit_margin_c;
    /* Bits that pause: always (HW thermal), or only near the limit (SW
     * thermal is DVFS at work; 0x8 is also raised by power brakes). */
    uint64_t pausing = (bits & c->thermal_reasons_mask) | (near ? bits & c->near_reasons_mask : 0);
    uint64_t thermal_bits = bits & (HR_THROTTLE_THERMAL_MASK | c->thermal_reasons_mask);
    if ((bits & HR_THROTTLE_HW_SLOWDOWN) && near)
        thermal_bits |= HR_THROTTLE_HW_SLOWDOWN;
    uint64_t power_bits = bits & c->power_reasons_mask;
    if (thermal_bits)
        j->categories |= 1u << HR_GTHROTTLE_GPU_THERMAL;
    if (power_bits)
        j->categories |= 1u << HR_GTHROTTLE_GPU_POWER;
    if ((bits & HR_THROTTLE_HW_SLOWDOWN) && !(thermal_bits & HR_THROTTLE_HW_SLOWDOWN))
        j->categories |= 1u << HR_GTHROTTLE_GPU_HW_SLOWDOWN;
    j->power_cap = power_bits != 0;
    j->pausing_reason = pausing != 0;
    int have_t = c->gpu_pause_temp_c > 0 && HR_IS_KNOWN(s->gpu_temp_mc);
    double t_c = have_t ? (double)s->gpu_temp_mc.v / 1000.0 : 0;
    if (have_m) {
        j->level[HR__G_GPU] = -m_c;
        j->have_level[HR__G_GPU] = 1;
    } else if (HR_IS_KNOWN(s->gpu_temp_mc)) {
        j->level[HR__G_GPU] = (double)s->gpu_temp_mc.v / 1000.0;
        j->have_level[HR__G_GPU] = 1;
    }
    gpu_text(s, have_m, m_c, thermal_bits | power_bits | (bits & HR_THROTTLE_HW_SLOWDOWN),
             j->text[HR__G_GPU], sizeof j->text[HR__G_GPU]);
    if (!have_m && !have_r && !have_t) {
        j->verdict[HR__G_GPU] = HR__V_UNKNOWN;
        return;
    }
    int hot = pausing != 0 || (have_m && m_c <= c->gpu_pause_margin_c) ||
              (have_t && t_c >= c->gpu_pause_temp_c);
    int cool = (!have_m || m_c >= c->gpu_resume_margin_c) &&
               (!have_t || t_c <= c->gpu_resume_temp_c);
    j->verdict[HR__G_GPU] = verdict_of(hot, cool);
}

static void judge_cpu(const hr_govern_config *c, const hr_govern_sensors *s, hr__gov_judged *j) {
    char *buf = j->text[HR__G_CPU];
    size_t cap = sizeof j->text[HR__G_CPU];
    /* A critical limit at or below zero is not a limit: judge nothing. */
    if (!HR_IS_KNOWN(s->cpu_temp_mc) || !HR_IS_KNOWN(s->cpu_temp_crit_mc) ||
        s->cpu_temp_crit_mc.v <= 0) {
        j->verdict[HR__G_CPU] = HR__V_UNKNOWN;
        return;
    }
    double t_c = (double)s->cpu_temp_mc.v / 1000.0;
    double crit_c = (double)s->cpu_temp_crit_mc.v / 1000.0;
    j->level[HR__G_CPU] = t_c;
    j->have_level[HR__G_CPU] = 1;
    snprintf(buf, cap, "CPU %.0f \xc2\xb0" "C (critical %.0f \xc2\xb0" "C)", t_c, crit_c);
    int hot = t_c >= crit_c - c->cpu_pause_margin_c;
    int cool = t_c <= crit_c - c->cpu_resume_margin_c;
    j->verdict[HR__G_CPU] = verdict_of(hot, cool);
    if (hot)
        j->categories |= 1u << HR_GTHROTTLE_CPU_HOT;
}

static void judge_pressure(const hr_govern_config *c, const hr_govern_sensors *s,
                           hr__gov_judged *j) {
    int64_t p = s->thermal_pressure.v;
    if (!HR_IS_KNOWN(s->thermal_pressure) || p < HR_THERMAL_NOMINAL) {
        j->verdict[HR__G_PRESSURE] = HR__V_UNKNOWN;
        return;
    }
    const char *w = p <= HR_THERMAL_SLEEPING ? pressure_words[p] : "beyond sleeping";
    snprintf(j->text[HR__G_PRESSURE], sizeof j->text[HR__G_PRESSURE], "thermal pressure %s", w);
    j->level[HR__G_PRESSURE] = (double)p;
    j->have_level[HR__G_PRESSURE] = 1;
    int hot = p >= c->pressure_pause;
    j->verdict[HR__G_PRESSURE] = verdict_of(hot, p <= c->pressure_resume);
    if (hot)
        j->categories |= 1u << HR_GTHROTTLE_PRESSURE;
}

void hr__gov_judge(const hr_govern_config *c, const hr_govern_sensors *s, hr__gov_judged *out) {
    memset(out, 0, sizeof *out);
    judge_gpu(c, s, out);
    judge_cpu(c, s, out);
    judge_pressure(c, s, out);
}

void hr__gov_hot_text(const hr__gov_judged *j, uint32_t mask, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int i = 0; i < HR__G_COUNT; i++) {
        if (!(mask & (1u << i)) || !j->text[i][0])
            continue;
        append(buf, cap, "%s%s", buf[0] ? "; " : "", j->text[i]);
    }
}

void hr__gov_sensor_account(hr_governor *g, int64_t t_ns, const hr__gov_judged *j) {
    if (g->have_sample) {
        double dt = (double)(t_ns - g->sample_ns) / 1e9;
        if (dt > g->c.stale_s)
            dt = g->c.stale_s;
        for (int k = 0; k < HR_GTHROTTLE_COUNT; k++)
            if (g->categories & (1u << k))
                g->throttled_s[k] += dt;
    }
    g->have_sample = 1;
    g->sample_ns = t_ns;
    g->categories = j->categories;
    g->power_cap = j->power_cap;
    g->usable = 0;
    for (int i = 0; i < HR__G_COUNT; i++)
        if (j->verdict[i] != HR__V_UNKNOWN)
            g->usable = 1;
    g->last = *j;
}

int hr__gov_pressure_only(const hr__gov_judged *j) {
    return j->verdict[HR__G_PRESSURE] != HR__V_UNKNOWN && j->verdict[HR__G_GPU] == HR__V_UNKNOWN &&
           j->verdict[HR__G_CPU] == HR__V_UNKNOWN;
}

static uint32_t hot_mask(const hr__gov_judged *j) {
    uint32_t m = 0;
    for (int i = 0; i < HR__G_COUNT; i++)
        if (j->verdict[i] == HR__V_HOT)
            m |= 1u << i;
    return m;
}

/* The reason code of the first hot group. */
static int32_t hot_reason(const hr__gov_judged *j, uint32_t mask) {
    if (mask & (1u << HR__G_GPU))
        return j->pausing_reason ? HR_GREASON_GPU_THERMAL : HR_GREASON_GPU_MARGIN;
    if (mask & (1u << HR__G_CPU))
        return HR_GREASON_CPU_TEMP;
    return HR_GREASON_PRESSURE;
}

/* Remembers each hot group's coolest level in this break and when any of
 * them last cooled by plateau_c. */
static void track_cooling(hr_governor *g, int64_t t_ns, const hr__gov_judged *j, uint32_t newly) {
    for (int i = 0; i < HR__G_COUNT; i++) {
        if (!(g->hot_groups & (1u << i)) || !j->have_level[i])
            continue;
        if ((newly & (1u << i)) || j->level[i] <= g->coolest[i] - g->c.plateau_c) {
            g->coolest[i] = j->level[i];
            g->improved_ns = t_ns;
        }
    }
}

static void decide_in_break(hr_governor *g, int64_t t_ns, const hr__gov_judged *j,
                            hr_govern_decision *d) {
    if (g->break_policy != HR_POLICY_SENSOR)
        return; /* timing and batch breaks end at their length */
    uint32_t hot = hot_mask(j);
    uint32_t newly = hot & ~g->hot_groups;
    g->hot_groups |= hot;
    track_cooling(g, t_ns, j, newly);
    if ((double)(t_ns - g->break_start_ns) / 1e9 < g->c.min_break_s)
        return;
    int all_cool = 1;
    for (int i = 0; i < HR__G_COUNT; i++)
        if ((g->hot_groups & (1u << i)) && j->verdict[i] != HR__V_COOL)
            all_cool = 0;
    if (all_cool) {
        hr__gov_break_end(g, t_ns, HR_GREASON_COOLED, d);
        return;
    }
    /* Cooling has stalled short of the resume level, nothing is hot: the die
     * is down to its heat sink and waiting buys little. Unknown is not cool:
     * a hot group that went unknown keeps the break on. */
    for (int i = 0; i < HR__G_COUNT; i++)
        if ((g->hot_groups & (1u << i)) && j->verdict[i] != HR__V_COOL && j->verdict[i] != HR__V_MID)
            return;
    if (g->c.plateau_s > 0 && (double)(t_ns - g->improved_ns) / 1e9 >= g->c.plateau_s)
        hr__gov_break_end(g, t_ns, HR_GREASON_PLATEAU, d);
}

void hr__gov_sensor_decide(hr_governor *g, int64_t t_ns, const hr__gov_judged *j,
                           hr_govern_decision *d) {
    if (g->paused) {
        decide_in_break(g, t_ns, j, d);
        return;
    }
    uint32_t hot = hot_mask(j);
    if (!hot)
        return;
    char text[sizeof d->text];
    hr__gov_hot_text(j, hot, text, sizeof text);
    if (t_ns < g->rearm_until_ns) {
        if (g->still_hot_warned)
            return;
        g->still_hot_warned = 1;
        d->action = HR_GOVERN_WARN;
        d->reason = HR_GREASON_STILL_HOT;
        d->policy = HR_POLICY_SENSOR;
        hr__gov_say(d, "still hot after a %.0f s break, running %.0f s before the next: %s",
                    g->c.max_break_s, g->c.rearm_after_max_s, text);
        return;
    }
    hr__gov_break_start(g, t_ns, hot_reason(j, hot), HR_POLICY_SENSOR, g->c.max_break_s, 0, d);
    g->hot_groups = hot;
    track_cooling(g, t_ns, j, hot);
    hr__gov_say(d, "%s", text);
}

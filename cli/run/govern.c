/* govern.c: the governor's side of `headroom run`: steps and sensor samples
 * fed to it (steps seen at one instant share that instant's time), its
 * decisions applied (a cooling break pauses the job's process group, one
 * line on stderr, one event when it ends), a new governor per new stream of
 * steps, and the event loop that drives it all until the job exits. Breaks
 * and the job's state are published to the exporter (--serve). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run_cli.h"

#define PAUSE_CONFIRM_NS 200000000LL /* the stop seen, or the break goes on unconfirmed */

/* ------------------------------------------------------------------ */
/* the governor's decisions */

static int64_t gov_time(run_state *st, int64_t t) {
    if (t < st->gov_last_t)
        t = st->gov_last_t;
    st->gov_last_t = t;
    return t;
}

/* Tells the exporter (--serve) what the job is doing; no-op without one. */
void run_publish_job(run_state *st, hr_job_state state, int64_t now) {
    if (!st->srv)
        return;
    int64_t cooling = st->cooling_ns + (st->brk.active ? now - st->brk.start_ns : 0);
    hr_job_status j;
    memset(&j, 0, sizeof j);
    j.size = sizeof j;
    j.state = (hr_reading){state, HR_WHY_KNOWN, 0};
    j.steps = (hr_reading){(int64_t)st->recorded_steps, HR_WHY_KNOWN, 0};
    j.cooling_ns = (hr_reading){cooling > 0 ? cooling : 0, HR_WHY_KNOWN, 0};
    j.cooling_breaks = (hr_reading){(int64_t)st->breaks_started, HR_WHY_KNOWN, 0};
    hr_exporter_set_job(st->srv, &j);
}

static void end_break(run_state *st, int64_t t, const char *how) {
    if (!st->brk.active)
        return;
    char detail[512], len[32];
    snprintf(detail, sizeof detail, "%s: %s; planned %s; ended: %s after %s",
             hr_govern_reason_name(st->brk.reason), st->brk.text,
             run_fmt_secs(st->brk.planned_s, len, sizeof len), how,
             run_fmt_secs(run_s_of(t - st->brk.start_ns), (char[32]){0}, 32));
    run_record_event(st, "cooling_break", st->brk.start_ns,
                     t > st->brk.start_ns ? t : st->brk.start_ns, detail);
    st->brk.active = 0;
    st->cooling_ns += t > st->brk.start_ns ? t - st->brk.start_ns : 0;
    run_publish_job(st, HR_JOB_RUNNING, t);
}

static void start_break(run_state *st, const hr_govern_decision *d, int64_t t) {
    hr_status ps = hr_run_pause(st->run, PAUSE_CONFIRM_NS);
    if (ps != HR_OK && ps != HR_ETIMEDOUT) {
        hr_govern_break_ended(st->gov, gov_time(st, t));
        return; /* the job has ended, or is paused already */
    }
    st->brk.active = 1;
    st->breaks_started++;
    st->brk.start_ns = t;
    st->brk.reason = d->reason;
    st->brk.policy = d->policy;
    st->brk.planned_s = d->pause_s;
    snprintf(st->brk.text, sizeof st->brk.text, "%s", d->text);
    run_publish_job(st, HR_JOB_PAUSED, t);
    if (!st->o->quiet) {
        char len[32];
        run_fmt_secs(d->pause_s, len, sizeof len);
        fprintf(stderr, "headroom: cooling %s%s: %s\n",
                d->policy == HR_POLICY_SENSOR ? "up to " : "", len,
                d->text[0] ? d->text : hr_govern_reason_name(d->reason));
    }
}

static void apply(run_state *st, const hr_govern_decision *d, int64_t t) {
    switch (d->action) {
    case HR_GOVERN_PAUSE:
        if (!st->armed || st->brk.active || hr_run_paused(st->run)) {
            hr_govern_break_ended(st->gov, gov_time(st, t));
            return;
        }
        start_break(st, d, t);
        return;
    case HR_GOVERN_RESUME:
        if (!st->brk.active)
            return;
        hr_run_resume(st->run);
        end_break(st, t, hr_govern_reason_name(d->reason));
        return;
    case HR_GOVERN_WARN:
        if (!st->o->quiet)
            fprintf(stderr, "headroom: %s\n", d->text);
        run_record_event(st, "governor_warn", t, t, d->text);
        return;
    default: return;
    }
}

/* A new stream of steps gets a new governor; the old one's figures are kept. */
static void new_governor(run_state *st) {
    hr_govern_stats gs = {.size = sizeof gs};
    if (hr_govern_stats_get(st->gov, &gs) != HR_OK || gs.steps == 0)
        return;
    hr_governor *g = NULL;
    if (hr_govern_new(&st->o->gov, &g) != HR_OK)
        return;
    run_totals_add(&st->done, &gs);
    hr_govern_free(st->gov);
    st->gov = g;
    st->gov_last_t = 0;
    run_record_event(st, "step_stream", st->pend.t_ns, st->pend.t_ns,
                     "steps now come from another progress bar or the step channel: "
                     "the governor starts afresh");
}

/* Feeds the pending steps to the governor. They were all seen at one
 * instant (read in one go), so their time is shared out evenly. */
static void flush_pending(run_state *st) {
    if (!st->pend.active)
        return;
    st->pend.active = 0;
    if (st->pend.new_stream && !st->brk.active)
        new_governor(st);
    hr_run_stats rs = {.size = sizeof rs};
    hr_run_stats_get(st->run, &rs);
    /* Time the job spent stopped by others (Ctrl-Z, kill -STOP) is no step time. */
    int64_t foreign = rs.foreign_stop_ns - st->foreign_at_step;
    st->foreign_at_step = rs.foreign_stop_ns;
    double dur = run_s_of(st->pend.t_ns - st->pend.start_ns - foreign) / st->pend.n;
    int64_t t = gov_time(st, st->pend.t_ns);
    for (int i = 0; i < st->pend.n; i++) {
        hr_govern_decision d;
        if (hr_govern_step(st->gov, t, dur > 0 ? dur : 0, st->pend.units[i], &d) != HR_OK)
            continue;
        run_iv_slowdown(st);
        apply(st, &d, st->pend.t_ns);
    }
}

/* Ends the break (if any) and closes the intervals at T. */
void run_close_open(run_state *st, int64_t t) {
    if (st->brk.active) {
        hr_govern_break_ended(st->gov, gov_time(st, t));
        end_break(st, t, "the job ended");
    }
    run_iv_close_all(st, t);
}

/* ------------------------------------------------------------------ */
/* events from the runner */

static void on_step(run_state *st, const hr_run_event *ev) {
    run_record_step(st, ev);
    st->recorded_steps++;
    if (!st->brk.active)
        run_publish_job(st, HR_JOB_RUNNING, ev->t_ns);
    if (st->pend.active && ev->t_ns != st->pend.t_ns)
        flush_pending(st);
    if (!st->pend.active) {
        st->pend.active = 1;
        st->pend.t_ns = ev->t_ns;
        st->pend.start_ns = ev->start_ns;
        st->pend.n = 0;
        st->pend.new_stream = 0;
    }
    if (st->pend.n < RUN_MAX_PENDING)
        st->pend.units[st->pend.n++] = ev->units;
    else
        st->pend.units[RUN_MAX_PENDING - 1] += ev->units;
    st->pend.new_stream |= ev->new_stream;
    if (ev->start_ns < st->pend.start_ns)
        st->pend.start_ns = ev->start_ns;
}

static void on_signal(run_state *st, const hr_run_event *ev) {
    char detail[96];
    snprintf(detail, sizeof detail, "%s forwarded to the job's process group%s",
             strsignal(ev->signal), ev->was_paused ? " (resumed first)" : "");
    run_record_event(st, "signal", ev->t_ns, ev->t_ns, detail);
    st->armed = 0; /* the job is being stopped: no more breaks */
    if (st->brk.active) {
        hr_govern_break_ended(st->gov, gov_time(st, ev->t_ns));
        end_break(st, ev->t_ns, strsignal(ev->signal));
    }
}

static void on_event(run_state *st, const hr_run_event *ev) {
    char detail[96];
    switch (ev->kind) {
    case HR_RUN_EV_STEP: on_step(st, ev); break;
    case HR_RUN_EV_SIGNAL: on_signal(st, ev); break;
    case HR_RUN_EV_SUSPENDED:
        run_record_event(st, "suspended", ev->t_ns - ev->stopped_ns, ev->t_ns,
                         "headroom and the job were suspended (Ctrl-Z)");
        break;
    case HR_RUN_EV_STOPPED:
        snprintf(detail, sizeof detail, "the job was stopped by someone else (%s)",
                 strsignal(ev->signal));
        run_record_event(st, "job_stopped", ev->t_ns, ev->t_ns, detail);
        break;
    case HR_RUN_EV_CONTINUED:
        run_record_event(st, "job_continued", ev->t_ns - ev->stopped_ns, ev->t_ns,
                         "the job was continued by someone else");
        if (st->brk.active) {
            hr_govern_break_ended(st->gov, gov_time(st, ev->t_ns));
            end_break(st, ev->t_ns, "continued by someone else");
        }
        break;
    default: break;
    }
}

/* The sampling tick: a sensor sample (when a new one exists) and time. */
static void on_tick(run_state *st, int64_t t) {
    hr_govern_sensors s;
    hr_govern_decision d;
    if (run_new_sample(st, t, &s)) {
        run_iv_from_sensors(st, &s, t);
        s.t_ns = gov_time(st, t);
        if (hr_govern_sample(st->gov, &s, &d) == HR_OK)
            apply(st, &d, t);
    }
    if (hr_govern_tick(st->gov, gov_time(st, t), &d) == HR_OK)
        apply(st, &d, t);
    run_publish_job(st, st->brk.active ? HR_JOB_PAUSED : HR_JOB_RUNNING, t);
    run_read_job_io(st);
}

/* Runs until the job's exit; returns its exit code. */
int run_main_loop(run_state *st) {
    for (;;) {
        int64_t now = run_now_ns();
        int64_t wait = st->pend.active ? 0 : (st->next_tick_ns > now ? st->next_tick_ns - now : 0);
        hr_run_event ev;
        if (hr_run_poll(st->run, wait, &ev) != HR_OK)
            return HR_EXIT_FAIL;
        if (ev.kind == HR_RUN_EV_STEP) {
            on_step(st, &ev);
        } else {
            flush_pending(st);
            if (ev.kind == HR_RUN_EV_EXIT) {
                st->job_end_ns = ev.t_ns;
                return ev.exit_code;
            }
            on_event(st, &ev);
        }
        now = run_now_ns();
        if (now >= st->next_tick_ns) {
            on_tick(st, now);
            st->next_tick_ns += st->tick_ns;
            if (st->next_tick_ns <= now)
                st->next_tick_ns = now + st->tick_ns;
        }
    }
}

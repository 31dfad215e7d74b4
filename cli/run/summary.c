/* summary.c: the end of `headroom run`: the governors' figures summed over
 * the streams of steps, the last events, the session finished (exit code,
 * the job's I/O counters, the summary as JSON in its meta), the summary on
 * stderr (unless --quiet) and in the --json-summary file. Owns the wording
 * of the summary lines and the summary's JSON keys. */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_cli.h"

/* ------------------------------------------------------------------ */
/* figures */

/* "45 s", "1.5 s", "2 min 30 s". */
const char *run_fmt_secs(double s, char *buf, size_t cap) {
    if (!isfinite(s))
        snprintf(buf, cap, "unknown");
    else if (s < 10 && s != floor(s))
        snprintf(buf, cap, "%.1f s", s);
    else if (s < 120)
        snprintf(buf, cap, "%.0f s", s);
    else if (s < 7200)
        snprintf(buf, cap, "%d min %02d s", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%d h %02d min", (int)(s / 3600), (int)fmod(s / 60, 60));
    return buf;
}

void run_totals_add(run_totals *t, const hr_govern_stats *g) {
    t->streams++;
    t->steps += g->steps;
    t->units += g->units;
    t->wall_s += g->wall_s;
    t->productive_s += g->productive_s;
    t->breaks += g->breaks;
    t->critical_breaks += g->critical_breaks;
    t->batch_breaks += g->batch_breaks;
    t->sensor_breaks += g->sensor_breaks;
    t->break_total_s += g->break_total_s;
    if (isfinite(g->ideal_s) && isfinite(g->wall_s)) {
        t->ideal_s += g->ideal_s;
        t->ideal_wall_s += g->wall_s;
    }
    if (isfinite(g->throttle_loss_s))
        t->loss_s += g->throttle_loss_s;
    for (int i = 0; i < HR_GTHROTTLE_COUNT; i++)
        if (isfinite(g->throttled_s[i]))
            t->throttled_s[i] += g->throttled_s[i];
}

static void totals_now(const run_state *st, run_totals *t, hr_govern_stats *last) {
    *t = st->done;
    memset(last, 0, sizeof *last);
    last->size = sizeof *last;
    if (hr_govern_stats_get(st->gov, last) == HR_OK)
        run_totals_add(t, last);
}

static const char *exit_words(int code, char *buf, size_t cap) {
    if (code > 128 && code < 128 + 65)
        snprintf(buf, cap, "was ended by %s (exit %d)", strsignal(code - 128), code);
    else
        snprintf(buf, cap, "exited with %d", code);
    return buf;
}

/* ------------------------------------------------------------------ */
/* the summaries */

static void print_summary(const run_state *st, int code) {
    run_totals t;
    hr_govern_stats g;
    totals_now(st, &t, &g);
    char a[48], b[48], w[96];
    fprintf(stderr, "headroom: %s %s after %s\n", st->o->cmd[0], exit_words(code, w, sizeof w),
            run_fmt_secs(run_s_of(st->job_end_ns - st->job_start_ns), a, sizeof a));
    fprintf(stderr, "  policy            %s", hr_govern_policy_name(g.policy));
    if (g.policy == HR_POLICY_AUTO)
        fprintf(stderr, " (%s)", hr_govern_policy_name(g.active_policy));
    if (isfinite(g.baseline_s_per_unit))
        fprintf(stderr, ", baseline %.3g s/unit%s", g.baseline_s_per_unit,
                g.baseline_learned ? " (learned)" : "");
    fprintf(stderr, "\n  work              %.6g units in %llu steps\n", t.units,
            (unsigned long long)t.steps);
    fprintf(stderr, "  productive time   %s\n", run_fmt_secs(t.productive_s, a, sizeof a));
    fprintf(stderr, "  cooling breaks    %llu, %s in all\n", (unsigned long long)t.breaks,
            run_fmt_secs(t.break_total_s, b, sizeof b));
    if (t.ideal_wall_s > 0)
        fprintf(stderr, "  throttle loss     %s above the baseline\n",
                run_fmt_secs(t.loss_s, a, sizeof a));
    else
        fprintf(stderr, "  throttle loss     unknown (no baseline)\n");
    if (t.ideal_wall_s > 0)
        fprintf(stderr, "  efficiency        %.1f %% (ideal time / time taken)\n",
                100.0 * t.ideal_s / t.ideal_wall_s);
    else
        fprintf(stderr, "  efficiency        unknown (no baseline)\n");
    if (st->sess)
        fprintf(stderr, "  session           %s\n", st->session_path);
}

static json_t *num_or_null(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *summary_json(const run_state *st, int code) {
    run_totals t;
    hr_govern_stats g;
    totals_now(st, &t, &g);
    const hr_run_stats rs = st->rstats;
    json_t *o = json_object();
    json_object_set_new(o, "exit_code", json_integer(code));
    json_object_set_new(o, "term_signal", json_integer(rs.term_signal));
    json_object_set_new(o, "policy", json_string(hr_govern_policy_name(g.policy)));
    json_object_set_new(o, "active_policy", json_string(hr_govern_policy_name(g.active_policy)));
    json_object_set_new(o, "job_s", json_real(run_s_of(st->job_end_ns - st->job_start_ns)));
    json_object_set_new(o, "steps", json_integer((json_int_t)t.steps));
    json_object_set_new(o, "units", json_real(t.units));
    json_object_set_new(o, "productive_s", json_real(t.productive_s));
    json_object_set_new(o, "breaks", json_integer((json_int_t)t.breaks));
    json_object_set_new(o, "critical_breaks", json_integer((json_int_t)t.critical_breaks));
    json_object_set_new(o, "batch_breaks", json_integer((json_int_t)t.batch_breaks));
    json_object_set_new(o, "sensor_breaks", json_integer((json_int_t)t.sensor_breaks));
    json_object_set_new(o, "break_total_s", json_real(t.break_total_s));
    json_object_set_new(o, "baseline_s_per_unit", num_or_null(g.baseline_s_per_unit));
    int known = t.ideal_wall_s > 0;
    json_object_set_new(o, "ideal_s", known ? json_real(t.ideal_s) : json_null());
    json_object_set_new(o, "throttle_loss_s", known ? json_real(t.loss_s) : json_null());
    json_object_set_new(o, "efficiency",
                        known ? json_real(t.ideal_s / t.ideal_wall_s) : json_null());
    static const char *const cats[HR_GTHROTTLE_COUNT] = {
        "gpu_thermal", "gpu_power", "gpu_hw_slowdown", "cpu_hot", "pressure", "slowdown"};
    json_t *th = json_object();
    for (int i = 0; i < HR_GTHROTTLE_COUNT; i++)
        json_object_set_new(th, cats[i], json_real(t.throttled_s[i]));
    json_object_set_new(o, "throttled_s", th);
    json_object_set_new(o, "step_streams", json_integer((json_int_t)t.streams));
    json_object_set_new(o, "steps_from_progress", json_integer(rs.progress_steps));
    json_object_set_new(o, "steps_from_channel", json_integer(rs.channel_steps));
    json_object_set_new(o, "malformed_step_lines", json_integer(rs.channel_malformed));
    json_object_set_new(o, "paused_s", json_real(run_s_of(rs.paused_ns)));
    json_object_set_new(o, "io", json_string(rs.io == HR_RUN_IO_PTY ? "pty" : "pipes"));
    json_object_set_new(o, "session", st->sess ? json_string(st->session_path) : json_null());
    return o;
}

/* The session's last meta: the exit code, the job's I/O counters, SUM. */
static void session_summary(run_state *st, const json_t *sum, int code) {
    char *js = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
    hr_session_set_meta_i64(st->sess, "job_exit_code", code);
    if (HR_IS_KNOWN(st->io_rchar))
        hr_session_set_meta_i64(st->sess, "job_rchar_bytes", st->io_rchar.v);
    if (HR_IS_KNOWN(st->io_read))
        hr_session_set_meta_i64(st->sess, "job_read_bytes", st->io_read.v);
    if (js)
        hr_session_set_meta(st->sess, "run_summary", js);
    free(js);
}

/* After the job's exit: events, the session finished, the summaries. */
int run_finish(run_state *st, int code) {
    int rc = code;
    run_close_open(st, st->job_end_ns);
    char detail[128];
    run_record_event(st, "job_exit", st->job_end_ns, st->job_end_ns,
                     exit_words(code, detail, sizeof detail));
    json_t *sum = summary_json(st, code);
    run_publish_job(st, HR_JOB_EXITED, st->job_end_ns);
    if (st->rec && hr_recorder_stop(st->rec) != HR_OK)
        cli_error("run", hr_session_last_error(st->sess),
                  "the steps and ticks stored so far are kept");
    st->rec = NULL;
    hr_exporter_stop(st->srv);
    st->srv = NULL;
    if (st->sess)
        session_summary(st, sum, code);
    if (st->o->json_summary &&
        json_dump_file(sum, st->o->json_summary, JSON_INDENT(2) | JSON_SORT_KEYS)) {
        cli_error("run", "cannot write the JSON summary", st->o->json_summary);
    }
    json_decref(sum);
    if (!st->o->quiet)
        print_summary(st, code);
    return rc;
}

/* session.c: the session file of `headroom run` and the job's start: the
 * session created (or, with --no-record, a probe opened instead), its meta
 * (command lines, policy, governor configuration), the recorder and the
 * --serve exporter started, and every event and step written to it. A
 * storage failure mid-run is reported once and recording stops; the job
 * goes on. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "run_cli.h"

/* ------------------------------------------------------------------ */
/* events and steps */

/* Records an event; a storage failure is reported once and recording stops
 * (the job goes on). */
void run_record_event(run_state *st, const char *kind, int64_t start, int64_t end,
                      const char *detail) {
    if (!st->rec || st->rec_failed)
        return;
    if (hr_recorder_add_event(st->rec, kind, start, end, detail) != HR_OK) {
        st->rec_failed = 1;
        cli_error("run", "recording failed; the job goes on unrecorded", NULL);
    }
}

/* One step, as run_record_event records an event. */
void run_record_step(run_state *st, const hr_run_event *ev) {
    if (st->rec && !st->rec_failed &&
        hr_recorder_add_step(st->rec, ev->index, ev->units, ev->names, ev->values, ev->nvalues) !=
            HR_OK) {
        st->rec_failed = 1;
        cli_error("run", "recording failed; the job goes on unrecorded", NULL);
    }
}

/* ------------------------------------------------------------------ */
/* the session and the job's start */

/* ARGV as one shell-quoted line. */
static void quote_argv(char *const *argv, const char *prefix, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "%s", prefix);
    for (int i = 0; argv[i] && n < cap; i++) {
        int plain = argv[i][0] && !strpbrk(argv[i], " \t\n'\"\\$`*?;&|<>(){}[]#~!");
        n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s", n ? " " : "", plain ? "" : "'", argv[i],
                              plain ? "" : "'");
    }
}

/* 1 when CMD can be executed (found in PATH when it has no '/'). */
static int findable(const char *cmd, int *not_exec) {
    *not_exec = 0;
    if (strchr(cmd, '/')) {
        if (access(cmd, F_OK) != 0)
            return 0;
        *not_exec = access(cmd, X_OK) != 0;
        return !*not_exec;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char full[4096];
        snprintf(full, sizeof full, "%.*s%s%s", (int)len, p, len ? "/" : "", cmd);
        struct stat sb;
        if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (access(full, X_OK) == 0)
                return 1;
            *not_exec = 1;
        }
        p += len + (e != NULL);
    }
    return 0;
}

static char *config_json(const hr_govern_config *g) {
    json_t *o = json_object();
    json_object_set_new(o, "policy", json_string(hr_govern_policy_name(g->policy)));
    const struct {
        const char *k;
        double v;
    } f[] = {
        {"baseline_s_per_unit", g->baseline_s_per_unit},
        {"learn_steps", g->learn_steps},
        {"window", g->window},
        {"learn_quantile", g->learn_quantile},
        {"min_evidence_units", g->min_evidence_units},
        {"threshold", g->threshold},
        {"critical", g->critical},
        {"break_s", g->break_s},
        {"critical_break_s", g->critical_break_s},
        {"max_break_s", g->max_break_s},
        {"rest_ratio", g->rest_ratio},
        {"break_growth", g->break_growth},
        {"relearn_breaks", g->relearn_breaks},
        {"relearn_fast_ratio", g->relearn_fast_ratio},
        {"batch_size", g->batch_size},
        {"batch_units", g->batch_units},
        {"batch_break_s", g->batch_break_s},
        {"gpu_pause_margin_c", g->gpu_pause_margin_c},
        {"gpu_resume_margin_c", g->gpu_resume_margin_c},
        {"gpu_pause_temp_c", g->gpu_pause_temp_c},
        {"gpu_resume_temp_c", g->gpu_resume_temp_c},
        {"near_limit_margin_c", g->near_limit_margin_c},
        {"thermal_reasons_mask", (double)g->thermal_reasons_mask},
        {"near_reasons_mask", (double)g->near_reasons_mask},
        {"power_reasons_mask", (double)g->power_reasons_mask},
        {"cpu_pause_margin_c", g->cpu_pause_margin_c},
        {"cpu_resume_margin_c", g->cpu_resume_margin_c},
        {"pressure_pause", g->pressure_pause},
        {"pressure_resume", g->pressure_resume},
        {"min_break_s", g->min_break_s},
        {"plateau_s", g->plateau_s},
        {"plateau_c", g->plateau_c},
        {"rearm_after_max_s", g->rearm_after_max_s},
        {"stale_s", g->stale_s},
        {"critical_evidence_units", g->critical_evidence_units},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        json_object_set_new(o, f[i].k, json_real(f[i].v));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static int session_meta(run_state *st, char **argv) {
    char line[4096];
    hr_session *s = st->sess;
    quote_argv(argv, "headroom", line, sizeof line);
    hr_status rc = hr_session_set_meta(s, "command_line", line);
    if (rc == HR_OK)
        rc = hr_session_set_meta(s, "created_by", "headroom run");
    quote_argv(st->o->cmd, "", line, sizeof line);
    if (rc == HR_OK)
        rc = hr_session_set_meta(s, "job_command", line);
    if (rc == HR_OK)
        rc = hr_session_set_meta(s, "run_policy", hr_govern_policy_name(st->o->gov.policy));
    if (rc == HR_OK && st->o->dataset_bytes > 0)
        rc = hr_session_set_meta_i64(s, "dataset_bytes", st->o->dataset_bytes);
    char *cj = config_json(&st->o->gov);
    if (rc == HR_OK && cj)
        rc = hr_session_set_meta(s, "governor_config", cj);
    free(cj);
    if (rc != HR_OK)
        cli_error("run", hr_session_last_error(s), NULL);
    return rc == HR_OK ? 0 : -1;
}

static void default_output(char *buf, size_t cap) {
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "run-%Y%m%d-%H%M%S.db", &tm);
}

/* The session and the recorder (or, with --no-record, a probe). */
int run_open_recording(run_state *st, char **argv) {
    const run_opts *o = st->o;
    if (o->no_record) {
        if (hr_probe_open(st->ctx, &st->probe) != HR_OK) {
            st->probe = NULL; /* no sensors: timing still works */
            if (!o->quiet)
                fprintf(stderr, "headroom: no sensors (%s): the governor uses step timing only\n",
                        hr_ctx_last_error(st->ctx));
        }
        return 0;
    }
    if (o->output)
        snprintf(st->session_path, sizeof st->session_path, "%s", o->output);
    else
        default_output(st->session_path, sizeof st->session_path);
    if (hr_session_create(st->ctx, st->session_path, o->force ? HR_SESSION_OVERWRITE : 0,
                          &st->sess) != HR_OK) {
        cli_error("run", hr_ctx_last_error(st->ctx),
                  "use --force to replace it, -o to choose another file, or --no-record");
        return -1;
    }
    if (session_meta(st, argv) != 0)
        return -1;
    hr_record_config rc;
    hr_record_config_defaults(&rc);
    rc.hz = o->hz;
    if (o->serve && hr_exporter_start_for_recorder(st->ctx, o->serve, &rc, &st->srv) != HR_OK) {
        cli_error("run: --serve", hr_ctx_last_error(st->ctx),
                  "give a free ADDR:PORT, e.g. 127.0.0.1:9968");
        return -1;
    }
    if (hr_recorder_start(st->ctx, st->sess, &rc, &st->rec) != HR_OK) {
        cli_error("run", hr_ctx_last_error(st->ctx), NULL);
        return -1;
    }
    if (st->srv && !o->quiet)
        fprintf(stderr, "headroom: run: serving %s\n", hr_exporter_url(st->srv));
    return 0;
}

int run_start_job(run_state *st) {
    int not_exec = 0;
    if (!findable(st->o->cmd[0], &not_exec)) {
        cli_error("run", not_exec ? "permission denied" : "command not found",
                  not_exec ? "make it executable (chmod +x)" : "check the name and your PATH");
        return not_exec ? 126 : 127;
    }
    hr_run_config c;
    hr_run_config_defaults(&c);
    c.argv = (const char *const *)st->o->cmd;
    c.io = st->o->io;
    hr_status s = hr_run_start(st->ctx, &c, &st->run);
    if (s != HR_OK) {
        cli_error("run", hr_ctx_last_error(st->ctx), NULL);
        return s == HR_ENOENT ? 127 : s == HR_EPERM ? 126 : HR_EXIT_FAIL;
    }
    st->job_start_ns = run_now_ns();
    char line[4096];
    quote_argv(st->o->cmd, "", line, sizeof line);
    run_record_event(st, "job_start", st->job_start_ns, st->job_start_ns, line);
    return 0;
}

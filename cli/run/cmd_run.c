/* cmd_run.c: `headroom run -- CMD ARGS...`: the job under watch
 * (hr_run.h), its steps and the sensors fed to the governor (hr_govern.h),
 * cooling breaks as pauses of its process group, everything recorded in a
 * session (hr_record.h), one line on stderr per break and a summary at the
 * end. The job's own output is untouched: headroom writes only to stderr.
 * Exit code: the job's (128 + N for a signal); 127 / 126 when it cannot be
 * started; 1 for other failures before it starts; 2 for usage errors.
 *
 * This file owns the order of the phases (options, context, session, job,
 * event loop, summary) and the release of everything a run holds; each
 * phase lives in its own file (run_cli.h lists them). */
#include <string.h>

#include "cli.h"
#include "run_cli.h"

static void cleanup(run_state *st) {
    hr_run_free(st->run);
    if (st->rec)
        hr_recorder_stop(st->rec);
    hr_exporter_stop(st->srv);
    if (st->sess && hr_session_close(st->sess) != HR_OK)
        cli_error("run", "closing the session failed", NULL);
    hr_probe_free(st->probe);
    hr_govern_free(st->gov);
    hr_ctx_free(st->ctx);
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    int rc = run_parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? HR_EXIT_OK : rc;
    run_state st;
    memset(&st, 0, sizeof st);
    st.o = &o;
    st.armed = 1;
    st.tick_ns = (int64_t)(1e9 / o.hz);
    if (st.tick_ns > 250000000LL)
        st.tick_ns = 250000000LL; /* breaks end on time even at 1 Hz */
    if (hr_ctx_new(&st.ctx) != HR_OK || hr_govern_new(&o.gov, &st.gov) != HR_OK) {
        cli_error("run", "out of memory", NULL);
        cleanup(&st);
        return HR_EXIT_FAIL;
    }
    if (o.root && hr_ctx_set_root(st.ctx, o.root) != HR_OK) {
        cli_error("run", hr_ctx_last_error(st.ctx), NULL);
        cleanup(&st);
        return HR_EXIT_USAGE;
    }
    rc = run_open_recording(&st, argv) ? HR_EXIT_FAIL : run_start_job(&st);
    if (rc == 0) {
        st.next_tick_ns = run_now_ns() + st.tick_ns;
        rc = run_main_loop(&st);
        st.rstats.size = sizeof st.rstats;
        hr_run_stats_get(st.run, &st.rstats);
        /* The terminal back to normal before headroom writes its summary. */
        hr_run_free(st.run);
        st.run = NULL;
        rc = run_finish(&st, rc);
    }
    cleanup(&st);
    return rc;
}

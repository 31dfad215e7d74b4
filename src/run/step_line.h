/* step_line.h: the step protocol of cooperating jobs (docs/RUN.md).
 *
 * A job run under `headroom run` finds HEADROOM_STEP_FD (a pipe) and
 * HEADROOM_STEP_SOCKET (a datagram socket) in its environment and writes one
 * line per finished step:
 *
 *     step=12 units=25 loss=0.31 grad_norm=1.2
 *
 * Tokens are separated by spaces or tabs; every token is NAME=NUMBER.
 * `step` (an integer >= 0: the job's step number) and `units` (>= 0: units
 * of work in the step; 1 when absent) are reserved; `dt` (>= 0 seconds, the
 * step's own measured duration) is used for timing and kept as a value;
 * every other pair is a named number kept with the step (nan allowed: it is
 * stored as unknown). A line that breaks any rule is malformed and skipped
 * whole. Pure: no I/O. */
#ifndef HR_RUN_STEP_LINE_H
#define HR_RUN_STEP_LINE_H

#include <stddef.h>
#include <stdint.h>

#include "headroom/hr_status.h"
#include "run/numtext.h"

#define HR__STEP_MAX_VALUES 32
/* The longest step line accepted, excluding the newline. */
#define HR__STEP_LINE_MAX 4096

typedef struct hr__step_line {
    int has_step;
    int has_units;
    int has_dt;
    int64_t step;
    double units;
    double dt_s;
    size_t nvalues;                                  /* named numbers (dt included) */
    char names[HR__STEP_MAX_VALUES][HR__NAME_MAX + 1];
    double values[HR__STEP_MAX_VALUES];
} hr__step_line;

/* Parses line S (N bytes, without its '\n'; a trailing '\r' is allowed).
 * Returns HR_OK (OUT filled), HR_ENOENT (blank line: not a step, not
 * malformed) or HR_EPARSE (malformed; WHY, capacity CAP, may be NULL, says
 * why: "token 3 'loss': no '='"). */
hr_status hr__step_line_parse(const char *s, size_t n, hr__step_line *out, char *why,
                              size_t cap);

/* Cuts a byte stream into lines for hr__step_line_parse. A line longer than
 * HR__STEP_LINE_MAX is reported once as too long (EMIT gets S == NULL) and
 * skipped up to its newline. Zero it to start. */
typedef struct hr__linebuf {
    char buf[HR__STEP_LINE_MAX];
    size_t len;
    int overflow;
} hr__linebuf;

typedef void (*hr__line_fn)(void *user, const char *s, size_t n);

/* Feeds N bytes; calls EMIT per complete line (without '\n'). */
void hr__linebuf_feed(hr__linebuf *lb, const char *data, size_t n, hr__line_fn emit, void *user);

/* Ends the stream: a last line without '\n' is emitted (a datagram's end,
 * or EOF). */
void hr__linebuf_flush(hr__linebuf *lb, hr__line_fn emit, void *user);

#endif /* HR_RUN_STEP_LINE_H */

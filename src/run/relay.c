/* relay.c: the runner's poll loop: the job's output passed through and
 * parsed for progress, stdin relayed to the pty, the step channel read, and
 * the event queue. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run/run_internal.h"

/* --- the event queue --- */

static int mergeable(const hr__qev *a, const hr__qev *b) {
    return a->ev.kind == HR_RUN_EV_STEP && b->ev.kind == HR_RUN_EV_STEP &&
           a->ev.source == b->ev.source;
}

/* A then B become one step: B's end, index and values, both units. */
static void merge_into(hr__qev *a, const hr__qev *b) {
    int64_t start = a->ev.start_ns;
    double units = a->ev.units + b->ev.units;
    int fresh = a->ev.new_stream | b->ev.new_stream;
    *a = *b;
    a->ev.start_ns = start;
    a->ev.units = units;
    a->ev.new_stream = fresh;
}

static hr__qev *qat(hr_run *r, size_t i) { return &r->queue[(r->qhead + i) % HR__RUN_QUEUE]; }

/* Frees a slot in a full queue by merging two adjacent steps (or, failing
 * that, dropping the oldest event). */
static void make_room(hr_run *r) {
    for (size_t i = r->qlen - 1; i > 0; i--) {
        if (!mergeable(qat(r, i - 1), qat(r, i)))
            continue;
        merge_into(qat(r, i - 1), qat(r, i));
        for (size_t j = i; j + 1 < r->qlen; j++)
            *qat(r, j) = *qat(r, j + 1);
        r->qlen--;
        return;
    }
    r->qhead = (r->qhead + 1) % HR__RUN_QUEUE;
    r->qlen--;
}

void hr__queue_push(hr_run *r, const hr__qev *e) {
    if (r->qlen == HR__RUN_QUEUE) {
        hr__qev *last = qat(r, r->qlen - 1);
        if (mergeable(last, e)) {
            merge_into(last, e);
            return;
        }
        make_room(r);
    }
    *qat(r, r->qlen) = *e;
    r->qlen++;
}

/* --- steps --- */

static void push_step(hr_run *r, hr__qev *q, int source) {
    q->ev.kind = HR_RUN_EV_STEP;
    q->ev.source = source;
    q->ev.t_ns = r->seen_ns;
    q->ev.new_stream = q->ev.new_stream || r->last_source != source;
    r->last_source = source;
    hr__queue_push(r, q);
}

static void on_segment(void *user, const char *s, size_t n) {
    hr_run *r = user;
    hr__progress p;
    if (hr__progress_parse(s, n, &p) != HR_OK)
        return;
    r->stats.progress_readings++;
    hr__track_step ts;
    if (!hr__tracker_feed(&r->track, &p, r->seen_ns, &ts) || r->channel_seen)
        return;
    hr__qev q;
    memset(&q, 0, sizeof q);
    q.ev.index = ts.index;
    q.ev.units = ts.units;
    q.ev.total = ts.total;
    q.ev.start_ns = ts.start_ns;
    q.ev.new_stream = ts.switched;
    q.nvalues = p.npostfix;
    for (size_t i = 0; i < p.npostfix; i++) {
        memcpy(q.names[i], p.names[i], sizeof q.names[i]);
        q.values[i] = p.values[i];
    }
    r->stats.progress_steps++;
    push_step(r, &q, HR_RUN_STEP_PROGRESS);
}

static void step_malformed(hr_run *r, const char *why) {
    r->stats.channel_malformed++;
    hr__snprintf(r->stats.last_malformed, sizeof r->stats.last_malformed, "%s", why);
}

static void on_step_line(void *user, const char *s, size_t n) {
    hr_run *r = user;
    if (!s) {
        step_malformed(r, "line too long");
        return;
    }
    hr__step_line sl;
    char why[128];
    hr_status st = hr__step_line_parse(s, n, &sl, why, sizeof why);
    if (st == HR_ENOENT)
        return;
    if (st != HR_OK) {
        step_malformed(r, why);
        return;
    }
    hr__qev q;
    memset(&q, 0, sizeof q);
    q.ev.index = sl.has_step ? sl.step : r->last_channel_index + 1;
    q.ev.units = sl.units;
    q.ev.total = -1;
    int64_t prev = r->last_channel_ns ? r->last_channel_ns : r->stats.start_ns;
    q.ev.start_ns = sl.has_dt ? r->seen_ns - (int64_t)llround(sl.dt_s * 1e9) : prev;
    q.nvalues = sl.nvalues;
    memcpy(q.names, sl.names, sizeof q.names[0] * sl.nvalues);
    memcpy(q.values, sl.values, sizeof q.values[0] * sl.nvalues);
    r->channel_seen = 1;
    r->last_channel_ns = r->seen_ns;
    r->last_channel_index = q.ev.index;
    r->stats.channel_steps++;
    push_step(r, &q, HR_RUN_STEP_CHANNEL);
}

/* --- output --- */

/* Writes all of BUF to FD. Returns 0, -1 (error: dropped) or -2 (EPIPE). */
static int write_all(int fd, const char *buf, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w > 0) {
            buf += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 1000);
        } else {
            return w < 0 && errno == EPIPE ? -2 : -1;
        }
    }
    return 0;
}

static void stream_close(hr_run *r, int k) {
    hr__stream *st = &r->streams[k];
    if (st->src >= 0) {
        if (st->src == r->master)
            r->master = -1;
        close(st->src);
    }
    st->src = -1;
    st->eof = 1;
}

static void read_stream(hr_run *r, int k) {
    hr__stream *st = &r->streams[k];
    ssize_t n = read(st->src, r->readbuf, HR__RUN_READ_CAP);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) { /* end of file; EIO: the pty's last slave closed */
        stream_close(r, k);
        return;
    }
    *(st->is_err ? &r->stats.bytes_err : &r->stats.bytes_out) += n;
    int w = write_all(st->dst, r->readbuf, (size_t)n);
    if (w != 0)
        r->stats.write_errors++;
    if (w == -2) {
        /* The reader went away: the job must see that, as it would bare. */
        unsigned char idx = (unsigned char)k;
        hr__guard_send(r, HR__GUARD_CLOSE, &idx, 1);
        stream_close(r, k);
    }
    if (r->cfg.parse_progress)
        hr__segmenter_feed(&st->seg, r->readbuf, (size_t)n, on_segment, r);
}

/* --- stdin to the pty --- */

static void flush_stdin(hr_run *r) {
    while (r->inoff < r->inlen && r->master >= 0) {
        ssize_t w = write(r->master, r->inbuf + r->inoff, r->inlen - r->inoff);
        if (w > 0)
            r->inoff += (size_t)w;
        else if (w < 0 && errno == EINTR)
            continue;
        else if (w < 0 && errno == EAGAIN)
            return;
        else
            break;
    }
    r->inlen = r->inoff = 0;
}

static void read_stdin(hr_run *r) {
    ssize_t n = read(r->cfg.stdin_fd, r->inbuf, sizeof r->inbuf);
    if (n > 0) {
        r->inlen = (size_t)n;
        r->inoff = 0;
        flush_stdin(r);
        return;
    }
    /* EIO: now in the background (SIGTTIN is ignored); 0: hang-up. Relaying
     * starts again on SIGCONT when back in the foreground. */
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
        r->in_active = 0;
}

/* --- the step channel --- */

/* Returns 1 after data, 0 when none is waiting, -1 at the end. */
static int read_step_pipe(hr_run *r) {
    ssize_t n = read(r->step_rd, r->readbuf, HR__RUN_READ_CAP);
    if (n > 0) {
        hr__linebuf_feed(&r->step_lb, r->readbuf, (size_t)n, on_step_line, r);
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    hr__linebuf_flush(&r->step_lb, on_step_line, r);
    close(r->step_rd);
    r->step_rd = -1;
    r->step_eof = 1;
    return -1;
}

/* Reads up to 64 datagrams; each is one or more lines. */
static void read_socket(hr_run *r) {
    hr__linebuf lb;
    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(r->sock_fd, r->readbuf, HR__RUN_READ_CAP, 0);
        if (n < 0)
            return;
        memset(&lb, 0, sizeof lb);
        hr__linebuf_feed(&lb, r->readbuf, (size_t)n, on_step_line, r);
        hr__linebuf_flush(&lb, on_step_line, r);
    }
}

void hr__relay_flush_steps(hr_run *r) {
    r->seen_ns = hr__now_mono_ns();
    for (int i = 0; i < 64 && r->step_rd >= 0; i++)
        if (read_step_pipe(r) <= 0)
            break;
    if (r->sock_fd >= 0)
        read_socket(r);
}

/* --- one round --- */

enum { W_SIG, W_OUT0, W_OUT1, W_STDIN, W_MASTER, W_STEP, W_SOCK, W_COUNT };

static int add_fd(struct pollfd *p, int *who, int n, int fd, short events, int w) {
    p[n] = (struct pollfd){fd, events, 0};
    who[n] = w;
    return n + 1;
}

static int build_poll(hr_run *r, struct pollfd *p, int *who) {
    int n = add_fd(p, who, 0, hr__sig_fd(), POLLIN, W_SIG);
    for (int k = 0; k < 2; k++)
        if (r->streams[k].src >= 0)
            n = add_fd(p, who, n, r->streams[k].src, POLLIN, W_OUT0 + k);
    if (r->in_active && r->master >= 0) {
        if (r->inlen == 0)
            n = add_fd(p, who, n, r->cfg.stdin_fd, POLLIN, W_STDIN);
        else
            n = add_fd(p, who, n, r->master, POLLOUT, W_MASTER);
    }
    if (r->step_rd >= 0)
        n = add_fd(p, who, n, r->step_rd, POLLIN, W_STEP);
    if (r->sock_fd >= 0)
        n = add_fd(p, who, n, r->sock_fd, POLLIN, W_SOCK);
    return n;
}

static void dispatch(hr_run *r, int w) {
    switch (w) {
    case W_SIG: hr__run_signals(r); break;
    case W_OUT0:
    case W_OUT1:
        if (r->streams[w - W_OUT0].src >= 0)
            read_stream(r, w - W_OUT0);
        break;
    case W_STDIN: read_stdin(r); break;
    case W_MASTER: flush_stdin(r); break;
    case W_STEP:
        if (r->step_rd >= 0)
            read_step_pipe(r);
        break;
    case W_SOCK: read_socket(r); break;
    default: break;
    }
}

void hr__relay_round(hr_run *r, int64_t wait_ns) {
    if (hr__run_has_pending()) {
        hr__run_signals(r); /* read while a pause was confirmed */
        return;
    }
    struct pollfd p[W_COUNT];
    int who[W_COUNT];
    int n = build_poll(r, p, who);
    int ms = -1;
    if (wait_ns >= 0)
        ms = wait_ns / 1000000 >= INT_MAX ? INT_MAX : (int)((wait_ns + 999999) / 1000000);
    if (poll(p, (nfds_t)n, ms) <= 0)
        return;
    r->seen_ns = hr__now_mono_ns();
    for (int i = 0; i < n; i++)
        if (p[i].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR | POLLNVAL))
            dispatch(r, who[i]);
}

/* rle_window.c: the RLE sample history and its time-window statistics.
 *
 * Windows are in time, not in samples: a window of w seconds ending at t_now
 * holds the entries with t_now - w < t <= t_now. A rate such as utilisation
 * describes the interval since the previous read, so its statistics weigh
 * each entry by the part of that interval inside the window; a level such as
 * temperature is a point in time, fitted by ordinary least squares.
 *
 * Each window keeps running sums (hr__rle_acc): entries are added once and
 * removed once, so a push costs O(1) amortised at any sample rate. Values are
 * shifted by a recent reference (a constant signal sums to exactly zero) and
 * the sums are rebuilt from the entries once per window length, which bounds
 * rounding drift. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record/rle_internal.h"

int64_t hr__rle_ns(double s) { return (int64_t)llround(s * 1e9); }

/* --- history ------------------------------------------------------------- */

void hr__rle_hist_free(hr__rle_hist *h) {
    free(h->e);
    memset(h, 0, sizeof *h);
}

static const hr__rle_entry *hist_at(const hr__rle_hist *h, size_t i) {
    return &h->e[(h->head + i) % h->cap];
}

static const hr__rle_entry *hist_seq(const hr__rle_hist *h, uint64_t seq) {
    return hist_at(h, (size_t)(seq - h->head_seq));
}

/* Doubles the ring, copying the entries to the front of the new array. */
static hr_status hist_grow(hr__rle_hist *h) {
    size_t cap = h->cap ? h->cap * 2 : 64;
    hr__rle_entry *e = malloc(cap * sizeof *e);
    if (!e)
        return HR_ENOMEM;
    for (size_t i = 0; i < h->n; i++)
        e[i] = *hist_at(h, i);
    free(h->e);
    h->e = e;
    h->cap = cap;
    h->head = 0;
    return HR_OK;
}

hr_status hr__rle_hist_push(hr__rle_hist *h, const hr__rle_entry *e) {
    if (h->n == h->cap && hist_grow(h) != HR_OK)
        return HR_ENOMEM;
    h->e[(h->head + h->n) % h->cap] = *e;
    h->n++;
    return HR_OK;
}

hr__rle_entry *hr__rle_hist_last(hr__rle_hist *h) { return &h->e[(h->head + h->n - 1) % h->cap]; }

void hr__rle_hist_trim(hr__rle_hist *h, int64_t t_oldest_ns) {
    while (h->n > 0 && h->e[h->head].t_ns <= t_oldest_ns) {
        h->head = (h->head + 1) % h->cap;
        h->n--;
        h->head_seq++;
    }
}

/* --- running sums -------------------------------------------------------- */

static double entry_value(const hr__rle_entry *e, hr__rle_value which) {
    switch (which) {
    case HR__RLE_UTIL: return e->util_pct;
    case HR__RLE_TEMP: return e->temp_c;
    case HR__RLE_RLE: return e->rle;
    }
    return NAN;
}

/* The whole interval an entry describes, in seconds (0 for the first push). */
static double full_weight_s(const hr__rle_entry *e) {
    return (double)(e->t_ns - e->t_prev_ns) / 1e9;
}

void hr__rle_acc_init(hr__rle_acc *a, hr__rle_value which, hr__rle_acc_kind kind, double w_s) {
    memset(a, 0, sizeof *a);
    a->which = which;
    a->kind = kind;
    a->w_ns = hr__rle_ns(w_s);
}

/* Adds (SIGN 1) or removes (SIGN -1) one entry's contribution. */
static void acc_apply(hr__rle_acc *a, const hr__rle_entry *e, double sign) {
    double x = entry_value(e, a->which);
    if (isnan(x))
        return;
    double dx = x - a->ref_x;
    if (a->kind == HR__RLE_FIT) {
        double dt = (double)(e->t_ns - a->ref_t_ns) / 1e9;
        a->s0 += sign;
        a->s1 += sign * dx;
        a->st += sign * dt;
        a->stt += sign * dt * dt;
        a->sty += sign * dt * dx;
        a->count = sign > 0 ? a->count + 1 : a->count - 1;
        return;
    }
    double w = full_weight_s(e);
    if (w <= 0.0)
        return;
    a->s0 += sign * w;
    a->s1 += sign * w * dx;
    a->s2 += sign * w * dx * dx;
    a->count = sign > 0 ? a->count + 1 : a->count - 1;
}

void hr__rle_acc_add(hr__rle_acc *a, const hr__rle_hist *h) {
    const hr__rle_entry *e = hist_at(h, h->n - 1);
    if (a->end == 0 && a->first == 0)
        a->first = a->end = h->head_seq + h->n - 1;
    double x = entry_value(e, a->which);
    if (!a->have_ref && !isnan(x)) {
        a->ref_x = x;
        a->ref_t_ns = e->t_ns;
        a->have_ref = 1;
    }
    acc_apply(a, e, 1.0);
    a->end++;
}

/* Rebuilds the sums around new references: the newest known value and now. */
static void acc_rebuild(hr__rle_acc *a, const hr__rle_hist *h, int64_t t_now_ns) {
    for (uint64_t s = a->end; s-- > a->first;) {
        double x = entry_value(hist_seq(h, s), a->which);
        if (!isnan(x)) {
            a->ref_x = x;
            break;
        }
    }
    a->ref_t_ns = t_now_ns;
    a->s0 = a->s1 = a->s2 = a->st = a->stt = a->sty = 0.0;
    a->count = 0;
    for (uint64_t s = a->first; s < a->end; s++)
        acc_apply(a, hist_seq(h, s), 1.0);
    a->rebased_ns = t_now_ns;
    a->rebased = 1;
}

void hr__rle_acc_slide(hr__rle_acc *a, const hr__rle_hist *h, int64_t t_now_ns) {
    int64_t lo = t_now_ns - a->w_ns;
    while (a->first < a->end && hist_seq(h, a->first)->t_ns <= lo)
        acc_apply(a, hist_seq(h, a->first++), -1.0);
    if (!a->rebased || t_now_ns - a->rebased_ns >= a->w_ns)
        acc_rebuild(a, h, t_now_ns);
}

hr__rle_wstat hr__rle_acc_wstat(const hr__rle_acc *a, const hr__rle_hist *h, int64_t t_now_ns) {
    hr__rle_wstat s = {NAN, NAN, 0.0, a->count};
    double s0 = a->s0, s1 = a->s1, s2 = a->s2;
    /* The oldest entry may reach back before the window: count only its part
     * inside. (Every later entry's interval starts at an entry in the window.) */
    if (a->first < a->end) {
        const hr__rle_entry *e = hist_seq(h, a->first);
        int64_t lo = t_now_ns - a->w_ns, from = e->t_prev_ns > lo ? e->t_prev_ns : lo;
        double x = entry_value(e, a->which);
        double wf = full_weight_s(e), wc = (double)(e->t_ns - from) / 1e9;
        if (!isnan(x) && wf > 0.0 && wc < wf) {
            double dx = x - a->ref_x;
            s0 += wc - wf;
            s1 += (wc - wf) * dx;
            s2 += (wc - wf) * dx * dx;
        }
    }
    if (s.count == 0 || s0 <= 0.0)
        return s;
    double m = s1 / s0;
    s.weight_s = s0;
    s.mean = a->ref_x + m;
    s.var = fmax(0.0, s2 / s0 - m * m);
    return s;
}

hr__rle_fit hr__rle_acc_fit(const hr__rle_acc *a, int64_t t_now_ns) {
    hr__rle_fit f = {NAN, NAN, a->count, 0};
    if (a->count < 2)
        return f;
    double n = a->s0, tm = a->st / n, ym = a->s1 / n;
    double sxx = a->stt - a->st * tm, sxy = a->sty - a->st * ym;
    /* Times closer than a microsecond over the window: no slope. */
    if (!(sxx > 1e-12 * n))
        return f;
    f.slope = sxy / sxx;
    double now = (double)(t_now_ns - a->ref_t_ns) / 1e9;
    f.fit = a->ref_x + ym + f.slope * (now - tm);
    f.ok = 1;
    return f;
}

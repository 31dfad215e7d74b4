/* progress_track.c: from progress readings to steps (progress.h). */
#include "run/progress.h"

#include <string.h>

void hr__tracker_init(hr__tracker *t) {
    memset(t, 0, sizeof *t);
    t->primary = -1;
}

/* The bar's identity: its description with digit runs folded to '#', so that
 * "Epoch 3" continues "Epoch 2" as one bar that restarted. */
static void bar_key(const char *desc, char *key, size_t cap) {
    size_t k = 0;
    for (const char *p = desc; *p && k + 1 < cap; p++) {
        if (*p >= '0' && *p <= '9') {
            if (k == 0 || key[k - 1] != '#')
                key[k++] = '#';
            continue;
        }
        key[k++] = *p;
    }
    key[k] = '\0';
}

/* Finds or makes the bar for (KEY, TOTAL); *FRESH says it is new. */
static int bar_index(hr__tracker *t, const char *key, int64_t total, int *fresh) {
    *fresh = 0;
    for (size_t i = 0; i < t->nbars; i++)
        if (t->bars[i].total == total && strcmp(t->bars[i].desc, key) == 0)
            return (int)i;
    size_t slot = t->nbars;
    if (slot == HR__TRACK_BARS) {
        /* Replace the bar seen least recently, never the primary. */
        slot = t->primary == 0 ? 1 : 0;
        for (size_t i = 0; i < t->nbars; i++)
            if ((int)i != t->primary && t->bars[i].last_seen_ns < t->bars[slot].last_seen_ns)
                slot = i;
    } else {
        t->nbars++;
    }
    hr__bar *b = &t->bars[slot];
    memset(b, 0, sizeof *b);
    memcpy(b->desc, key, strlen(key) + 1);
    b->total = total;
    *fresh = 1;
    return (int)slot;
}

/* Whether bar I may take over as the primary now: it has advanced twice,
 * and more often than the primary, or the primary has gone quiet. A bar
 * that merely finished (an epoch's bar at 20/20) is not replaced by the
 * short bar that follows it (the validation pass): it restarts soon. */
static int may_take_over(const hr__tracker *t, int i, int64_t t_ns) {
    if (t->bars[i].advances < 2)
        return 0;
    if (t->primary < 0)
        return 1;
    const hr__bar *p = &t->bars[t->primary];
    return t->bars[i].advances > p->advances || t_ns - p->last_advance_ns >= HR__TRACK_STALE_NS;
}

int hr__tracker_feed(hr__tracker *t, const hr__progress *p, int64_t t_ns, hr__track_step *out) {
    char key[64];
    bar_key(p->desc, key, sizeof key);
    int fresh = 0;
    int i = bar_index(t, key, p->total, &fresh);
    hr__bar *b = &t->bars[i];
    t->readings++;
    int step = 0;
    for (size_t k = 0; k < t->nbars; k++)
        if ((int)k != i)
            t->bars[k].interleaved = 1;
    if (fresh || p->n < b->n) {
        /* A new bar, or this bar restarted: its work counts from here. */
        b->n = p->n;
        b->base_n = p->n;
        b->base_ns = t_ns;
        b->counted = 0;
        b->interleaved = 0;
        b->last_advance_ns = t_ns;
        if (p->n > 0)
            b->advances++;
    } else if (p->n > b->n) {
        double units = (double)(p->n - b->n);
        int64_t start = b->last_advance_ns;
        b->advances++;
        b->n = p->n;
        b->last_advance_ns = t_ns;
        int switched = 0;
        if (t->primary != i && may_take_over(t, i, t_ns)) {
            t->primary = i;
            switched = 1;
        }
        if (t->primary == i) {
            if (!b->counted && !b->interleaved) {
                /* Its first step: all its growth since it was seen. */
                units = (double)(p->n - b->base_n);
                start = b->base_ns;
            } else if (t->last_other_ns > start) {
                start = t->last_other_ns;
            }
            b->counted = 1;
            *out = (hr__track_step){p->n, p->total, units, start, t_ns, switched};
            step = 1;
        }
    }
    b->finished = b->total > 0 && b->n >= b->total;
    b->last_seen_ns = t_ns;
    if (t->primary != i)
        t->last_other_ns = t_ns;
    return step;
}

/* fuzz_progress.c: arbitrary bytes through the segmenter, the progress
 * parser and the tracker, as the runner feeds the job's output. Besides not
 * crashing, every result must keep its contract; a broken contract aborts. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/progress.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

typedef struct fuzz_state {
    hr__tracker t;
    int64_t now;
    int64_t last_t;
} fuzz_state;

static void check_reading(const hr__progress *p) {
    CHECK(p->n >= 0);
    CHECK(p->total >= -1);
    CHECK(isnan(p->rate) || p->rate >= 0);
    CHECK(p->elapsed_s >= 0);
    CHECK(memchr(p->unit, '\0', sizeof p->unit) != NULL && p->unit[0]);
    CHECK(memchr(p->desc, '\0', sizeof p->desc) != NULL);
    CHECK(p->npostfix <= HR__PROGRESS_MAX_POSTFIX);
    for (size_t i = 0; i < p->npostfix; i++) {
        CHECK(p->names[i][0] != '\0');
        CHECK(isfinite(p->values[i]));
    }
}

static void on_segment(void *user, const char *s, size_t n) {
    fuzz_state *f = user;
    CHECK(n > 0 && n <= HR__SEGMENT_CAP);
    CHECK(memchr(s, '\r', n) == NULL && memchr(s, '\n', n) == NULL && memchr(s, 0x1b, n) == NULL);
    /* A private copy: a parser reading past the end is caught by ASan. */
    char *copy = malloc(n);
    if (!copy)
        return;
    memcpy(copy, s, n);
    hr__progress p;
    f->now += 1000;
    if (hr__progress_parse(copy, n, &p) == HR_OK) {
        check_reading(&p);
        hr__track_step st;
        if (hr__tracker_feed(&f->t, &p, f->now, &st)) {
            CHECK(st.units > 0);
            CHECK(st.start_ns <= st.t_ns && st.t_ns == f->now);
            CHECK(st.index == p.n);
            CHECK(f->t.primary >= 0 && (size_t)f->t.primary < f->t.nbars);
        }
        CHECK(f->t.nbars <= HR__TRACK_BARS);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fuzz_state f;
    memset(&f, 0, sizeof f);
    hr__tracker_init(&f.t);
    hr__segmenter sg;
    memset(&sg, 0, sizeof sg);
    /* In two pieces, split where the first byte says: segments and escape
     * sequences cross read boundaries in real output. */
    size_t cut = size ? data[0] % (size + 1) : 0;
    hr__segmenter_feed(&sg, (const char *)data, cut, on_segment, &f);
    hr__segmenter_feed(&sg, (const char *)data + cut, size - cut, on_segment, &f);
    hr__segmenter_feed(&sg, "\n", 1, on_segment, &f);
    /* The whole input as one segment too (no segmenter in the way). */
    char *copy = malloc(size ? size : 1);
    if (copy) {
        memcpy(copy, data, size);
        hr__progress p;
        if (hr__progress_parse(copy, size, &p) == HR_OK)
            check_reading(&p);
        free(copy);
    }
    return 0;
}

/* test_run_progress.c: the progress parser, the segmenter and the tracker,
 * on hand-written lines and on real tqdm captures
 * (tests/fixtures/progress, made by capture.py with tqdm 4.64.1). */
#include "harness/hr_test.h"

#include <math.h>

#include "run/progress.h"

static hr_status parse(const char *s, hr__progress *p) {
    return hr__progress_parse(s, strlen(s), p);
}

static void test_progress_parses_tqdm_forms(void **state) {
    (void)state;
    hr__progress p;
    assert_int_equal(parse(" 42%|####      | 21/50 [00:10<00:12,  2.05it/s]", &p), HR_OK);
    assert_int_equal(p.n, 21);
    assert_int_equal(p.total, 50);
    assert_true(fabs(p.rate - 2.05) < 1e-9);
    assert_string_equal(p.unit, "it");
    assert_string_equal(p.desc, "");
    assert_true(fabs(p.elapsed_s - 10.0) < 1e-9);
    assert_int_equal(p.npostfix, 0);

    /* Slow steps: the inverse form, "s/it". */
    assert_int_equal(parse("render:  33%|\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x8e      "
                           "| 1/3 [00:01<00:02,  1.20s/it]",
                           &p),
                     HR_OK);
    assert_int_equal(p.n, 1);
    assert_int_equal(p.total, 3);
    assert_true(fabs(p.rate - 1.0 / 1.2) < 1e-9);
    assert_string_equal(p.desc, "render");

    /* No total: "123it [elapsed, rate]". */
    assert_int_equal(parse("123it [00:01, 98.76it/s]", &p), HR_OK);
    assert_int_equal(p.n, 123);
    assert_int_equal(p.total, -1);
    assert_true(fabs(p.rate - 98.76) < 1e-9);

    /* Hours in the elapsed time; an unknown rate. */
    assert_int_equal(parse("Training: |          | 0/? [1:02:03<?, ?it/s]", &p), HR_OK);
    assert_int_equal(p.n, 0);
    assert_int_equal(p.total, -1);
    assert_true(isnan(p.rate));
    assert_true(fabs(p.elapsed_s - 3723.0) < 1e-9);
    assert_string_equal(p.desc, "Training");
}

static void test_progress_keeps_postfix_numbers(void **state) {
    (void)state;
    hr__progress p;
    assert_int_equal(parse("Epoch 0:  45%|####5     | 9/20 [00:00<00:00, 49.20it/s, v_num=0, "
                           "train_loss=0.111, lr=1e-05, note=warm, bad=nan]",
                           &p),
                     HR_OK);
    assert_string_equal(p.desc, "Epoch 0");
    assert_int_equal(p.npostfix, 3);
    assert_string_equal(p.names[0], "v_num");
    assert_true(p.values[0] == 0.0);
    assert_string_equal(p.names[1], "train_loss");
    assert_true(fabs(p.values[1] - 0.111) < 1e-12);
    assert_string_equal(p.names[2], "lr");
    assert_true(fabs(p.values[2] - 1e-05) < 1e-18);
    /* A '[' inside the postfix does not hide the real bracket group. */
    assert_int_equal(parse("x:  50%|#    | 1/2 [00:01<00:01,  1.00it/s, tag=[a]]", &p), HR_OK);
    assert_int_equal(p.n, 1);
}

static void test_progress_rejects_other_lines(void **state) {
    (void)state;
    hr__progress p;
    const char *bad[] = {
        "",
        "]",
        "loss 0.5 [epoch 3]",
        "[00:10]",
        "5 [00:01, 1.00it/s]", /* a count without a unit or total */
        "Step 10/100 [done]",
        "{'loss': 1.84, 'grad_norm': 1.2345}",
        "model.safetensors:  40%|####      | 1.99G/4.98G [00:00<00:00, 15.6GB/s]",
        "100/200 [00:01<00:01, 100.00B/s]", /* bytes are not work */
        "Map: 100%|##########| 1000/1000 [00:00<00:00, 12345.67 examples/s]",
        "99999999999999999999/5 [00:01<00:01,  1.00it/s]",
        " 42%|####      | 21/50 [00:10<00:12,  2.05it/s",   /* cut short */
        " 42%|####      | 21/50 [00:61<00:12,  2.05it/s]",  /* 61 seconds */
        " 42%|####      | 21/50 [00:10<00:12,  2.05]",      /* no unit */
        " 42%|####      | -21/50 [00:10<00:12,  2.05it/s]", /* negative */
        "abc21/50 [00:10<00:12,  2.05it/s]",                /* the count is not a word */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(bad[i], &p) != HR_ENOENT)
            fail_msg("accepted \"%s\"", bad[i]);
}

/* --- segmenter --- */

typedef struct segs {
    char s[8][64];
    int n;
} segs;

static void keep_segment(void *user, const char *s, size_t n) {
    segs *g = user;
    if (g->n < 8 && n < 64) {
        memcpy(g->s[g->n], s, n);
        g->s[g->n][n] = '\0';
    }
    g->n++;
}

static void test_segmenter_cuts_and_strips_escapes(void **state) {
    (void)state;
    hr__segmenter sg;
    memset(&sg, 0, sizeof sg);
    segs g = {0};
    const char *in = "\r a\r\nb\x1b[A\x1b[32mc\x1b[0m\n\x1b]0;title\x07t\x1b]2;x\x1b\\u\n";
    /* Fed one byte at a time: escapes split across calls still vanish. */
    for (size_t i = 0; in[i]; i++)
        hr__segmenter_feed(&sg, in + i, 1, keep_segment, &g);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.s[0], " a");
    assert_string_equal(g.s[1], "bc");
    assert_string_equal(g.s[2], "tu");
}

static void test_segmenter_drops_overlong_segments(void **state) {
    (void)state;
    hr__segmenter sg;
    memset(&sg, 0, sizeof sg);
    segs g = {0};
    char big[3000];
    memset(big, 'x', sizeof big);
    hr__segmenter_feed(&sg, big, sizeof big, keep_segment, &g);
    hr__segmenter_feed(&sg, "\rok\n", 4, keep_segment, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.s[0], "ok");
}

/* --- tracker --- */

static hr__progress reading(const char *desc, int64_t n, int64_t total) {
    hr__progress p;
    memset(&p, 0, sizeof p);
    snprintf(p.desc, sizeof p.desc, "%s", desc);
    p.n = n;
    p.total = total;
    return p;
}

#define S(x) ((int64_t)(x)*1000000000LL)

static int feed(hr__tracker *t, const char *desc, int64_t n, int64_t total, int64_t t_ns,
                hr__track_step *out) {
    hr__progress p = reading(desc, n, total);
    return hr__tracker_feed(t, &p, t_ns, out);
}

static void test_tracker_steps_are_growth_of_the_primary(void **state) {
    (void)state;
    hr__tracker t;
    hr__tracker_init(&t);
    hr__track_step s;
    assert_false(feed(&t, "", 0, 10, S(0), &s)); /* a new bar */
    assert_false(feed(&t, "", 2, 10, S(1), &s)); /* first advance: not yet primary */
    assert_true(feed(&t, "", 5, 10, S(2), &s));  /* second: primary */
    /* Its first step is all its growth since it was seen: the advance it
     * made before it was the primary is work too. */
    assert_int_equal(s.index, 5);
    assert_true(s.units == 5.0);
    assert_true(s.start_ns == S(0) && s.t_ns == S(2));
    assert_int_equal(s.switched, 1);
    assert_false(feed(&t, "", 5, 10, S(2) + 500, &s)); /* a refresh is no step */
    assert_true(feed(&t, "", 7, 10, S(3), &s));
    assert_true(s.units == 2.0 && s.start_ns == S(2) && s.switched == 0);
    /* The bar restarts (diffusers: the next image): counts from 0 again. */
    assert_false(feed(&t, "", 0, 10, S(4), &s));
    assert_true(feed(&t, "", 3, 10, S(5), &s));
    assert_true(s.units == 3.0 && s.start_ns == S(4) && s.index == 3);
    /* Another bar's reading in between: the step starts after it. */
    assert_false(feed(&t, "eval", 1, 4, S(6), &s));
    assert_true(feed(&t, "", 4, 10, S(7), &s));
    assert_true(s.start_ns == S(6));
}

static void test_tracker_switches_only_from_a_finished_or_stale_primary(void **state) {
    (void)state;
    hr__tracker t;
    hr__tracker_init(&t);
    hr__track_step s;
    feed(&t, "load", 0, 3, S(0), &s);
    feed(&t, "load", 1, 3, S(1), &s);
    assert_true(feed(&t, "load", 2, 3, S(2), &s));
    assert_true(feed(&t, "load", 3, 3, S(3), &s)); /* finished: 3 advances */
    /* A second bar gives no steps while it has advanced no more often... */
    feed(&t, "gen", 0, 50, S(4), &s);
    assert_false(feed(&t, "gen", 1, 50, S(5), &s));
    assert_false(feed(&t, "gen", 2, 50, S(6), &s));
    assert_false(feed(&t, "gen", 3, 50, S(7), &s));
    /* ... and takes over once it has advanced more often. */
    assert_true(feed(&t, "gen", 5, 50, S(8), &s));
    assert_int_equal(s.switched, 1);
    assert_true(s.units == 5.0 && s.start_ns == S(4)); /* all of it: no other bar since */
    /* A short bar after the primary finished does not take over (an epoch's
     * validation pass). */
    feed(&t, "gen", 50, 50, S(9), &s);
    feed(&t, "val", 0, 5, S(10), &s);
    assert_false(feed(&t, "val", 2, 5, S(11), &s));
    assert_false(feed(&t, "val", 5, 5, S(12), &s));
    /* Stale: no advance for HR__TRACK_STALE_NS lets it take over. */
    assert_true(feed(&t, "val", 0, 5, S(13), &s) == 0);
    assert_false(feed(&t, "val", 1, 5, S(14), &s));
    assert_true(feed(&t, "val", 2, 5, S(9) + HR__TRACK_STALE_NS, &s));
    assert_int_equal(s.switched, 1);
    assert_true(s.units == 2.0 && s.start_ns == S(13));
}

/* A bar's first step covers its growth since it was seen only when no other
 * bar was read in between: that time may be the other bar's work. */
static void test_tracker_first_step_not_across_other_bars(void **state) {
    (void)state;
    hr__tracker t;
    hr__tracker_init(&t);
    hr__track_step s;
    feed(&t, "train", 0, 100, S(0), &s);
    feed(&t, "train", 3, 100, S(1), &s);
    feed(&t, "other", 0, 7, S(2), &s);
    assert_true(feed(&t, "train", 6, 100, S(3), &s));
    assert_true(s.units == 3.0 && s.start_ns == S(2));
    /* No opening line (the bar first seen at 4): the 4 units before it have
     * no start time and are not a step. */
    hr__tracker_init(&t);
    feed(&t, "", 4, 10, S(0), &s);
    assert_true(feed(&t, "", 6, 10, S(1), &s));
    assert_true(s.units == 2.0 && s.start_ns == S(0));
}

static void test_tracker_folds_epoch_numbers(void **state) {
    (void)state;
    hr__tracker t;
    hr__tracker_init(&t);
    hr__track_step s;
    feed(&t, "Epoch 0", 0, 20, S(0), &s);
    feed(&t, "Epoch 0", 10, 20, S(1), &s);
    feed(&t, "Epoch 0", 20, 20, S(2), &s);
    /* "Epoch 1" is the same bar, restarted: no switch. */
    assert_false(feed(&t, "Epoch 1", 0, 20, S(3), &s));
    assert_true(feed(&t, "Epoch 1", 5, 20, S(4), &s));
    assert_int_equal(s.switched, 0);
    assert_true(s.units == 5.0 && s.start_ns == S(3));
}

/* --- real captures --- */

typedef struct replay {
    hr__tracker t;
    int64_t now;
    int readings, steps, switches, restarts;
    double units;
    int64_t first_index, last_index, last_total;
    double last_rate;
    int saw_postfix;
    int units_ok;
} replay;

static void replay_segment(void *user, const char *s, size_t n) {
    replay *r = user;
    hr__progress p;
    r->now += 1000000; /* one millisecond per segment */
    if (hr__progress_parse(s, n, &p) != HR_OK)
        return;
    r->readings++;
    r->last_rate = p.rate;
    hr__track_step st;
    if (!hr__tracker_feed(&r->t, &p, r->now, &st))
        return;
    if (r->steps && st.index < r->last_index)
        r->restarts++;
    if (!r->steps)
        r->first_index = st.index;
    r->steps++;
    r->switches += st.switched;
    r->units += st.units;
    r->last_index = st.index;
    r->last_total = st.total;
    r->saw_postfix |= p.npostfix > 0;
    if (!(st.units > 0) || st.start_ns > st.t_ns)
        r->units_ok = 0;
}

static replay replay_file(const char *name) {
    char rel[128];
    snprintf(rel, sizeof rel, "progress/%s", name);
    FILE *f = fopen(hr_test_fixture(rel), "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    replay r;
    memset(&r, 0, sizeof r);
    r.units_ok = 1;
    hr__tracker_init(&r.t);
    hr__segmenter sg;
    memset(&sg, 0, sizeof sg);
    hr__segmenter_feed(&sg, buf, n, replay_segment, &r);
    return r;
}

/* Expected values follow from the readings in each capture (listed in
 * tests/fixtures/progress/README.md) and the tracker's rules: a bar becomes
 * the primary on its second advance, and that first step covers its growth
 * since the bar was seen. */
static void test_captures_plain_slow_and_no_total(void **state) {
    (void)state;
    /* 0, 5, 10, ..., 50: primary at 10 (10 units); then every 5. */
    replay r = replay_file("tqdm_plain.txt");
    assert_true(r.units_ok);
    assert_int_equal(r.steps, 9);
    assert_true(r.units == 50.0);
    assert_int_equal(r.first_index, 10);
    assert_int_equal(r.last_index, 50);
    assert_int_equal(r.last_total, 50);
    assert_int_equal(r.switches, 1);

    /* 0, 1, 2, 3 at 1.20 s/it. */
    r = replay_file("tqdm_slow.txt");
    assert_int_equal(r.steps, 2);
    assert_true(r.units == 3.0);
    assert_int_equal(r.last_index, 3);
    assert_true(fabs(r.last_rate - 1.0 / 1.2) < 1e-9);

    /* 0it, 5it, ..., 40it. */
    r = replay_file("tqdm_no_total.txt");
    assert_int_equal(r.steps, 7);
    assert_true(r.units == 40.0);
    assert_int_equal(r.last_index, 40);
    assert_int_equal(r.last_total, -1);
}

static void test_captures_diffusers_hf_lightning(void **state) {
    (void)state;
    /* diffusers: loading 0, 4, 7 of 7 (primary at 7, its second advance: 7
     * units); image 1's 0..25 bar takes over on its third advance, at 12 (it
     * has now advanced more often: 12 units), then 16, 20, 24, 25; images 2
     * and 3 restart the same bar: 4, 8, ..., 25. */
    replay r = replay_file("diffusers.txt");
    assert_true(r.units_ok);
    assert_int_equal(r.switches, 2);
    assert_int_equal(r.restarts, 2);
    assert_int_equal(r.steps, 1 + 5 + 7 + 7);
    assert_true(r.units == 7.0 + 25.0 + 25.0 + 25.0);
    assert_int_equal(r.last_index, 25);

    /* HF Trainer: 0, 4, 8, ..., 40 of 40 with log dicts (not progress) and
     * an evaluation bar of 8 (two advances in all) that never takes over the
     * training bar. */
    r = replay_file("hf_trainer.txt");
    assert_true(r.units_ok);
    assert_int_equal(r.switches, 1);
    assert_int_equal(r.steps, 11);
    assert_true(r.units == 40.0);
    assert_int_equal(r.last_total, 40);
    assert_int_equal(r.last_index, 40);

    /* Lightning: "Epoch 0" and "Epoch 1" are one bar that restarts; metrics
     * in the postfix; the nested validation bar (cursor escapes) never takes
     * over. Epoch 0 gives all 20 units (primary at 2: 2 units), epoch 1 all 20. */
    r = replay_file("lightning.txt");
    assert_true(r.units_ok);
    assert_true(r.saw_postfix);
    assert_int_equal(r.switches, 1);
    assert_int_equal(r.restarts, 1);
    assert_int_equal(r.steps, 19 + 20);
    assert_true(r.units == 40.0);
    assert_int_equal(r.last_total, 20);
    assert_int_equal(r.last_index, 20);

    /* A download (bytes, scaled counts) is no work at all. */
    r = replay_file("download.txt");
    assert_int_equal(r.readings, 0);
    assert_int_equal(r.steps, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_parses_tqdm_forms),
        cmocka_unit_test(test_progress_keeps_postfix_numbers),
        cmocka_unit_test(test_progress_rejects_other_lines),
        cmocka_unit_test(test_segmenter_cuts_and_strips_escapes),
        cmocka_unit_test(test_segmenter_drops_overlong_segments),
        cmocka_unit_test(test_tracker_steps_are_growth_of_the_primary),
        cmocka_unit_test(test_tracker_switches_only_from_a_finished_or_stale_primary),
        cmocka_unit_test(test_tracker_folds_epoch_numbers),
        cmocka_unit_test(test_tracker_first_step_not_across_other_bars),
        cmocka_unit_test(test_captures_plain_slow_and_no_total),
        cmocka_unit_test(test_captures_diffusers_hf_lightning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

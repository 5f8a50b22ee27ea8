/* The simulator's real floors and real sensors (docs/simulator.md "Real
 * floors" and "Real sensors"): a mat laid sideways, a ball, a hand put
 * down, two legs, the body shifting, uneven strokes and hesitations, late
 * labels, creep, drift, ghosting and the diy16 preset; each against the
 * truth it writes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rm_error.h"
#include "rm_sim.h"
#include "testlib.h"

static struct rm_sim *sim_of_text(const char *text)
{
    struct rm_sim_plan *plan;
    struct rm_sim *sim;
    int rc = rm_sim_plan_parse_string(&plan, text, "test.plan");
    if (rc)
        fprintf(stderr, "%s\n", rm_last_error(0));
    assert_int_equal(rc, 0);
    assert_int_equal(rm_sim_new(&sim, plan, 3), 0);
    rm_sim_plan_free(plan);
    return sim;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* The model's pressure at time t: buf (rows * cols kPa) and its centre of
 * pressure in mm, [row, col], over the sensels selected by the window
 * rows [r0, r1) x cols [c0, c1) (all: -1). */
struct field {
    struct rm_mat_info info;
    float *kpa;
    double force;
};

static void field_at(struct rm_sim *sim, double t, struct field *f)
{
    rm_sim_info(sim, &f->info);
    if (!f->kpa)
        f->kpa = malloc((size_t)f->info.rows * f->info.cols * sizeof(float));
    int64_t k = (int64_t)llround(t * f->info.rate_hz);
    assert_int_equal(rm_sim_pressure_at(sim, k, f->kpa, &f->force), 0);
}

static void centre(const struct field *f, int r0, int r1, int c0, int c1, double xy[2])
{
    double w = 0, sr = 0, sc = 0;
    for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++) {
            double p = f->kpa[(size_t)r * f->info.cols + c];
            w += p;
            sr += p * r * (f->info.pitch_row_um / 1000.0);
            sc += p * c * (f->info.pitch_col_um / 1000.0);
        }
    xy[0] = w > 0 ? sr / w : NAN;
    xy[1] = w > 0 ? sc / w : NAN;
}

static json_t *seg0(json_t *truth)
{
    json_t *s = json_array_get(json_object_get(truth, "segments"), 0);
    assert_non_null(s);
    return s;
}

/* axis=cols: the roller rolls along the columns; positions are along them
 * and the band lies across the rows. */
static void sideways_mat_rolls_along_cols(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("mat rows=32 cols=64 axis=cols\n"
                                     "idle 1\nmuscle calf-left lateral_mm=150\nat 100\n"
                                     "roll 500 speed=40\npause 5\nend\nidle 1\n");
    json_t *truth = rm_sim_truth_json(sim);
    assert_string_equal(json_string_value(json_object_get(seg0(truth), "axis")), "cols");
    assert_string_equal(json_string_value(json_object_get(json_object_get(truth, "mat"), "axis")),
                        "cols");
    json_t *st = json_array_get(json_object_get(seg0(truth), "strokes"), 0);
    struct field f = {0};
    double xy[2], xy2[2], tm = (num(st, "t_start") + num(st, "t_end")) / 2;
    field_at(sim, tm, &f);
    centre(&f, 0, f.info.rows, 0, f.info.cols, xy);
    field_at(sim, tm + 1, &f);
    centre(&f, 0, f.info.rows, 0, f.info.cols, xy2);
    /* Across the rows the limb stays at 150 mm; along the cols 40 mm/s. */
    assert_true(fabs(xy[0] - 150) < 1);
    assert_true(fabs(xy2[1] - xy[1] - 40) < 0.5);
    json_t *pa = json_array_get(json_object_get(seg0(truth), "pauses"), 0);
    json_t *pxy = json_object_get(pa, "position_xy_mm");
    assert_true(fabs(json_number_value(json_array_get(pxy, 1)) - 500) < 2);
    assert_true(fabs(json_number_value(json_array_get(pxy, 0)) - 150) < 1e-6);
    free(f.kpa);
    json_decref(truth);
    rm_sim_free(sim);
}

/* A ball goes in 2-D at its path speed; its contact is compact. */
static void ball_moves_in_2d(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("idle 1\nmuscle glute-left tool=ball share=0.3\nat 200,100\n"
                                     "roll 320,260 speed=25\npause 4\n"
                                     "rolls 320,260 200,100 speed=30 count=2\nend\nidle 1\n");
    json_t *truth = rm_sim_truth_json(sim), *seg = seg0(truth);
    assert_string_equal(json_string_value(json_object_get(seg, "tool")), "ball");
    assert_string_equal(json_string_value(json_object_get(seg, "axis")), "2d");
    json_t *st = json_array_get(json_object_get(seg, "strokes"), 0);
    assert_true(fabs(num(st, "speed_mm_s") - 25) < 1e-9);
    /* 200 mm of path (120 along, 160 across) at 25 mm/s plus the ramps. */
    assert_true(fabs(num(st, "t_end") - num(st, "t_start") - (200 / 25.0 + 0.25)) < 1e-6);
    struct field f = {0};
    double a[2], b[2], tm = (num(st, "t_start") + num(st, "t_end")) / 2;
    field_at(sim, tm, &f);
    centre(&f, 0, f.info.rows, 0, f.info.cols, a);
    /* Compact: nothing far from the centre. */
    for (int r = 0; r < f.info.rows; r++)
        for (int c = 0; c < f.info.cols; c++)
            if (f.kpa[(size_t)r * f.info.cols + c] > 0)
                assert_true(hypot(r * 10 - a[0], c * 10 - a[1]) < 45);
    field_at(sim, tm + 1, &f);
    centre(&f, 0, f.info.rows, 0, f.info.cols, b);
    assert_true(fabs(hypot(b[0] - a[0], b[1] - a[1]) - 25) < 0.5);
    assert_true(fabs((b[1] - a[1]) / (b[0] - a[0]) - 160.0 / 120.0) < 0.02);
    assert_int_equal(json_array_size(json_object_get(seg, "strokes")), 3);
    free(f.kpa);
    json_decref(truth);
    rm_sim_free(sim);
}

/* A hand put down mid-stroke: its own contact, its force on the mat, in
 * the truth; the roller's force and path are unchanged. */
static void hand_put_down_is_another_contact(void **state)
{
    (void)state;
    struct rm_sim *sim =
        sim_of_text("idle 1\nmuscle calf-left lateral_mm=100 width_mm=100\nat 100\n"
                    "touch hand 400,250 for=3 after=2\n"
                    "roll 500 speed=40\nend\nidle 1\n");
    json_t *truth = rm_sim_truth_json(sim), *seg = seg0(truth);
    json_t *tc = json_array_get(json_object_get(truth, "other_contacts"), 0);
    assert_non_null(tc);
    assert_string_equal(json_string_value(json_object_get(tc, "kind")), "hand");
    assert_true(fabs(num(tc, "t_start") - 4.0) < 1e-9); /* idle 1 + getting on 1 + after 2 */
    assert_true(fabs(num(tc, "t_end") - 7.0) < 1e-9);
    assert_int_equal(json_array_size(json_object_get(seg, "other_contacts")), 1);
    struct field f = {0};
    double xy[2];
    field_at(sim, 5.5, &f);
    /* The hand's half of the mat (cols 20 on) holds the hand alone. */
    centre(&f, 0, f.info.rows, 20, f.info.cols, xy);
    assert_true(fabs(xy[0] - 400) < 1 && fabs(xy[1] - 250) < 1);
    double sum = 0;
    for (int r = 0; r < f.info.rows; r++)
        for (int c = 20; c < f.info.cols; c++)
            sum += f.kpa[(size_t)r * f.info.cols + c] * 100 / 1000.0;
    assert_true(fabs(sum - 80) < 1); /* the default hand: 80 N */
    free(f.kpa);
    json_decref(truth);
    rm_sim_free(sim);
}

/* Two legs on one roller: two limbs across the same band; the body may
 * shift across the mat during a stroke. */
static void two_legs_and_shifting_body(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("idle 1\nmuscle calves legs=2 spacing_mm=160 width_mm=90 "
                                     "lateral_mm=130\nat 100\n"
                                     "roll 500 speed=40 lateral=180\nend\nidle 1\n");
    json_t *truth = rm_sim_truth_json(sim), *seg = seg0(truth);
    assert_int_equal(json_integer_value(json_object_get(seg, "legs")), 2);
    json_t *st = json_array_get(json_object_get(seg, "strokes"), 0);
    assert_true(fabs(json_number_value(json_array_get(json_object_get(st, "to_xy_mm"), 1)) - 180) <
                1e-6);
    struct field f = {0};
    double left[2], right[2], whole[2];
    field_at(sim, num(st, "t_start") + 0.01, &f);
    centre(&f, 0, f.info.rows, 0, 14, left);
    centre(&f, 0, f.info.rows, 14, f.info.cols, right);
    assert_true(fabs(left[1] - 50) < 2 && fabs(right[1] - 210) < 2);
    field_at(sim, num(st, "t_end") - 0.01, &f);
    centre(&f, 0, f.info.rows, 0, f.info.cols, whole);
    assert_true(fabs(whole[1] - 180) < 3);
    /* Along the roll axis both legs sit on the one band. */
    assert_true(fabs(whole[0] - 500) < 2);
    free(f.kpa);
    json_decref(truth);
    rm_sim_free(sim);
}

/* spread= gives each stroke of a rhythm its own speed; hesitate stops
 * briefly without a pause; the truth says both. */
static void uneven_strokes_and_hesitations(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("idle 1\nmuscle calf-left\nat 100\n"
                                     "rolls 100 500 speed=30 count=6 spread=0.3\n"
                                     "roll 300 speed=30\nhesitate 1.2\nroll 100 speed=30\n"
                                     "end\nidle 1\n");
    json_t *truth = rm_sim_truth_json(sim), *seg = seg0(truth), *st;
    size_t i;
    double lo = 1e9, hi = 0;
    json_array_foreach(json_object_get(seg, "strokes"), i, st)
    {
        if (!json_is_true(json_object_get(st, "rhythm")))
            continue;
        double v = num(st, "speed_mm_s");
        assert_true(v >= 21 - 1e-9 && v <= 39 + 1e-9);
        lo = fmin(lo, v);
        hi = fmax(hi, v);
    }
    assert_true(hi - lo > 3); /* they differ */
    assert_int_equal(json_array_size(json_object_get(seg, "pauses")), 0);
    json_t *h = json_array_get(json_object_get(seg, "hesitations"), 0);
    assert_non_null(h);
    assert_true(fabs(num(h, "duration_s") - 1.2) < 1e-6);
    assert_true(fabs(num(h, "position_mm") - 300) < 1e-6);
    json_decref(truth);
    rm_sim_free(sim);
}

/* label_late_s: the segment_start event comes late, in time order with
 * the other events; the truth keeps when the person got on. */
static void late_label_event(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("idle 1\nmuscle calf-left\nrolls 100 400 speed=40 count=2\n"
                                     "end silent\nidle 4\n"
                                     "muscle calf-right label_late_s=6\nmark early\n"
                                     "rolls 100 400 speed=40 count=2\nend\nidle 1\n");
    json_t *truth = rm_sim_truth_json(sim);
    json_t *right = json_array_get(json_object_get(truth, "segments"), 1);
    double t_on = num(right, "t_start"), t_label = num(right, "label_t");
    assert_true(fabs(t_label - t_on - 6) < 1e-6);
    struct rm_sim_frame f;
    double last = -1, t_start_event = NAN;
    int n_end = 0;
    while (rm_sim_next(sim, &f) == 0 || f.nevents) {
        for (size_t i = 0; i < f.nevents; i++) {
            assert_true(f.events[i].t >= last);
            last = f.events[i].t;
            if (strcmp(f.events[i].kind, "segment_start") == 0 &&
                strcmp(f.events[i].label, "calf-right") == 0)
                t_start_event = f.events[i].t;
            n_end += strcmp(f.events[i].kind, "segment_end") == 0 &&
                     strcmp(f.events[i].label, "calf-left") == 0;
        }
        if (!f.sensels)
            break;
    }
    assert_true(fabs(t_start_event - t_label) < 1e-9);
    assert_int_equal(n_end, 0); /* the left calf's end was never said */
    json_decref(truth);
    rm_sim_free(sim);
}

/* Mean counts over the sensels of rows [r0, r1) x cols [c0, c1) of the
 * delivered frame at time t (frames played from the start). */
static double counts_at(struct rm_sim *sim, double t, int r0, int r1, int c0, int c1)
{
    struct rm_sim_frame f;
    rm_sim_rewind(sim);
    while (rm_sim_next(sim, &f) == 0)
        if (f.t >= t - 1e-9) {
            double s = 0;
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++)
                    s += f.sensels[(size_t)r * f.cols + c];
            return s / ((r1 - r0) * (c1 - c0));
        }
    fail();
    return NAN;
}

/* creep=0.18: over a 30 s hold the pressure a sensel reports rises by
 * 15-18 %; none without. */
static void creep_rises_over_a_hold(void **state)
{
    (void)state;
    const char *plan = "mat creep=0.18 creep_tau_s=10\nidle 1\nmuscle calf-left\nat 300\n"
                       "pause 32\nend\nidle 1\n";
    struct rm_sim *sim = sim_of_text(plan);
    rm_sim_set_noiseless(sim, true);
    struct rm_calibration *cal;
    assert_int_equal(rm_sim_true_calibration(sim, &cal), 0);
    /* The pressure read at the centre sensel (row 30, col 15), by the true
     * calibration, 1 s into the hold and 31 s in, over the true pressure. */
    struct field f = {0};
    double ratio[2], when[2] = {3.0, 33.0};
    for (int i = 0; i < 2; i++) {
        double raw = counts_at(sim, when[i], 30, 31, 15, 16);
        size_t i0 = 30 * 32 + 15;
        double kpa_read = rm_calibration_curve(cal, cal->gain[i0] * (raw - cal->offset[i0]));
        field_at(sim, when[i], &f);
        ratio[i] = kpa_read / f.kpa[30 * 32 + 15];
    }
    assert_true(ratio[1] / ratio[0] > 1.13 && ratio[1] / ratio[0] < 1.19);
    free(f.kpa);
    rm_calibration_free(cal);
    rm_sim_free(sim);
}

/* drift_per_min: an empty mat's zero climbs by about that many counts a
 * minute. */
static void offset_drifts(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("mat drift_per_min=6\nidle 130\n");
    rm_sim_set_noiseless(sim, true);
    double a = counts_at(sim, 1, 0, 64, 0, 32), b = counts_at(sim, 121, 0, 64, 0, 32);
    /* Dead sensels do not drift: a 1-in-700 share. */
    assert_true(b - a > 11 && b - a < 13);
    rm_sim_free(sim);
}

/* ghost: a roller and a hand on a passive matrix light up the crossings of
 * the hand's rows with the roller's columns; nothing without the hand. */
static void ghosting_shows_on_crossings(void **state)
{
    (void)state;
    const char *plan = "mat ghost=0.3\nidle 1\nmuscle calf-left lateral_mm=80 width_mm=100\n"
                       "at 150\ntouch hand 450,250 for=4 after=1\npause 6\nend\nidle 1\n";
    struct rm_sim *sim = sim_of_text(plan);
    rm_sim_set_noiseless(sim, true);
    /* Rows 43-47 (the hand) x cols 6-10 (the roller's limb): no load. */
    double quiet = counts_at(sim, 2.5, 43, 48, 6, 11);
    double ghost = counts_at(sim, 4.0, 43, 48, 6, 11);
    assert_true(ghost - quiet > 20);
    rm_sim_free(sim);
}

static void diy16_preset(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("mat preset=diy16 ghost=0.1\nidle 1\nmuscle calf-left\n"
                                     "rolls 60 400 speed=40 count=2\nend\nidle 1\n");
    struct rm_mat_info info;
    rm_sim_info(sim, &info);
    assert_int_equal(info.rows, 16);
    assert_int_equal(info.cols, 16);
    assert_int_equal(info.pitch_row_um, 30000);
    assert_int_equal(info.adc_bits, 10);
    assert_int_equal(info.rate_hz, 40);
    json_t *truth = rm_sim_truth_json(sim), *mat = json_object_get(truth, "mat");
    assert_true(fabs(num(mat, "ghost") - 0.1) < 1e-9); /* keys after the preset win */
    assert_true(num(mat, "creep") > 0);
    json_decref(truth);
    rm_sim_free(sim);
}

static void bad_real_floor_plans(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"mat axis=diagonal\nidle 1\n", "axis must be rows or cols"},
        {"mat preset=diy99\nidle 1\n", "unknown preset"},
        {"idle 1\nmuscle a tool=ball\nat 100\n", "X,Y is expected"},
        {"idle 1\nmuscle a\nroll 100,100 speed=3\n", "along the roll axis"},
        {"idle 1\nmuscle a tool=ball legs=2\n", "one leg"},
        {"touch elbow 10,10 for=1\nidle 1\n", "hand, knee or foot"},
        {"touch hand 10,10\nidle 1\n", "for=S is required"},
        {"idle 1\nmuscle a\nhesitate 3\n", "outside"},
        {"mat axis=cols rows=32 cols=64\nidle 1\nmuscle a\nat 400\n", NULL},
        {"mat axis=cols rows=32 cols=64\nidle 1\nmuscle a\nat 640\n", "outside"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rm_sim_plan *plan = NULL;
        int rc = rm_sim_plan_parse_string(&plan, bad[i][0], "t.plan");
        if (!bad[i][1]) {
            assert_int_equal(rc, 0);
            rm_sim_plan_free(plan);
            continue;
        }
        assert_int_equal(rc, RM_EFORMAT);
        if (!strstr(rm_last_error(0), bad[i][1]))
            fail_msg("plan %zu: '%s' lacks '%s'", i, rm_last_error(0), bad[i][1]);
    }
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sideways_mat_rolls_along_cols),
        cmocka_unit_test(ball_moves_in_2d),
        cmocka_unit_test(hand_put_down_is_another_contact),
        cmocka_unit_test(two_legs_and_shifting_body),
        cmocka_unit_test(uneven_strokes_and_hesitations),
        cmocka_unit_test(late_label_event),
        cmocka_unit_test(creep_rises_over_a_hold),
        cmocka_unit_test(offset_drifts),
        cmocka_unit_test(ghosting_shows_on_crossings),
        cmocka_unit_test(diy16_preset),
        cmocka_unit_test(bad_real_floor_plans),
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

/* Contacts per frame and the tool among them (analysis/contacts.c), on the
 * simulator's noiseless pressure fields: a roller with a hand put down, two
 * legs on one roller, a knee put down before the roller, a ball. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "an_contacts.h"
#include "rm_sim.h"

struct run {
    struct rm_sim *sim;
    struct rm_mat_info info;
    float *kpa;
    uint32_t *idx;
    double *val;
    struct an_contacts_scratch w;
    struct an_tracker tr;
};

static void run_open(struct run *r, const char *plan_text)
{
    struct rm_sim_plan *plan;
    memset(r, 0, sizeof(*r));
    assert_int_equal(rm_sim_plan_parse_string(&plan, plan_text, "t.plan"), 0);
    assert_int_equal(rm_sim_new(&r->sim, plan, 1), 0);
    rm_sim_plan_free(plan);
    rm_sim_info(r->sim, &r->info);
    size_t n = (size_t)r->info.rows * r->info.cols;
    r->kpa = malloc(n * sizeof(float));
    r->idx = malloc(n * sizeof(uint32_t));
    r->val = malloc(n * sizeof(double));
    assert_int_equal(an_contacts_scratch_new(&r->w, n), 0);
    r->tr.rival_since = NAN;
}

static void run_close(struct run *r)
{
    free(r->kpa);
    free(r->idx);
    free(r->val);
    an_contacts_scratch_free(&r->w);
    rm_sim_free(r->sim);
}

/* The picked contacts of the frame at t (frames fed in time order). */
static void frame(struct run *r, double t, struct an_frame_contacts *fc, struct an_picked *p)
{
    double force;
    int64_t k = (int64_t)llround(t * r->info.rate_hz);
    assert_int_equal(rm_sim_pressure_at(r->sim, k, r->kpa, &force), 0);
    size_t n = (size_t)r->info.rows * r->info.cols, nc = 0;
    for (size_t i = 0; i < n; i++)
        if (r->kpa[i] > 1.0f) {
            r->idx[nc] = (uint32_t)i;
            r->val[nc++] = r->kpa[i];
        }
    an_contacts_find(&r->w, r->idx, r->val, nc, r->info.rows, r->info.cols,
                     r->info.pitch_row_um / 1000.0, r->info.pitch_col_um / 1000.0, 5.0, fc);
    an_tracker_pick(&r->tr, t, fc, p);
}

/* Frames from t0 to t1 (exclusive) every dt; the last one's picks. */
static void play(struct run *r, double t0, double t1, double dt, struct an_frame_contacts *fc,
                 struct an_picked *p)
{
    for (double t = t0; t < t1 - 1e-9; t += dt)
        frame(r, t, fc, p);
}

static void hand_is_not_the_tool(void **state)
{
    (void)state;
    struct run r;
    /* A hand 80 N at 450,250 from 4 s to 7 s while the roller rolls. */
    run_open(&r, "idle 1\nmuscle calf-left lateral_mm=100 width_mm=100\nat 100\n"
                 "touch hand 450,250 for=3 after=2\nroll 500 speed=40\nend\nidle 1\n");
    struct an_frame_contacts fc;
    struct an_picked p;
    play(&r, 1.5, 5.0, 0.01, &fc, &p);
    assert_int_equal(fc.n, 2);
    assert_int_equal(p.nother, 1);
    assert_true(fabs(p.other[0].row_mm - 450) < 1 && fabs(p.other[0].col_mm - 250) < 1);
    /* The roller at 100 + 40 mm/s * (5 - 2 - ramp) or so, across at 100. */
    assert_true(fabs(p.tool.col_mm - 100) < 1);
    assert_true(p.tool.row_mm > 180 && p.tool.row_mm < 230);
    assert_true(p.tool.sd_row_mm < p.tool.sd_col_mm); /* a band across the rows */
    run_close(&r);
}

static void two_legs_are_one_tool(void **state)
{
    (void)state;
    struct run r;
    run_open(&r, "idle 1\nmuscle calves legs=2 spacing_mm=170 width_mm=90 lateral_mm=150\n"
                 "at 100\nroll 500 speed=40\nend\nidle 1\n");
    struct an_frame_contacts fc;
    struct an_picked p;
    play(&r, 1.5, 5.0, 0.01, &fc, &p);
    assert_int_equal(fc.n, 2);
    assert_int_equal(p.nother, 0);
    assert_true(fabs(p.tool.col_mm - 150) < 1);
    run_close(&r);
}

/* A knee put down first carries the load alone; the roller that comes
 * after and outweighs it twice over becomes the tool; a knee put down
 * while rolling, about as heavy as the roller, does not take over. */
static void followed_contact_stays_the_tool(void **state)
{
    (void)state;
    struct run r;
    run_open(&r, "touch hand 500,250 for=4 force_n=60\nidle 2\n"
                 "muscle calf-left lateral_mm=100 width_mm=100 share=0.4\nat 100\n"
                 "touch knee 550,60 for=3 after=3 force_n=250\n"
                 "roll 450 speed=30\nend\nidle 1\n");
    struct an_frame_contacts fc;
    struct an_picked p;
    play(&r, 0.5, 1.5, 0.01, &fc, &p);
    assert_true(fabs(p.tool.row_mm - 500) < 1); /* the hand alone: the tool for now */
    play(&r, 1.5, 4.5, 0.01, &fc, &p);
    assert_true(fabs(p.tool.col_mm - 100) < 1); /* the roller took over */
    play(&r, 4.5, 7.0, 0.01, &fc, &p);
    assert_int_equal(p.nother, 1);
    assert_true(fabs(p.other[0].row_mm - 550) < 1);
    assert_true(fabs(p.tool.col_mm - 100) < 1);
    run_close(&r);
}

static void ball_is_compact(void **state)
{
    (void)state;
    struct run r;
    run_open(&r, "idle 1\nmuscle glute-left tool=ball\nat 200,100\nroll 320,260 speed=25\n"
                 "end\nidle 1\n");
    struct an_frame_contacts fc;
    struct an_picked p;
    play(&r, 2.0, 5.0, 0.01, &fc, &p);
    assert_int_equal(fc.n, 1);
    double ratio = p.tool.sd_row_mm / p.tool.sd_col_mm;
    assert_true(ratio > 0.8 && ratio < 1.25);
    assert_true(p.tool.sd_row_mm < 15);
    run_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_is_not_the_tool),
        cmocka_unit_test(two_legs_are_one_tool),
        cmocka_unit_test(followed_contact_stays_the_tool),
        cmocka_unit_test(ball_is_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

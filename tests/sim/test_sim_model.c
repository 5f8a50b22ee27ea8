/* The simulated mat's model against its contract (docs/simulator.md): the
 * same plan and seed give the same frames, the true calibration inverts the
 * sensor, the pressures integrate to the truth's force, and the truth's
 * strokes and pauses are where the frames put the roller. */
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
#include "rm_wire.h"

static struct rm_sim *sim_of_text(const char *text, uint64_t seed)
{
    struct rm_sim_plan *plan;
    struct rm_sim *sim;
    assert_int_equal(rm_sim_plan_parse_string(&plan, text, "test.plan"), 0);
    assert_int_equal(rm_sim_new(&sim, plan, seed), 0);
    rm_sim_plan_free(plan);
    return sim;
}

static struct rm_sim *sim_of_scenario(const char *name, uint64_t seed)
{
    struct rm_sim_plan *plan;
    struct rm_sim *sim;
    assert_int_equal(rm_sim_plan_builtin(&plan, name), 0);
    assert_int_equal(rm_sim_new(&sim, plan, seed), 0);
    rm_sim_plan_free(plan);
    return sim;
}

/* FNV-1a over every delivered frame's seq, flags and counts. */
static uint64_t frames_hash(struct rm_sim *sim, int64_t *count)
{
    uint64_t h = 0xcbf29ce484222325ull;
    struct rm_sim_frame f;
    *count = 0;
    while (rm_sim_next(sim, &f) == 0) {
        const uint8_t *p = (const uint8_t *)f.sensels;
        size_t n = (size_t)f.rows * f.cols * 2;
        for (size_t i = 0; i < n; i++)
            h = (h ^ p[i]) * 0x100000001b3ull;
        h = (h ^ f.seq ^ ((uint64_t)f.flags << 48)) * 0x100000001b3ull;
        (*count)++;
    }
    return h;
}

static void same_seed_same_frames(void **state)
{
    (void)state;
    struct rm_sim *a = sim_of_scenario("short-holds", 7), *b = sim_of_scenario("short-holds", 7);
    int64_t na, nb;
    uint64_t ha = frames_hash(a, &na), hb = frames_hash(b, &nb);
    assert_int_equal(na, nb);
    assert_int_equal(na, rm_sim_frames_delivered(a));
    assert_true(ha == hb);
    /* Rewinding replays the same session. */
    rm_sim_rewind(a);
    assert_true(frames_hash(a, &na) == ha);
    rm_sim_free(a);
    rm_sim_free(b);
}

static void other_seed_other_frames(void **state)
{
    (void)state;
    struct rm_sim *a = sim_of_scenario("short-holds", 1), *b = sim_of_scenario("short-holds", 2);
    int64_t na, nb;
    assert_true(frames_hash(a, &na) != frames_hash(b, &nb));
    /* ... but the same mat: its calibration comes from the serial. */
    struct rm_calibration *ca, *cb;
    assert_int_equal(rm_sim_true_calibration(a, &ca), 0);
    assert_int_equal(rm_sim_true_calibration(b, &cb), 0);
    size_t n = (size_t)ca->rows * ca->cols;
    assert_memory_equal(ca->offset, cb->offset, n * sizeof(float));
    assert_memory_equal(ca->gain, cb->gain, n * sizeof(float));
    assert_memory_equal(ca->dead, cb->dead, n);
    assert_true(ca->curve_a == cb->curve_a && ca->curve_b == cb->curve_b);
    rm_calibration_free(ca);
    rm_calibration_free(cb);
    rm_sim_free(a);
    rm_sim_free(b);
}

static void other_serial_other_mat(void **state)
{
    (void)state;
    struct rm_sim *a = sim_of_text("mat serial=MAT-A\nidle 1\n", 1);
    struct rm_sim *b = sim_of_text("mat serial=MAT-B\nidle 1\n", 1);
    struct rm_calibration *ca, *cb;
    assert_int_equal(rm_sim_true_calibration(a, &ca), 0);
    assert_int_equal(rm_sim_true_calibration(b, &cb), 0);
    assert_string_equal(ca->device_serial, "MAT-A");
    assert_true(memcmp(ca->offset, cb->offset, 64 * 32 * sizeof(float)) != 0);
    /* The spreads of docs/simulator.md: offsets 20-60 counts, gains +-10 %. */
    for (size_t i = 0; i < 64 * 32; i++) {
        assert_true(ca->offset[i] >= 20 && ca->offset[i] <= 60);
        assert_true(ca->gain[i] >= 0.9f && ca->gain[i] <= 1.1f);
    }
    rm_calibration_free(ca);
    rm_calibration_free(cb);
    rm_sim_free(a);
    rm_sim_free(b);
}

/* Applies the true calibration to the real (noisy) frames and compares with
 * the model's pressure, sensel by sensel and as a total force. */
static void check_inversion(const char *scenario, int stride, double min_force)
{
    struct rm_sim *sim = sim_of_scenario(scenario, 3);
    struct rm_calibration *cal;
    struct rm_mat_info info;
    rm_sim_info(sim, &info);
    assert_int_equal(rm_sim_true_calibration(sim, &cal), 0);
    size_t n = (size_t)info.rows * info.cols;
    double area_mm2 = info.pitch_row_um / 1000.0 * info.pitch_col_um / 1000.0;
    float *measured = malloc(n * sizeof(float)), *truth = malloc(n * sizeof(float));
    struct rm_sim_frame f;
    int checked = 0, loaded = 0;
    while (rm_sim_next(sim, &f) == 0) {
        if (f.seq % (uint64_t)stride)
            continue;
        double force_true, sum = 0, sum_true = 0, sum_alive = 0;
        rm_calibration_apply(cal, f.sensels, measured, 1);
        assert_int_equal(rm_sim_pressure_at(sim, (int64_t)f.seq, truth, &force_true), 0);
        for (size_t i = 0; i < n; i++) {
            sum += measured[i];
            sum_true += truth[i];
            sum_alive += cal->dead[i] ? 0 : truth[i];
            if (cal->dead[i] || truth[i] < 10)
                continue;
            /* 1.5 counts of noise on a few hundred counts, plus rounding. */
            assert_true(fabs(measured[i] - truth[i]) <= 0.05 * truth[i] + 1.0);
            checked++;
        }
        /* The model's pressures integrate to the force on the mat ... */
        assert_true(fabs(sum_true * area_mm2 / 1000.0 - force_true) <= 1e-3 * force_true + 0.01);
        double force = sum * area_mm2 / 1000.0, force_alive = sum_alive * area_mm2 / 1000.0;
        if (force_true > min_force) {
            /* ... and so do the calibrated counts, but for what dead
             * sensels lose. */
            assert_true(fabs(force - force_alive) <= 0.02 * force_alive);
            assert_true(fabs(force - force_true) <= 0.05 * force_true);
            loaded++;
        } else {
            /* An empty mat reads (nearly) nothing. */
            assert_true(force_true > 1 || force < 5);
        }
    }
    assert_true(checked > 100);
    assert_true(loaded > 10);
    free(measured);
    free(truth);
    rm_calibration_free(cal);
    rm_sim_free(sim);
}

/* Without noise the calibration inverts the sensor to the rounding of the
 * counts: half a count on a few hundred. */
static void calibration_inverts_exactly(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_scenario("good", 3);
    rm_sim_set_noiseless(sim, true);
    struct rm_calibration *cal;
    struct rm_mat_info info;
    rm_sim_info(sim, &info);
    assert_int_equal(rm_sim_true_calibration(sim, &cal), 0);
    size_t n = (size_t)info.rows * info.cols;
    float *measured = malloc(n * sizeof(float)), *truth = malloc(n * sizeof(float));
    struct rm_sim_frame f;
    int checked = 0;
    while (rm_sim_next(sim, &f) == 0) {
        if (f.seq % 101)
            continue;
        double force_true, sum = 0, alive = 0;
        rm_calibration_apply(cal, f.sensels, measured, 1);
        assert_int_equal(rm_sim_pressure_at(sim, (int64_t)f.seq, truth, &force_true), 0);
        for (size_t i = 0; i < n; i++) {
            if (cal->dead[i])
                continue;
            sum += measured[i];
            alive += truth[i];
            if (truth[i] >= 5) {
                assert_true(fabs(measured[i] - truth[i]) <= 0.01 * truth[i] + 0.05);
                checked++;
            }
        }
        if (alive > 100)
            assert_true(fabs(sum - alive) <= 0.005 * alive);
    }
    assert_true(checked > 1000);
    free(measured);
    free(truth);
    rm_calibration_free(cal);
    rm_sim_free(sim);
}

static void calibration_inverts_roller(void **state)
{
    (void)state;
    check_inversion("good", 97, 150);
}

static void calibration_inverts_board(void **state)
{
    (void)state;
    check_inversion("load", 41, 300);
}

/* The roll position of the frame: pressure-weighted mean row position. */
static double centroid(const float *kpa, int rows, int cols, double pitch)
{
    double s = 0, m = 0;
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < cols; c++) {
            s += kpa[r * cols + c];
            m += kpa[r * cols + c] * r * pitch;
        }
    return s > 0 ? m / s : NAN;
}

static double centroid_at(struct rm_sim *sim, double t, float *buf)
{
    struct rm_mat_info info;
    rm_sim_info(sim, &info);
    double force;
    int64_t k = (int64_t)llround(t * info.rate_hz);
    if (k >= rm_sim_frames_sampled(sim))
        k = rm_sim_frames_sampled(sim) - 1;
    assert_int_equal(rm_sim_pressure_at(sim, k, buf, &force), 0);
    return centroid(buf, info.rows, info.cols, info.pitch_row_um / 1000.0);
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_non_null(v);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

static void truth_matches_motion(void **state)
{
    (void)state;
    const char *names[] = {"good", "fast", "long-holds", "no-events"};
    for (size_t s = 0; s < sizeof(names) / sizeof(names[0]); s++) {
        struct rm_sim *sim = sim_of_scenario(names[s], 11);
        struct rm_mat_info info;
        rm_sim_info(sim, &info);
        float *buf = malloc((size_t)info.rows * info.cols * sizeof(float));
        json_t *truth = rm_sim_truth_json(sim), *seg;
        size_t i, j;
        assert_non_null(truth);
        assert_true(json_array_size(json_object_get(truth, "segments")) >= 1);
        json_array_foreach(json_object_get(truth, "segments"), i, seg)
        {
            json_t *st, *pa;
            json_array_foreach(json_object_get(seg, "strokes"), j, st)
            {
                double t0 = num(st, "t_start"), t1 = num(st, "t_end"), v = num(st, "speed_mm_s");
                assert_true(fabs(centroid_at(sim, t0, buf) - num(st, "from_mm")) < 3);
                assert_true(fabs(centroid_at(sim, t1, buf) - num(st, "to_mm")) < 3);
                /* Mid-stroke the roller runs at the commanded speed. */
                double tm = (t0 + t1) / 2;
                double speed =
                    fabs(centroid_at(sim, tm + 0.1, buf) - centroid_at(sim, tm - 0.1, buf)) / 0.2;
                assert_true(fabs(speed - v) < 0.1 * v);
            }
            json_array_foreach(json_object_get(seg, "pauses"), j, pa)
            {
                double t0 = num(pa, "t_start"), t1 = num(pa, "t_end"), pos = num(pa, "position_mm");
                assert_true(fabs(num(pa, "duration_s") - (t1 - t0)) < 1e-6);
                double prev = centroid_at(sim, t0, buf);
                /* Still, give or take a wobble: within 10 mm of the
                 * position, under 5 mm/s (pause_tolerance_mm and
                 * pause_speed_mm_s of the default profile). */
                for (double t = t0 + 0.25; t < t1; t += 0.25) {
                    double p = centroid_at(sim, t, buf);
                    assert_true(fabs(p - pos) < 5);
                    assert_true(fabs(p - prev) / 0.25 < 5);
                    prev = p;
                }
            }
            double force = num(seg, "mean_force_n");
            /* A third of a 70 kg person or so (Baumgart et al. 2019). */
            assert_true(force > 0.25 * 70 * 9.81 && force < 0.5 * 70 * 9.81);
        }
        json_decref(truth);
        free(buf);
        rm_sim_free(sim);
    }
}

/* Strokes that follow each other the same way blend: the person slows to
 * the spot without stopping, and the truth has one pass (as the analyzer
 * counts passes) whose speed is the one it ran at most of the time. */
static void same_way_strokes_blend(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("muscle calf-left\n"
                                     "at 50\n"
                                     "rolls 100 300 speed=30 count=2\n" /* 50 -> 100 -> 300 */
                                     "roll 60 speed=30\n"               /* 300 -> 100, on to 60 */
                                     "roll 40 speed=8\n"                /* slow approach */
                                     "mark spot\n"
                                     "pause 5\n"
                                     "roll 200 speed=30\n"
                                     "end\n",
                                     1);
    struct rm_mat_info info;
    rm_sim_info(sim, &info);
    float *buf = malloc((size_t)info.rows * info.cols * sizeof(float));
    json_t *truth = rm_sim_truth_json(sim);
    json_t *strokes =
        json_object_get(json_array_get(json_object_get(truth, "segments"), 0), "strokes");
    const double want[][3] = {{50, 300, 30}, {300, 40, 30}, {40, 200, 30}};
    assert_int_equal(json_array_size(strokes), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *st = json_array_get(strokes, i);
        assert_true(num(st, "from_mm") == want[i][0]);
        assert_true(num(st, "to_mm") == want[i][1]);
        assert_true(num(st, "speed_mm_s") == want[i][2]);
        double t0 = num(st, "t_start"), t1 = num(st, "t_end");
        assert_true(fabs(centroid_at(sim, t0, buf) - want[i][0]) < 3);
        assert_true(fabs(centroid_at(sim, t1, buf) - want[i][1]) < 3);
        /* Never at rest inside a pass. */
        for (double t = t0 + 0.3; t < t1 - 0.3; t += 0.05) {
            double v =
                fabs(centroid_at(sim, t + 0.05, buf) - centroid_at(sim, t - 0.05, buf)) / 0.1;
            assert_true(v > 6);
        }
    }
    /* The slow approach: the last 20 mm at 8 mm/s, and the pause begins
     * when the roller comes to rest there. */
    double t1 = num(json_array_get(strokes, 1), "t_end");
    double v = fabs(centroid_at(sim, t1 - 1.1, buf) - centroid_at(sim, t1 - 1.0, buf)) / 0.1;
    assert_true(fabs(v - 8) < 1);
    json_t *pause = json_array_get(
        json_object_get(json_array_get(json_object_get(truth, "segments"), 0), "pauses"), 0);
    assert_true(fabs(num(pause, "t_start") - t1) < 1e-6);
    json_decref(truth);
    free(buf);
    rm_sim_free(sim);
}

static void drops_make_seq_gaps(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("mat rows=8 cols=4 rate_hz=50\n"
                                     "idle 1\n"
                                     "drop 5\n"
                                     "idle 1\n"
                                     "mark \"after the gap\"\n"
                                     "drop 2\n"
                                     "idle 1\n",
                                     1);
    assert_int_equal(rm_sim_frames_sampled(sim), 150);
    assert_int_equal(rm_sim_frames_delivered(sim), 143);
    struct rm_sim_frame f;
    uint64_t prev = 0;
    int64_t n = 0, overruns = 0, marks = 0;
    while (rm_sim_next(sim, &f) == 0) {
        if (n > 0 && f.seq != prev + 1) {
            assert_true(f.flags & RM_FRAME_OVERRUN);
            assert_true(f.seq == 55 || f.seq == 102);
            overruns++;
        } else {
            assert_false(f.flags & RM_FRAME_OVERRUN);
        }
        assert_int_equal(f.t_us, f.seq * 20000);
        for (size_t i = 0; i < f.nevents; i++) {
            assert_string_equal(f.events[i].kind, "mark");
            assert_string_equal(f.events[i].label, "after the gap");
            assert_true(f.events[i].t <= f.t);
            /* Handed out with the first frame after the mark (dropped). */
            assert_int_equal(f.seq, 102);
            marks++;
        }
        prev = f.seq;
        n++;
    }
    assert_int_equal(n, 143);
    assert_int_equal(overruns, 2);
    assert_int_equal(marks, 1);
    json_t *truth = rm_sim_truth_json(sim);
    assert_int_equal(json_integer_value(json_object_get(truth, "frames")), 143);
    assert_int_equal(json_integer_value(json_object_get(truth, "frames_dropped")), 7);
    json_decref(truth);
    rm_sim_free(sim);
}

static void events_follow_the_plan(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_scenario("good", 1);
    json_t *truth = rm_sim_truth_json(sim);
    json_t *segs = json_object_get(truth, "segments");
    struct rm_sim_frame f;
    size_t starts = 0, ends = 0;
    double last_t = -1;
    int rc;
    while ((rc = rm_sim_next(sim, &f)) == 0 || f.nevents) {
        for (size_t i = 0; i < f.nevents; i++) {
            const struct rm_sim_event *e = &f.events[i];
            assert_true(e->t >= last_t);
            last_t = e->t;
            if (strcmp(e->kind, "segment_start") == 0) {
                json_t *s = json_array_get(segs, starts++);
                assert_string_equal(e->label, json_string_value(json_object_get(s, "label")));
                assert_true(fabs(e->t - num(s, "t_start")) < 1e-6);
            } else if (strcmp(e->kind, "segment_end") == 0) {
                json_t *s = json_array_get(segs, ends++);
                assert_true(fabs(e->t - num(s, "t_end")) < 1e-6);
            }
        }
        if (rc)
            break;
    }
    assert_int_equal(starts, json_array_size(segs));
    assert_int_equal(ends, json_array_size(segs));
    json_decref(truth);
    rm_sim_free(sim);

    /* no-events: segments in the truth, none on the event stream. */
    sim = sim_of_scenario("no-events", 1);
    while ((rc = rm_sim_next(sim, &f)) == 0 || f.nevents) {
        for (size_t i = 0; i < f.nevents; i++)
            assert_string_not_equal(f.events[i].kind, "segment_start");
        if (rc)
            break;
    }
    truth = rm_sim_truth_json(sim);
    assert_int_equal(json_array_size(json_object_get(truth, "segments")), 3);
    json_decref(truth);
    rm_sim_free(sim);
}

static void saturation_at_full_scale(void **state)
{
    (void)state;
    struct rm_sim *sim = sim_of_text("mat rows=8 cols=8 adc_bits=10\nuniform 5000 0.1\n", 1);
    struct rm_sim_frame f;
    int frames = 0;
    while (rm_sim_next(sim, &f) == 0) {
        assert_true(f.flags & RM_FRAME_SATURATED);
        int full = 0;
        for (int i = 0; i < 64; i++) {
            assert_true(f.sensels[i] <= 1023);
            full += f.sensels[i] == 1023;
        }
        assert_true(full >= 60); /* all but the dead */
        frames++;
    }
    assert_int_equal(frames, 10);
    rm_sim_free(sim);
}

static void any_grid_pitch_rate(void **state)
{
    (void)state;
    const char *plans[] = {
        "mat rows=255 cols=255 pitch_row_mm=5 pitch_col_mm=5 rate_hz=200 adc_bits=16 "
        "serial=BIG\nmuscle quad-left\nat 600\nroll 700 speed=40\nend\n",
        "mat rows=16 cols=4 pitch_row_mm=20 pitch_col_mm=25 rate_hz=50 adc_bits=8\n"
        "muscle calf-left width_mm=60\nat 100\nroll 200 speed=30\nend\n",
    };
    for (size_t p = 0; p < 2; p++) {
        struct rm_sim *sim = sim_of_text(plans[p], 5);
        struct rm_mat_info info, back;
        uint8_t block[RM_INFO_BLOCK_SIZE];
        rm_sim_info(sim, &info);
        rm_mat_info_encode(&info, block);
        assert_int_equal(rm_mat_info_parse(block, "sim", &back), 0);
        assert_string_equal(back.model, "simulated");
        assert_int_equal(back.rows, p ? 16 : 255);
        assert_int_equal(back.pitch_col_um, p ? 25000 : 5000);
        struct rm_calibration *cal;
        assert_int_equal(rm_sim_true_calibration(sim, &cal), 0);
        size_t n = (size_t)info.rows * info.cols;
        float *kpa = malloc(n * sizeof(float)), *truth = malloc(n * sizeof(float));
        struct rm_sim_frame f;
        double worst = 0;
        int loaded = 0;
        while (rm_sim_next(sim, &f) == 0) {
            for (size_t i = 0; i < n; i++)
                assert_true(f.sensels[i] <= (1u << info.adc_bits) - 1);
            if (f.seq % 7)
                continue;
            double force_true, sum = 0, alive = 0;
            assert_int_equal(rm_sim_pressure_at(sim, (int64_t)f.seq, truth, &force_true), 0);
            rm_calibration_apply(cal, f.sensels, kpa, 1);
            /* Only where the roller presses: on 65,025 sensels even 16-bit
             * noise adds up to a few per cent of a person. */
            for (size_t i = 0; i < n; i++) {
                if (truth[i] > 0 && !cal->dead[i]) {
                    alive += truth[i];
                    sum += kpa[i];
                }
            }
            if (force_true > 200) {
                double err = fabs(sum - alive) / alive;
                worst = err > worst ? err : worst;
                loaded++;
            }
        }
        assert_true(loaded > 5);
        /* 8-bit counts are coarse: a few per cent more. */
        assert_true(worst < (p ? 0.08 : 0.03));
        free(kpa);
        free(truth);
        rm_calibration_free(cal);
        rm_sim_free(sim);
    }
}

/* With an argument, runs only the tests it names (a cmocka pattern): one
 * ctest per behaviour. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_frames),      cmocka_unit_test(other_seed_other_frames),
        cmocka_unit_test(other_serial_other_mat),     cmocka_unit_test(calibration_inverts_exactly),
        cmocka_unit_test(calibration_inverts_roller), cmocka_unit_test(calibration_inverts_board),
        cmocka_unit_test(truth_matches_motion),       cmocka_unit_test(same_way_strokes_blend),
        cmocka_unit_test(drops_make_seq_gaps),        cmocka_unit_test(events_follow_the_plan),
        cmocka_unit_test(saturation_at_full_scale),   cmocka_unit_test(any_grid_pitch_rate),
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

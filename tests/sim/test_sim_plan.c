/* Plans: every mistake is reported with its line, and the built-in
 * scenarios play what the table of docs/simulator.md promises. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rm_error.h"
#include "rm_sim.h"
#include "testlib.h"

struct bad_plan {
    const char *text;
    int line;
    const char *what;
};

static const struct bad_plan bad_plans[] = {
    {"idle 1\nmat rows=8\n", 2, "must come before"},
    {"mat rows=300\nidle 1\n", 1, "rows = 300 is outside 1 .. 255"},
    {"mat adc_bits=17\n", 1, "adc_bits"},
    {"mat pitch_row_mm=0\n", 1, "pitch_row_mm"},
    {"mat serial=ABCDEFGHIJKLMNOPQ\n", 1, "serial must be 1 to 16"},
    {"mat colour=red\n", 1, "unknown key colour"},
    {"idle x\n", 1, "'x' is not a number"},
    {"idle 0x10\n", 1, "seconds: '0x10' is not a number; allowed: a decimal number from"},
    {"idle 1\nidle 3\x01\n", 2, "is not a number"},
    {"mat colour=red\n", 1, "unknown key colour; allowed: rows, cols, pitch_row_mm"},
    {"muscle calf-left foo=1\n", 1, "unknown key 'foo'; allowed: share"},
    {"idle 1\nidle -2\n", 2, "outside"},
    {"idle 1\nroll 100 speed=30\n", 2, "nobody is on the roller"},
    {"idle 1\npause 3\n", 2, "nobody is on the roller"},
    {"muscle calf-left\nuniform 20 5\n", 2, "someone is on the roller"},
    {"muscle calf-left\nidle 5\n", 2, "someone is on the roller"},
    {"muscle calf-left\nroll 100\n", 2, "speed=V is required"},
    {"muscle calf-left\nrolls 100 300 speed=30\n", 2, "count=N is required"},
    {"muscle calf-left\nrolls 100 300 speed=30 count=2.5\n", 2, "not a whole number"},
    {"muscle calf-left\nroll 5000 speed=20\n", 2, "position = 5000 is outside 0 .. 630"},
    {"mat rows=8 cols=4\n# a comment\n\nmuscle x\nat 71\n", 5, "outside 0 .. 70"},
    {"muscle calf-left foo=1\n", 1, "unknown key 'foo'"},
    {"muscle calf-left share=2\n", 1, "share = 2 is outside"},
    {"muscle\n", 1, "1 argument expected"},
    {"muscle \"calf left\nend\n", 1, "unterminated string"},
    {"frobnicate 3\n", 1, "unknown command frobnicate"},
    {"idle 1\nend\n", 2, "nobody is on the roller"},
    {"events maybe\nidle 1\n", 1, "expected on or off"},
    {"mass 10 5 area=0,0,10000,10\n", 1, "beyond the mat"},
    {"mass 10 5 area=0,0,10\n", 1, "four numbers"},
    {"mass 10 5 area=50,0,10,10\n", 1, "x0 < x1"},
    {"uniform 20\n", 1, "2 arguments expected"},
    {"drop 0\nidle 1\n", 1, "outside"},
    {"mark\nidle 1\n", 1, "a text is required"},
    {"date 2026-02-30T07:00:00Z\nidle 1\n", 1, "date: expected YYYY-MM-DDTHH:MM:SSZ"},
    {"date 2026-09-01 07:00:00\nidle 1\n", 1, "unexpected '07:00:00'"},
    {"date 2026-09-01T07:00:00\nidle 1\n", 1, "date: expected"},
    {"date 2026-09-01T24:00:00Z\nidle 1\n", 1, "date: expected"},
    {"date 2026-09-01T07:00:00Z\ndate 2026-09-02T07:00:00Z\n", 2, "already has a date"},
    {"# nothing\n\n", 2, "plays nothing"},
    {"", 1, "plays nothing"},
};

static void bad_plans_name_their_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_plans) / sizeof(bad_plans[0]); i++) {
        struct rm_sim_plan *plan = (void *)1;
        rm_clear_error();
        int rc = rm_sim_plan_parse_string(&plan, bad_plans[i].text, "x.plan");
        const char *msg = rm_last_error(rc);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "x.plan:%d: ", bad_plans[i].line);
        if (rc != RM_EFORMAT || strncmp(msg, prefix, strlen(prefix)) != 0 ||
            !strstr(msg, bad_plans[i].what))
            fail_msg("plan %zu: rc %d, message \"%s\", wanted \"%s...%s\"", i, rc, msg, prefix,
                     bad_plans[i].what);
        assert_null(plan);
    }
}

static void plan_file_errors(void **state)
{
    (void)state;
    struct rm_sim_plan *plan;
    char path[] = "/tmp/rollmat-plan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("mat rows=8 cols=4\nidle 1\nmuscle calf-left\nroll 50 speed=0\n", f);
    fclose(f);
    rm_clear_error();
    assert_int_equal(rm_sim_plan_parse_file(&plan, path), RM_EFORMAT);
    char want[64];
    snprintf(want, sizeof(want), "%s:4: speed", path);
    assert_true(strncmp(rm_last_error(RM_EFORMAT), want, strlen(want)) == 0);
    unlink(path);
    assert_int_equal(rm_sim_plan_parse_file(&plan, path), RM_ENOTFOUND);
    assert_null(plan);
}

static void strings_and_comments(void **state)
{
    (void)state;
    struct rm_sim_plan *plan;
    struct rm_sim *sim;
    assert_int_equal(rm_sim_plan_parse_string(&plan,
                                              "mat rows=16 cols=8 serial=MY-MAT # the mat\n"
                                              "muscle \"calf left\" share=0.3\n"
                                              "mark felt   tight # joined\n"
                                              "mark \"a # b \\\"q\\\"\"\n"
                                              "roll 100 speed=30\n"
                                              "end\n",
                                              "ok.plan"),
                     0);
    assert_string_equal(rm_sim_plan_name(plan), "ok.plan");
    assert_int_equal(rm_sim_new(&sim, plan, 1), 0);
    rm_sim_plan_free(plan);
    json_t *truth = rm_sim_truth_json(sim);
    json_t *seg = json_array_get(json_object_get(truth, "segments"), 0);
    json_t *marks = json_object_get(truth, "marks");
    assert_string_equal(json_string_value(json_object_get(seg, "label")), "calf left");
    assert_string_equal(json_string_value(json_object_get(json_array_get(marks, 0), "text")),
                        "felt tight");
    assert_string_equal(json_string_value(json_object_get(json_array_get(marks, 1), "text")),
                        "a # b \"q\"");
    json_t *mat = json_object_get(truth, "mat");
    assert_string_equal(json_string_value(json_object_get(mat, "serial")), "MY-MAT");
    assert_string_equal(json_string_value(json_object_get(truth, "plan")), "ok.plan");
    /* The plan's last segment was never ended: the person steps off. */
    assert_true(json_number_value(json_object_get(seg, "t_end")) > 0);
    json_decref(truth);
    rm_sim_free(sim);
}

/* A plan saved by a Windows editor: a UTF-8 byte order mark before the
 * first command and CRLF line ends. */
static void windows_plan_file(void **state)
{
    (void)state;
    struct rm_sim_plan *plan;
    struct rm_sim *sim;
    rm_clear_error();
    assert_int_equal(rm_sim_plan_parse_string(&plan,
                                              "\xEF\xBB\xBFidle 1\r\n"
                                              "muscle \"calf left\"\r\n"
                                              "mark tight\r\n"
                                              "end\r\n",
                                              "win.plan"),
                     0);
    assert_int_equal(rm_sim_new(&sim, plan, 1), 0);
    rm_sim_plan_free(plan);
    json_t *truth = rm_sim_truth_json(sim);
    json_t *seg = json_array_get(json_object_get(truth, "segments"), 0);
    assert_string_equal(json_string_value(json_object_get(seg, "label")), "calf left");
    json_t *mark = json_array_get(json_object_get(truth, "marks"), 0);
    assert_string_equal(json_string_value(json_object_get(mark, "text")), "tight");
    /* The idle second came first: the segment starts after it. */
    assert_true(fabs(json_number_value(json_object_get(seg, "t_start")) - 1.0) < 1e-9);
    json_decref(truth);
    rm_sim_free(sim);
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* `muscle` during a segment ends it first; `events off` silences the
 * segments that start after it, not the one already open. */
static void muscle_switch_and_events(void **state)
{
    (void)state;
    struct rm_sim_plan *plan;
    struct rm_sim *sim;
    assert_int_equal(rm_sim_plan_parse_string(&plan,
                                              "mat rows=32 cols=8\n"
                                              "muscle a\nat 100\nroll 200 speed=50\n"
                                              "muscle b\nroll 100 speed=50\n"
                                              "events off\nmuscle c\nend\nidle 1\n",
                                              "switch.plan"),
                     0);
    assert_int_equal(rm_sim_new(&sim, plan, 1), 0);
    rm_sim_plan_free(plan);
    /* 1 s on, 100 mm at 50 mm/s with 0.25 s of ramps, 1 s off. */
    const struct {
        double t;
        const char *kind, *label;
    } want[] = {
        {0.0, "segment_start", "a"},
        {4.25, "segment_end", "a"},
        {4.25, "segment_start", "b"},
        {8.5, "segment_end", "b"},
    };
    size_t seen = 0;
    struct rm_sim_frame f;
    int rc;
    do {
        rc = rm_sim_next(sim, &f);
        for (size_t i = 0; i < f.nevents; i++, seen++) {
            assert_true(seen < 4);
            assert_true(fabs(f.events[i].t - want[seen].t) < 1e-9);
            assert_string_equal(f.events[i].kind, want[seen].kind);
            assert_string_equal(f.events[i].label, want[seen].label);
        }
    } while (rc == 0);
    assert_int_equal(rc, RM_EEOF);
    assert_int_equal(seen, 4);
    json_t *truth = rm_sim_truth_json(sim), *segs = json_object_get(truth, "segments");
    assert_int_equal(json_array_size(segs), 3);
    assert_true(json_is_true(json_object_get(json_array_get(segs, 1), "events")));
    assert_true(json_is_false(json_object_get(json_array_get(segs, 2), "events")));
    assert_true(fabs(num(json_array_get(segs, 2), "t_start") - 8.5) < 1e-9);
    assert_true(fabs(num(truth, "duration_s") - 11.5) < 1e-9);
    json_decref(truth);
    rm_sim_free(sim);
}

static json_t *truth_of(const char *name, struct rm_sim **out)
{
    struct rm_sim_plan *plan;
    assert_int_equal(rm_sim_plan_builtin(&plan, name), 0);
    assert_string_equal(rm_sim_plan_name(plan), name);
    assert_int_equal(rm_sim_new(out, plan, 1), 0);
    rm_sim_plan_free(plan);
    json_t *truth = rm_sim_truth_json(*out);
    assert_non_null(truth);
    return truth;
}

/* Pause lengths and stroke speeds of every segment lie in [lo, hi]. */
static void check_rolling(json_t *truth, double pause_lo, double pause_hi, double v_lo, double v_hi,
                          size_t min_pauses)
{
    json_t *seg, *x;
    size_t i, j, pauses = 0;
    json_array_foreach(json_object_get(truth, "segments"), i, seg)
    {
        json_array_foreach(json_object_get(seg, "pauses"), j, x)
        {
            assert_in_range(llround(num(x, "duration_s") * 1000), llround(pause_lo * 1000),
                            llround(pause_hi * 1000));
            pauses++;
        }
        json_t *prev = NULL;
        json_array_foreach(json_object_get(seg, "strokes"), j, x)
        {
            assert_true(num(x, "speed_mm_s") >= v_lo && num(x, "speed_mm_s") <= v_hi);
            /* Back to back, strokes reverse: one stroke is one pass in one
             * direction, as the analyzer counts them. */
            if (prev && num(prev, "t_end") == num(x, "t_start"))
                assert_true((num(prev, "to_mm") - num(prev, "from_mm")) *
                                (num(x, "to_mm") - num(x, "from_mm")) <
                            0);
            prev = x;
        }
        assert_true(num(seg, "speed_median_mm_s") >= v_lo);
    }
    assert_true(pauses >= min_pauses);
}

static void scenarios_play_their_table(void **state)
{
    (void)state;
    struct rm_sim *sim;
    json_t *truth;
    size_t count = 0;
    for (const char *const *s = rm_sim_scenarios(); *s; s++, count++)
        assert_non_null(rm_sim_scenario_text(*s));
    assert_int_equal(count, 8);
    assert_null(rm_sim_scenario_text("nope"));
    struct rm_sim_plan *plan;
    rm_clear_error();
    assert_int_equal(rm_sim_plan_builtin(&plan, "nope"), RM_ENOTFOUND);
    assert_non_null(strstr(rm_last_error(RM_ENOTFOUND), "good, fast"));

    truth = truth_of("good", &sim);
    check_rolling(truth, 20, 30, 25, 35, 4);
    /* Calves left and right, about 2 min each, a rhythm in each. */
    json_t *segs = json_object_get(truth, "segments");
    assert_int_equal(json_array_size(segs), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(segs, 0), "label")),
                        "calf-left");
    assert_string_equal(json_string_value(json_object_get(json_array_get(segs, 1), "label")),
                        "calf-right");
    for (size_t i = 0; i < 2; i++) {
        json_t *seg = json_array_get(segs, i);
        double len = num(seg, "t_end") - num(seg, "t_start");
        assert_true(len > 100 && len < 140);
        assert_true(num(seg, "cadence_hz") > 0.03 && num(seg, "cadence_hz") < 0.08);
    }
    assert_true(num(truth, "duration_s") < 260); /* keeps the tests quick */
    json_decref(truth);
    rm_sim_free(sim);

    truth = truth_of("fast", &sim);
    check_rolling(truth, 0, 0, 120, 150, 0);
    json_decref(truth);
    rm_sim_free(sim);

    truth = truth_of("short-holds", &sim);
    check_rolling(truth, 5, 8, 25, 35, 3);
    json_decref(truth);
    rm_sim_free(sim);

    truth = truth_of("long-holds", &sim);
    check_rolling(truth, 45, 60, 25, 35, 3);
    json_decref(truth);
    rm_sim_free(sim);

    truth = truth_of("no-events", &sim);
    segs = json_object_get(truth, "segments");
    assert_true(json_array_size(segs) >= 3);
    for (size_t i = 0; i < json_array_size(segs); i++) {
        json_t *seg = json_array_get(segs, i);
        assert_true(json_is_false(json_object_get(seg, "events")));
        if (i > 0)
            assert_true(num(seg, "t_start") - num(json_array_get(segs, i - 1), "t_end") >= 3);
    }
    json_decref(truth);
    rm_sim_free(sim);

    truth = truth_of("zero", &sim);
    assert_int_equal(json_integer_value(json_object_get(truth, "frames")), 1000);
    assert_int_equal(json_array_size(json_object_get(truth, "segments")), 0);
    json_decref(truth);
    rm_sim_free(sim);

    const double kpa[] = {20, 60, 120}, kg[] = {40, 70, 100};
    for (int u = 0; u < 2; u++) {
        truth = truth_of(u ? "load" : "uniform", &sim);
        json_t *loads = json_object_get(truth, "loads");
        assert_int_equal(json_array_size(loads), 3);
        for (size_t i = 0; i < 3; i++) {
            json_t *l = json_array_get(loads, i);
            assert_true(fabs(num(l, "t_end") - num(l, "t_start") - 10) < 1e-9);
            assert_string_equal(json_string_value(json_object_get(l, "kind")),
                                u ? "mass" : "uniform");
            if (u) {
                assert_true(num(l, "kg") == kg[i]);
                assert_true(fabs(num(l, "force_n") - kg[i] * 9.80665) < 1e-3);
            } else {
                assert_true(num(l, "kpa") == kpa[i]);
            }
        }
        json_decref(truth);
        rm_sim_free(sim);
    }
}

/* With an argument, runs only the tests it names (a cmocka pattern): one
 * ctest per behaviour. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_plans_name_their_line), cmocka_unit_test(plan_file_errors),
        cmocka_unit_test(strings_and_comments),      cmocka_unit_test(windows_plan_file),
        cmocka_unit_test(muscle_switch_and_events),  cmocka_unit_test(scenarios_play_their_table),
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

/* `rollmat sim -o X.rmw`: a wire capture any decoder accepts, every frame
 * intact, seq gaps where the plan dropped frames, and exactly the frames
 * the generator makes in process; the same bytes for the same seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rm_capture.h"
#include "rm_error.h"
#include "rm_sim.h"
#include "rm_wire.h"
#include "testlib.h"

static const char plan_text[] = "mat rows=20 cols=12 rate_hz=50 serial=RMW-1\n"
                                "idle 1\n"
                                "muscle calf-left lateral_mm=60 width_mm=80\n"
                                "at 40\n"
                                "rolls 40 150 speed=60 count=3\n"
                                "drop 4\n"
                                "pause 3\n"
                                "mark gap\n"
                                "drop 1\n"
                                "roll 100 speed=40\n"
                                "end\n"
                                "idle 1\n";

struct check {
    struct rm_sim *sim; /* the same plan and seed, in process */
    uint64_t frames;
    int mismatches;
};

static void on_frame(void *user, const struct rm_frame *f)
{
    struct check *c = user;
    struct rm_sim_frame want;
    assert_int_equal(rm_sim_next(c->sim, &want), 0);
    if (f->seq != want.seq || f->t_us != want.t_us || f->flags != want.flags ||
        memcmp(f->sensels, want.sensels, (size_t)want.rows * want.cols * 2) != 0)
        c->mismatches++;
    c->frames++;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void run_sim(const char *seed, const char *out, const char *truth)
{
    const char *rollmat = getenv("ROLLMAT");
    assert_non_null(rollmat);
    assert_int_equal(rm_test_run(NULL, 0, "'%s' sim --plan '%s' --seed %s -o '%s' --truth '%s'",
                                 rollmat, rm_test_path("p.plan"), seed, out, truth),
                     0);
}

static void capture_decodes_intact(void **state)
{
    (void)state;
    FILE *f = fopen(rm_test_path("p.plan"), "w");
    fputs(plan_text, f);
    fclose(f);
    run_sim("9", rm_test_path("a.rmw"), rm_test_path("a.json"));

    json_error_t jerr;
    json_t *truth = json_load_file(rm_test_path("a.json"), 0, &jerr);
    assert_non_null(truth);
    json_int_t want_frames = json_integer_value(json_object_get(truth, "frames"));
    json_int_t want_dropped = json_integer_value(json_object_get(truth, "frames_dropped"));
    assert_int_equal(want_dropped, 5);

    struct rm_sim_plan *plan;
    struct check c = {0};
    assert_int_equal(rm_sim_plan_parse_string(&plan, plan_text, "p.plan"), 0);
    assert_int_equal(rm_sim_new(&c.sim, plan, 9), 0);
    rm_sim_plan_free(plan);
    assert_int_equal(rm_sim_frames_delivered(c.sim), want_frames);

    struct rm_capture_reader *r;
    assert_int_equal(rm_capture_reader_open(&r, rm_test_path("a.rmw")), 0);
    const struct rm_mat_info *info = rm_capture_reader_info(r);
    assert_int_equal(info->rows, 20);
    assert_int_equal(info->cols, 12);
    assert_int_equal(info->rate_hz, 50);
    assert_string_equal(info->serial, "RMW-1");
    assert_string_equal(info->model, "simulated");

    struct rm_wire_decoder *dec;
    assert_int_equal(rm_wire_decoder_new(&dec, info->rows, info->cols, on_frame, &c), 0);
    uint8_t buf[3001]; /* an odd size: frames straddle the reads */
    long n;
    while ((n = rm_capture_reader_read(r, buf, sizeof(buf))) > 0)
        rm_wire_decoder_feed(dec, buf, (size_t)n);
    assert_int_equal(n, 0);
    rm_wire_decoder_finish(dec);
    struct rm_wire_stats st;
    rm_wire_decoder_stats(dec, &st);
    assert_int_equal(st.crc_errors, 0);
    assert_int_equal(st.bytes_skipped, 0);
    assert_int_equal(st.frames, (uint64_t)want_frames);
    assert_int_equal(st.frames_dropped, (uint64_t)want_dropped);
    assert_int_equal(c.frames, (uint64_t)want_frames);
    assert_int_equal(c.mismatches, 0);
    rm_wire_decoder_free(dec);
    rm_capture_reader_close(r);
    rm_sim_free(c.sim);
    json_decref(truth);
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    FILE *f = fopen(rm_test_path("p.plan"), "w");
    fputs(plan_text, f);
    fclose(f);
    run_sim("4", rm_test_path("b1.rmw"), rm_test_path("b1.json"));
    run_sim("4", rm_test_path("b2.rmw"), rm_test_path("b2.json"));
    run_sim("5", rm_test_path("b3.rmw"), rm_test_path("b3.json"));
    size_t l1, l2, l3, j1, j2;
    char *a = slurp(rm_test_path("b1.rmw"), &l1), *b = slurp(rm_test_path("b2.rmw"), &l2),
         *c = slurp(rm_test_path("b3.rmw"), &l3);
    char *ja = slurp(rm_test_path("b1.json"), &j1), *jb = slurp(rm_test_path("b2.json"), &j2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    assert_memory_equal(ja, jb, j1 < j2 ? j1 : j2);
    assert_int_equal(j1, j2);
    /* Another session on the same plan: same length, other noise. */
    assert_int_equal(l1, l3);
    assert_true(memcmp(a, c, l1) != 0);
    free(a);
    free(b);
    free(c);
    free(ja);
    free(jb);
}

/* With an argument, runs only the tests it names (a cmocka pattern): one
 * ctest per behaviour. */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capture_decodes_intact),
        cmocka_unit_test(same_seed_same_bytes),
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

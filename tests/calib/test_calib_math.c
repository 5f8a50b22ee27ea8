/* The calibration steps on a synthetic mat with known truth (synth_mat.h):
 * what each step recovers, and how each refuses bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../calib/calib_internal.h"
#include "rm_calib.h"
#include "rm_error.h"
#include "synth_mat.h"

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void test_median_matches_sorting(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 5);
    for (size_t n = 1; n < 200; n += 7) {
        float v[200], sorted[200];
        for (size_t i = 0; i < n; i++)
            v[i] = sorted[i] = (float)floor(10 * syn_uniform(&m)); /* many ties */
        qsort(sorted, n, sizeof(float), cmp_float);
        for (size_t k = 0; k < n; k += 3) {
            float w[200];
            memcpy(w, v, n * sizeof(float));
            assert_true(rm_select(w, n, k) == sorted[k]);
        }
        float w[200];
        memcpy(w, v, n * sizeof(float));
        float want = n % 2 ? sorted[n / 2] : 0.5f * (sorted[n / 2 - 1] + sorted[n / 2]);
        assert_true(rm_median(w, n) == want);
    }
}

static void test_nnls_respects_bounds(void **state)
{
    (void)state;
    /* Unconstrained solution (2, -1); constrained: x1 = 0, x0 from
     * least squares on column 0 alone. */
    const double A[] = {1, 0, 0, 1, 1, 1};
    const double b[] = {2, -1, 1};
    double x[2];
    assert_int_equal(calib_nnls(A, b, 3, 2, x), 0);
    assert_true(x[1] == 0.0);
    assert_true(fabs(x[0] - 1.5) < 1e-12);
    /* A feasible unconstrained solution comes back exactly. */
    const double b2[] = {2, 1, 3};
    assert_int_equal(calib_nnls(A, b2, 3, 2, x), 0);
    assert_true(fabs(x[0] - 2) < 1e-12 && fabs(x[1] - 1) < 1e-12);
}

static struct rm_calibration *zeroed(struct syn_mat *m, struct rm_calib_zero_report *rep)
{
    double none[SYN_N] = {0};
    struct rm_calib_frames *fr = syn_recording(m, "zero.h5", none, 300, 0);
    assert_non_null(fr);
    struct rm_calibration *cal;
    assert_int_equal(rm_calibration_new(&cal, SYN_ROWS, SYN_COLS), 0);
    assert_int_equal(rm_calib_zero(fr, cal, NULL, rep), 0);
    rm_calib_frames_free(fr);
    return cal;
}

static void test_zero_finds_offsets_and_dead(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 1);
    struct rm_calib_zero_report rep;
    struct rm_calibration *cal = zeroed(&m, &rep);
    for (int s = 0; s < SYN_N; s++) {
        int broken = s == SYN_DEAD_ZERO || s == SYN_DEAD_STUCK || s == SYN_DEAD_NOISY;
        assert_int_equal(cal->dead[s], broken);
        if (!broken)
            assert_true(fabsf(cal->offset[s] - m.offset[s]) < 0.5f);
    }
    assert_int_equal(rep.dead_stuck, 2);
    assert_int_equal(rep.dead_noisy, 1);
    assert_true(fabs(rep.noise_median - SYN_NOISE) < 0.15);
    rm_calibration_free(cal);
}

/* Two recordings under uniform pressure at three levels. */
static struct rm_calibration *equilibrated(struct syn_mat *m, struct rm_calib_equil_report *rep)
{
    struct rm_calibration *cal = zeroed(m, NULL);
    double p20[SYN_N], p60[SYN_N], p120[SYN_N];
    syn_board(p20, 0, 0, 0, 0, 0);
    for (int s = 0; s < SYN_N; s++) {
        p20[s] = 20;
        p60[s] = 60;
        p120[s] = 120;
    }
    struct rm_calib_frames *u[2] = {syn_recording(m, "u1.h5", p20, 20, 100),
                                    syn_recording(m, "u2.h5", p120, 20, 100)};
    /* The second recording holds two levels. */
    for (size_t f = 70; f < 120; f++)
        syn_frame(m, p60, u[1]->data + f * SYN_N);
    assert_int_equal(rm_calib_equilibrate(cal, u, 2, rep), 0);
    rm_calib_frames_free(u[0]);
    rm_calib_frames_free(u[1]);
    return cal;
}

static void test_equilibrate_recovers_gains(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 2);
    struct rm_calib_equil_report rep;
    struct rm_calibration *cal = equilibrated(&m, &rep);
    /* Gains are found up to one common factor: compare ratios. */
    float ratio[SYN_N];
    size_t k = 0;
    for (int s = 0; s < SYN_N; s++)
        if (!cal->dead[s])
            ratio[k++] = cal->gain[s] / m.gain[s];
    float common = rm_median(ratio, k);
    for (int s = 0; s < SYN_N; s++) {
        int broken =
            s == SYN_DEAD_ZERO || s == SYN_DEAD_STUCK || s == SYN_DEAD_NOISY || s == SYN_DEAD_NUMB;
        assert_int_equal(cal->dead[s], broken);
        if (!broken)
            assert_true(fabsf(cal->gain[s] / m.gain[s] / common - 1.0f) < 0.02f);
    }
    assert_int_equal(rep.newly_dead, 1); /* the numb one */
    rm_calibration_free(cal);
}

static double true_force(double kg)
{
    return kg * RM_GRAVITY;
}

static void test_fit_power_generalises(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 3);
    struct rm_calibration *cal = equilibrated(&m, NULL);
    /* Fit on 3 loads from about 10 to 200 kPa ... */
    double kpa[SYN_N];
    struct rm_calib_load loads[3] = {{0}};
    struct rm_calib_frames *fr[3];
    const double kg[3] = {15, 40, 60};
    const int side[3] = {12, 6, 5};
    for (int i = 0; i < 3; i++) {
        syn_board(kpa, kg[i], 2, 2 + side[i], 3, 3 + side[i]);
        fr[i] = syn_recording(&m, "load.h5", kpa, 30, 80);
        loads[i].fr = fr[i];
        loads[i].kg = kg[i];
    }
    assert_int_equal(rm_calib_fit(cal, loads, 3, RM_CURVE_POWER), 0);
    assert_true(fabs(cal->curve_b - SYN_B) < 0.03 * SYN_B);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(loads[i].error_pct) < 2.0);
    /* ... and measure loads it never saw, elsewhere on the mat. */
    const double held_kg[3] = {8, 30, 45};
    const int held_side[3] = {10, 7, 5};
    for (int i = 0; i < 3; i++) {
        syn_board(kpa, held_kg[i], 12, 12 + held_side[i], 5, 5 + held_side[i]);
        struct rm_calib_frames *h = syn_recording(&m, "held.h5", kpa, 10, 60);
        struct rm_calib_load load = {.fr = h, .kg = held_kg[i]};
        assert_int_equal(rm_calib_measure(cal, &load), 0);
        double p_true = kpa[12 * SYN_COLS + 5];
        fprintf(stderr, "held %g kg: %g N vs %g N, %g kPa vs %g, a=%g b=%g\n", held_kg[i],
                load.measured_n, true_force(held_kg[i]), load.mean_kpa, p_true, cal->curve_a,
                cal->curve_b);
        assert_true(fabs(load.measured_n / true_force(held_kg[i]) - 1) < 0.03);
        assert_true(fabs(load.mean_kpa / p_true - 1) < 0.03);
        rm_calib_frames_free(h);
    }
    for (int i = 0; i < 3; i++)
        rm_calib_frames_free(fr[i]);
    rm_calibration_free(cal);
}

static void test_fit_table_is_monotone_through_loads(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 4);
    struct rm_calibration *cal = equilibrated(&m, NULL);
    double kpa[SYN_N];
    struct rm_calib_load loads[4] = {{0}};
    struct rm_calib_frames *fr[4];
    const double kg[4] = {10, 30, 45, 60};
    const int side[4] = {10, 8, 6, 5};
    for (int i = 0; i < 4; i++) {
        syn_board(kpa, kg[i], 4, 4 + side[i], 4, 4 + side[i]);
        fr[i] = syn_recording(&m, "load.h5", kpa, 10, 50);
        loads[i].fr = fr[i];
        loads[i].kg = kg[i];
    }
    assert_int_equal(rm_calib_fit(cal, loads, 4, RM_CURVE_TABLE), 0);
    assert_int_equal(cal->curve, RM_CURVE_TABLE);
    assert_int_equal(cal->table_len, 5);
    for (size_t i = 1; i < cal->table_len; i++)
        assert_true(cal->table[2 * i + 1] >= cal->table[2 * i - 1]);
    for (int i = 0; i < 4; i++)
        assert_true(fabs(loads[i].error_pct) < 1.5);
    for (int i = 0; i < 4; i++)
        rm_calib_frames_free(fr[i]);
    rm_calibration_free(cal);
}

static void test_bad_loads_refused(void **state)
{
    (void)state;
    const char *path;
    double kg[4];
    size_t nkg;
    const char *bad_format[] = {"a.h5=0", "a.h5=-3",  "a.h5=abc",  "a.h5=501",
                                "a.h5=",  "a.h5=nan", "a.h5=12kg", "a.h5=40,"};
    for (size_t i = 0; i < sizeof(bad_format) / sizeof(*bad_format); i++) {
        char arg[64];
        snprintf(arg, sizeof(arg), "%s", bad_format[i]);
        rm_clear_error();
        assert_int_equal(rm_calib_parse_load(arg, &path, kg, 4, &nkg), RM_EFORMAT);
        assert_non_null(strstr(rm_last_error(RM_EFORMAT), "a.h5"));
    }
    char noeq[] = "a.h5";
    assert_int_equal(rm_calib_parse_load(noeq, &path, kg, 4, &nkg), RM_EUSAGE);
    char ok[] = "dir/x=y.h5=72.5";
    assert_int_equal(rm_calib_parse_load(ok, &path, kg, 4, &nkg), 0);
    assert_string_equal(path, "dir/x=y.h5");
    assert_true(nkg == 1 && kg[0] == 72.5);
    char several[] = "s.h5=40,70.5,100";
    assert_int_equal(rm_calib_parse_load(several, &path, kg, 4, &nkg), 0);
    assert_true(nkg == 3 && kg[0] == 40 && kg[1] == 70.5 && kg[2] == 100);
    char too_many[] = "s.h5=1,2,3,4,5";
    assert_int_equal(rm_calib_parse_load(too_many, &path, kg, 4, &nkg), RM_EUSAGE);
    char bad_second[] = "s.h5=40,0";
    assert_int_equal(rm_calib_parse_load(bad_second, &path, kg, 4, &nkg), RM_EFORMAT);

    struct syn_mat m;
    syn_init(&m, 6);
    struct rm_calibration *cal = zeroed(&m, NULL);
    double none[SYN_N] = {0}, kpa[SYN_N];
    /* Nothing on the mat. */
    struct rm_calib_frames *empty = syn_recording(&m, "empty.h5", none, 80, 0);
    struct rm_calib_load load = {.fr = empty, .kg = 50};
    rm_clear_error();
    assert_int_equal(rm_calib_measure(cal, &load), RM_EFORMAT);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "empty.h5: no load"));
    /* One load cannot give a power curve; two alike cannot either. */
    syn_board(kpa, 40, 2, 10, 2, 10);
    struct rm_calib_frames *a = syn_recording(&m, "a.h5", kpa, 10, 40);
    struct rm_calib_frames *b = syn_recording(&m, "b.h5", kpa, 10, 40);
    struct rm_calib_load two[2] = {{.fr = a, .kg = 40}, {.fr = b, .kg = 40}};
    assert_int_equal(rm_calib_fit(cal, two, 1, RM_CURVE_POWER), RM_EUSAGE);
    assert_int_equal(rm_calib_fit(cal, two, 2, RM_CURVE_POWER), RM_EFORMAT);
    /* ... but one load gives a (linear) table. */
    assert_int_equal(rm_calib_fit(cal, two, 1, RM_CURVE_TABLE), 0);
    assert_true(fabs(two[0].error_pct) < 1.0);
    /* Uniform pressure that is not there. */
    struct rm_calib_frames *u[1] = {empty};
    assert_int_equal(rm_calib_equilibrate(cal, u, 1, NULL), RM_EFORMAT);
    rm_calib_frames_free(empty);
    rm_calib_frames_free(a);
    rm_calib_frames_free(b);
    rm_calibration_free(cal);
}

static void test_zero_survives_a_touch_refuses_a_load(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 7);
    double kpa[SYN_N];
    syn_board(kpa, 20, 5, 10, 5, 10);
    /* 10 % of the frames touched: ignored. */
    struct rm_calib_frames *fr = syn_recording(&m, "touch.h5", kpa, 270, 30);
    struct rm_calibration *cal;
    assert_int_equal(rm_calibration_new(&cal, SYN_ROWS, SYN_COLS), 0);
    assert_int_equal(rm_calib_zero(fr, cal, NULL, NULL), 0);
    for (int s = 0; s < SYN_N; s++)
        if (!cal->dead[s])
            assert_true(fabsf(cal->offset[s] - m.offset[s]) < 0.5f);
    rm_calib_frames_free(fr);
    /* Half of them: not an empty mat. */
    fr = syn_recording(&m, "loaded.h5", kpa, 150, 150);
    rm_clear_error();
    assert_int_equal(rm_calib_zero(fr, cal, NULL, NULL), RM_EFORMAT);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "loaded.h5: something rests on the mat"));
    rm_calib_frames_free(fr);
    rm_calibration_free(cal);
}

static void test_equilibrate_refuses_uneven_pressure(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 8);
    struct rm_calibration *cal = zeroed(&m, NULL);
    double kpa[SYN_N];
    /* A bladder over two thirds of the mat. */
    syn_board(kpa, 0, 0, 0, 0, 0);
    for (int s = 0; s < SYN_N; s++)
        kpa[s] = s / SYN_COLS < 16 ? 50 : 0;
    struct rm_calib_frames *fr = syn_recording(&m, "partial.h5", kpa, 10, 60);
    float gain_before = cal->gain[0];
    rm_clear_error();
    assert_int_equal(rm_calib_equilibrate(cal, &fr, 1, NULL), RM_EFORMAT);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "partial.h5: pressure not uniform"));
    assert_true(cal->gain[0] == gain_before);
    rm_calib_frames_free(fr);
    rm_calibration_free(cal);
}

static void test_split_finds_successive_masses(void **state)
{
    (void)state;
    struct syn_mat m;
    syn_init(&m, 9);
    struct rm_calibration *cal = zeroed(&m, NULL);
    /* idle, 10 kg, 25 kg (no gap), idle, 40 kg, idle; one odd frame in
     * between. */
    const size_t len[] = {20, 60, 60, 20, 60, 20};
    const double kg[] = {0, 10, 25, 0, 40, 0};
    struct rm_calib_frames *fr;
    assert_int_equal(rm_calib_frames_new(&fr, "steps.h5", SYN_ROWS, SYN_COLS, 240), 0);
    size_t f = 0;
    for (int i = 0; i < 6; i++)
        for (size_t k = 0; k < len[i]; k++, f++) {
            double kpa[SYN_N];
            syn_board(kpa, kg[i] + (f == 100 ? 8 : 0), 4, 12, 4, 12);
            syn_frame(&m, kpa, fr->data + f * SYN_N);
        }
    size_t first[3], count[3];
    assert_int_equal(rm_calib_split_loads(cal, fr, 3, first, count), 0);
    assert_true(first[0] == 20 && count[0] == 60);
    assert_true(first[1] == 80 && count[1] == 60);
    assert_true(first[2] == 160 && count[2] == 60);
    rm_clear_error();
    assert_int_equal(rm_calib_split_loads(cal, fr, 2, first, count), RM_EFORMAT);
    assert_non_null(strstr(rm_last_error(RM_EFORMAT), "2 masses given, but 3 steady loads"));
    rm_calib_frames_free(fr);
    rm_calibration_free(cal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_median_matches_sorting),
        cmocka_unit_test(test_nnls_respects_bounds),
        cmocka_unit_test(test_zero_finds_offsets_and_dead),
        cmocka_unit_test(test_equilibrate_recovers_gains),
        cmocka_unit_test(test_fit_power_generalises),
        cmocka_unit_test(test_fit_table_is_monotone_through_loads),
        cmocka_unit_test(test_bad_loads_refused),
        cmocka_unit_test(test_zero_survives_a_touch_refuses_a_load),
        cmocka_unit_test(test_equilibrate_refuses_uneven_pressure),
        cmocka_unit_test(test_split_finds_successive_masses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* rm_calibration_apply(), the one counts -> kPa conversion: its fast path
 * (the power curve through a lookup table) must equal the reference formula
 * rm_calibration_curve() to float precision, everywhere a raw count can put
 * x, for any curve, from many threads at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "rm_calibration.h"

#define ROWS 16
#define COLS 16
#define N    (ROWS * COLS)

static uint64_t rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static struct rm_calibration *make(double a, double b)
{
    struct rm_calibration *cal;
    assert_int_equal(rm_calibration_new(&cal, ROWS, COLS), 0);
    cal->curve_a = a;
    cal->curve_b = b;
    for (int s = 0; s < N; s++) {
        cal->offset[s] = (float)(20 + 60 * uniform());
        cal->gain[s] = (float)(0.5 + 1.5 * uniform());
        cal->dead[s] = uniform() < 0.05;
    }
    return cal;
}

/* Frames covering every region of x: below the offset, the noise just above
 * it (x from a fraction of a count), loaded, and the 16-bit top. */
static void fill(uint16_t *raw, size_t nframes, const struct rm_calibration *cal)
{
    for (size_t f = 0; f < nframes; f++)
        for (int s = 0; s < N; s++) {
            double u = uniform(), v;
            if (f % 4 == 0)
                v = cal->offset[s] + (uniform() * 6 - 3); /* noise */
            else if (f % 4 == 1)
                v = u * 4096;
            else if (f % 4 == 2)
                v = u * 65535;
            else
                v = f % 8 == 3 ? 0 : 65535;
            raw[f * N + s] = (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v);
        }
}

static void check_equal(const struct rm_calibration *cal, const uint16_t *raw, const float *kpa,
                        size_t nframes)
{
    for (size_t f = 0; f < nframes; f++)
        for (int s = 0; s < N; s++) {
            float x = cal->gain[s] * ((float)raw[f * N + s] - cal->offset[s]);
            float want = cal->dead[s] ? 0.0f : (float)rm_calibration_curve(cal, x);
            float got = kpa[f * N + s];
            /* 1 float ulp: the table's own error is far below. */
            if (!(fabsf(got - want) <= 1.2e-7f * fabsf(want))) {
                fail_msg("a=%g b=%g raw=%u x=%.9g: fast %.9g, formula %.9g", cal->curve_a,
                         cal->curve_b, raw[f * N + s], x, got, want);
            }
        }
}

static void test_fast_path_equals_formula(void **state)
{
    (void)state;
    const double curves[][2] = {{1, 1}, {0.02, 1.4}, {3.1, 0.37}, {1e-4, 2.9}, {0.5, 0.55}};
    enum { F = 64 };
    static uint16_t raw[F * N];
    static float kpa[F * N];
    for (size_t c = 0; c < sizeof(curves) / sizeof(*curves); c++) {
        struct rm_calibration *cal = make(curves[c][0], curves[c][1]);
        fill(raw, F, cal);
        rm_calibration_apply(cal, raw, kpa, F);
        check_equal(cal, raw, kpa, F);
        rm_calibration_free(cal);
    }
}

static void test_dead_and_unloaded_give_zero(void **state)
{
    (void)state;
    struct rm_calibration *cal = make(0.02, 1.4);
    uint16_t raw[N];
    float kpa[N];
    for (int s = 0; s < N; s++)
        raw[s] = (uint16_t)floorf(cal->offset[s]); /* at or below the offset */
    rm_calibration_apply(cal, raw, kpa, 1);
    for (int s = 0; s < N; s++)
        assert_true(kpa[s] == 0.0f);
    for (int s = 0; s < N; s++)
        raw[s] = 3000;
    rm_calibration_apply(cal, raw, kpa, 1);
    for (int s = 0; s < N; s++)
        assert_true(cal->dead[s] ? kpa[s] == 0.0f : kpa[s] > 0.0f);
    rm_calibration_free(cal);
}

static void test_changed_curve_is_not_stale(void **state)
{
    (void)state;
    enum { F = 8 };
    static uint16_t raw[F * N];
    static float kpa[F * N];
    struct rm_calibration *cal = make(0.02, 1.4);
    fill(raw, F, cal);
    rm_calibration_apply(cal, raw, kpa, F); /* builds the table for (0.02, 1.4) */
    cal->curve_b = 1.7;                     /* no prepare: apply must notice */
    rm_calibration_apply(cal, raw, kpa, F);
    check_equal(cal, raw, kpa, F);
    assert_int_equal(rm_calibration_prepare(cal), 0);
    rm_calibration_apply(cal, raw, kpa, F);
    check_equal(cal, raw, kpa, F);
    /* A table curve, then a clone. */
    const double xy[] = {0, 0, 100, 10, 1000, 200};
    assert_int_equal(rm_calibration_set_table(cal, xy, 3), 0);
    rm_calibration_apply(cal, raw, kpa, F);
    check_equal(cal, raw, kpa, F);
    struct rm_calibration *copy;
    assert_int_equal(rm_calibration_clone(cal, &copy), 0);
    rm_calibration_apply(copy, raw, kpa, F);
    check_equal(copy, raw, kpa, F);
    rm_calibration_free(copy);
    rm_calibration_free(cal);
}

/* Linear interpolation by a plain scan: the spec's table, written out. */
static double interpolate(const double *t, size_t len, double x)
{
    if (!(x > 0))
        return 0;
    size_t lo = 0;
    while (lo + 2 < len && t[2 * (lo + 1)] <= x)
        lo++;
    double p = t[2 * lo + 1] +
               (t[2 * lo + 3] - t[2 * lo + 1]) * (x - t[2 * lo]) / (t[2 * lo + 2] - t[2 * lo]);
    return p > 0 ? p : 0;
}

static void test_tables_interpolate(void **state)
{
    (void)state;
    /* An imported table (x = 0, 1, 2, ...: the jump path) and an uneven one
     * (the search path). */
    enum { K = 2001 };
    static double xy[2 * K];
    for (int uneven = 0; uneven < 2; uneven++) {
        double y = 0, x = 0;
        for (int i = 0; i < K; i++) {
            xy[2 * i] = x;
            xy[2 * i + 1] = y;
            x += uneven ? 0.5 + uniform() : 1.0;
            y += 0.3 * uniform();
        }
        struct rm_calibration *cal;
        assert_int_equal(rm_calibration_new(&cal, ROWS, COLS), 0);
        assert_int_equal(rm_calibration_set_table(cal, xy, K), 0);
        for (int i = 0; i < 20000; i++) {
            double v = i % 3 == 0   ? floor(uniform() * 2.2 * K)        /* on the knots */
                       : i % 3 == 1 ? uniform() * 1.1 * xy[2 * (K - 1)] /* between */
                                    : -uniform();
            double want = interpolate(xy, K, v), got = rm_calibration_curve(cal, v);
            if (!(fabs(got - want) <= 1e-12 * fabs(want) + 1e-12))
                fail_msg("x=%.17g: %.17g, scan %.17g", v, got, want);
        }
        enum { F = 8 };
        static uint16_t raw[F * N];
        static float kpa[F * N];
        fill(raw, F, cal);
        rm_calibration_apply(cal, raw, kpa, F);
        check_equal(cal, raw, kpa, F);
        rm_calibration_free(cal);
    }
}

struct job {
    const struct rm_calibration *cal;
    const uint16_t *raw;
    float *kpa;
};

static void *apply_job(void *arg)
{
    struct job *j = arg;
    rm_calibration_apply(j->cal, j->raw, j->kpa, 4);
    return NULL;
}

static void test_threads_share_one_calibration(void **state)
{
    (void)state;
    enum { T = 4 };
    static uint16_t raw[4 * N];
    static float kpa[T][4 * N];
    struct rm_calibration *cal = make(0.3, 1.2);
    fill(raw, 4, cal);
    pthread_t th[T];
    struct job jobs[T];
    /* All race to build the table on their first call. */
    for (int t = 0; t < T; t++) {
        jobs[t] = (struct job){cal, raw, kpa[t]};
        assert_int_equal(pthread_create(&th[t], NULL, apply_job, &jobs[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        check_equal(cal, raw, kpa[t], 4);
    }
    rm_calibration_free(cal);
}

/* Converting a band of rows gives exactly the whole-frame result on those
 * rows and leaves every other row of the output alone, for the power curve
 * (lookup table) and a table curve. */
static void test_rows_equal_whole_frame(void **state)
{
    (void)state;
    static const double xy[] = {0, 0, 100, 20, 400, 90, 1000, 300};
    for (int curve = 0; curve < 2; curve++) {
        struct rm_calibration *cal = make(0.01, 1.4);
        if (curve == 1)
            assert_int_equal(rm_calibration_set_table(cal, xy, 4), 0);
        uint16_t frames[2 * N];
        float whole[N], band[N];
        fill(frames, 2, cal);
        const uint16_t *raw = frames + N; /* fill()'s second kind: loaded everywhere */
        rm_calibration_apply(cal, raw, whole, 1);
        for (int row0 = 0; row0 < ROWS; row0 += 5)
            for (int nrows = 0; row0 + nrows <= ROWS; nrows += 3) {
                for (int s = 0; s < N; s++)
                    band[s] = -1.0f;
                rm_calibration_apply_rows(cal, raw, band, row0, nrows);
                for (int s = 0; s < N; s++) {
                    int r = s / COLS;
                    if (r >= row0 && r < row0 + nrows)
                        assert_true(band[s] == whole[s]);
                    else
                        assert_true(band[s] == -1.0f);
                }
            }
        rm_calibration_free(cal);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_path_equals_formula),
        cmocka_unit_test(test_dead_and_unloaded_give_zero),
        cmocka_unit_test(test_changed_curve_is_not_stale),
        cmocka_unit_test(test_tables_interpolate),
        cmocka_unit_test(test_threads_share_one_calibration),
        cmocka_unit_test(test_rows_equal_whole_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

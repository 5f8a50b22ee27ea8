/* Benchmark of rm_calibration_apply() (run by scripts/bench-calibration.sh,
 * never by ctest): ns per 64 x 32 frame of the lookup-table path against
 * the plain formula (the implementation before the table), on frames like a
 * rolling session's: every sensel noisy around its offset, a roller band of
 * 5 rows loaded. Prints medians of several runs and their ratio. */
#include <stdio.h>
#include <stdlib.h>

#include "rm_calibration.h"
#include "rm_clock.h"

enum { ROWS = 64, COLS = 32, N = ROWS * COLS, FRAMES = 2000, RUNS = 7 };

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The conversion as it was before the table: the formula per sensel. */
static void apply_formula(const struct rm_calibration *cal, const uint16_t *raw, float *kpa,
                          size_t nframes)
{
    for (size_t f = 0; f < nframes; f++)
        for (size_t i = 0; i < N; i++) {
            float x = cal->gain[i] * ((float)raw[f * N + i] - cal->offset[i]);
            kpa[f * N + i] =
                (cal->dead[i] || !(x > 0)) ? 0.0f : (float)rm_calibration_curve(cal, x);
        }
}

int main(void)
{
    struct rm_calibration *cal;
    if (rm_calibration_new(&cal, ROWS, COLS))
        return 1;
    cal->curve_a = 0.0026;
    cal->curve_b = 1.39;
    srand(1);
    for (int i = 0; i < N; i++) {
        cal->offset[i] = 20.0f + (float)(rand() % 4000) / 100.0f;
        cal->gain[i] = 0.9f + 0.2f * (float)(rand() % 1000) / 1000.0f;
    }
    /* Owned here for the run. */
    uint16_t *raw = malloc((size_t)FRAMES * N * sizeof(uint16_t));
    float *kpa = malloc((size_t)FRAMES * N * sizeof(float));
    if (!raw || !kpa)
        return 1;
    for (int f = 0; f < FRAMES; f++) {
        int band = f * ROWS / FRAMES;
        for (int i = 0; i < N; i++) {
            int v = (int)cal->offset[i] + rand() % 5 - 2;
            if (abs(i / COLS - band) <= 2)
                v += 300 + rand() % 1500;
            raw[(size_t)f * N + (size_t)i] = (uint16_t)v;
        }
    }
    rm_calibration_prepare(cal);
    double t_formula[RUNS], t_table[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = rm_clock_s();
        apply_formula(cal, raw, kpa, FRAMES);
        double t1 = rm_clock_s();
        rm_calibration_apply(cal, raw, kpa, FRAMES);
        double t2 = rm_clock_s();
        t_formula[r] = (t1 - t0) / FRAMES * 1e9;
        t_table[r] = (t2 - t1) / FRAMES * 1e9;
    }
    qsort(t_formula, RUNS, sizeof(double), cmp);
    qsort(t_table, RUNS, sizeof(double), cmp);
    printf("rm_calibration_apply, %d x %d frames, median of %d runs of %d frames:\n", ROWS, COLS,
           RUNS, FRAMES);
    printf("  formula per sensel: %8.0f ns/frame\n", t_formula[RUNS / 2]);
    printf("  lookup table:       %8.0f ns/frame (%.1fx faster)\n", t_table[RUNS / 2],
           t_formula[RUNS / 2] / t_table[RUNS / 2]);
    printf("  a 100 Hz session of 1 h: %.2f s of conversion\n",
           t_table[RUNS / 2] * 100 * 3600 * 1e-9);
    free(raw);
    free(kpa);
    rm_calibration_free(cal);
    return 0;
}

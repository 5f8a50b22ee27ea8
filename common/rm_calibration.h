/* A calibration: per-sensel offset, gain and dead mask, and one curve from
 * the equilibrated count x = gain * (raw - offset) to kPa
 * (shared/spec/recording-format.md, "Calibration"). This file is the single
 * implementation of that conversion; everything that needs kPa calls it. */
#ifndef RM_CALIBRATION_H
#define RM_CALIBRATION_H

#include <stddef.h>
#include <stdint.h>

enum rm_curve {
    RM_CURVE_POWER = 0, /* p = curve_a * x ^ curve_b */
    RM_CURVE_TABLE = 1, /* linear interpolation in (x, kPa) rows */
};

struct rm_calibration {
    int rows, cols;
    char device_serial[64];
    char created_utc[32];
    enum rm_curve curve;
    double curve_a, curve_b; /* with RM_CURVE_POWER */
    float *offset;           /* rows * cols, zero-load counts */
    float *gain;             /* rows * cols, about 1 */
    uint8_t *dead;           /* rows * cols, 1 = ignore */
    double *table;           /* table_len rows of (x, kPa), x increasing */
    size_t table_len;
    /* Private to calibration.c: the step of a table whose x are evenly
     * spaced (an imported one: x = 0, 1, 2, ...), 0 otherwise; set by
     * rm_calibration_set_table(). */
    double table_step;
    /* Private to calibration.c: the lookup table that makes
     * rm_calibration_apply() fast, built on first use or by
     * rm_calibration_prepare(), owned by the calibration: copy a
     * calibration with rm_calibration_clone(), never by value. */
    struct rm_calibration_lut *_Atomic lut;
};

/* A calibration of rows x cols with offset 0, gain 1, nothing dead, and the
 * identity power curve (a = 1, b = 1). Free with rm_calibration_free(). */
int rm_calibration_new(struct rm_calibration **out, int rows, int cols);
void rm_calibration_free(struct rm_calibration *cal);
/* A deep copy. */
int rm_calibration_clone(const struct rm_calibration *cal, struct rm_calibration **out);

/* Replaces the curve with a table (copied). RM_EFORMAT if x is not strictly
 * increasing or there are fewer than 2 rows. */
int rm_calibration_set_table(struct rm_calibration *cal, const double *xy, size_t rows);

/* Checks the invariants a loaded calibration must satisfy (sizes, finite
 * values, table increasing, power curve a > 0, b > 0). `where` names the
 * file for the message. Returns 0 or RM_EFORMAT. */
int rm_calibration_validate(const struct rm_calibration *cal, const char *where);

/* kPa of one equilibrated count x (x <= 0 gives 0). */
double rm_calibration_curve(const struct rm_calibration *cal, double x);

/* Converts nframes frames of raw counts to kPa. Dead sensels give 0. The
 * result equals rm_calibration_curve() of x = gain * (raw - offset), computed
 * in float, to within 1 float ulp (a power curve goes through a lookup table
 * of quadratics, 256 per octave of x, built on the first call; many threads
 * may call this at once on one calibration). */
void rm_calibration_apply(const struct rm_calibration *cal, const uint16_t *raw, float *kpa,
                          size_t nframes);

/* Converts rows [row0, row0 + nrows) of one frame, leaving the other rows of
 * kpa as they are: raw and kpa point to whole frames. For callers that know
 * where the load is (the roller's band is a few rows of the mat). */
void rm_calibration_apply_rows(const struct rm_calibration *cal, const uint16_t *raw, float *kpa,
                               int row0, int nrows);

/* Builds the lookup table of rm_calibration_apply() now rather than on its
 * first call. Call it again after changing curve_a or curve_b (apply then
 * falls back to the exact formula until you do), never while another thread
 * is applying the same calibration. Returns 0 or RM_ENOMEM (apply still works
 * without the table, only slower). */
int rm_calibration_prepare(struct rm_calibration *cal);

/* Standalone calibration files (root attribute rollmat_format =
 * "calibration"). Load: RM_EFORMAT with a precise message for anything that
 * is not one. */
int rm_calibration_load(const char *path, struct rm_calibration **out);
int rm_calibration_save(const char *path, const struct rm_calibration *cal);

#endif

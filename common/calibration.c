/* The in-memory calibration and the counts -> kPa conversion. Reading and
 * writing it in HDF5 lives in calibration_h5.c. */
#include "rm_calibration.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"

int rm_calibration_new(struct rm_calibration **out, int rows, int cols)
{
    *out = NULL;
    if (rows <= 0 || cols <= 0 || rows > 4096 || cols > 4096)
        return RM_EUSAGE;
    struct rm_calibration *cal = calloc(1, sizeof(*cal));
    size_t n = (size_t)rows * (size_t)cols;
    if (!cal)
        return RM_ENOMEM;
    cal->rows = rows;
    cal->cols = cols;
    cal->curve = RM_CURVE_POWER;
    cal->curve_a = 1.0;
    cal->curve_b = 1.0;
    cal->offset = calloc(n, sizeof(float));
    cal->gain = malloc(n * sizeof(float));
    cal->dead = calloc(n, 1);
    if (!cal->offset || !cal->gain || !cal->dead) {
        rm_calibration_free(cal);
        return RM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        cal->gain[i] = 1.0f;
    *out = cal;
    return 0;
}

void rm_calibration_free(struct rm_calibration *cal)
{
    if (!cal)
        return;
    free(cal->offset);
    free(cal->gain);
    free(cal->dead);
    free(cal->table);
    free(cal);
}

int rm_calibration_clone(const struct rm_calibration *cal, struct rm_calibration **out)
{
    struct rm_calibration *c;
    int rc = rm_calibration_new(&c, cal->rows, cal->cols);
    if (rc)
        return rc;
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    memcpy(c->device_serial, cal->device_serial, sizeof(c->device_serial));
    memcpy(c->created_utc, cal->created_utc, sizeof(c->created_utc));
    c->curve = cal->curve;
    c->curve_a = cal->curve_a;
    c->curve_b = cal->curve_b;
    memcpy(c->offset, cal->offset, n * sizeof(float));
    memcpy(c->gain, cal->gain, n * sizeof(float));
    memcpy(c->dead, cal->dead, n);
    if (cal->table_len) {
        rc = rm_calibration_set_table(c, cal->table, cal->table_len);
        c->curve = cal->curve;
        if (rc) {
            rm_calibration_free(c);
            return rc;
        }
    }
    *out = c;
    return 0;
}

int rm_calibration_set_table(struct rm_calibration *cal, const double *xy, size_t rows)
{
    if (rows < 2)
        return rm_fail(RM_EFORMAT, "calibration table: %zu rows, at least 2 needed", rows);
    for (size_t i = 0; i < rows; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return rm_fail(RM_EFORMAT, "calibration table: row %zu is not finite", i);
        if (i > 0 && !(xy[2 * i] > xy[2 * (i - 1)]))
            return rm_fail(RM_EFORMAT, "calibration table: x not increasing at row %zu", i);
    }
    double *copy = malloc(rows * 2 * sizeof(double));
    if (!copy)
        return RM_ENOMEM;
    memcpy(copy, xy, rows * 2 * sizeof(double));
    free(cal->table);
    cal->table = copy;
    cal->table_len = rows;
    cal->curve = RM_CURVE_TABLE;
    return 0;
}

int rm_calibration_validate(const struct rm_calibration *cal, const char *where)
{
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    if (cal->rows <= 0 || cal->cols <= 0)
        return rm_fail(RM_EFORMAT, "%s: calibration grid %d x %d", where, cal->rows, cal->cols);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(cal->offset[i]) || !isfinite(cal->gain[i]))
            return rm_fail(RM_EFORMAT, "%s: offset or gain of sensel %zu is not finite", where,
                           i);
        if (cal->dead[i] > 1)
            return rm_fail(RM_EFORMAT, "%s: dead flag of sensel %zu is %u, not 0 or 1", where, i,
                           cal->dead[i]);
    }
    if (cal->curve == RM_CURVE_POWER) {
        if (!(cal->curve_a > 0) || !(cal->curve_b > 0) || !isfinite(cal->curve_a) ||
            !isfinite(cal->curve_b))
            return rm_fail(RM_EFORMAT, "%s: power curve a = %g, b = %g (both must be > 0)",
                           where, cal->curve_a, cal->curve_b);
    } else if (cal->curve == RM_CURVE_TABLE) {
        if (cal->table_len < 2)
            return rm_fail(RM_EFORMAT, "%s: curve_table has %zu rows, at least 2 needed", where,
                           cal->table_len);
        for (size_t i = 1; i < cal->table_len; i++)
            if (!(cal->table[2 * i] > cal->table[2 * (i - 1)]))
                return rm_fail(RM_EFORMAT, "%s: curve_table x not increasing at row %zu", where,
                               i);
    } else {
        return rm_fail(RM_EFORMAT, "%s: unknown curve", where);
    }
    return 0;
}

static double table_lookup(const double *t, size_t len, double x)
{
    /* Binary search for the segment holding x; beyond the last point the last
     * segment extends linearly (the spec), below the first the first does. */
    size_t lo = 0, hi = len - 1;
    if (x >= t[2 * (len - 1)]) {
        lo = len - 2;
    } else {
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (t[2 * mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
    }
    double x0 = t[2 * lo], y0 = t[2 * lo + 1];
    double x1 = t[2 * (lo + 1)], y1 = t[2 * (lo + 1) + 1];
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

double rm_calibration_curve(const struct rm_calibration *cal, double x)
{
    if (!(x > 0))
        return 0.0;
    if (cal->curve == RM_CURVE_TABLE) {
        double p = table_lookup(cal->table, cal->table_len, x);
        return p > 0 ? p : 0.0;
    }
    return cal->curve_a * pow(x, cal->curve_b);
}

void rm_calibration_apply(const struct rm_calibration *cal, const uint16_t *raw, float *kpa,
                          size_t nframes)
{
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    assert(cal->curve != RM_CURVE_TABLE || cal->table_len >= 2);
    for (size_t f = 0; f < nframes; f++) {
        const uint16_t *in = raw + f * n;
        float *out = kpa + f * n;
        for (size_t i = 0; i < n; i++) {
            float x = cal->gain[i] * ((float)in[i] - cal->offset[i]);
            /* Most sensels of a frame are unloaded: skip the curve for them. */
            out[i] = (cal->dead[i] || !(x > 0)) ? 0.0f : (float)rm_calibration_curve(cal, x);
        }
    }
}

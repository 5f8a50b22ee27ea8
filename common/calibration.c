/* The in-memory calibration and the counts -> kPa conversion. Reading and
 * writing it in HDF5 lives in calibration_h5.c. */
#include "rm_calibration.h"

#include <assert.h>
#include <math.h>
#include <stdatomic.h>
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
    free(atomic_load(&cal->lut));
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
    /* Evenly spaced x (to a part in 10^9) let the lookup jump to the
     * segment instead of searching for it. */
    double step = (xy[2 * (rows - 1)] - xy[0]) / (double)(rows - 1);
    cal->table_step = step;
    for (size_t i = 1; i < rows && cal->table_step > 0; i++)
        if (fabs(xy[2 * i] - xy[2 * (i - 1)] - step) > 1e-9 * step)
            cal->table_step = 0;
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
            return rm_fail(RM_EFORMAT, "%s: offset or gain of sensel %zu is not finite", where, i);
        if (cal->dead[i] > 1)
            return rm_fail(RM_EFORMAT, "%s: dead flag of sensel %zu is %u, not 0 or 1", where, i,
                           cal->dead[i]);
    }
    if (cal->curve == RM_CURVE_POWER) {
        if (!(cal->curve_a > 0) || !(cal->curve_b > 0) || !isfinite(cal->curve_a) ||
            !isfinite(cal->curve_b))
            return rm_fail(RM_EFORMAT, "%s: power curve a = %g, b = %g (both must be > 0)", where,
                           cal->curve_a, cal->curve_b);
    } else if (cal->curve == RM_CURVE_TABLE) {
        if (cal->table_len < 2)
            return rm_fail(RM_EFORMAT, "%s: curve_table has %zu rows, at least 2 needed", where,
                           cal->table_len);
        for (size_t i = 1; i < cal->table_len; i++)
            if (!(cal->table[2 * i] > cal->table[2 * (i - 1)]))
                return rm_fail(RM_EFORMAT, "%s: curve_table x not increasing at row %zu", where, i);
    } else {
        return rm_fail(RM_EFORMAT, "%s: unknown curve", where);
    }
    return 0;
}

static double table_lookup(const double *t, size_t len, double step, double x)
{
    /* The segment holding x: the last row with t[lo] <= x, at most len - 2
     * (beyond the last point the last segment extends linearly, the spec;
     * below the first the first does). */
    size_t lo = 0, hi = len - 1;
    if (x >= t[2 * (len - 1)]) {
        lo = len - 2;
    } else if (step > 0) {
        /* Evenly spaced: jump, then settle rounding at a boundary, which
         * finds the very row the search would. */
        double guess = (x - t[0]) / step;
        lo = guess > 0 ? (size_t)guess : 0;
        if (lo > len - 2)
            lo = len - 2;
        while (lo > 0 && t[2 * lo] > x)
            lo--;
        while (lo < len - 2 && t[2 * (lo + 1)] <= x)
            lo++;
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
        double p = table_lookup(cal->table, cal->table_len, cal->table_step, x);
        return p > 0 ? p : 0.0;
    }
    return cal->curve_a * pow(x, cal->curve_b);
}

/* The power curve through a table indexed by the top bits of x's float
 * representation: bucket k covers [x_k, x_{k+1}) where x_k has the bit
 * pattern k << LUT_SHIFT, i.e. 2^LUT_BITS buckets per octave, and holds the
 * quadratic through a * x^b at the bucket's ends and middle. Its error
 * relative to the curve is at most b |b-1| |b-2| / 125 * 2^(-3 LUT_BITS),
 * under 3e-8 for b <= 5: the float result is the formula's to within its
 * last bit. It is about 3 times as fast as pow() per sensel on a rolling
 * session's frames (scripts/bench-calibration.sh), and unlike skipping pow()
 * for x <= 0 it does not mispredict on the noise of unloaded sensels, half
 * of which reads above its offset. */
#define LUT_BITS    8
#define LUT_SHIFT   (23 - LUT_BITS)
#define LUT_MIN_EXP (-12) /* below 2^-12 counts: pow(), rare */

struct rm_calibration_lut {
    double a, b;      /* the curve it was built for */
    uint32_t k_first; /* bucket of 2^LUT_MIN_EXP */
    uint32_t n;       /* buckets after the one at index 0 */
    /* n + 1 rows of p(x_k + t) = c0 + t (c1 + t c2); row 0 is x <= 0 and
     * anything outside the table: all 0. */
    double row[][3];
};

static inline uint32_t float_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static inline float bits_float(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

static struct rm_calibration_lut *lut_build(const struct rm_calibration *cal)
{
    assert(cal->curve == RM_CURVE_POWER);
    /* The largest x: full-scale 16-bit raw count times the largest gain. */
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    float gmax = 1.0f;
    for (size_t i = 0; i < n; i++)
        if (cal->gain[i] > gmax && isfinite(cal->gain[i]))
            gmax = cal->gain[i];
    int max_exp;
    frexp((double)gmax * 65536.0, &max_exp);
    if (max_exp > 40)
        max_exp = 40;
    uint32_t k_first = float_bits(ldexpf(1.0f, LUT_MIN_EXP)) >> LUT_SHIFT;
    uint32_t k_end = float_bits(ldexpf(1.0f, max_exp)) >> LUT_SHIFT;
    uint32_t buckets = k_end - k_first;
    /* Owned by the calibration once published in cal->lut. */
    struct rm_calibration_lut *lut =
        malloc(sizeof(*lut) + (size_t)(buckets + 1) * sizeof(lut->row[0]));
    if (!lut)
        return NULL;
    lut->a = cal->curve_a;
    lut->b = cal->curve_b;
    lut->k_first = k_first;
    lut->n = buckets;
    lut->row[0][0] = lut->row[0][1] = lut->row[0][2] = 0.0;
    for (uint32_t j = 0; j < buckets; j++) {
        double x0 = bits_float((k_first + j) << LUT_SHIFT);
        double x1 = bits_float((k_first + j + 1) << LUT_SHIFT);
        double h = 0.5 * (x1 - x0);
        double p0 = cal->curve_a * pow(x0, cal->curve_b);
        double pm = cal->curve_a * pow(x0 + h, cal->curve_b);
        double p1 = cal->curve_a * pow(x1, cal->curve_b);
        /* Newton's divided differences through (x0, xm, x1), expanded. */
        double d1 = (pm - p0) / h;
        double d2 = ((p1 - pm) / h - d1) / (2.0 * h);
        double *row = lut->row[j + 1];
        row[0] = p0;
        row[1] = d1 - d2 * h;
        row[2] = d2;
    }
    return lut;
}

int rm_calibration_prepare(struct rm_calibration *cal)
{
    free(atomic_exchange(&cal->lut, NULL));
    if (cal->curve != RM_CURVE_POWER)
        return 0;
    struct rm_calibration_lut *lut = lut_build(cal);
    if (!lut)
        return RM_ENOMEM;
    atomic_store(&cal->lut, lut);
    return 0;
}

/* The table for cal's current curve, built and published on first use.
 * Threads racing here each build one; the first to publish wins and the
 * others free theirs. NULL when the table is stale or memory ran out. */
static const struct rm_calibration_lut *lut_get(const struct rm_calibration *cal)
{
    /* The table is a cache: a const calibration still owns it. */
    struct rm_calibration *owner = (struct rm_calibration *)cal;
    struct rm_calibration_lut *lut = atomic_load_explicit(&owner->lut, memory_order_acquire);
    if (!lut) {
        struct rm_calibration_lut *mine = lut_build(cal);
        if (!mine)
            return NULL;
        if (atomic_compare_exchange_strong_explicit(&owner->lut, &lut, mine, memory_order_acq_rel,
                                                    memory_order_acquire))
            lut = mine;
        else
            free(mine);
    }
    if (lut->a != cal->curve_a || lut->b != cal->curve_b)
        return NULL;
    return lut;
}

/* Converts sensels [first, end) of one frame through the lookup table. */
static void apply_power_lut(const struct rm_calibration *cal, const struct rm_calibration_lut *lut,
                            const uint16_t *restrict in, float *restrict out, size_t first,
                            size_t end)
{
    const uint32_t k_first = lut->k_first, nb = lut->n;
    const uint32_t k_negative = 0x80000000u >> LUT_SHIFT;
    const float *restrict gain = cal->gain, *restrict offset = cal->offset;
    const uint8_t *restrict dead = cal->dead;
    const double(*restrict row)[3] = lut->row;
    uint32_t outside = 0;
    for (size_t i = first; i < end; i++) {
        float x = gain[i] * ((float)in[i] - offset[i]);
        uint32_t k = float_bits(x) >> LUT_SHIFT;
        /* Branch-free, with masks rather than conditionals that a compiler
         * may turn into (mispredicted) branches: x <= 0 (k = 0 or the sign
         * bit set) and anything outside the table land on row 0. */
        uint32_t d = k - k_first;
        uint32_t in_table = 0u - (uint32_t)(d < nb);
        uint32_t j = (d + 1) & in_table;
        /* Exact: x and the bucket start share a binade. Outside the table
         * both are 0, so that inf or NaN cannot reach row 0's product. */
        double t = (double)bits_float(float_bits(x) & in_table) -
                   (double)bits_float((k << LUT_SHIFT) & in_table);
        float p = (float)(row[j][0] + t * (row[j][1] + t * row[j][2]));
        /* Positive x outside the table (tiny, huge, inf, NaN) is fixed
         * below, out of this loop. */
        outside |= ~in_table & (k != 0) & (k < k_negative);
        out[i] = p * (float)(dead[i] == 0);
    }
    if (__builtin_expect(outside, 0))
        for (size_t i = first; i < end; i++) {
            float x = gain[i] * ((float)in[i] - offset[i]);
            uint32_t k = float_bits(x) >> LUT_SHIFT;
            if (!dead[i] && k != 0 && k < k_negative && k - k_first >= nb)
                out[i] = (float)rm_calibration_curve(cal, x);
        }
}

/* Converts sensels [first, end) of one frame: the one place where counts
 * become kPa. */
static void apply_range(const struct rm_calibration *cal, const uint16_t *in, float *out,
                        size_t first, size_t end)
{
    assert(cal->curve != RM_CURVE_TABLE || cal->table_len >= 2);
    const struct rm_calibration_lut *lut = cal->curve == RM_CURVE_POWER ? lut_get(cal) : NULL;
    if (lut) {
        apply_power_lut(cal, lut, in, out, first, end);
        return;
    }
    for (size_t i = first; i < end; i++) {
        float x = cal->gain[i] * ((float)in[i] - cal->offset[i]);
        out[i] = (cal->dead[i] || !(x > 0)) ? 0.0f : (float)rm_calibration_curve(cal, x);
    }
}

void rm_calibration_apply(const struct rm_calibration *cal, const uint16_t *raw, float *kpa,
                          size_t nframes)
{
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    for (size_t f = 0; f < nframes; f++)
        apply_range(cal, raw + f * n, kpa + f * n, 0, n);
}

void rm_calibration_apply_rows(const struct rm_calibration *cal, const uint16_t *raw, float *kpa,
                               int row0, int nrows)
{
    assert(row0 >= 0 && nrows >= 0 && row0 + nrows <= cal->rows);
    size_t cols = (size_t)cal->cols;
    apply_range(cal, raw, kpa, (size_t)row0 * cols, (size_t)(row0 + nrows) * cols);
}

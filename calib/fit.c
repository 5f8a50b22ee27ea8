/* `calib fit`: the curve from equilibrated counts to kPa, from known masses
 * on the mat.
 *
 * Every loaded frame f of a load of weight F says
 *     sum over contact sensels s of p(x_fs) * area = F.
 * For the power curve p = a x^b this is one equation in (a, b) per frame.
 * Frames of one load all have the same F, so one load fixes only a for a
 * given b; loads of different pressure fix b. For each b, the best a has a
 * closed form; b itself comes from a scan and a golden-section search of the
 * remaining one-dimensional error. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "calib"
#include "calib_internal.h"
#include "rm_error.h"
#include "rm_log.h"

/* Loaded frames per load that enter the fit: they differ only by noise, so
 * a few dozen carry all there is. */
#define FIT_FRAMES_PER_LOAD 40
/* Loads whose typical x differ by less than this factor are one level:
 * they cannot tell a curve's exponent (or a table's knots) apart. */
#define FIT_DISTINCT_LEVEL 1.2
/* The exponent is searched in [B_MIN, B_MAX]. */
#define FIT_B_MIN           0.1
#define FIT_B_MAX           10.0
#define FIT_TABLE_MAX_KNOTS 32
/* A load with more of its contact readings at full scale than this reads
 * low by an unknown amount: it would bend the curve. */
#define FIT_MAX_SATURATED 0.02

/* The contact of the frames of all loads, flattened: frame k holds
 * logx[start[k] .. start[k + 1]), belongs to load load_of[k], weighs w[k]. */
struct fit_data {
    size_t nframes, nvalues;
    size_t *start;   /* nframes + 1 */
    size_t *load_of; /* nframes */
    double *w;       /* nframes: 1 / (frames of its load), so every load counts alike */
    double *target;  /* nframes: the load's force / (area * 1e-3), in kPa * sensels */
    float *x;        /* nvalues: contact x */
    double *logx;    /* nvalues */
    double *level;   /* per load: median contact x */
};

static void fit_data_free(struct fit_data *d)
{
    free(d->start);
    free(d->load_of);
    free(d->w);
    free(d->target);
    free(d->x);
    free(d->logx);
    free(d->level);
    memset(d, 0, sizeof(*d));
}

/* Appends the n values of x that are > 0 to d (growing its arrays). */
static int append_frame(struct fit_data *d, size_t *cap, const float *x, size_t n)
{
    size_t add = 0;
    for (size_t s = 0; s < n; s++)
        add += x[s] > 0;
    if (d->nvalues + add > *cap) {
        size_t want = (*cap ? *cap * 2 : 4096);
        while (want < d->nvalues + add)
            want *= 2;
        float *nx = realloc(d->x, want * sizeof(float));
        if (!nx)
            return RM_ENOMEM;
        d->x = nx;
        *cap = want;
    }
    for (size_t s = 0; s < n; s++)
        if (x[s] > 0)
            d->x[d->nvalues++] = x[s];
    return 0;
}

static int gather(const struct rm_calibration *cal, struct rm_calib_load *loads, size_t nloads,
                  struct fit_data *d)
{
    memset(d, 0, sizeof(*d));
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    size_t max_frames = nloads * FIT_FRAMES_PER_LOAD;
    d->start = malloc((max_frames + 1) * sizeof(size_t));
    d->load_of = malloc(max_frames * sizeof(size_t));
    d->w = malloc(max_frames * sizeof(double));
    d->target = malloc(max_frames * sizeof(double));
    d->level = malloc(nloads * sizeof(double));
    float *x = malloc(n * sizeof(float)); /* one frame, freed below */
    if (!d->start || !d->load_of || !d->w || !d->target || !d->level || !x) {
        free(x);
        return RM_ENOMEM;
    }
    size_t cap = 0;
    int rc = 0;
    for (size_t l = 0; l < nloads && !rc; l++) {
        const struct rm_calib_frames *fr = loads[l].fr;
        struct calib_loaded lf;
        rc = calib_find_loaded(cal, fr, loads[l].first, loads[l].count, &lf);
        if (rc)
            break;
        size_t take = lf.n < FIT_FRAMES_PER_LOAD ? lf.n : FIT_FRAMES_PER_LOAD;
        size_t first_value = d->nvalues;
        double area_mm2 = fr->pitch_row_mm * fr->pitch_col_mm;
        size_t saturated = 0;
        unsigned full = calib_full_scale(fr);
        for (size_t k = 0; k < take && !rc; k++) {
            size_t f = lf.idx[k * lf.n / take];
            for (size_t s = 0; s < n; s++)
                saturated += !cal->dead[s] && fr->data[f * n + s] >= full;
            calib_contact_x(cal, fr->data + f * n, lf.tau, x);
            d->start[d->nframes] = d->nvalues;
            rc = append_frame(d, &cap, x, n);
            d->load_of[d->nframes] = l;
            d->w[d->nframes] = 1.0 / (double)take;
            d->target[d->nframes] = loads[l].kg * RM_GRAVITY / (area_mm2 * 1e-3);
            d->nframes++;
        }
        free(lf.idx);
        if (rc)
            break;
        size_t nv = d->nvalues - first_value;
        assert(nv > 0); /* find_loaded demands contact */
        if ((double)saturated > FIT_MAX_SATURATED * (double)nv) {
            rc = rm_fail(RM_EFORMAT,
                         "%s: %.1f sensels per frame at full scale: the pressure is beyond what "
                         "the mat reads (spread the load over a larger plate)",
                         fr->name, (double)saturated / (double)take);
            break;
        }
        /* The median of a copy: d->x keeps frame order. */
        float *copy = malloc(nv * sizeof(float));
        if (!copy) {
            rc = RM_ENOMEM;
            break;
        }
        memcpy(copy, d->x + first_value, nv * sizeof(float));
        d->level[l] = rm_median(copy, nv);
        free(copy);
    }
    free(x);
    if (rc)
        return rc;
    d->start[d->nframes] = d->nvalues;
    d->logx = malloc((d->nvalues ? d->nvalues : 1) * sizeof(double));
    if (!d->logx)
        return RM_ENOMEM;
    for (size_t i = 0; i < d->nvalues; i++)
        d->logx[i] = log(d->x[i]);
    return 0;
}

/* The relative error of the best a for exponent b; the a in *a_out. */
static double power_error(const struct fit_data *d, double b, double *a_out)
{
    double su = 0, suu = 0, sw = 0;
    for (size_t k = 0; k < d->nframes; k++) {
        double s = 0;
        for (size_t i = d->start[k]; i < d->start[k + 1]; i++)
            s += exp(b * d->logx[i]);
        double u = s / d->target[k];
        su += d->w[k] * u;
        suu += d->w[k] * u * u;
        sw += d->w[k];
    }
    /* min over a of sum w (a u - 1)^2 */
    double a = suu > 0 ? su / suu : 1.0;
    *a_out = a;
    return (sw - a * su) / sw; /* = sum w (a u - 1)^2 / sum w at the optimum */
}

static int fit_power(struct rm_calibration *cal, const struct fit_data *d)
{
    /* Scan log(b) coarsely, then refine around the best by golden section. */
    enum { SCAN = 61 };
    double lo = log(FIT_B_MIN), hi = log(FIT_B_MAX), step = (hi - lo) / (SCAN - 1);
    double best_err = INFINITY, a;
    int best = 0;
    for (int i = 0; i < SCAN; i++) {
        double e = power_error(d, exp(lo + step * i), &a);
        if (e < best_err) {
            best_err = e;
            best = i;
        }
    }
    double l = lo + step * (best > 0 ? best - 1 : 0);
    double r = lo + step * (best < SCAN - 1 ? best + 1 : SCAN - 1);
    const double phi = 0.6180339887498949;
    double m1 = r - phi * (r - l), m2 = l + phi * (r - l);
    double e1 = power_error(d, exp(m1), &a), e2 = power_error(d, exp(m2), &a);
    while (r - l > 1e-7) {
        if (e1 < e2) {
            r = m2;
            m2 = m1;
            e2 = e1;
            m1 = r - phi * (r - l);
            e1 = power_error(d, exp(m1), &a);
        } else {
            l = m1;
            m1 = m2;
            e1 = e2;
            m2 = l + phi * (r - l);
            e2 = power_error(d, exp(m2), &a);
        }
    }
    double b = exp(0.5 * (l + r));
    double err = power_error(d, b, &a);
    if (!(a > 0) || !isfinite(a))
        return rm_fail(RM_EFORMAT, "fit: no power curve matches these loads (a = %g)", a);
    /* An exponent pinned at the end of its range is no fit: the loads
     * disagree with every power curve, nearly always because a mass was
     * entered wrong. Saving it would make every pressure wrong by as much. */
    if (b <= FIT_B_MIN * 1.01 || b >= FIT_B_MAX * 0.99)
        return rm_fail(RM_EFORMAT,
                       "fit: no power curve matches these loads (exponent %.3g at the end of "
                       "its range %g..%g): check the masses given with --load",
                       b, FIT_B_MIN, FIT_B_MAX);
    cal->curve = RM_CURVE_POWER;
    cal->curve_a = a;
    cal->curve_b = b;
    rm_info("fit: power curve a = %.6g, b = %.6g, rms relative error %.3g %%", a, b,
            100.0 * sqrt(err > 0 ? err : 0));
    return 0;
}

/* Adds the coefficients of the knots' pressures for one x to c: the table's
 * linear interpolation through (0, 0) and the knots, extended from the last
 * segment beyond the last knot. */
static void table_coeffs(const double *knot, size_t k, double x, double *c)
{
    size_t j = 0; /* x in (knot[j-1], knot[j]] with knot[-1] = 0 */
    while (j < k - 1 && x > knot[j])
        j++;
    double x0 = j ? knot[j - 1] : 0.0;
    double t = (x - x0) / (knot[j] - x0);
    c[j] += t;
    if (j)
        c[j - 1] += 1.0 - t;
}

static int fit_table(struct rm_calibration *cal, const struct fit_data *d, size_t nloads)
{
    /* Knots: the distinct load levels, merging levels closer than
     * FIT_DISTINCT_LEVEL. */
    double knot[FIT_TABLE_MAX_KNOTS];
    size_t k = 0;
    double *lv = malloc(nloads * sizeof(double));
    if (!lv)
        return RM_ENOMEM;
    memcpy(lv, d->level, nloads * sizeof(double));
    for (size_t i = 1; i < nloads; i++) /* insertion sort: a handful */
        for (size_t j = i; j > 0 && lv[j] < lv[j - 1]; j--) {
            double t = lv[j];
            lv[j] = lv[j - 1];
            lv[j - 1] = t;
        }
    for (size_t i = 0; i < nloads && k < FIT_TABLE_MAX_KNOTS; i++)
        if (k == 0 || lv[i] >= knot[k - 1] * FIT_DISTINCT_LEVEL)
            knot[k++] = lv[i];
    free(lv);

    /* One row per load: the mean over its frames of sum_s p(x_s) / target,
     * linear in the knot pressures; the unknowns are the increments
     * P_j - P_(j-1) >= 0, which keeps the table monotone. */
    double *A = calloc(nloads * k, sizeof(double));
    double *rhs = malloc(nloads * sizeof(double));
    double c[FIT_TABLE_MAX_KNOTS], inc[FIT_TABLE_MAX_KNOTS];
    if (!A || !rhs) {
        free(A);
        free(rhs);
        return RM_ENOMEM;
    }
    for (size_t l = 0; l < nloads; l++)
        rhs[l] = 1.0;
    for (size_t f = 0; f < d->nframes; f++) {
        memset(c, 0, sizeof(c));
        for (size_t i = d->start[f]; i < d->start[f + 1]; i++)
            table_coeffs(knot, k, d->x[i], c);
        double *row = A + d->load_of[f] * k;
        /* P_j = sum_{m <= j} inc_m: inc_m's coefficient is sum_{j >= m} c_j. */
        double tail = 0;
        for (size_t m = k; m-- > 0;) {
            tail += c[m];
            row[m] += d->w[f] * tail / d->target[f];
        }
    }
    int rc = calib_nnls(A, rhs, nloads, k, inc);
    free(A);
    free(rhs);
    if (rc)
        return rm_fail(RM_EFORMAT, "fit: the loads give no table (singular system)");
    double xy[2 * (FIT_TABLE_MAX_KNOTS + 1)];
    size_t rows = 0;
    double p = 0;
    xy[0] = 0.0;
    xy[1] = 0.0;
    rows = 1;
    for (size_t j = 0; j < k; j++) {
        p += inc[j];
        xy[2 * rows] = knot[j];
        xy[2 * rows + 1] = p;
        rows++;
    }
    if (!(p > 0))
        return rm_fail(RM_EFORMAT, "fit: the loads give a table that is zero everywhere");
    rc = rm_calibration_set_table(cal, xy, rows);
    if (!rc)
        rm_info("fit: table of %zu rows, up to x = %.1f -> %.1f kPa", rows, xy[2 * (rows - 1)], p);
    return rc;
}

int rm_calib_fit(struct rm_calibration *cal, struct rm_calib_load *loads, size_t nloads,
                 enum rm_curve curve)
{
    if (nloads == 0)
        return rm_fail(RM_EUSAGE, "fit: at least one --load FILE.h5=KG is needed");
    if (curve == RM_CURVE_POWER && nloads < 2)
        return rm_fail(RM_EUSAGE, "fit: a power curve needs at least two loads of different "
                                  "mass (its exponent is not identifiable from one)");
    struct fit_data d;
    int rc = gather(cal, loads, nloads, &d);
    if (rc) {
        fit_data_free(&d);
        return rc;
    }
    double lo = INFINITY, hi = 0;
    for (size_t l = 0; l < nloads; l++) {
        lo = fmin(lo, d.level[l]);
        hi = fmax(hi, d.level[l]);
    }
    if (curve == RM_CURVE_POWER && hi < lo * FIT_DISTINCT_LEVEL) {
        fit_data_free(&d);
        return rm_fail(RM_EFORMAT,
                       "fit: the loads press alike (typical counts %.0f to %.0f): the curve's "
                       "exponent needs loads of clearly different pressure, e.g. other masses "
                       "or a smaller plate",
                       lo, hi);
    }
    rc = curve == RM_CURVE_TABLE ? fit_table(cal, &d, nloads) : fit_power(cal, &d);
    fit_data_free(&d);
    if (rc)
        return rc;
    rm_calibration_prepare(cal);
    cal->created_utc[0] = '\0';
    for (size_t l = 0; l < nloads && !rc; l++)
        rc = rm_calib_measure(cal, &loads[l]);
    return rc;
}

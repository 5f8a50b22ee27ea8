/* Per-frame figures from raw counts: which sensels are in contact, their
 * pressure (through the calibration, or counts over a per-sensel baseline),
 * total force, contact area, peak, contact-mean pressure and centre of
 * pressure. The contact floor comes from the sensels' noise, estimated on a
 * sample of frames spread over the recording (docs/scoring.md, "Contact"). */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "an_frames.h"
#include "rm_error.h"

/* The k-th smallest of v[0..n), k < n (Wirth's selection; reorders v). */
static float select_kth(float *v, size_t n, size_t k)
{
    ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
    while (l < m) {
        float x = v[kk];
        ptrdiff_t i = l, j = m;
        do {
            while (v[i] < x)
                i++;
            while (x < v[j])
                j--;
            if (i <= j) {
                float tmp = v[i];
                v[i] = v[j];
                v[j] = tmp;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < kk)
            l = i;
        if (kk < i)
            m = j;
    }
    return v[kk];
}

/* Median of v[0..n) (reorders v). */
static float median(float *v, size_t n)
{
    return n ? select_kth(v, n, n / 2) : 0;
}

/* Robust spread of noise: 1.4826 * median absolute deviation (reorders v). */
static double robust_sigma(float *v, size_t n, double *center)
{
    float med = median(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = fabsf(v[i] - med);
    *center = med;
    return 1.4826 * median(v, n);
}

static int make_bands(struct an_frames *c);

static uint16_t to_threshold(double v)
{
    if (!(v < 65535))
        return 65535;
    if (v < 0)
        return 0;
    return (uint16_t)floor(v);
}

int an_frames_init(struct an_frames *c, const struct rm_rec_meta *meta,
                   const struct rm_calibration *cal, const uint16_t *sample, size_t nsample)
{
    memset(c, 0, sizeof(*c));
    c->rows = meta->rows;
    c->cols = meta->cols;
    c->n = (size_t)meta->rows * (size_t)meta->cols;
    c->pitch_row = meta->pitch_row_mm;
    c->pitch_col = meta->pitch_col_mm;
    c->sensel_mm2 = meta->pitch_row_mm * meta->pitch_col_mm;
    c->cal = cal;
    size_t n = c->n;
    c->thr = malloc(n * sizeof(*c->thr));
    c->base = calloc(n, sizeof(*c->base));
    float *vals = malloc((nsample * n + 1) * sizeof(*vals));
    if (!c->thr || !c->base || !vals) {
        free(vals);
        an_frames_free(c);
        return RM_ENOMEM;
    }
    size_t k = 0;
    if (cal) {
        /* Noise in equilibrated counts x = gain (raw - offset): an unloaded
         * sensel reads x around 0, below it half the time; a loaded one
         * hardly ever does. So the readings below zero, whatever share of
         * the mat is loaded, have a median of 0.6745 sigma. */
        for (size_t f = 0; f < nsample; f++)
            for (size_t i = 0; i < n; i++)
                if (!cal->dead[i]) {
                    float x = cal->gain[i] * ((float)sample[f * n + i] - cal->offset[i]);
                    if (x < 0)
                        vals[k++] = -x;
                }
        double sigma = k ? 1.4826 * median(vals, k) : 0;
        c->noise_sigma = sigma;
        c->floor_x = AN_NOISE_K * sigma;
        c->floor = c->floor_x > 0 ? rm_calibration_curve(cal, c->floor_x) : 0;
        for (size_t i = 0; i < n; i++)
            c->thr[i] = cal->dead[i] || !(cal->gain[i] > 0)
                            ? 65535
                            : to_threshold(cal->offset[i] + c->floor_x / cal->gain[i]);
        int rc = make_bands(c);
        if (rc != 0) {
            free(vals);
            an_frames_free(c);
            return rc;
        }
    } else {
        /* Per-sensel baseline: the lower quintile of the sensel's readings
         * over the sample (each sensel is under the roller a small share of
         * the time), then the noise of everything around it. */
        float *col = malloc((nsample + 1) * sizeof(*col));
        if (!col) {
            free(vals);
            an_frames_free(c);
            return RM_ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            for (size_t f = 0; f < nsample; f++)
                col[f] = sample[f * n + i];
            c->base[i] = nsample ? select_kth(col, nsample, nsample / 5) : 0;
        }
        free(col);
        for (size_t f = 0; f < nsample; f++)
            for (size_t i = 0; i < n; i++)
                vals[k++] = (float)sample[f * n + i] - c->base[i];
        double center;
        double sigma = robust_sigma(vals, k, &center);
        for (size_t i = 0; i < n; i++)
            c->base[i] += (float)center;
        c->noise_sigma = sigma;
        /* Counts are integers: half a count is the least step that is not
         * the baseline itself. */
        c->floor = AN_NOISE_K * sigma > 0.5 ? AN_NOISE_K * sigma : 0.5;
        for (size_t i = 0; i < n; i++)
            c->thr[i] = to_threshold(c->base[i] + c->floor);
    }
    free(vals);
    return 0;
}

void an_frames_free(struct an_frames *c)
{
    free(c->thr);
    free(c->base);
    for (int l = 0; l < AN_BAND_LEVELS; l++) {
        for (int k = 0; k < c->levels[l].count; k++)
            rm_calibration_free(c->levels[l].cals[k]);
        free(c->levels[l].cals);
    }
    memset(c->levels, 0, sizeof(c->levels));
    c->thr = NULL;
    c->base = NULL;
}

int an_frames_scratch_new(const struct an_frames *c, struct an_scratch *w)
{
    w->kpa = malloc(c->n * sizeof(*w->kpa));
    w->idx = malloc(c->n * sizeof(*w->idx));
    if (!w->kpa || !w->idx) {
        an_frames_scratch_free(w);
        return RM_ENOMEM;
    }
    return 0;
}

void an_frames_scratch_free(struct an_scratch *w)
{
    free(w->kpa);
    free(w->idx);
    memset(w, 0, sizeof(*w));
}

/* Band calibrations: the contact sensels of a frame lie in the roller's
 * band, a few rows of the mat, and converting the whole frame costs several
 * times more than converting those rows. rm_calibration_apply() converts
 * whole calibrations only, so the mat's calibration is also cut into real
 * calibrations of h rows starting every h / 2 rows, for h in
 * band_heights[]: any band of up to h / 2 rows lies inside one of them, and
 * a frame is converted through the smallest that holds its contact rows. */
static const int band_heights[AN_BAND_LEVELS] = {8, 16};

static int make_level(struct an_frames *c, struct an_band_level *lv, int h)
{
    const struct rm_calibration *cal = c->cal;
    int step = h / 2;
    int count = (cal->rows - h + step - 1) / step + 1;
    lv->cals = calloc((size_t)count, sizeof(*lv->cals));
    if (!lv->cals)
        return RM_ENOMEM;
    lv->height = h;
    lv->step = step;
    size_t cols = (size_t)cal->cols;
    for (int k = 0; k < count; k++) {
        int r0 = k * step < cal->rows - h ? k * step : cal->rows - h;
        struct rm_calibration *b;
        int rc = rm_calibration_new(&b, h, cal->cols);
        if (rc != 0)
            return rc;
        lv->cals[lv->count++] = b;
        size_t first = (size_t)r0 * cols, len = (size_t)h * cols;
        memcpy(b->offset, cal->offset + first, len * sizeof(*b->offset));
        memcpy(b->gain, cal->gain + first, len * sizeof(*b->gain));
        memcpy(b->dead, cal->dead + first, len * sizeof(*b->dead));
        b->curve = cal->curve;
        b->curve_a = cal->curve_a;
        b->curve_b = cal->curve_b;
        if (cal->curve == RM_CURVE_TABLE &&
            (rc = rm_calibration_set_table(b, cal->table, cal->table_len)) != 0)
            return rc;
        if ((rc = rm_calibration_prepare(b)) != 0)
            return rc;
    }
    return 0;
}

static int make_bands(struct an_frames *c)
{
    for (int l = 0; l < AN_BAND_LEVELS; l++) {
        if (c->cal->rows <= band_heights[l])
            break; /* a mat this small converts whole */
        int rc = make_level(c, &c->levels[l], band_heights[l]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* kPa of a frame's rows r0..r1 (at least; other rows are left as they
 * are). */
static void convert(const struct an_frames *c, const uint16_t *in, float *kpa, uint32_t r0,
                    uint32_t r1)
{
    for (int l = 0; l < AN_BAND_LEVELS; l++) {
        const struct an_band_level *lv = &c->levels[l];
        if (lv->count == 0 || r1 - r0 + 1 > (uint32_t)lv->step)
            continue;
        int k = (int)r0 / lv->step;
        if (k >= lv->count)
            k = lv->count - 1;
        uint32_t start = (uint32_t)(c->rows - lv->height);
        if ((uint32_t)(k * lv->step) < start)
            start = (uint32_t)(k * lv->step);
        assert(r0 >= start && r1 < start + (uint32_t)lv->height);
        size_t first = (size_t)start * (size_t)c->cols;
        rm_calibration_apply(lv->cals[k], in + first, kpa + first, 1);
        return;
    }
    rm_calibration_apply(c->cal, in, kpa, 1);
}

void an_frames_compute(const struct an_frames *c, struct an_scratch *w, const uint16_t *raw,
                       size_t nframes, struct an_series *s, int64_t first)
{
    const size_t n = c->n;
    const int cols = c->cols;
    for (size_t f = 0; f < nframes; f++) {
        const uint16_t *in = raw + f * n;
        size_t nc = 0;
        for (size_t i = 0; i < n; i++) {
            w->idx[nc] = (uint32_t)i;
            nc += in[i] > c->thr[i];
        }
        const float *val = w->kpa;
        if (c->cal && nc)
            convert(c, in, w->kpa, w->idx[0] / (uint32_t)cols, w->idx[nc - 1] / (uint32_t)cols);
        double sum = 0, sr = 0, sc = 0, peak = 0;
        size_t contact = 0;
        for (size_t j = 0; j < nc; j++) {
            uint32_t i = w->idx[j];
            double v = c->cal ? val[i] : (double)in[i] - c->base[i];
            if (!(v > 0))
                continue;
            contact++;
            sum += v;
            sr += v * (double)(i / (uint32_t)cols);
            sc += v * (double)(i % (uint32_t)cols);
            if (v > peak)
                peak = v;
        }
        int64_t k = first + (int64_t)f;
        s->force[k] = c->cal ? sum * c->sensel_mm2 * 1e-3 : sum;
        s->area_cm2[k] = (double)contact * c->sensel_mm2 / 100.0;
        s->peak[k] = peak;
        s->mean[k] = contact ? sum / (double)contact : NAN;
        s->cop_row[k] = sum > 0 ? sr / sum * c->pitch_row : NAN;
        s->cop_col[k] = sum > 0 ? sc / sum * c->pitch_col : NAN;
    }
}

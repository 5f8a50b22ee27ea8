/* `calib equilibrate`: per-sensel gain from uniform pressure.
 *
 * Under a uniform pressure every sensel sees the same true x, and reads
 * d_s = raw_s - offset_s = x / gain_s. So in every loaded frame the ratio
 * d_s / median_s(d_s) is 1 / gain_s up to the common factor of the median,
 * whatever the pressure: frames of any level, from any number of recordings,
 * estimate the same ratio. Each sensel's gain is the inverse of its median
 * ratio over the loaded frames, then normalised so that the mat's median
 * gain is 1 (the curve fit absorbs the common factor). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "calib"
#include "calib_internal.h"
#include "rm_error.h"
#include "rm_log.h"

/* A frame is loaded when the mat's median reading is above this many
 * counts: the uniform pressure rather than noise (a 12-bit mat's noise is a
 * count or two). */
#define EQ_MIN_MEDIAN_COUNTS 12.0
/* ... and above this fraction of the recording's highest median: the
 * bladder being inflated is not uniform yet. */
#define EQ_MIN_FRACTION 0.05
/* Frames per recording that enter the estimate. */
#define EQ_MAX_FRAMES 400
/* A sensel needs this many unsaturated loaded frames to have a gain. */
#define EQ_MIN_SAMPLES 5
/* A gain this many robust sigmas (1.4826 MAD of log gain) from the median
 * is a broken sensel, not a spread one ... */
#define EQ_OUTLIER_SIGMAS 5.0
/* ... with the spread counted as at least 2 %, so that a very even mat does
 * not lose sensels 8 % off. */
#define EQ_MIN_SPREAD 0.02
/* A sensel reading under this fraction of the mat's median responds to
 * nothing. */
#define EQ_MIN_RATIO 0.1
/* More than this fraction of the live sensels failing at once is not a
 * batch of broken sensels but pressure that was not uniform (a bladder
 * that did not cover the mat): refuse rather than kill them all. */
#define EQ_MAX_NEW_DEAD 0.05

/* The loaded frames of one recording (indices into fr), at most
 * EQ_MAX_FRAMES, evenly spread, with each frame's median reading. */
static int loaded_frames(const struct rm_calibration *cal, const struct rm_calib_frames *fr,
                         size_t *idx, double *median, size_t *count)
{
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    float *d = malloc(n * sizeof(float));               /* freed below */
    double *med = malloc(fr->nframes * sizeof(double)); /* freed below */
    if (!d || !med) {
        free(d);
        free(med);
        return RM_ENOMEM;
    }
    /* A frame with half its live sensels at full scale has a clipped
     * median, against which every ratio would be wrong: it is left out
     * (marked by a NAN median), its sensels say only "at least". */
    const uint16_t full = (uint16_t)calib_full_scale(fr);
    double top = 0;
    size_t clipped_frames = 0;
    for (size_t f = 0; f < fr->nframes; f++) {
        size_t k = 0, clipped = 0;
        for (size_t s = 0; s < n; s++)
            if (!cal->dead[s]) {
                d[k++] = (float)fr->data[f * n + s] - cal->offset[s];
                clipped += fr->data[f * n + s] >= full;
            }
        med[f] = k ? rm_median(d, k) : 0.0;
        top = fmax(top, med[f]);
        if (k && 2 * clipped >= k) {
            med[f] = NAN;
            clipped_frames++;
        }
    }
    size_t loaded = 0;
    for (size_t f = 0; f < fr->nframes; f++)
        loaded += med[f] >= EQ_MIN_MEDIAN_COUNTS && med[f] >= EQ_MIN_FRACTION * top;
    int rc = 0;
    if (loaded == 0 && clipped_frames > 0) {
        rc = rm_fail(RM_EFORMAT,
                     "%s: the pressure drives most sensels to full scale in every frame: use "
                     "a lower pressure",
                     fr->name);
        goto out;
    }
    if (loaded == 0) {
        rc = rm_fail(RM_EFORMAT,
                     "%s: no uniform pressure on it (median reading at most %.1f counts above "
                     "zero)",
                     fr->name, top);
        goto out;
    }
    if (clipped_frames > 0)
        rm_warn("%s: %zu frames left out: most sensels at full scale", fr->name, clipped_frames);
    size_t take = loaded < EQ_MAX_FRAMES ? loaded : EQ_MAX_FRAMES;
    size_t seen = 0;
    *count = 0;
    for (size_t f = 0; f < fr->nframes && *count < take; f++) {
        if (!(med[f] >= EQ_MIN_MEDIAN_COUNTS && med[f] >= EQ_MIN_FRACTION * top))
            continue;
        /* Keep the seen-th loaded frame when it is the next of `take`
         * evenly spaced ones. */
        if (seen * take / loaded == *count || loaded == take) {
            idx[*count] = f;
            median[*count] = med[f];
            (*count)++;
        }
        seen++;
    }
out:
    free(d);
    free(med);
    return rc;
}

int rm_calib_equilibrate(struct rm_calibration *cal, struct rm_calib_frames *const *recs,
                         size_t nrecs, struct rm_calib_equil_report *rep)
{
    assert(nrecs > 0);
    size_t n = (size_t)cal->rows * (size_t)cal->cols;
    size_t max_total = nrecs * EQ_MAX_FRAMES;
    /* ratio[s * max_total + k]: sensel s in the k-th loaded frame; NAN where
     * saturated. Freed below, with the scratch columns. */
    float *ratio = malloc(n * max_total * sizeof(float));
    size_t *idx = malloc(EQ_MAX_FRAMES * sizeof(size_t));
    double *median = malloc(EQ_MAX_FRAMES * sizeof(double));
    float *col = malloc((max_total > n ? max_total : n) * sizeof(float));
    float *gain = malloc(n * sizeof(float));
    int rc = 0;
    if (!ratio || !idx || !median || !col || !gain) {
        rc = RM_ENOMEM;
        goto out;
    }
    size_t total = 0;
    for (size_t r = 0; r < nrecs && !rc; r++) {
        const struct rm_calib_frames *fr = recs[r];
        assert(fr->rows == cal->rows && fr->cols == cal->cols);
        size_t count = 0;
        rc = loaded_frames(cal, fr, idx, median, &count);
        float full = (float)calib_full_scale(fr);
        for (size_t k = 0; k < count && !rc; k++) {
            const uint16_t *raw = fr->data + idx[k] * n;
            for (size_t s = 0; s < n; s++) {
                /* A clipped reading says only "at least": no ratio. */
                int clipped = raw[s] >= full || raw[s] == 0;
                ratio[s * max_total + total] =
                    clipped ? NAN : (float)(((float)raw[s] - cal->offset[s]) / median[k]);
            }
            total++;
        }
    }
    if (rc)
        goto out;

    struct rm_calib_equil_report r = {.frames_used = total};
    /* Per sensel: the median ratio over its unclipped frames. */
    for (size_t s = 0; s < n; s++) {
        gain[s] = NAN;
        if (cal->dead[s])
            continue;
        size_t k = 0;
        for (size_t f = 0; f < total; f++) {
            float v = ratio[s * max_total + f];
            if (!isnan(v))
                col[k++] = v;
        }
        if (k < EQ_MIN_SAMPLES)
            continue; /* clipped throughout: dead below */
        float m = rm_median(col, k);
        if (m >= EQ_MIN_RATIO)
            gain[s] = 1.0f / m;
    }
    /* Normalise so that the median live gain is 1, then judge each gain
     * against the spread of them all, in log (gains are factors). */
    size_t live = 0;
    for (size_t s = 0; s < n; s++)
        if (!cal->dead[s] && isfinite(gain[s]))
            col[live++] = logf(gain[s]);
    if (live == 0) {
        rc = rm_fail(RM_EFORMAT, "%s: no sensel responds to the pressure", recs[0]->name);
        goto out;
    }
    float log_median = rm_median(col, live);
    live = 0;
    for (size_t s = 0; s < n; s++)
        if (!cal->dead[s] && isfinite(gain[s]))
            col[live++] = logf(gain[s]);
    double spread = RM_MAD_TO_SIGMA * rm_mad(col, live, log_median);
    double limit = EQ_OUTLIER_SIGMAS * fmax(spread, EQ_MIN_SPREAD);
    size_t failing = 0, before = 0;
    for (size_t s = 0; s < n; s++) {
        before += !cal->dead[s];
        failing +=
            !cal->dead[s] && (!isfinite(gain[s]) || fabs(logf(gain[s]) - log_median) > limit);
    }
    if ((double)failing > EQ_MAX_NEW_DEAD * (double)before) {
        rc = rm_fail(RM_EFORMAT,
                     "%s: pressure not uniform: %zu of %zu sensels read far from the rest "
                     "(cover the whole mat evenly)",
                     recs[0]->name, failing, before);
        goto out;
    }
    r.gain_min = INFINITY;
    r.gain_max = 0;
    for (size_t s = 0; s < n; s++) {
        if (cal->dead[s])
            continue;
        if (!isfinite(gain[s]) || fabs(logf(gain[s]) - log_median) > limit) {
            cal->dead[s] = 1;
            r.newly_dead++;
            continue;
        }
        cal->gain[s] = expf(logf(gain[s]) - log_median);
        r.gain_min = fmin(r.gain_min, cal->gain[s]);
        r.gain_max = fmax(r.gain_max, cal->gain[s]);
    }
    r.spread_pct = 100.0 * spread;
    cal->created_utc[0] = '\0';
    rm_calibration_prepare(cal);
    rm_info("equilibrate: %zu frames, gains %.3f .. %.3f (spread %.1f %%), %zu newly dead",
            r.frames_used, r.gain_min, r.gain_max, r.spread_pct, r.newly_dead);
    if (rep)
        *rep = r;
out:
    free(ratio);
    free(idx);
    free(median);
    free(col);
    free(gain);
    return rc;
}

/* `calib zero`: offsets, noise and dead sensels from an empty mat. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PREFIX "calib"
#include "calib_internal.h"
#include "rm_error.h"
#include "rm_log.h"

/* Readings further than this many robust sigmas from a sensel's median (a
 * touch, a spike) are left out of its offset and noise. */
#define ZERO_CLIP_SIGMAS 5.0
/* ... but never closer than this (counts), so that quantisation alone
 * (MAD 0 on a quiet sensel) clips nothing. */
#define ZERO_CLIP_MIN 3.0
/* A sensel noisier than this many times its neighbours' median noise, and
 * above ZERO_NOISY_MIN counts, is broken (an open trace picks up
 * everything). */
#define ZERO_NOISY_RATIO 5.0
#define ZERO_NOISY_MIN   2.0
/* Neighbourhood for that comparison: (2 R + 1)^2 sensels. */
#define ZERO_NEIGHBOUR_R 2
/* A live sensel with this much noise changes value within a few dozen
 * frames; one that never does is stuck. */
#define ZERO_STUCK_MIN_NOISE  0.3
#define ZERO_STUCK_MIN_FRAMES CALIB_MIN_FRAMES
/* A frame where more than this fraction of the live sensels read more than
 * ZERO_TOUCH_SIGMAS (and ZERO_TOUCH_MIN counts) above their offset has
 * something on the mat. The robust offsets ignore such frames as long as
 * they are a minority; past ZERO_TOUCH_MAX_FRACTION of the frames they would
 * not. */
#define ZERO_TOUCH_SENSELS      0.005
#define ZERO_TOUCH_SIGMAS       8.0
#define ZERO_TOUCH_MIN          5.0
#define ZERO_TOUCH_MAX_FRACTION 0.3

/* Offset (trimmed mean), noise (standard deviation of the kept readings),
 * whether the sensel never changed, its median and its 10th percentile (its
 * empty level even when something rested on it most of the time), from one
 * sensel's readings. v and scratch hold nframes floats. */
static void sensel_stats(const struct rm_calib_frames *fr, size_t s, float *v, float *scratch,
                         float *offset, float *noise, int *constant, float *median, float *low)
{
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t f = 0; f < fr->nframes; f++) {
        v[f] = (float)fr->data[f * n + s];
        lo = fminf(lo, v[f]);
        hi = fmaxf(hi, v[f]);
        scratch[f] = v[f];
    }
    *constant = lo == hi;
    float m = rm_median(scratch, fr->nframes);
    *low = rm_select(scratch, fr->nframes, fr->nframes / 10);
    float mad = rm_mad(scratch, fr->nframes, m);
    double clip = fmax(ZERO_CLIP_SIGMAS * RM_MAD_TO_SIGMA * mad, ZERO_CLIP_MIN);
    double sum = 0, sum2 = 0;
    size_t kept = 0;
    for (size_t f = 0; f < fr->nframes; f++) {
        if (fabs(v[f] - m) > clip)
            continue;
        double d = v[f] - m; /* about the median: no cancellation */
        sum += d;
        sum2 += d * d;
        kept++;
    }
    assert(kept > 0); /* the median itself is within clip */
    double mean = sum / (double)kept;
    double var = kept > 1 ? (sum2 - (double)kept * mean * mean) / (double)(kept - 1) : 0.0;
    *offset = (float)(m + mean);
    *noise = (float)sqrt(var > 0 ? var : 0);
    *median = m;
}

/* Frames in which something pressed on the mat: judged against each
 * sensel's low percentile and the mat's typical noise, which a load present
 * in most frames cannot pull up the way it pulls the offsets. */
static size_t touched_frames(const struct rm_calib_frames *fr, const struct rm_calibration *cal,
                             const float *low, double mat_noise)
{
    size_t n = (size_t)fr->rows * (size_t)fr->cols, live = 0, touched = 0;
    double limit = fmax(ZERO_TOUCH_SIGMAS * mat_noise, ZERO_TOUCH_MIN);
    for (size_t s = 0; s < n; s++)
        live += !cal->dead[s];
    for (size_t f = 0; f < fr->nframes; f++) {
        size_t high = 0;
        for (size_t s = 0; s < n; s++)
            high += !cal->dead[s] && fr->data[f * n + s] - low[s] > limit;
        touched += (double)high > ZERO_TOUCH_SENSELS * (double)live && high > 0;
    }
    return touched;
}

/* Marks sensels far noisier than the live ones around them. */
static size_t mark_noisy(const struct rm_calib_frames *fr, const float *noise, uint8_t *dead)
{
    int rows = fr->rows, cols = fr->cols;
    float around[(2 * ZERO_NEIGHBOUR_R + 1) * (2 * ZERO_NEIGHBOUR_R + 1)];
    size_t marked = 0;
    uint8_t *noisy = calloc((size_t)rows * (size_t)cols, 1); /* freed below */
    if (!noisy)
        return 0;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            size_t s = (size_t)r * (size_t)cols + (size_t)c;
            if (dead[s] || noise[s] <= ZERO_NOISY_MIN)
                continue;
            size_t k = 0;
            for (int dr = -ZERO_NEIGHBOUR_R; dr <= ZERO_NEIGHBOUR_R; dr++)
                for (int dc = -ZERO_NEIGHBOUR_R; dc <= ZERO_NEIGHBOUR_R; dc++) {
                    int rr = r + dr, cc = c + dc;
                    if ((dr || dc) && rr >= 0 && rr < rows && cc >= 0 && cc < cols &&
                        !dead[(size_t)rr * (size_t)cols + (size_t)cc])
                        around[k++] = noise[(size_t)rr * (size_t)cols + (size_t)cc];
                }
            if (k < 3)
                continue; /* too few neighbours to judge */
            float typical = rm_median(around, k);
            if (noise[s] > ZERO_NOISY_RATIO * typical) {
                noisy[s] = 1;
                marked++;
            }
        }
    }
    /* Marked after the scan so that one noisy sensel does not change how
     * its neighbours are judged. */
    for (size_t s = 0; s < (size_t)rows * (size_t)cols; s++)
        dead[s] |= noisy[s];
    free(noisy);
    return marked;
}

int rm_calib_zero(const struct rm_calib_frames *fr, struct rm_calibration *cal, float *noise,
                  struct rm_calib_zero_report *rep)
{
    assert(fr->rows == cal->rows && fr->cols == cal->cols);
    if (fr->nframes < ZERO_STUCK_MIN_FRAMES)
        return rm_fail(RM_EFORMAT,
                       "%s: %zu frames; a zero needs at least %d frames of the empty mat", fr->name,
                       fr->nframes, ZERO_STUCK_MIN_FRAMES);
    size_t n = (size_t)fr->rows * (size_t)fr->cols;
    size_t work_len = fr->nframes > n ? fr->nframes : n;
    float full = (float)calib_full_scale(fr);
    /* Scratch, freed below: two work columns, the noise map, and which
     * sensels never changed. */
    float *v = malloc(work_len * sizeof(float));
    float *scratch = malloc(work_len * sizeof(float));
    float *sigma = malloc(n * sizeof(float));
    float *low = malloc(n * sizeof(float));
    uint8_t *constant = malloc(n);
    int rc = 0;
    if (!v || !scratch || !sigma || !low || !constant) {
        rc = RM_ENOMEM;
        goto out;
    }
    struct rm_calib_zero_report r = {.sensels = n};
    for (size_t s = 0; s < n; s++) {
        int is_constant;
        float median;
        sensel_stats(fr, s, v, scratch, &cal->offset[s], &sigma[s], &is_constant, &median, &low[s]);
        constant[s] = (uint8_t)is_constant;
        cal->gain[s] = 1.0f;
        /* At full scale with nothing on the mat, or never moving from 0:
         * no reading of this sensel means anything. */
        cal->dead[s] = median >= full || (is_constant && median <= 0);
    }
    /* A reading that never moves, while the mat's noise should move it
     * within a few dozen frames, is a stuck sensel, whatever its value. */
    size_t live = 0;
    for (size_t s = 0; s < n; s++)
        if (!cal->dead[s] && !constant[s])
            v[live++] = sigma[s];
    float mat_noise = live ? rm_median(v, live) : 0.0f;
    for (size_t s = 0; s < n; s++)
        if (!cal->dead[s] && constant[s] && mat_noise >= ZERO_STUCK_MIN_NOISE &&
            fr->nframes >= ZERO_STUCK_MIN_FRAMES)
            cal->dead[s] = 1;
    for (size_t s = 0; s < n; s++)
        r.dead_stuck += cal->dead[s];
    r.dead_noisy = mark_noisy(fr, sigma, cal->dead);

    live = 0;
    r.noise_max = 0;
    for (size_t s = 0; s < n; s++)
        if (!cal->dead[s]) {
            v[live++] = sigma[s];
            r.noise_max = fmax(r.noise_max, sigma[s]);
        }
    r.noise_median = live ? rm_median(v, live) : 0.0;

    size_t touched = touched_frames(fr, cal, low, r.noise_median);
    if ((double)touched > ZERO_TOUCH_MAX_FRACTION * (double)fr->nframes) {
        rc = rm_fail(RM_EFORMAT,
                     "%s: something rests on the mat in %zu of %zu frames: record the empty mat",
                     fr->name, touched, fr->nframes);
        goto out;
    }
    if (touched)
        rm_warn("%s: something touched the mat in %zu of %zu frames; they were left out", fr->name,
                touched, fr->nframes);

    cal->curve = RM_CURVE_POWER;
    cal->curve_a = 1.0;
    cal->curve_b = 1.0;
    free(cal->table);
    cal->table = NULL;
    cal->table_len = 0;
    snprintf(cal->device_serial, sizeof(cal->device_serial), "%s", fr->serial);
    cal->created_utc[0] = '\0';
    rm_calibration_prepare(cal);
    if (noise)
        memcpy(noise, sigma, n * sizeof(float));
    if (rep)
        *rep = r;
    rm_info("%s: %zu sensels, %zu stuck, %zu noisy, noise median %.2f counts", fr->name, n,
            r.dead_stuck, r.dead_noisy, r.noise_median);
out:
    free(v);
    free(scratch);
    free(sigma);
    free(low);
    free(constant);
    return rc;
}

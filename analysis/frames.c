/* Per-frame figures from raw counts: which sensels are in contact, their
 * pressure (through the calibration, or counts over a per-sensel baseline),
 * total force, contact area, peak, contact-mean pressure and centre of
 * pressure. The contact floor comes from the sensels' noise, estimated on a
 * sample of frames spread over the recording (docs/scoring.md, "Contact"). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "an_frames.h"
#include "rm_error.h"
#include "rm_stats.h"

/* The median by selection of the middle element, the upper one for even n
 * (reorders v). Not rm_median's mean of the two middles: the analysis has
 * always used this one, and its outputs are kept identical (golden files);
 * over hundreds of sensels the two differ by nothing that matters. */
static float median(float *v, size_t n)
{
    return n ? rm_select(v, n, n / 2) : 0;
}

/* Robust spread of noise: 1.4826 * median absolute deviation (reorders v). */
static double robust_sigma(float *v, size_t n, double *center)
{
    float med = median(v, n);
    for (size_t i = 0; i < n; i++)
        v[i] = fabsf(v[i] - med);
    *center = med;
    return RM_MAD_TO_SIGMA * median(v, n);
}

static uint16_t to_threshold(double v)
{
    if (!(v < 65535))
        return 65535;
    if (v < 0)
        return 0;
    return (uint16_t)floor(v);
}

/* Unloaded frames for the uncalibrated baseline: at least this many. */
#define AN_QUIET_MIN_FRAMES 10
/* A frame is unloaded when its total reading is within this many noise
 * sigmas (of a total: sigma * sqrt(sensels)) of the lightest frame's. */
#define AN_QUIET_SIGMAS 8.0

/* Marks in quiet[f] (1.0 or 0.0; nsample + 1 floats) the sample frames
 * whose summed counts lie within AN_QUIET_SIGMAS of the lightest frame's;
 * returns how many. */
static size_t quiet_frames(const uint16_t *sample, size_t nsample, size_t n, double sigma,
                           float *quiet)
{
    double lightest = INFINITY;
    for (size_t f = 0; f < nsample; f++) {
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += sample[f * n + i];
        quiet[f] = (float)sum;
        lightest = fmin(lightest, sum);
    }
    double limit = lightest + AN_QUIET_SIGMAS * fmax(sigma, 0.5) * sqrt((double)n);
    size_t cnt = 0;
    for (size_t f = 0; f < nsample; f++) {
        bool q = quiet[f] <= limit;
        quiet[f] = q ? 1.0f : 0.0f;
        cnt += q;
    }
    return cnt;
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
        double sigma = k ? RM_MAD_TO_SIGMA * median(vals, k) : 0;
        c->noise_sigma = sigma;
        c->floor_x = AN_NOISE_K * sigma;
        c->floor = c->floor_x > 0 ? rm_calibration_curve(cal, c->floor_x) : 0;
        for (size_t i = 0; i < n; i++)
            c->thr[i] = cal->dead[i] || !(cal->gain[i] > 0)
                            ? 65535
                            : to_threshold(cal->offset[i] + c->floor_x / cal->gain[i]);
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
            c->base[i] = nsample ? rm_select(col, nsample, nsample / 5) : 0;
        }
        for (size_t f = 0; f < nsample; f++)
            for (size_t i = 0; i < n; i++)
                vals[k++] = (float)sample[f * n + i] - c->base[i];
        double center;
        double sigma = robust_sigma(vals, k, &center);
        /* A sensel under a roller held on one spot for most of the session
         * is loaded in more than four frames of five: its lower quintile is
         * a load, not its zero. The unloaded frames (the sample's lightest,
         * within noise of the lightest of all) give it, and only ever lower
         * a baseline: without an unloaded frame, the lightest frames carry
         * load somewhere, and there the quintile stays. */
        size_t nquiet = quiet_frames(sample, nsample, n, sigma, col);
        if (nquiet >= AN_QUIET_MIN_FRAMES) {
            float *qcol = malloc(nquiet * sizeof(*qcol)); /* freed below */
            if (!qcol) {
                free(col);
                free(vals);
                an_frames_free(c);
                return RM_ENOMEM;
            }
            for (size_t i = 0; i < n; i++) {
                size_t q = 0;
                for (size_t f = 0; f < nsample; f++)
                    if (col[f] > 0)
                        qcol[q++] = sample[f * n + i];
                float b = rm_select(qcol, q, q / 5);
                if (b < c->base[i])
                    c->base[i] = b;
            }
            free(qcol);
            k = 0;
            for (size_t f = 0; f < nsample; f++)
                for (size_t i = 0; i < n; i++)
                    vals[k++] = (float)sample[f * n + i] - c->base[i];
            sigma = robust_sigma(vals, k, &center);
        }
        free(col);
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
    c->thr = NULL;
    c->base = NULL;
}

/* Each sensel's zero is followed over the frames where it is not in
 * contact (every AN_ZERO_EVERY-th frame), with this time constant: a
 * temperature drift of the zero (a few counts a minute) is followed with
 * well under a count of lag, while the noise averages out. */
#define AN_ZERO_TAU_S 10.0
#define AN_ZERO_EVERY 4
/* A region of contact summing less than this many contact floors is a
 * speck of noise, not a contact. */
#define AN_SPECK_FLOORS 3.0
/* The least share of the tool's load another contact carries to be one. */
#define AN_OTHER_MIN_SHARE 0.05
_Static_assert(AN_MAX_OTHERS == sizeof(((struct an_series *)0)->oth_force) / sizeof(double *),
               "a series array for every other contact a frame keeps");

int an_frames_scratch_new(const struct an_frames *c, struct an_scratch *w)
{
    memset(w, 0, sizeof(*w));
    w->kpa = malloc(c->n * sizeof(*w->kpa));
    w->idx = malloc(c->n * sizeof(*w->idx));
    w->val = malloc(c->n * sizeof(*w->val));
    w->zero_shift = calloc(c->n, sizeof(*w->zero_shift));
    w->thr = malloc(c->n * sizeof(*w->thr));
    w->tracker.rival_since = NAN;
    if (w->thr)
        memcpy(w->thr, c->thr, c->n * sizeof(*w->thr));
    if (!w->kpa || !w->idx || !w->val || !w->zero_shift || !w->thr ||
        an_contacts_scratch_new(&w->cw, c->n) != 0) {
        an_frames_scratch_free(w);
        return RM_ENOMEM;
    }
    return 0;
}

void an_frames_scratch_free(struct an_scratch *w)
{
    free(w->kpa);
    free(w->idx);
    free(w->val);
    free(w->zero_shift);
    free(w->thr);
    an_contacts_scratch_free(&w->cw);
    memset(w, 0, sizeof(*w));
}

/* The zero of every sensel outside the tool's and the other contact's
 * bounding boxes and reading less than AN_ZERO_FLOORS contact floors above
 * it moves toward its reading: the free sensels, and those whose zero has
 * fallen behind a drift (they read just above the floor and would
 * otherwise stay "in contact" for good); a sensel under real load reads
 * far more and keeps its zero. */
#define AN_ZERO_FLOORS 3.0f
static bool inside(const struct an_contact *k, int r, int col)
{
    return k->sum > 0 && r >= k->r0 && r <= k->r1 && col >= k->c0 && col <= k->c1;
}

static void follow_zero(const struct an_frames *c, struct an_scratch *w, const uint16_t *in,
                        double rate_hz, const struct an_picked *pk)
{
    const size_t n = c->n;
    const float a = (float)(AN_ZERO_EVERY / (AN_ZERO_TAU_S * rate_hz));
    float drift = 0;
    size_t followed = 0;
    for (size_t i = 0; i < n; i++) {
        if (c->thr[i] == 65535)
            continue; /* dead */
        /* Under the tool or another contact (their edges carry light
         * loads, which are no zero): left alone. */
        int row = (int)(i / (size_t)c->cols), col = (int)(i % (size_t)c->cols);
        bool under = inside(&pk->tool, row, col);
        for (int j = 0; j < pk->nother && j < AN_MAX_OTHERS && !under; j++)
            under = inside(&pk->other[j], row, col);
        if (under)
            continue;
        float zero = c->cal ? c->cal->offset[i] : c->base[i];
        /* The floor in this sensel's counts: its threshold above its zero. */
        float floor_counts = (float)c->thr[i] - zero;
        float r = (float)in[i] - zero - w->zero_shift[i];
        if (r > AN_ZERO_FLOORS * floor_counts)
            continue;
        w->zero_shift[i] += a * r;
        drift += fabsf(w->zero_shift[i]);
        followed++;
    }
    /* The thresholds move with the zeros, in whole counts (the readings are
     * whole counts), once the mat's zero as a whole has moved by a count or
     * more: the noise of the estimates (a tenth of a count or two) never
     * moves them, so a mat that does not drift is judged exactly as
     * without this. */
    bool drifting = followed && drift / (float)followed >= 1.0f;
    for (size_t i = 0; i < n; i++) {
        if (c->thr[i] == 65535)
            continue;
        float t = (float)c->thr[i] + (drifting ? truncf(w->zero_shift[i] + 0.5f) : 0.0f);
        w->thr[i] = t <= 0 ? 0 : t >= 65534 ? 65534 : (uint16_t)t;
    }
}

static void put(struct an_series *s, int64_t k, const struct an_frames *c,
                const struct an_picked *pk)
{
    /* Force and pressures are the whole tool's (both legs), its position
     * the followed region's: a companion region that comes and goes (a leg
     * lifting, a ghost) does not move it. */
    const struct an_contact *t = &pk->tool, *m = &pk->main;
    double to_force = c->cal ? c->sensel_mm2 * 1e-3 : 1.0;
    bool any = t->sum > 0;
    s->force[k] = any ? t->sum * to_force : 0;
    s->area_cm2[k] = (double)(any ? t->nsensels : 0) * c->sensel_mm2 / 100.0;
    s->peak[k] = any ? t->peak : 0;
    s->mean[k] = any ? t->sum / (double)t->nsensels : NAN;
    s->cop_row[k] = any ? t->row_mm : NAN;
    s->cop_col[k] = any ? t->col_mm : NAN;
    s->trk_row[k] = any ? m->row_mm : NAN;
    s->trk_col[k] = any ? m->col_mm : NAN;
    s->sd_row[k] = any ? m->sd_row_mm : NAN;
    s->sd_col[k] = any ? m->sd_col_mm : NAN;
    /* Another contact worth the name carries a share of the tool's load (a
     * hand steadying a person: a third of it or so); specks of noise and a
     * ghost's faint trace do not. */
    for (int j = 0; j < AN_MAX_OTHERS; j++) {
        const struct an_contact *o = &pk->other[j];
        bool other = j < pk->nother && o->sum > AN_OTHER_MIN_SHARE * t->sum;
        s->oth_force[j][k] = other ? o->sum * to_force : 0;
        s->oth_row[j][k] = other ? o->row_mm : NAN;
        s->oth_col[j][k] = other ? o->col_mm : NAN;
        s->oth_peak[j][k] = other ? o->peak : 0;
    }
    s->newtrack[k] = any && pk->newtrack;
}

void an_frames_compute(const struct an_frames *c, struct an_scratch *w, const uint16_t *raw,
                       size_t nframes, struct an_series *s, int64_t first)
{
    const size_t n = c->n;
    const int cols = c->cols;
    for (size_t f = 0; f < nframes; f++) {
        const uint16_t *in = raw + f * n;
        const uint16_t *thr = w->thr;
        size_t nc = 0;
        for (size_t i = 0; i < n; i++) {
            w->idx[nc] = (uint32_t)i;
            nc += in[i] > thr[i];
        }
        /* The contact sensels lie in the roller's band, a few rows of the
         * mat: converting only those rows is several times cheaper than the
         * whole frame. */
        if (c->cal && nc) {
            int r0 = (int)(w->idx[0] / (uint32_t)cols);
            int r1 = (int)(w->idx[nc - 1] / (uint32_t)cols);
            rm_calibration_apply_rows(c->cal, in, w->kpa, r0, r1 - r0 + 1);
        }
        size_t nv = 0;
        double sum = 0, sr = 0, sc = 0, peak = 0;
        for (size_t j = 0; j < nc; j++) {
            uint32_t i = w->idx[j];
            /* Uncalibrated, the pressure is the counts above the zero as
             * the threshold follows it (in whole counts). */
            double v =
                c->cal ? w->kpa[i] : (double)in[i] - c->base[i] - ((double)thr[i] - c->thr[i]);
            if (!(v > 0))
                continue;
            w->idx[nv] = i;
            w->val[nv++] = v;
            sum += v;
            sr += v * (double)(i / (uint32_t)cols);
            sc += v * (double)(i % (uint32_t)cols);
            peak = v > peak ? v : peak;
        }
        int64_t k = first + (int64_t)f;
        /* The whole frame's figures, every contact sensel (--frames-csv). */
        s->all_force[k] = c->cal ? sum * c->sensel_mm2 * 1e-3 : sum;
        s->all_area_cm2[k] = (double)nv * c->sensel_mm2 / 100.0;
        s->all_peak[k] = peak;
        s->all_mean[k] = nv ? sum / (double)nv : NAN;
        s->all_row[k] = sum > 0 ? sr / sum * c->pitch_row : NAN;
        s->all_col[k] = sum > 0 ? sc / sum * c->pitch_col : NAN;
        struct an_frame_contacts fc;
        struct an_picked pk;
        an_contacts_find(&w->cw, w->idx, w->val, nv, c->rows, cols, c->pitch_row, c->pitch_col,
                         AN_SPECK_FLOORS * c->floor, &fc);
        an_tracker_pick(&w->tracker, s->t[k], &fc, &pk);
        put(s, k, c, &pk);
        if (w->frames_seen++ % AN_ZERO_EVERY == 0)
            follow_zero(c, w, in, s->rate_hz, &pk);
    }
}

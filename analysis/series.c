/* The per-frame series after streaming: which frames are loaded, and the
 * roll position, low-passed and differentiated, over each loaded run. */
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rm_stats.h"
#include "an_internal.h"
#include "rm_error.h"

int an_grow(void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? 2 * *cap : 8;
    void *bigger = realloc(*arr, nc * size);
    if (!bigger)
        return RM_ENOMEM;
    *arr = bigger;
    *cap = nc;
    return 0;
}

void an_series_arrays(struct an_series *s, double **d[AN_SERIES_NDOUBLE],
                      uint8_t **b[AN_SERIES_NBYTE])
{
    double **all[] = {&s->t,
                      &s->force,
                      &s->area_cm2,
                      &s->peak,
                      &s->mean,
                      &s->cop_row,
                      &s->cop_col,
                      &s->sd_row,
                      &s->sd_col,
                      &s->trk_row,
                      &s->trk_col,
                      &s->oth_force[0],
                      &s->oth_row[0],
                      &s->oth_col[0],
                      &s->oth_peak[0],
                      &s->oth_force[1],
                      &s->oth_row[1],
                      &s->oth_col[1],
                      &s->oth_peak[1],
                      &s->all_force,
                      &s->all_area_cm2,
                      &s->all_peak,
                      &s->all_mean,
                      &s->all_row,
                      &s->all_col,
                      &s->p_raw,
                      &s->p,
                      &s->q,
                      &s->v};
    _Static_assert(sizeof(all) / sizeof(all[0]) == AN_SERIES_NDOUBLE, "every array listed");
    memcpy(d, all, sizeof(all));
    b[0] = &s->loaded;
    b[1] = &s->newtrack;
}

int an_series_alloc(struct an_series *s, int64_t n, double rate_hz)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->rate_hz = rate_hz;
    size_t cnt = n > 0 ? (size_t)n : 1;
    double **d[AN_SERIES_NDOUBLE];
    uint8_t **b[AN_SERIES_NBYTE];
    an_series_arrays(s, d, b);
    for (size_t i = 0; i < AN_SERIES_NDOUBLE; i++)
        if (!(*d[i] = malloc(cnt * sizeof(double))))
            goto fail;
    for (size_t i = 0; i < AN_SERIES_NBYTE; i++)
        if (!(*b[i] = calloc(cnt, 1)))
            goto fail;
    /* Callers that fill a series by hand set the tool's figures (cop_row,
     * cop_col); the rest says: no other contact, no spread known, the
     * followed region where the centre of pressure is (an_motion). */
    for (size_t i = 0; i < cnt; i++) {
        s->sd_row[i] = s->sd_col[i] = NAN;
        for (int j = 0; j < 2; j++) {
            s->oth_row[j][i] = s->oth_col[j][i] = NAN;
            s->oth_force[j][i] = s->oth_peak[j][i] = 0;
        }
        s->trk_row[i] = s->trk_col[i] = NAN;
        s->all_force[i] = s->all_area_cm2[i] = s->all_peak[i] = 0;
        s->all_mean[i] = s->all_row[i] = s->all_col[i] = NAN;
    }
    return 0;
fail:
    an_series_free(s);
    return RM_ENOMEM;
}

void an_series_free(struct an_series *s)
{
    double **d[AN_SERIES_NDOUBLE];
    uint8_t **b[AN_SERIES_NBYTE];
    an_series_arrays(s, d, b);
    for (size_t i = 0; i < AN_SERIES_NDOUBLE; i++)
        free(*d[i]);
    for (size_t i = 0; i < AN_SERIES_NBYTE; i++)
        free(*b[i]);
    memset(s, 0, sizeof(*s));
}

void an_series_view(const struct an_series *s, int64_t a, int64_t b, struct an_series *v)
{
    assert(0 <= a && a <= b && b <= s->n);
    struct an_series src = *s;
    double **sd[AN_SERIES_NDOUBLE], **vd[AN_SERIES_NDOUBLE];
    uint8_t **sb[AN_SERIES_NBYTE], **vb[AN_SERIES_NBYTE];
    an_series_arrays(&src, sd, sb);
    an_series_arrays(v, vd, vb);
    for (size_t i = 0; i < AN_SERIES_NDOUBLE; i++)
        *vd[i] = *sd[i] + a;
    for (size_t i = 0; i < AN_SERIES_NBYTE; i++)
        *vb[i] = *sb[i] + a;
    v->n = b - a;
    v->rate_hz = s->rate_hz;
}

int64_t an_series_frame_at(const struct an_series *s, double x, bool after)
{
    int64_t lo = 0, hi = s->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] < x || (after && s->t[mid] == x))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void an_series_drop_front(struct an_series *s, int64_t k)
{
    assert(0 <= k && k <= s->n);
    if (k == 0)
        return;
    size_t keep = (size_t)(s->n - k);
    double **d[AN_SERIES_NDOUBLE];
    uint8_t **b[AN_SERIES_NBYTE];
    an_series_arrays(s, d, b);
    for (size_t i = 0; i < AN_SERIES_NDOUBLE; i++)
        memmove(*d[i], *d[i] + k, keep * sizeof(double));
    for (size_t i = 0; i < AN_SERIES_NBYTE; i++)
        memmove(*b[i], *b[i] + k, keep);
    s->n -= k;
}

double an_loaded_threshold(const double *force, int64_t n, double force_min)
{
    size_t cnt = 0;
    for (int64_t i = 0; i < n; i++)
        cnt += force[i] > force_min;
    if (cnt == 0)
        return INFINITY;
    /* A sample of at most 65536 frames is plenty for a median. */
    size_t step = cnt / 65536 + 1, k = 0, seen = 0;
    double *vals = malloc((cnt / step + 1) * sizeof(*vals));
    if (!vals)
        return INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (force[i] > force_min && seen++ % step == 0)
            vals[k++] = force[i];
    qsort(vals, k, sizeof(*vals), rm_cmp_double);
    double thr = 0.25 * vals[k / 2];
    free(vals);
    return thr < force_min ? force_min : thr;
}

/* A Schmitt trigger: a run of load must rise above thr somewhere, and lasts
 * while the force stays above thr / 2, so that a momentary easing off (a
 * hand taking weight at a reversal) does not cut a pause or a stroke in two.
 * Where a run starts, it reaches back over the frames above thr / 2 just
 * before it (down to frame `lo`). */
bool an_mark_loaded_range(struct an_series *s, int64_t lo, int64_t from, int64_t to, double thr,
                          bool on)
{
    const double low = thr / 2;
    for (int64_t i = from; i < to; i++) {
        bool contact = isfinite(s->cop_row[i]);
        bool was = on;
        on = contact && (on ? s->force[i] > low : s->force[i] > thr);
        s->loaded[i] = on;
        if (on && !was)
            for (int64_t j = i - 1;
                 j >= lo && !s->loaded[j] && isfinite(s->cop_row[j]) && s->force[j] > low; j--)
                s->loaded[j] = 1;
    }
    return on;
}

double an_mark_loaded(struct an_series *s, double force_min)
{
    double thr = an_loaded_threshold(s->force, s->n, force_min);
    an_mark_loaded_range(s, 0, 0, s->n, thr, false);
    return thr;
}

/* One loaded run [a, b): resample x on the nominal clock (dropped frames
 * interpolated), low-pass, differentiate, and read back at the frames into
 * xf (position) and xv (velocity). */
static int motion_run(struct an_series *s, int64_t a, int64_t b, const double *x, double *xf,
                      double *xv)
{
    double fs = s->rate_hz, t0 = s->t[a];
    size_t m = (size_t)llround((s->t[b - 1] - t0) * fs) + 1;
    if (m < (size_t)(b - a))
        m = (size_t)(b - a); /* a clock faster than nominal: keep every frame */
    double dt = (s->t[b - 1] - t0) / (double)(m > 1 ? m - 1 : 1);
    double *g = calloc(m, sizeof(*g)); /* zeroed: gcc cannot see m >= 1 fills it */
    double *gv = malloc(m * sizeof(*gv));
    if (!g || !gv) {
        free(g);
        free(gv);
        return RM_ENOMEM;
    }
    int64_t j = a;
    for (size_t k = 0; k < m; k++) {
        double tk = t0 + (double)k * dt;
        while (j + 1 < b && s->t[j + 1] <= tk)
            j++;
        if (j + 1 < b && s->t[j] < tk) {
            double w = (tk - s->t[j]) / (s->t[j + 1] - s->t[j]);
            g[k] = x[j] + w * (x[j + 1] - x[j]);
        } else {
            g[k] = x[j];
        }
    }
    int rc = an_lowpass(g, m, m > 1 ? 1.0 / dt : fs, AN_LOWPASS_HZ, g);
    if (rc == 0) {
        for (size_t k = 0; k < m; k++) {
            if (m < 2)
                gv[k] = 0;
            else if (k == 0)
                gv[k] = (g[1] - g[0]) / dt;
            else if (k == m - 1)
                gv[k] = (g[k] - g[k - 1]) / dt;
            else
                gv[k] = (g[k + 1] - g[k - 1]) / (2 * dt);
        }
        for (int64_t i = a; i < b; i++) {
            double pos = m > 1 ? (s->t[i] - t0) / dt : 0;
            size_t k = (size_t)floor(pos);
            if (k >= m - 1) {
                xf[i] = g[m - 1];
                xv[i] = gv[m - 1];
            } else {
                double w = pos - (double)k;
                xf[i] = g[k] + w * (g[k + 1] - g[k]);
                xv[i] = gv[k] + w * (gv[k + 1] - gv[k]);
            }
        }
    }
    free(g);
    free(gv);
    return rc;
}

/* A ball's run [a, b): both coordinates filtered; its speed is the path
 * speed, signed by the direction along the run's main line of motion (the
 * principal axis of its velocities), so that a reversal still reads as
 * one. vc is scratch of b - a doubles. */
static int ball_run(struct an_series *s, int64_t a, int64_t b, double *vc)
{
    int rc = motion_run(s, a, b, s->p_raw, s->p, s->v);
    if (rc == 0)
        rc = motion_run(s, a, b, s->trk_col, s->q, vc - a);
    if (rc != 0)
        return rc;
    double srr = 0, scc = 0, src = 0;
    for (int64_t i = a; i < b; i++) {
        double vr = s->v[i], c = vc[i - a];
        srr += vr * vr;
        scc += c * c;
        src += vr * c;
    }
    /* The principal direction of the 2 x 2 second moment. */
    double ang = 0.5 * atan2(2 * src, srr - scc), er = cos(ang), ec = sin(ang);
    for (int64_t i = a; i < b; i++) {
        double vr = s->v[i], c = vc[i - a], sp = hypot(vr, c);
        s->v[i] = vr * er + c * ec < 0 ? -sp : sp;
    }
    return 0;
}

int an_motion(struct an_series *s, enum rm_tool tool, enum rm_axis axis)
{
    /* A series made by hand (tests) gives only the centre of pressure. */
    for (int64_t i = 0; i < s->n; i++)
        if (isnan(s->trk_row[i])) {
            s->trk_row[i] = s->cop_row[i];
            s->trk_col[i] = s->cop_col[i];
        }
    const double *along = axis == RM_AXIS_COLS && tool != RM_TOOL_BALL ? s->trk_col : s->trk_row;
    for (int64_t i = 0; i < s->n; i++) {
        s->p_raw[i] = s->loaded[i] ? along[i] : NAN;
        s->p[i] = NAN;
        s->q[i] = NAN;
        s->v[i] = NAN;
    }
    double *vc = NULL;
    if (tool == RM_TOOL_BALL && !(vc = malloc((s->n ? (size_t)s->n : 1) * sizeof(double))))
        return RM_ENOMEM;
    int64_t i = 0;
    int rc = 0;
    while (i < s->n && rc == 0) {
        if (!s->loaded[i]) {
            i++;
            continue;
        }
        /* A run: loaded frames of one track (a jump to another contact,
         * say from one foot to the other, is no movement). */
        int64_t j = i + 1;
        while (j < s->n && s->loaded[j] && !s->newtrack[j] &&
               s->t[j] - s->t[j - 1] <= AN_MAX_BRIDGE_S)
            j++;
        rc = tool == RM_TOOL_BALL ? ball_run(s, i, j, vc + i)
                                  : motion_run(s, i, j, s->p_raw, s->p, s->v);
        i = j;
    }
    free(vc);
    return rc;
}

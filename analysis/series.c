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

int an_series_alloc(struct an_series *s, int64_t n, double rate_hz)
{
    memset(s, 0, sizeof(*s));
    s->n = n;
    s->rate_hz = rate_hz;
    size_t cnt = n > 0 ? (size_t)n : 1;
    double **arrays[] = {&s->t,       &s->force,   &s->area_cm2, &s->peak, &s->mean,
                         &s->cop_row, &s->cop_col, &s->p_raw,    &s->p,    &s->v};
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++) {
        *arrays[i] = malloc(cnt * sizeof(double));
        if (!*arrays[i])
            goto fail;
    }
    s->loaded = calloc(cnt, 1);
    if (!s->loaded)
        goto fail;
    return 0;
fail:
    an_series_free(s);
    return RM_ENOMEM;
}

void an_series_free(struct an_series *s)
{
    free(s->t);
    free(s->force);
    free(s->area_cm2);
    free(s->peak);
    free(s->mean);
    free(s->cop_row);
    free(s->cop_col);
    free(s->loaded);
    free(s->p_raw);
    free(s->p);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

void an_series_view(const struct an_series *s, int64_t a, int64_t b, struct an_series *v)
{
    assert(0 <= a && a <= b && b <= s->n);
    v->n = b - a;
    v->rate_hz = s->rate_hz;
    v->t = s->t + a;
    v->force = s->force + a;
    v->area_cm2 = s->area_cm2 + a;
    v->peak = s->peak + a;
    v->mean = s->mean + a;
    v->cop_row = s->cop_row + a;
    v->cop_col = s->cop_col + a;
    v->loaded = s->loaded + a;
    v->p_raw = s->p_raw + a;
    v->p = s->p + a;
    v->v = s->v + a;
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

/* One loaded run [a, b): resample p_raw on the nominal clock (dropped frames
 * interpolated), low-pass, differentiate, and read back at the frames. */
static int motion_run(struct an_series *s, int64_t a, int64_t b)
{
    double fs = s->rate_hz, t0 = s->t[a];
    size_t m = (size_t)llround((s->t[b - 1] - t0) * fs) + 1;
    if (m < (size_t)(b - a))
        m = (size_t)(b - a); /* a clock faster than nominal: keep every frame */
    double dt = (s->t[b - 1] - t0) / (double)(m > 1 ? m - 1 : 1);
    double *g = malloc(m * sizeof(*g));
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
            g[k] = s->p_raw[j] + w * (s->p_raw[j + 1] - s->p_raw[j]);
        } else {
            g[k] = s->p_raw[j];
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
                s->p[i] = g[m - 1];
                s->v[i] = gv[m - 1];
            } else {
                double w = pos - (double)k;
                s->p[i] = g[k] + w * (g[k + 1] - g[k]);
                s->v[i] = gv[k] + w * (gv[k + 1] - gv[k]);
            }
        }
    }
    free(g);
    free(gv);
    return rc;
}

int an_motion(struct an_series *s)
{
    for (int64_t i = 0; i < s->n; i++) {
        s->p_raw[i] = s->loaded[i] ? s->cop_row[i] : NAN;
        s->p[i] = NAN;
        s->v[i] = NAN;
    }
    int64_t i = 0;
    while (i < s->n) {
        if (!s->loaded[i]) {
            i++;
            continue;
        }
        int64_t j = i + 1;
        while (j < s->n && s->loaded[j] && s->t[j] - s->t[j - 1] <= AN_MAX_BRIDGE_S)
            j++;
        int rc = motion_run(s, i, j);
        if (rc != 0)
            return rc;
        i = j;
    }
    return 0;
}

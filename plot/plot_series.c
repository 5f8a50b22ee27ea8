/* What the report draws from the analysis's per-frame trace rather than
 * from the frames: the force / contact-mean pressure / contact area curves,
 * the centre-of-pressure track over the heatmap, the contact-mean pressure
 * of a hold, and the pressure the "seconds above" map counts from. All of
 * them are the tool's contact's, what the analysis judges: a hand put
 * down beside the roller neither lifts the force curve nor pulls the
 * track toward it. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"
#include "rm_error.h"

double rm_plot_above_threshold(const struct rm_analysis_result *r)
{
    if (r->calibrated)
        return 0.5 * r->profile.pressure_max_kpa;
    /* Counts have no limit: half the highest contact-mean of the session
     * (so the map still picks out where the roller pressed longest). */
    double top = 0;
    for (int64_t i = 0; i < r->trace.n; i++)
        if (r->trace.loaded[i] && isfinite(r->trace.tool_mean[i]) && r->trace.tool_mean[i] > top)
            top = r->trace.tool_mean[i];
    return top > 0 ? 0.5 * top : INFINITY;
}

double rm_plot_hold_mean_pressure(const struct rm_trace *tr, const struct rm_pause *p)
{
    double sum = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < tr->n; i++) {
        if (tr->t[i] < p->t_start || tr->t[i] >= p->t_end || !tr->loaded[i] ||
            !isfinite(tr->tool_mean[i]))
            continue;
        sum += tr->tool_mean[i];
        n++;
    }
    return n ? sum / (double)n : NAN;
}

int rm_plot_write_floats(const char *path, const float *v, size_t n, size_t width)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    bool ok = fwrite(v, sizeof(float) * width, n, f) == n;
    if (fclose(f) != 0 || !ok)
        return rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

/* Frames [start, end) in at most max_points bins of consecutive frames. */
static int64_t bin_frames(int64_t start, int64_t end, size_t max_points)
{
    int64_t n = end - start;
    int64_t per = (n + (int64_t)max_points - 1) / (int64_t)max_points;
    return per < 1 ? 1 : per;
}

int rm_plot_write_series(const char *path, const struct rm_trace *tr, int64_t start, int64_t end,
                         size_t max_points, size_t *npoints)
{
    int64_t per = bin_frames(start, end, max_points);
    size_t cap = (size_t)((end - start + per - 1) / per) + 1;
    float *v = calloc(cap * RM_PLOT_SERIES_WIDTH, sizeof(float)); /* owned here */
    if (!v)
        return RM_ENOMEM;
    size_t n = 0;
    for (int64_t b = start; b < end; b += per) {
        double acc[RM_PLOT_SERIES_WIDTH] = {0};
        int64_t used = 0, last = b + per < end ? b + per : end;
        for (int64_t i = b; i < last; i++) {
            if (!tr->loaded[i])
                continue;
            acc[1] += isfinite(tr->tool_force[i]) ? tr->tool_force[i] : 0;
            acc[2] += isfinite(tr->tool_mean[i]) ? tr->tool_mean[i] : 0;
            acc[3] += isfinite(tr->tool_peak[i]) ? tr->tool_peak[i] : 0;
            acc[4] += isfinite(tr->tool_area_cm2[i]) ? tr->tool_area_cm2[i] : 0;
            used++;
        }
        float *rec = v + n * RM_PLOT_SERIES_WIDTH;
        rec[0] = (float)(0.5 * (tr->t[b] + tr->t[last - 1]));
        for (int k = 1; k < RM_PLOT_SERIES_WIDTH; k++)
            rec[k] = used ? (float)(acc[k] / (double)used) : NAN; /* a gap while unloaded */
        n++;
    }
    int rc = rm_plot_write_floats(path, v, n, RM_PLOT_SERIES_WIDTH);
    free(v);
    if (npoints)
        *npoints = n;
    return rc;
}

int rm_plot_write_cop(const char *path, const struct rm_trace *tr, const struct rm_segment *s,
                      size_t max_points, size_t *npoints)
{
    int64_t start = s->frame_start, end = s->frame_end;
    int64_t per = bin_frames(start, end, max_points);
    size_t cap = (size_t)((end - start + per - 1) / per) + 1;
    float *v = calloc(cap * 2, sizeof(float)); /* owned here */
    if (!v)
        return RM_ENOMEM;
    size_t n = 0;
    for (int64_t i = start; i < end; i += per) {
        /* One sample a bin: averaging would draw a track the roller never
         * took across a reversal. NaN (unloaded) breaks the line. The
         * tool's centre: the centre of all the pressure would lie between
         * the tool and a hand put down, where neither was. */
        bool on = tr->loaded[i] && isfinite(tr->tool_row_mm[i]) && isfinite(tr->tool_col_mm[i]);
        v[2 * n] = on ? (float)tr->tool_col_mm[i] : NAN;
        v[2 * n + 1] = on ? (float)tr->tool_row_mm[i] : NAN;
        n++;
    }
    int rc = rm_plot_write_floats(path, v, n, 2);
    free(v);
    if (npoints)
        *npoints = n;
    return rc;
}

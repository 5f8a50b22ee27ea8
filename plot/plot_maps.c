/* The per-segment maps, accumulated frame by frame so that a segment of any
 * length costs rows * cols + lines * nbins numbers: the pressure-time
 * integral and peak of each sensel, the kymograph (mean load per line
 * across the roll axis, a row or for a roller along the columns a column,
 * and time bin) and the mean speed per time bin.
 *
 * Raw counts (no calibration) carry each sensel's zero-load offset, which
 * would add up to a large false "time under pressure". The baseline the
 * analysis subtracted (rm_analysis_result.baseline_counts) is subtracted
 * here too, so that the pictures and the figures agree; everything here is
 * linear in the values, so it is subtracted once at the end:
 * sum((x - b) dt) = sum(x dt) - b * sum(dt). */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"
#include "rm_error.h"
#include "rm_recording.h"

/* Frames read (and converted) at a time. */
#define READ_BLOCK_MAX 1024

/* Colour bars need a range even for an all-zero picture. */
#define MIN_SCALE 1e-3

int rm_plot_maps_new(struct rm_plot_maps **out, int rows, int cols, bool kymo_cols, double t0,
                     double span, int64_t nframes, int max_bins, double row_scale,
                     const float *baseline)
{
    assert(rows > 0 && cols > 0 && max_bins > 0);
    *out = NULL;
    struct rm_plot_maps *m = calloc(1, sizeof(*m)); /* owned by the caller */
    if (!m)
        return RM_ENOMEM;
    m->rows = rows;
    m->cols = cols;
    m->kymo_cols = kymo_cols;
    m->lines = kymo_cols ? cols : rows;
    /* At least two frames per bin on average: with one, the jitter of the
     * device clock leaves some bins empty and stripes the picture. */
    int64_t want = nframes / 2;
    m->nbins = (int)(want < 1 ? 1 : (want < max_bins ? want : max_bins));
    m->t0 = t0;
    m->bin_s = span > 0 ? span / m->nbins : 1.0;
    m->row_scale = row_scale;
    m->baseline = baseline;
    size_t cells = (size_t)rows * (size_t)cols;
    size_t kcells = (size_t)m->lines * (size_t)m->nbins;
    m->integral = calloc(cells, sizeof(float));
    m->peak = calloc(cells, sizeof(float));
    m->kymo = calloc(kcells, sizeof(float));
    m->speed = calloc(2 * (size_t)m->nbins, sizeof(float));
    m->sum = calloc(cells, sizeof(double));
    m->kysum = calloc(kcells, sizeof(double));
    m->kyn = calloc((size_t)m->nbins, sizeof(int64_t));
    m->spsum = calloc((size_t)m->nbins, sizeof(double));
    m->spn = calloc((size_t)m->nbins, sizeof(int64_t));
    m->above = calloc(cells, sizeof(float));
    m->above_sum = calloc(cells, sizeof(double));
    m->above_threshold = INFINITY;
    if (!m->above || !m->above_sum || !m->integral || !m->peak || !m->kymo || !m->speed ||
        !m->sum || !m->kysum || !m->kyn || !m->spsum || !m->spn) {
        rm_plot_maps_free(m);
        return RM_ENOMEM;
    }
    for (size_t i = 0; i < cells; i++)
        m->peak[i] = -INFINITY;
    *out = m;
    return 0;
}

void rm_plot_maps_free(struct rm_plot_maps *m)
{
    if (!m)
        return;
    free(m->integral);
    free(m->peak);
    free(m->kymo);
    free(m->speed);
    free(m->sum);
    free(m->kysum);
    free(m->kyn);
    free(m->spsum);
    free(m->spn);
    free(m->above);
    free(m->above_sum);
    free(m);
}

static int bin_of(const struct rm_plot_maps *m, double t)
{
    double b = floor((t - m->t0) / m->bin_s);
    if (!(b >= 0)) /* also NaN */
        return 0;
    if (b >= m->nbins)
        return m->nbins - 1;
    return (int)b;
}

void rm_plot_maps_add(struct rm_plot_maps *m, const float *frame, double t, double dt, double speed)
{
    int b = bin_of(m, t);
    double *kline = m->kysum;
    size_t nbins = (size_t)m->nbins;
    for (int r = 0; r < m->rows; r++) {
        const float *v = frame + (size_t)r * (size_t)m->cols;
        size_t base = (size_t)r * (size_t)m->cols;
        double row_sum = 0;
        for (int c = 0; c < m->cols; c++) {
            float x = isfinite(v[c]) ? v[c] : 0.0f;
            m->sum[base + c] += (double)x * dt;
            if (x > m->peak[base + c])
                m->peak[base + c] = x;
            /* Not linear in the value: the baseline comes off here. */
            double zero = m->baseline ? m->baseline[base + c] : 0.0;
            if ((double)x - zero >= m->above_threshold)
                m->above_sum[base + c] += dt;
            row_sum += x;
            if (m->kymo_cols)
                kline[(size_t)c * nbins + (size_t)b] += x;
        }
        if (!m->kymo_cols)
            kline[(size_t)r * nbins + (size_t)b] += row_sum;
    }
    m->kyn[b]++;
    if (isfinite(speed)) {
        m->spsum[b] += speed;
        m->spn[b]++;
    }
    m->total_dt += dt;
    m->frames++;
}

void rm_plot_maps_finish(struct rm_plot_maps *m)
{
    size_t cells = (size_t)m->rows * (size_t)m->cols;
    m->integral_max = m->peak_max = m->kymo_max = m->above_max = MIN_SCALE;
    m->speed_max = 0;
    for (size_t i = 0; i < cells; i++) {
        double b = (m->baseline && m->frames) ? m->baseline[i] : 0.0;
        double integral = m->frames ? m->sum[i] - b * m->total_dt : 0.0;
        double peak = m->frames ? m->peak[i] - b : 0.0;
        m->integral[i] = integral > 0 ? (float)integral : 0.0f;
        m->peak[i] = peak > 0 ? (float)peak : 0.0f;
        if (m->integral[i] > m->integral_max)
            m->integral_max = m->integral[i];
        if (m->peak[i] > m->peak_max)
            m->peak_max = m->peak[i];
        m->above[i] = (float)m->above_sum[i];
        if (m->above[i] > m->above_max)
            m->above_max = m->above[i];
    }
    for (int l = 0; l < m->lines; l++) {
        /* The zero-load counts of the line's sensels. */
        double line_base = 0;
        int across = m->kymo_cols ? m->rows : m->cols;
        if (m->baseline && m->frames)
            for (int k = 0; k < across; k++)
                line_base += m->kymo_cols ? m->baseline[(size_t)k * (size_t)m->cols + (size_t)l]
                                          : m->baseline[(size_t)l * (size_t)m->cols + (size_t)k];
        for (int b = 0; b < m->nbins; b++) {
            size_t k = (size_t)l * (size_t)m->nbins + (size_t)b;
            double v = m->kyn[b] ? (m->kysum[k] / (double)m->kyn[b] - line_base) : 0.0;
            v *= m->row_scale;
            m->kymo[k] = v > 0 ? (float)v : 0.0f;
            if (m->kymo[k] > m->kymo_max)
                m->kymo_max = m->kymo[k];
        }
    }
    for (int b = 0; b < m->nbins; b++) {
        m->speed[2 * b] = (float)(m->t0 + (b + 0.5) * m->bin_s);
        m->speed[2 * b + 1] = m->spn[b] ? (float)(m->spsum[b] / (double)m->spn[b]) : NAN;
        if (m->spn[b] && m->speed[2 * b + 1] > m->speed_max)
            m->speed_max = m->speed[2 * b + 1];
    }
}

/* Streams the segment's frames into the maps, converted as the analysis
 * converted them. */
int rm_plot_maps_fill(struct rm_plot_maps *m, struct rm_rec_reader *reader,
                      const struct rm_analysis_result *r, const struct rm_segment *s)
{
    const struct rm_calibration *cal = r->calibration;
    const struct rm_trace *tr = &r->trace;
    int rows = r->mat.rows, cols = r->mat.cols;
    size_t cells = (size_t)rows * (size_t)cols;
    double period = r->mat.rate_hz > 0 ? 1.0 / r->mat.rate_hz : 0.01;
    int64_t block = rm_rec_chunk_frames(reader);
    if (block < 1)
        block = 1;
    if (block > READ_BLOCK_MAX)
        block = READ_BLOCK_MAX;
    uint16_t *raw = malloc((size_t)block * cells * sizeof(uint16_t)); /* owned here */
    float *val = malloc((size_t)block * cells * sizeof(float));       /* owned here */
    int rc = 0;
    if (!raw || !val) {
        rc = RM_ENOMEM;
        goto out;
    }
    for (int64_t start = s->frame_start; start < s->frame_end; start += block) {
        if (rm_plot_interrupted()) {
            rc = rm_fail(RM_EINTR, "interrupted");
            goto out;
        }
        int64_t count = s->frame_end - start < block ? s->frame_end - start : block;
        rc = rm_rec_read_frames(reader, start, count, raw);
        if (rc)
            goto out;
        if (cal) {
            rm_calibration_apply(cal, raw, val, (size_t)count);
        } else {
            for (size_t i = 0; i < (size_t)count * cells; i++)
                val[i] = raw[i];
        }
        for (int64_t k = 0; k < count; k++) {
            int64_t i = start + k;
            double dt = period;
            /* A frame stands for the time to the next one, but a gap (lost
             * frames, a disconnect) is not time under pressure. */
            if (i + 1 < tr->n)
                dt = fmin(tr->t[i + 1] - tr->t[i], 2.0 * period);
            double speed = (tr->loaded[i] && isfinite(tr->speed_mm_s[i])) ? tr->speed_mm_s[i] : NAN;
            rm_plot_maps_add(m, val + (size_t)k * cells, tr->t[i], dt, speed);
        }
    }
    rm_plot_maps_finish(m);
out:
    free(raw);
    free(val);
    return rc;
}

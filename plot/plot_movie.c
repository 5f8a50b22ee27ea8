/* movie.js: the session as a movie for the report's player (report.js).
 * Frames are sampled evenly in time (at most MOVIE_FPS a second and
 * MOVIE_BYTES_MAX bytes of pressure in all, so that a 30-minute session's
 * report stays well under 20 MB), each sensel quantised to one byte of the
 * session's pressure scale and base64-encoded; per sampled frame the time,
 * roll position, contact-mean pressure, state and muscle from the
 * analysis's trace. Pressure is converted exactly as the analysis did. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"
#include "rm_error.h"

#define MOVIE_FPS       10.0
#define MOVIE_BYTES_MAX (9 * 1000 * 1000)
#define READ_BLOCK_MAX  256

struct b64 {
    FILE *f;
    unsigned char in[3];
    int n;
};

static void b64_flush(struct b64 *b)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (b->n == 0)
        return;
    unsigned v = (unsigned)b->in[0] << 16 | (unsigned)(b->n > 1 ? b->in[1] : 0) << 8 |
                 (unsigned)(b->n > 2 ? b->in[2] : 0);
    char out[4] = {A[v >> 18 & 63], A[v >> 12 & 63], b->n > 1 ? A[v >> 6 & 63] : '=',
                   b->n > 2 ? A[v & 63] : '='};
    fwrite(out, 1, 4, b->f);
    b->n = 0;
}

static void b64_put(struct b64 *b, unsigned char c)
{
    b->in[b->n++] = c;
    if (b->n == 3)
        b64_flush(b);
}

static void put_json_num(FILE *f, double v, int decimals)
{
    if (isfinite(v))
        fprintf(f, "%.*f", decimals, v);
    else
        fputs("null", f);
}

/* The state letter of frame i: u unloaded, h hold, p pause, r rolling. */
static char frame_state(const struct rm_analysis_result *r, int seg, int64_t i)
{
    if (!r->trace.loaded[i])
        return 'u';
    if (seg < 0)
        return 'r';
    const struct rm_segment *s = &r->segments[seg];
    double t = r->trace.t[i];
    for (size_t k = 0; k < s->npauses; k++)
        if (t >= s->pauses[k].t_start && t < s->pauses[k].t_end)
            return s->pauses[k].hold ? 'h' : 'p';
    return 'r';
}

static int segment_of(const struct rm_analysis_result *r, int64_t i)
{
    for (size_t k = 0; k < r->nsegments; k++)
        if (i >= r->segments[k].frame_start && i < r->segments[k].frame_end)
            return (int)k;
    return -1;
}

/* The frames shown: every stride-th of the recording. */
static int64_t movie_stride(const struct rm_analysis_result *r)
{
    int64_t n = r->trace.n;
    size_t cells = (size_t)r->mat.rows * (size_t)r->mat.cols;
    double by_rate = r->mat.rate_hz > MOVIE_FPS ? r->mat.rate_hz / MOVIE_FPS : 1.0;
    double by_size = (double)n * (double)cells / MOVIE_BYTES_MAX;
    double stride = ceil(fmax(1.0, fmax(by_rate, by_size)));
    return (int64_t)stride;
}

double rm_plot_movie_scale(const struct rm_analysis_result *r)
{
    double top = 0;
    for (int64_t i = 0; i < r->trace.n; i++)
        if (r->trace.loaded[i] && isfinite(r->trace.peak[i]) && r->trace.peak[i] > top)
            top = r->trace.peak[i];
    return top > 0 ? 10.0 * ceil(top / 10.0) : 1.0;
}

static int write_frames(FILE *f, struct rm_rec_reader *reader, const struct rm_analysis_result *r,
                        int64_t stride, double vmax)
{
    size_t cells = (size_t)r->mat.rows * (size_t)r->mat.cols;
    int64_t chunk = rm_rec_chunk_frames(reader);
    int64_t block = chunk < 1 ? 1 : chunk > READ_BLOCK_MAX ? READ_BLOCK_MAX : chunk;
    uint16_t *raw = malloc((size_t)block * cells * sizeof(uint16_t)); /* owned here */
    float *val = malloc(cells * sizeof(float));                       /* owned here */
    int rc = 0;
    if (!raw || !val) {
        rc = RM_ENOMEM;
        goto out;
    }
    struct b64 b = {.f = f};
    int64_t have_start = -1, have_count = 0;
    for (int64_t i = 0; i < r->trace.n; i += stride) {
        if (rm_plot_interrupted()) {
            rc = rm_fail(RM_EINTR, "interrupted");
            goto out;
        }
        /* A block read serves the samples that fall in it. */
        if (i < have_start || i >= have_start + have_count) {
            have_start = i;
            have_count = r->trace.n - i < block ? r->trace.n - i : block;
            if (stride >= block)
                have_count = 1; /* samples further apart than a block: read just them */
            if ((rc = rm_rec_read_frames(reader, have_start, have_count, raw)))
                goto out;
        }
        const uint16_t *frame = raw + (size_t)(i - have_start) * cells;
        if (r->calibration) {
            rm_calibration_apply(r->calibration, frame, val, 1);
        } else {
            for (size_t c = 0; c < cells; c++)
                val[c] = (float)frame[c] - (r->baseline_counts ? r->baseline_counts[c] : 0.0f);
        }
        for (size_t c = 0; c < cells; c++) {
            double q = isfinite(val[c]) ? 255.0 * val[c] / vmax : 0;
            b64_put(&b, (unsigned char)(q < 0 ? 0 : q > 255 ? 255 : lround(q)));
        }
    }
    b64_flush(&b);
out:
    free(raw);
    free(val);
    return rc;
}

int rm_plot_write_movie(const char *path, struct rm_rec_reader *reader,
                        const struct rm_analysis_result *r)
{
    const struct rm_trace *tr = &r->trace;
    if (tr->n < 1)
        return 0;
    FILE *f = fopen(path, "w");
    if (!f)
        return rm_fail(RM_EIO, "%s: %s", path, strerror(errno));
    int64_t stride = movie_stride(r);
    int64_t n = (tr->n + stride - 1) / stride;
    double vmax = rm_plot_movie_scale(r);
    fprintf(f, "/* The session's movie for report.html, written by rollmat plot. */\n");
    fprintf(f,
            "window.RM_MOVIE = {\"rows\": %d, \"cols\": %d, \"pitch_row_mm\": %g, "
            "\"pitch_col_mm\": %g, \"unit\": \"%s\", \"vmax\": %g, \"limit\": ",
            r->mat.rows, r->mat.cols, r->mat.pitch_row_mm, r->mat.pitch_col_mm,
            r->calibrated ? "kPa" : "counts", vmax);
    put_json_num(f, r->calibrated ? r->profile.pressure_max_kpa : NAN, 1);
    fprintf(f, ", \"n\": %lld,\n\"labels\": [", (long long)n);
    for (size_t k = 0; k < r->nsegments; k++) {
        /* Labels are valid UTF-8 (cleaned where read); JSON needs " and \ escaped,
         * and </ would end the script element if the data were ever inlined. */
        fputs(k ? ", \"" : "\"", f);
        for (const char *c = r->segments[k].label; *c; c++) {
            if (*c == '"' || *c == '\\' || *c == '/')
                fputc('\\', f);
            fputc(*c, f);
        }
        fputc('"', f);
    }
    fputs("],\n\"holds\": [", f);
    const char *sep = "";
    for (size_t k = 0; k < r->nsegments; k++)
        for (size_t p = 0; p < r->segments[k].npauses; p++) {
            const struct rm_pause *ps = &r->segments[k].pauses[p];
            if (!ps->hold)
                continue;
            fprintf(f, "%s[%.3f, %.3f]", sep, ps->t_start, ps->t_end);
            sep = ", ";
        }
    /* Other contacts (a hand, a knee): when and where, ringed in the
     * movie while they are down. */
    fputs("],\n\"others\": [", f);
    sep = "";
    for (size_t k = 0; k < r->nsegments; k++)
        for (size_t o = 0; o < r->segments[k].nother_contacts; o++) {
            const struct rm_other_contact *oc = &r->segments[k].other_contacts[o];
            fprintf(f, "%s[%.3f, %.3f, %.1f, %.1f]", sep, oc->t_start, oc->t_end,
                    oc->position_xy_mm[0], oc->position_xy_mm[1]);
            sep = ", ";
        }
#define SERIES(key, expr, decimals)                                                                \
    do {                                                                                           \
        fputs(",\n\"" key "\": [", f);                                                             \
        for (int64_t i = 0; i < tr->n; i += stride) {                                              \
            if (i)                                                                                 \
                fputc(',', f);                                                                     \
            put_json_num(f, (expr), decimals);                                                     \
        }                                                                                          \
        fputc(']', f);                                                                             \
    } while (0)
    fputc(']', f);
    SERIES("t", tr->t[i], 3);
    SERIES("pos", tr->loaded[i] ? tr->p_mm[i] : NAN, 1);
    /* The contact-mean judged: the tool's, a hand beside it left out. */
    SERIES("mean", tr->loaded[i] ? tr->tool_mean[i] : NAN, 1);
    SERIES("seg", (double)segment_of(r, i), 0);
#undef SERIES
    fputs(",\n\"state\": \"", f);
    for (int64_t i = 0; i < tr->n; i += stride)
        fputc(frame_state(r, segment_of(r, i), i), f);
    fputs("\",\n\"frames\": \"", f);
    int rc = write_frames(f, reader, r, stride, vmax);
    fputs("\"};\n", f);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || (!ok && !rc))
        rc = rm_fail(RM_EIO, "%s: cannot write: %s", path, strerror(errno));
    return rc;
}

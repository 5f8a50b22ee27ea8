/* rm_analysis_run: one recording from file to result. Frames are streamed
 * in blocks and reduced to a few figures each (frames.c); the rest of the
 * analysis works on those per-frame series (series.c, events.c; segments
 * are cut in stream.c) into the typed result (figures.c, score.c), which
 * document.c serializes. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "an_frames.h"
#include "an_internal.h"
#include "an_run.h"
#include "an_stream.h"
#include "rm_error.h"
#include "rm_frame_stream.h"
#include "rm_log.h"

#define LOG_PREFIX "analysis"

/* Frames read for the noise estimate: up to SAMPLE_SPOTS places spread over
 * the recording, SAMPLE_RUN consecutive frames at each. */
#define SAMPLE_SPOTS 64
#define SAMPLE_RUN   4
/* Smallest load that can count as someone on the roller, calibrated: 10 N
 * (1 kg); a roller under a limb carries a few hundred (Baumgart et al.
 * 2019: about a third of body weight). */
#define AN_FORCE_MIN_N 10.0
/* Uncalibrated: the load of this many sensels just above the floor. */
#define AN_FORCE_MIN_SENSELS 30.0
/* The threshold when none of the sample frames carries load (a short
 * session in a long recording): 50 N, a fifth of a limb's typical load on
 * a roller; uncalibrated, this many times the smallest load. */
#define AN_FORCE_FALLBACK_N      50.0
#define AN_FORCE_FALLBACK_FACTOR 4.0

void rm_analysis_opts_init(struct rm_analysis_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    rm_profile_builtin("default", &opts->profile);
}

void an_load_limits(const struct an_frames *fc, double *force_min, double *fallback)
{
    *force_min = fc->cal ? AN_FORCE_MIN_N : AN_FORCE_MIN_SENSELS * fc->floor;
    *fallback = fc->cal ? AN_FORCE_FALLBACK_N : AN_FORCE_FALLBACK_FACTOR * *force_min;
}

static int read_sample(struct rm_rec_reader *r, size_t n, uint16_t **out, size_t *nout)
{
    int64_t nf = rm_rec_frames(r);
    size_t want = nf <= SAMPLE_SPOTS * SAMPLE_RUN ? (size_t)nf : SAMPLE_SPOTS * SAMPLE_RUN;
    uint16_t *buf = malloc((want ? want : 1) * n * sizeof(*buf));
    if (!buf)
        return RM_ENOMEM;
    int rc = 0;
    if ((int64_t)want == nf) {
        if (nf > 0)
            rc = rm_rec_read_frames(r, 0, nf, buf);
    } else {
        for (int s = 0; s < SAMPLE_SPOTS && rc == 0; s++) {
            int64_t start = (nf - SAMPLE_RUN) * s / (SAMPLE_SPOTS - 1);
            rc = rm_rec_read_frames(r, start, SAMPLE_RUN, buf + (size_t)s * SAMPLE_RUN * n);
        }
    }
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *nout = want;
    return 0;
}

/* Inflating threads for the frame stream: read_threads counts the caller
 * too (rm_analysis.h). */
static int stream_workers(int read_threads)
{
    if (read_threads > 0)
        return read_threads - 1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return ncpu > 0 ? (int)ncpu : 1;
}

/* The load threshold from the sample frames (docs/scoring.md, "Loaded"). */
static int sample_threshold(const struct an_frames *fc, const uint16_t *sample, size_t nsample,
                            double rate_hz, double force_min, double fallback, double *thr)
{
    struct an_series s;
    struct an_scratch w;
    int rc = an_series_alloc(&s, (int64_t)nsample, rate_hz);
    if (rc != 0)
        return rc;
    if ((rc = an_frames_scratch_new(fc, &w)) != 0) {
        an_series_free(&s);
        return rc;
    }
    /* The sample's frames lie far apart: each its own moment. */
    for (size_t i = 0; i < nsample; i++)
        s.t[i] = (double)i;
    an_frames_compute(fc, &w, sample, nsample, &s, 0);
    *thr = an_loaded_threshold(s.force, s.n, force_min);
    if (!isfinite(*thr))
        *thr = fallback; /* no load in the sample: a short session in a long file */
    an_frames_scratch_free(&w);
    an_series_free(&s);
    return 0;
}

static int load_calibration(const char *path, const struct rm_rec_meta *meta,
                            struct rm_calibration **out)
{
    int rc = rm_calibration_load(path, out);
    if (rc != 0)
        return rc;
    if ((*out)->rows != meta->rows || (*out)->cols != meta->cols) {
        int r = rm_fail(RM_EFORMAT, "%s: calibration is %dx%d, the recording %dx%d", path,
                        (*out)->rows, (*out)->cols, meta->rows, meta->cols);
        rm_calibration_free(*out);
        *out = NULL;
        return r;
    }
    return 0;
}

/* The calibration or the per-sensel baseline the figures were made with,
 * into the result (plot draws the frames the same way). */
static int keep_conversion(struct rm_analysis_result *res, const struct an_frames *fc)
{
    if (fc->cal)
        return rm_calibration_clone(fc->cal, &res->calibration);
    size_t n = (size_t)fc->rows * (size_t)fc->cols;
    res->baseline_counts = malloc(n * sizeof(float));
    if (!res->baseline_counts)
        return RM_ENOMEM;
    memcpy(res->baseline_counts, fc->base, n * sizeof(float));
    return 0;
}

/* Moves the series into the result's trace. */
static void keep_trace(struct rm_analysis_result *res, struct an_series *s)
{
    struct rm_trace *tr = &res->trace;
    tr->n = s->n;
    tr->calibrated = res->calibrated;
    tr->t = s->t;
    tr->loaded = s->loaded;
    /* The frame's figures over every contact sensel, as --frames-csv has
     * them (cli.md) and `rollmat export` writes them. */
    tr->force = s->all_force;
    tr->contact_area_cm2 = s->all_area_cm2;
    tr->peak = s->all_peak;
    tr->mean = s->all_mean;
    tr->cop_row_mm = s->all_row;
    tr->cop_col_mm = s->all_col;
    tr->tool_force = s->force;
    tr->tool_area_cm2 = s->area_cm2;
    tr->tool_peak = s->peak;
    tr->tool_mean = s->mean;
    tr->tool_row_mm = s->cop_row;
    tr->tool_col_mm = s->cop_col;
    tr->p_raw_mm = s->p_raw;
    tr->p_mm = s->p;
    tr->velocity_mm_s = s->v;
    /* speed shares nothing: |v| in a fresh array, or NULL if out of memory. */
    tr->speed_mm_s = malloc((size_t)(s->n > 0 ? s->n : 1) * sizeof(double));
    if (tr->speed_mm_s)
        for (int64_t i = 0; i < s->n; i++)
            tr->speed_mm_s[i] = fabs(s->v[i]);
    /* The arrays the trace took are its own now; the rest are freed. */
    s->t = s->all_force = s->all_area_cm2 = s->all_peak = s->all_mean = s->all_row = s->all_col =
        NULL;
    s->force = s->area_cm2 = s->peak = s->mean = s->cop_row = s->cop_col = NULL;
    s->p_raw = s->p = s->v = NULL;
    s->loaded = NULL;
    an_series_free(s);
}

/* ROLLMAT_ANALYSIS_CHUNK=N: segments in steps of N frames (never fewer
 * than an_stream.h allows) rather than AN_CHUNK_FRAMES, so that tests
 * (allocation failures) reach the steps with a short recording. 0: unset
 * or not a positive whole number. */
static int64_t chunk_override(void)
{
    const char *v = getenv("ROLLMAT_ANALYSIS_CHUNK");
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    return v && *v && !*end && n > 0 ? (int64_t)n : 0;
}

int rm_analysis_run(const char *path, const struct rm_analysis_opts *opts,
                    struct rm_analysis_result **out)
{
    *out = NULL;
    struct rm_rec_reader *r = NULL;
    struct rm_calibration *own_cal = NULL;
    struct an_series s;
    struct an_frames fc;
    uint16_t *sample = NULL;
    FILE *csv = NULL;
    char csv_tmp[4096] = "";
    struct an_session ss = {0};
    memset(&s, 0, sizeof(s));
    memset(&fc, 0, sizeof(fc));
    /* Owned by the caller on success, freed with rm_analysis_result_free. */
    struct rm_analysis_result *res = calloc(1, sizeof(*res));
    if (!res)
        return RM_ENOMEM;
    int rc = rm_rec_reader_open(&r, path);
    if (rc != 0)
        goto fail;
    const struct rm_rec_meta *meta = rm_rec_meta(r);
    const struct rm_calibration *cal = rm_rec_calibration(r);
    if (opts->calibration_path) {
        rc = load_calibration(opts->calibration_path, meta, &own_cal);
        if (rc != 0)
            goto fail;
        cal = own_cal;
    }
    res->calibrated = cal != NULL;
    res->mat.rows = meta->rows;
    res->mat.cols = meta->cols;
    res->mat.pitch_row_mm = meta->pitch_row_mm;
    res->mat.pitch_col_mm = meta->pitch_col_mm;
    res->mat.rate_hz = meta->rate_hz;

    size_t nsample = 0;
    if ((rc = read_sample(r, (size_t)meta->rows * (size_t)meta->cols, &sample, &nsample)) != 0)
        goto fail;
    if ((rc = an_frames_init(&fc, meta, cal, sample, nsample)) != 0)
        goto fail;
    double rate = meta->rate_hz > 0 ? meta->rate_hz : 100;
    double force_min, fallback, thr;
    an_load_limits(&fc, &force_min, &fallback);
    rc = sample_threshold(&fc, sample, nsample, rate, force_min, fallback, &thr);
    if (rc != 0)
        goto fail;
    free(sample);
    sample = NULL;
    rm_dbg("%s: noise %.3g, contact floor %.3g %s, loaded above %.3g %s", path, fc.noise_sigma,
           fc.floor, cal ? "kPa" : "counts", thr, cal ? "N" : "counts");

    if (opts->frames_csv) {
        snprintf(csv_tmp, sizeof(csv_tmp), "%s.tmp", opts->frames_csv);
        if (!(csv = fopen(csv_tmp, "w"))) {
            rc = rm_fail(RM_EIO, "%s: cannot write: %s", opts->frames_csv, strerror(errno));
            csv_tmp[0] = 0;
            goto fail;
        }
    }
    struct an_doc_input in = {
        .path = path,
        .meta = meta,
        .counters = rm_rec_counters(r),
        .events = rm_rec_events(r),
        .nevents = rm_rec_nevents(r),
        .profile = &opts->profile,
        .calibrated = cal != NULL,
    };
    struct an_stream_ctx ctx = {
        .fc = &fc,
        .in = &in,
        .session = &ss,
        .thr = thr,
        .rate_hz = rate,
        .keep_all = opts->keep_trace,
        .csv = csv,
        .chunk_frames = chunk_override(),
    };
    int64_t frames = 0;
    double duration = 0;
    rc = an_stream_run(r, &ctx, stream_workers(opts->read_threads), &s, &frames, &duration);
    if (rc != 0)
        goto fail;
    if (csv) {
        rc = an_file_commit(csv, csv_tmp, opts->frames_csv);
        csv = NULL;
        csv_tmp[0] = 0;
        if (rc != 0)
            goto fail;
    }
    if ((rc = an_session_finish(&ss, &in, frames, duration, res)) != 0)
        goto fail;
    if ((rc = keep_conversion(res, &fc)) != 0)
        goto fail;
    if (opts->keep_trace) {
        /* The trace's filtered position over every loaded run, segment or
         * not. */
        if ((rc = an_motion(&s, RM_TOOL_ROLLER, RM_AXIS_ROWS)) != 0)
            goto fail;
        /* Each segment's own tool and axis. */
        for (size_t i = 0; i < res->nsegments && rc == 0; i++) {
            const struct rm_segment *g = &res->segments[i];
            if (g->tool == RM_TOOL_BALL || g->axis == RM_AXIS_COLS) {
                struct an_series v;
                an_series_view(&s, g->frame_start, g->frame_end, &v);
                rc = an_motion(&v, g->tool, g->axis);
            }
        }
        if (rc != 0)
            goto fail;
        keep_trace(res, &s);
    }
    an_session_free(&ss);
    an_series_free(&s);
    an_frames_free(&fc);
    rm_calibration_free(own_cal);
    rm_rec_reader_close(r);
    *out = res;
    return 0;
fail:
    if (csv)
        fclose(csv);
    if (csv_tmp[0])
        remove(csv_tmp);
    an_session_free(&ss);
    free(sample);
    an_series_free(&s);
    an_frames_free(&fc);
    rm_calibration_free(own_cal);
    if (r)
        rm_rec_reader_close(r);
    rm_analysis_result_free(res);
    return rc;
}

int an_file_commit(FILE *f, const char *tmp, const char *path)
{
    bool bad = false;
    if (f) {
        bad = ferror(f) != 0;
        bad |= fclose(f) != 0;
    }
    if (bad) {
        remove(tmp);
        return rm_fail(RM_EIO, "%s: write failed", path);
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        remove(tmp);
        return rm_fail(RM_EIO, "%s: cannot rename into place: %s", path, strerror(err));
    }
    return 0;
}

void rm_analysis_cleanup(void)
{
    an_fft_cleanup();
}

void rm_analysis_result_free(struct rm_analysis_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nsegments; i++)
        an_segment_clear(&r->segments[i]);
    free(r->segments);
    free(r->recording);
    rm_calibration_free(r->calibration);
    free(r->baseline_counts);
    free(r->trace.t);
    free(r->trace.loaded);
    free(r->trace.force);
    free(r->trace.contact_area_cm2);
    free(r->trace.peak);
    free(r->trace.mean);
    free(r->trace.cop_row_mm);
    free(r->trace.cop_col_mm);
    free(r->trace.tool_force);
    free(r->trace.tool_area_cm2);
    free(r->trace.tool_peak);
    free(r->trace.tool_mean);
    free(r->trace.tool_row_mm);
    free(r->trace.tool_col_mm);
    free(r->trace.p_raw_mm);
    free(r->trace.p_mm);
    free(r->trace.velocity_mm_s);
    free(r->trace.speed_mm_s);
    free(r);
}

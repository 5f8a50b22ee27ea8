/* The streaming analysis of one recording (stream.c). */
#ifndef AN_STREAM_H
#define AN_STREAM_H

#include <stdbool.h>
#include <stdio.h>

#include "an_frames.h"
#include "an_run.h"

struct an_stream_ctx {
    const struct an_frames *fc;
    const struct an_doc_input *in;
    struct an_session *session; /* segments are added here */
    double thr;                 /* load threshold (an_loaded_threshold) */
    double rate_hz;
    bool keep_all; /* keep every frame's figures (for a trace) */
    FILE *csv;     /* per-frame CSV rows go here; NULL: none */
    /* Frames of one segment in the window that call for a step (an_run.h);
     * 0: AN_CHUNK_FRAMES. Never fewer than four contexts and margins. */
    int64_t chunk_frames;
    int64_t max_window; /* out: the most frames the window held */
};

/* About 2.7 minutes at 100 Hz: a window of some 3 MB of figures. */
#define AN_CHUNK_FRAMES 16384

/* Streams every frame of r (with `workers` inflating threads), finds and
 * analyses the segments into ctx->session. With keep_all, *all receives the
 * whole series (owned by the caller: an_series_free). */
int an_stream_run(struct rm_rec_reader *r, struct an_stream_ctx *ctx, int workers,
                  struct an_series *all, int64_t *frames, double *duration_s);

/* The same analysis on per-frame figures computed already (t, force,
 * area_cm2, peak, mean, cop_row and cop_col of s), fed in blocks of `block`
 * frames as frames stream in from a recording: how the unit tests run the
 * production segmentation on series they build by hand. ctx->fc is not
 * used. */
int an_stream_series(const struct an_series *s, int64_t block, struct an_stream_ctx *ctx,
                     struct an_series *all, int64_t *frames, double *duration_s);

#endif

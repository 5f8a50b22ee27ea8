/* The analysis as frames stream in: each block is reduced to per-frame
 * figures in a window, loaded frames are marked as they come, and the
 * segment under way is accounted in steps (segment.c) whenever its frames
 * in the window reach a chunk, and ended as soon as it is over (its end
 * event has passed, or 2 s without load have followed it). Frames are
 * dropped from the window once accounted, so memory follows the chunk,
 * never the segment or the recording (with keep_all, for a plot's trace,
 * the window holds everything). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_frames.h"
#include "an_stream.h"
#include "rm_error.h"
#include "rm_frame_stream.h"

/* Event segments, in time only (frames come later). */
struct ev_segment {
    char label[RM_EVENT_LABEL_LEN + 1];
    double t_start, t_end; /* t_end INFINITY: until the recording ends */
};

struct state {
    struct an_stream_ctx *ctx;
    struct an_series w; /* the window: frames [base, base + w.n) */
    int64_t cap, base, total;
    double t_first;
    bool on; /* load trigger state at the window's end */
    /* events mode */
    struct ev_segment *evs;
    size_t nevs, next_ev;
    /* gaps mode: the next segment begins at or after frame seg_lo */
    bool open;
    int64_t seg_lo, last_loaded;
    double unloaded_s; /* seen unloaded since last_loaded (an_gap_step) */
    double t_prev;     /* the frame before the next to come, NAN at first */
    size_t nauto;
    /* the segment under way, once a step has begun accounting it */
    struct an_segment_acc acc;
    bool acc_on;
    int64_t chunk;    /* frames of a segment in the window that call for a step */
    int64_t next_try; /* recording frame: no step before the window reaches it */
};

static int reserve(struct state *st, int64_t need)
{
    if (need <= st->cap)
        return 0;
    int64_t cap = st->cap ? 2 * st->cap : 4096;
    while (cap < need)
        cap *= 2;
    double **d[AN_SERIES_NDOUBLE];
    uint8_t **b[AN_SERIES_NBYTE];
    an_series_arrays(&st->w, d, b);
    for (size_t i = 0; i < AN_SERIES_NDOUBLE; i++) {
        double *bigger = realloc(*d[i], (size_t)cap * sizeof(double));
        if (!bigger)
            return RM_ENOMEM;
        *d[i] = bigger;
    }
    for (size_t i = 0; i < AN_SERIES_NBYTE; i++) {
        uint8_t *bigger = realloc(*b[i], (size_t)cap);
        if (!bigger)
            return RM_ENOMEM;
        *b[i] = bigger;
    }
    st->cap = cap;
    return 0;
}

/* Drops the window's first k frames. */
static void discard(struct state *st, int64_t k)
{
    if (k <= 0)
        return;
    an_series_drop_front(&st->w, k);
    st->base += k;
}

/* Ends the segment under way at window frame b (exclusive): its last step
 * and its figures. A segment no step has begun starts at window frame a. */
static int end_segment(struct state *st, int64_t a, int64_t b, const char *label, bool from_events,
                       double t_start, double t_end)
{
    int rc = 0;
    if (!st->acc_on)
        rc = an_segment_acc_begin(&st->acc, label, from_events, t_start, st->base + a);
    st->acc_on = false;
    st->next_try = 0; /* a wait for a cut was this segment's */
    if (rc == 0)
        rc = an_segment_acc_step(&st->acc, &st->w, st->base, b, true, st->ctx->in);
    if (rc != 0) {
        an_segment_acc_free(&st->acc);
        return rc;
    }
    return an_segment_acc_end(&st->acc, t_end, st->base + b, st->ctx->in, st->ctx->session);
}

/* The segment under way has frames from window frame a on: a step when
 * they make a chunk. */
static int try_step(struct state *st, int64_t a, const char *label, bool from_events,
                    double t_start)
{
    struct an_series *w = &st->w;
    int64_t from = st->acc_on ? an_segment_acc_keep_from(&st->acc, w->rate_hz, st->base) : a;
    if (w->n - from < st->chunk || st->base + w->n < st->next_try)
        return 0;
    if (!st->acc_on) {
        int rc = an_segment_acc_begin(&st->acc, label, from_events, t_start, st->base + a);
        if (rc != 0)
            return rc;
        st->acc_on = true;
    }
    int64_t before = st->acc.done;
    int rc = an_segment_acc_step(&st->acc, w, st->base, w->n, false, st->ctx->in);
    /* No cut yet (a long hold, someone standing): try again when the
     * window has grown by a quarter, so that the steps' work stays
     * linear. */
    int64_t wait = (w->n - from) / 4 > st->chunk / 4 ? (w->n - from) / 4 : st->chunk / 4;
    st->next_try = st->acc.done == before ? st->base + w->n + wait : 0;
    return rc;
}

/* Segments follow the body (docs/scoring.md "Segments"): when the next
 * label came while the person was already on the next muscle (typed late,
 * after getting on), and an unloaded gap of AN_LABEL_GAP_S or more lies
 * between that load and the muscle before, the muscle before ends at the
 * gap and the late label's segment starts with the load. e is the segment
 * being closed, next the one after it (NULL: none). */
static void follow_body(struct state *st, struct ev_segment *e, struct ev_segment *next)
{
    const struct an_series *w = &st->w;
    if (!next || e->t_end != next->t_start || w->n == 0)
        return;
    /* Frames accounted already stay the muscle's (a label typed more than
     * a chunk late). */
    int64_t done = st->acc_on ? st->acc.done - st->base : 0;
    int64_t at = an_series_frame_at(w, next->t_start, false);
    if (at >= w->n)
        at = w->n - 1;
    if (!w->loaded[at])
        return; /* labelled before getting on: nothing to move */
    int64_t first = at;
    while (first > 0 && w->loaded[first - 1] && w->t[first] - w->t[first - 1] <= AN_MAX_BRIDGE_S)
        first--;
    /* The gap before that load: unloaded time back to the last load. */
    double gap = 0;
    int64_t last = first - 1;
    while (last >= 0 && !w->loaded[last] && w->t[last] >= e->t_start) {
        gap += an_gap_step(w->t[last], w->t[last + 1], w->rate_hz);
        last--;
    }
    if (last < 0 || !w->loaded[last] || w->t[last] < e->t_start)
        return; /* no load of the muscle before in the window */
    gap += an_gap_step(w->t[last], w->t[last + 1], w->rate_hz);
    if (gap < AN_LABEL_GAP_S || last + 1 < done)
        return;
    e->t_end = w->t[last];
    next->t_start = w->t[first];
}

static double event_start(const struct state *st, const struct ev_segment *e)
{
    return e->t_start < st->t_first ? st->t_first : e->t_start;
}

static int close_event_segment(struct state *st, struct ev_segment *e)
{
    follow_body(st, e, e + 1 < st->evs + st->nevs ? e + 1 : NULL);
    double t_end = isfinite(e->t_end) ? e->t_end : (st->w.n ? st->w.t[st->w.n - 1] : e->t_start);
    int64_t a = an_series_frame_at(&st->w, e->t_start, false),
            b = an_series_frame_at(&st->w, t_end, true);
    /* Events outside the recording's time (a clock set wrong, an end
     * written long after the last frame) bound the segment no further than
     * the frames do. */
    double t_start = event_start(st, e);
    if (st->w.n && t_end > st->w.t[st->w.n - 1])
        t_end = st->w.t[st->w.n - 1];
    if (st->acc_on)
        return end_segment(st, a, b, e->label, true, t_start, t_end);
    for (int64_t i = a; i < b; i++)
        if (st->w.loaded[i])
            return end_segment(st, a, b, e->label, true, t_start, t_end);
    return 0; /* never loaded: left out */
}

/* The first loaded frame of the automatic segment under way (window
 * index; the accumulator's start once a step has begun it). */
static int64_t auto_first(const struct state *st)
{
    if (st->acc_on)
        return st->acc.start - st->base;
    int64_t first = st->seg_lo - st->base, last = st->last_loaded - st->base;
    if (first < 0)
        first = 0;
    while (first < last && !st->w.loaded[first])
        first++;
    return first;
}

static int close_auto_segment(struct state *st)
{
    int64_t last = st->last_loaded - st->base;
    int64_t first = auto_first(st);
    assert(last >= first && last < st->w.n);
    char label[32];
    snprintf(label, sizeof(label), "segment-%zu", ++st->nauto);
    st->open = false;
    st->seg_lo = st->last_loaded + 1;
    double t_start = st->acc_on ? st->acc.g.t_start : st->w.t[first];
    return end_segment(st, first, last + 1, label, false, t_start, st->w.t[last]);
}

static int events_init(struct state *st, const struct rm_event *ev, size_t nev)
{
    for (size_t i = 0; i < nev; i++)
        st->nevs += strcmp(ev[i].kind, "segment_start") == 0;
    if (st->nevs == 0)
        return 0;
    st->evs = calloc(st->nevs, sizeof(*st->evs));
    if (!st->evs)
        return RM_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < nev; i++) {
        if (strcmp(ev[i].kind, "segment_start") != 0)
            continue;
        struct ev_segment *e = &st->evs[k++];
        snprintf(e->label, sizeof(e->label), "%s", ev[i].label);
        e->t_start = ev[i].t;
        e->t_end = INFINITY;
        for (size_t j = i + 1; j < nev; j++)
            if (strcmp(ev[j].kind, "segment_start") == 0 ||
                strcmp(ev[j].kind, "segment_end") == 0) {
                e->t_end = ev[j].t;
                break;
            }
    }
    return 0;
}

/* After frames [from, w.n) arrived: close what is over, drop what is done. */
static int advance(struct state *st, int64_t from)
{
    struct an_series *w = &st->w;
    int rc = 0;
    double t_now = w->t[w->n - 1];
    if (st->nevs > 0) {
        while (rc == 0 && st->next_ev < st->nevs && st->evs[st->next_ev].t_end < t_now)
            rc = close_event_segment(st, &st->evs[st->next_ev++]);
    } else {
        for (int64_t i = from; i < w->n && rc == 0; i++) {
            st->unloaded_s += an_gap_step(st->t_prev, w->t[i], w->rate_hz);
            st->t_prev = w->t[i];
            if (!w->loaded[i])
                continue;
            if (st->open && st->unloaded_s >= AN_SEGMENT_GAP_S)
                rc = close_auto_segment(st);
            st->open = true;
            st->last_loaded = st->base + i;
            st->unloaded_s = 0;
        }
        if (rc == 0 && st->open && st->unloaded_s >= AN_SEGMENT_GAP_S)
            rc = close_auto_segment(st);
    }
    /* A step on the segment under way, when it makes a chunk. */
    if (rc == 0 && st->nevs > 0 && st->next_ev < st->nevs &&
        st->evs[st->next_ev].t_start <= t_now) {
        struct ev_segment *e = &st->evs[st->next_ev];
        rc = try_step(st, an_series_frame_at(w, e->t_start, false), e->label, true,
                      event_start(st, e));
    } else if (rc == 0 && st->nevs == 0 && st->open) {
        int64_t first = auto_first(st);
        char label[32];
        snprintf(label, sizeof(label), "segment-%zu", st->nauto + 1);
        rc = try_step(st, first, label, false, st->acc_on ? st->acc.g.t_start : w->t[first]);
    }
    if (rc != 0 || st->ctx->keep_all)
        return rc;
    int64_t keep_from;
    if (st->nevs > 0) {
        keep_from = st->next_ev < st->nevs
                        ? an_series_frame_at(w, st->evs[st->next_ev].t_start, false)
                        : w->n;
    } else if (st->open) {
        keep_from = st->seg_lo - st->base;
    } else {
        /* Keep the last gap's worth: a run of load may reach back into it. */
        keep_from = an_series_frame_at(w, t_now - AN_SEGMENT_GAP_S, false);
        if (keep_from < st->seg_lo - st->base)
            keep_from = st->seg_lo - st->base;
        st->seg_lo = st->base + keep_from;
    }
    if (st->acc_on) {
        int64_t need = an_segment_acc_keep_from(&st->acc, w->rate_hz, st->base);
        if (keep_from < need)
            keep_from = need;
    }
    if (keep_from < 0)
        keep_from = 0;
    discard(st, keep_from);
    return 0;
}

static int finish(struct state *st)
{
    int rc = 0;
    if (st->nevs > 0) {
        while (rc == 0 && st->next_ev < st->nevs)
            rc = close_event_segment(st, &st->evs[st->next_ev++]);
    } else if (st->open) {
        rc = close_auto_segment(st);
    }
    return rc;
}

static void csv_rows(FILE *f, const struct an_series *s, int64_t from, int64_t to, bool calibrated)
{
    for (int64_t i = from; i < to; i++) {
        fprintf(f, "%.4f,", s->t[i]);
        if (calibrated)
            fprintf(f, "%.2f", s->all_force[i]);
        fprintf(f, ",%.2f,%.2f,", s->all_area_cm2[i], s->all_peak[i]);
        if (isfinite(s->all_mean[i]))
            fprintf(f, "%.2f", s->all_mean[i]);
        if (isfinite(s->all_row[i]))
            fprintf(f, ",%.2f,%.2f\n", s->all_row[i], s->all_col[i]);
        else
            fprintf(f, ",,\n");
    }
}

static int stream_begin(struct state *st, struct an_stream_ctx *ctx)
{
    memset(st, 0, sizeof(*st));
    st->ctx = ctx;
    st->w.rate_hz = ctx->rate_hz;
    st->last_loaded = -1;
    st->t_prev = NAN;
    /* A chunk leaves room for a step's context and margin several times
     * over, whatever the rate. */
    st->chunk = ctx->chunk_frames > 0 ? ctx->chunk_frames : AN_CHUNK_FRAMES;
    int64_t least = (int64_t)ceil(4 * (AN_CHUNK_CONTEXT_S + AN_CHUNK_MARGIN_S) * ctx->rate_hz);
    if (st->chunk < least)
        st->chunk = least;
    ctx->max_window = 0;
    int rc = events_init(st, ctx->in->events, ctx->in->nevents);
    if (rc == 0 && ctx->csv)
        fprintf(ctx->csv, "t,force_n,contact_area_cm2,peak_kpa,mean_kpa,cop_row_mm,cop_col_mm\n");
    return rc;
}

/* Window frames [at, at + count) have their figures: mark load, write
 * their CSV rows, close and drop what is over. */
static int stream_block(struct state *st, int64_t at, int64_t count, double *duration_s)
{
    struct an_stream_ctx *ctx = st->ctx;
    if (st->total == 0)
        st->t_first = st->w.t[0];
    st->total += count;
    st->w.n += count;
    if (st->w.n > ctx->max_window)
        ctx->max_window = st->w.n;
    st->on = an_mark_loaded_range(&st->w, 0, at, st->w.n, ctx->thr, st->on);
    if (ctx->csv)
        csv_rows(ctx->csv, &st->w, at, st->w.n, ctx->in->calibrated);
    *duration_s = st->w.t[st->w.n - 1] - st->t_first + 1.0 / ctx->rate_hz;
    return advance(st, at);
}

/* Closes the last segment, and hands the window over as *all with
 * keep_all. Returns rc, or finishing's error. */
static int stream_end(struct state *st, int rc, struct an_series *all, int64_t *frames,
                      double *duration_s)
{
    if (rc == 0)
        rc = finish(st);
    if (st->acc_on) /* an error half-way */
        an_segment_acc_free(&st->acc);
    free(st->evs);
    *frames = st->total;
    if (st->total == 0)
        *duration_s = 0;
    if (rc == 0 && st->ctx->keep_all) {
        assert(st->base == 0);
        *all = st->w;
        all->n = st->total;
        return 0;
    }
    an_series_free(&st->w);
    return rc;
}

int an_stream_run(struct rm_rec_reader *r, struct an_stream_ctx *ctx, int workers,
                  struct an_series *all, int64_t *frames, double *duration_s)
{
    struct state st;
    struct an_scratch scratch;
    int rc = an_frames_scratch_new(ctx->fc, &scratch);
    if (rc != 0)
        return rc;
    rc = stream_begin(&st, ctx);
    struct rm_frame_stream *fs = NULL;
    if (rc == 0)
        rc = rm_frame_stream_open(&fs, r, workers);
    while (rc == 0) {
        const uint16_t *block;
        int64_t start, count;
        rc = rm_frame_stream_next(fs, &block, &start, &count);
        if (rc != 0 || count == 0)
            break;
        if (start != st.total || start + count > rm_rec_frames(r)) {
            rc = rm_fail(RM_EFORMAT, "%s:/frames: frames out of order", rm_rec_path(r));
            break;
        }
        int64_t at = st.w.n;
        if ((rc = reserve(&st, at + count)) != 0)
            break;
        if ((rc = rm_rec_read_t(r, start, count, st.w.t + at)) != 0)
            break;
        an_frames_compute(ctx->fc, &scratch, block, (size_t)count, &st.w, at);
        rc = stream_block(&st, at, count, duration_s);
    }
    if (fs)
        rm_frame_stream_close(fs);
    an_frames_scratch_free(&scratch);
    return stream_end(&st, rc, all, frames, duration_s);
}

int an_stream_series(const struct an_series *s, int64_t block, struct an_stream_ctx *ctx,
                     struct an_series *all, int64_t *frames, double *duration_s)
{
    assert(block > 0);
    struct state st;
    int rc = stream_begin(&st, ctx);
    for (int64_t start = 0; rc == 0 && start < s->n; start += block) {
        int64_t count = s->n - start < block ? s->n - start : block;
        int64_t at = st.w.n;
        if ((rc = reserve(&st, at + count)) != 0)
            break;
        /* The per-frame figures (the first AN_SERIES_NINPUT arrays, and
         * newtrack) come from s; the rest is derived here. */
        struct an_series src = *s;
        double **from[AN_SERIES_NDOUBLE], **to[AN_SERIES_NDOUBLE];
        uint8_t **bfrom[AN_SERIES_NBYTE], **bto[AN_SERIES_NBYTE];
        an_series_arrays(&src, from, bfrom);
        an_series_arrays(&st.w, to, bto);
        for (size_t k = 0; k < AN_SERIES_NINPUT; k++)
            memcpy(*to[k] + at, *from[k] + start, (size_t)count * sizeof(double));
        memcpy(st.w.newtrack + at, s->newtrack + start, (size_t)count);
        rc = stream_block(&st, at, count, duration_s);
    }
    return stream_end(&st, rc, all, frames, duration_s);
}

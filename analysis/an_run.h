/* From per-frame series to segments, their figures and scores (figures.c). */
#ifndef AN_RUN_H
#define AN_RUN_H

#include "an_internal.h"
#include "rm_recording.h"

struct an_doc_input {
    const char *path;
    const struct rm_rec_meta *meta;
    const struct rm_rec_counters *counters;
    const struct rm_event *events;
    size_t nevents;
    const struct rm_profile *profile;
    bool calibrated;
};

/* Segments as they are found, with their figures; scored, advised and
 * moved into the result by an_session_finish once all are known (coverage
 * compares
 * segments with each other). Zero-initialise; an_session_free always. */
struct an_session {
    struct rm_segment *segs;
    size_t n, cap;
};

/* Adds a finished segment (an_segment_acc_end), moving its arrays. */
int an_session_add(struct an_session *ss, struct rm_segment *finished);

/* ---- segment.c: one segment's figures, accounted as frames stream past -- */

/* A segment is analysed in steps over the window of frames (stream.c)
 * rather than whole, so that memory does not follow its length: each step
 * runs the motion, pause and stroke finders over the frames not yet
 * accounted plus AN_CHUNK_CONTEXT_S before them, and accounts the frames
 * up to a cut: the start of a stroke that no pause can reach across, far
 * enough (AN_CHUNK_MARGIN_S) from the window's end for the low-pass to be
 * that of the whole run. Per-frame figures go into sums and a histogram of
 * speeds; pauses, strokes and other contacts before the cut are kept.
 * A segment analysed in one step (shorter than a chunk) is analysed
 * exactly as a whole. docs/scoring.md "Long segments". */
#define AN_CHUNK_CONTEXT_S 30.0
#define AN_CHUNK_MARGIN_S  10.0
/* Loaded time a segment needs before its tool and axis are decided on its
 * first chunk rather than on all of it. */
#define AN_CLASSIFY_MIN_S 60.0
/* Speeds are counted in bins AN_SPEED_RATIO apart from AN_SPEED_MIN_MM_S
 * up (0.05 %: a median true to a hundredth of a mm/s at rolling speeds). */
#define AN_SPEED_MIN_MM_S 0.01
#define AN_SPEED_RATIO    1.0005
#define AN_SPEED_BINS     32768

struct an_segment_acc {
    struct rm_segment g; /* label, source, tool, axis; the events kept so far */
    int64_t start;       /* the segment's first frame in the recording */
    int64_t done;        /* frames before this one (recording index) are accounted */
    bool classified;     /* g.tool and g.axis are decided */
    bool calibrated;     /* the recording's, set by every step (the end follows one) */
    double rate_hz;
    size_t cap_pauses, cap_strokes, cap_other;
    double last_pause_t, last_stroke_t; /* t_start of the last kept (dedup at cuts) */
    /* loaded frames */
    double lo, hi, qlo, qhi, fsum, msum, asum, peak;
    int64_t nl;
    /* rolling frames */
    double slow_s, fast_s;
    uint32_t *speed_bins; /* AN_SPEED_BINS */
    int64_t nspeeds, seen;
    double *roll_p; /* positions at about 10 Hz, for the cadence */
    size_t np, cap_p;
    /* A pause longer than a step reaches (a long hold, someone standing):
     * cut inside and summed piece by piece until it ends. */
    bool hold_on;
    struct rm_pause hold; /* its t_start */
    struct an_pause_sums hold_sums;
    /* the other contacts under way (two hands at once) */
    struct an_other_run {
        bool open;
        double t0, t1, r, c, w, peak;
    } oth[2];
};

/* Starts a segment whose first frame is recording frame `start`. 0 or
 * RM_ENOMEM. */
int an_segment_acc_begin(struct an_segment_acc *acc, const char *label, bool from_events,
                         double t_start, int64_t start);

/* A step over window w (base: its first frame's recording index), whose
 * frames before b belong to the segment from acc->done - context on (they
 * must still be in the window). final: the segment ends at b, account it
 * all; else account up to a cut if there is one (acc->done says how far).
 * Writes the motion of those frames into w. 0 or RM_ENOMEM. */
int an_segment_acc_step(struct an_segment_acc *acc, struct an_series *w, int64_t base, int64_t b,
                        bool final, const struct an_doc_input *in);

/* The window frame from which a step still needs frames. */
int64_t an_segment_acc_keep_from(const struct an_segment_acc *acc, double rate_hz, int64_t base);

/* Ends the segment (all of it accounted): its figures, then into ss. The
 * accumulator is freed either way. 0 or RM_ENOMEM. */
int an_segment_acc_end(struct an_segment_acc *acc, double t_end, int64_t frame_end,
                       const struct an_doc_input *in, struct an_session *ss);
void an_segment_acc_free(struct an_segment_acc *acc);

/* The segment's own figures from what was accounted (figures.c): ranges,
 * pressures, speeds from the histogram, cadence; not judged without
 * rolling. */
void an_segment_acc_figures(struct an_segment_acc *acc, double t_end, int64_t frame_end);

/* Coverage, scores, advice and the session figures of res; moves the
 * segments into res. */
int an_session_finish(struct an_session *ss, const struct an_doc_input *in, int64_t frames,
                      double duration_s, struct rm_analysis_result *res);
void an_session_free(struct an_session *ss);

#endif

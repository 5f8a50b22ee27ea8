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

/* Adds a segment whose label, from_events, t_start, t_end, frame_start and
 * frame_end (indices into s) are set: computes its figures on s (loaded
 * flags and motion computed) and stores it with frame indices shifted by
 * frame_base (s's first frame in the recording). */
int an_session_add(struct an_session *ss, const struct an_series *s, const struct an_doc_input *in,
                   const struct rm_segment *seg, int64_t frame_base);

/* Coverage, scores, advice and the session figures of res; moves the
 * segments into res. */
int an_session_finish(struct an_session *ss, const struct an_doc_input *in, int64_t frames,
                      double duration_s, struct rm_analysis_result *res);
void an_session_free(struct an_session *ss);

#endif

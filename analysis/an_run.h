/* From per-frame series to segments, scores and the document (document.c). */
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

/* Fills res->segments, res->nsegments and res->doc from a series whose
 * loaded flags and motion are computed. */
int an_build(const struct an_series *s, const struct an_doc_input *in,
             struct rm_analysis_result *res);

#endif

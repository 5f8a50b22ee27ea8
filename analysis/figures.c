/* Coverage across segments, and the session: what struct
 * rm_analysis_result holds (rm_analysis.h) beyond each segment's own
 * figures (segment.c). document.c writes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_stats.h"
#include "an_run.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "analysis"

/* Coverage (analysis-output.md): the length rolled against the typical
 * length of the muscle the label names (muscles.c), else against the
 * longest rolled on the same muscle's other side, else unknown (NAN). */
static void coverage(struct rm_segment *segs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct rm_coverage *c = &segs[i].coverage;
        char bi[RM_EVENT_LABEL_LEN + 1], bj[RM_EVENT_LABEL_LEN + 1];
        double own = c->rolled_mm, ref = an_muscle_length_mm(segs[i].label);
        c->ref_label[0] = 0;
        if (!(ref > 0)) {
            ref = 0;
            an_muscle_base(segs[i].label, bi, sizeof(bi));
            for (size_t j = 0; j < n; j++) {
                an_muscle_base(segs[j].label, bj, sizeof(bj));
                double other = segs[j].coverage.rolled_mm;
                if (strcmp(segs[j].label, segs[i].label) != 0 && strcmp(bi, bj) == 0 &&
                    segs[j].tool != RM_TOOL_NONE && other > ref) {
                    ref = other;
                    snprintf(c->ref_label, sizeof(c->ref_label), "%s", segs[j].label);
                }
            }
        }
        c->ref_mm = ref > 0 ? ref : NAN;
        c->fraction =
            ref > 0 && isfinite(own) && segs[i].tool != RM_TOOL_NONE ? fmin(1.0, own / ref) : NAN;
    }
}

/* The session's score (analysis-output.md): the mean over the muscles
 * judged, each counted once (a muscle rolled in several segments by the
 * mean of its segments' totals), not weighted by time: weighting by time
 * rewarded hurrying through a muscle. */
static int session_score(const struct rm_segment *segs, size_t n)
{
    double sum = 0;
    size_t muscles = 0;
    for (size_t i = 0; i < n; i++) {
        if (segs[i].score.total == RM_SCORE_NONE)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen =
                segs[j].score.total != RM_SCORE_NONE && strcmp(segs[j].label, segs[i].label) == 0;
        if (seen)
            continue;
        double msum = 0;
        size_t cnt = 0;
        for (size_t j = i; j < n; j++)
            if (segs[j].score.total != RM_SCORE_NONE && strcmp(segs[j].label, segs[i].label) == 0) {
                msum += segs[j].score.total;
                cnt++;
            }
        sum += msum / (double)cnt;
        muscles++;
    }
    return muscles ? (int)lround(sum / (double)muscles) : RM_SCORE_NONE;
}

int an_session_add(struct an_session *ss, struct rm_segment *finished)
{
    if (ss->n == ss->cap) {
        size_t nc = ss->cap ? 2 * ss->cap : 8;
        struct rm_segment *segs = realloc(ss->segs, nc * sizeof(*segs));
        if (!segs)
            return RM_ENOMEM;
        ss->segs = segs;
        ss->cap = nc;
    }
    ss->segs[ss->n++] = *finished;
    /* The arrays moved with it. */
    finished->pauses = NULL;
    finished->strokes = NULL;
    finished->other_contacts = NULL;
    finished->advice = NULL;
    finished->npauses = finished->nstrokes = finished->nother_contacts = finished->nadvice = 0;
    return 0;
}

void an_segment_clear(struct rm_segment *g)
{
    free(g->pauses);
    free(g->strokes);
    free(g->other_contacts);
    for (size_t k = 0; k < g->nadvice; k++)
        free(g->advice[k]);
    free(g->advice);
    g->pauses = NULL;
    g->strokes = NULL;
    g->other_contacts = NULL;
    g->advice = NULL;
    g->npauses = g->nstrokes = g->nother_contacts = g->nadvice = 0;
}

void an_session_free(struct an_session *ss)
{
    for (size_t i = 0; i < ss->n; i++)
        an_segment_clear(&ss->segs[i]);
    free(ss->segs);
    memset(ss, 0, sizeof(*ss));
}

int an_session_finish(struct an_session *ss, const struct an_doc_input *in, int64_t frames,
                      double duration_s, struct rm_analysis_result *res)
{
    size_t n = ss->n;
    struct rm_segment *segs = ss->segs;
    coverage(segs, n);
    for (size_t i = 0; i < n; i++) {
        an_score_segment(&segs[i], in->profile, in->calibrated);
        int rc = an_advice(&segs[i], in->profile, in->calibrated);
        if (rc != 0)
            return rc;
    }
    res->version = 2;
    if (!(res->recording = strdup(in->path)))
        return RM_ENOMEM;
    snprintf(res->created_utc, sizeof(res->created_utc), "%s", in->meta->created_utc);
    snprintf(res->device_serial, sizeof(res->device_serial), "%s", in->meta->device_serial);
    res->frames = frames;
    res->duration_s = duration_s;
    res->frames_dropped = in->counters->frames_dropped;
    res->calibrated = in->calibrated;
    res->profile = *in->profile;
    res->score_total = session_score(segs, n);
    /* The segments move into the result. */
    res->segments = segs;
    res->nsegments = n;
    memset(ss, 0, sizeof(*ss));
    return 0;
}

int rm_segment_add_advice(struct rm_segment *seg, const char *sentence)
{
    char *copy = strdup(sentence);
    char **grown = copy ? realloc(seg->advice, (seg->nadvice + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        free(copy);
        return RM_ENOMEM;
    }
    grown[seg->nadvice++] = copy;
    seg->advice = grown;
    return 0;
}

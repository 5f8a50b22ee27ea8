/* A segment's figures once all of its frames are accounted (segment.c
 * accounts them), coverage across segments, and the session: what struct
 * rm_analysis_result holds (rm_analysis.h). document.c writes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_stats.h"
#include "an_run.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "analysis"

/* ---- a segment, once accounted -------------------------------------------- */

/* The value a bin stands for: its geometric centre (0 below the first). */
static double speed_of_bin(size_t k)
{
    return k == 0 ? 0 : AN_SPEED_MIN_MM_S * pow(AN_SPEED_RATIO, (double)k - 0.5);
}

/* The speed of 0-based rank r among the acc->nspeeds counted. */
static double speed_rank(const struct an_segment_acc *acc, int64_t r)
{
    int64_t cum = 0;
    for (size_t k = 0; k < AN_SPEED_BINS; k++) {
        cum += acc->speed_bins[k];
        if (cum > r)
            return speed_of_bin(k);
    }
    return speed_of_bin(AN_SPEED_BINS - 1);
}

/* The spectrum says whether the rolling has a rhythm and roughly at what
 * frequency; but a muscle often gets only one or two cycles of it, mixed
 * with single passes to and from the tender spots, and the peak of so short
 * a spectrum is coarse and pulled by those passes. The strokes of the
 * rhythm itself then give the cycle precisely, as twice their median
 * duration: a rhythm stroke is one that, without a stop in between,
 * reverses or is reversed by a stroke of about the same length (within
 * AN_RHYTHM_LENGTH_RATIO), i.e. the back-and-forth between two ends. They
 * count when they agree with the peak within a factor of two. A rhythm is
 * reported when the spectrum shows it clearly on its own, or when such
 * strokes confirm its peak; otherwise, and always with fewer than two
 * strokes, the cadence is null. */
#define AN_RHYTHM_LENGTH_RATIO 0.75
#define AN_RHYTHM_MAX_GAP_S    0.5
static double cadence(const struct rm_segment *g, double f_peak, bool clear)
{
    /* A back-and-forth takes two strokes at least: without them the peak
     * can only be the sensor noise's (a runner who got on and off). */
    if (!isfinite(f_peak) || g->nstrokes < 2)
        return NAN;
    double f = clear ? f_peak : NAN;
    double *d = malloc(g->nstrokes * sizeof(*d));
    uint8_t *rhythm = calloc(g->nstrokes, 1);
    if (!d || !rhythm) {
        free(d);
        free(rhythm);
        return f;
    }
    for (size_t i = 0; i + 1 < g->nstrokes; i++) {
        const struct rm_stroke *a = &g->strokes[i], *b = &g->strokes[i + 1];
        double la = a->p_end_mm - a->p_start_mm, lb = b->p_end_mm - b->p_start_mm;
        double ratio = fabs(la) < fabs(lb) ? fabs(la) / fabs(lb) : fabs(lb) / fabs(la);
        if (b->t_start - a->t_end <= AN_RHYTHM_MAX_GAP_S && la * lb < 0 &&
            ratio >= AN_RHYTHM_LENGTH_RATIO)
            rhythm[i] = rhythm[i + 1] = 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < g->nstrokes; i++)
        if (rhythm[i])
            d[n++] = g->strokes[i].t_end - g->strokes[i].t_start;
    if (n >= 2) {
        qsort(d, n, sizeof(*d), rm_cmp_double);
        double med = rm_median_sorted(d, n);
        double fr = 1.0 / (2 * med);
        if (fr > f_peak / 2 && fr < f_peak * 2)
            f = fr;
    }
    rm_dbg("%s: spectral peak %.4f Hz (%s), %zu rhythm strokes, cadence %.4f Hz", g->label, f_peak,
           clear ? "clear" : "weak", n, f);
    free(d);
    free(rhythm);
    return f;
}

/* Rolling at all: strokes covering AN_MIN_ROLL_MM of path together. A
 * person standing or a hand pressing has none; a foot put down and lifted
 * is no stroke either (each contact a track of its own). */
#define AN_MIN_ROLL_MM 80.0
static bool rolled(const struct rm_segment *g)
{
    double path = 0;
    for (size_t i = 0; i < g->nstrokes; i++)
        path += fabs(g->strokes[i].p_end_mm - g->strokes[i].p_start_mm);
    return path >= AN_MIN_ROLL_MM;
}

void an_segment_acc_figures(struct an_segment_acc *acc, double t_end, int64_t frame_end)
{
    struct rm_segment *g = &acc->g;
    bool calibrated = acc->calibrated;
    g->t_end = t_end;
    g->frame_start = acc->start;
    g->frame_end = frame_end;
    bool any = acc->nl > 0;
    double nl = (double)acc->nl;
    g->range_mm[0] = any ? acc->lo : NAN;
    g->range_mm[1] = any ? acc->hi : NAN;
    /* A ball works a patch: its longer extent is what it rolled. */
    g->coverage.rolled_mm =
        any ? fmax(acc->hi - acc->lo, acc->qhi > acc->qlo ? acc->qhi - acc->qlo : 0) : NAN;
    g->pressure.mean_kpa = calibrated && any ? acc->msum / nl : NAN;
    g->pressure.peak_kpa = calibrated && any ? acc->peak : NAN;
    g->pressure.mean_force_n = calibrated && any ? acc->fsum / nl : NAN;
    g->pressure.contact_area_cm2 = any ? acc->asum / nl : NAN;
    /* Two hands' runs close in the order they end: by start, as the
     * document lists them. */
    if (g->nother_contacts > 1)
        qsort(g->other_contacts, g->nother_contacts, sizeof(*g->other_contacts), rm_cmp_double);
    double span = acc->hi - acc->lo;
    for (size_t i = 0; i < g->npauses; i++)
        g->pauses[i].relative_position =
            span > 0 ? (g->pauses[i].position_mm - acc->lo) / span : 0.5;
    struct rm_rolling *ro = &g->rolling;
    if (g->tool == RM_TOOL_NONE || !rolled(g)) {
        /* Standing, walking, a hand pressing: described, not judged. */
        g->tool = RM_TOOL_NONE;
        free(g->pauses);
        free(g->strokes);
        g->pauses = NULL;
        g->strokes = NULL;
        g->npauses = g->nstrokes = 0;
        ro->time_s = ro->path_mm = 0;
        ro->speed_median_mm_s = ro->speed_p90_mm_s = NAN;
        ro->fraction_slow = ro->fraction_fast = ro->cadence_hz = NAN;
    } else {
        int64_t n = acc->nspeeds;
        ro->speed_median_mm_s = n ? speed_rank(acc, n / 2) : NAN;
        ro->speed_p90_mm_s = n ? speed_rank(acc, (int64_t)floor(0.9 * (double)(n - 1))) : NAN;
        ro->fraction_slow = n ? acc->slow_s / ro->time_s : NAN;
        ro->fraction_fast = n ? acc->fast_s / ro->time_s : NAN;
        int64_t decim = (int64_t)floor(acc->rate_hz / 10.0);
        if (decim < 1)
            decim = 1;
        bool clear;
        double f_peak = an_dominant_frequency(acc->roll_p, acc->np, acc->rate_hz / (double)decim,
                                              0.01, AN_LOWPASS_HZ, &clear);
        ro->cadence_hz = cadence(g, f_peak, clear);
    }
}

/* ---- across segments ---------------------------------------------------- */

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
    if (an_grow((void **)&ss->segs, &ss->cap, ss->n, sizeof(*ss->segs)) != 0)
        return RM_ENOMEM;
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

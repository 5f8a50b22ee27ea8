/* The figures of each segment (rolling, pauses, strokes, cadence,
 * pressure), coverage across segments, and the session: what
 * struct rm_analysis_result holds (rm_analysis.h). document.c writes it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_stats.h"
#include "an_run.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "analysis"

/* How long frame i stands for: until the next frame, unless that is a gap
 * of dropped frames or a disconnect, then one nominal period. */
static double frame_dt(const struct an_series *s, int64_t i)
{
    double nominal = 1.0 / s->rate_hz;
    if (i + 1 < s->n) {
        double d = s->t[i + 1] - s->t[i];
        if (d > 0 && d <= AN_MAX_BRIDGE_S)
            return d;
    }
    return nominal;
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

static void pressure_over_limit(const struct an_series *s, const struct an_doc_input *in,
                                struct rm_segment *g);

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

/* Other contacts (a hand, a knee): runs of frames with one, bridged across
 * AN_OTHER_BRIDGE_S, kept from AN_OTHER_MIN_S on: their time, mean
 * position and peak. */
#define AN_OTHER_BRIDGE_S 0.3
#define AN_OTHER_MIN_S    0.3
static int other_contacts(const struct an_series *s, const struct an_doc_input *in,
                          struct rm_segment *g)
{
    int64_t a = g->frame_start, b = g->frame_end;
    size_t cap = 0;
    int64_t i = a;
    while (i < b) {
        if (!(s->oth_force[i] > 0)) {
            i++;
            continue;
        }
        int64_t first = i, last = i;
        double rsum = 0, csum = 0, wsum = 0, peak = 0;
        for (int64_t j = i; j < b && s->t[j] - s->t[last] <= AN_OTHER_BRIDGE_S; j++) {
            if (!(s->oth_force[j] > 0))
                continue;
            double w = s->oth_force[j];
            rsum += w * s->oth_row[j];
            csum += w * s->oth_col[j];
            wsum += w;
            peak = fmax(peak, s->oth_peak[j]);
            last = j;
        }
        i = last + 1;
        if (s->t[last] - s->t[first] < AN_OTHER_MIN_S || !(wsum > 0))
            continue;
        if (g->nother_contacts == cap) {
            size_t nc = cap ? 2 * cap : 4;
            struct rm_other_contact *o = realloc(g->other_contacts, nc * sizeof(*o));
            if (!o)
                return RM_ENOMEM;
            g->other_contacts = o;
            cap = nc;
        }
        struct rm_other_contact *o = &g->other_contacts[g->nother_contacts++];
        o->t_start = s->t[first];
        o->t_end = s->t[last];
        o->position_xy_mm[0] = rsum / wsum;
        o->position_xy_mm[1] = csum / wsum;
        o->peak_kpa = in->calibrated ? peak : NAN;
    }
    return 0;
}

/* The path travelled up to each frame of [a, b) (cum, b - a entries): the
 * sum of the filtered position's steps (2-D for a ball) within each run. */
static void path_along(const struct an_series *s, int64_t a, int64_t b, double *cum)
{
    double acc = 0;
    for (int64_t i = a; i < b; i++) {
        if (i > a && s->loaded[i] && s->loaded[i - 1] && isfinite(s->p[i]) &&
            isfinite(s->p[i - 1])) {
            double d = s->p[i] - s->p[i - 1];
            if (isfinite(s->q[i]) && isfinite(s->q[i - 1]))
                d = hypot(d, s->q[i] - s->q[i - 1]);
            acc += fabs(d);
        }
        cum[i - a] = acc;
    }
}

/* The roll speed at frame i measured over one sensel pitch of path centred
 * on it (at most AN_PITCH_WINDOW_S either side, within the loaded run).
 * The centre of pressure of a contact a few sensels wide errs by a
 * fraction of a millimetre to a millimetre or so, periodically with each
 * pitch rolled (the sensels sample the contact); over exactly one pitch of
 * path that error cancels, so a coarse mat (30 mm sensels) measures speed
 * as well as a fine one. */
#define AN_PITCH_WINDOW_S 1.0
static double pitch_speed(const struct an_series *s, int64_t a, int64_t b, int64_t i,
                          const double *cum, double pitch)
{
    int64_t lo = i, hi = i;
    double half = pitch / 2;
    while (lo > a && s->loaded[lo - 1] && s->t[i] - s->t[lo - 1] <= AN_PITCH_WINDOW_S &&
           cum[i - a] - cum[lo - a] < half)
        lo--;
    while (hi + 1 < b && s->loaded[hi + 1] && s->t[hi + 1] - s->t[i] <= AN_PITCH_WINDOW_S &&
           cum[hi - a] - cum[i - a] < half)
        hi++;
    /* Keep the window symmetric in path, so a speed changing along it is
     * measured at i. */
    double back = cum[i - a] - cum[lo - a], fwd = cum[hi - a] - cum[i - a];
    if (back < half || fwd < half) {
        double h = fmin(back, fwd);
        while (lo < i && cum[i - a] - cum[lo + 1 - a] >= h)
            lo++;
        while (hi > i && cum[hi - 1 - a] - cum[i - a] >= h)
            hi--;
    }
    double dt = s->t[hi] - s->t[lo];
    return dt > 0 && hi > lo ? (cum[hi - a] - cum[lo - a]) / dt : fabs(s->v[i]);
}

/* Figures of one segment: loaded time, range, pauses, strokes, speeds,
 * cadence, pressure. */
static int segment_figures(const struct an_series *s, const struct an_doc_input *in,
                           struct rm_segment *g)
{
    const struct rm_profile *pf = in->profile;
    int64_t a = g->frame_start, b = g->frame_end;
    size_t len = (size_t)(b - a);
    memset(&g->rolling, 0, sizeof(g->rolling));
    memset(&g->pressure, 0, sizeof(g->pressure));
    uint8_t *in_pause = calloc(len ? len : 1, 1);
    double *speeds = malloc((len ? len : 1) * sizeof(double));
    double *roll_p = malloc((len ? len : 1) * sizeof(double));
    int rc = RM_ENOMEM;
    if (!in_pause || !speeds || !roll_p)
        goto out;

    double lo = INFINITY, hi = -INFINITY, fsum = 0, msum = 0, asum = 0, peak = 0;
    double qlo = INFINITY, qhi = -INFINITY;
    double loaded_s = 0;
    int64_t nl = 0;
    for (int64_t i = a; i < b; i++) {
        if (!s->loaded[i])
            continue;
        loaded_s += frame_dt(s, i);
        if (s->p[i] < lo)
            lo = s->p[i];
        if (s->p[i] > hi)
            hi = s->p[i];
        if (isfinite(s->q[i])) {
            qlo = fmin(qlo, s->q[i]);
            qhi = fmax(qhi, s->q[i]);
        }
        fsum += s->force[i];
        msum += s->mean[i];
        asum += s->area_cm2[i];
        if (s->peak[i] > peak)
            peak = s->peak[i];
        nl++;
    }
    g->loaded_s = loaded_s;
    g->range_mm[0] = nl ? lo : NAN;
    g->range_mm[1] = nl ? hi : NAN;
    /* A ball works a patch: its longer extent is what it rolled. */
    g->coverage.rolled_mm = nl ? fmax(hi - lo, qhi > qlo ? qhi - qlo : 0) : NAN;
    g->pressure.mean_kpa = in->calibrated && nl ? msum / (double)nl : NAN;
    g->pressure.peak_kpa = in->calibrated && nl ? peak : NAN;
    g->pressure.mean_force_n = in->calibrated && nl ? fsum / (double)nl : NAN;
    g->pressure.contact_area_cm2 = nl ? asum / (double)nl : NAN;

    rc = an_find_pauses(s, a, b, pf, in->calibrated, &g->pauses, &g->npauses, in_pause);
    if (rc != 0)
        goto out;
    for (size_t k = 0; k < g->npauses; k++) {
        double span = hi - lo;
        g->pauses[k].relative_position = span > 0 ? (g->pauses[k].position_mm - lo) / span : 0.5;
    }
    rc = an_find_strokes(s, a, b, pf, in_pause, &g->strokes, &g->nstrokes);
    if (rc != 0)
        goto out;
    if (g->tool == RM_TOOL_NONE || !rolled(g)) {
        /* Standing, walking, a hand pressing: described, not judged. */
        g->tool = RM_TOOL_NONE;
        free(g->pauses);
        free(g->strokes);
        g->pauses = NULL;
        g->strokes = NULL;
        g->npauses = g->nstrokes = 0;
        g->rolling.speed_median_mm_s = g->rolling.speed_p90_mm_s = NAN;
        g->rolling.fraction_slow = g->rolling.fraction_fast = NAN;
        g->rolling.cadence_hz = NAN;
        pressure_over_limit(s, in, g);
        rc = 0;
        goto out;
    }

    /* Rolling: loaded and not in a pause. Its positions, pauses cut out,
     * join without a jump (a pause starts and ends where the roller stands),
     * and carry the back-and-forth whose rhythm is the cadence. */
    size_t ns = 0, np = 0;
    double slow = 0, fast = 0;
    int64_t decim = (int64_t)floor(s->rate_hz / 10.0);
    if (decim < 1)
        decim = 1;
    int64_t seen = 0;
    double pitch = g->axis == RM_AXIS_COLS   ? in->meta->pitch_col_mm
                   : g->axis == RM_AXIS_ROWS ? in->meta->pitch_row_mm
                                             : fmax(in->meta->pitch_row_mm, in->meta->pitch_col_mm);
    double *cum = malloc((len ? len : 1) * sizeof(double));
    if (!cum) {
        rc = RM_ENOMEM;
        goto out;
    }
    path_along(s, a, b, cum);
    for (int64_t i = a; i < b; i++) {
        if (!s->loaded[i] || in_pause[i - a])
            continue;
        double dt = frame_dt(s, i);
        g->rolling.path_mm += fabs(s->v[i]) * dt;
        double sp = pitch_speed(s, a, b, i, cum, pitch);
        g->rolling.time_s += dt;
        if (sp <= pf->speed_slow_max_mm_s)
            slow += dt;
        if (sp > pf->speed_fast_mm_s)
            fast += dt;
        speeds[ns++] = sp;
        if (seen++ % decim == 0)
            roll_p[np++] = s->p[i];
    }
    if (ns > 0) {
        qsort(speeds, ns, sizeof(double), rm_cmp_double);
        g->rolling.speed_median_mm_s = speeds[ns / 2];
        g->rolling.speed_p90_mm_s = rm_quantile_sorted(speeds, ns, 0.9);
        g->rolling.fraction_slow = slow / g->rolling.time_s;
        g->rolling.fraction_fast = fast / g->rolling.time_s;
    } else {
        g->rolling.speed_median_mm_s = NAN;
        g->rolling.speed_p90_mm_s = NAN;
        g->rolling.fraction_slow = NAN;
        g->rolling.fraction_fast = NAN;
    }
    free(cum);
    bool clear;
    double f_peak =
        an_dominant_frequency(roll_p, np, s->rate_hz / (double)decim, 0.01, AN_LOWPASS_HZ, &clear);
    g->rolling.cadence_hz = cadence(g, f_peak, clear);

    pressure_over_limit(s, in, g);
    rc = 0;
out:
    free(in_pause);
    free(speeds);
    free(roll_p);
    return rc;
}

/* Pressure held above the limit: the contact-mean averaged over a sliding
 * second, so a single frame's spike is not judged. */
static void pressure_over_limit(const struct an_series *s, const struct an_doc_input *in,
                                struct rm_segment *g)
{
    const struct rm_profile *pf = in->profile;
    int64_t a = g->frame_start, b = g->frame_end;
    if (in->calibrated) {
        int64_t win = (int64_t)llround(s->rate_hz);
        if (win < 1)
            win = 1;
        double acc = 0;
        int64_t cnt = 0;
        for (int64_t i = a; i < b; i++) {
            bool ok = s->loaded[i] && isfinite(s->mean[i]);
            acc += ok ? s->mean[i] : 0;
            cnt += ok;
            if (i - win >= a) {
                bool ok0 = s->loaded[i - win] && isfinite(s->mean[i - win]);
                acc -= ok0 ? s->mean[i - win] : 0;
                cnt -= ok0;
            }
            if (ok && cnt >= win / 2) {
                double m = acc / (double)cnt;
                if (m > pf->pressure_max_kpa) {
                    g->pressure.over_limit_s += frame_dt(s, i);
                    if (m > g->pressure.over_limit_kpa)
                        g->pressure.over_limit_kpa = m;
                }
            }
        }
    }
}

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

int an_session_add(struct an_session *ss, const struct an_series *s, const struct an_doc_input *in,
                   const struct rm_segment *seg, int64_t frame_base)
{
    if (ss->n == ss->cap) {
        size_t nc = ss->cap ? 2 * ss->cap : 8;
        struct rm_segment *segs = realloc(ss->segs, nc * sizeof(*segs));
        if (!segs)
            return RM_ENOMEM;
        ss->segs = segs;
        ss->cap = nc;
    }
    struct rm_segment *g = &ss->segs[ss->n];
    *g = *seg;
    g->pauses = NULL;
    g->strokes = NULL;
    g->other_contacts = NULL;
    g->advice = NULL;
    g->npauses = g->nstrokes = g->nother_contacts = g->nadvice = 0;
    int rc = segment_figures(s, in, g);
    if (rc == 0)
        rc = other_contacts(s, in, g);
    if (rc != 0) {
        an_segment_clear(g);
        return rc;
    }
    g->frame_start += frame_base;
    g->frame_end += frame_base;
    ss->n++;
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

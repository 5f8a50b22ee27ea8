/* One segment's figures (rolling, pauses, strokes, cadence, pressure,
 * other contacts), accounted in steps as its frames stream past, so that an
 * unbroken two-hour segment needs no more memory than a five-minute one
 * (an_run.h explains the steps and their cuts). */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_contacts.h"
#include "an_run.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_stats.h"

#define LOG_PREFIX "analysis"

/* ---- a histogram of speeds ------------------------------------------------ */

static size_t speed_bin(double v)
{
    if (!(v >= AN_SPEED_MIN_MM_S))
        return 0;
    double k = 1 + floor(log(v / AN_SPEED_MIN_MM_S) / log(AN_SPEED_RATIO));
    return k >= AN_SPEED_BINS - 1 ? AN_SPEED_BINS - 1 : (size_t)k;
}

/* ---- per-frame helpers ------------------------------------------------------ */

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

/* The distance travelled up to each frame of s along the filtered
 * position x (cum, s->n entries): the sum of its steps' sizes within each
 * loaded run. */
static void travel_along(const struct an_series *s, const double *x, double *cum)
{
    double acc = 0;
    for (int64_t i = 0; i < s->n; i++) {
        if (i > 0 && s->loaded[i] && s->loaded[i - 1] && isfinite(x[i]) && isfinite(x[i - 1]))
            acc += fabs(x[i] - x[i - 1]);
        cum[i] = acc;
    }
}

/* The speed at frame i along one coordinate, measured over one sensel
 * pitch of its travel centred on i (at most AN_PITCH_WINDOW_S either side,
 * within the loaded run); -1 when no time passes. The centre of pressure
 * of a contact a few sensels wide errs by a fraction of a millimetre to a
 * few millimetres, periodically with each pitch travelled (the sensels
 * sample the contact, and a small contact on a coarse grid moves in a
 * staircase); over exactly one pitch that error cancels, so a coarse mat
 * (30 mm sensels) measures speed as well as a fine one. */
#define AN_PITCH_WINDOW_S 1.0
static double pitch_speed(const struct an_series *s, int64_t i, const double *cum, double pitch)
{
    int64_t lo = i, hi = i;
    double half = pitch / 2;
    while (lo > 0 && s->loaded[lo - 1] && s->t[i] - s->t[lo - 1] <= AN_PITCH_WINDOW_S &&
           cum[i] - cum[lo] < half)
        lo--;
    while (hi + 1 < s->n && s->loaded[hi + 1] && s->t[hi + 1] - s->t[i] <= AN_PITCH_WINDOW_S &&
           cum[hi] - cum[i] < half)
        hi++;
    /* Keep the window symmetric in travel, so a speed changing along it is
     * measured at i. */
    double back = cum[i] - cum[lo], fwd = cum[hi] - cum[i];
    if (back < half || fwd < half) {
        double h = fmin(back, fwd);
        while (lo < i && cum[i] - cum[lo + 1] >= h)
            lo++;
        while (hi > i && cum[hi - 1] - cum[i] >= h)
            hi--;
    }
    double dt = s->t[hi] - s->t[lo];
    return dt > 0 && hi > lo ? (cum[hi] - cum[lo]) / dt : -1;
}

/* The roll speed at frame i: along the roll axis for a roller; a ball's
 * path speed from its speeds along the rows and the columns, each over a
 * pitch of its own travel (over a pitch of path, a diagonal path would
 * cross the sensels of each axis a fraction of a pitch, and the staircase
 * of a small contact on a coarse grid would not cancel). */
static double roll_speed(const struct an_series *s, int64_t i, const double *cum_p,
                         const double *cum_q, double pitch_p, double pitch_q)
{
    double vp = pitch_speed(s, i, cum_p, pitch_p);
    double vq = cum_q ? pitch_speed(s, i, cum_q, pitch_q) : 0;
    return vp < 0 || vq < 0 ? fabs(s->v[i]) : hypot(vp, vq);
}

/* ---- keeping events ----------------------------------------------------------- */

/* Other contacts (a hand, a knee): runs of frames with one at about the
 * same place (within AN_OTHER_SAME_MM of the run's mean), bridged across
 * AN_OTHER_BRIDGE_S, kept from AN_OTHER_MIN_S on: their time, mean
 * position and peak. Up to two at once (both hands down). */
#define AN_OTHER_BRIDGE_S 0.3
#define AN_OTHER_MIN_S    0.3
#define AN_OTHER_SAME_MM  150.0
_Static_assert(AN_MAX_OTHERS ==
                   sizeof(((struct an_segment_acc *)0)->oth) / sizeof(struct an_other_run),
               "a run for every other contact a frame keeps");
static int other_close(struct an_segment_acc *acc, struct an_other_run *run, bool calibrated)
{
    if (!run->open)
        return 0;
    run->open = false;
    if (run->t1 - run->t0 < AN_OTHER_MIN_S || !(run->w > 0))
        return 0;
    struct rm_segment *g = &acc->g;
    if (an_grow((void **)&g->other_contacts, &acc->cap_other, g->nother_contacts,
                sizeof(*g->other_contacts)) != 0)
        return RM_ENOMEM;
    struct rm_other_contact *o = &g->other_contacts[g->nother_contacts++];
    o->t_start = run->t0;
    o->t_end = run->t1;
    o->position_xy_mm[0] = run->r / run->w;
    o->position_xy_mm[1] = run->c / run->w;
    o->peak_kpa = calibrated ? run->peak : NAN;
    return 0;
}

static int other_close_all(struct an_segment_acc *acc, bool calibrated)
{
    int rc = 0;
    for (size_t j = 0; j < AN_MAX_OTHERS && rc == 0; j++)
        rc = other_close(acc, &acc->oth[j], calibrated);
    return rc;
}

static int other_frame(struct an_segment_acc *acc, const struct an_series *s, int64_t i,
                       bool calibrated)
{
    /* Runs not seen for longer than the bridge are over. */
    for (size_t j = 0; j < AN_MAX_OTHERS; j++)
        if (acc->oth[j].open && s->t[i] - acc->oth[j].t1 > AN_OTHER_BRIDGE_S) {
            int rc = other_close(acc, &acc->oth[j], calibrated);
            if (rc != 0)
                return rc;
        }
    bool taken[AN_MAX_OTHERS] = {false};
    for (size_t k = 0; k < AN_MAX_OTHERS; k++) {
        double w = s->oth_force[k][i], row = s->oth_row[k][i], col = s->oth_col[k][i];
        if (!(w > 0))
            continue;
        /* The run under way nearest this contact, else a free one. */
        struct an_other_run *run = NULL;
        double best = AN_OTHER_SAME_MM;
        for (size_t j = 0; j < AN_MAX_OTHERS; j++) {
            struct an_other_run *r = &acc->oth[j];
            if (!r->open || taken[j])
                continue;
            double d = hypot(r->r / r->w - row, r->c / r->w - col);
            if (d <= best) {
                best = d;
                run = r;
            }
        }
        for (size_t j = 0; j < AN_MAX_OTHERS && !run; j++)
            if (!acc->oth[j].open) {
                run = &acc->oth[j];
                *run = (struct an_other_run){.open = true, .t0 = s->t[i]};
            }
        /* Both under way, neither near: the contact moved; the nearer. */
        best = INFINITY;
        for (size_t j = 0; j < AN_MAX_OTHERS && best == INFINITY && !run; j++)
            for (size_t m = 0; m < AN_MAX_OTHERS; m++) {
                struct an_other_run *r = &acc->oth[m];
                double d = taken[m] ? INFINITY : hypot(r->r / r->w - row, r->c / r->w - col);
                if (d < best) {
                    best = d;
                    run = r;
                }
            }
        if (!run)
            continue;
        taken[run - acc->oth] = true;
        run->r += w * row;
        run->c += w * col;
        run->w += w;
        run->peak = fmax(run->peak, s->oth_peak[k][i]);
        run->t1 = s->t[i];
    }
    return 0;
}

/* Keeps the pauses and strokes found in view v that start in [lo, cut) and
 * after those kept already (a step's context finds the last ones again). */
static int keep_events(struct an_segment_acc *acc, const struct an_series *v, int64_t lo,
                       int64_t cut, const struct rm_pause *p, size_t np, const struct rm_stroke *k,
                       size_t nk)
{
    struct rm_segment *g = &acc->g;
    for (size_t i = 0; i < np; i++) {
        int64_t at = an_series_frame_at(v, p[i].t_start, false);
        if (at < lo || at >= cut || !(p[i].t_start > acc->last_pause_t))
            continue;
        if (an_grow((void **)&g->pauses, &acc->cap_pauses, g->npauses, sizeof(*p)) != 0)
            return RM_ENOMEM;
        g->pauses[g->npauses++] = p[i];
        acc->last_pause_t = p[i].t_start;
    }
    for (size_t i = 0; i < nk; i++) {
        int64_t at = an_series_frame_at(v, k[i].t_start, false);
        if (at < lo || at >= cut || !(k[i].t_start > acc->last_stroke_t))
            continue;
        if (an_grow((void **)&g->strokes, &acc->cap_strokes, g->nstrokes, sizeof(*k)) != 0)
            return RM_ENOMEM;
        g->strokes[g->nstrokes++] = k[i];
        acc->last_stroke_t = k[i].t_start;
    }
    return 0;
}

/* Where a step may cut view v (frames from `from` on not yet accounted):
 * the start of the latest stroke that lies before the window's last
 * AN_CHUNK_MARGIN_S, that moved more than twice the pause tolerance (no
 * pause can merge across it), and before which every pause and stroke
 * has ended in that reach, and not just after a return to the mat
 * (maybe_next_muscle). 0: nowhere yet. */
/* Whether frame `at` of v comes less than AN_LATE_LABEL_S after the person
 * got back on from AN_LABEL_GAP_S or more off the mat: the next muscle's
 * label may still come (typed late), and the frames since then must stay
 * unaccounted for stream.c to move the boundary back to the gap. */
static bool maybe_next_muscle(const struct an_series *v, int64_t at)
{
    double off = 0;
    for (int64_t i = at; i > 0 && v->t[at] - v->t[i - 1] < AN_LATE_LABEL_S; i--) {
        if (v->loaded[i - 1]) {
            if (off >= AN_LABEL_GAP_S)
                return true;
            off = 0;
            continue;
        }
        off += an_gap_step(v->t[i - 1], v->t[i], v->rate_hz);
    }
    return off >= AN_LABEL_GAP_S;
}

static int64_t choose_cut(const struct an_series *v, int64_t from, const struct rm_pause *p,
                          size_t np, const struct rm_stroke *k, size_t nk, double tol)
{
    if (v->n == 0)
        return 0;
    double t_lim = v->t[v->n - 1] - AN_CHUNK_MARGIN_S, end_before = -INFINITY;
    int64_t cut = 0;
    size_t ip = 0;
    for (size_t i = 0; i < nk && k[i].t_start <= t_lim; i++) {
        while (ip < np && p[ip].t_start < k[i].t_start)
            end_before = fmax(end_before, p[ip++].t_end);
        double disp = k[i].mean_speed_mm_s * (k[i].t_end - k[i].t_start);
        int64_t at = an_series_frame_at(v, k[i].t_start, false);
        if (at > from && end_before < t_lim && disp > 2 * tol && !maybe_next_muscle(v, at))
            cut = at;
        end_before = fmax(end_before, k[i].t_end);
    }
    return cut;
}

/* ---- a pause longer than a step reaches ---------------------------------- */

/* The pause of p[0..np) under way at time t, or NULL. */
static const struct rm_pause *pause_at(const struct rm_pause *p, size_t np, double t)
{
    for (size_t i = 0; i < np; i++)
        if (p[i].t_start <= t && t <= p[i].t_end)
            return &p[i];
    return NULL;
}

static int keep_pause(struct an_segment_acc *acc, struct rm_pause *q,
                      const struct an_pause_sums *ps, const struct rm_profile *pf)
{
    struct rm_segment *g = &acc->g;
    an_pause_fill(q, ps, pf, acc->calibrated);
    if (an_grow((void **)&g->pauses, &acc->cap_pauses, g->npauses, sizeof(*q)) != 0)
        return RM_ENOMEM;
    g->pauses[g->npauses++] = *q;
    return 0;
}

#define AN_HOLD_RESUME_S 2.0

/* The hold under way at view frame `from` (v's frames before it are
 * accounted): it goes on into the view's last AN_CHUNK_MARGIN_S (wait), or
 * it ended: keep it, its pieces summed, as one pause (two, should the
 * whole have strayed beyond the tolerance that each piece kept). */
static int hold_resume(struct an_segment_acc *acc, const struct an_series *v, int64_t from,
                       const struct rm_pause *p, size_t np, bool final, const struct rm_profile *pf)
{
    /* The view starts inside the hold, and the pause finder may trim its
     * first frames as a settling (a sensor creeping): the continuation may
     * begin a little after the cut. */
    const struct rm_pause *q = NULL;
    for (size_t i = 0; from < v->n && i < np && !q; i++)
        if (p[i].t_end >= v->t[from] && p[i].t_start <= v->t[from] + AN_HOLD_RESUME_S)
            q = &p[i];
    if (q && !final && q->t_end > v->t[v->n - 1] - AN_CHUNK_MARGIN_S)
        return 0;
    acc->hold_on = false;
    struct rm_pause whole = acc->hold;
    whole.t_end = q ? q->t_end : v->t[from > 0 ? from - 1 : 0];
    if (!q) /* it ended at the cut */
        return keep_pause(acc, &whole, &acc->hold_sums, pf);
    struct an_pause_sums rest, all = acc->hold_sums;
    an_pause_sums_init(&rest);
    int64_t end = an_series_frame_at(v, q->t_end, true);
    an_pause_sums_add(&rest, v, from, end);
    an_pause_sums_merge(&all, &rest);
    acc->last_pause_t = q->t_start; /* found again in this view: kept here */
    if (an_pause_sums_within(&all, pf->pause_tolerance_mm))
        return keep_pause(acc, &whole, &all, pf);
    whole.t_end = v->t[from];
    struct rm_pause after = {.t_start = v->t[from], .t_end = q->t_end};
    int rc = keep_pause(acc, &whole, &acc->hold_sums, pf);
    return rc ? rc : keep_pause(acc, &after, &rest, pf);
}

/* No stroke to cut at, and a pause reaches into the view's last
 * AN_CHUNK_MARGIN_S: cut inside it, summing its frames so far. Returns the
 * cut (0: none) and, in *keep_to, the frame before which events are kept. */
static int64_t hold_cut(struct an_segment_acc *acc, const struct an_series *v, int64_t from,
                        const struct rm_pause *p, size_t np, int64_t *keep_to)
{
    int64_t cut = an_series_frame_at(v, v->t[v->n - 1] - AN_CHUNK_MARGIN_S, false);
    const struct rm_pause *q = cut < v->n ? pause_at(p, np, v->t[cut]) : NULL;
    if (!q || cut <= from)
        return 0;
    int64_t first = acc->hold_on ? from : an_series_frame_at(v, q->t_start, false);
    if (first < from)
        return 0; /* begun in frames accounted already: not the same finding */
    if (!acc->hold_on) {
        acc->hold_on = true;
        acc->hold = *q;
        an_pause_sums_init(&acc->hold_sums);
    }
    an_pause_sums_add(&acc->hold_sums, v, first, cut);
    *keep_to = first;
    return cut;
}

/* ---- accounting frames ------------------------------------------------------- */

/* Adds frames [from, to) of view v to the sums, the speeds and the other
 * contacts. in_pause marks v's pause frames. */
static int account(struct an_segment_acc *acc, const struct an_series *s, int64_t from, int64_t to,
                   const uint8_t *in_pause, const double *cum_p, const double *cum_q,
                   const struct an_doc_input *in)
{
    const struct rm_profile *pf = in->profile;
    struct rm_segment *g = &acc->g;
    int64_t decim = (int64_t)floor(s->rate_hz / 10.0);
    if (decim < 1)
        decim = 1;
    /* p is along the rows but for a roller rolling along the columns; a
     * ball's q is along the columns. */
    double pitch_p = g->axis == RM_AXIS_COLS ? in->meta->pitch_col_mm : in->meta->pitch_row_mm;
    double pitch_q = in->meta->pitch_col_mm;
    /* Pressure held above the limit: the contact-mean averaged over a
     * sliding second (within the segment), so a single frame's spike is not
     * judged. The window warms up over the frames before `from`. */
    int64_t win = (int64_t)llround(s->rate_hz);
    if (win < 1)
        win = 1;
    double macc = 0;
    int64_t mcnt = 0;
    for (int64_t i = from - win > 0 ? from - win : 0; i < to; i++) {
        bool ok = s->loaded[i] && isfinite(s->mean[i]);
        macc += ok ? s->mean[i] : 0;
        mcnt += ok;
        if (i - win >= 0) {
            bool ok0 = s->loaded[i - win] && isfinite(s->mean[i - win]);
            macc -= ok0 ? s->mean[i - win] : 0;
            mcnt -= ok0;
        }
        if (i < from)
            continue;
        if (in->calibrated && ok && mcnt >= win / 2) {
            double m = macc / (double)mcnt;
            if (m > pf->pressure_max_kpa) {
                g->pressure.over_limit_s += frame_dt(s, i);
                if (m > g->pressure.over_limit_kpa)
                    g->pressure.over_limit_kpa = m;
            }
        }
        int rc = other_frame(acc, s, i, in->calibrated);
        if (rc != 0)
            return rc;
        if (!s->loaded[i])
            continue;
        double dt = frame_dt(s, i);
        g->loaded_s += dt;
        acc->lo = fmin(acc->lo, s->p[i]);
        acc->hi = fmax(acc->hi, s->p[i]);
        if (isfinite(s->q[i])) {
            acc->qlo = fmin(acc->qlo, s->q[i]);
            acc->qhi = fmax(acc->qhi, s->q[i]);
        }
        acc->fsum += s->force[i];
        acc->msum += s->mean[i];
        acc->asum += s->area_cm2[i];
        acc->peak = fmax(acc->peak, s->peak[i]);
        acc->nl++;
        if (in_pause[i])
            continue;
        /* Rolling: loaded and not in a pause. Its positions, pauses cut
         * out, join without a jump (a pause starts and ends where the
         * roller stands), and carry the back-and-forth whose rhythm is the
         * cadence. */
        double sp = roll_speed(s, i, cum_p, cum_q, pitch_p, pitch_q);
        g->rolling.path_mm += fabs(s->v[i]) * dt;
        g->rolling.time_s += dt;
        if (sp <= pf->speed_slow_max_mm_s)
            acc->slow_s += dt;
        if (sp > pf->speed_fast_mm_s)
            acc->fast_s += dt;
        acc->speed_bins[speed_bin(sp)]++;
        acc->nspeeds++;
        if (acc->seen++ % decim == 0) {
            if (an_grow((void **)&acc->roll_p, &acc->cap_p, acc->np, sizeof(double)) != 0)
                return RM_ENOMEM;
            acc->roll_p[acc->np++] = s->p[i];
        }
    }
    return 0;
}

static double loaded_time(const struct an_series *s)
{
    double t = 0;
    for (int64_t i = 0; i < s->n; i++)
        if (s->loaded[i])
            t += frame_dt(s, i);
    return t;
}

/* ---- the accumulator --------------------------------------------------------- */

int an_segment_acc_begin(struct an_segment_acc *acc, const char *label, bool from_events,
                         double t_start, int64_t start)
{
    memset(acc, 0, sizeof(*acc));
    snprintf(acc->g.label, sizeof(acc->g.label), "%s", label);
    acc->g.from_events = from_events;
    acc->g.t_start = t_start;
    acc->start = acc->done = start;
    acc->last_pause_t = acc->last_stroke_t = -INFINITY;
    acc->lo = acc->qlo = INFINITY;
    acc->hi = acc->qhi = -INFINITY;
    acc->speed_bins = calloc(AN_SPEED_BINS, sizeof(*acc->speed_bins));
    return acc->speed_bins ? 0 : RM_ENOMEM;
}

int64_t an_segment_acc_keep_from(const struct an_segment_acc *acc, double rate_hz, int64_t base)
{
    int64_t from = acc->done - (int64_t)llround(AN_CHUNK_CONTEXT_S * rate_hz);
    return (from > acc->start ? from : acc->start) - base;
}

int an_segment_acc_step(struct an_segment_acc *acc, struct an_series *w, int64_t base, int64_t b,
                        bool final, const struct an_doc_input *in)
{
    acc->rate_hz = w->rate_hz;
    int64_t va = an_segment_acc_keep_from(acc, w->rate_hz, base);
    assert(va >= 0 && va <= b && b <= w->n && acc->done - base <= b);
    struct an_series v;
    an_series_view(w, va, b, &v);
    int64_t from = acc->done - base - va;
    if (!acc->classified) {
        if (!final && loaded_time(&v) < AN_CLASSIFY_MIN_S)
            return 0;
        an_classify_tool(&v, &acc->g.tool, &acc->g.axis);
        acc->classified = true;
    }
    int rc = an_motion(&v, acc->g.tool, acc->g.axis);
    if (rc != 0)
        return rc;
    size_t len = (size_t)v.n;
    uint8_t *in_pause = calloc(len ? len : 1, 1);
    bool ball = acc->g.tool == RM_TOOL_BALL;
    double *cum = malloc((len ? len : 1) * sizeof(double) * (ball ? 2 : 1));
    struct rm_pause *p = NULL;
    struct rm_stroke *k = NULL;
    size_t np = 0, nk = 0;
    rc = RM_ENOMEM;
    if (!in_pause || !cum)
        goto out;
    const struct rm_profile *pf = in->profile;
    if ((rc = an_find_pauses(&v, 0, v.n, pf, in->calibrated, &p, &np, in_pause)) != 0)
        goto out;
    if ((rc = an_find_strokes(&v, 0, v.n, pf, in_pause, &k, &nk)) != 0)
        goto out;
    acc->calibrated = in->calibrated;
    if (acc->hold_on && (rc = hold_resume(acc, &v, from, p, np, final, pf)) != 0)
        goto out;
    int64_t cut = final ? v.n : choose_cut(&v, from, p, np, k, nk, pf->pause_tolerance_mm);
    int64_t keep_to = cut;
    if (!final && (cut == 0 || acc->hold_on))
        cut = hold_cut(acc, &v, from, p, np, &keep_to);
    if (cut > from) {
        /* A stroke found again a frame early (the low-pass of a longer run
         * differs in the last bits) is still the one at the cut. */
        int64_t lo = acc->done > acc->start ? from - 2 : 0;
        travel_along(&v, v.p, cum);
        if (ball)
            travel_along(&v, v.q, cum + len);
        if ((rc = keep_events(acc, &v, lo, keep_to, p, np, k, nk)) != 0)
            goto out;
        if ((rc = account(acc, &v, from, cut, in_pause, cum, ball ? cum + len : NULL, in)) != 0)
            goto out;
        rm_dbg("%s: accounted frames %lld to %lld%s", acc->g.label, (long long)acc->done,
               (long long)(base + va + cut), final ? " (end)" : "");
        acc->done = base + va + cut;
    }
    rc = 0;
out:
    free(in_pause);
    free(cum);
    free(p);
    free(k);
    return rc;
}

void an_segment_acc_free(struct an_segment_acc *acc)
{
    an_segment_clear(&acc->g);
    free(acc->speed_bins);
    free(acc->roll_p);
    memset(acc, 0, sizeof(*acc));
}

int an_segment_acc_end(struct an_segment_acc *acc, double t_end, int64_t frame_end,
                       const struct an_doc_input *in, struct an_session *ss)
{
    int rc = other_close_all(acc, in->calibrated);
    if (rc == 0) {
        an_segment_acc_figures(acc, t_end, frame_end);
        rc = an_session_add(ss, &acc->g);
    }
    an_segment_acc_free(acc);
    return rc;
}

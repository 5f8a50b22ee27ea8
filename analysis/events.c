/* Pauses, holds and strokes inside one segment, as analysis-output.md
 * defines them. A pause begins where the roll speed falls below
 * pause_speed_mm_s and ends where it rises back above it, lasts at least
 * pause_min_s, and p(t) stays within pause_tolerance_mm of its mean. Stops
 * separated by a wobble shorter than AN_WOBBLE_MAX_S whose union still
 * stays within the tolerance are one pause: a hold split by a wobble is one
 * hold. A reversal's dip of speed lasts a fraction of a second and never
 * reaches pause_min_s. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rm_stats.h"
#include "an_internal.h"
#include "rm_error.h"

/* The longest movement that still counts as a wobble inside one pause: a
 * movement shorter than the shortest pause cannot be a pass of rolling. */
#define AN_WOBBLE_MAX_S 2.0
/* A stop that begins as the person gets on (or ends as they get off) starts
 * once the force has reached this share of the stop's median force: the
 * second of settling onto the roller is not yet a pause on the spot. */
#define AN_SETTLED_SHARE 0.9

struct run {
    int64_t a, b; /* frames [a, b) */
};

/* Whether p(t) stays within tol of its mean over the loaded frames of [a,
 * b); a ball's position is 2-D (p and q). */
static bool within_tolerance(const struct an_series *s, int64_t a, int64_t b, double tol,
                             double *mean_out)
{
    double sum = 0, qsum = 0;
    int64_t cnt = 0;
    for (int64_t i = a; i < b; i++)
        if (s->loaded[i]) {
            sum += s->p[i];
            qsum += isfinite(s->q[i]) ? s->q[i] : 0;
            cnt++;
        }
    if (cnt == 0)
        return false;
    double mean = sum / (double)cnt, qmean = qsum / (double)cnt;
    *mean_out = mean;
    for (int64_t i = a; i < b; i++) {
        if (!s->loaded[i])
            continue;
        double d =
            isfinite(s->q[i]) ? hypot(s->p[i] - mean, s->q[i] - qmean) : fabs(s->p[i] - mean);
        if (d > tol)
            return false;
    }
    return true;
}

static bool all_loaded(const struct an_series *s, int64_t a, int64_t b)
{
    for (int64_t i = a; i < b; i++)
        if (!s->loaded[i])
            return false;
    return true;
}

/* Time where the speed crosses thr between frames i-1 and i (linear), or
 * t[i] when there is no frame before. */
static double crossing(const struct an_series *s, int64_t i, int64_t lo, double thr)
{
    if (i <= lo || !s->loaded[i - 1])
        return s->t[i];
    double s0 = fabs(s->v[i - 1]), s1 = fabs(s->v[i]);
    if (s0 == s1)
        return s->t[i];
    double w = (thr - s0) / (s1 - s0);
    if (w < 0)
        w = 0;
    if (w > 1)
        w = 1;
    return s->t[i - 1] + w * (s->t[i] - s->t[i - 1]);
}

/* Trims the frames of run [*ra, *rb) where the person is still getting on
 * (the run starts at the first loaded frame) or already getting off (it ends
 * at the last): those whose force is below AN_SETTLED_SHARE of the run's
 * median. buf holds at least *rb - *ra doubles. */
static void trim_settling(const struct an_series *s, int64_t a, int64_t b, int64_t *ra, int64_t *rb,
                          double *buf)
{
    bool on_edge = *ra == a || !s->loaded[*ra - 1];
    bool off_edge = *rb == b || !s->loaded[*rb];
    if (!on_edge && !off_edge)
        return;
    size_t len = (size_t)(*rb - *ra);
    memcpy(buf, s->force + *ra, len * sizeof(*buf));
    qsort(buf, len, sizeof(*buf), rm_cmp_double);
    double settled = AN_SETTLED_SHARE * buf[len / 2];
    if (on_edge)
        while (*rb - *ra > 1 && s->force[*ra] < settled)
            (*ra)++;
    if (off_edge)
        while (*rb - *ra > 1 && s->force[*rb - 1] < settled)
            (*rb)--;
}

void an_pause_sums_init(struct an_pause_sums *ps)
{
    memset(ps, 0, sizeof(*ps));
    ps->p_lo = ps->q_lo = INFINITY;
    ps->p_hi = ps->q_hi = -INFINITY;
}

void an_pause_sums_add(struct an_pause_sums *ps, const struct an_series *s, int64_t a, int64_t b)
{
    for (int64_t i = a; i < b; i++) {
        ps->force += s->force[i];
        ps->row += s->cop_row[i];
        ps->col += s->cop_col[i];
        if (isfinite(s->mean[i])) { /* contact-mean: frames with contact */
            ps->mean += s->mean[i];
            ps->nmean++;
        }
        ps->peak = fmax(ps->peak, s->peak[i]);
        ps->p += s->p[i];
        ps->p_lo = fmin(ps->p_lo, s->p[i]);
        ps->p_hi = fmax(ps->p_hi, s->p[i]);
        if (isfinite(s->q[i])) {
            ps->q += s->q[i];
            ps->q_lo = fmin(ps->q_lo, s->q[i]);
            ps->q_hi = fmax(ps->q_hi, s->q[i]);
        }
        ps->n++;
    }
}

void an_pause_sums_merge(struct an_pause_sums *into, const struct an_pause_sums *from)
{
    into->n += from->n;
    into->nmean += from->nmean;
    into->force += from->force;
    into->mean += from->mean;
    into->peak = fmax(into->peak, from->peak);
    into->row += from->row;
    into->col += from->col;
    into->p += from->p;
    into->q += from->q;
    into->p_lo = fmin(into->p_lo, from->p_lo);
    into->p_hi = fmax(into->p_hi, from->p_hi);
    into->q_lo = fmin(into->q_lo, from->q_lo);
    into->q_hi = fmax(into->q_hi, from->q_hi);
}

bool an_pause_sums_within(const struct an_pause_sums *ps, double tol)
{
    if (ps->n == 0)
        return false;
    double n = (double)ps->n, mp = ps->p / n, mq = ps->q / n;
    double dp = fmax(ps->p_hi - mp, mp - ps->p_lo);
    /* A ball's: the farthest corner of the box, at least as far as any
     * position. */
    double dq = ps->q_hi >= ps->q_lo ? fmax(ps->q_hi - mq, mq - ps->q_lo) : 0;
    return hypot(dp, dq) <= tol;
}

void an_pause_fill(struct rm_pause *p, const struct an_pause_sums *ps, const struct rm_profile *pf,
                   bool calibrated)
{
    double n = (double)ps->n;
    p->duration_s = p->t_end - p->t_start;
    p->position_mm = ps->n ? ps->p / n : NAN;
    p->relative_position = NAN;
    p->hold = p->duration_s >= pf->hold_min_s;
    p->position_xy_mm[0] = ps->n ? ps->row / n : NAN;
    p->position_xy_mm[1] = ps->n ? ps->col / n : NAN;
    p->mean_force_n = calibrated && ps->n ? ps->force / n : NAN;
    p->peak_pressure_kpa = calibrated ? ps->peak : NAN;
    p->mean_pressure_kpa = calibrated && ps->nmean ? ps->mean / (double)ps->nmean : NAN;
}

int an_find_pauses(const struct an_series *s, int64_t a, int64_t b, const struct rm_profile *pf,
                   bool calibrated, struct rm_pause **out, size_t *nout, uint8_t *in_pause)
{
    *out = NULL;
    *nout = 0;
    if (in_pause)
        memset(in_pause, 0, (size_t)(b - a));
    size_t cap = 0, n = 0;
    struct run *runs = NULL;
    const double thr = pf->pause_speed_mm_s, tol = pf->pause_tolerance_mm;
    /* Stops: maximal runs of loaded frames slower than the threshold, each
     * merged into the previous one across a brief wobble when the union still
     * stands within the tolerance. */
    for (int64_t i = a; i < b;) {
        if (!s->loaded[i] || !(fabs(s->v[i]) < thr)) {
            i++;
            continue;
        }
        int64_t j = i;
        while (j < b && s->loaded[j] && fabs(s->v[j]) < thr)
            j++;
        double mean;
        if (n > 0 && s->t[i] - s->t[runs[n - 1].b - 1] <= AN_WOBBLE_MAX_S &&
            all_loaded(s, runs[n - 1].b, i) && within_tolerance(s, runs[n - 1].a, j, tol, &mean)) {
            runs[n - 1].b = j;
        } else {
            if (an_grow((void **)&runs, &cap, n, sizeof(*runs)) != 0) {
                free(runs);
                return RM_ENOMEM;
            }
            runs[n].a = i;
            runs[n].b = j;
            n++;
        }
        i = j;
    }

    int64_t longest = 1;
    for (size_t r = 0; r < n; r++)
        if (runs[r].b - runs[r].a > longest)
            longest = runs[r].b - runs[r].a;
    struct rm_pause *pauses = calloc(n ? n : 1, sizeof(*pauses));
    double *buf = malloc((size_t)longest * sizeof(*buf));
    if (!pauses || !buf) {
        free(pauses);
        free(buf);
        free(runs);
        return RM_ENOMEM;
    }
    size_t np = 0;
    for (size_t r = 0; r < n; r++) {
        int64_t ra = runs[r].a, rb = runs[r].b;
        trim_settling(s, a, b, &ra, &rb, buf);
        double t_start = ra == runs[r].a ? crossing(s, ra, a, thr) : s->t[ra];
        double t_end =
            rb < b && s->loaded[rb] && rb == runs[r].b ? crossing(s, rb, a, thr) : s->t[rb - 1];
        double mean;
        if (t_end - t_start < pf->pause_min_s || !within_tolerance(s, ra, rb, tol, &mean))
            continue;
        /* The settling frames are no rolling: they stay out of the strokes
         * and the rolling time, though not part of the pause's figures. */
        if (in_pause)
            memset(in_pause + (runs[r].a - a), 1, (size_t)(runs[r].b - runs[r].a));
        struct rm_pause *p = &pauses[np++];
        p->t_start = t_start;
        p->t_end = t_end;
        struct an_pause_sums sums;
        an_pause_sums_init(&sums);
        an_pause_sums_add(&sums, s, ra, rb);
        an_pause_fill(p, &sums, pf, calibrated);
    }
    free(buf);
    free(runs);
    *out = pauses;
    *nout = np;
    return 0;
}

int an_find_strokes(const struct an_series *s, int64_t a, int64_t b, const struct rm_profile *pf,
                    const uint8_t *in_pause, struct rm_stroke **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t cap = 0, n = 0;
    struct rm_stroke *st = NULL;
    const double thr = pf->pause_speed_mm_s;
    int dir = 0; /* direction of the stroke under way, 0: none */
    int64_t start = -1, last = -1;
    for (int64_t i = a; i <= b; i++) {
        bool rolling = i < b && s->loaded[i] && !in_pause[i - a];
        int d = 0;
        if (rolling)
            d = s->v[i] > thr ? 1 : s->v[i] < -thr ? -1 : 0;
        /* A stroke ends at a pause, an unloaded frame, the segment's end or
         * a movement in the other direction. */
        bool ends = start >= 0 && (!rolling || (d != 0 && d != dir));
        if (ends) {
            /* A ball's displacement is 2-D, its sign that of its speed. */
            double disp = s->p[last] - s->p[start];
            if (isfinite(s->q[last]) && isfinite(s->q[start]))
                disp = (dir > 0 ? 1 : -1) * hypot(disp, s->q[last] - s->q[start]);
            /* A displacement within the pause tolerance is a wobble. */
            if (fabs(disp) > pf->pause_tolerance_mm && s->t[last] > s->t[start]) {
                if (an_grow((void **)&st, &cap, n, sizeof(*st)) != 0) {
                    free(st);
                    return RM_ENOMEM;
                }
                struct rm_stroke *k = &st[n++];
                k->t_start = s->t[start];
                k->t_end = s->t[last];
                k->p_start_mm = s->p[start];
                k->p_end_mm = s->p[last];
                k->mean_speed_mm_s = fabs(disp) / (k->t_end - k->t_start);
            }
            start = -1;
            dir = 0;
        }
        if (rolling && d != 0 && start < 0) {
            /* Back up over the slow frames that led into the movement. */
            start = i;
            while (start > a && s->loaded[start - 1] && !in_pause[start - 1 - a] &&
                   fabs(s->v[start - 1]) <= thr && s->v[start - 1] * d >= 0)
                start--;
            dir = d;
        }
        if (rolling && start >= 0)
            last = i;
    }
    *out = st;
    *nout = n;
    return 0;
}

/* The online mode of the analysis (rm_online.h): frames are reduced to
 * their figures as they come (frames.c), marked loaded by the batch's
 * Schmitt trigger (series.c), and at each update the batch's motion
 * (an_motion) and pause finder (an_find_pauses) run over a window of
 * recent frames. The window reaches back at least WINDOW_MIN_S, and to
 * before the start of any pause not yet reported finished, so the pause
 * finder sees every pause whole, as it does in a batch run. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "an_frames.h"
#include "an_internal.h"
#include "rm_error.h"
#include "rm_online.h"

/* Frames kept behind the last one: the low-pass (2 Hz) and the pause
 * finder's merging of wobbles (2 s) need a few seconds of history. */
#define WINDOW_MIN_S 10.0
/* ... and at most, even inside a very long hold (its timer then counts
 * from the window's start). */
#define WINDOW_MAX_S 300.0
/* History kept before an unfinished pause, for its filtered start. */
#define ANCHOR_MARGIN_S 4.0
/* A pause is final once this long has passed since its end: later frames
 * can no longer merge a stop into it across a wobble (2 s, events.c) nor
 * move its filtered end. */
#define FINAL_AFTER_S 3.5
/* The last stretch of the window, where the zero-phase low-pass has seen
 * one side only: a pause reaching into it is taken as going on. */
#define EDGE_S 0.3
/* The speed shown is the mean over this much of the last loaded frames
 * (the filtered speed of a single frame at the window's edge jitters). */
#define SPEED_AVG_S 0.25
/* The contact floor and the load threshold are estimated again this often
 * from the frames kept so far (the batch run samples the whole file). */
#define ESTIMATE_EVERY_S  10.0
#define THRESHOLD_EVERY_S 1.0
/* Frames spread over the session for the contact floor (the batch run
 * reads 256), and the first estimate after this many frames. */
#define SAMPLE_FRAMES 256
#define FIRST_FRAMES  32
/* Forces spread over the session for the load threshold. */
#define FORCE_SAMPLES 4096
/* The pressure limit is judged on the contact-mean held for a second. */
#define LIMIT_WINDOW_S 1.0

/* A decimating reservoir: keeps every stride-th item, halving itself and
 * doubling the stride when full, so that it spreads evenly over all
 * items seen. */
struct reservoir {
    size_t n, cap, item;
    uint64_t stride, seen;
    unsigned char *data;
};

static int reservoir_init(struct reservoir *r, size_t cap, size_t item)
{
    *r = (struct reservoir){.cap = cap, .item = item, .stride = 1};
    r->data = malloc(cap * item);
    return r->data ? 0 : RM_ENOMEM;
}

static void reservoir_add(struct reservoir *r, const void *x)
{
    if (r->seen++ % r->stride != 0)
        return;
    if (r->n == r->cap) {
        for (size_t i = 0; i < r->cap / 2; i++)
            memcpy(r->data + i * r->item, r->data + 2 * i * r->item, r->item);
        r->n = r->cap / 2;
        r->stride *= 2;
    }
    memcpy(r->data + r->n++ * r->item, x, r->item);
}

struct rm_online {
    struct rm_rec_meta meta;
    const struct rm_calibration *cal;
    struct rm_profile pf;
    double rate_hz;
    size_t nsensels;

    struct an_frames fc;
    bool have_fc;
    struct an_scratch scratch;
    double next_estimate_t, next_threshold_t;
    double force_min, force_fallback, thr;
    struct reservoir frames; /* raw frames for the contact floor */
    struct reservoir forces; /* per-frame force for the load threshold */

    struct an_series w; /* the window; w.n frames of capacity cap */
    int64_t cap;
    bool on; /* the load trigger at the window's end */

    uint16_t *latest;
    double last_t;
    bool have_latest;

    /* finished pauses */
    struct rm_pause *pauses;
    char (*labels)[RM_EVENT_LABEL_LEN + 1];
    const char **label_ptrs;
    size_t npauses, pauses_cap;
    double last_final_end; /* t_end of the last finished pause */
    char label[RM_EVENT_LABEL_LEN + 1], prev_label[RM_EVENT_LABEL_LEN + 1];
    double label_since;

    /* the session so far */
    double last_update_t, loaded_s, rolling_s[4], over_limit_s;
};

int rm_online_new(struct rm_online **out, const struct rm_rec_meta *meta,
                  const struct rm_calibration *cal, const struct rm_profile *pf)
{
    *out = NULL;
    if (meta->rows <= 0 || meta->cols <= 0)
        return rm_fail(RM_EUSAGE, "online analysis: empty grid %dx%d", meta->rows, meta->cols);
    /* Owned by the caller until rm_online_free(). */
    struct rm_online *o = calloc(1, sizeof(*o));
    if (!o)
        return RM_ENOMEM;
    o->meta = *meta;
    o->cal = cal;
    o->pf = *pf;
    o->rate_hz = meta->rate_hz > 0 ? meta->rate_hz : 100;
    o->nsensels = (size_t)meta->rows * (size_t)meta->cols;
    o->cap = (int64_t)(WINDOW_MAX_S * o->rate_hz) + 1;
    o->last_final_end = -INFINITY;
    o->last_update_t = NAN;
    o->thr = INFINITY;
    int rc = an_series_alloc(&o->w, o->cap, o->rate_hz);
    o->w.n = 0;
    if (rc == 0)
        rc = reservoir_init(&o->frames, SAMPLE_FRAMES, o->nsensels * sizeof(uint16_t));
    if (rc == 0)
        rc = reservoir_init(&o->forces, FORCE_SAMPLES, sizeof(double));
    o->latest = malloc(o->nsensels * sizeof(uint16_t));
    if (rc == 0 && !o->latest)
        rc = RM_ENOMEM;
    if (rc != 0) {
        rm_online_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

void rm_online_free(struct rm_online *o)
{
    if (!o)
        return;
    an_frames_free(&o->fc);
    if (o->have_fc)
        an_frames_scratch_free(&o->scratch);
    an_series_free(&o->w);
    free(o->frames.data);
    free(o->forces.data);
    free(o->latest);
    free(o->pauses);
    free(o->labels);
    free(o->label_ptrs);
    free(o);
}

/* The contact floor from the frames kept so far, by the batch code. */
static int estimate_floor(struct rm_online *o)
{
    struct an_frames fc;
    int rc = an_frames_init(&fc, &o->meta, o->cal, (const uint16_t *)o->frames.data, o->frames.n);
    if (rc != 0)
        return rc;
    if (!o->have_fc && (rc = an_frames_scratch_new(&fc, &o->scratch)) != 0) {
        an_frames_free(&fc);
        return rc;
    }
    an_frames_free(&o->fc);
    o->fc = fc;
    o->have_fc = true;
    an_load_limits(&o->fc, &o->force_min, &o->force_fallback);
    return 0;
}

static void estimate_threshold(struct rm_online *o)
{
    o->thr =
        an_loaded_threshold((const double *)o->forces.data, (int64_t)o->forces.n, o->force_min);
    if (!isfinite(o->thr))
        o->thr = o->force_fallback;
}

/* Figures of one frame at the window's end. */
static void append(struct rm_online *o, double t, const uint16_t *sensels)
{
    struct an_series *w = &o->w;
    if (w->n == o->cap)
        an_series_drop_front(w, o->cap / 4);
    int64_t k = w->n++;
    w->t[k] = t;
    an_frames_compute(&o->fc, &o->scratch, sensels, 1, w, k);
    reservoir_add(&o->forces, &w->force[k]);
    if (t >= o->next_threshold_t) {
        estimate_threshold(o);
        o->next_threshold_t = t + THRESHOLD_EVERY_S;
    }
    o->on = an_mark_loaded_range(w, 0, k, k + 1, o->thr, o->on);
}

int rm_online_push(struct rm_online *o, double t, const uint16_t *sensels)
{
    if (o->w.n > 0 && !(t > o->w.t[o->w.n - 1]))
        return 0; /* the session never gives this; a stepper fed twice ignores it */
    memcpy(o->latest, sensels, o->nsensels * sizeof(uint16_t));
    o->last_t = t;
    o->have_latest = true;
    reservoir_add(&o->frames, sensels);
    if (!o->have_fc) {
        /* Frames wait in the reservoir (every one kept so far) until there
         * are enough for a first estimate, then go through in order. */
        if (o->frames.n < FIRST_FRAMES)
            return 0;
        assert(o->frames.stride == 1);
        int rc = estimate_floor(o);
        if (rc != 0)
            return rc;
        o->next_estimate_t = t + ESTIMATE_EVERY_S;
        double dt = 1.0 / o->rate_hz;
        for (size_t i = 0; i < o->frames.n; i++)
            append(o, t - (double)(o->frames.n - 1 - i) * dt,
                   (const uint16_t *)(o->frames.data + i * o->frames.item));
        return 0;
    }
    if (t >= o->next_estimate_t) {
        int rc = estimate_floor(o);
        if (rc != 0)
            return rc;
        o->next_estimate_t = t + ESTIMATE_EVERY_S;
    }
    append(o, t, sensels);
    return 0;
}

void rm_online_set_label(struct rm_online *o, const char *label)
{
    if (strcmp(label, o->label) == 0)
        return;
    memcpy(o->prev_label, o->label, sizeof(o->label));
    snprintf(o->label, sizeof(o->label), "%s", label);
    o->label_since = o->w.n ? o->w.t[o->w.n - 1] : 0;
}

static int keep_pause(struct rm_online *o, const struct rm_pause *p)
{
    if (o->npauses == o->pauses_cap) {
        size_t cap = o->pauses_cap ? 2 * o->pauses_cap : 16;
        struct rm_pause *pp = realloc(o->pauses, cap * sizeof(*pp));
        if (!pp)
            return RM_ENOMEM;
        o->pauses = pp;
        char(*ll)[RM_EVENT_LABEL_LEN + 1] = realloc(o->labels, cap * sizeof(*ll));
        if (!ll)
            return RM_ENOMEM;
        o->labels = ll;
        const char **lp = realloc(o->label_ptrs, cap * sizeof(*lp));
        if (!lp)
            return RM_ENOMEM;
        o->label_ptrs = lp;
        o->pauses_cap = cap;
    }
    size_t i = o->npauses++;
    o->pauses[i] = *p;
    snprintf(o->labels[i], sizeof(o->labels[i]), "%s",
             p->t_start >= o->label_since ? o->label : o->prev_label);
    for (size_t k = 0; k <= i; k++)
        o->label_ptrs[k] = o->labels[k];
    o->last_final_end = p->t_end;
    return 0;
}

size_t rm_online_pauses(const struct rm_online *o, const struct rm_pause **out,
                        const char *const **labels)
{
    *out = o->pauses;
    if (labels)
        *labels = o->label_ptrs;
    return o->npauses;
}

static enum rm_speed_zone zone_of(const struct rm_profile *pf, double speed)
{
    if (speed <= pf->speed_slow_max_mm_s)
        return RM_ZONE_SLOW;
    return speed <= pf->speed_fast_mm_s ? RM_ZONE_BRISK : RM_ZONE_TOO_FAST;
}

/* Mean of x over the loaded frames of the window's last `span` seconds
 * (|x| when absolute); NAN when none. */
static double recent_mean(const struct an_series *w, const double *x, double span, bool absolute)
{
    double t_end = w->t[w->n - 1], sum = 0;
    int64_t cnt = 0;
    for (int64_t i = w->n - 1; i >= 0 && w->t[i] > t_end - span; i--)
        if (w->loaded[i] && isfinite(x[i])) {
            sum += absolute ? fabs(x[i]) : x[i];
            cnt++;
        }
    return cnt ? sum / (double)cnt : NAN;
}

/* Drops what no pause to come can need. */
static void trim(struct rm_online *o, double anchor)
{
    struct an_series *w = &o->w;
    double keep_from = w->t[w->n - 1] - WINDOW_MIN_S;
    if (anchor - ANCHOR_MARGIN_S < keep_from)
        keep_from = anchor - ANCHOR_MARGIN_S;
    int64_t k = 0;
    while (k < w->n - 1 && w->t[k] < keep_from)
        k++;
    an_series_drop_front(w, k);
}

static void fill_figures(struct rm_online *o, const struct rm_pause *current,
                         struct rm_online_figures *f)
{
    const struct an_series *w = &o->w;
    int64_t last = w->n - 1;
    bool calibrated = o->cal != NULL;
    memset(f, 0, sizeof(*f));
    f->t = w->t[last];
    f->position_mm = f->speed_mm_s = f->force_n = f->mean_kpa = f->mean_1s_kpa = NAN;
    if (w->loaded[last]) {
        f->position_mm = w->p[last];
        f->speed_mm_s = recent_mean(w, w->v, SPEED_AVG_S, true);
        if (calibrated) {
            f->force_n = w->force[last];
            f->mean_kpa = w->mean[last];
            f->mean_1s_kpa = recent_mean(w, w->mean, LIMIT_WINDOW_S, false);
            f->over_limit = f->mean_1s_kpa > o->pf.pressure_max_kpa;
        }
        if (current) {
            f->hold_s = f->t - current->t_start;
            f->state = f->hold_s >= o->pf.hold_min_s ? RM_ONLINE_HOLD : RM_ONLINE_PAUSED;
        } else if (f->speed_mm_s < o->pf.pause_speed_mm_s) {
            /* Stopped, shorter than a pause yet: since the speed fell. */
            int64_t i = last;
            while (i > 0 && w->loaded[i - 1] && fabs(w->v[i - 1]) < o->pf.pause_speed_mm_s)
                i--;
            f->hold_s = f->t - w->t[i];
            f->state = RM_ONLINE_PAUSED;
        } else {
            f->state = RM_ONLINE_ROLLING;
            f->zone = zone_of(&o->pf, f->speed_mm_s);
        }
    }
    /* The session so far, by the time between updates. */
    double dt = f->t - o->last_update_t;
    if (dt > 0 && dt < 1.0 && f->state != RM_ONLINE_OFF) {
        o->loaded_s += dt;
        if (f->state == RM_ONLINE_ROLLING)
            o->rolling_s[f->zone] += dt;
        if (f->over_limit)
            o->over_limit_s += dt;
    }
    o->last_update_t = f->t;
    f->loaded_s = o->loaded_s;
    memcpy(f->rolling_s, o->rolling_s, sizeof(f->rolling_s));
    f->npauses = o->npauses;
}

int rm_online_update(struct rm_online *o, struct rm_online_figures *out)
{
    struct an_series *w = &o->w;
    if (w->n == 0) {
        memset(out, 0, sizeof(*out));
        out->t = o->last_t;
        out->position_mm = out->speed_mm_s = out->force_n = out->mean_kpa = NAN;
        out->mean_1s_kpa = NAN;
        out->npauses = o->npauses;
        return 0;
    }
    /* The tool and roll axis as the batch finds them for a segment, here
     * over the recent frames: a mat laid sideways or a ball reads right. */
    enum rm_tool tool;
    enum rm_axis axis;
    an_classify_tool(w, &tool, &axis);
    int rc = an_motion(w, tool, axis);
    struct rm_pause *found = NULL;
    size_t nfound = 0;
    if (rc == 0)
        rc = an_find_pauses(w, 0, w->n, &o->pf, o->cal != NULL, &found, &nfound, NULL);
    if (rc != 0)
        return rc;
    double t_now = w->t[w->n - 1];
    double anchor = t_now;
    const struct rm_pause *current = NULL;
    for (size_t i = 0; i < nfound && rc == 0; i++) {
        const struct rm_pause *p = &found[i];
        if (p->t_start <= o->last_final_end)
            continue; /* reported already (or the tail of one, cut by the window) */
        if (p->t_end < t_now - FINAL_AFTER_S) {
            rc = keep_pause(o, p);
            continue;
        }
        if (p->t_start < anchor)
            anchor = p->t_start;
        if (p->t_end >= t_now - EDGE_S)
            current = p;
    }
    if (rc == 0) {
        fill_figures(o, current, out);
        out->tool = tool;
        trim(o, anchor);
    }
    free(found);
    return rc;
}

void rm_online_score(const struct rm_online *o, struct rm_scores *out)
{
    struct rm_segment seg;
    memset(&seg, 0, sizeof(seg));
    double rolling =
        o->rolling_s[RM_ZONE_SLOW] + o->rolling_s[RM_ZONE_BRISK] + o->rolling_s[RM_ZONE_TOO_FAST];
    seg.rolling.time_s = rolling;
    seg.rolling.fraction_slow = rolling > 0 ? o->rolling_s[RM_ZONE_SLOW] / rolling : NAN;
    seg.rolling.fraction_fast = rolling > 0 ? o->rolling_s[RM_ZONE_TOO_FAST] / rolling : NAN;
    seg.npauses = o->npauses;
    seg.pauses = o->pauses;
    seg.loaded_s = o->loaded_s;
    seg.pressure.over_limit_s = o->over_limit_s;
    /* A muscle rolled once is its own coverage reference (figures.c). */
    seg.coverage.fraction = 1;
    an_score_segment(&seg, &o->pf, o->cal != NULL);
    *out = seg.score;
}

bool rm_online_latest_map(const struct rm_online *o, float *out)
{
    if (!o->have_latest)
        return false;
    if (o->cal) {
        rm_calibration_apply_rows(o->cal, o->latest, out, 0, o->meta.rows);
        return true;
    }
    for (size_t i = 0; i < o->nsensels; i++) {
        float v = o->have_fc ? (float)o->latest[i] - o->fc.base[i] : 0.0f;
        out[i] = v > 0 ? v : 0;
    }
    return true;
}

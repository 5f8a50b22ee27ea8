/* Segments: the stretches of a session spent on one muscle. From
 * segment_start/segment_end events when the recording has any (a start
 * without its end runs to the next start or the end of the recording), else
 * one per stretch of load separated from the next by an unloaded gap of
 * AN_SEGMENT_GAP_S or more (frames lost do not count: an_gap_step), named
 * segment-1, segment-2, ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "an_internal.h"
#include "rm_error.h"

/* First frame with t >= x (binary search; t is strictly increasing). */
static int64_t frame_at(const struct an_series *s, double x)
{
    int64_t lo = 0, hi = s->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (s->t[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool any_loaded(const struct an_series *s, int64_t a, int64_t b)
{
    for (int64_t i = a; i < b; i++)
        if (s->loaded[i])
            return true;
    return false;
}

static int push(struct rm_segment **segs, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 8;
        struct rm_segment *bigger = realloc(*segs, nc * sizeof(**segs));
        if (!bigger)
            return RM_ENOMEM;
        *segs = bigger;
        *cap = nc;
    }
    memset(&(*segs)[*n], 0, sizeof(**segs));
    (*n)++;
    return 0;
}

static int from_events(const struct an_series *s, const struct rm_event *ev, size_t nev,
                       struct rm_segment **segs, size_t *n, size_t *cap)
{
    double t_last = s->n > 0 ? s->t[s->n - 1] : 0;
    for (size_t i = 0; i < nev; i++) {
        if (strcmp(ev[i].kind, "segment_start") != 0)
            continue;
        double end = t_last;
        for (size_t j = i + 1; j < nev; j++) {
            if (strcmp(ev[j].kind, "segment_start") == 0) {
                end = ev[j].t;
                break;
            }
            if (strcmp(ev[j].kind, "segment_end") == 0) {
                end = ev[j].t;
                break;
            }
        }
        int64_t fa = frame_at(s, ev[i].t), fb = frame_at(s, end);
        if (fb < s->n && s->t[fb] <= end)
            fb++;
        if (fb <= fa || !any_loaded(s, fa, fb))
            continue;
        if (push(segs, n, cap) != 0)
            return RM_ENOMEM;
        struct rm_segment *g = &(*segs)[*n - 1];
        snprintf(g->label, sizeof(g->label), "%s", ev[i].label);
        g->from_events = true;
        /* No further than the frames (stream.c, close_event_segment). */
        g->t_start = ev[i].t < s->t[0] ? s->t[0] : ev[i].t;
        g->t_end = end > t_last ? t_last : end;
        g->frame_start = fa;
        g->frame_end = fb;
    }
    return 0;
}

static int from_gaps(const struct an_series *s, struct rm_segment **segs, size_t *n, size_t *cap)
{
    int64_t i = 0;
    while (i < s->n) {
        if (!s->loaded[i]) {
            i++;
            continue;
        }
        int64_t first = i, last = i;
        double unloaded_s = 0;
        for (int64_t j = i + 1; j < s->n; j++) {
            unloaded_s += an_gap_step(s->t[j - 1], s->t[j], s->rate_hz);
            if (s->loaded[j]) {
                if (unloaded_s >= AN_SEGMENT_GAP_S)
                    break;
                last = j;
                unloaded_s = 0;
            }
        }
        i = last + 1;
        if (push(segs, n, cap) != 0)
            return RM_ENOMEM;
        struct rm_segment *g = &(*segs)[*n - 1];
        snprintf(g->label, sizeof(g->label), "segment-%zu", *n);
        g->from_events = false;
        g->t_start = s->t[first];
        g->t_end = s->t[last];
        g->frame_start = first;
        g->frame_end = last + 1;
    }
    return 0;
}

int an_find_segments(const struct an_series *s, const struct rm_event *ev, size_t nev,
                     struct rm_segment **out, size_t *nout)
{
    struct rm_segment *segs = NULL;
    size_t n = 0, cap = 0;
    bool have_events = false;
    for (size_t i = 0; i < nev; i++)
        have_events |= strcmp(ev[i].kind, "segment_start") == 0;
    int rc = have_events ? from_events(s, ev, nev, &segs, &n, &cap) : from_gaps(s, &segs, &n, &cap);
    if (rc != 0) {
        free(segs);
        return rc;
    }
    *out = segs;
    *nout = n;
    return 0;
}

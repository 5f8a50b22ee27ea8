/* Tender spots: the holds of every session, grouped per muscle label into
 * spots no wider than RM_HISTORY_SPOT_SPAN of relative_position.
 *
 * The rule (docs/history.md), deterministic and independent of the order
 * sessions were added in: among the holds of one muscle not yet in a spot,
 * take the window [p, p + span] (p the position of one of them) that holds
 * holds from the most sessions (ties: the most holds, then the lowest p);
 * its holds are one spot. Repeat until every hold is in a spot. The
 * strongest spot is found first, so a noise hold beside it cannot pull its
 * window off centre; every two holds of a spot are within span of each
 * other. A spot held in at least two sessions is listed; it is recurring
 * when held in RM_HISTORY_RECURRING_SESSIONS sessions spread over at least
 * RM_HISTORY_RECURRING_DAYS days. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_utc.h"

#define EPS 1e-9

int hi_load_holds(struct rm_history *h, struct hi_hold_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT g.label, s.id, s.created_utc, k.relative_position, k.duration_s"
                           " FROM holds k JOIN segments g ON k.segment_id = g.id"
                           " JOIN sessions s ON g.session_id = s.id"
                           " ORDER BY g.label, k.relative_position, s.created_utc, k.id",
                           -1, &st, NULL) != SQLITE_OK)
        return hi_sql_fail(h, "reading the holds");
    size_t cap = 0;
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            struct hi_hold_row *grown = realloc(*out, cap * sizeof(**out));
            if (!grown) {
                rc = RM_ENOMEM;
                break;
            }
            *out = grown;
        }
        struct hi_hold_row *r = &(*out)[(*n)++];
        memset(r, 0, sizeof(*r));
        snprintf(r->muscle, sizeof(r->muscle), "%s", hi_column_text(st, 0));
        r->session_id = sqlite3_column_int64(st, 1);
        if (rm_utc_parse(hi_column_text(st, 2), &r->when) != 0)
            r->when = 0;
        r->relative_position = sqlite3_column_double(st, 3);
        r->duration_s = sqlite3_column_double(st, 4);
        r->spot = -1;
    }
    if (!rc && step != SQLITE_DONE)
        rc = hi_sql_fail(h, "reading the holds");
    sqlite3_finalize(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* Distinct sessions among the members (a small set: linear is fine). */
static int distinct_sessions(const struct hi_hold_row *rows, const size_t *idx, size_t n)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rows[idx[j]].session_id == rows[idx[i]].session_id;
        count += !seen;
    }
    return count;
}

/* The unassigned holds of [lo, hi) within span above rows[left]. */
static size_t window(const struct hi_hold_row *rows, const bool *taken, size_t left, size_t hi,
                     size_t *idx)
{
    size_t n = 0;
    for (size_t j = left; j < hi && rows[j].relative_position <=
                                        rows[left].relative_position + RM_HISTORY_SPOT_SPAN + EPS;
         j++)
        if (!taken[j])
            idx[n++] = j;
    return n;
}

static void describe(const struct hi_hold_row *rows, const size_t *idx, size_t n,
                     struct rm_history_spot *s)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->muscle, sizeof(s->muscle), "%s", rows[idx[0]].muscle);
    /* idx is in position order: the median is the middle one(s). */
    s->relative_position =
        n % 2 ? rows[idx[n / 2]].relative_position
              : 0.5 * (rows[idx[n / 2 - 1]].relative_position + rows[idx[n / 2]].relative_position);
    s->position_lo = rows[idx[0]].relative_position;
    s->position_hi = rows[idx[n - 1]].relative_position;
    s->sessions = distinct_sessions(rows, idx, n);
    s->holds = (int)n;
    int64_t first = rows[idx[0]].when, last = first;
    for (size_t i = 0; i < n; i++) {
        first = rows[idx[i]].when < first ? rows[idx[i]].when : first;
        last = rows[idx[i]].when > last ? rows[idx[i]].when : last;
        s->hold_s_total += rows[idx[i]].duration_s;
    }
    rm_utc_format(first, s->first_utc, sizeof(s->first_utc));
    rm_utc_format(last, s->last_utc, sizeof(s->last_utc));
    s->days = (double)(last - first) / 86400.0;
    s->recurring =
        s->sessions >= RM_HISTORY_RECURRING_SESSIONS && s->days >= RM_HISTORY_RECURRING_DAYS - EPS;
}

/* One muscle's rows [lo, hi): spots appended to *out. */
static int cluster_muscle(struct hi_hold_row *rows, size_t lo, size_t hi, bool *taken, size_t *idx,
                          size_t *best, struct rm_history_spot **out, size_t *nout, size_t *cap)
{
    for (;;) {
        size_t nbest = 0;
        int best_sessions = 0;
        for (size_t left = lo; left < hi; left++) {
            if (taken[left])
                continue;
            size_t n = window(rows, taken, left, hi, idx);
            int sessions = distinct_sessions(rows, idx, n);
            if (sessions > best_sessions || (sessions == best_sessions && n > nbest)) {
                best_sessions = sessions;
                nbest = n;
                memcpy(best, idx, n * sizeof(*idx));
            }
        }
        if (nbest == 0)
            return 0;
        for (size_t i = 0; i < nbest; i++)
            taken[best[i]] = true;
        if (best_sessions < 2)
            continue; /* held once: not a spot across sessions */
        if (*nout == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            struct rm_history_spot *grown = realloc(*out, *cap * sizeof(**out));
            if (!grown)
                return RM_ENOMEM;
            *out = grown;
        }
        describe(rows, best, nbest, &(*out)[*nout]);
        for (size_t i = 0; i < nbest; i++)
            rows[best[i]].spot = (int)*nout;
        (*nout)++;
    }
}

int hi_cluster(struct hi_hold_row *rows, size_t n, struct rm_history_spot **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    size_t cap = 0;
    bool *taken = calloc(n ? n : 1, sizeof(*taken));
    size_t *idx = malloc((n ? n : 1) * sizeof(*idx)), *best = malloc((n ? n : 1) * sizeof(*best));
    int rc = taken && idx && best ? 0 : RM_ENOMEM;
    for (size_t lo = 0; !rc && lo < n;) {
        size_t hi = lo;
        while (hi < n && strcmp(rows[hi].muscle, rows[lo].muscle) == 0)
            hi++;
        size_t first = *nout;
        rc = cluster_muscle(rows, lo, hi, taken, idx, best, out, nout, &cap);
        /* Listed by position within the muscle, found strongest first:
         * sort this muscle's spots and renumber its rows. */
        for (size_t a = first; !rc && a < *nout; a++)
            for (size_t b = a + 1; b < *nout; b++)
                if ((*out)[b].relative_position < (*out)[a].relative_position) {
                    struct rm_history_spot t = (*out)[a];
                    (*out)[a] = (*out)[b];
                    (*out)[b] = t;
                    for (size_t i = lo; i < hi; i++)
                        rows[i].spot = rows[i].spot == (int)a   ? (int)b
                                       : rows[i].spot == (int)b ? (int)a
                                                                : rows[i].spot;
                }
        lo = hi;
    }
    free(taken);
    free(idx);
    free(best);
    if (rc) {
        free(*out);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}

int rm_history_spots(struct rm_history *h, struct rm_history_spot **out, size_t *n)
{
    struct hi_hold_row *rows = NULL;
    size_t nrows = 0;
    int rc = hi_load_holds(h, &rows, &nrows);
    if (!rc)
        rc = hi_cluster(rows, nrows, out, n);
    free(rows);
    return rc;
}

/* Trends: one row per muscle and session with the figures a runner and a
 * physio follow over weeks, and sessions per week against the guidance to
 * roll "each week; consistency is key" (seed 000). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_utc.h"

#define WEEK_S (7 * 86400)

static double column_or_nan(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

int hi_trend_rows(struct rm_history *h, const char *muscle, struct hi_trend_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(
            h->db,
            "SELECT s.id, s.created_utc, s.recording_path, g.label, g.speed_median_mm_s,"
            " g.fraction_slow, g.mean_kpa, g.score_total,"
            " (SELECT count(*) FROM holds k WHERE k.segment_id = g.id),"
            " (SELECT total(duration_s) FROM holds k WHERE k.segment_id = g.id),"
            " (SELECT max(duration_s) FROM holds k WHERE k.segment_id = g.id)"
            " FROM segments g JOIN sessions s ON g.session_id = s.id"
            " WHERE ?1 IS NULL OR g.label = ?1"
            " ORDER BY g.label, s.created_utc, s.id, g.idx",
            -1, &st, NULL) != SQLITE_OK)
        return hi_sql_fail(h, "reading the trends");
    if (muscle)
        sqlite3_bind_text(st, 1, muscle, -1, SQLITE_STATIC);
    size_t cap = 0;
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            struct hi_trend_row *grown = realloc(*out, cap * sizeof(**out));
            if (!grown) {
                rc = RM_ENOMEM;
                break;
            }
            *out = grown;
        }
        struct hi_trend_row *r = &(*out)[(*n)++];
        memset(r, 0, sizeof(*r));
        r->session_id = sqlite3_column_int64(st, 0);
        snprintf(r->created_utc, sizeof(r->created_utc), "%s", hi_column_text(st, 1));
        if (rm_utc_parse(r->created_utc, &r->when) != 0)
            r->when = 0;
        snprintf(r->recording, sizeof(r->recording), "%s", hi_column_text(st, 2));
        snprintf(r->muscle, sizeof(r->muscle), "%s", hi_column_text(st, 3));
        r->speed_median_mm_s = column_or_nan(st, 4);
        r->fraction_slow = column_or_nan(st, 5);
        r->mean_kpa = column_or_nan(st, 6);
        r->score = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7);
        r->holds = sqlite3_column_int(st, 8);
        r->hold_s_total = sqlite3_column_double(st, 9);
        r->hold_s_longest = r->holds ? sqlite3_column_double(st, 10) : 0;
    }
    if (!rc && step != SQLITE_DONE)
        rc = hi_sql_fail(h, "reading the trends");
    sqlite3_finalize(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* Monday 00:00 UTC of the week holding t (1970-01-01 was a Thursday). */
static int64_t week_start(int64_t t)
{
    int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t weekday = ((day + 3) % 7 + 7) % 7; /* 0 = Monday */
    return (day - weekday) * 86400;
}

int hi_weeks(struct rm_history *h, struct hi_week **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db, "SELECT created_utc FROM sessions ORDER BY created_utc", -1, &st,
                           NULL) != SQLITE_OK)
        return hi_sql_fail(h, "reading the sessions");
    int rc = 0, step;
    int64_t first = 0;
    size_t cap = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t t;
        if (rm_utc_parse(hi_column_text(st, 0), &t) != 0)
            continue;
        int64_t w = week_start(t);
        if (*n == 0)
            first = w;
        size_t k = (size_t)((w - first) / WEEK_S);
        if (k >= cap) {
            size_t nc = cap ? 2 * cap : 16;
            while (nc <= k)
                nc *= 2;
            struct hi_week *grown = realloc(*out, nc * sizeof(**out));
            if (!grown) {
                rc = RM_ENOMEM;
                break;
            }
            *out = grown;
            cap = nc;
        }
        for (; *n <= k; (*n)++)
            (*out)[*n] = (struct hi_week){.start = first + (int64_t)*n * WEEK_S, .sessions = 0};
        (*out)[k].sessions++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = hi_sql_fail(h, "reading the sessions");
    sqlite3_finalize(st);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* One recording into the history: its identity first (a recording already
 * there is not analysed again), then the analysis outside any transaction
 * (it may take seconds; other writers must not wait for it), then the
 * session with its segments and holds in one transaction: all or nothing,
 * whoever else writes, whenever the process dies. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_utc.h"

#define LOG_PREFIX "history"

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_score(sqlite3_stmt *st, int i, int v)
{
    if (v >= 0)
        sqlite3_bind_int(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int step_done(struct rm_history *h, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : hi_sql_fail(h, what);
}

static int known(struct rm_history *h, const char *hex, bool *yes)
{
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(h->db, "SELECT 1 FROM sessions WHERE content_sha256 = ?", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        *yes = rc == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hi_sql_fail(h, "looking up a recording");
}

/* Fault injection for the tests (docs/history.md): with
 * ROLLMAT_HISTORY_FAULT=stall-in-transaction, a writer says so on stderr
 * and sleeps in the middle of its transaction, where a test kills it. */
static void fault_point(void)
{
    const char *f = getenv("ROLLMAT_HISTORY_FAULT");
    if (f && strcmp(f, "stall-in-transaction") == 0) {
        fprintf(stderr, "history: stalling in the transaction\n");
        fflush(stderr);
        sleep(60);
    }
}

static int insert_holds(struct rm_history *h, sqlite3_stmt *st, int64_t segment_id,
                        const struct hi_segment *g)
{
    for (size_t k = 0; k < g->nholds; k++) {
        const struct hi_hold *p = &g->holds[k];
        sqlite3_bind_int64(st, 1, segment_id);
        sqlite3_bind_double(st, 2, p->t_start);
        sqlite3_bind_double(st, 3, p->duration_s);
        sqlite3_bind_double(st, 4, p->position_mm);
        sqlite3_bind_double(st, 5, p->relative_position);
        bind_real(st, 6, p->mean_force_n);
        bind_real(st, 7, p->peak_pressure_kpa);
        int rc = step_done(h, st, "storing a hold");
        if (rc)
            return rc;
    }
    return 0;
}

static int insert_segments(struct rm_history *h, int64_t session_id, const struct hi_session *s)
{
    sqlite3_stmt *seg = NULL, *hold = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(h->db,
                           "INSERT INTO segments (session_id, idx, label, t_start, t_end, loaded_s,"
                           " speed_median_mm_s, fraction_slow, mean_kpa, score_total)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?)",
                           -1, &seg, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h->db,
                           "INSERT INTO holds (segment_id, t_start, duration_s, position_mm,"
                           " relative_position, mean_force_n, peak_pressure_kpa)"
                           " VALUES (?,?,?,?,?,?,?)",
                           -1, &hold, NULL) != SQLITE_OK)
        rc = hi_sql_fail(h, "preparing the segments");
    for (size_t i = 0; !rc && i < s->nsegments; i++) {
        const struct hi_segment *g = &s->segments[i];
        sqlite3_bind_int64(seg, 1, session_id);
        sqlite3_bind_int64(seg, 2, (sqlite3_int64)i);
        sqlite3_bind_text(seg, 3, g->label, -1, SQLITE_STATIC);
        sqlite3_bind_double(seg, 4, g->t_start);
        sqlite3_bind_double(seg, 5, g->t_end);
        sqlite3_bind_double(seg, 6, g->loaded_s);
        bind_real(seg, 7, g->speed_median_mm_s);
        bind_real(seg, 8, g->fraction_slow);
        bind_real(seg, 9, g->mean_kpa);
        bind_score(seg, 10, g->score_total);
        rc = step_done(h, seg, "storing a segment");
        if (!rc)
            rc = insert_holds(h, hold, sqlite3_last_insert_rowid(h->db), g);
        if (!rc && i == 0)
            fault_point();
    }
    sqlite3_finalize(seg);
    sqlite3_finalize(hold);
    return rc;
}

/* The session row; *added false when another writer stored the same
 * content since we looked. */
static int insert_session(struct rm_history *h, const char *path, const char *hex,
                          const struct rm_rec_meta *meta, bool complete, const struct hi_session *s,
                          bool *added)
{
    char abs[PATH_MAX], now[32];
    if (!realpath(path, abs))
        snprintf(abs, sizeof(abs), "%s", path);
    rm_utc_format((int64_t)time(NULL), now, sizeof(now));
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "INSERT OR IGNORE INTO sessions (content_sha256, recording_path,"
                           " created_utc, device_serial, device_model, analysis_version, profile,"
                           " duration_s, calibrated, complete, score_total, added_utc)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           -1, &st, NULL) != SQLITE_OK)
        return hi_sql_fail(h, "preparing the session");
    sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, abs, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, meta->created_utc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, meta->device_serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, meta->device_model, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, s->analysis_version);
    sqlite3_bind_text(st, 7, s->profile, -1, SQLITE_STATIC);
    bind_real(st, 8, s->duration_s);
    sqlite3_bind_int(st, 9, s->calibrated);
    sqlite3_bind_int(st, 10, complete);
    bind_score(st, 11, s->score_total);
    sqlite3_bind_text(st, 12, now, -1, SQLITE_STATIC);
    int rc = step_done(h, st, "storing the session");
    sqlite3_finalize(st);
    *added = !rc && sqlite3_changes(h->db) == 1;
    if (!rc && *added)
        rc = insert_segments(h, sqlite3_last_insert_rowid(h->db), s);
    return rc;
}

static int store(struct rm_history *h, const char *path, const char *hex,
                 const struct rm_rec_meta *meta, bool complete, const struct hi_session *s,
                 bool *added)
{
    /* IMMEDIATE: take the write lock now (waiting up to the busy timeout)
     * rather than fail half-way on an upgrade from reading. */
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return hi_sql_fail(h, "starting a write");
    int rc = insert_session(h, path, hex, meta, complete, s, added);
    if (!rc && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = hi_sql_fail(h, "committing");
    if (rc) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        *added = false;
    }
    return rc;
}

int rm_history_add_file(struct rm_history *h, const char *path, const struct rm_analysis_opts *opts,
                        bool *added)
{
    *added = false;
    char hex[65];
    struct rm_rec_meta meta;
    bool complete = false, seen = false;
    int64_t when;
    int rc = hi_content_hash(path, hex, &meta, &complete);
    rc = rc ? rc : known(h, hex, &seen);
    if (rc || seen)
        return rc;
    if (rm_utc_parse(meta.created_utc, &when) != 0)
        return rm_fail(RM_EFORMAT, "%s:/: created_utc '%s' is not YYYY-MM-DDTHH:MM:SSZ", path,
                       meta.created_utc);
    struct rm_analysis_result *res = NULL;
    rc = rm_analysis_run(path, opts, &res);
    if (rc)
        return rc;
    struct hi_session s;
    rc = hi_session_from_analysis(res, &s);
    rm_analysis_result_free(res);
    if (rc)
        return rc;
    rc = store(h, path, hex, &meta, complete, &s, added);
    hi_session_free(&s);
    return rc;
}

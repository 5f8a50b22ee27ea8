/* What the files of history/ share. Not for other parts (rm_history.h is).
 *   store.c          opening, identifying, creating and migrating the file
 *   hash.c           a recording's content hash (its identity)
 *   from_analysis.c  THE one place that reads an rm_analysis_result
 *   add.c            a recording into the store, all or nothing
 *   spots.c          tender spots: clustering holds across sessions
 *   advice.c         the spot sentence and `rollmat analyze`'s hook
 *   trend.c          per-muscle figures over time, sessions per week
 *   report.c         gnuplot pictures and report.html
 *   queue.c          the daemon's background adder
 *   cmd_history.c    `rollmat history` */
#ifndef HI_INTERNAL_H
#define HI_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_history.h"
#include "rm_recording.h"

struct rm_history {
    sqlite3 *db;
    char path[4096];
};

/* An SQLite failure as one line "<db>: <what>: <sqlite's message>":
 * RM_EFORMAT for a corrupt or foreign file, else RM_EIO. */
int hi_sql_fail(struct rm_history *h, const char *what);

/* A text column, "" for NULL or anything else without text: a file that
 * claims to be a history may still hold anything. */
const char *hi_column_text(sqlite3_stmt *st, int i);

/* ---- one session, typed, as the store keeps it -------------------------- */

struct hi_hold {
    double t_start, duration_s, position_mm, relative_position;
    double mean_force_n, peak_pressure_kpa; /* NAN uncalibrated */
};

struct hi_segment {
    char label[RM_EVENT_LABEL_LEN + 1];
    double t_start, t_end, loaded_s;
    double speed_median_mm_s; /* NAN: no rolling */
    double fraction_slow;     /* NAN: no rolling */
    double mean_kpa;          /* NAN: uncalibrated */
    int score_total;          /* -1: not scored */
    size_t nholds;
    struct hi_hold *holds; /* owned */
};

struct hi_session {
    int analysis_version;
    char profile[RM_PROFILE_NAME_LEN];
    double duration_s;
    bool calibrated;
    int score_total; /* -1: none */
    size_t nsegments;
    struct hi_segment *segments; /* owned */
};

/* Copies what the store keeps out of an analysis result (from_analysis.c). */
int hi_session_from_analysis(const struct rm_analysis_result *r, struct hi_session *out);
void hi_session_free(struct hi_session *s);

/* The segments of a result, and appending one advice sentence to one
 * (from_analysis.c, for the analyze hook). */
size_t hi_result_nsegments(const struct rm_analysis_result *r);
const char *hi_result_label(const struct rm_analysis_result *r, size_t i);
int hi_result_add_advice(struct rm_analysis_result *r, size_t i, const char *sentence);

/* ---- identity ------------------------------------------------------------ */

/* SHA-256 (lower-case hex) over the recording's content as read through
 * the validating reader: metadata, every frame, /t, /seq and the events.
 * A byte-for-byte copy, or the same data re-chunked or re-compressed, has
 * the same hash. meta receives the recording's metadata. RM_EFORMAT for a
 * file that is not a valid recording. */
int hi_content_hash(const char *path, char hex[65], struct rm_rec_meta *meta, bool *complete);

/* ---- holds and spots ----------------------------------------------------- */

struct hi_hold_row {
    char muscle[RM_EVENT_LABEL_LEN + 1];
    int64_t session_id;
    int64_t when; /* the session's created_utc, epoch seconds */
    double relative_position, duration_s;
    int spot; /* index into the listed spots, -1: in no listed spot */
};

/* Every hold of the history, by muscle then position. free() the rows. */
int hi_load_holds(struct rm_history *h, struct hi_hold_row **out, size_t *n);

/* Groups rows (sorted by muscle, then position) into spots, sets each
 * row's spot, and lists the spots held in at least two sessions. */
int hi_cluster(struct hi_hold_row *rows, size_t n, struct rm_history_spot **out, size_t *nout);

/* A muscle label as words: "calf-left" -> "left calf". */
void hi_muscle_words(const char *label, char *out, size_t size);

/* ---- trends -------------------------------------------------------------- */

struct hi_trend_row {
    int64_t session_id;
    char created_utc[24];
    int64_t when;
    char recording[1024];
    char muscle[RM_EVENT_LABEL_LEN + 1];
    double speed_median_mm_s, fraction_slow, mean_kpa; /* NAN: none */
    int score;                                         /* -1: none */
    int holds;
    double hold_s_total, hold_s_longest;
};

struct hi_week {
    int64_t start; /* Monday 00:00 UTC, epoch seconds */
    int sessions;
};

/* One row per segment, by muscle then date (muscle NULL: every muscle).
 * free() the rows. */
int hi_trend_rows(struct rm_history *h, const char *muscle, struct hi_trend_row **out, size_t *n);
/* Sessions per ISO week (Monday to Sunday, UTC), from the first session's
 * week to the last's, empty weeks included. free() the weeks. */
int hi_weeks(struct rm_history *h, struct hi_week **out, size_t *n);

/* ---- report -------------------------------------------------------------- */

/* Pictures and DIR/report.html (report.c). */
int hi_report(struct rm_history *h, const char *out_dir);

#endif

/* The history: every analysed session remembered in one SQLite file, so
 * that what one recording cannot show becomes visible: a tender spot that
 * needs a hold week after week, how each muscle's rolling changes, whether
 * the runner rolls "each week" (docs/history.md).
 *
 *     struct rm_history *h;
 *     rm_history_open(&h, path, RM_HISTORY_WRITE);
 *     rm_history_add_file(h, "session.h5", &opts, &added);
 *     rm_history_spots(h, &spots, &n);
 *     rm_history_close(h);
 *
 * One file holds the sessions (path, content hash, device serial, analysis
 * version, created_utc), their segments (one per muscle rolled) and the
 * segments' holds. It runs in WAL mode with a busy timeout, so the daemon
 * and a command can write at once; the schema carries PRAGMA user_version
 * and is migrated forward on open. A file that is not a rollmat history is
 * refused, never written to. */
#ifndef RM_HISTORY_H
#define RM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_analysis.h"

/* The schema this build writes; a database of a higher version is refused
 * (a newer rollmat made it). */
#define RM_HISTORY_SCHEMA_VERSION 1
/* PRAGMA application_id of a rollmat history: "RMHi". */
#define RM_HISTORY_APPLICATION_ID 0x524d4869

/* Spots: holds on the same muscle within this span of relative_position. */
#define RM_HISTORY_SPOT_SPAN 0.1
/* A spot is recurring when held in this many sessions ... */
#define RM_HISTORY_RECURRING_SESSIONS 3
/* ... spread over at least this many days (cli.md; seed 000). */
#define RM_HISTORY_RECURRING_DAYS 14

struct rm_history;

enum rm_history_mode {
    RM_HISTORY_READ,  /* the file must exist; nothing is written */
    RM_HISTORY_WRITE, /* created (with its directory) when missing, migrated forward */
};

/* `$XDG_DATA_HOME/rollmat/history.sqlite` (`~/.local/share/...` when unset).
 * RM_EUSAGE when neither variable gives a directory. */
int rm_history_default_path(char *out, size_t size);

/* Opens the history at path. Errors, each with one line:
 *   RM_ENOTFOUND  READ and there is no such file ("no history yet");
 *   RM_EFORMAT    not an SQLite file, corrupt, another program's database,
 *                 or a schema newer than this build (the file is untouched);
 *   RM_EIO        cannot create or open it. */
int rm_history_open(struct rm_history **out, const char *path, enum rm_history_mode mode);
void rm_history_close(struct rm_history *h);
const char *rm_history_path(const struct rm_history *h);

/* Analyses the recording at path with opts and stores it, all or nothing.
 * A recording whose content (frames, clock, events, metadata) is already
 * stored, from this path or a copy elsewhere, changes nothing: *added is
 * false. Errors: the analysis's (RM_EFORMAT for a bad recording, ...),
 * RM_EIO for the database. */
int rm_history_add_file(struct rm_history *h, const char *path, const struct rm_analysis_opts *opts,
                        bool *added);

/* ---- tender spots ------------------------------------------------------- */

struct rm_history_spot {
    char muscle[RM_EVENT_LABEL_LEN + 1];
    double relative_position;        /* the median of its holds' */
    double position_lo, position_hi; /* the span of its holds (<= SPOT_SPAN apart) */
    int sessions;                    /* distinct sessions with a hold there */
    int holds;
    char first_utc[24], last_utc[24];
    double days; /* last - first, in days */
    double hold_s_total;
    bool recurring;
};

/* Every spot held in at least two sessions, by muscle label then position
 * (the rule: docs/history.md). *out is freed with free(). */
int rm_history_spots(struct rm_history *h, struct rm_history_spot **out, size_t *n);

/* The advice sentence for a recurring spot ("The spot two-thirds of the
 * way along your left calf has needed a hold in 5 sessions over 4 weeks:
 * consider having a physiotherapist look at it."). */
void rm_history_spot_sentence(const struct rm_history_spot *s, char *buf, size_t size);

/* `rollmat analyze`'s hook: adds to each segment's advice the sentence of
 * every recurring spot on its muscle in the default history, when that
 * exists (read once per process, never created). A history that cannot be
 * read is skipped with a warning: it never fails an analysis. */
void rm_history_advise(struct rm_analysis_result *r);

/* ---- the daemon: adding off the recording path -------------------------- */

struct rm_history_queue;

/* A thread that adds finished recordings to the history at db_path, one at
 * a time, at low priority: pushing never waits for an analysis. */
int rm_history_queue_new(struct rm_history_queue **out, const char *db_path);
/* Queues a copy of path. Never blocks on the database or the analysis. */
void rm_history_queue_push(struct rm_history_queue *q, const char *path);
/* Adds what is queued, then stops the thread and frees. NULL is a no-op. */
void rm_history_queue_free(struct rm_history_queue *q);

/* `rollmat history` (shared/spec/cli.md). */
int rm_cmd_history(int argc, char **argv);

#endif

/* The history file: opened with a busy timeout and in WAL mode, identified
 * by its application_id before anything is written, created or migrated
 * forward inside one write transaction (so two processes opening a new
 * file at once cannot both create it), refused untouched when it is not
 * ours or is newer than this build. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hi_internal.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "history"

/* A writer waits this long for another writer (the daemon adding a session
 * while `history add` runs) before giving up. */
#define BUSY_TIMEOUT_MS 30000

/* Migration i takes the schema from version i to i + 1. Append only: a
 * released migration never changes, so every older file can be brought
 * forward. */
static const char *const MIGRATIONS[] = {
    /* 0 -> 1: sessions, their segments, the segments' holds. */
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  content_sha256 TEXT NOT NULL UNIQUE,"
    "  recording_path TEXT NOT NULL,"
    "  created_utc TEXT NOT NULL,"
    "  device_serial TEXT NOT NULL,"
    "  device_model TEXT NOT NULL,"
    "  analysis_version INTEGER NOT NULL,"
    "  profile TEXT NOT NULL,"
    "  duration_s REAL NOT NULL,"
    "  calibrated INTEGER NOT NULL,"
    "  complete INTEGER NOT NULL,"
    "  score_total INTEGER,"
    "  added_utc TEXT NOT NULL);"
    "CREATE INDEX sessions_created ON sessions(created_utc);"
    "CREATE TABLE segments ("
    "  id INTEGER PRIMARY KEY,"
    "  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  label TEXT NOT NULL,"
    "  t_start REAL NOT NULL, t_end REAL NOT NULL, loaded_s REAL NOT NULL,"
    "  speed_median_mm_s REAL, fraction_slow REAL, mean_kpa REAL,"
    "  score_total INTEGER,"
    "  UNIQUE(session_id, idx));"
    "CREATE INDEX segments_label ON segments(label);"
    "CREATE TABLE holds ("
    "  id INTEGER PRIMARY KEY,"
    "  segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,"
    "  t_start REAL NOT NULL, duration_s REAL NOT NULL,"
    "  position_mm REAL NOT NULL, relative_position REAL NOT NULL,"
    "  mean_force_n REAL, peak_pressure_kpa REAL);"
    "CREATE INDEX holds_segment ON holds(segment_id);",
};
_Static_assert(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]) == RM_HISTORY_SCHEMA_VERSION,
               "one migration per schema version");

int hi_sql_fail(struct rm_history *h, const char *what)
{
    int code = h->db ? sqlite3_errcode(h->db) & 0xff : SQLITE_CANTOPEN;
    const char *msg = h->db ? sqlite3_errmsg(h->db) : "cannot open";
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return rm_fail(RM_EFORMAT, "%s: not a rollmat history (%s: %s)", h->path, what, msg);
    return rm_fail(RM_EIO, "%s: %s: %s", h->path, what, msg);
}

const char *hi_column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *text = sqlite3_column_text(st, i);
    return text ? (const char *)text : "";
}

int rm_history_default_path(char *out, size_t size)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, size, "%s/rollmat/history.sqlite", xdg);
    else if (home && home[0])
        n = snprintf(out, size, "%s/.local/share/rollmat/history.sqlite", home);
    else
        return rm_fail(RM_EUSAGE, "no history path: set XDG_DATA_HOME or HOME, or give --db");
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_EUSAGE, "the history path is too long");
    return 0;
}

/* mkdir -p of path's directory, 0700 for what it creates: a history is
 * personal health data. */
static int make_parent(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return rm_fail(RM_EIO, "%s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return rm_fail(RM_EIO, "%s: %s", buf, strerror(errno));
    return 0;
}

static int pragma_int(struct rm_history *h, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : hi_sql_fail(h, sql);
}

/* What the file is: ours at some version, empty (new), or someone else's. */
static int identify(struct rm_history *h, int64_t *version, bool *empty)
{
    int64_t app = 0, objects = 0;
    int rc = pragma_int(h, "PRAGMA application_id", &app);
    rc = rc ? rc : pragma_int(h, "PRAGMA user_version", version);
    rc = rc ? rc : pragma_int(h, "SELECT count(*) FROM sqlite_schema", &objects);
    if (rc)
        return rc;
    *empty = app == 0 && *version == 0 && objects == 0;
    if (*empty)
        return 0;
    if (app != RM_HISTORY_APPLICATION_ID)
        return rm_fail(RM_EFORMAT, "%s: not a rollmat history (another program's SQLite database)",
                       h->path);
    if (*version > RM_HISTORY_SCHEMA_VERSION)
        return rm_fail(RM_EFORMAT,
                       "%s: history schema %lld is newer than this rollmat knows (%d): "
                       "upgrade rollmat",
                       h->path, (long long)*version, RM_HISTORY_SCHEMA_VERSION);
    if (*version < 1)
        return rm_fail(RM_EFORMAT, "%s: not a rollmat history (no schema version)", h->path);
    return 0;
}

static int exec(struct rm_history *h, const char *sql)
{
    return sqlite3_exec(h->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : hi_sql_fail(h, sql);
}

/* Brings an empty or older file to this build's schema in one write
 * transaction; identifies it again inside, since another process may have
 * done it meanwhile. */
static int migrate(struct rm_history *h)
{
    int rc = exec(h, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    int64_t version = 0;
    bool empty = false;
    rc = identify(h, &version, &empty);
    if (!rc && empty) {
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", RM_HISTORY_APPLICATION_ID);
        rc = exec(h, sql);
    }
    for (int64_t v = version; !rc && v < RM_HISTORY_SCHEMA_VERSION; v++) {
        rm_dbg("%s: migrating schema %lld -> %lld", h->path, (long long)v, (long long)v + 1);
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v + 1);
        rc = exec(h, MIGRATIONS[v]);
        rc = rc ? rc : exec(h, sql);
    }
    if (rc) {
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec(h, "COMMIT");
}

int rm_history_open(struct rm_history **out, const char *path, enum rm_history_mode mode)
{
    *out = NULL;
    struct rm_history *h = calloc(1, sizeof(*h));
    if (!h)
        return RM_ENOMEM;
    snprintf(h->path, sizeof(h->path), "%s", path);
    int rc = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (mode == RM_HISTORY_READ)
            rc = rm_fail(RM_ENOTFOUND,
                         "%s: no history yet (`rollmat history add` or rollmatd fill it)", path);
        else
            rc = make_parent(path);
    } else if (!S_ISREG(st.st_mode)) {
        rc = rm_fail(RM_EFORMAT, "%s: not a rollmat history (not a regular file)", path);
    }
    int flags =
        mode == RM_HISTORY_READ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (!rc && sqlite3_open_v2(path, &h->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        rc = hi_sql_fail(h, "open");
    if (!rc)
        sqlite3_busy_timeout(h->db, BUSY_TIMEOUT_MS);
    int64_t version = 0;
    bool empty = false;
    /* Identified before anything is written: a foreign or corrupt file
     * stays exactly as it was. */
    if (!rc)
        rc = identify(h, &version, &empty);
    if (!rc && empty && mode == RM_HISTORY_READ)
        rc = rm_fail(RM_ENOTFOUND, "%s: no history yet (an empty database)", path);
    if (!rc && mode == RM_HISTORY_WRITE) {
        /* WAL: readers and one writer at once, and a writer killed in the
         * middle of a transaction leaves the last committed state. */
        int64_t ignored;
        rc = pragma_int(h, "PRAGMA journal_mode = WAL", &ignored);
        rc = rc ? rc : exec(h, "PRAGMA synchronous = NORMAL");
        if (!rc && version < RM_HISTORY_SCHEMA_VERSION)
            rc = migrate(h);
    }
    if (!rc && version > 0 && version < RM_HISTORY_SCHEMA_VERSION && mode == RM_HISTORY_READ)
        rc = rm_fail(RM_EFORMAT,
                     "%s: history schema %lld is older than this rollmat's (%d): "
                     "`rollmat history add` brings it forward",
                     path, (long long)version, RM_HISTORY_SCHEMA_VERSION);
    rc = rc ? rc : exec(h, "PRAGMA foreign_keys = ON");
    if (rc) {
        rm_history_close(h);
        return rc;
    }
    *out = h;
    return 0;
}

void rm_history_close(struct rm_history *h)
{
    if (!h)
        return;
    sqlite3_close_v2(h->db);
    free(h);
}

const char *rm_history_path(const struct rm_history *h)
{
    return h->path;
}

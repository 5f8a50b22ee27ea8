/* Batch analysis (an_batch.h): names, shards, the worker pool's work and
 * results, and the summary tables at the end. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "an_batch.h"
#include "an_internal.h"
#include "an_summary.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_pool.h"
#include "rm_progress.h"
#include "rm_text.h"

#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))
/* The time limit of a file: generous (analysis runs at ~170 MB/s here,
 * docs/benchmarks.md), so that only a file that hangs reaches it. */
#define LIMIT_BASE_S   60.0
#define LIMIT_PER_MB_S 1.0

struct run {
    const struct an_batch *b;
    const char *dir; /* out_dir, or the temporary folder */
    size_t *order;   /* the inputs in sorted order */
    char **names;    /* per input: unique result name; NULL outside the shard */
    int *rc;         /* per input */
    /* Progress on a terminal: the line, and what it counts. */
    struct rm_progress line;
    size_t total, ok, bad;
    double t0, drawn_s;
};

/* "1:05:09", "4:07", "12 s". */
static void duration(char *out, size_t len, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else if (t >= 60)
        snprintf(out, len, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(out, len, "%ld s", t);
}

/* "12/40 recordings (1 bad), 3.1/s, 9 s left", at most five times a second. */
static void progress_draw(struct run *r)
{
    size_t done = r->ok + r->bad;
    double now = rm_clock_s(), elapsed = now - r->t0;
    if (!r->line.on || (done < r->total && now - r->drawn_s < 0.2))
        return;
    r->drawn_s = now;
    char bad[32] = "", rate[64] = "";
    if (r->bad)
        snprintf(bad, sizeof(bad), " (%zu bad)", r->bad);
    if (done > 0 && elapsed > 0) {
        char left[32];
        duration(left, sizeof(left), (double)(r->total - done) * elapsed / (double)done);
        snprintf(rate, sizeof(rate), ", %.1f/s, %s left", (double)done / elapsed, left);
    }
    rm_progress_printf(&r->line, "analyze: %zu/%zu recordings%s%s", done, r->total, bad, rate);
}

/* An error line of the batch, not mixed into the progress line. */
static void progress_error(struct run *r, const char *message)
{
    rm_progress_end(&r->line);
    rm_log_error_line(message);
    r->drawn_s = 0;
    progress_draw(r);
}

static int by_path(const void *a, const void *b, void *files)
{
    char **f = files;
    return strcmp(f[*(const size_t *)a], f[*(const size_t *)b]);
}

/* qsort_r is a GNU extension; a plain insertion of indices keeps this
 * portable and is cheap next to analysing the files. */
static void sort_inputs(size_t *order, size_t n, char **files)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && by_path(&order[j - 1], &v, files) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

/* "dir/x/2026-11-23_071502.h5" -> "2026-11-23_071502". */
static void stem(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    snprintf(out, len, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

/* Whether DIR/<name>.* holds another recording's result. */
static bool taken_by_other(const char *dir, const char *name, const char *file)
{
    static const char *const exts[] = {AN_RESULT_EXT, AN_ERROR_EXT};
    for (size_t e = 0; e < 2; e++) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s%s", dir, name, exts[e]);
        if (access(path, F_OK) != 0)
            continue;
        json_t *doc = json_load_file(path, 0, NULL);
        const char *rec = json_string_value(json_object_get(doc, "recording"));
        bool other = !rec || strcmp(rec, file) != 0;
        json_decref(doc);
        if (other)
            return true;
    }
    return false;
}

/* Result names in sorted order of the inputs, the same in every shard. */
static int make_names(struct run *r)
{
    const struct an_batch *b = r->b;
    for (size_t k = 0; k < b->nfiles; k++) {
        size_t i = r->order[k];
        char base[1024], name[1100];
        stem(b->files[i], base, sizeof(base));
        snprintf(name, sizeof(name), "%s", base);
        for (int n = 2;; n++) {
            bool taken = false;
            for (size_t j = 0; j < k && !taken; j++)
                taken = strcmp(r->names[r->order[j]], name) == 0;
            if (!taken && b->out_dir)
                taken = taken_by_other(b->out_dir, name, b->files[i]);
            if (!taken)
                break;
            snprintf(name, sizeof(name), "%s-%d", base, n);
        }
        if (!(r->names[i] = strdup(name)))
            return RM_ENOMEM;
    }
    return 0;
}

static bool in_shard(const struct an_batch *b, size_t sorted_pos)
{
    return b->shard_n == 0 || sorted_pos % (size_t)b->shard_n == (size_t)(b->shard_k - 1);
}

static void result_path(const struct run *r, size_t i, const char *ext, char *out, size_t len)
{
    snprintf(out, len, "%s/%s%s", r->dir, r->names[i], ext);
}

static int write_json(const char *path, json_t *doc)
{
    char tmp[4300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!doc || json_dump_file(doc, tmp, JSON_FLAGS) != 0) {
        remove(tmp);
        return rm_fail(RM_EIO, "%s: cannot write", path);
    }
    return an_file_commit(NULL, tmp, path);
}

/* In the worker process: one recording to its document. */
static int work(size_t i, void *arg)
{
    struct run *r = arg;
    struct rm_analysis_result *res = NULL;
    int rc = rm_analysis_run(r->b->files[i], r->b->opts, &res);
    if (rc == 0 && r->b->advice_hook)
        r->b->advice_hook(res);
    if (rc == 0) {
        char path[4200];
        result_path(r, i, AN_RESULT_EXT, path, sizeof(path));
        json_t *doc = rm_analysis_to_json(res);
        rc = write_json(path, doc);
        json_decref(doc);
        result_path(r, i, AN_ERROR_EXT, path, sizeof(path));
        if (rc == 0)
            remove(path); /* an earlier run's failure of this recording */
    }
    rm_analysis_result_free(res);
    return rc;
}

static double limit_s(size_t i, void *arg)
{
    struct run *r = arg;
    if (r->b->timeout_s > 0)
        return r->b->timeout_s;
    struct stat st;
    double mb = stat(r->b->files[i], &st) == 0 ? (double)st.st_size / 1e6 : 0;
    return LIMIT_BASE_S + LIMIT_PER_MB_S * mb;
}

/* The record of a file that failed, so that summary.csv keeps its row. */
static void record_failure(struct run *r, size_t i, int rc, const char *msg)
{
    char path[4200];
    result_path(r, i, AN_RESULT_EXT, path, sizeof(path));
    remove(path); /* the recording's result is now this failure */
    json_t *rec = json_object();
    json_object_set_new(rec, "recording", rm_json_text(r->b->files[i]));
    json_object_set_new(rec, "error", rm_json_text(msg));
    json_object_set_new(rec, "exit_code", json_integer(rm_exit_code(rc)));
    result_path(r, i, AN_ERROR_EXT, path, sizeof(path));
    if (write_json(path, rec) != 0)
        progress_error(r, rm_last_error(RM_EIO));
    json_decref(rec);
}

static void done(size_t i, int rc, const char *msg, void *arg)
{
    struct run *r = arg;
    r->rc[i] = rc;
    if (rc == 0) {
        r->ok++;
        return;
    }
    r->bad++;
    char line[RM_POOL_MSG_LEN + 4200];
    /* The pool's own failures (time limit, a crash) do not name the file. */
    if (!strstr(msg, r->b->files[i]))
        snprintf(line, sizeof(line), "%s: %s", r->b->files[i], msg);
    else
        snprintf(line, sizeof(line), "%s", msg);
    progress_error(r, line);
    if (r->b->out_dir)
        record_failure(r, i, rc, line);
}

/* A worker's other lines on stderr, as they were. */
static void output(const char *text, void *arg)
{
    struct run *r = arg;
    rm_progress_end(&r->line);
    fprintf(stderr, "%s\n", text);
    r->drawn_s = 0;
}

static void tick(void *arg)
{
    progress_draw(arg);
}

/* Without --out: the documents (or the human summaries), in the order the
 * files were given. */
static void print_documents(const struct run *r)
{
    const struct an_batch *b = r->b;
    json_t *all = b->json ? json_array() : NULL;
    for (size_t i = 0; i < b->nfiles; i++) {
        char path[4200];
        result_path(r, i, AN_RESULT_EXT, path, sizeof(path));
        struct rm_analysis_result *res;
        /* Through the typed loader: what a worker wrote comes back whole
         * (the suite compares these with single-file output). */
        if (r->rc[i] == 0 && rm_analysis_load(path, &res) == 0) {
            if (all)
                json_array_append_new(all, rm_analysis_to_json(res));
            else
                rm_analysis_print_summary(stdout, res);
            rm_analysis_result_free(res);
        }
        remove(path);
    }
    if (all) {
        json_dumpf(all, stdout, JSON_FLAGS);
        fputc('\n', stdout);
        json_decref(all);
    }
}

static int exit_code(const struct run *r)
{
    int code = 0;
    for (size_t i = 0; i < r->b->nfiles; i++) {
        int e = r->names[i] ? rm_exit_code(r->rc[i]) : 0;
        if (e == 3 || (e != 0 && code == 0))
            code = e;
    }
    return code;
}

/* The shard's (or the whole run's) table after the pool. */
static int write_tables(const struct run *r, size_t selected)
{
    const struct an_batch *b = r->b;
    if (b->shard_n == 0)
        return an_summary_build(b->out_dir);
    char **records = calloc(selected ? selected : 1, sizeof(*records));
    if (!records)
        return RM_ENOMEM;
    size_t n = 0;
    int rc = 0;
    for (size_t k = 0; k < b->nfiles && rc == 0; k++) {
        size_t i = r->order[k];
        if (!r->names[i] || !in_shard(b, k))
            continue;
        char path[4200];
        result_path(r, i, r->rc[i] == 0 ? AN_RESULT_EXT : AN_ERROR_EXT, path, sizeof(path));
        if (!(records[n++] = strdup(path)))
            rc = RM_ENOMEM;
    }
    char csv[64], holds[64];
    snprintf(csv, sizeof(csv), "summary-%d-of-%d.csv", b->shard_k, b->shard_n);
    snprintf(holds, sizeof(holds), "holds-%d-of-%d.csv", b->shard_k, b->shard_n);
    if (rc == 0)
        rc = an_summary_write(b->out_dir, csv, holds, records, n);
    for (size_t k = 0; k < n; k++)
        free(records[k]);
    free(records);
    return rc;
}

int an_batch_run(const struct an_batch *b)
{
    struct run r = {.b = b, .dir = b->out_dir};
    char tmpdir[4200] = "";
    int rc = 0, code;
    r.order = calloc(b->nfiles, sizeof(*r.order));
    r.names = calloc(b->nfiles, sizeof(*r.names));
    r.rc = calloc(b->nfiles, sizeof(*r.rc));
    size_t *todo = calloc(b->nfiles, sizeof(*todo));
    if (!r.order || !r.names || !r.rc || !todo) {
        rc = RM_ENOMEM;
        goto out;
    }
    if (!b->out_dir) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof(tmpdir), "%s/rollmat-analyze-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmpdir)) {
            rc = rm_fail(RM_EIO, "%s: cannot create a temporary folder: %s", tmpdir,
                         strerror(errno));
            tmpdir[0] = 0;
            goto out;
        }
        r.dir = tmpdir;
    }
    sort_inputs(r.order, b->nfiles, b->files);
    if ((rc = make_names(&r)) != 0)
        goto out;
    size_t selected = 0;
    for (size_t k = 0; k < b->nfiles; k++) {
        size_t i = r.order[k];
        if (in_shard(b, k))
            todo[selected++] = i;
        else {
            free(r.names[i]);
            r.names[i] = NULL;
        }
    }
    rm_progress_start(&r.line, "analyze");
    r.line.on = r.line.on && !b->quiet;
    r.total = selected;
    r.t0 = rm_clock_s();
    struct rm_pool_opts po = {
        .jobs = b->jobs,
        .limit_s = limit_s,
        .work = work,
        .done = done,
        .output = output,
        .tick = tick,
        .arg = &r,
    };
    rc = rm_pool_run(selected, todo, &po);
    rm_progress_end(&r.line);
    if (r.line.on)
        fprintf(stderr, "%zu recordings: %zu ok, %zu bad\n", selected, r.ok, r.bad);
    if (!b->out_dir)
        print_documents(&r);
    else if (rc == 0)
        rc = write_tables(&r, selected);
out:
    code = r.names ? exit_code(&r) : 0;
    if (rc != 0) {
        rm_log_error_line(rm_last_error(rc));
        if (code == 0)
            code = rm_exit_code(rc);
    }
    if (tmpdir[0])
        rmdir(tmpdir);
    for (size_t i = 0; r.names && i < b->nfiles; i++)
        free(r.names[i]);
    free(r.names);
    free(r.order);
    free(r.rc);
    free(todo);
    return code;
}

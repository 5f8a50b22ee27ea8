/* Batch analysis (`rollmat analyze` with several files or --out DIR): every
 * recording in a worker process of its own (common/rm_pool.h), a time limit
 * per file, a shard of the inputs for a cluster job array, progress on a
 * terminal, and the per-recording results in the output folder:
 *
 *   DIR/<name>.analysis.json   the document of a recording analysed
 *   DIR/<name>.error.json      {"recording", "error", "exit_code"} of one
 *                              that could not be (a row of summary.csv too)
 *
 * <name> is the recording's file name without its extension, made unique
 * with -2, -3, ... against the other inputs (in sorted order, so that every
 * shard of a job array names every file alike) and against results already
 * in DIR from other recordings: re-running into a folder adds to it, and
 * re-analysing a recording replaces its own result only. */
#ifndef AN_BATCH_H
#define AN_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "rm_analysis.h"

struct an_batch {
    char **files; /* as given */
    size_t nfiles;
    const struct rm_analysis_opts *opts;
    const char *out_dir;  /* NULL: documents for stdout, through a temporary folder */
    int jobs;             /* worker processes at once */
    double timeout_s;     /* per file; 0: 60 s + 1 s per MB of the file */
    int shard_k, shard_n; /* --shard K/N; 0/0: every file */
    bool quiet;           /* no progress, no closing line */
    bool json;            /* stdout: the documents (else the human summaries) */
    /* Called on every result before it is written (rm_analysis.h,
     * rm_cmd_analyze_set_advice_hook); NULL: none. Runs in the worker. */
    void (*advice_hook)(struct rm_analysis_result *r);
};

/* Runs the batch and returns the command's exit code (cli.md): 3 when a
 * file was bad input, else 1 when anything else failed, else 0. */
int an_batch_run(const struct an_batch *b);

/* Extension of the result files. */
#define AN_RESULT_EXT ".analysis.json"
#define AN_ERROR_EXT  ".error.json"

#endif

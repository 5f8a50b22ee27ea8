/* A pool of worker processes for batches: each item of a batch runs in a
 * child process of its own, at most `jobs` at a time, under a time limit.
 *
 * Why processes and not threads: HDF5 serialises every call behind one
 * global lock, so threads reading several recordings at once take turns
 * (issue 13 measured 1.0 x from two threads); and a file that crashes or
 * hangs the library (a damaged superblock, a stale network mount) takes
 * down only its own child, which is killed at its time limit and reported
 * as that item's failure while the rest of the batch finishes.
 *
 * The parent holds a few bytes per running child and nothing per finished
 * item, so a batch of any length runs in flat memory. The children are
 * forked, not executed: they share the parent's loaded state, and start in
 * about a millisecond. Call rm_pool_run() from a process that has no other
 * threads running and has not opened HDF5 files it needs afterwards. */
#ifndef RM_POOL_H
#define RM_POOL_H

#include <stddef.h>

/* Longest error line of a child the parent reports. */
#define RM_POOL_MSG_LEN 1024

/* Runs in the child for item i, with the child's stderr going to the
 * parent: returns 0 or a negative RM_E* code; the pool prints the message
 * of rm_last_error() as the command's one line and exits with the
 * command's exit code (cli.md). A child may also end itself that way (a
 * line on stderr, then _exit with the code). */
typedef int (*rm_pool_work_fn)(size_t i, void *arg);

/* Runs in the parent when item i is over: rc is 0, or the RM_E* code of
 * the child's exit code (3 RM_EFORMAT, 2 RM_EUSAGE, else RM_EIO), or
 * RM_ETIMEOUT when it ran past its limit and was killed, or RM_EEXTERNAL
 * when it died of a signal; msg the child's last line on stderr without
 * "rollmat: " (or what happened to it), "" on success. */
typedef void (*rm_pool_done_fn)(size_t i, int rc, const char *msg, void *arg);

/* Runs in the parent with the other lines a child wrote on stderr
 * (warnings, a sanitizer's report), before its done(). May be NULL. */
typedef void (*rm_pool_output_fn)(const char *text, void *arg);

/* Runs in the parent about once a second and after every item, for a
 * progress display. May be NULL. */
typedef void (*rm_pool_tick_fn)(void *arg);

struct rm_pool_opts {
    int jobs; /* children at once, >= 1 */
    /* Seconds item i may take before it is killed; NULL or <= 0: no limit. */
    double (*limit_s)(size_t i, void *arg);
    rm_pool_work_fn work;
    rm_pool_done_fn done;
    rm_pool_output_fn output;
    rm_pool_tick_fn tick;
    void *arg;
};

/* Runs work(i) for i in order[0..n) (all of 0..n-1 when order is NULL),
 * each in its own child process, and calls done(i, ...) in the parent for
 * every one. Returns 0 when every item was started and collected (whatever
 * the items' own results), or RM_EIO/RM_ENOMEM when the pool itself could
 * not go on (fork or pipe refused); items not run by then are reported
 * done with that error. */
int rm_pool_run(size_t n, const size_t *order, const struct rm_pool_opts *opts);

#endif

/* Progress of a long command (`rollmat plot`, `rollmat import` of a big
 * export) on one line of stderr, rewritten in place, and only when stderr
 * is a terminal: a script or a log gets nothing from it. Cleared when the
 * work ends, so that what follows starts on a clean line.
 *
 *     struct rm_progress p;
 *     rm_progress_start(&p, "import");
 *     for (...) rm_progress_update(&p, done, total, name);
 *     rm_progress_end(&p);
 *
 * Single-threaded: one owner updates it. */
#ifndef RM_PROGRESS_H
#define RM_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

struct rm_progress {
    FILE *out;
    const char *what;
    bool on;         /* out is a terminal */
    bool shown;      /* a line is on screen */
    double last_s;   /* when the line was last written (rm_clock_s()) */
    int last_permil; /* what it said */
};

/* Progress of `what` ("plot", "import") on stderr; on only when stderr is a
 * terminal (p->on). */
void rm_progress_start(struct rm_progress *p, const char *what);

/* done of total (any unit) with an optional note (a file, a segment); the
 * line is rewritten at most ten times a second. */
void rm_progress_update(struct rm_progress *p, double done, double total, const char *note);

/* Rewrites the line with any text (a live status rather than a
 * percentage), at once. */
void rm_progress_printf(struct rm_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Clears the line. */
void rm_progress_end(struct rm_progress *p);

#endif

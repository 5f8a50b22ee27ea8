/* Progress of a batch on a terminal: one line redrawn in place, with the
 * items done out of the total, the rate and the time left, and a closing
 * line "N recordings: N ok, N bad". Nothing at all when hidden (stderr not
 * a terminal, or --quiet): logs and scripts get only the errors. */
#ifndef RM_PROGRESS_H
#define RM_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

struct rm_progress {
    const char *noun; /* plural, "recordings" */
    size_t total, ok, bad;
    bool show;
    bool drawn; /* the progress line is on screen */
    double t0, last_draw;
};

/* show: whether to draw at all (the caller decides: a terminal, not quiet). */
void rm_progress_start(struct rm_progress *p, const char *noun, size_t total, bool show);

/* One item is over. */
void rm_progress_count(struct rm_progress *p, bool ok);

/* Redraws the line, at most five times a second unless the batch is done. */
void rm_progress_draw(struct rm_progress *p);

/* Prints an error line of the batch (rm_log_error_line) without mixing it
 * into the progress line. */
void rm_progress_error(struct rm_progress *p, const char *message);

/* Replaces the progress line with "N <noun>: N ok, N bad". */
void rm_progress_finish(struct rm_progress *p);

#endif

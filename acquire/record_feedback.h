/* What `rollmat record` tells the person at the keyboard: on a terminal, a
 * live status line rewritten in place (time, frames, rate, losses, load),
 * and in every case but --quiet one summary line when the recording ends,
 * however it ends (duration, end of a capture, SIGINT/SIGTERM, failure):
 *
 *     rollmat: record: rec.h5: 412 frames, 4.11 s, 100.0 Hz; losses: 0 frames dropped,
 *     0 CRC errors, 0 bytes skipped, 0 disconnects (stopped by Interrupt)
 *
 * on stderr (stdout stays free for scripts), one line. */
#ifndef RM_RECORD_FEEDBACK_H
#define RM_RECORD_FEEDBACK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "load_detect.h"
#include "rm_mat.h"
#include "rm_progress.h"
#include "rm_session.h"

struct rm_record_feedback {
    FILE *out; /* the summary's */
    const char *path;
    bool quiet;              /* --quiet: nothing at all */
    struct rm_progress line; /* the live line, on a terminal only */
    /* Fed on the device thread, read by the main thread. */
    struct rm_load_detector load;
    atomic_bool loaded;
};

/* Prepares the feedback for the recording at path on a mat described by
 * info: the live line when stderr is a terminal and not quiet, the summary
 * on stderr unless quiet. */
void rm_record_feedback_init(struct rm_record_feedback *fb, const char *path,
                             const struct rm_mat_info *info, bool quiet);

/* An rm_session_frame_cb: give it and fb in rm_session_opts. */
void rm_record_feedback_on_frame(void *fb, const struct rm_frame *frame, double t);

/* Rewrites the live line (nothing when not live). */
void rm_record_feedback_update(struct rm_record_feedback *fb, const struct rm_session_status *st);

/* Clears the live line and prints the summary; why is how the recording
 * ended ("stopped by Interrupt", "duration reached", ...), or NULL. */
void rm_record_feedback_summary(struct rm_record_feedback *fb, const struct rm_session_status *st,
                                const char *why);

#endif

/* A recording session: device -> wire decoder (on the device's thread) ->
 * bounded ring of decoded frames -> writer thread -> recording
 * (rm_recording.h). The device thread never waits on the disk: when the
 * ring is full the frame is counted as dropped and logged, never silently
 * lost. Time in the file (/t and every event) is the device clock: seconds
 * since the first frame, unwrapped, carried across reconnects; the drift of
 * that clock against the host's CLOCK_MONOTONIC is tracked and logged only.
 *
 *     struct rm_session *s;
 *     struct rm_session_opts o = RM_SESSION_OPTS_DEFAULT;
 *     rm_session_new(&s, dev, "out.h5", cal, &o);   // creates the file
 *     rm_session_start(s);                          // device streams
 *     rm_session_event(s, "segment_start", "calf-left");
 *     while (rm_session_wait(s, 0.5) == RM_ETIMEOUT) { ...signals, status... }
 *     rc = rm_session_stop(s);                      // valid complete file
 *     rm_session_free(s);
 */
#ifndef RM_SESSION_H
#define RM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_calibration.h"
#include "rm_device.h"
#include "rm_recording.h"
#include "rm_wire.h"

/* Called on the device thread for every frame that goes into the file,
 * with its /t: e.g. rollmatd's --auto load detector. Must be quick and must
 * not block. */
typedef void (*rm_session_frame_cb)(void *user, const struct rm_frame *frame, double t);

struct rm_session_opts {
    int compression;         /* deflate level 0-9 of /frames; default 1 */
    double flush_interval_s; /* longest time a frame waits in memory; default 1 */
    double duration_s;       /* end after this long (device clock); 0: no limit */
    size_t ring_frames; /* decoded frames buffered; 0: 2 s at the mat's rate, 64 frames to 64 MiB */
    rm_session_frame_cb on_frame; /* optional */
    void *on_frame_user;
};
#define RM_SESSION_OPTS_DEFAULT                                                                    \
    {                                                                                              \
        1, 1.0, 0.0, 0, NULL, NULL                                                                 \
    }

enum rm_session_state {
    RM_SESSION_READY,        /* created, not started */
    RM_SESSION_RECORDING,    /* streaming */
    RM_SESSION_DISCONNECTED, /* the mat went away; waiting for it */
    RM_SESSION_ENDED,        /* the device ended or --duration was reached */
    RM_SESSION_FAILED,       /* the device or the writer failed; see error */
    RM_SESSION_STOPPED,      /* rm_session_stop() ran */
};

struct rm_session_status {
    enum rm_session_state state;
    int error;                       /* the failure's code when FAILED, else 0 */
    int64_t frames;                  /* frames accepted for the file */
    double t;                        /* /t of the last frame, s */
    double elapsed_s;                /* host time since start */
    struct rm_rec_counters counters; /* as they will be written */
    int64_t ring_overflows;          /* frames dropped because the writer lagged (in
                                        counters.frames_dropped too) */
    double drift_ppm;                /* device clock rate minus host's, ppm; 0 until known */
};

struct rm_session;

/* Creates the recording at path (metadata from the device's info block,
 * cal copied into it when not NULL: its grid must match the mat, a serial
 * mismatch is a warning) and the writer thread. The device stays the
 * caller's and must outlive the session; the session starts and stops it.
 * Free with rm_session_free(). */
int rm_session_new(struct rm_session **out, struct rm_device *dev, const char *path,
                   const struct rm_calibration *cal, const struct rm_session_opts *opts);

/* Starts the device streaming into the session. */
int rm_session_start(struct rm_session *s);

/* Adds a user event (segment_start, segment_end, mark) stamped now, the host
 * time mapped onto the device clock (before the first frame: 0). Accepted
 * until rm_session_stop(), also after the session ENDED; RM_EUSAGE once
 * stopped or FAILED, or for a kind or label too long for the file.
 * Thread-safe. */
int rm_session_event(struct rm_session *s, const char *kind, const char *label);
/* The same, stamped seconds_ago before now (never after the last frame):
 * an automatic stop ends the segment at the last loaded frame. */
int rm_session_event_before(struct rm_session *s, double seconds_ago, const char *kind,
                            const char *label);

/* Waits until the session ended by itself (device END, duration reached,
 * failure): 0, or RM_ETIMEOUT after timeout_s. */
int rm_session_wait(struct rm_session *s, double timeout_s);

/* A snapshot; thread-safe. */
void rm_session_status(struct rm_session *s, struct rm_session_status *out);

/* Stops the device, writes every frame still buffered, the counters and
 * the complete mark, and closes the file. Returns the first error of the
 * session (device failure, write error), 0 when all went well: the file is
 * valid either way, unless the disk itself failed. Idempotent. */
int rm_session_stop(struct rm_session *s);

/* Stops if needed and frees. */
void rm_session_free(struct rm_session *s);

/* `rollmat record`: see shared/spec/cli.md. */
int rm_cmd_record(int argc, char **argv);

#endif

/* rollmatd keeps its mat streaming for as long as it has it, between
 * sessions too: so it sees the roller being loaded (--auto), notices the mat
 * going away and coming back while idle, and a session starts without
 * restarting the mat. The tee decodes the stream for itself (frame sums for
 * the load detector) and lends each session a device of its own whose
 * start attaches the session to the stream, at a frame boundary so that the
 * recording's loss counters see only real losses, and whose stop detaches
 * it. */
#ifndef RM_DEVICE_TEE_H
#define RM_DEVICE_TEE_H

#include <stdbool.h>
#include <stdint.h>

#include "load_detect.h"
#include "rm_device.h"

struct rm_device_tee;

/* Wraps dev, which stays the caller's and must outlive the tee. Free with
 * rm_device_tee_free(). */
int rm_device_tee_new(struct rm_device_tee **out, struct rm_device *dev);

/* Starts the mat streaming into the tee. */
int rm_device_tee_start(struct rm_device_tee *tee);

/* A device for one session over the tee's stream: rm_device_start() on it
 * attaches the session (before or after rm_device_tee_start(); not while
 * the mat is away), rm_device_stop() detaches it. Only one session device
 * may exist at a time; close it with rm_device_close() before the tee is
 * freed. */
int rm_device_tee_session_device(struct rm_device_tee *tee, struct rm_device **out);

struct rm_device_tee_state {
    bool streaming; /* started and not ended or failed */
    bool away;      /* the mat went away and has not come back */
    bool ended;     /* the device has no more data (file, sim) */
    bool failed;    /* the device failed for good; fail_msg says why */
    char fail_msg[256];
    int64_t frames;    /* decoded by the tee since start */
    bool loaded;       /* the load detector's verdict on the last frame */
    double loaded_for; /* seconds, on the host clock */
    double idle_for;   /* seconds since the last loaded frame */
};

/* A snapshot at host time now (rm_clock_s()). Thread-safe. */
void rm_device_tee_state(struct rm_device_tee *tee, double now, struct rm_device_tee_state *out);

/* Forgets how long the roller was loaded or idle (the baseline stays). */
void rm_device_tee_restart_load(struct rm_device_tee *tee, double now);

/* Stops the mat (detaching any session) and frees the tee. */
void rm_device_tee_free(struct rm_device_tee *tee);

#endif

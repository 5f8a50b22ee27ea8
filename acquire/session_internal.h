/* The session pipeline's parts (rm_session.h), for its two files:
 * session.c (the state, the writer thread, the API) and session_input.c
 * (the device thread: decoded frames into the ring, device events, the
 * timeline). Threads and the lock are described in session.c. */
#ifndef RM_SESSION_INTERNAL_H
#define RM_SESSION_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock_map.h"
#include "rm_device.h"
#include "rm_recording.h"
#include "rm_session.h"
#include "rm_wire.h"

struct slot {
    double t;
    uint64_t seq;
    uint16_t *sensels; /* into the ring's frame memory */
};

struct rm_session {
    struct rm_device *dev; /* the caller's */
    char *path;
    struct rm_session_opts opts;
    struct rm_mat_info info;
    size_t frame_elems;
    bool paced;

    struct rm_rec_writer *writer; /* the writer thread's while it runs */
    struct rm_wire_decoder *dec;  /* the device thread's */
    pthread_t writer_thread;
    bool writer_started;

    pthread_mutex_t lock;
    pthread_cond_t not_empty; /* the writer thread waits for work */
    pthread_cond_t not_full;  /* an unpaced producer waits for room */
    pthread_cond_t ended;     /* rm_session_wait */

    /* The ring: count slots from tail on hold frames for the writer. */
    struct slot *slots;
    uint16_t *frame_mem;
    size_t cap, tail, count;

    struct rm_event *events; /* queued for the writer */
    size_t nevents, events_cap;

    bool writer_stop;   /* writer: drain and end */
    bool producer_stop; /* producer: never wait for room again */
    enum rm_session_state state;
    int error;
    char error_msg[512];
    bool write_failed; /* the file, not the device, failed: stop writing */

    struct rm_wire_stats wire; /* the decoder's, copied after each feed */
    int64_t ring_overflows;
    int64_t time_rejects; /* frames whose device time did not increase */
    int64_t disconnects;
    int64_t frames;
    double last_loss_log;

    /* The timeline (written by the device thread, under the lock). /t of a
     * frame is epoch_t + (t_us - epoch_t_us) / 1e6; a device restart opens
     * a new epoch. */
    double start_host; /* rm_clock_s() at start */
    bool have_frame;
    double epoch_t;
    uint64_t epoch_t_us;
    uint64_t seq_offset; /* keeps /seq increasing across restarts */
    double last_t, last_host;
    uint64_t last_seq;
    /* Host against device clock (paced devices only); drift logging. */
    struct rm_clock_map clock;
    double last_drift_log;
    bool drift_warned;
};

/* ---- session.c ---------------------------------------------------------- */

/* Ended, failed or stopped: no frame is taken any more. */
bool session_is_over(enum rm_session_state st);

/* Under the lock: moves to st, unless the session is already over. */
void session_set_state(struct rm_session *s, enum rm_session_state st);

/* Under the lock: fails the session with err and msg; the first failure wins. */
void session_fail(struct rm_session *s, int err, const char *msg);

/* ---- session_input.c: the device thread --------------------------------- */

/* The device's data callback: bytes into the wire decoder. */
void session_on_data(void *user, const uint8_t *bytes, size_t len);

/* The device's event callback: disconnect, reconnect, end, failure. */
void session_on_device_event(void *user, enum rm_device_event ev);

/* The wire decoder's callback: one frame onto the timeline and into the ring. */
void session_on_frame(void *user, const struct rm_frame *f);

/* Under the lock: device time at host time host (rm_clock_s()), what user
 * events are stamped with; 0 before the first frame. */
double session_device_time_now(const struct rm_session *s, double host);

/* Under the lock: queues an event for the writer; RM_EUSAGE (said) for a
 * kind or label out of the recording format's bounds. */
int session_queue_event(struct rm_session *s, double t, const char *kind, const char *label);

#endif

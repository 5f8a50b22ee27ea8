/* The session pipeline's device thread (session.c says how the threads
 * share the session): decoded frames get their place on the recording's
 * timeline and go into the ring; device events become recording events and
 * session states. */
#include "session_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "session"

/* Drift (clock_map.h) is logged this often, and warned about once above
 * DRIFT_WARN_PPM (a crystal is within +-50 ppm). */
#define DRIFT_LOG_EVERY_S 60.0
#define DRIFT_WARN_PPM    500.0
/* Loss is logged at most this often. */
#define LOSS_LOG_INTERVAL_S 1.0

/* Under the lock: a frame that arrived but cannot reach the file. */
static void count_loss(struct rm_session *s, int64_t *counter, const char *why)
{
    (*counter)++;
    double now = rm_clock_s();
    if (now - s->last_loss_log >= LOSS_LOG_INTERVAL_S) {
        s->last_loss_log = now;
        rm_warn("frame lost: %s (%lld overflows, %lld out of time so far)", why,
                (long long)s->ring_overflows, (long long)s->time_rejects);
    }
}

/* ---- the timeline (device thread, under the lock) ---------------------- */

/* Device time now, mapped from the host clock: what user events are
 * stamped with. 0 before the first frame. */
double session_device_time_now(const struct rm_session *s, double host)
{
    if (!s->have_frame)
        return 0.0;
    if (!s->paced)
        return s->last_t; /* replayed as fast as possible: host time means nothing */
    double t = rm_clock_map_device_time(&s->clock, host);
    return t > 0.0 ? t : 0.0;
}

static void track_drift(struct rm_session *s, double t, double host)
{
    if (!rm_clock_map_add(&s->clock, t, host))
        return;
    double ppm = s->clock.drift_ppm;
    if (t - s->last_drift_log >= DRIFT_LOG_EVERY_S) {
        s->last_drift_log = t;
        rm_info("device clock drift %+.1f ppm against the host over %.0f s", ppm,
                t - s->clock.ref_t);
    }
    if (fabs(ppm) > DRIFT_WARN_PPM && !s->drift_warned) {
        s->drift_warned = true;
        rm_warn("device clock drifts %+.0f ppm against the host: /t follows the device", ppm);
    }
}

/* Starts a new epoch at a sequence start. */
static void open_epoch(struct rm_session *s, const struct rm_frame *f, double host)
{
    if (!s->have_frame) {
        s->epoch_t = 0.0;
        s->seq_offset = 0;
    } else {
        /* The device restarted its clock and counter: continue /t by the
         * host time that passed, and /seq right after the last one. Never
         * before host now on the old clock map, which stamped the
         * disconnect and reconnect events: a last frame that arrived late
         * would otherwise put the new frames before them. */
        double gap = host - s->last_host;
        double min_step = 1.0 / (s->info.rate_hz ? s->info.rate_hz : 1);
        double after = s->last_t + (gap > min_step ? gap : min_step);
        double mapped = session_device_time_now(s, host);
        s->epoch_t = mapped > after ? mapped : after;
        s->seq_offset = s->last_seq + 1 - f->seq;
        rm_info("device sequence restarted: /t continues at %.3f s", s->epoch_t);
    }
    s->epoch_t_us = f->t_us;
    rm_clock_map_reset(&s->clock, s->epoch_t, host);
    s->last_drift_log = s->epoch_t;
}

/* ---- the device thread ------------------------------------------------- */

void session_on_frame(void *user, const struct rm_frame *f)
{
    struct rm_session *s = user;
    double host = rm_clock_s();

    pthread_mutex_lock(&s->lock);
    if (session_is_over(s->state)) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (f->sequence_start)
        open_epoch(s, f, host);
    double t = s->epoch_t + (double)(int64_t)(f->t_us - s->epoch_t_us) * 1e-6;
    uint64_t seq = f->seq + s->seq_offset;
    if (s->have_frame && !(t > s->last_t)) {
        count_loss(s, &s->time_rejects, "device time did not increase");
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (s->opts.duration_s > 0 && t >= s->opts.duration_s) {
        rm_info("duration of %.3f s reached", s->opts.duration_s);
        session_set_state(s, RM_SESSION_ENDED);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    s->have_frame = true;
    s->last_t = t;
    s->last_host = host;
    s->last_seq = seq;
    if (s->paced)
        track_drift(s, t, host);

    while (s->count == s->cap && !s->paced && !s->producer_stop)
        pthread_cond_wait(&s->not_full, &s->lock);
    if (s->count == s->cap) {
        count_loss(s, &s->ring_overflows, "the writer is behind and the ring is full");
        pthread_mutex_unlock(&s->lock);
        return;
    }
    struct slot *slot = &s->slots[(s->tail + s->count) % s->cap];
    pthread_mutex_unlock(&s->lock);

    /* The slot is ours until counted in. */
    slot->t = t;
    slot->seq = seq;
    memcpy(slot->sensels, f->sensels, s->frame_elems * sizeof(uint16_t));
    if (s->opts.on_frame)
        s->opts.on_frame(s->opts.on_frame_user, f, t);

    pthread_mutex_lock(&s->lock);
    s->count++;
    s->frames++;
    /* A paced device's frames wait for the writer's tick (WRITER_TICK_S)
     * unless the ring fills up: one wake-up per tick rather than per frame
     * keeps a 100 Hz session cheap. Unpaced ones wake it at once. */
    if (!s->paced || s->count == 1 + s->cap / 2)
        pthread_cond_signal(&s->not_empty);
    pthread_mutex_unlock(&s->lock);
}

void session_on_data(void *user, const uint8_t *bytes, size_t len)
{
    struct rm_session *s = user;
    rm_wire_decoder_feed(s->dec, bytes, len);
    pthread_mutex_lock(&s->lock);
    rm_wire_decoder_stats(s->dec, &s->wire);
    pthread_mutex_unlock(&s->lock);
}

/* Under the lock. */
int session_queue_event(struct rm_session *s, double t, const char *kind, const char *label)
{
    if (strlen(kind) == 0 || strlen(kind) > RM_EVENT_KIND_LEN)
        return rm_fail(RM_EUSAGE, "event kind \"%s\" must be 1-%d bytes", kind, RM_EVENT_KIND_LEN);
    if (strlen(label) > RM_EVENT_LABEL_LEN)
        return rm_fail(RM_EUSAGE, "event label \"%s\" is longer than %d bytes", label,
                       RM_EVENT_LABEL_LEN);
    if (s->nevents == s->events_cap) {
        size_t cap = s->events_cap ? 2 * s->events_cap : 16;
        struct rm_event *grown = realloc(s->events, cap * sizeof(*grown));
        if (!grown)
            return RM_ENOMEM;
        s->events = grown;
        s->events_cap = cap;
    }
    struct rm_event *e = &s->events[s->nevents++];
    memset(e, 0, sizeof(*e));
    e->t = t;
    strcpy(e->kind, kind);
    strcpy(e->label, label);
    pthread_cond_signal(&s->not_empty);
    return 0;
}

void session_on_device_event(void *user, enum rm_device_event ev)
{
    struct rm_session *s = user;
    if (ev == RM_DEVICE_DISCONNECT || ev == RM_DEVICE_END || ev == RM_DEVICE_FAILED)
        rm_wire_decoder_finish(s->dec); /* a frame cut short is lost */
    if (ev == RM_DEVICE_RECONNECT)
        rm_wire_decoder_reset_sequence(s->dec);
    char msg[512];
    if (ev == RM_DEVICE_FAILED)
        snprintf(msg, sizeof(msg), "%s", rm_last_error(RM_EIO));

    pthread_mutex_lock(&s->lock);
    rm_wire_decoder_stats(s->dec, &s->wire);
    double t = session_device_time_now(s, rm_clock_s());
    switch (ev) {
    case RM_DEVICE_DISCONNECT:
        s->disconnects++;
        rm_warn("%s: the mat went away at t = %.3f s; waiting for it", s->path, t);
        session_queue_event(s, t, "disconnect", "");
        if (s->state == RM_SESSION_RECORDING)
            s->state = RM_SESSION_DISCONNECTED;
        break;
    case RM_DEVICE_RECONNECT:
        rm_warn("%s: the mat is back at t = %.3f s", s->path, t);
        session_queue_event(s, t, "reconnect", "");
        if (s->state == RM_SESSION_DISCONNECTED)
            s->state = RM_SESSION_RECORDING;
        break;
    case RM_DEVICE_END:
        rm_info("%s: the device has no more data", s->path);
        session_set_state(s, RM_SESSION_ENDED);
        break;
    case RM_DEVICE_FAILED:
        session_fail(s, RM_EIO, msg);
        break;
    }
    pthread_mutex_unlock(&s->lock);
}

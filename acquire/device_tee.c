#define LOG_PREFIX "rollmatd"

#include "device_tee.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_backend.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_wire.h"

enum attach_state {
    DETACHED,
    ATTACHING, /* from the next frame boundary on */
    ATTACHED,
};

struct rm_device_tee {
    struct rm_device *dev; /* the caller's */
    struct rm_wire_decoder *dec;
    pthread_mutex_t lock; /* everything below; held while forwarding to a session */
    struct rm_load_detector load;
    int64_t frames;
    bool started, away, ended, failed;
    char fail_msg[256];
    enum attach_state attach;
    struct rm_device_callbacks session_cb;
    bool has_session_device;
};

/* Decoder callback, under the lock on the device thread. */
static void on_frame(void *user, const struct rm_frame *f)
{
    struct rm_device_tee *tee = user;
    uint64_t sum = 0;
    for (int i = 0; i < f->rows * f->cols; i++)
        sum += f->sensels[i];
    tee->frames++;
    rm_load_detector_feed(&tee->load, rm_clock_s(), (double)sum);
}

static void on_data(void *user, const uint8_t *bytes, size_t len)
{
    struct rm_device_tee *tee = user;
    pthread_mutex_lock(&tee->lock);
    rm_wire_decoder_feed(tee->dec, bytes, len);
    if (tee->attach == ATTACHING) {
        /* The decoder holds back the start of the frame in progress: when
         * that start is in this piece, the session begins there, so its
         * first bytes are a frame's magic. */
        size_t pending = rm_wire_decoder_pending(tee->dec);
        if (pending <= len) {
            tee->attach = ATTACHED;
            bytes += len - pending;
            len = pending;
        } else {
            len = 0;
        }
    } else if (tee->attach == DETACHED) {
        len = 0;
    }
    if (len > 0)
        tee->session_cb.data(tee->session_cb.user, bytes, len);
    pthread_mutex_unlock(&tee->lock);
}

static void on_event(void *user, enum rm_device_event ev)
{
    struct rm_device_tee *tee = user;
    pthread_mutex_lock(&tee->lock);
    switch (ev) {
    case RM_DEVICE_DISCONNECT:
        tee->away = true;
        rm_wire_decoder_finish(tee->dec);
        /* No frames while away: the roller counts as unloaded from now. */
        rm_load_detector_restart(&tee->load, rm_clock_s());
        break;
    case RM_DEVICE_RECONNECT:
        tee->away = false;
        rm_wire_decoder_reset_sequence(tee->dec);
        break;
    case RM_DEVICE_END:
        tee->ended = true;
        break;
    case RM_DEVICE_FAILED:
        tee->failed = true;
        snprintf(tee->fail_msg, sizeof(tee->fail_msg), "%s", rm_last_error(RM_EIO));
        break;
    }
    /* The session hears it on this same thread, so a FAILED event's
     * rm_last_error() is still there for it. */
    if (tee->attach != DETACHED)
        tee->session_cb.event(tee->session_cb.user, ev);
    pthread_mutex_unlock(&tee->lock);
}

int rm_device_tee_new(struct rm_device_tee **out, struct rm_device *dev)
{
    *out = NULL;
    const struct rm_mat_info *info = rm_device_info(dev);
    struct rm_device_tee *tee = calloc(1, sizeof(*tee)); /* owned by the caller */
    if (!tee)
        return rm_fail(RM_ENOMEM, "out of memory");
    tee->dev = dev;
    int rc = rm_wire_decoder_new(&tee->dec, info->rows, info->cols, on_frame, tee);
    if (rc < 0) {
        free(tee);
        return rc;
    }
    pthread_mutex_init(&tee->lock, NULL);
    rm_load_detector_init(&tee->load, info->rows, info->cols, info->adc_bits);
    *out = tee;
    return 0;
}

int rm_device_tee_start(struct rm_device_tee *tee)
{
    struct rm_device_callbacks cb = {on_data, on_event, tee};
    int rc = rm_device_start(tee->dev, &cb);
    if (rc == 0) {
        pthread_mutex_lock(&tee->lock);
        tee->started = true;
        pthread_mutex_unlock(&tee->lock);
    }
    return rc;
}

/* ---- the session's device ------------------------------------------------ */

static int session_start(void *impl, const struct rm_device_callbacks *cb)
{
    struct rm_device_tee *tee = impl;
    int rc = 0;
    pthread_mutex_lock(&tee->lock);
    if (tee->failed)
        rc = rm_fail(RM_EIO, "%s", tee->fail_msg);
    else if (tee->ended)
        rc = rm_fail(RM_ENODEV, "the device has no more data");
    else if (tee->away)
        rc = rm_fail(RM_ENODEV, "the mat is not connected");
    if (rc == 0) {
        tee->session_cb = *cb;
        tee->attach = ATTACHING;
    }
    pthread_mutex_unlock(&tee->lock);
    return rc;
}

static int session_stop(void *impl)
{
    struct rm_device_tee *tee = impl;
    /* Taking the lock waits for a forward in progress: none runs after. */
    pthread_mutex_lock(&tee->lock);
    tee->attach = DETACHED;
    pthread_mutex_unlock(&tee->lock);
    return 0;
}

static void session_close(void *impl)
{
    struct rm_device_tee *tee = impl;
    pthread_mutex_lock(&tee->lock);
    assert(tee->attach == DETACHED);
    tee->has_session_device = false;
    pthread_mutex_unlock(&tee->lock);
}

static const struct rm_device_ops session_ops = {"tee", session_start, session_stop, session_close};

int rm_device_tee_session_device(struct rm_device_tee *tee, struct rm_device **out)
{
    *out = NULL;
    pthread_mutex_lock(&tee->lock);
    bool busy = tee->has_session_device;
    tee->has_session_device = true;
    pthread_mutex_unlock(&tee->lock);
    if (busy)
        return rm_fail(RM_EUSAGE, "a session is already attached to the mat");
    int rc =
        rm_device_new(out, &session_ops, tee, rm_device_info(tee->dev), rm_device_paced(tee->dev));
    if (rc == 0)
        (*out)->caps = rm_device_caps(tee->dev);
    if (rc < 0) {
        pthread_mutex_lock(&tee->lock);
        tee->has_session_device = false;
        pthread_mutex_unlock(&tee->lock);
        return rm_fail(rc, "out of memory");
    }
    return 0;
}

/* ---- state ------------------------------------------------------------- */

void rm_device_tee_state(struct rm_device_tee *tee, double now, struct rm_device_tee_state *out)
{
    pthread_mutex_lock(&tee->lock);
    out->streaming = tee->started && !tee->ended && !tee->failed;
    out->away = tee->away;
    out->ended = tee->ended;
    out->failed = tee->failed;
    snprintf(out->fail_msg, sizeof(out->fail_msg), "%s", tee->fail_msg);
    out->frames = tee->frames;
    out->loaded = tee->load.loaded;
    out->loaded_for = rm_load_detector_loaded_for(&tee->load, now);
    out->idle_for = rm_load_detector_idle_for(&tee->load, now);
    pthread_mutex_unlock(&tee->lock);
}

void rm_device_tee_restart_load(struct rm_device_tee *tee, double now)
{
    pthread_mutex_lock(&tee->lock);
    rm_load_detector_restart(&tee->load, now);
    pthread_mutex_unlock(&tee->lock);
}

void rm_device_tee_free(struct rm_device_tee *tee)
{
    if (!tee)
        return;
    assert(!tee->has_session_device);
    rm_device_stop(tee->dev);
    rm_wire_decoder_free(tee->dec);
    pthread_mutex_destroy(&tee->lock);
    free(tee);
}

/* The file backend: replays a wire capture (.rmw) through the same decoder
 * path as a mat. Without realtime it produces as fast as the consumer takes
 * the bytes; with realtime it paces them by the frames' own device clock,
 * which it learns by decoding the stream a second time on its thread. */
#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device_backend.h"
#include "rm_capture.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_wire.h"

#define LOG_PREFIX "file"

/* Fast replay reads big blocks; paced replay hands out USB-packet-sized
 * pieces, so each frame's bytes leave at about its own time. */
#define FAST_BLOCK  (64 * 1024)
#define PACED_BLOCK 512

struct file_dev {
    struct rm_capture_reader *reader;
    char *path;
    bool realtime;
    size_t frame_size;
    const struct rm_device_callbacks *cb;
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* stop requested */
    bool stop;

    /* Pacing (realtime only, replay thread only): the device time of the
     * latest frame seen, and the host time that device time t0 maps to. */
    struct rm_wire_decoder *pacer;
    bool have_anchor;
    uint64_t anchor_t_us;
    struct timespec anchor_host;
    uint64_t due_t_us;
};

static void on_pacer_frame(void *user, const struct rm_frame *f)
{
    struct file_dev *fd = user;
    if (!fd->have_anchor || f->sequence_start) {
        /* First frame, or the capture restarted its sequence: its clock
         * starts over, so pace from here. */
        fd->have_anchor = true;
        fd->anchor_t_us = f->t_us;
        fd->anchor_host = rm_clock_now();
    }
    fd->due_t_us = f->t_us > fd->anchor_t_us ? f->t_us - fd->anchor_t_us : 0;
}

/* Sleeps until the current piece is due; false when stop was requested. */
static bool wait_until_due(struct file_dev *fd)
{
    struct timespec due = rm_clock_add(fd->anchor_host, (double)fd->due_t_us * 1e-6);
    pthread_mutex_lock(&fd->lock);
    while (!fd->stop && pthread_cond_timedwait(&fd->wake, &fd->lock, &due) == 0) {
    }
    bool go_on = !fd->stop;
    pthread_mutex_unlock(&fd->lock);
    return go_on;
}

static bool stop_requested(struct file_dev *fd)
{
    pthread_mutex_lock(&fd->lock);
    bool stop = fd->stop;
    pthread_mutex_unlock(&fd->lock);
    return stop;
}

static void *replay_thread(void *arg)
{
    struct file_dev *fd = arg;
    size_t block = fd->realtime ? fd->frame_size : FAST_BLOCK;
    uint8_t *buf = malloc(block); /* owned by this thread */
    if (!buf) {
        rm_fail(RM_ENOMEM, "%s: out of memory", fd->path);
        fd->cb->event(fd->cb->user, RM_DEVICE_FAILED);
        return NULL;
    }
    for (;;) {
        if (stop_requested(fd))
            break;
        long n = rm_capture_reader_read(fd->reader, buf, block);
        if (n < 0) {
            fd->cb->event(fd->cb->user, RM_DEVICE_FAILED);
            break;
        }
        if (n == 0) {
            fd->cb->event(fd->cb->user, RM_DEVICE_END);
            break;
        }
        if (fd->realtime) {
            rm_wire_decoder_feed(fd->pacer, buf, (size_t)n);
            if (fd->have_anchor && !wait_until_due(fd))
                break;
        }
        fd->cb->data(fd->cb->user, buf, (size_t)n);
    }
    free(buf);
    return NULL;
}

static int file_start(void *impl, const struct rm_device_callbacks *cb)
{
    struct file_dev *fd = impl;
    fd->cb = cb;
    fd->stop = false;
    int rc = pthread_create(&fd->thread, NULL, replay_thread, fd);
    if (rc != 0)
        return rm_fail(RM_ENOMEM, "%s: cannot start the replay thread", fd->path);
    fd->thread_started = true;
    return 0;
}

static int file_stop(void *impl)
{
    struct file_dev *fd = impl;
    if (!fd->thread_started)
        return 0;
    pthread_mutex_lock(&fd->lock);
    fd->stop = true;
    pthread_cond_broadcast(&fd->wake);
    pthread_mutex_unlock(&fd->lock);
    pthread_join(fd->thread, NULL);
    fd->thread_started = false;
    return 0;
}

static void file_close(void *impl)
{
    struct file_dev *fd = impl;
    if (!fd)
        return;
    file_stop(fd);
    rm_wire_decoder_free(fd->pacer);
    rm_capture_reader_close(fd->reader);
    pthread_cond_destroy(&fd->wake);
    pthread_mutex_destroy(&fd->lock);
    free(fd->path);
    free(fd);
}

static const struct rm_device_ops file_ops = {
    .name = "file", .start = file_start, .stop = file_stop, .close = file_close};

/* "file:PATH.rmw". */
static int file_open(struct rm_device **out, const char *spec, const char *path,
                     const struct rm_device_opts *opts)
{
    *out = NULL;
    if (!path || !*path)
        return rm_fail(RM_EUSAGE, "device '%s': expected file:PATH.rmw", spec);
    /* Owned by the device once rm_device_new() succeeds. */
    struct file_dev *fd = calloc(1, sizeof(*fd));
    if (!fd)
        return RM_ENOMEM;
    pthread_mutex_init(&fd->lock, NULL);
    rm_clock_cond_init(&fd->wake);
    fd->realtime = opts->realtime;
    fd->path = strdup(path);
    int rc = fd->path ? rm_capture_reader_open(&fd->reader, path) : RM_ENOMEM;
    const struct rm_mat_info *info = rc == 0 ? rm_capture_reader_info(fd->reader) : NULL;
    if (rc == 0)
        fd->frame_size = rm_wire_frame_size(info->rows, info->cols);
    if (rc == 0 && fd->realtime)
        rc = rm_wire_decoder_new(&fd->pacer, info->rows, info->cols, on_pacer_frame, fd);
    if (rc == 0)
        rc = rm_device_new(out, &file_ops, fd, info, fd->realtime);
    if (rc < 0) {
        file_close(fd);
        return rc;
    }
    rm_info("replaying %s (%ux%u at %u Hz)%s", path, info->rows, info->cols, info->rate_hz,
            fd->realtime ? " in real time" : "");
    return 0;
}

const struct rm_device_backend rm_device_backend_file = {
    .scheme = "file",
    .syntax = "file:PATH.rmw",
    .help = "a wire capture replayed (paced with --realtime)",
    .caps = RM_DEVICE_REPLAY | RM_DEVICE_ENDS,
    .open = file_open,
};

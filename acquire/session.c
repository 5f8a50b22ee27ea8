/* The recording pipeline of rm_session.h.
 *
 * Threads: the device's thread runs the decoder and the timeline and puts
 * frames into the ring; the writer thread owns the rm_rec_writer until
 * rm_session_stop() joins it. One mutex guards the ring, the event queue,
 * the counters and the state; frames are copied in and written out with the
 * mutex released (a slot belongs to the producer until it is counted in,
 * to the writer until it is counted out). The device thread's side is in
 * session_input.c. */
#include "session_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "session"

/* The writer thread looks at the ring of a paced device this often (and
 * when the ring is half full). */
#define WRITER_TICK_S   0.1
#define RING_MIN_FRAMES 64
#define RING_MAX_BYTES  (64u << 20)

bool session_is_over(enum rm_session_state st)
{
    return st == RM_SESSION_ENDED || st == RM_SESSION_FAILED || st == RM_SESSION_STOPPED;
}

/* Under the lock. */
void session_set_state(struct rm_session *s, enum rm_session_state st)
{
    if (session_is_over(s->state))
        return;
    s->state = st;
    if (session_is_over(st)) {
        pthread_cond_broadcast(&s->ended);
        pthread_cond_broadcast(&s->not_empty);
    }
}

/* Under the lock: the first failure wins. */
void session_fail(struct rm_session *s, int err, const char *msg)
{
    if (!s->error) {
        s->error = err;
        snprintf(s->error_msg, sizeof(s->error_msg), "%s", msg);
        /* Info, not error: the owner reports it (record's last line,
         * rollmatd's status and journal); an error here made a second line. */
        rm_info("%s", msg);
    }
    session_set_state(s, RM_SESSION_FAILED);
}

static struct rm_rec_counters counters_locked(const struct rm_session *s)
{
    struct rm_rec_counters c = {
        .frames_dropped = (int64_t)s->wire.frames_dropped + s->ring_overflows + s->time_rejects,
        .crc_errors = (int64_t)s->wire.crc_errors,
        .bytes_skipped = (int64_t)s->wire.bytes_skipped,
        .disconnects = s->disconnects,
    };
    return c;
}

/* ---- the writer thread ------------------------------------------------- */

/* Writes what the producer has counted in; called and returns under the
 * lock, releases it around the disk work. */
static void write_pending(struct rm_session *s, bool *dirty)
{
    size_t n = s->count, first = s->tail;
    size_t nev = s->nevents;
    struct rm_event *events = NULL;
    if (nev) {
        /* Take the queue; the device thread starts a new one. */
        events = s->events;
        s->events = NULL;
        s->nevents = s->events_cap = 0;
    }
    bool failed = s->write_failed;
    pthread_mutex_unlock(&s->lock);

    int rc = 0;
    for (size_t i = 0; i < n && !failed && rc == 0; i++) {
        const struct slot *slot = &s->slots[(first + i) % s->cap];
        rc = rm_rec_writer_append(s->writer, slot->t, slot->seq, slot->sensels);
    }
    for (size_t i = 0; i < nev && !failed && rc == 0; i++)
        rc = rm_rec_writer_event(s->writer, events[i].t, events[i].kind, events[i].label);
    free(events);
    if (n || nev)
        *dirty = true;
    char msg[512];
    if (rc)
        snprintf(msg, sizeof(msg), "%s", rm_last_error(rc));

    pthread_mutex_lock(&s->lock);
    s->tail = (s->tail + n) % s->cap;
    s->count -= n;
    if (n)
        pthread_cond_broadcast(&s->not_full);
    if (rc) {
        s->write_failed = true;
        session_fail(s, rc, msg);
    }
}

static void flush_now(struct rm_session *s)
{
    struct rm_rec_counters c = counters_locked(s);
    pthread_mutex_unlock(&s->lock);
    rm_rec_writer_set_counters(s->writer, &c);
    int rc = rm_rec_writer_flush(s->writer);
    char msg[512];
    if (rc)
        snprintf(msg, sizeof(msg), "%s", rm_last_error(rc));
    pthread_mutex_lock(&s->lock);
    if (rc) {
        s->write_failed = true;
        session_fail(s, rc, msg);
    }
}

static void *writer_main(void *arg)
{
    struct rm_session *s = arg;
    double interval = s->opts.flush_interval_s;
    double last_work = rm_clock_s();
    bool dirty = false; /* written to the rec writer since the last timer flush */

    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->count || s->nevents) {
            write_pending(s, &dirty);
            last_work = rm_clock_s();
        }
        double now = rm_clock_s();
        /* The timer: while frames flow, the recording writer flushes whole
         * chunks by itself (and any frame that waited flush_interval_s on
         * the device clock); once they stop, the last ones and any events
         * still reach the disk within the interval. Flushing partial chunks
         * while frames flow would compress every chunk twice. */
        if (dirty && now - last_work >= interval) {
            if (!s->write_failed)
                flush_now(s);
            dirty = false;
        }
        /* --duration by the host clock too, for a mat gone quiet. */
        if (s->opts.duration_s > 0 && s->paced && now - s->start_host >= s->opts.duration_s + 1.0)
            session_set_state(s, RM_SESSION_ENDED);
        if (s->writer_stop && s->count == 0 && s->nevents == 0)
            break;
        if (s->count == 0 && s->nevents == 0 && !s->writer_stop) {
            double wait = dirty ? last_work + interval - now : interval;
            if (s->paced && wait > WRITER_TICK_S)
                wait = WRITER_TICK_S;
            struct timespec dl = rm_clock_after(wait > 0.001 ? wait : 0.001);
            pthread_cond_timedwait(&s->not_empty, &s->lock, &dl);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- the API ----------------------------------------------------------- */

static void fill_meta(const struct rm_mat_info *info, struct rm_rec_meta *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->device_model, sizeof(m->device_model), "%s", info->model);
    snprintf(m->device_serial, sizeof(m->device_serial), "%s", info->serial);
    snprintf(m->device_firmware, sizeof(m->device_firmware), "%s", info->firmware);
    m->rows = info->rows;
    m->cols = info->cols;
    m->pitch_row_mm = info->pitch_row_um / 1000.0;
    m->pitch_col_mm = info->pitch_col_um / 1000.0;
    m->adc_bits = info->adc_bits;
    m->rate_hz = info->rate_hz;
}

/* Two seconds of frames: more than any hiccup of a disk or of HDF5, at
 * least RING_MIN_FRAMES, and no more than RING_MAX_BYTES for a big fast mat. */
static size_t ring_default(const struct rm_mat_info *info)
{
    size_t frame_bytes = (size_t)info->rows * info->cols * sizeof(uint16_t);
    size_t n = 2u * info->rate_hz;
    if (n > RING_MAX_BYTES / frame_bytes)
        n = RING_MAX_BYTES / frame_bytes;
    return n < RING_MIN_FRAMES ? RING_MIN_FRAMES : n;
}

static int init_sync(struct rm_session *s)
{
    int rc = pthread_mutex_init(&s->lock, NULL) || rm_clock_cond_init(&s->not_empty) ||
             rm_clock_cond_init(&s->not_full) || rm_clock_cond_init(&s->ended);
    return rc ? RM_ENOMEM : 0;
}

int rm_session_new(struct rm_session **out, struct rm_device *dev, const char *path,
                   const struct rm_calibration *cal, const struct rm_session_opts *opts)
{
    static const struct rm_session_opts defaults = RM_SESSION_OPTS_DEFAULT;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (opts->compression < 0 || opts->compression > 9)
        return rm_fail(RM_EUSAGE, "compression %d outside 0-9", opts->compression);
    const struct rm_mat_info *info = rm_device_info(dev);
    if (cal && (cal->rows != info->rows || cal->cols != info->cols))
        return rm_fail(RM_EUSAGE, "the calibration is for a %dx%d mat, the device is %ux%u",
                       cal->rows, cal->cols, info->rows, info->cols);
    if (cal && strcmp(cal->device_serial, info->serial) != 0)
        rm_warn("the calibration was made on mat '%s', this is mat '%s'", cal->device_serial,
                info->serial);

    /* Owned by the caller until rm_session_free(). */
    struct rm_session *s = calloc(1, sizeof(*s));
    if (!s)
        return RM_ENOMEM;
    if (init_sync(s) != 0) {
        free(s);
        return RM_ENOMEM;
    }
    s->dev = dev;
    s->opts = *opts;
    if (!(s->opts.flush_interval_s > 0))
        s->opts.flush_interval_s = 1.0;
    s->info = *info;
    s->paced = rm_device_paced(dev);
    s->frame_elems = (size_t)info->rows * info->cols;
    s->cap = opts->ring_frames ? opts->ring_frames : ring_default(info);
    s->state = RM_SESSION_READY;
    s->path = strdup(path);
    s->slots = calloc(s->cap, sizeof(*s->slots));
    s->frame_mem = malloc(s->cap * s->frame_elems * sizeof(uint16_t));
    int rc = s->path && s->slots && s->frame_mem ? 0 : RM_ENOMEM;
    for (size_t i = 0; rc == 0 && i < s->cap; i++)
        s->slots[i].sensels = s->frame_mem + i * s->frame_elems;
    if (rc == 0)
        rc = rm_wire_decoder_new(&s->dec, info->rows, info->cols, session_on_frame, s);
    if (rc == 0) {
        struct rm_rec_meta meta;
        struct rm_rec_writer_opts wo = RM_REC_WRITER_OPTS_DEFAULT;
        fill_meta(info, &meta);
        wo.compression = s->opts.compression;
        wo.flush_interval_s = s->opts.flush_interval_s;
        rc = rm_rec_writer_create(&s->writer, path, &meta, cal, &wo);
    }
    if (rc < 0) {
        rm_session_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int rm_session_start(struct rm_session *s)
{
    if (s->state != RM_SESSION_READY)
        return rm_fail(RM_EUSAGE, "%s: session already started", s->path);
    s->start_host = rm_clock_s();
    s->state = RM_SESSION_RECORDING;
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        s->state = RM_SESSION_FAILED;
        return rm_fail(RM_ENOMEM, "%s: cannot start the writer thread", s->path);
    }
    s->writer_started = true;
    struct rm_device_callbacks cb = {session_on_data, session_on_device_event, s};
    int rc = rm_device_start(s->dev, &cb);
    if (rc < 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", rm_last_error(rc));
        pthread_mutex_lock(&s->lock);
        session_fail(s, rc, msg);
        pthread_mutex_unlock(&s->lock);
        return rc;
    }
    rm_info("recording %s: %ux%u mat '%s' at %u Hz", s->path, s->info.rows, s->info.cols,
            s->info.serial, s->info.rate_hz);
    return 0;
}

int rm_session_event(struct rm_session *s, const char *kind, const char *label)
{
    return rm_session_event_before(s, 0.0, kind, label);
}

int rm_session_event_before(struct rm_session *s, double seconds_ago, const char *kind,
                            const char *label)
{
    if (!label)
        label = "";
    pthread_mutex_lock(&s->lock);
    /* After the device ended (or --duration) the file is still open: a
     * closing segment_end is welcome until stop, stamped at the last frame
     * (the clock of a device that ended no longer runs). */
    bool closed = s->writer_stop || s->state == RM_SESSION_STOPPED || s->state == RM_SESSION_FAILED;
    double t = session_device_time_now(s, rm_clock_s() - (seconds_ago > 0 ? seconds_ago : 0.0));
    if (s->have_frame && (s->state == RM_SESSION_ENDED || (seconds_ago > 0 && t > s->last_t)))
        t = s->last_t;
    int rc = closed ? rm_fail(RM_EUSAGE, "%s: the session is closed", s->path)
                    : session_queue_event(s, t, kind, label);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int rm_session_wait(struct rm_session *s, double timeout_s)
{
    struct timespec dl = rm_clock_after(timeout_s > 0 ? timeout_s : 0);
    pthread_mutex_lock(&s->lock);
    while (!session_is_over(s->state) && pthread_cond_timedwait(&s->ended, &s->lock, &dl) == 0) {
    }
    bool over = session_is_over(s->state);
    pthread_mutex_unlock(&s->lock);
    return over ? 0 : RM_ETIMEOUT;
}

void rm_session_status(struct rm_session *s, struct rm_session_status *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->lock);
    out->state = s->state;
    out->error = s->error;
    out->frames = s->frames;
    out->t = s->last_t;
    out->elapsed_s = s->state == RM_SESSION_READY ? 0.0 : rm_clock_s() - s->start_host;
    out->counters = counters_locked(s);
    out->ring_overflows = s->ring_overflows;
    out->drift_ppm = s->clock.have_drift ? s->clock.drift_ppm : 0.0;
    pthread_mutex_unlock(&s->lock);
}

int rm_session_stop(struct rm_session *s)
{
    if (s->state == RM_SESSION_STOPPED || !s->writer) {
        return s->error ? rm_fail(s->error, "%s", s->error_msg) : 0;
    }
    /* A producer waiting for room must not hold up the device's stop. */
    pthread_mutex_lock(&s->lock);
    s->producer_stop = true;
    pthread_cond_broadcast(&s->not_full);
    pthread_mutex_unlock(&s->lock);

    /* A frame cut in half by our own stop is not damage in the stream: its
     * bytes are left out of bytes_skipped (rm_wire_decoder_finish is not
     * called). */
    if (s->writer_started)
        rm_device_stop(s->dev);

    pthread_mutex_lock(&s->lock);
    rm_wire_decoder_stats(s->dec, &s->wire);
    s->writer_stop = true;
    pthread_cond_broadcast(&s->not_empty);
    pthread_mutex_unlock(&s->lock);
    if (s->writer_started)
        pthread_join(s->writer_thread, NULL);
    s->writer_started = false;

    pthread_mutex_lock(&s->lock);
    struct rm_rec_counters c = counters_locked(s);
    pthread_mutex_unlock(&s->lock);
    rm_rec_writer_set_counters(s->writer, &c);
    int rc = rm_rec_writer_close(s->writer);
    s->writer = NULL;
    char msg[512];
    if (rc)
        snprintf(msg, sizeof(msg), "%s", rm_last_error(rc));

    pthread_mutex_lock(&s->lock);
    if (rc)
        session_fail(s, rc, msg);
    s->state = RM_SESSION_STOPPED;
    pthread_cond_broadcast(&s->ended);
    pthread_mutex_unlock(&s->lock);
    rm_info("%s: %lld frames, %lld dropped, %lld CRC errors, %lld bytes skipped, %lld "
            "disconnects",
            s->path, (long long)s->frames, (long long)c.frames_dropped, (long long)c.crc_errors,
            (long long)c.bytes_skipped, (long long)c.disconnects);
    return s->error ? rm_fail(s->error, "%s", s->error_msg) : 0;
}

void rm_session_free(struct rm_session *s)
{
    if (!s)
        return;
    if (s->writer)
        rm_session_stop(s);
    rm_wire_decoder_free(s->dec);
    free(s->events);
    free(s->slots);
    free(s->frame_mem);
    free(s->path);
    pthread_cond_destroy(&s->ended);
    pthread_cond_destroy(&s->not_full);
    pthread_cond_destroy(&s->not_empty);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

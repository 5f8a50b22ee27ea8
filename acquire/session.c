/* The recording pipeline of rm_session.h.
 *
 * Threads: the device's thread runs the decoder and the timeline and puts
 * frames into the ring; the writer thread owns the rm_rec_writer until
 * rm_session_stop() joins it. One mutex guards the ring, the event queue,
 * the counters and the state; frames are copied in and written out with the
 * mutex released (a slot belongs to the producer until it is counted in,
 * to the writer until it is counted out). */
#include "rm_session.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock_map.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "session"

/* Drift (clock_map.h) is logged this often, and warned about once above
 * DRIFT_WARN_PPM (a crystal is within +-50 ppm). */
#define DRIFT_LOG_EVERY_S 60.0
#define DRIFT_WARN_PPM    500.0
/* The writer thread looks at the ring of a paced device this often (and
 * when the ring is half full). */
#define WRITER_TICK_S   0.1
#define RING_MIN_FRAMES 64
#define RING_MAX_BYTES  (64u << 20)
/* Loss is logged at most this often. */
#define LOSS_LOG_INTERVAL_S 1.0

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
    double start_host; /* CLOCK_MONOTONIC at start */
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct timespec deadline_after(double seconds)
{
    double at = now_s() + seconds;
    struct timespec ts;
    ts.tv_sec = (time_t)at;
    ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static bool is_over(enum rm_session_state st)
{
    return st == RM_SESSION_ENDED || st == RM_SESSION_FAILED || st == RM_SESSION_STOPPED;
}

/* Under the lock. */
static void set_state(struct rm_session *s, enum rm_session_state st)
{
    if (is_over(s->state))
        return;
    s->state = st;
    if (is_over(st)) {
        pthread_cond_broadcast(&s->ended);
        pthread_cond_broadcast(&s->not_empty);
    }
}

/* Under the lock: the first failure wins. */
static void fail(struct rm_session *s, int err, const char *msg)
{
    if (!s->error) {
        s->error = err;
        snprintf(s->error_msg, sizeof(s->error_msg), "%s", msg);
        /* Info, not error: the owner reports it (record's last line,
         * rollmatd's status and journal); an error here made a second line. */
        rm_info("%s", msg);
    }
    set_state(s, RM_SESSION_FAILED);
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

/* Under the lock: a frame that arrived but cannot reach the file. */
static void count_loss(struct rm_session *s, int64_t *counter, const char *why)
{
    (*counter)++;
    double now = now_s();
    if (now - s->last_loss_log >= LOSS_LOG_INTERVAL_S) {
        s->last_loss_log = now;
        rm_warn("frame lost: %s (%lld overflows, %lld out of time so far)", why,
                (long long)s->ring_overflows, (long long)s->time_rejects);
    }
}

/* ---- the timeline (device thread, under the lock) ---------------------- */

/* Device time now, mapped from the host clock: what user events are
 * stamped with. 0 before the first frame. */
static double device_time_now(const struct rm_session *s, double host)
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
        double mapped = device_time_now(s, host);
        s->epoch_t = mapped > after ? mapped : after;
        s->seq_offset = s->last_seq + 1 - f->seq;
        rm_info("device sequence restarted: /t continues at %.3f s", s->epoch_t);
    }
    s->epoch_t_us = f->t_us;
    rm_clock_map_reset(&s->clock, s->epoch_t, host);
    s->last_drift_log = s->epoch_t;
}

/* ---- the device thread ------------------------------------------------- */

static void on_frame(void *user, const struct rm_frame *f)
{
    struct rm_session *s = user;
    double host = now_s();

    pthread_mutex_lock(&s->lock);
    if (is_over(s->state)) {
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
        set_state(s, RM_SESSION_ENDED);
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

static void on_data(void *user, const uint8_t *bytes, size_t len)
{
    struct rm_session *s = user;
    rm_wire_decoder_feed(s->dec, bytes, len);
    pthread_mutex_lock(&s->lock);
    rm_wire_decoder_stats(s->dec, &s->wire);
    pthread_mutex_unlock(&s->lock);
}

/* Under the lock. */
static int queue_event(struct rm_session *s, double t, const char *kind, const char *label)
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

static void on_device_event(void *user, enum rm_device_event ev)
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
    double t = device_time_now(s, now_s());
    switch (ev) {
    case RM_DEVICE_DISCONNECT:
        s->disconnects++;
        rm_warn("%s: the mat went away at t = %.3f s; waiting for it", s->path, t);
        queue_event(s, t, "disconnect", "");
        if (s->state == RM_SESSION_RECORDING)
            s->state = RM_SESSION_DISCONNECTED;
        break;
    case RM_DEVICE_RECONNECT:
        rm_warn("%s: the mat is back at t = %.3f s", s->path, t);
        queue_event(s, t, "reconnect", "");
        if (s->state == RM_SESSION_DISCONNECTED)
            s->state = RM_SESSION_RECORDING;
        break;
    case RM_DEVICE_END:
        rm_info("%s: the device has no more data", s->path);
        set_state(s, RM_SESSION_ENDED);
        break;
    case RM_DEVICE_FAILED:
        fail(s, RM_EIO, msg);
        break;
    }
    pthread_mutex_unlock(&s->lock);
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
        fail(s, rc, msg);
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
        fail(s, rc, msg);
    }
}

static void *writer_main(void *arg)
{
    struct rm_session *s = arg;
    double interval = s->opts.flush_interval_s;
    double last_work = now_s();
    bool dirty = false; /* written to the rec writer since the last timer flush */

    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->count || s->nevents) {
            write_pending(s, &dirty);
            last_work = now_s();
        }
        double now = now_s();
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
            set_state(s, RM_SESSION_ENDED);
        if (s->writer_stop && s->count == 0 && s->nevents == 0)
            break;
        if (s->count == 0 && s->nevents == 0 && !s->writer_stop) {
            double wait = dirty ? last_work + interval - now : interval;
            if (s->paced && wait > WRITER_TICK_S)
                wait = WRITER_TICK_S;
            struct timespec dl = deadline_after(wait > 0.001 ? wait : 0.001);
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
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return RM_ENOMEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_mutex_init(&s->lock, NULL) || pthread_cond_init(&s->not_empty, &attr) ||
             pthread_cond_init(&s->not_full, &attr) || pthread_cond_init(&s->ended, &attr);
    pthread_condattr_destroy(&attr);
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
        rc = rm_wire_decoder_new(&s->dec, info->rows, info->cols, on_frame, s);
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
    s->start_host = now_s();
    s->state = RM_SESSION_RECORDING;
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        s->state = RM_SESSION_FAILED;
        return rm_fail(RM_ENOMEM, "%s: cannot start the writer thread", s->path);
    }
    s->writer_started = true;
    struct rm_device_callbacks cb = {on_data, on_device_event, s};
    int rc = rm_device_start(s->dev, &cb);
    if (rc < 0) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", rm_last_error(rc));
        pthread_mutex_lock(&s->lock);
        fail(s, rc, msg);
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
    double t = device_time_now(s, now_s() - (seconds_ago > 0 ? seconds_ago : 0.0));
    if (s->have_frame && (s->state == RM_SESSION_ENDED || (seconds_ago > 0 && t > s->last_t)))
        t = s->last_t;
    int rc = closed ? rm_fail(RM_EUSAGE, "%s: the session is closed", s->path)
                    : queue_event(s, t, kind, label);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int rm_session_wait(struct rm_session *s, double timeout_s)
{
    struct timespec dl = deadline_after(timeout_s > 0 ? timeout_s : 0);
    pthread_mutex_lock(&s->lock);
    while (!is_over(s->state) && pthread_cond_timedwait(&s->ended, &s->lock, &dl) == 0) {
    }
    bool over = is_over(s->state);
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
    out->elapsed_s = s->state == RM_SESSION_READY ? 0.0 : now_s() - s->start_host;
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
        fail(s, rc, msg);
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

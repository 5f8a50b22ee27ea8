/* The chunk pipeline of rm_chunk_pipe.h.
 *
 * Chunk k lives in slot k % nslots. A slot goes FILLING (the caller's) ->
 * QUEUED -> BUSY (a worker encodes it, no lock held) -> ENCODED -> sunk ->
 * FREE. Whichever thread finds the oldest unsunk chunk encoded becomes the
 * one sinking thread (`sinking`) and sinks every consecutive encoded chunk;
 * a worker that finishes a later chunk meanwhile just marks it ENCODED, and
 * the sinking thread picks it up before it lets go. So chunks reach the file
 * in order, one at a time, without a thread of their own, and the file is
 * written while the next chunks are being compressed.
 *
 * Why outside HDF5's filter pipeline: deflate inside H5Dwrite is zlib (about
 * half libdeflate's speed on these chunks) and runs on the writing thread
 * under HDF5's global lock, so it can use one core only (docs/benchmarks.md). */
#include "rm_chunk_pipe.h"

#include <assert.h>
#include <libdeflate.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_error.h"
#include "rm_shuffle.h"

#define MAX_WORKERS 8

enum slot_state { SLOT_FREE, SLOT_FILLING, SLOT_QUEUED, SLOT_BUSY, SLOT_ENCODED };

struct slot {
    struct rm_chunk_slot pub;
    enum slot_state state;
    uint8_t *out; /* the encoded chunk, out_cap bytes, owned */
};

/* What one encoding thread owns (the caller has one too, for flushes). */
struct encoder {
    struct libdeflate_compressor *deflater; /* owned; NULL at level 0 */
    uint8_t *shuffled;                      /* chunk_bytes, owned */
};

struct worker {
    struct rm_chunk_pipe *p;
    pthread_t thread;
    struct encoder enc;
};

struct rm_chunk_pipe {
    struct rm_chunk_pipe_cfg cfg;
    size_t nelem, chunk_bytes, out_cap;
    struct slot *slots; /* nslots, owned */
    int nslots;
    struct worker *workers; /* cfg.nworkers, owned; nstarted running */
    int nstarted;
    struct encoder own;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* a slot changed state, the sinking thread let go, or stop */
    int64_t submitted;      /* chunks 0 .. submitted-1 are handed over; chunk `submitted` fills */
    int64_t next_sink;      /* the oldest chunk not yet sunk */
    bool sinking;           /* a thread is in the sink */
    bool stop;
    int error; /* the first sink error, sticky */
    char error_msg[512];
};

int rm_chunk_pipe_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > MAX_WORKERS ? MAX_WORKERS : (int)n;
}

static struct slot *slot_of(struct rm_chunk_pipe *p, int64_t k)
{
    return &p->slots[k % p->nslots];
}

static int encoder_init(struct encoder *e, const struct rm_chunk_pipe *p)
{
    if (p->cfg.level == 0)
        return 0;
    e->deflater = libdeflate_alloc_compressor(p->cfg.level);
    e->shuffled = malloc(p->chunk_bytes);
    return e->deflater && e->shuffled ? 0 : RM_ENOMEM;
}

static void encoder_fini(struct encoder *e)
{
    if (e->deflater)
        libdeflate_free_compressor(e->deflater);
    free(e->shuffled);
}

/* Stores the slot's chunk as HDF5 would: frames past nframes are HDF5's
 * fill value 0, then shuffle and zlib (level > 0) or little-endian counts.
 * The slot is this thread's while it runs. */
static void encode(struct rm_chunk_pipe *p, struct encoder *e, struct slot *s)
{
    size_t have = (size_t)s->pub.nframes * p->cfg.frame_elems;
    memset(s->pub.frames + have, 0, (p->nelem - have) * sizeof(uint16_t));
    s->pub.stored = s->out;
    if (p->cfg.level == 0) {
        for (size_t i = 0; i < p->nelem; i++) {
            s->out[2 * i] = (uint8_t)(s->pub.frames[i] & 0xffu);
            s->out[2 * i + 1] = (uint8_t)(s->pub.frames[i] >> 8);
        }
        s->pub.nstored = p->chunk_bytes;
        return;
    }
    /* HDF5's shuffle filter leaves a single element as it is. */
    const void *in = s->pub.frames;
    if (p->nelem > 1) {
        rm_shuffle16(s->pub.frames, e->shuffled, p->nelem);
        in = e->shuffled;
    }
    s->pub.nstored = libdeflate_zlib_compress(e->deflater, in, p->chunk_bytes, s->out, p->out_cap);
    /* out_cap is libdeflate's own bound for this input size. */
    assert(s->pub.nstored > 0);
}

/* Under the lock: records the first failure of a sink, with its message
 * (rm_last_error is per thread). */
static void record_error(struct rm_chunk_pipe *p, int rc)
{
    if (rc && !p->error) {
        p->error = rc;
        snprintf(p->error_msg, sizeof(p->error_msg), "%s", rm_last_error(rc));
    }
}

/* Under the lock: sinks every consecutive encoded chunk from the oldest
 * on, unless another thread is at it (it will take ours too). After an
 * error, or once stopping, chunks are dropped instead. */
static void sink_ready(struct rm_chunk_pipe *p)
{
    if (p->sinking)
        return;
    p->sinking = true;
    while (p->next_sink < p->submitted && slot_of(p, p->next_sink)->state == SLOT_ENCODED) {
        struct slot *s = slot_of(p, p->next_sink);
        bool drop = p->error || p->stop;
        pthread_mutex_unlock(&p->lock);
        int rc = 0;
        if (drop) {
            if (s->pub.payload && p->cfg.drop)
                p->cfg.drop(s->pub.payload);
        } else {
            rc = p->cfg.sink(p->cfg.user, &s->pub);
        }
        pthread_mutex_lock(&p->lock);
        record_error(p, rc);
        s->pub.payload = NULL;
        s->state = SLOT_FREE;
        p->next_sink++;
        pthread_cond_broadcast(&p->changed);
    }
    p->sinking = false;
    pthread_cond_broadcast(&p->changed);
}

/* Under the lock: the oldest queued chunk, or NULL. */
static struct slot *take_queued(struct rm_chunk_pipe *p)
{
    for (int64_t k = p->next_sink; k < p->submitted; k++) {
        struct slot *s = slot_of(p, k);
        if (s->state == SLOT_QUEUED)
            return s;
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct rm_chunk_pipe *p = w->p;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct slot *s = NULL;
        while (!p->stop && !(s = take_queued(p)))
            pthread_cond_wait(&p->changed, &p->lock);
        if (!s)
            break;
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&p->lock);
        encode(p, &w->enc, s);
        pthread_mutex_lock(&p->lock);
        s->state = SLOT_ENCODED;
        sink_ready(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Under the lock: the sticky error again, in the caller's thread. */
static int pipe_status(const struct rm_chunk_pipe *p)
{
    return p->error ? rm_fail(p->error, "%s", p->error_msg) : 0;
}

/* Under the lock: the next chunk becomes current once its slot is free. */
static void start_next(struct rm_chunk_pipe *p, int64_t first)
{
    struct slot *s = slot_of(p, p->submitted);
    while (s->state != SLOT_FREE)
        pthread_cond_wait(&p->changed, &p->lock);
    s->state = SLOT_FILLING;
    s->pub.first = first;
    s->pub.nframes = s->pub.nwritten = 0;
    s->pub.payload = NULL;
}

int rm_chunk_pipe_new(struct rm_chunk_pipe **out, const struct rm_chunk_pipe_cfg *cfg)
{
    assert(cfg->level >= 0 && cfg->level <= 9 && cfg->chunk_frames > 0 && cfg->frame_elems > 0);
    *out = NULL;
    struct rm_chunk_pipe *p = calloc(1, sizeof(*p)); /* the caller's until rm_chunk_pipe_free */
    if (!p)
        return RM_ENOMEM;
    p->cfg = *cfg;
    if (p->cfg.nworkers < 0 || p->cfg.level == 0)
        p->cfg.nworkers = 0; /* a copy is not worth a thread */
    if (p->cfg.nworkers > MAX_WORKERS)
        p->cfg.nworkers = MAX_WORKERS;
    p->nelem = cfg->chunk_frames * cfg->frame_elems;
    p->chunk_bytes = p->nelem * sizeof(uint16_t);
    /* Each worker encodes one chunk while one is sunk and one fills. */
    p->nslots = p->cfg.nworkers ? p->cfg.nworkers + 2 : 1;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return RM_ENOMEM;
    }
    if (pthread_cond_init(&p->changed, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return RM_ENOMEM;
    }
    int rc = encoder_init(&p->own, p);
    p->out_cap = p->own.deflater ? libdeflate_zlib_compress_bound(p->own.deflater, p->chunk_bytes)
                                 : p->chunk_bytes;
    p->slots = calloc((size_t)p->nslots, sizeof(*p->slots));
    p->workers = calloc((size_t)p->cfg.nworkers + 1, sizeof(*p->workers)); /* +1: never 0 bytes */
    if (!p->slots || !p->workers)
        rc = RM_ENOMEM;
    for (int i = 0; rc == 0 && i < p->nslots; i++) {
        struct slot *s = &p->slots[i];
        s->pub.frames = malloc(p->chunk_bytes);
        s->pub.t = malloc(cfg->chunk_frames * sizeof(double));
        s->pub.seq = malloc(cfg->chunk_frames * sizeof(uint64_t));
        s->out = malloc(p->out_cap);
        if (!s->pub.frames || !s->pub.t || !s->pub.seq || !s->out)
            rc = RM_ENOMEM;
    }
    /* The workers take no signals: a SIGTERM meant for the program's own
     * handling (rollmatd, record) must not land on one of them, whatever
     * the caller's mask. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (int i = 0; rc == 0 && i < p->cfg.nworkers; i++) {
        struct worker *w = &p->workers[i];
        w->p = p;
        rc = encoder_init(&w->enc, p);
        if (rc == 0 && pthread_create(&w->thread, NULL, worker_main, w) != 0)
            rc = rm_fail(RM_ENOMEM, "cannot start a compression thread");
        if (rc == 0)
            p->nstarted++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        rm_chunk_pipe_free(p);
        return rc;
    }
    pthread_mutex_lock(&p->lock);
    start_next(p, 0);
    pthread_mutex_unlock(&p->lock);
    *out = p;
    return 0;
}

struct rm_chunk_slot *rm_chunk_pipe_current(struct rm_chunk_pipe *p)
{
    /* Only the caller's thread changes which slot is current. */
    return &slot_of(p, p->submitted)->pub;
}

int rm_chunk_pipe_submit(struct rm_chunk_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    struct slot *s = slot_of(p, p->submitted);
    assert(s->state == SLOT_FILLING && s->pub.nframes > 0);
    if (p->cfg.nworkers == 0) {
        pthread_mutex_unlock(&p->lock);
        encode(p, &p->own, s);
        pthread_mutex_lock(&p->lock);
        s->state = SLOT_ENCODED;
        p->submitted++;
        sink_ready(p);
    } else {
        s->state = SLOT_QUEUED;
        p->submitted++;
        pthread_cond_broadcast(&p->changed);
    }
    start_next(p, s->pub.first + s->pub.nframes);
    int rc = pipe_status(p);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

int rm_chunk_pipe_flush(struct rm_chunk_pipe *p)
{
    pthread_mutex_lock(&p->lock);
    while (p->next_sink < p->submitted || p->sinking)
        pthread_cond_wait(&p->changed, &p->lock);
    struct slot *s = slot_of(p, p->submitted);
    int rc = pipe_status(p);
    if (rc == 0 && s->pub.nframes > s->pub.nwritten) {
        /* Nothing else is in flight: this thread is the sinking one. */
        p->sinking = true;
        pthread_mutex_unlock(&p->lock);
        encode(p, &p->own, s);
        int sink_rc = p->cfg.sink(p->cfg.user, &s->pub);
        pthread_mutex_lock(&p->lock);
        p->sinking = false;
        s->pub.payload = NULL;
        record_error(p, sink_rc);
        if (sink_rc == 0)
            s->pub.nwritten = s->pub.nframes;
        rc = pipe_status(p);
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void rm_chunk_pipe_free(struct rm_chunk_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nstarted; i++)
        pthread_join(p->workers[i].thread, NULL);
    for (int i = 0; p->workers && i < p->cfg.nworkers; i++)
        encoder_fini(&p->workers[i].enc);
    encoder_fini(&p->own);
    for (int i = 0; p->slots && i < p->nslots; i++) {
        struct slot *s = &p->slots[i];
        if (s->pub.payload && p->cfg.drop)
            p->cfg.drop(s->pub.payload);
        free(s->pub.frames);
        free(s->pub.t);
        free(s->pub.seq);
        free(s->out);
    }
    free(p->slots);
    free(p->workers);
    pthread_cond_destroy(&p->changed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

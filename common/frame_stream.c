/* The parallel frame stream (rm_frame_stream.h).
 *
 * Why not H5Dread: libhdf5 (threadsafe build) runs every call under one
 * global lock, and inside H5Dread it inflates with zlib. Decompression, not
 * the disk, bounds a reader of deflated recordings (about 217 MB/s on one
 * core here, shared/notes/hdf5-fftw-gnuplot.md). So the workers only ask
 * HDF5 for the raw bytes of a chunk (H5Dread_chunk, cheap under the lock)
 * and inflate (libdeflate, faster than zlib) and unshuffle outside it, on
 * all cores.
 *
 * Chunk k goes to slot k % nslots; a worker takes chunk k only once the
 * caller has handed back the slot's previous chunk, so at most nslots chunks
 * are in memory and they come out in order. */
#include "rm_frame_stream.h"

#include <assert.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_error.h"
#include "rm_h5.h"
#include "rm_log.h"
#include "rm_recording.h"
#include "rm_shuffle.h"

#define LOG_PREFIX "frames"

enum slot_state { SLOT_FREE, SLOT_BUSY, SLOT_READY };

struct slot {
    enum slot_state state;
    int64_t chunk;
    uint16_t *frames; /* chunk_frames * frame_elems, owned */
    int rc;
    char msg[512]; /* the worker's rm_fail message, for the caller's thread */
};

/* What one decoding thread owns. */
struct worker {
    struct rm_frame_stream *s;
    pthread_t thread;
    struct libdeflate_decompressor *inflater; /* owned */
    uint8_t *raw;                             /* raw chunk bytes, raw_cap, owned */
    size_t raw_cap;
    uint8_t *inflated; /* chunk_bytes, owned; only with shuffle + deflate */
};

struct rm_frame_stream {
    struct rm_rec_reader *reader; /* borrowed */
    hid_t dset;                   /* borrowed from the reader */
    const char *path;
    bool direct, shuffle, deflate;
    int64_t nframes, chunk_frames, nchunks;
    size_t frame_elems, chunk_bytes;

    struct slot *slots; /* nslots, owned */
    int nslots;
    struct worker *workers; /* nworkers threads, or one used inline; owned */
    int nworkers;
    bool threaded;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* any slot changed state, or stop */
    int64_t next_claim;     /* the next chunk a worker takes */
    int64_t next_out;       /* the next chunk handed to the caller */
    int held;               /* the slot the caller holds, or -1 */
    bool stop;
    int error; /* sticky */
    char error_msg[512];
};

/* Recognises the pipelines the writer (and h5py, MATLAB ...) produce:
 * nothing, shuffle, deflate, shuffle then deflate; on little-endian uint16
 * chunks spanning whole frames. Anything else goes through H5Dread. */
static bool inspect_layout(struct rm_frame_stream *s)
{
    hid_t dcpl = H5Dget_create_plist(s->dset);
    hid_t type = H5Dget_type(s->dset);
    bool ok = dcpl >= 0 && type >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
    ok = ok && H5Tget_order(type) == H5T_ORDER_LE && H5Tget_size(type) == 2 &&
         H5Tget_order(H5T_NATIVE_UINT16) == H5T_ORDER_LE;
    hsize_t cd[3];
    if (ok && H5Pget_chunk(dcpl, 3, cd) == 3) {
        const struct rm_rec_meta *m = rm_rec_meta(s->reader);
        ok = cd[0] == (hsize_t)s->chunk_frames && cd[1] == (hsize_t)m->rows &&
             cd[2] == (hsize_t)m->cols;
    } else {
        ok = false;
    }
    int nfilters = ok ? H5Pget_nfilters(dcpl) : -1;
    int stage = 0; /* 0: expect shuffle or deflate, 1: expect deflate, 2: done */
    for (int i = 0; ok && i < nfilters; i++) {
        unsigned flags, cdv[8];
        size_t ncd = 8;
        char name[64];
        unsigned config;
        H5Z_filter_t id =
            H5Pget_filter2(dcpl, (unsigned)i, &flags, &ncd, cdv, sizeof(name), name, &config);
        if (id == H5Z_FILTER_SHUFFLE && stage == 0 && (ncd == 0 || cdv[0] == 2)) {
            s->shuffle = true;
            stage = 1;
        } else if (id == H5Z_FILTER_DEFLATE && stage < 2) {
            s->deflate = true;
            stage = 2;
        } else {
            ok = false;
        }
    }
    if (type >= 0)
        H5Tclose(type);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return ok;
}

static int64_t frames_in_chunk(const struct rm_frame_stream *s, int64_t k)
{
    int64_t start = k * s->chunk_frames;
    return s->nframes - start < s->chunk_frames ? s->nframes - start : s->chunk_frames;
}

/* Decodes chunk k itself; 1 when the chunk needs H5Dread instead (not
 * stored, or stored with a filter skipped). */
static int decode_direct(struct worker *w, int64_t k, uint16_t *out)
{
    struct rm_frame_stream *s = w->s;
    hsize_t offset[3] = {(hsize_t)(k * s->chunk_frames), 0, 0};
    hsize_t nbytes = 0;
    uint32_t mask = 0;
    if (H5Dget_chunk_storage_size(s->dset, offset, &nbytes) < 0 || nbytes == 0)
        return 1;
    /* zlib never grows data by more than a few bytes per 16 KiB: anything
     * much bigger is a damaged chunk index, not a chunk. */
    if (nbytes > 2 * (hsize_t)s->chunk_bytes + 4096)
        return rm_fail(RM_EFORMAT, "%s:/frames: chunk %lld claims %llu bytes", s->path,
                       (long long)k, (unsigned long long)nbytes);
    if (nbytes > w->raw_cap) {
        uint8_t *grown = realloc(w->raw, (size_t)nbytes);
        if (!grown)
            return RM_ENOMEM;
        w->raw = grown;
        w->raw_cap = (size_t)nbytes;
    }
    if (H5Dread_chunk(s->dset, H5P_DEFAULT, offset, &mask, w->raw) < 0) {
        char why[256];
        return rm_fail(RM_EFORMAT, "%s:/frames: cannot read chunk %lld (%s)", s->path, (long long)k,
                       rm_h5_error_text(why, sizeof(why)));
    }
    if (mask != 0)
        return 1;
    const uint8_t *plain = w->raw;
    if (s->deflate) {
        uint8_t *dst = s->shuffle ? w->inflated : (uint8_t *)out;
        size_t got = 0;
        enum libdeflate_result res = libdeflate_zlib_decompress(w->inflater, w->raw, (size_t)nbytes,
                                                                dst, s->chunk_bytes, &got);
        if (res != LIBDEFLATE_SUCCESS || got != s->chunk_bytes)
            return rm_fail(RM_EFORMAT, "%s:/frames: chunk %lld does not inflate (damaged)", s->path,
                           (long long)k);
        plain = dst;
    } else if (nbytes != s->chunk_bytes) {
        return rm_fail(RM_EFORMAT, "%s:/frames: chunk %lld has %llu bytes, expected %zu", s->path,
                       (long long)k, (unsigned long long)nbytes, s->chunk_bytes);
    }
    size_t nelem = s->chunk_bytes / 2;
    if (s->shuffle && nelem > 1)
        rm_unshuffle16(plain, out, nelem);
    else if (plain != (const uint8_t *)out)
        memcpy(out, plain, s->chunk_bytes);
    return 0;
}

/* Fills out with the frames of chunk k; 0 or an error with its message. */
static int decode_chunk(struct worker *w, int64_t k, uint16_t *out)
{
    struct rm_frame_stream *s = w->s;
    int rc = 1;
    if (s->direct)
        rc = decode_direct(w, k, out);
    if (rc == 1)
        rc = rm_rec_read_frames(s->reader, k * s->chunk_frames, frames_in_chunk(s, k), out);
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct rm_frame_stream *s = w->s;
    rm_h5_quiet();
    pthread_mutex_lock(&s->lock);
    while (!s->stop && s->next_claim < s->nchunks) {
        int64_t k = s->next_claim;
        struct slot *slot = &s->slots[k % s->nslots];
        if (slot->state != SLOT_FREE) {
            pthread_cond_wait(&s->changed, &s->lock);
            continue;
        }
        s->next_claim++;
        slot->state = SLOT_BUSY;
        slot->chunk = k;
        pthread_mutex_unlock(&s->lock);

        rm_clear_error();
        int rc = decode_chunk(w, k, slot->frames);
        if (rc)
            snprintf(slot->msg, sizeof(slot->msg), "%s", rm_last_error(rc));

        pthread_mutex_lock(&s->lock);
        slot->rc = rc;
        slot->state = SLOT_READY;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int worker_init(struct worker *w, struct rm_frame_stream *s)
{
    w->s = s;
    if (!s->direct)
        return 0;
    w->inflater = libdeflate_alloc_decompressor();
    if (s->shuffle && s->deflate)
        w->inflated = malloc(s->chunk_bytes);
    if (!w->inflater || (s->shuffle && s->deflate && !w->inflated))
        return RM_ENOMEM;
    return 0;
}

static void worker_free(struct worker *w)
{
    if (w->inflater)
        libdeflate_free_decompressor(w->inflater);
    free(w->raw);
    free(w->inflated);
}

int rm_frame_stream_open(struct rm_frame_stream **out, struct rm_rec_reader *reader, int nthreads)
{
    *out = NULL;
    rm_h5_quiet();
    struct rm_frame_stream *s = calloc(1, sizeof(*s)); /* owned by the caller until close */
    if (!s)
        return RM_ENOMEM;
    const struct rm_rec_meta *m = rm_rec_meta(reader);
    s->reader = reader;
    s->dset = rm_rec_frames_dataset(reader);
    s->path = rm_rec_path(reader);
    s->nframes = rm_rec_frames(reader);
    s->chunk_frames = rm_rec_chunk_frames(reader);
    s->frame_elems = (size_t)m->rows * (size_t)m->cols;
    s->chunk_bytes = (size_t)s->chunk_frames * s->frame_elems * sizeof(uint16_t);
    s->nchunks = (s->nframes + s->chunk_frames - 1) / s->chunk_frames;
    s->held = -1;
    s->direct = inspect_layout(s);
    if (!s->direct)
        s->shuffle = s->deflate = false;

    if (nthreads < 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
    }
    hbool_t threadsafe = 0;
    H5is_library_threadsafe(&threadsafe);
    /* Threads pay off only for inflating: H5Dread (the fallback) inflates
     * under the library lock, where threads would only wait, and raw or
     * shuffled chunks cost a copy (measured: 2 threads made deflate-0 reads
     * slower). Without a threadsafe libhdf5 no other thread may call it. */
    s->threaded = nthreads > 0 && s->direct && s->deflate && threadsafe && s->nchunks > 1;
    s->nworkers = s->threaded ? nthreads : 1;
    s->nslots = s->threaded ? nthreads + 2 : 1;
    s->slots = calloc((size_t)s->nslots, sizeof(*s->slots));
    s->workers = calloc((size_t)s->nworkers, sizeof(*s->workers));
    int rc = (!s->slots || !s->workers) ? RM_ENOMEM : 0;
    for (int i = 0; !rc && i < s->nslots; i++) {
        s->slots[i].frames = malloc(s->chunk_bytes);
        if (!s->slots[i].frames)
            rc = RM_ENOMEM;
    }
    for (int i = 0; !rc && i < s->nworkers; i++)
        rc = worker_init(&s->workers[i], s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    if (rc) {
        s->threaded = false; /* no thread started yet */
        rm_frame_stream_close(s);
        return rc;
    }
    if (s->threaded) {
        for (int i = 0; i < s->nworkers; i++) {
            if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0) {
                /* Run with the threads that did start (at least inline). */
                for (int j = i; j < s->nworkers; j++)
                    worker_free(&s->workers[j]);
                s->nworkers = i;
                break;
            }
        }
        if (s->nworkers == 0) {
            rm_frame_stream_close(s);
            return rm_fail(RM_ENOMEM, "%s: cannot start frame reading threads", s->path);
        }
    }
    rm_dbg("%s: frame stream, %s%s%s, %d thread(s)", s->path, s->direct ? "direct" : "H5Dread",
           s->shuffle ? " shuffle" : "", s->deflate ? " deflate" : "",
           s->threaded ? s->nworkers : 0);
    *out = s;
    return 0;
}

static int next_inline(struct rm_frame_stream *s, const uint16_t **frames, int64_t *start,
                       int64_t *count)
{
    int64_t k = s->next_out;
    rm_clear_error();
    int rc = decode_chunk(&s->workers[0], k, s->slots[0].frames);
    if (rc) {
        s->error = rc;
        snprintf(s->error_msg, sizeof(s->error_msg), "%s", rm_last_error(rc));
        return rc;
    }
    s->next_out++;
    *frames = s->slots[0].frames;
    *start = k * s->chunk_frames;
    *count = frames_in_chunk(s, k);
    return 0;
}

int rm_frame_stream_next(struct rm_frame_stream *s, const uint16_t **frames, int64_t *start,
                         int64_t *count)
{
    *frames = NULL;
    *start = s->next_out * s->chunk_frames;
    *count = 0;
    if (s->error)
        return rm_fail(s->error, "%s", s->error_msg);
    if (s->next_out >= s->nchunks)
        return 0;
    if (!s->threaded)
        return next_inline(s, frames, start, count);

    pthread_mutex_lock(&s->lock);
    if (s->held >= 0) {
        s->slots[s->held].state = SLOT_FREE;
        s->held = -1;
        pthread_cond_broadcast(&s->changed);
    }
    int64_t k = s->next_out;
    int idx = (int)(k % s->nslots);
    struct slot *slot = &s->slots[idx];
    while (!(slot->state == SLOT_READY && slot->chunk == k))
        pthread_cond_wait(&s->changed, &s->lock);
    int rc = slot->rc;
    if (rc) {
        s->error = rc;
        snprintf(s->error_msg, sizeof(s->error_msg), "%s", slot->msg);
    } else {
        s->held = idx;
        s->next_out++;
        *frames = slot->frames;
        *start = k * s->chunk_frames;
        *count = frames_in_chunk(s, k);
    }
    pthread_mutex_unlock(&s->lock);
    return rc ? rm_fail(rc, "%s", s->error_msg) : 0;
}

int rm_frame_stream_is_direct(const struct rm_frame_stream *s)
{
    return s->direct;
}

void rm_frame_stream_close(struct rm_frame_stream *s)
{
    if (!s)
        return;
    if (s->threaded) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->lock);
        for (int i = 0; i < s->nworkers; i++)
            pthread_join(s->workers[i].thread, NULL);
    }
    for (int i = 0; s->workers && i < s->nworkers; i++)
        worker_free(&s->workers[i]);
    for (int i = 0; s->slots && i < s->nslots; i++)
        free(s->slots[i].frames);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s->workers);
    free(s->slots);
    free(s);
}

/* The recording writer's chunk pipeline: /frames chunks are encoded
 * exactly as HDF5's shuffle + deflate filters would store them (shuffle,
 * then libdeflate's zlib format, which HDF5's deflate filter inflates), on
 * worker threads, and handed to a sink one at a time in the order they were
 * submitted. The caller (the thread that appends frames) only fills chunks
 * and submits them: it waits only when every chunk buffer is still being
 * encoded or sunk, i.e. when compression as a whole cannot keep up.
 *
 *     rm_chunk_pipe_new(&p, &cfg);
 *     struct rm_chunk_slot *c = rm_chunk_pipe_current(p);
 *     ... fill c->frames, c->t, c->seq, c->nframes ...
 *     rm_chunk_pipe_submit(p);            // full: encoded and sunk later
 *     rm_chunk_pipe_flush(p);             // everything in the sink, and
 *                                         // the partial current chunk too
 *     rm_chunk_pipe_free(p);
 *
 * Only the sink touches the file. It runs on a worker thread (or on the
 * caller's thread inside submit without workers, and inside flush), never
 * on two threads at once, always in submission order. */
#ifndef RM_CHUNK_PIPE_H
#define RM_CHUNK_PIPE_H

#include <stddef.h>
#include <stdint.h>

struct rm_chunk_slot {
    int64_t first;         /* frame index of the chunk's first frame */
    int64_t nframes;       /* frames in it (chunk_frames once full) */
    int64_t nwritten;      /* of which an earlier partial write put in the file */
    uint16_t *frames;      /* chunk_frames * frame_elems counts */
    double *t;             /* chunk_frames */
    uint64_t *seq;         /* chunk_frames */
    void *payload;         /* the caller's, handed to the sink with the chunk */
    const uint8_t *stored; /* the chunk as HDF5 stores it; valid in the sink */
    size_t nstored;
};

/* Writes one encoded chunk; 0 or an RM_E* code after rm_fail(). Called
 * with the chunk's payload, which it then owns. */
typedef int (*rm_chunk_sink_fn)(void *user, const struct rm_chunk_slot *chunk);
/* Frees a payload whose chunk never reached the sink (after an error). */
typedef void (*rm_chunk_drop_fn)(void *payload);

struct rm_chunk_pipe_cfg {
    size_t chunk_frames, frame_elems;
    int level;    /* deflate level 1-9 after shuffle; 0: plain little-endian counts */
    int nworkers; /* encoding threads; 0: encode on the caller's thread */
    rm_chunk_sink_fn sink;
    rm_chunk_drop_fn drop;
    void *user;
};

struct rm_chunk_pipe;

/* The threads per recording by default: one per online core, at most 8. */
int rm_chunk_pipe_default_workers(void);

int rm_chunk_pipe_new(struct rm_chunk_pipe **out, const struct rm_chunk_pipe_cfg *cfg);

/* The chunk the caller fills; its first is set, its payload NULL. */
struct rm_chunk_slot *rm_chunk_pipe_current(struct rm_chunk_pipe *p);

/* Hands the current chunk (nframes > 0) to the encoders; the next one
 * starts right after it. Returns the first error of any sink so far. */
int rm_chunk_pipe_submit(struct rm_chunk_pipe *p);

/* Waits until every submitted chunk is sunk, then encodes the current
 * chunk's frames, if some are not in the file yet, on this thread (the
 * frames after nframes as zeros, HDF5's fill value) and sinks it; the
 * chunk stays current. Returns the first sink error. */
int rm_chunk_pipe_flush(struct rm_chunk_pipe *p);

/* Stops the workers; chunks not yet sunk are dropped. Flush first to keep
 * them. */
void rm_chunk_pipe_free(struct rm_chunk_pipe *p);

#endif

/* All frames of a recording, one /frames chunk at a time, as fast as the
 * machine allows: worker threads read raw chunks (H5Dread_chunk), inflate
 * them with libdeflate and undo the shuffle themselves, ahead of the caller
 * by a bounded number of chunks. Memory depends on the chunk size and the
 * thread count, never on the recording's length. Layouts or filters the
 * stream does not know (contiguous, fletcher32, szip, big-endian data...)
 * are read with H5Dread instead, with the same interface and results.
 *
 *     struct rm_frame_stream *s;
 *     rm_frame_stream_open(&s, reader, 2);
 *     const uint16_t *f; int64_t start, n;
 *     while ((rc = rm_frame_stream_next(s, &f, &start, &n)) == 0 && n > 0)
 *         use frames [start, start + n), each rows * cols counts;
 *     rm_frame_stream_close(s);
 *
 * The reader must stay open, and must not be used by another thread while
 * the stream is open (rm_rec_read_* may be called from the caller's thread
 * between rm_frame_stream_next calls: libhdf5 is the threadsafe build). */
#ifndef RM_FRAME_STREAM_H
#define RM_FRAME_STREAM_H

#include <stdint.h>

struct rm_rec_reader;
struct rm_frame_stream;

#define RM_FRAME_STREAM_AUTO (-1)

/* nthreads: worker threads decompressing ahead (0: everything happens in
 * the caller's thread inside rm_frame_stream_next; RM_FRAME_STREAM_AUTO:
 * one per online CPU, at most 8). Owned by the caller;
 * rm_frame_stream_close() frees it. */
int rm_frame_stream_open(struct rm_frame_stream **out, struct rm_rec_reader *reader, int nthreads);

/* The next block of frames in order: *frames points at *count frames
 * (rows * cols counts each, row-major) starting at frame *start. Returns 0
 * with *count = 0 at the end. The buffer belongs to the stream and stays
 * valid until the next call or close. A damaged chunk gives RM_EFORMAT with
 * "<path>:/frames: <what>"; the stream then stays at that error. */
int rm_frame_stream_next(struct rm_frame_stream *s, const uint16_t **frames, int64_t *start,
                         int64_t *count);

/* 1 when the stream decompresses chunks itself, 0 when it fell back to
 * H5Dread (for tests and benchmarks). */
int rm_frame_stream_is_direct(const struct rm_frame_stream *s);

void rm_frame_stream_close(struct rm_frame_stream *s);

#endif

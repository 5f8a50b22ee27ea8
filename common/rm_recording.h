/* Recordings: one rolling session in one HDF5 file, exactly as
 * shared/spec/recording-format.md defines it. The writer appends frames in
 * whole chunks under SWMR so that a killed writer leaves every flushed frame
 * readable; the reader validates a file against the spec before handing out
 * anything and streams frames in chunks, never all at once. */
#ifndef RM_RECORDING_H
#define RM_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_calibration.h"

#define RM_RECORDING_FORMAT_VERSION 1
#define RM_EVENT_KIND_LEN           16
#define RM_EVENT_LABEL_LEN          64

struct rm_rec_meta {
    char created_utc[32]; /* ISO 8601 UTC; empty = now, filled by the writer */
    char device_model[64];
    char device_serial[64];
    char device_firmware[64];
    int rows, cols;
    double pitch_row_mm, pitch_col_mm;
    int adc_bits;
    double rate_hz;
};

struct rm_rec_counters {
    int64_t frames_dropped;
    int64_t crc_errors;
    int64_t bytes_skipped;
    int64_t disconnects;
};

struct rm_event {
    double t;
    char kind[RM_EVENT_KIND_LEN + 1];
    char label[RM_EVENT_LABEL_LEN + 1];
};

/* ---- writing ---------------------------------------------------------- */

struct rm_rec_writer_opts {
    int compression;         /* deflate level 0-9 (0: no filter); default 1 */
    int chunk_frames;        /* frames per chunk; 0: half a flush interval's worth */
    double flush_interval_s; /* longest time frames wait in memory; default 1 */
    int compress_threads;    /* threads compressing chunks; 0: one per core (at most 8) */
};
#define RM_REC_WRITER_OPTS_DEFAULT                                                                 \
    {                                                                                              \
        1, 0, 1.0, 0                                                                               \
    }

struct rm_rec_writer;

/* Creates path (truncating it), writes the metadata, the calibration when
 * cal is not NULL, and enters SWMR mode. Owned by the caller until
 * rm_rec_writer_close(), which frees it. */
int rm_rec_writer_create(struct rm_rec_writer **out, const char *path,
                         const struct rm_rec_meta *meta, const struct rm_calibration *cal,
                         const struct rm_rec_writer_opts *opts);

/* Appends one frame: t in seconds since the first frame (strictly greater
 * than the previous one, else RM_EUSAGE), the unwrapped seq, rows * cols
 * counts. Frames are buffered and written a whole chunk at a time: a full
 * chunk is compressed and written (and flushed) by a compression thread
 * while the caller goes on, so it is in the file milliseconds after the
 * append that completed it; a write error shows in a later call. */
int rm_rec_writer_append(struct rm_rec_writer *w, double t, uint64_t seq, const uint16_t *sensels);

/* Appends an event; kind and label longer than the spec's fields are an
 * RM_EUSAGE error. Written at the next flush. */
int rm_rec_writer_event(struct rm_rec_writer *w, double t, const char *kind, const char *label);

/* Counters written into the file at close (and kept up to date in memory). */
void rm_rec_writer_set_counters(struct rm_rec_writer *w, const struct rm_rec_counters *c);

/* Writes buffered frames and events and flushes the file so that a reader
 * (or a crash) sees them. Called by append/event when flush_interval_s has
 * passed on the frames' own clock; call it from a timer when frames stop. */
int rm_rec_writer_flush(struct rm_rec_writer *w);

int64_t rm_rec_writer_frames(const struct rm_rec_writer *w);

/* Flushes, writes the counters and the "complete" mark (root attribute
 * complete = 1, given after the SWMR session ends: docs/recording.md),
 * closes and frees. Returns the first error met while writing, if any; the
 * file then keeps complete = 0. */
int rm_rec_writer_close(struct rm_rec_writer *w);

/* ---- reading ---------------------------------------------------------- */

struct rm_rec_reader;

/* Opens and validates a recording: not HDF5, truncated, wrong
 * rollmat_format or version, missing datasets or attributes, wrong rank or
 * type, frames not matching rows/cols, /t and /seq lengths disagreeing, /t
 * not strictly increasing, a calibration of the wrong shape: each gives
 * RM_EFORMAT with "<path>:<object>: <what>". A recording whose writer was
 * killed opens through SWMR read, up to its last flush; rm_rec_complete()
 * then says false. Close with rm_rec_reader_close(). */
int rm_rec_reader_open(struct rm_rec_reader **out, const char *path);
void rm_rec_reader_close(struct rm_rec_reader *r);

const char *rm_rec_path(const struct rm_rec_reader *r);
const struct rm_rec_meta *rm_rec_meta(const struct rm_rec_reader *r);
const struct rm_rec_counters *rm_rec_counters(const struct rm_rec_reader *r);
int64_t rm_rec_frames(const struct rm_rec_reader *r);
/* false when the writer never closed the file (killed, crashed, power cut). */
bool rm_rec_complete(const struct rm_rec_reader *r);

/* Events sorted by t (ties in stored order); owned by the reader. */
size_t rm_rec_nevents(const struct rm_rec_reader *r);
const struct rm_event *rm_rec_events(const struct rm_rec_reader *r);

/* The recording's /calibration, or NULL when it has none; owned by the
 * reader. */
const struct rm_calibration *rm_rec_calibration(const struct rm_rec_reader *r);

/* Reads frames [start, start + count) into out (count * rows * cols). */
int rm_rec_read_frames(struct rm_rec_reader *r, int64_t start, int64_t count, uint16_t *out);
int rm_rec_read_t(struct rm_rec_reader *r, int64_t start, int64_t count, double *out);
int rm_rec_read_seq(struct rm_rec_reader *r, int64_t start, int64_t count, uint64_t *out);

/* The natural reading block, in frames: the /frames chunk length along N
 * when a chunk spans whole frames; for a chunk that covers part of each
 * frame or a dataset without chunks, at most 1 MiB of frames. Callers
 * allocate this many frames at once. */
int64_t rm_rec_chunk_frames(const struct rm_rec_reader *r);

#endif

/* The recording writer: shared/spec/recording-format.md written in SWMR
 * mode, so that a reader can follow a session live and a killed writer
 * leaves every flushed frame readable (docs/recording.md).
 *
 * HDF5 rules this file lives by (shared/notes/hdf5-fftw-gnuplot.md):
 * - every dataset and attribute exists before H5Fstart_swmr_write, since SWMR
 *   allows no new objects afterwards; the counters and the `complete` mark
 *   are created as 0 and given their final values after the SWMR session is
 *   closed, by reopening the file in plain read-write mode;
 * - /frames is written a whole chunk at a time from a buffer in memory: a
 *   partial chunk under deflate is recompressed and reallocated on every
 *   write (50 frames/s and a file growing without bound). Only an explicit
 *   flush (timer, close) or a frame that has waited flush_interval_s writes a
 *   partial chunk; the buffer keeps it, and the completed chunk later
 *   overwrites it whole;
 * - chunks are compressed outside HDF5 (rm_chunk_pipe.h: shuffle + libdeflate
 *   on worker threads, exactly the bytes HDF5's shuffle + deflate filters
 *   store) and written with H5Dwrite_chunk into the same shuffle + deflate
 *   dataset, by whichever thread sinks them. So /frames, /t, /seq and the
 *   events that travel with a chunk are written by the pipeline's sink, the
 *   rest (flush, close) by the caller once the pipeline is idle: never two
 *   threads at once. */
#include <assert.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_chunk_pipe.h"
#include "rm_error.h"
#include "rm_h5.h"
#include "rm_log.h"
#include "rm_rec_layout.h"
#include "rm_recording.h"

#define LOG_PREFIX "recording"

/* HDF5 before 1.10.3 has the same call only in the high-level library. */
#if !H5_VERSION_GE(1, 10, 3)
#define H5Dwrite_chunk H5DOwrite_chunk
#endif

/* A chunk of frames stays at most this big: HDF5's default chunk cache is
 * 1 MiB, and readers decompress a chunk at a time. */
#define MAX_CHUNK_BYTES (1u << 20)
/* /t and /seq: unfiltered, so partial writes are cheap and in place. */
#define SCALAR_CHUNK 1024
#define EVENT_CHUNK  64

/* Events handed to the sink with a chunk: owned by the chunk. */
struct event_batch {
    struct rm_rec_event_row *ev;
    size_t n;
};

static void drop_events(void *payload)
{
    struct event_batch *b = payload;
    if (b)
        free(b->ev);
    free(b);
}

struct rm_rec_writer {
    char *path;
    hid_t file, frames, t, seq, events, event_type;
    hsize_t rows, cols;
    size_t frame_elems; /* rows * cols */
    struct rm_rec_writer_opts opts;
    int64_t chunk_frames;

    /* The chunks: the one being filled is rm_chunk_pipe_current(). */
    struct rm_chunk_pipe *pipe; /* owned */
    int64_t appended;           /* frames given to append */
    hsize_t frames_len;         /* /frames extent; the sink's */

    struct rm_rec_event_row *ebuf; /* events not yet handed on; the caller's, owned */
    size_t nev_buf, ev_cap;
    int64_t nevents; /* events in the file; the sink's (and the idle caller's) */

    bool have_t;
    double last_t;
    struct rm_rec_counters counters;
    int error; /* first write error; later writes are skipped */
    char error_msg[512];
};

/* The first error again, with its message (rm_fail's message is per thread
 * and may have been replaced since). */
static int sticky_error(const struct rm_rec_writer *w)
{
    return rm_fail(w->error, "%s", w->error_msg);
}

/* An HDF5 failure with HDF5's reason, on any thread. */
static int h5_fail(const struct rm_rec_writer *w, const char *what)
{
    char why[256];
    rm_h5_error_text(why, sizeof(why));
    if (w->file >= 0)
        rm_h5_write_failed(); /* an open file HDF5 could not write */
    return rm_fail(RM_EIO, "%s: %s (%s)", w->path, what, why);
}

/* The caller's thread: the first error becomes sticky. */
static int remember(struct rm_rec_writer *w, int rc)
{
    if (rc && !w->error) {
        w->error = rc;
        snprintf(w->error_msg, sizeof(w->error_msg), "%s", rm_last_error(rc));
    }
    return rc;
}

static int hdf5_failure(struct rm_rec_writer *w, const char *what)
{
    if (w->error)
        return sticky_error(w);
    return remember(w, h5_fail(w, what));
}

/* A chunk holds half a flush interval of frames, so that each flush finds
 * whole chunks to write: a partial chunk written by a flush is written again
 * when full, and under SWMR its first copy stays behind as dead space. Only
 * a device losing more than half its frames still forces partial chunks. */
static int64_t default_chunk_frames(const struct rm_rec_meta *meta, int64_t requested,
                                    double flush_interval_s)
{
    size_t frame_bytes = (size_t)meta->rows * (size_t)meta->cols * sizeof(uint16_t);
    int64_t cap = (int64_t)(MAX_CHUNK_BYTES / frame_bytes);
    int64_t n = requested > 0 ? requested : (int64_t)floor(meta->rate_hz * flush_interval_s / 2);
    if (cap < 1)
        cap = 1;
    if (n < 1)
        n = 1;
    return n < cap ? n : cap;
}

static int check_meta(const char *path, const struct rm_rec_meta *m,
                      const struct rm_rec_writer_opts *o)
{
    if (m->rows < 1 || m->rows > 4096 || m->cols < 1 || m->cols > 4096)
        return rm_fail(RM_EUSAGE, "%s: grid %d x %d out of range", path, m->rows, m->cols);
    if (!(m->rate_hz > 0) || !isfinite(m->rate_hz))
        return rm_fail(RM_EUSAGE, "%s: rate_hz %g must be > 0", path, m->rate_hz);
    if (!(m->pitch_row_mm > 0) || !(m->pitch_col_mm > 0) || !isfinite(m->pitch_row_mm) ||
        !isfinite(m->pitch_col_mm))
        return rm_fail(RM_EUSAGE, "%s: pitch must be > 0 mm", path);
    if (m->adc_bits < 1 || m->adc_bits > 16)
        return rm_fail(RM_EUSAGE, "%s: adc_bits %d out of range 1-16", path, m->adc_bits);
    if (o->compression < 0 || o->compression > 9)
        return rm_fail(RM_EUSAGE, "%s: compression %d out of range 0-9", path, o->compression);
    if (o->chunk_frames < 0 || !(o->flush_interval_s >= 0))
        return rm_fail(RM_EUSAGE, "%s: bad chunk_frames or flush_interval_s", path);
    return 0;
}

/* One axis of the mat as a dimension scale: the centre of each sensel in
 * mm from the first one's, attached to dimension dim of /frames. */
static int mm_scale(hid_t file, hid_t frames, const char *name, unsigned dim, int n, double pitch)
{
    hsize_t len = (hsize_t)n;
    double *v = malloc((size_t)n * sizeof(double));
    hid_t space = H5Screate_simple(1, &len, NULL);
    hid_t d = space < 0 ? -1
                        : H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                     H5P_DEFAULT);
    int rc = v && d >= 0 ? 0 : RM_EHDF5;
    for (int i = 0; !rc && i < n; i++)
        v[i] = i * pitch;
    if (!rc && (H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 ||
                H5DSset_scale(d, name) < 0 || H5DSattach_scale(frames, d, dim) < 0))
        rc = RM_EHDF5;
    rc = rc ? rc : rm_h5_write_str(d, "units", "mm");
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    free(v);
    return rc;
}

/* /frames explains itself: its dimensions named (t, row, col) and the two
 * grid axes carried as mm scales /row_mm and /col_mm, as /t carries time. */
static int label_frames(hid_t file, hid_t frames, const struct rm_rec_meta *m)
{
    if (H5DSset_label(frames, 0, "t") < 0 || H5DSset_label(frames, 1, "row") < 0 ||
        H5DSset_label(frames, 2, "col") < 0)
        return RM_EHDF5;
    int rc = mm_scale(file, frames, "row_mm", 1, m->rows, m->pitch_row_mm);
    return rc ? rc : mm_scale(file, frames, "col_mm", 2, m->cols, m->pitch_col_mm);
}

static int create_datasets(struct rm_rec_writer *w, const struct rm_rec_meta *m)
{
    hsize_t fchunk[3] = {(hsize_t)w->chunk_frames, (hsize_t)m->rows, (hsize_t)m->cols};
    hsize_t grid[2] = {(hsize_t)m->rows, (hsize_t)m->cols};
    hsize_t schunk[1] = {SCALAR_CHUNK}, echunk[1] = {EVENT_CHUNK};
    hid_t event_file_type = -1;

    w->frames = rm_rec_create_extendable(w->file, "frames", H5T_STD_U16LE, 3, fchunk, grid,
                                         w->opts.compression);
    w->t = rm_rec_create_extendable(w->file, "t", H5T_IEEE_F64LE, 1, schunk, NULL, 0);
    w->seq = rm_rec_create_extendable(w->file, "seq", H5T_STD_U64LE, 1, schunk, NULL, 0);
    w->event_type = rm_rec_make_event_type(&event_file_type);
    if (event_file_type >= 0)
        w->events =
            rm_rec_create_extendable(w->file, "events", event_file_type, 1, echunk, NULL, 0);
    if (event_file_type >= 0)
        H5Tclose(event_file_type);
    if (w->frames < 0 || w->t < 0 || w->seq < 0 || w->events < 0 || w->event_type < 0)
        return RM_EHDF5;
    int rc = rm_h5_write_str(w->frames, "units", "counts");
    rc = rc ? rc : rm_h5_write_str(w->t, "units", "s");
    if (rc)
        return rc;
    /* /t is the dimension scale of the time axis: HDFView, xarray and
     * netCDF tools label /frames and /seq by it. */
    if (H5DSset_scale(w->t, "t") < 0 || H5DSattach_scale(w->frames, w->t, 0) < 0 ||
        H5DSattach_scale(w->seq, w->t, 0) < 0)
        return RM_EHDF5;
    return label_frames(w->file, w->frames, m);
}

/* Closes the datasets that are open; the file stays open. */
static void close_datasets(struct rm_rec_writer *w)
{
    if (w->events >= 0)
        H5Dclose(w->events);
    if (w->seq >= 0)
        H5Dclose(w->seq);
    if (w->t >= 0)
        H5Dclose(w->t);
    if (w->frames >= 0)
        H5Dclose(w->frames);
    w->events = w->seq = w->t = w->frames = -1;
}

static void writer_free(struct rm_rec_writer *w)
{
    if (!w)
        return;
    rm_chunk_pipe_free(w->pipe); /* no sink runs after this */
    close_datasets(w);
    if (w->event_type >= 0)
        H5Tclose(w->event_type);
    if (w->file >= 0)
        H5Fclose(w->file);
    free(w->ebuf);
    free(w->path);
    free(w);
}

static int sink_chunk(void *user, const struct rm_chunk_slot *c);

int rm_rec_writer_create(struct rm_rec_writer **out, const char *path,
                         const struct rm_rec_meta *meta, const struct rm_calibration *cal,
                         const struct rm_rec_writer_opts *opts)
{
    static const struct rm_rec_writer_opts defaults = RM_REC_WRITER_OPTS_DEFAULT;
    *out = NULL;
    rm_h5_quiet();
    if (!opts)
        opts = &defaults;
    int rc = check_meta(path, meta, opts);
    if (rc)
        return rc;
    if (cal && (cal->rows != meta->rows || cal->cols != meta->cols))
        return rm_fail(RM_EUSAGE, "%s: calibration is %d x %d, the mat %d x %d", path, cal->rows,
                       cal->cols, meta->rows, meta->cols);

    struct rm_rec_writer *w = calloc(1, sizeof(*w)); /* owned by the caller until close */
    if (!w)
        return RM_ENOMEM;
    w->file = w->frames = w->t = w->seq = w->events = w->event_type = -1;
    w->opts = *opts;
    if (!(w->opts.flush_interval_s > 0))
        w->opts.flush_interval_s = 1.0;
    w->frame_elems = (size_t)meta->rows * (size_t)meta->cols;
    w->chunk_frames = default_chunk_frames(meta, opts->chunk_frames, w->opts.flush_interval_s);
    w->rows = (hsize_t)meta->rows;
    w->cols = (hsize_t)meta->cols;
    w->path = strdup(path);
    struct rm_chunk_pipe_cfg pc = {
        .chunk_frames = (size_t)w->chunk_frames,
        .frame_elems = w->frame_elems,
        .level = opts->compression,
        .nworkers =
            opts->compress_threads > 0 ? opts->compress_threads : rm_chunk_pipe_default_workers(),
        .sink = sink_chunk,
        .drop = drop_events,
        .user = w,
    };
    rc = w->path ? rm_chunk_pipe_new(&w->pipe, &pc) : RM_ENOMEM;
    if (rc) {
        writer_free(w);
        return rc;
    }

    hid_t fapl = rm_h5_fapl_v110();
    if (fapl >= 0)
        w->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (w->file < 0) {
        rc = hdf5_failure(w, "cannot create the recording");
        writer_free(w);
        return rc;
    }
    rc = rm_rec_write_root_attributes(w->file, meta);
    rc = rc ? rc : create_datasets(w, meta);
    if (!rc && cal) {
        hid_t g = H5Gcreate2(w->file, "calibration", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        rc = g < 0 ? RM_EHDF5 : rm_calibration_h5_write(g, cal);
        if (g >= 0)
            H5Gclose(g);
    }
    if (!rc && H5Fstart_swmr_write(w->file) < 0)
        rc = RM_EHDF5;
    if (rc) {
        rc = rc == RM_ENOMEM ? rc : hdf5_failure(w, "cannot set up the recording");
        writer_free(w);
        remove(path); /* nothing in it yet worth keeping */
        return rc;
    }
    rm_dbg("%s: recording %d x %d, %lld frames per chunk, shuffle + deflate %d", path, meta->rows,
           meta->cols, (long long)w->chunk_frames, w->opts.compression);
    *out = w;
    return 0;
}

static int write_event_rows(struct rm_rec_writer *w, const struct rm_rec_event_row *ev, size_t n)
{
    if (n == 0)
        return 0;
    if (rm_rec_write_rows(w->events, 1, w->nevents, (int64_t)n, NULL, w->event_type, ev) < 0)
        return h5_fail(w, "cannot write events");
    w->nevents += (int64_t)n;
    return 0;
}

/* The pipeline's sink: one encoded chunk of /frames (whole, over any
 * partial copy written before), then the frames' /seq and /t not yet in the
 * file, last, so that a reader that sees N times finds N frames; then the
 * events that came with the chunk; then the flush that makes it visible.
 * Runs on a compression thread or on the caller's: errors only in rm_fail,
 * the pipeline keeps the first. */
static int sink_chunk(void *user, const struct rm_chunk_slot *c)
{
    struct rm_rec_writer *w = user;
    struct event_batch *batch = c->payload;
    rm_h5_quiet(); /* HDF5's error printing is set per thread */
    hsize_t offset[3] = {(hsize_t)c->first, 0, 0};
    hsize_t dims[3] = {(hsize_t)(c->first + c->nframes), w->rows, w->cols};
    int rc = 0;
    if (dims[0] > w->frames_len) {
        if (H5Dset_extent(w->frames, dims) < 0)
            rc = h5_fail(w, "cannot extend /frames");
        else
            w->frames_len = dims[0];
    }
    if (!rc && H5Dwrite_chunk(w->frames, H5P_DEFAULT, 0, offset, c->nstored, c->stored) < 0)
        rc = h5_fail(w, "cannot write frames");
    int64_t first = c->first + c->nwritten, n = c->nframes - c->nwritten;
    if (!rc &&
        (rm_rec_write_rows(w->seq, 1, first, n, NULL, H5T_NATIVE_UINT64, c->seq + c->nwritten) <
             0 ||
         rm_rec_write_rows(w->t, 1, first, n, NULL, H5T_NATIVE_DOUBLE, c->t + c->nwritten) < 0))
        rc = h5_fail(w, "cannot write /t or /seq");
    if (!rc && batch)
        rc = write_event_rows(w, batch->ev, batch->n);
    if (!rc && H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0)
        rc = h5_fail(w, "cannot flush");
    drop_events(batch);
    return rc;
}

/* The caller's pending events, to travel with the chunk it submits; NULL
 * when there are none (or no memory: they then wait for the next flush). */
static struct event_batch *take_events(struct rm_rec_writer *w)
{
    if (w->nev_buf == 0)
        return NULL;
    struct event_batch *b = malloc(sizeof(*b)); /* owned by the chunk */
    if (!b)
        return NULL;
    b->ev = w->ebuf;
    b->n = w->nev_buf;
    w->ebuf = NULL;
    w->nev_buf = w->ev_cap = 0;
    return b;
}

int rm_rec_writer_flush(struct rm_rec_writer *w)
{
    if (w->error)
        return sticky_error(w);
    rm_h5_quiet();
    /* Every completed chunk, then the partial one; after that no sink runs
     * until the next submit, so the file is this thread's. */
    int rc = remember(w, rm_chunk_pipe_flush(w->pipe));
    if (rc)
        return rc;
    rc = write_event_rows(w, w->ebuf, w->nev_buf);
    if (rc)
        return remember(w, rc);
    w->nev_buf = 0;
    if (H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0)
        return hdf5_failure(w, "cannot flush");
    return 0;
}

int rm_rec_writer_append(struct rm_rec_writer *w, double t, uint64_t seq, const uint16_t *sensels)
{
    if (w->error)
        return sticky_error(w);
    if (!isfinite(t) || (w->have_t && !(t > w->last_t)))
        return rm_fail(RM_EUSAGE, "%s: frame time %.9g after %.9g is not increasing", w->path, t,
                       w->last_t);
    struct rm_chunk_slot *c = rm_chunk_pipe_current(w->pipe);
    assert(c->nframes < w->chunk_frames);
    memcpy(c->frames + (size_t)c->nframes * w->frame_elems, sensels,
           w->frame_elems * sizeof(uint16_t));
    c->t[c->nframes] = t;
    c->seq[c->nframes] = seq;
    c->nframes++;
    w->appended++;
    w->have_t = true;
    w->last_t = t;

    if (c->nframes == w->chunk_frames) {
        /* The normal path: a whole chunk goes to the compression threads,
         * which write it and make it visible; this thread goes on. */
        c->payload = take_events(w);
        return remember(w, rm_chunk_pipe_submit(w->pipe));
    }
    /* Frames arriving slower than rate_hz (or a chunk longer than the flush
     * interval): do not let the oldest unwritten one wait any longer. */
    if (c->nframes > c->nwritten && t - c->t[c->nwritten] >= w->opts.flush_interval_s)
        return rm_rec_writer_flush(w);
    return 0;
}

int rm_rec_writer_event(struct rm_rec_writer *w, double t, const char *kind, const char *label)
{
    if (!label)
        label = "";
    size_t klen = strlen(kind), llen = strlen(label);
    if (klen == 0 || klen > RM_EVENT_KIND_LEN)
        return rm_fail(RM_EUSAGE, "%s: event kind \"%s\" must be 1-%d bytes", w->path, kind,
                       RM_EVENT_KIND_LEN);
    if (llen > RM_EVENT_LABEL_LEN)
        return rm_fail(RM_EUSAGE, "%s: event label of %zu bytes, at most %d", w->path, llen,
                       RM_EVENT_LABEL_LEN);
    if (!isfinite(t))
        return rm_fail(RM_EUSAGE, "%s: event time is not finite", w->path);
    if (w->nev_buf == w->ev_cap) {
        size_t cap = w->ev_cap ? 2 * w->ev_cap : 16;
        struct rm_rec_event_row *grown = realloc(w->ebuf, cap * sizeof(*grown));
        if (!grown)
            return RM_ENOMEM;
        w->ebuf = grown;
        w->ev_cap = cap;
    }
    struct rm_rec_event_row *e = &w->ebuf[w->nev_buf++];
    memset(e, 0, sizeof(*e));
    e->t = t;
    memcpy(e->kind, kind, klen);
    memcpy(e->label, label, llen);
    return 0;
}

void rm_rec_writer_set_counters(struct rm_rec_writer *w, const struct rm_rec_counters *c)
{
    w->counters = *c;
}

int64_t rm_rec_writer_frames(const struct rm_rec_writer *w)
{
    return w->appended;
}

int rm_rec_writer_close(struct rm_rec_writer *w)
{
    if (!w)
        return 0;
    rm_h5_quiet();
    int rc = rm_rec_writer_flush(w);
    rm_chunk_pipe_free(w->pipe);
    w->pipe = NULL;
    hid_t file = w->file;
    w->file = -1;
    /* Close the datasets before the file so that H5Fclose really closes it
     * and clears the SWMR "open for writing" mark. */
    close_datasets(w);
    if (H5Fclose(file) < 0 && !rc)
        rc = hdf5_failure(w, "cannot close the recording");
    if (!rc && rm_rec_finalize(w->path, &w->counters) != 0)
        rc = hdf5_failure(w, "cannot mark the recording complete");
    if (rc)
        rm_info("%s: left incomplete (complete = 0) after a write error", w->path);
    writer_free(w);
    return rc;
}

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
 *   overwrites it whole. */
#include <assert.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_h5.h"
#include "rm_log.h"
#include "rm_recording.h"

#define LOG_PREFIX "recording"

/* A chunk of frames stays at most this big: HDF5's default chunk cache is
 * 1 MiB, and readers decompress a chunk at a time. */
#define MAX_CHUNK_BYTES (1u << 20)
/* /t and /seq: unfiltered, so partial writes are cheap and in place. */
#define SCALAR_CHUNK 1024
#define EVENT_CHUNK  64

/* One /events element in memory, NUL padded like the file's fields. */
struct event_rec {
    double t;
    char kind[RM_EVENT_KIND_LEN];
    char label[RM_EVENT_LABEL_LEN];
};

struct rm_rec_writer {
    char *path;
    hid_t file, frames, t, seq, events, event_type;
    size_t frame_elems; /* rows * cols */
    struct rm_rec_writer_opts opts;
    int64_t chunk_frames;

    /* The chunk being filled: frames [chunk_start, chunk_start + nbuf), of
     * which the first nwritten are already in the file (a partial flush). */
    int64_t chunk_start, nbuf, nwritten;
    uint16_t *fbuf; /* chunk_frames * frame_elems, owned */
    double *tbuf;   /* chunk_frames, owned */
    uint64_t *sbuf; /* chunk_frames, owned */

    struct event_rec *ebuf; /* events not yet written; owned */
    size_t nev_buf, ev_cap;
    int64_t nevents; /* events in the file */

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

static int hdf5_failure(struct rm_rec_writer *w, const char *what)
{
    char why[256];
    rm_h5_error_text(why, sizeof(why));
    if (w->error)
        return sticky_error(w);
    w->error = rm_fail(RM_EIO, "%s: %s (%s)", w->path, what, why);
    snprintf(w->error_msg, sizeof(w->error_msg), "%s", rm_last_error(w->error));
    return w->error;
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

/* An extendable 1-D or 3-D chunked dataset of `type`, with shuffle+deflate
 * when level > 0. */
static hid_t create_extendable(hid_t loc, const char *name, hid_t type, int rank,
                               const hsize_t *chunk, const hsize_t *tail, int level)
{
    hsize_t dims[3] = {0, 0, 0}, maxdims[3] = {H5S_UNLIMITED, 0, 0};
    for (int i = 1; i < rank; i++)
        dims[i] = maxdims[i] = tail[i - 1];
    hid_t space = H5Screate_simple(rank, dims, maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    hid_t d = -1;
    if (space < 0 || dcpl < 0 || dapl < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0)
        goto out;
    if (level > 0 && (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)level) < 0))
        goto out;
    /* No chunk cache: a whole-chunk write goes straight to the file instead
     * of waiting dirty in the cache until the next flush. */
    if (H5Pset_chunk_cache(dapl, 0, 0, 1.0) < 0)
        goto out;
    d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, dapl);
out:
    if (dapl >= 0)
        H5Pclose(dapl);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return d;
}

static hid_t make_event_type(hid_t *file_type)
{
    hid_t kind = H5Tcopy(H5T_C_S1), label = H5Tcopy(H5T_C_S1);
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(struct event_rec));
    H5Tset_size(kind, RM_EVENT_KIND_LEN);
    H5Tset_strpad(kind, H5T_STR_NULLPAD);
    H5Tset_size(label, RM_EVENT_LABEL_LEN);
    H5Tset_strpad(label, H5T_STR_NULLPAD);
    /* Labels are UTF-8 (cleaned where they enter): say so, so that h5py,
     * MATLAB and R decode them as text. */
    H5Tset_cset(kind, H5T_CSET_UTF8);
    H5Tset_cset(label, H5T_CSET_UTF8);
    H5Tinsert(mem, "t", offsetof(struct event_rec, t), H5T_NATIVE_DOUBLE);
    H5Tinsert(mem, "kind", offsetof(struct event_rec, kind), kind);
    H5Tinsert(mem, "label", offsetof(struct event_rec, label), label);
    /* Packed in the file: 8 + 16 + 64 bytes, the spec's field sizes. */
    *file_type = H5Tcopy(mem);
    H5Tpack(*file_type);
    H5Tclose(kind);
    H5Tclose(label);
    return mem;
}

static int write_root_attributes(hid_t f, const struct rm_rec_meta *m)
{
    char now[32];
    const char *created = m->created_utc;
    if (!created[0]) {
        rm_h5_utc_now(now, sizeof(now));
        created = now;
    }
    int rc = rm_h5_write_str(f, "rollmat_format", "recording");
    rc = rc ? rc : rm_h5_write_int(f, "rollmat_format_version", RM_RECORDING_FORMAT_VERSION);
    rc = rc ? rc : rm_h5_write_str(f, "created_utc", created);
    rc = rc ? rc : rm_h5_write_str(f, "device_model", m->device_model);
    rc = rc ? rc : rm_h5_write_str(f, "device_serial", m->device_serial);
    rc = rc ? rc : rm_h5_write_str(f, "device_firmware", m->device_firmware);
    rc = rc ? rc : rm_h5_write_int(f, "rows", m->rows);
    rc = rc ? rc : rm_h5_write_int(f, "cols", m->cols);
    rc = rc ? rc : rm_h5_write_double(f, "pitch_row_mm", m->pitch_row_mm);
    rc = rc ? rc : rm_h5_write_double(f, "pitch_col_mm", m->pitch_col_mm);
    rc = rc ? rc : rm_h5_write_int(f, "adc_bits", m->adc_bits);
    rc = rc ? rc : rm_h5_write_double(f, "rate_hz", m->rate_hz);
    /* Final values are written at close (see the top of this file). */
    rc = rc ? rc : rm_h5_write_i64(f, "frames_dropped", 0);
    rc = rc ? rc : rm_h5_write_i64(f, "crc_errors", 0);
    rc = rc ? rc : rm_h5_write_i64(f, "bytes_skipped", 0);
    rc = rc ? rc : rm_h5_write_i64(f, "disconnects", 0);
    rc = rc ? rc : rm_h5_write_int(f, "complete", 0);
    return rc;
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

    w->frames =
        create_extendable(w->file, "frames", H5T_STD_U16LE, 3, fchunk, grid, w->opts.compression);
    w->t = create_extendable(w->file, "t", H5T_IEEE_F64LE, 1, schunk, NULL, 0);
    w->seq = create_extendable(w->file, "seq", H5T_STD_U64LE, 1, schunk, NULL, 0);
    w->event_type = make_event_type(&event_file_type);
    if (event_file_type >= 0)
        w->events = create_extendable(w->file, "events", event_file_type, 1, echunk, NULL, 0);
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
    close_datasets(w);
    if (w->event_type >= 0)
        H5Tclose(w->event_type);
    if (w->file >= 0)
        H5Fclose(w->file);
    free(w->fbuf);
    free(w->tbuf);
    free(w->sbuf);
    free(w->ebuf);
    free(w->path);
    free(w);
}

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
    w->path = strdup(path);
    w->fbuf = malloc((size_t)w->chunk_frames * w->frame_elems * sizeof(uint16_t));
    w->tbuf = malloc((size_t)w->chunk_frames * sizeof(double));
    w->sbuf = malloc((size_t)w->chunk_frames * sizeof(uint64_t));
    if (!w->path || !w->fbuf || !w->tbuf || !w->sbuf) {
        writer_free(w);
        return RM_ENOMEM;
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
    rc = write_root_attributes(w->file, meta);
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
    rm_dbg("%s: recording %d x %d, %lld frames per chunk, deflate %d", path, meta->rows, meta->cols,
           (long long)w->chunk_frames, w->opts.compression);
    *out = w;
    return 0;
}

static int extend_and_select(hid_t d, int64_t new_len, int rank, const hsize_t *start,
                             const hsize_t *count, hid_t *fspace)
{
    hsize_t dims[3];
    hid_t space = H5Dget_space(d);
    if (space < 0)
        return -1;
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    if (dims[0] < (hsize_t)new_len) {
        dims[0] = (hsize_t)new_len;
        if (H5Dset_extent(d, dims) < 0)
            return -1;
    }
    *fspace = H5Dget_space(d);
    if (*fspace < 0)
        return -1;
    (void)rank;
    return H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, start, NULL, count, NULL);
}

static int write_rows(hid_t d, int rank, int64_t first, int64_t n, const hsize_t *tail,
                      hid_t memtype, const void *data)
{
    hsize_t start[3] = {(hsize_t)first, 0, 0}, count[3] = {(hsize_t)n, 0, 0};
    for (int i = 1; i < rank; i++)
        count[i] = tail[i - 1];
    hid_t fspace = -1;
    int rc = -1;
    hid_t mspace = H5Screate_simple(rank, count, NULL);
    if (mspace >= 0 && extend_and_select(d, first + n, rank, start, count, &fspace) >= 0 &&
        H5Dwrite(d, memtype, mspace, fspace, H5P_DEFAULT, data) >= 0)
        rc = 0;
    if (fspace >= 0)
        H5Sclose(fspace);
    if (mspace >= 0)
        H5Sclose(mspace);
    return rc;
}

/* Writes the buffered frames of the current chunk (all of them, so that a
 * completed chunk is one whole-chunk write even after a partial flush). */
static int write_buffered_frames(struct rm_rec_writer *w)
{
    if (w->error)
        return sticky_error(w);
    if (w->nbuf == w->nwritten)
        return 0;
    hsize_t dims[3];
    hid_t space = H5Dget_space(w->frames);
    H5Sget_simple_extent_dims(space, dims, NULL);
    H5Sclose(space);
    hsize_t grid[2] = {dims[1], dims[2]};
    if (write_rows(w->frames, 3, w->chunk_start, w->nbuf, grid, H5T_NATIVE_UINT16, w->fbuf) < 0)
        return hdf5_failure(w, "cannot write frames");
    /* /t and /seq last: a reader that sees N entries there finds N frames. */
    int64_t first = w->chunk_start + w->nwritten, n = w->nbuf - w->nwritten;
    if (write_rows(w->seq, 1, first, n, NULL, H5T_NATIVE_UINT64, w->sbuf + w->nwritten) < 0 ||
        write_rows(w->t, 1, first, n, NULL, H5T_NATIVE_DOUBLE, w->tbuf + w->nwritten) < 0)
        return hdf5_failure(w, "cannot write /t or /seq");
    w->nwritten = w->nbuf;
    if (w->nbuf == w->chunk_frames) {
        w->chunk_start += w->nbuf;
        w->nbuf = w->nwritten = 0;
    }
    return 0;
}

static int write_events(struct rm_rec_writer *w)
{
    if (w->error)
        return sticky_error(w);
    if (w->nev_buf == 0)
        return 0;
    if (write_rows(w->events, 1, w->nevents, (int64_t)w->nev_buf, NULL, w->event_type, w->ebuf) < 0)
        return hdf5_failure(w, "cannot write events");
    w->nevents += (int64_t)w->nev_buf;
    w->nev_buf = 0;
    return 0;
}

static int flush_file(struct rm_rec_writer *w)
{
    if (w->error)
        return sticky_error(w);
    if (H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0)
        return hdf5_failure(w, "cannot flush");
    return 0;
}

int rm_rec_writer_flush(struct rm_rec_writer *w)
{
    rm_h5_quiet();
    int rc = write_buffered_frames(w);
    rc = rc ? rc : write_events(w);
    rc = rc ? rc : flush_file(w);
    return rc;
}

int rm_rec_writer_append(struct rm_rec_writer *w, double t, uint64_t seq, const uint16_t *sensels)
{
    if (w->error)
        return sticky_error(w);
    if (!isfinite(t) || (w->have_t && !(t > w->last_t)))
        return rm_fail(RM_EUSAGE, "%s: frame time %.9g after %.9g is not increasing", w->path, t,
                       w->last_t);
    assert(w->nbuf < w->chunk_frames);
    memcpy(w->fbuf + (size_t)w->nbuf * w->frame_elems, sensels, w->frame_elems * sizeof(uint16_t));
    w->tbuf[w->nbuf] = t;
    w->sbuf[w->nbuf] = seq;
    w->nbuf++;
    w->have_t = true;
    w->last_t = t;

    if (w->nbuf == w->chunk_frames) {
        /* The normal path: a whole chunk, then make it visible. */
        rm_h5_quiet();
        int rc = write_buffered_frames(w);
        rc = rc ? rc : write_events(w);
        return rc ? rc : flush_file(w);
    }
    /* Frames arriving slower than rate_hz (or a chunk longer than the flush
     * interval): do not let the oldest unwritten one wait any longer. */
    if (w->nbuf > w->nwritten && t - w->tbuf[w->nwritten] >= w->opts.flush_interval_s)
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
        struct event_rec *grown = realloc(w->ebuf, cap * sizeof(*grown));
        if (!grown)
            return RM_ENOMEM;
        w->ebuf = grown;
        w->ev_cap = cap;
    }
    struct event_rec *e = &w->ebuf[w->nev_buf++];
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
    return w->chunk_start + w->nbuf;
}

/* Gives the counters their final values and sets complete = 1, in a plain
 * (non-SWMR) session: SWMR forbids new attributes and does not promise
 * readers a consistent view of rewritten ones. A crash before this leaves
 * a valid file with complete = 0. */
static int finalize(const char *path, const struct rm_rec_counters *c)
{
    hid_t fapl = rm_h5_fapl_v110();
    /* A live viewer (h5py with swmr=True, `rollmat info`) may still hold the
     * file through SWMR read, and its lock would refuse this open. SWMR
     * readers retry metadata whose checksum changes under them, so the
     * in-place rewrite of five fixed-size values is safe for them. */
    if (fapl >= 0 && H5Pset_file_locking(fapl, 0, 1) < 0) {
        H5Pclose(fapl);
        fapl = -1;
    }
    hid_t f = fapl >= 0 ? H5Fopen(path, H5F_ACC_RDWR, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f < 0)
        return RM_EHDF5;
    int rc = rm_h5_rewrite_i64(f, "frames_dropped", c->frames_dropped);
    rc = rc ? rc : rm_h5_rewrite_i64(f, "crc_errors", c->crc_errors);
    rc = rc ? rc : rm_h5_rewrite_i64(f, "bytes_skipped", c->bytes_skipped);
    rc = rc ? rc : rm_h5_rewrite_i64(f, "disconnects", c->disconnects);
    rc = rc ? rc : rm_h5_rewrite_int(f, "complete", 1);
    if (H5Fclose(f) < 0 && !rc)
        rc = RM_EHDF5;
    return rc;
}

int rm_rec_writer_close(struct rm_rec_writer *w)
{
    if (!w)
        return 0;
    rm_h5_quiet();
    int rc = rm_rec_writer_flush(w);
    hid_t file = w->file;
    w->file = -1;
    /* Close the datasets before the file so that H5Fclose really closes it
     * and clears the SWMR "open for writing" mark. */
    close_datasets(w);
    if (H5Fclose(file) < 0 && !rc)
        rc = hdf5_failure(w, "cannot close the recording");
    if (!rc && finalize(w->path, &w->counters) != 0)
        rc = hdf5_failure(w, "cannot mark the recording complete");
    if (rc)
        rm_warn("%s: left incomplete (complete = 0) after a write error", w->path);
    writer_free(w);
    return rc;
}

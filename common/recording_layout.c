/* The HDF5 objects of a recording (rm_rec_layout.h): dataset creation,
 * root attributes, row appends and the final "complete" mark, split from
 * recording_writer.c, which decides when they happen. */
#include "rm_rec_layout.h"

#include <hdf5_hl.h>
#include <stddef.h>
#include <string.h>

#include "rm_error.h"
#include "rm_h5.h"

/* An extendable 1-D or 3-D chunked dataset of `type`, with shuffle+deflate
 * when level > 0. */
hid_t rm_rec_create_extendable(hid_t loc, const char *name, hid_t type, int rank,
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

hid_t rm_rec_make_event_type(hid_t *file_type)
{
    hid_t kind = H5Tcopy(H5T_C_S1), label = H5Tcopy(H5T_C_S1);
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(struct rm_rec_event_row));
    H5Tset_size(kind, RM_EVENT_KIND_LEN);
    H5Tset_strpad(kind, H5T_STR_NULLPAD);
    H5Tset_size(label, RM_EVENT_LABEL_LEN);
    H5Tset_strpad(label, H5T_STR_NULLPAD);
    /* Labels are UTF-8 (cleaned where they enter): say so, so that h5py,
     * MATLAB and R decode them as text. */
    H5Tset_cset(kind, H5T_CSET_UTF8);
    H5Tset_cset(label, H5T_CSET_UTF8);
    H5Tinsert(mem, "t", offsetof(struct rm_rec_event_row, t), H5T_NATIVE_DOUBLE);
    H5Tinsert(mem, "kind", offsetof(struct rm_rec_event_row, kind), kind);
    H5Tinsert(mem, "label", offsetof(struct rm_rec_event_row, label), label);
    /* Packed in the file: 8 + 16 + 64 bytes, the spec's field sizes. */
    *file_type = H5Tcopy(mem);
    H5Tpack(*file_type);
    H5Tclose(kind);
    H5Tclose(label);
    return mem;
}

int rm_rec_write_root_attributes(hid_t f, const struct rm_rec_meta *m)
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

int rm_rec_write_rows(hid_t d, int rank, int64_t first, int64_t n, const hsize_t *tail,
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

/* Gives the counters their final values and sets complete = 1, in a plain
 * (non-SWMR) session: SWMR forbids new attributes and does not promise
 * readers a consistent view of rewritten ones. A crash before this leaves
 * a valid file with complete = 0. */
int rm_rec_finalize(const char *path, const struct rm_rec_counters *c)
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

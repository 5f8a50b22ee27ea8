/* The parallel frame stream gives exactly what rm_rec_read_frames gives, for
 * every /frames layout a recording may have: deflate 0, 1 and 6 with and
 * without shuffle, shuffle alone, a final chunk shorter than the others,
 * and layouts it must hand to H5Dread (fletcher32, contiguous); with 0, 1
 * and 3 threads; and a damaged chunk is an error, not a crash. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rm_error.h"
#include "rm_frame_stream.h"
#include "rm_h5.h"
#include "rm_recording.h"
#include "testlib.h"

#define ROWS  20
#define COLS  12
#define NSENS (ROWS * COLS)

struct layout {
    const char *name;
    int deflate;      /* level, 0: none */
    bool shuffle;     /* before deflate */
    bool fletcher32;  /* a filter the stream does not decode itself */
    bool contiguous;  /* no chunks at all */
    int chunk;        /* frames per chunk */
    bool want_direct; /* the stream should decode it itself */
    bool sliver;      /* chunks of one sensel, [chunk, 1, 1] (h5py allows any shape) */
};

static void make_frames(int64_t n, uint16_t *f)
{
    uint32_t x = 99;
    for (int64_t i = 0; i < n * NSENS; i++) {
        x = x * 1103515245u + 12345u;
        /* Mostly small counts and zeros, like a mat: compressible. */
        f[i] = (x >> 28) < 6 ? 0 : (uint16_t)((x >> 16) % (i % 3 ? 4096 : 65536));
    }
}

static hid_t new_dataset(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims,
                         hid_t dcpl)
{
    hsize_t maxdims[3] = {H5S_UNLIMITED, 0, 0};
    for (int i = 1; i < rank; i++)
        maxdims[i] = dims[i];
    hid_t space = H5Screate_simple(rank, dims, dcpl == H5P_DEFAULT ? NULL : maxdims);
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0);
    H5Sclose(space);
    return d;
}

/* A spec-valid recording whose /frames has the given layout, written with
 * plain HDF5 calls (the writer only makes shuffle + deflate). */
static void write_with_layout(const char *path, const struct layout *l, int64_t n,
                              const uint16_t *frames)
{
    hid_t fapl = rm_h5_fapl_v110();
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    assert_true(f >= 0);
    assert_int_equal(rm_h5_write_str(f, "rollmat_format", "recording"), 0);
    assert_int_equal(rm_h5_write_int(f, "rollmat_format_version", 1), 0);
    assert_int_equal(rm_h5_write_str(f, "created_utc", "2026-11-23T07:15:02Z"), 0);
    assert_int_equal(rm_h5_write_str(f, "device_model", "simulated"), 0);
    assert_int_equal(rm_h5_write_str(f, "device_serial", "S"), 0);
    assert_int_equal(rm_h5_write_str(f, "device_firmware", "1"), 0);
    assert_int_equal(rm_h5_write_int(f, "rows", ROWS), 0);
    assert_int_equal(rm_h5_write_int(f, "cols", COLS), 0);
    assert_int_equal(rm_h5_write_double(f, "pitch_row_mm", 10), 0);
    assert_int_equal(rm_h5_write_double(f, "pitch_col_mm", 10), 0);
    assert_int_equal(rm_h5_write_int(f, "adc_bits", 16), 0);
    assert_int_equal(rm_h5_write_double(f, "rate_hz", 100), 0);
    const char *counters[] = {"frames_dropped", "crc_errors", "bytes_skipped", "disconnects"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(rm_h5_write_i64(f, counters[i], 0), 0);

    hsize_t dims[3] = {(hsize_t)n, ROWS, COLS}, chunk[3] = {(hsize_t)l->chunk, ROWS, COLS};
    if (l->sliver)
        chunk[1] = chunk[2] = 1;
    hid_t dcpl = H5P_DEFAULT;
    if (!l->contiguous) {
        dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(dcpl, 3, chunk);
        if (l->fletcher32)
            H5Pset_fletcher32(dcpl);
        if (l->shuffle)
            H5Pset_shuffle(dcpl);
        if (l->deflate)
            H5Pset_deflate(dcpl, (unsigned)l->deflate);
    }
    hid_t d = new_dataset(f, "frames", H5T_STD_U16LE, 3, dims, dcpl);
    assert_true(H5Dwrite(d, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, frames) >= 0);
    assert_int_equal(rm_h5_write_str(d, "units", "counts"), 0);
    H5Dclose(d);
    if (dcpl != H5P_DEFAULT)
        H5Pclose(dcpl);

    double *t = malloc((size_t)n * sizeof(double));
    uint64_t *seq = malloc((size_t)n * sizeof(uint64_t));
    assert_non_null(t);
    assert_non_null(seq);
    for (int64_t i = 0; i < n; i++) {
        t[i] = (double)i / 100.0;
        seq[i] = (uint64_t)i;
    }
    d = new_dataset(f, "t", H5T_IEEE_F64LE, 1, dims, H5P_DEFAULT);
    assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t) >= 0);
    assert_int_equal(rm_h5_write_str(d, "units", "s"), 0);
    H5Dclose(d);
    d = new_dataset(f, "seq", H5T_STD_U64LE, 1, dims, H5P_DEFAULT);
    assert_true(H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, seq) >= 0);
    H5Dclose(d);
    free(t);
    free(seq);

    hid_t kind = H5Tcopy(H5T_C_S1), label = H5Tcopy(H5T_C_S1);
    H5Tset_size(kind, 16);
    H5Tset_size(label, 64);
    hid_t ev = H5Tcreate(H5T_COMPOUND, 88);
    H5Tinsert(ev, "t", 0, H5T_IEEE_F64LE);
    H5Tinsert(ev, "kind", 8, kind);
    H5Tinsert(ev, "label", 24, label);
    hsize_t zero[1] = {0};
    d = new_dataset(f, "events", ev, 1, zero, H5P_DEFAULT);
    H5Dclose(d);
    H5Tclose(ev);
    H5Tclose(kind);
    H5Tclose(label);
    assert_true(H5Fclose(f) >= 0);
}

/* Streams the whole recording and compares it, block by block, with
 * rm_rec_read_frames. */
static void expect_stream_equals_read(const char *path, int nthreads, bool want_direct)
{
    struct rm_rec_reader *r;
    rm_clear_error();
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        fail_msg("%s", rm_last_error(rc));
    int64_t n = rm_rec_frames(r);
    uint16_t *want = malloc((size_t)n * NSENS * sizeof(uint16_t));
    assert_non_null(want);
    assert_int_equal(rm_rec_read_frames(r, 0, n, want), 0);

    struct rm_frame_stream *s;
    assert_int_equal(rm_frame_stream_open(&s, r, nthreads), 0);
    assert_int_equal(rm_frame_stream_is_direct(s), want_direct);
    const uint16_t *f;
    int64_t start, count, expect_start = 0;
    while ((rc = rm_frame_stream_next(s, &f, &start, &count)) == 0 && count > 0) {
        assert_int_equal(start, expect_start);
        assert_true(start + count <= n);
        assert_memory_equal(f, want + (size_t)start * NSENS,
                            (size_t)count * NSENS * sizeof(uint16_t));
        expect_start += count;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(expect_start, n);
    /* The end stays the end. */
    assert_int_equal(rm_frame_stream_next(s, &f, &start, &count), 0);
    assert_int_equal(count, 0);
    rm_frame_stream_close(s);
    free(want);
    rm_rec_reader_close(r);
}

/* rm_rec_chunk_frames() is the block every reader allocates (the frame
 * stream per slot, calib and plot per read): whatever the chunk shape, it
 * stays within 1 MiB of frames here. A chunk of [4096, 1, 1] is 8 KiB, but
 * 4096 whole frames would be 1.9 MiB (and [2^22, 1, 1] on a 64 x 64 mat
 * 32 GiB: plot died of it). */
static void expect_block_fits(const char *path)
{
    struct rm_rec_reader *r;
    rm_clear_error();
    int rc = rm_rec_reader_open(&r, path);
    if (rc)
        fail_msg("%s", rm_last_error(rc));
    assert_true(rm_rec_chunk_frames(r) >= 1);
    assert_true(rm_rec_chunk_frames(r) * NSENS * 2 <= (1 << 20));
    rm_rec_reader_close(r);
}

static const struct layout layouts[] = {
    {"none", 0, false, false, false, 16, true, false},
    {"shuffle", 0, true, false, false, 16, true, false},
    {"deflate1", 1, false, false, false, 16, true, false},
    {"shuffle-deflate1", 1, true, false, false, 16, true, false},
    {"deflate6", 6, false, false, false, 7, true, false},
    {"shuffle-deflate6", 6, true, false, false, 7, true, false},
    {"fletcher32", 1, true, true, false, 16, false, false},
    {"contiguous", 0, false, false, true, 16, false, false},
    {"sliver", 1, true, false, false, 4096, false, true},
};

static void every_layout_every_thread_count(void **state)
{
    (void)state;
    const int64_t n = 101; /* 101 = 6 * 16 + 5 = 14 * 7 + 3: a short last chunk */
    uint16_t *frames = malloc((size_t)n * NSENS * sizeof(uint16_t));
    assert_non_null(frames);
    make_frames(n, frames);
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.h5", layouts[i].name);
        const char *path = rm_test_path(name);
        write_with_layout(path, &layouts[i], n, frames);
        print_message("layout %s\n", layouts[i].name);
        expect_block_fits(path);
        for (int threads = 0; threads <= 3; threads += threads == 1 ? 2 : 1)
            expect_stream_equals_read(path, threads, layouts[i].want_direct);
    }
    free(frames);
}

static void writer_recordings(void **state)
{
    (void)state;
    /* What the real writer makes: shuffle + deflate 0, 1, 6, default chunk
     * and a short one, including a partial flush. */
    int levels[] = {0, 1, 6};
    for (int li = 0; li < 3; li++) {
        struct rm_rec_meta m;
        memset(&m, 0, sizeof(m));
        m.rows = ROWS;
        m.cols = COLS;
        m.pitch_row_mm = m.pitch_col_mm = 10;
        m.adc_bits = 12;
        m.rate_hz = 100;
        struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
        o.compression = levels[li];
        o.chunk_frames = li == 1 ? 0 : 9;
        struct rm_rec_writer *w;
        char name[32];
        snprintf(name, sizeof(name), "writer%d.h5", levels[li]);
        const char *path = rm_test_path(name);
        assert_int_equal(rm_rec_writer_create(&w, path, &m, NULL, &o), 0);
        uint16_t frames[3 * NSENS];
        for (int i = 0; i < 250; i++) {
            make_frames(1 + i % 3, frames);
            assert_int_equal(rm_rec_writer_append(w, i * 0.01, (uint64_t)i, frames + i % 3), 0);
            if (i == 100)
                assert_int_equal(rm_rec_writer_flush(w), 0);
        }
        assert_int_equal(rm_rec_writer_close(w), 0);
        expect_stream_equals_read(path, 0, true);
        expect_stream_equals_read(path, RM_FRAME_STREAM_AUTO, true);
    }
}

static void damaged_chunk_is_an_error(void **state)
{
    (void)state;
    const int64_t n = 64;
    uint16_t *frames = malloc((size_t)n * NSENS * sizeof(uint16_t));
    assert_non_null(frames);
    make_frames(n, frames);
    const char *path = rm_test_path("damaged.h5");
    struct layout l = {"damaged", 1, true, false, false, 16, true, false};
    write_with_layout(path, &l, n, frames);
    free(frames);

    /* Overwrite the middle of chunk 2's compressed bytes. */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "frames", H5P_DEFAULT);
    hsize_t offset[3] = {32, 0, 0};
    unsigned mask;
    haddr_t addr;
    hsize_t size;
    assert_true(H5Dget_chunk_info_by_coord(d, offset, &mask, &addr, &size) >= 0);
    H5Dclose(d);
    H5Fclose(f);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    char junk[64];
    memset(junk, 0x5a, sizeof(junk));
    assert_int_equal(pwrite(fd, junk, sizeof(junk), (off_t)(addr + size / 2)), sizeof(junk));
    close(fd);

    for (int threads = 0; threads <= 2; threads += 2) {
        struct rm_rec_reader *r;
        assert_int_equal(rm_rec_reader_open(&r, path), 0);
        struct rm_frame_stream *s;
        assert_int_equal(rm_frame_stream_open(&s, r, threads), 0);
        const uint16_t *fr;
        int64_t start, count;
        int rc, blocks = 0;
        rm_clear_error();
        while ((rc = rm_frame_stream_next(s, &fr, &start, &count)) == 0 && count > 0)
            blocks++;
        assert_int_equal(rc, RM_EFORMAT);
        assert_int_equal(blocks, 2); /* chunks 0 and 1 came out intact */
        assert_non_null(strstr(rm_last_error(rc), ":/frames: chunk 2"));
        /* The error is sticky. */
        assert_int_equal(rm_frame_stream_next(s, &fr, &start, &count), RM_EFORMAT);
        rm_frame_stream_close(s);
        rm_rec_reader_close(r);
    }
}

static void closing_early_is_clean(void **state)
{
    (void)state;
    const int64_t n = 200;
    uint16_t *frames = malloc((size_t)n * NSENS * sizeof(uint16_t));
    assert_non_null(frames);
    make_frames(n, frames);
    const char *path = rm_test_path("early.h5");
    struct layout l = {"early", 1, true, false, false, 5, true, false};
    write_with_layout(path, &l, n, frames);
    free(frames);
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    struct rm_frame_stream *s;
    assert_int_equal(rm_frame_stream_open(&s, r, 3), 0);
    const uint16_t *fr;
    int64_t start, count;
    assert_int_equal(rm_frame_stream_next(s, &fr, &start, &count), 0);
    assert_int_equal(count, 5);
    rm_frame_stream_close(s); /* workers blocked on full slots must exit */
    rm_rec_reader_close(r);
}

static void empty_recording_streams_nothing(void **state)
{
    (void)state;
    const char *path = rm_test_path("empty.h5");
    struct layout l = {"empty", 1, true, false, false, 16, true, false};
    write_with_layout(path, &l, 0, NULL);
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    for (int threads = 0; threads <= 2; threads += 2) {
        struct rm_frame_stream *s;
        assert_int_equal(rm_frame_stream_open(&s, r, threads), 0);
        const uint16_t *fr;
        int64_t start = -1, count = -1;
        assert_int_equal(rm_frame_stream_next(s, &fr, &start, &count), 0);
        assert_int_equal(count, 0);
        assert_int_equal(start, 0);
        rm_frame_stream_close(s);
    }
    rm_rec_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_layout_every_thread_count), cmocka_unit_test(writer_recordings),
        cmocka_unit_test(damaged_chunk_is_an_error),       cmocka_unit_test(closing_early_is_clean),
        cmocka_unit_test(empty_recording_streams_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

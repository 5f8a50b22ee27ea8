/* libFuzzer target for OUR validation of a recording's HDF5 attributes (not
 * libhdf5's parser): every input builds a valid recording in memory (core
 * driver, no backing store), then rewrites attributes the reader checks
 * with fuzz-chosen types, shapes and values, and hands the file to
 * rm_rec_reader_open_file. The reader must accept or refuse with RM_EFORMAT
 * and a message; never crash, leak, or read out of bounds.
 *
 * Input: a sequence of operations, each 5 bytes + payload:
 *   target  which attribute (of the 26 the reader reads), modulo
 *   type    0-10 integers and floats of several sizes and byte orders,
 *           11 fixed string, 12 vlen ASCII, 13 vlen UTF-8, 14 delete,
 *           15 opaque
 *   space   0 scalar, 1 [1], 2 [2-5], 3 null
 *   len     payload length
 *   payload the value bytes (repeated or cut to fit) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_reader.h"
#include "rm_calibration.h"
#include "rm_error.h"
#include "rm_h5.h"
#include "rm_recording.h"

#define ROWS    4
#define COLS    3
#define NFRAMES 3

struct target {
    const char *obj;
    const char *name;
};

static const struct target targets[] = {
    {"/", "rollmat_format"},
    {"/", "rollmat_format_version"},
    {"/", "created_utc"},
    {"/", "device_model"},
    {"/", "device_serial"},
    {"/", "device_firmware"},
    {"/", "rows"},
    {"/", "cols"},
    {"/", "pitch_row_mm"},
    {"/", "pitch_col_mm"},
    {"/", "adc_bits"},
    {"/", "rate_hz"},
    {"/", "frames_dropped"},
    {"/", "crc_errors"},
    {"/", "bytes_skipped"},
    {"/", "disconnects"},
    {"/", "complete"},
    {"/frames", "units"},
    {"/t", "units"},
    {"/calibration", "rows"},
    {"/calibration", "cols"},
    {"/calibration", "device_serial"},
    {"/calibration", "created_utc"},
    {"/calibration", "curve"},
    {"/calibration", "curve_a"},
    {"/calibration", "curve_b"},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static hid_t dataset(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims,
                     const void *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t d = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0 && data)
        H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    H5Sclose(space);
    return d;
}

/* A valid recording of NFRAMES frames with one event and a calibration. */
static hid_t base_file(void)
{
    hid_t f = rm_fuzz_core_file("fuzz-recording.h5");
    rm_fuzz_write_root(f, ROWS, COLS, 10, 10, 100, 1);

    uint16_t frames[NFRAMES * ROWS * COLS] = {0};
    double t[NFRAMES] = {0, 0.01, 0.02};
    uint64_t seq[NFRAMES] = {0, 1, 2};
    hsize_t fdims[3] = {NFRAMES, ROWS, COLS}, n[1] = {NFRAMES}, one[1] = {1};
    hid_t d = dataset(f, "frames", H5T_STD_U16LE, 3, fdims, frames);
    rm_h5_write_str(d, "units", "counts");
    H5Dclose(d);
    d = dataset(f, "t", H5T_IEEE_F64LE, 1, n, t);
    rm_h5_write_str(d, "units", "s");
    H5Dclose(d);
    H5Dclose(dataset(f, "seq", H5T_STD_U64LE, 1, n, seq));

    struct {
        double t;
        char kind[16];
        char label[64];
    } ev = {0.5, "mark", "x"};
    hid_t kind = H5Tcopy(H5T_C_S1), label = H5Tcopy(H5T_C_S1);
    H5Tset_size(kind, 16);
    H5Tset_size(label, 64);
    hid_t et = H5Tcreate(H5T_COMPOUND, sizeof(ev));
    H5Tinsert(et, "t", 0, H5T_NATIVE_DOUBLE);
    H5Tinsert(et, "kind", 8, kind);
    H5Tinsert(et, "label", 24, label);
    H5Dclose(dataset(f, "events", et, 1, one, &ev));
    H5Tclose(et);
    H5Tclose(kind);
    H5Tclose(label);

    struct rm_calibration *cal;
    if (rm_calibration_new(&cal, ROWS, COLS) != 0)
        abort();
    hid_t g = H5Gcreate2(f, "calibration", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rm_calibration_h5_write(g, cal);
    H5Gclose(g);
    rm_calibration_free(cal);
    return f;
}

static hid_t make_type(unsigned sel, size_t len)
{
    hid_t t;
    switch (sel) {
    case 0:
        return H5Tcopy(H5T_NATIVE_INT8);
    case 1:
        return H5Tcopy(H5T_NATIVE_UINT8);
    case 2:
        return H5Tcopy(H5T_STD_I16BE);
    case 3:
        return H5Tcopy(H5T_NATIVE_UINT16);
    case 4:
        return H5Tcopy(H5T_NATIVE_INT32);
    case 5:
        return H5Tcopy(H5T_STD_U32BE);
    case 6:
        return H5Tcopy(H5T_NATIVE_INT64);
    case 7:
        return H5Tcopy(H5T_NATIVE_UINT64);
    case 8:
        return H5Tcopy(H5T_NATIVE_FLOAT);
    case 9:
        return H5Tcopy(H5T_NATIVE_DOUBLE);
    case 10:
        return H5Tcopy(H5T_IEEE_F64BE);
    case 11:
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, len ? len : 1);
        H5Tset_strpad(t, (H5T_str_t)(len % 3));
        return t;
    case 12:
    case 13:
        t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, sel == 13 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
        return t;
    default:
        return H5Tcreate(H5T_OPAQUE, 4);
    }
}

/* Replaces one attribute as the operation says; returns bytes consumed. */
static size_t apply(hid_t f, const uint8_t *p, size_t n)
{
    if (n < 4)
        return n;
    const struct target *tg = &targets[p[0] % NTARGETS];
    unsigned type_sel = p[1] % 16, space_sel = p[2] % 4;
    size_t len = p[3];
    const uint8_t *payload = p + 4;
    if (len > n - 4)
        len = n - 4;
    size_t used = 4 + len;

    hid_t obj = H5Oopen(f, tg->obj, H5P_DEFAULT);
    if (obj < 0)
        return used;
    if (H5Aexists(obj, tg->name) > 0)
        H5Adelete(obj, tg->name);
    if (type_sel == 14) {
        H5Oclose(obj);
        return used;
    }
    hsize_t count = space_sel == 2 ? 2 + (p[2] >> 2) % 4 : 1;
    hid_t space = space_sel == 0   ? H5Screate(H5S_SCALAR)
                  : space_sel == 3 ? H5Screate(H5S_NULL)
                                   : H5Screate_simple(1, &count, NULL);
    hid_t type = make_type(type_sel, len);
    bool vlen = type_sel == 12 || type_sel == 13;
    size_t elem = vlen ? sizeof(char *) : H5Tget_size(type);
    uint8_t *buf = calloc((size_t)count, elem); /* freed below */
    char *text = NULL;
    if (buf && vlen) {
        text = calloc(1, len + 1); /* a C string of the payload; freed below */
        if (text) {
            memcpy(text, payload, len);
            for (hsize_t i = 0; i < count; i++)
                memcpy(buf + i * sizeof(char *), &text, sizeof(char *));
        }
    } else if (buf && len) {
        for (size_t i = 0; i < (size_t)count * elem; i++)
            buf[i] = payload[i % len];
    }
    hid_t attr = H5Acreate2(obj, tg->name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0 && buf && (!vlen || text) && space_sel != 3)
        H5Awrite(attr, type, buf);
    if (attr >= 0)
        H5Aclose(attr);
    free(text);
    free(buf);
    H5Tclose(type);
    H5Sclose(space);
    H5Oclose(obj);
    return used;
}

static void consume(struct rm_rec_reader *r)
{
    int64_t s = rm_rec_frames(r) + (int64_t)rm_rec_nevents(r) + rm_rec_meta(r)->rows +
                rm_rec_counters(r)->frames_dropped + (rm_rec_complete(r) ? 1 : 0);
    const struct rm_calibration *cal = rm_rec_calibration(r);
    if (cal)
        s += (int64_t)cal->curve + cal->rows + (int64_t)strlen(cal->created_utc);
    s += (int64_t)strlen(rm_rec_meta(r)->device_model);
    uint16_t frame[ROWS * COLS];
    if (rm_rec_frames(r) > 0 && rm_rec_meta(r)->rows * rm_rec_meta(r)->cols == ROWS * COLS &&
        rm_rec_read_frames(r, 0, 1, frame) == 0)
        s += frame[0];
    rm_fuzz_sink = s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rm_fuzz_require_valid(base_file());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rm_h5_quiet();
    hid_t f = base_file();
    for (size_t off = 0; off < size;)
        off += apply(f, data + off, size - off);
    rm_fuzz_read(f, consume);
    return 0;
}

/* libFuzzer target for OUR validation of a recording's datasets (issue 12:
 * "attributes and datasets"): the input bytes drive a small generator of
 * recordings in memory (HDF5 core driver, no backing store) that chooses
 * the shape, type, layout and filters of /frames, /t and /seq, the values
 * of /t (NaN, infinities, 1e300, repeats, steps), the compound layout and
 * times of /events, the grids and curve table of /calibration, and the
 * range attributes (rate, pitch, grid). The reader must accept the file
 * and then read every block it offers without fault, or refuse it with
 * RM_EFORMAT and a "fuzz.h5:..." message; never crash, leak, hang or read
 * out of bounds.
 *
 * Exhausted input reads as zeros, and zero always picks the valid choice,
 * so the empty input is a valid recording and every mutation is one
 * departure from it. fuzz_recording_attrs covers the attributes' types and
 * shapes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_reader.h"
#include "rm_calibration.h"
#include "rm_error.h"
#include "rm_h5.h"
#include "rm_recording.h"

struct bytes {
    const uint8_t *p;
    size_t n;
};

static unsigned take(struct bytes *b, unsigned modulo)
{
    if (b->n == 0 || modulo == 0)
        return 0;
    b->n--;
    return *b->p++ % modulo;
}

/* A time value: mostly a regular step, sometimes a hostile one. */
static double pick_time(struct bytes *b, int i)
{
    static const double odd[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, 1e7, -0.0, 5e-324};
    unsigned sel = take(b, 12);
    if (sel == 0)
        return 0.01 * i;
    if (sel <= 8)
        return odd[sel - 1];
    if (sel == 9)
        return 0.01 * (i - 1); /* a repeat of the one before */
    return 0.01 * i + take(b, 256) * 1e-3;
}

static hid_t pick_int_type(struct bytes *b)
{
    switch (take(b, 6)) {
    case 0:
        return H5T_STD_U16LE;
    case 1:
        return H5T_STD_U16BE;
    case 2:
        return H5T_STD_I16LE;
    case 3:
        return H5T_STD_U8LE;
    case 4:
        return H5T_IEEE_F32LE;
    default:
        return H5T_STD_U64LE;
    }
}

/* A dataset of `rank` dims with elements from the bytes (or zeros),
 * chunked and compressed when the bytes say so. */
static void put_dataset(hid_t loc, const char *name, hid_t type, int rank, const hsize_t *dims,
                        const void *data, struct bytes *b)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    unsigned layout = take(b, 4);
    hsize_t chunk[4];
    bool nonempty = true;
    for (int i = 0; i < rank; i++)
        nonempty = nonempty && dims[i] > 0;
    if (layout && nonempty) {
        for (int i = 0; i < rank; i++)
            chunk[i] = layout == 1 ? dims[i] : 1 + take(b, (unsigned)dims[i]);
        H5Pset_chunk(dcpl, rank, chunk);
        if (layout == 3) {
            H5Pset_shuffle(dcpl);
            H5Pset_deflate(dcpl, 1);
        }
    }
    hid_t d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d >= 0 && data)
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
}

static void put_units(hid_t loc, const char *name, const char *units)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d >= 0) {
        rm_h5_write_str(d, "units", units);
        H5Dclose(d);
    }
}

/* Whole-array values as doubles, converted by HDF5 to the file type. */
static double *values(size_t n, struct bytes *b, int kind)
{
    double *v = calloc(n ? n : 1, sizeof(*v)); /* freed by the caller */
    if (!v)
        abort();
    for (size_t i = 0; i < n; i++)
        v[i] = kind == 0 ? pick_time(b, (int)i) : kind == 1 ? (double)i : take(b, 256) * 16.0;
    return v;
}

static void root_attributes(hid_t f, struct bytes *b, int rows, int cols)
{
    static const double rates[] = {100, 1e308, 1e-300, 1e6, 0.05, 10000};
    static const double pitches[] = {10, 1e300, 1e-300, 0.001, 1000, 5e-3};
    double pitch_row = pitches[take(b, 6)], pitch_col = pitches[take(b, 6)];
    double rate = rates[take(b, 6)];
    rm_fuzz_write_root(f, rows, cols, pitch_row, pitch_col, rate, (int)(1 - take(b, 2)));
}

static void put_frames(hid_t f, struct bytes *b, int rows, int cols, hsize_t n)
{
    unsigned shape = take(b, 6);
    hsize_t dims[4] = {n, (hsize_t)rows, (hsize_t)cols, 1};
    int rank = shape == 1 ? 2 : shape == 2 ? 4 : 3;
    if (shape == 3)
        dims[1] += 1 + take(b, 3); /* grid disagrees with the attributes */
    if (shape == 4)
        dims[0] = n + 1 + take(b, 3); /* longer than /t */
    size_t total = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2];
    double *v = values(total, b, 2);
    put_dataset(f, "frames", shape == 5 ? pick_int_type(b) : H5T_STD_U16LE, rank, dims, v, b);
    free(v);
    put_units(f, "frames", take(b, 8) == 7 ? "kPa" : "counts");
}

static void put_clock(hid_t f, struct bytes *b, hsize_t n)
{
    hsize_t tn = n + (take(b, 8) == 7 ? 1 : 0);
    double *t = values((size_t)tn, b, 0);
    unsigned ttype = take(b, 8);
    put_dataset(f, "t",
                ttype == 7   ? H5T_IEEE_F32LE
                : ttype == 6 ? H5T_STD_I64LE
                             : H5T_IEEE_F64LE,
                1, &tn, t, b);
    free(t);
    put_units(f, "t", "s");
    hsize_t sn = n + (take(b, 8) == 7 ? 2 : 0);
    double *s = values((size_t)sn, b, 1);
    put_dataset(f, "seq", take(b, 8) == 7 ? H5T_STD_I32LE : H5T_STD_U64LE, 1, &sn, s, b);
    free(s);
}

/* /events as a compound {t, kind, label} whose members the bytes vary. */
static void put_events(hid_t f, struct bytes *b)
{
    unsigned layout = take(b, 8);
    hsize_t n = take(b, 5);
    if (layout == 7) {
        double *v = values((size_t)n, b, 0);
        put_dataset(f, "events", H5T_IEEE_F64LE, 1, &n, v, b);
        free(v);
        return;
    }
    bool vkind = layout & 1, vlabel = layout & 2, int_t = layout == 4;
    size_t klen = 1 + take(b, 24), llen = 1 + take(b, 80);
    hid_t kt = H5Tcopy(H5T_C_S1), lt = H5Tcopy(H5T_C_S1);
    H5Tset_size(kt, vkind ? H5T_VARIABLE : klen);
    H5Tset_size(lt, vlabel ? H5T_VARIABLE : llen);
    size_t koff = 8, kmem = vkind ? sizeof(char *) : klen;
    size_t loff = koff + kmem, lmem = vlabel ? sizeof(char *) : llen;
    size_t size = loff + lmem;
    hid_t et = H5Tcreate(H5T_COMPOUND, size);
    H5Tinsert(et, "t", 0, int_t ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE);
    H5Tinsert(et, layout == 6 ? "kinds" : "kind", koff, kt);
    H5Tinsert(et, "label", loff, lt);
    uint8_t *buf = calloc((size_t)n ? (size_t)n : 1, size); /* freed below */
    static char kind_text[] = "segment_start", label_text[] = "calf-left";
    if (!buf)
        abort();
    for (hsize_t i = 0; i < n; i++) {
        uint8_t *e = buf + i * size;
        if (int_t) {
            int64_t ti = (int64_t)take(b, 256) - 128;
            memcpy(e, &ti, sizeof(ti));
        } else {
            double t = pick_time(b, (int)i);
            memcpy(e, &t, sizeof(t));
        }
        char *k = kind_text, *l = label_text;
        if (vkind)
            memcpy(e + koff, &k, sizeof(k));
        else
            memset(e + koff, 'k', klen - (take(b, 2) ? 1 : 0)); /* NUL-ended or not */
        if (vlabel)
            memcpy(e + loff, &l, sizeof(l));
        else
            memset(e + loff, 'l', llen - (take(b, 2) ? 1 : 0));
    }
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(f, "events", et, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (d >= 0 && n > 0)
        H5Dwrite(d, et, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(space);
    free(buf);
    H5Tclose(et);
    H5Tclose(kt);
    H5Tclose(lt);
}

/* A valid calibration group, then one of its datasets replaced. */
static void put_calibration(hid_t f, struct bytes *b, int rows, int cols)
{
    unsigned which = take(b, 6);
    if (which == 5)
        return; /* none: allowed */
    struct rm_calibration *cal;
    if (rm_calibration_new(&cal, rows, cols) != 0)
        abort();
    hid_t g = H5Gcreate2(f, "calibration", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rm_calibration_h5_write(g, cal);
    rm_calibration_free(cal);
    if (which >= 1 && which <= 3) {
        static const char *const names[] = {"offset", "gain", "dead"};
        const char *name = names[which - 1];
        H5Ldelete(g, name, H5P_DEFAULT);
        hsize_t dims[2] = {(hsize_t)rows + take(b, 2), (hsize_t)cols};
        double *v = values((size_t)dims[0] * (size_t)dims[1], b, 0);
        put_dataset(g, name, take(b, 2) ? H5T_IEEE_F32LE : H5T_STD_U8LE, 2, dims, v, b);
        free(v);
    } else if (which == 4) {
        H5Adelete(g, "curve");
        rm_h5_write_str(g, "curve", "table");
        hsize_t dims[2] = {take(b, 6), 2 + take(b, 2)};
        double *v = values((size_t)dims[0] * (size_t)dims[1], b, 0);
        put_dataset(g, "curve_table", H5T_IEEE_F64LE, 2, dims, v, b);
        free(v);
    }
    H5Gclose(g);
}

static hid_t generate(struct bytes *b)
{
    hid_t f = rm_fuzz_core_file("fuzz-recording-data.h5");
    int rows = 1 + (int)take(b, 5), cols = 1 + (int)take(b, 5);
    hsize_t n = 3 + take(b, 10);
    root_attributes(f, b, rows, cols);
    put_frames(f, b, rows, cols, n);
    put_clock(f, b, n);
    put_events(f, b);
    put_calibration(f, b, rows, cols);
    return f;
}

/* Reads everything the reader offers, in the blocks a caller would use. */
static void consume(struct rm_rec_reader *r)
{
    const struct rm_rec_meta *m = rm_rec_meta(r);
    int64_t n = rm_rec_frames(r), block = rm_rec_chunk_frames(r);
    size_t frame = (size_t)m->rows * (size_t)m->cols;
    if (block < 1 || n < 0)
        abort();
    uint16_t *fbuf = malloc((size_t)block * frame * sizeof(*fbuf)); /* freed below */
    double *tbuf = malloc((size_t)block * sizeof(*tbuf));
    uint64_t *sbuf = malloc((size_t)block * sizeof(*sbuf));
    int64_t sum = 0;
    for (int64_t start = 0; fbuf && tbuf && sbuf && start < n; start += block) {
        int64_t k = n - start < block ? n - start : block;
        if (rm_rec_read_frames(r, start, k, fbuf) == 0)
            sum += fbuf[(size_t)(k - 1) * frame];
        if (rm_rec_read_t(r, start, k, tbuf) == 0 && !(tbuf[k - 1] == tbuf[k - 1]))
            abort(); /* validated /t holds no NaN */
        if (rm_rec_read_seq(r, start, k, sbuf) == 0)
            sum += (int64_t)sbuf[0];
    }
    free(fbuf);
    free(tbuf);
    free(sbuf);
    const struct rm_event *ev = rm_rec_events(r);
    for (size_t i = 0; i < rm_rec_nevents(r); i++) {
        if (!isfinite(ev[i].t) || (i > 0 && ev[i].t < ev[i - 1].t))
            abort(); /* events come finite and sorted */
        sum += (int64_t)strlen(ev[i].kind) + (int64_t)strlen(ev[i].label);
    }
    if (!(m->rate_hz > 0 && m->rate_hz <= 1e4) || !(m->pitch_row_mm > 0))
        abort(); /* ranges hold for whatever was accepted */
    rm_fuzz_sink = sum;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* Zero picks every valid choice: the empty input is a valid recording. */
    struct bytes none = {NULL, 0};
    rm_fuzz_require_valid(generate(&none));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rm_h5_quiet();
    struct bytes b = {data, size};
    rm_fuzz_read(generate(&b), consume);
    return 0;
}

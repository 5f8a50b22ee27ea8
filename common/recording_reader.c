/* The recording reader: validates a file against
 * shared/spec/recording-format.md before handing anything out, then reads
 * frames, /t and /seq in caller-sized blocks. Memory does not grow with the
 * recording's length: /t is checked in blocks and never kept.
 *
 * A reader is used by one thread at a time; batch analysis opens one reader
 * per file. */
#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_h5.h"
#include "rm_limits.h"
#include "rm_log.h"
#include "rm_recording.h"
#include "rm_text.h"

#define LOG_PREFIX "recording"

/* /t is checked this many values at a time (512 KiB). */
#define T_BLOCK 65536
/* More events than this is not a rolling session. */
#define MAX_EVENTS 1000000

struct rm_rec_reader {
    char *path;
    hid_t file, frames, t, seq;
    bool swmr; /* opened with SWMR read: the writer never closed it */
    bool complete;
    struct rm_rec_meta meta;
    struct rm_rec_counters counters;
    int64_t nframes, chunk_frames;
    struct rm_event *events; /* nevents, sorted by t, owned */
    size_t nevents;
    struct rm_calibration *cal; /* owned, NULL without /calibration */
};

static int read_meta(struct rm_rec_reader *r)
{
    const char *p = r->path;
    hid_t f = r->file;
    struct rm_rec_meta *m = &r->meta;
    char format[32];
    int version;
    int rc = rm_h5_read_str(f, p, "/", "rollmat_format", format, sizeof(format));
    if (rc == RM_EFORMAT && H5Aexists(f, "rollmat_format") <= 0)
        return rm_fail(RM_EFORMAT, "%s:/: no rollmat_format attribute: not a rollmat recording", p);
    if (rc)
        return rc;
    if (strcmp(format, "calibration") == 0)
        return rm_fail(RM_EFORMAT, "%s:/: is a calibration file, not a recording", p);
    if (strcmp(format, "recording") != 0)
        return rm_fail(RM_EFORMAT, "%s:/: rollmat_format is \"%s\", not \"recording\"", p, format);
    rc = rm_h5_read_int(f, p, "/", "rollmat_format_version", INT32_MIN, INT32_MAX, &version);
    if (rc)
        return rc;
    if (version != RM_RECORDING_FORMAT_VERSION)
        return rm_fail(RM_EFORMAT,
                       "%s:/: rollmat_format_version is %d; this rollmat reads version %d", p,
                       version, RM_RECORDING_FORMAT_VERSION);
    rc = rm_h5_read_str(f, p, "/", "created_utc", m->created_utc, sizeof(m->created_utc));
    rc = rc ? rc
            : rm_h5_read_str(f, p, "/", "device_model", m->device_model, sizeof(m->device_model));
    rc =
        rc ? rc
           : rm_h5_read_str(f, p, "/", "device_serial", m->device_serial, sizeof(m->device_serial));
    rc = rc ? rc
            : rm_h5_read_str(f, p, "/", "device_firmware", m->device_firmware,
                             sizeof(m->device_firmware));
    if (rc == 0) {
        /* Another writer's bytes: cleaned where they enter (rm_text.h). */
        rm_text_clean(m->created_utc, sizeof(m->created_utc));
        rm_text_clean(m->device_model, sizeof(m->device_model));
        rm_text_clean(m->device_serial, sizeof(m->device_serial));
        rm_text_clean(m->device_firmware, sizeof(m->device_firmware));
    }
    rc = rc ? rc : rm_h5_read_int(f, p, "/", "rows", 1, 4096, &m->rows);
    rc = rc ? rc : rm_h5_read_int(f, p, "/", "cols", 1, 4096, &m->cols);
    rc = rc ? rc : rm_h5_read_double(f, p, "/", "pitch_row_mm", &m->pitch_row_mm);
    rc = rc ? rc : rm_h5_read_double(f, p, "/", "pitch_col_mm", &m->pitch_col_mm);
    rc = rc ? rc : rm_h5_read_int(f, p, "/", "adc_bits", 1, 16, &m->adc_bits);
    rc = rc ? rc : rm_h5_read_double(f, p, "/", "rate_hz", &m->rate_hz);
    if (rc)
        return rc;
    char where[4096];
    snprintf(where, sizeof(where), "%s:/", p);
    rc = rm_rec_meta_check(m, where);
    if (rc)
        return rc;

    struct rm_rec_counters *c = &r->counters;
    rc = rm_h5_read_i64(f, p, "/", "frames_dropped", 0, INT64_MAX, &c->frames_dropped);
    rc = rc ? rc : rm_h5_read_i64(f, p, "/", "crc_errors", 0, INT64_MAX, &c->crc_errors);
    rc = rc ? rc : rm_h5_read_i64(f, p, "/", "bytes_skipped", 0, INT64_MAX, &c->bytes_skipped);
    rc = rc ? rc : rm_h5_read_i64(f, p, "/", "disconnects", 0, INT64_MAX, &c->disconnects);
    if (rc)
        return rc;

    /* `complete` is rollmat's own mark (docs/recording.md); a file from
     * another writer that lacks it counts as complete once it opens without
     * SWMR, i.e. its writer closed it. */
    r->complete = !r->swmr;
    if (H5Aexists(f, "complete") > 0) {
        int complete;
        rc = rm_h5_read_int(f, p, "/", "complete", 0, 1, &complete);
        if (rc)
            return rc;
        r->complete = r->complete && complete == 1;
    }
    return 0;
}

static int check_units(hid_t d, const char *p, const char *obj, const char *want)
{
    char units[32];
    int rc = rm_h5_read_str(d, p, obj, "units", units, sizeof(units));
    if (rc)
        return rc;
    if (strcmp(units, want) != 0)
        return rm_fail(RM_EFORMAT, "%s:%s: units are \"%s\", expected \"%s\"", p, obj, units, want);
    return 0;
}

static int open_datasets(struct rm_rec_reader *r)
{
    const char *p = r->path;
    hsize_t fd[3], td[1], sd[1];
    int rc = rm_h5_open_dataset(r->file, p, "frames", "/frames", &r->frames);
    rc =
        rc ? rc : rm_h5_check_type(r->frames, p, "/frames", H5T_INTEGER, 2, H5T_SGN_NONE, "uint16");
    rc = rc ? rc : rm_h5_dims(r->frames, p, "/frames", 3, fd, 3);
    rc = rc ? rc : check_units(r->frames, p, "/frames", "counts");
    rc = rc ? rc : rm_h5_open_dataset(r->file, p, "t", "/t", &r->t);
    rc = rc ? rc : rm_h5_check_type(r->t, p, "/t", H5T_FLOAT, 8, -1, "float64");
    rc = rc ? rc : rm_h5_dims(r->t, p, "/t", 1, td, 1);
    rc = rc ? rc : check_units(r->t, p, "/t", "s");
    rc = rc ? rc : rm_h5_open_dataset(r->file, p, "seq", "/seq", &r->seq);
    rc = rc ? rc : rm_h5_check_type(r->seq, p, "/seq", H5T_INTEGER, 8, H5T_SGN_NONE, "uint64");
    rc = rc ? rc : rm_h5_dims(r->seq, p, "/seq", 1, sd, 1);
    if (rc)
        return rc;
    if (fd[1] != (hsize_t)r->meta.rows || fd[2] != (hsize_t)r->meta.cols)
        return rm_fail(RM_EFORMAT,
                       "%s:/frames: frames are %llu x %llu, attributes rows x cols "
                       "say %d x %d",
                       p, (unsigned long long)fd[1], (unsigned long long)fd[2], r->meta.rows,
                       r->meta.cols);
    if (fd[0] != td[0] || td[0] != sd[0]) {
        /* A SWMR writer extends /frames, /seq and /t one after the other; a
         * killed one may leave them a chunk apart, also once
         * `h5clear --increment` has made the file plain again. In a file
         * that is not complete, use what all three hold. */
        if (r->complete)
            return rm_fail(RM_EFORMAT, "%s:/t: %llu values, /frames has %llu and /seq %llu", p,
                           (unsigned long long)td[0], (unsigned long long)fd[0],
                           (unsigned long long)sd[0]);
        hsize_t n = fd[0] < td[0] ? fd[0] : td[0];
        n = n < sd[0] ? n : sd[0];
        rm_warn("%s: incomplete recording: /frames, /t, /seq hold %llu, %llu, %llu; reading "
                "the first %llu",
                p, (unsigned long long)fd[0], (unsigned long long)td[0], (unsigned long long)sd[0],
                (unsigned long long)n);
        fd[0] = n;
    }
    if (fd[0] > (hsize_t)INT64_MAX)
        return rm_fail(RM_EFORMAT, "%s:/frames: %llu frames", p, (unsigned long long)fd[0]);
    r->nframes = (int64_t)fd[0];

    hid_t dcpl = H5Dget_create_plist(r->frames);
    hsize_t cd[3];
    size_t frame_bytes = (size_t)r->meta.rows * (size_t)r->meta.cols * 2;
    r->chunk_frames = (int64_t)((1u << 20) / frame_bytes);
    /* Callers allocate chunk_frames whole frames: a chunk that covers only
     * part of each frame (h5py allows [N, 1, 1]) may be short in bytes but
     * long in frames, so it sets the block only up to the 1 MiB default. */
    if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED && H5Pget_chunk(dcpl, 3, cd) == 3) {
        bool whole_frames = cd[1] == fd[1] && cd[2] == fd[2];
        if (whole_frames || cd[0] < (hsize_t)r->chunk_frames)
            r->chunk_frames = (int64_t)cd[0];
    }
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (r->chunk_frames < 1)
        r->chunk_frames = 1;
    return 0;
}

/* Streams /t in blocks: finite and strictly increasing. */
static int check_t(struct rm_rec_reader *r)
{
    double *block = malloc(T_BLOCK * sizeof(double)); /* freed below */
    if (!block)
        return RM_ENOMEM;
    int rc = 0;
    double prev = -INFINITY;
    for (int64_t start = 0; start < r->nframes && !rc; start += T_BLOCK) {
        int64_t n = r->nframes - start < T_BLOCK ? r->nframes - start : T_BLOCK;
        rc = rm_rec_read_t(r, start, n, block);
        for (int64_t i = 0; i < n && !rc; i++) {
            if (!isfinite(block[i]))
                rc = rm_fail(RM_EFORMAT, "%s:/t: value %lld is not finite", r->path,
                             (long long)(start + i));
            else if (!rm_time_ok(block[i]))
                rc = rm_fail(RM_EFORMAT, "%s:/t: value %lld (%g s) is outside +-%g s", r->path,
                             (long long)(start + i), block[i], RM_TIME_S_MAX);
            else if (!(block[i] > prev))
                rc = rm_fail(RM_EFORMAT,
                             "%s:/t: not strictly increasing at index %lld (%.9g after %.9g)",
                             r->path, (long long)(start + i), block[i], prev);
            prev = block[i];
        }
    }
    free(block);
    return rc;
}

/* One /events element in memory: fixed strings land in the arrays, variable
 * length ones in the pointers; the compound memory type uses whichever the
 * file has. */
struct event_mem {
    double t;
    char kind[RM_EVENT_KIND_LEN + 1];
    char label[RM_EVENT_LABEL_LEN + 1];
    char *kind_v, *label_v;
};

static int string_member(hid_t ftype, const char *p, const char *name, hid_t *mtype, bool *vlen)
{
    int idx = H5Tget_member_index(ftype, name);
    if (idx < 0)
        return rm_fail(RM_EFORMAT, "%s:/events: no field \"%s\"", p, name);
    hid_t mt = H5Tget_member_type(ftype, (unsigned)idx);
    bool ok = mt >= 0 && H5Tget_class(mt) == H5T_STRING;
    *vlen = ok && H5Tis_variable_str(mt) > 0;
    /* HDF5 converts between fixed strings only within one character set:
     * h5py writes str into a fixed field as UTF-8, the C default is ASCII. */
    H5T_cset_t cset = ok ? H5Tget_cset(mt) : H5T_CSET_ERROR;
    if (mt >= 0)
        H5Tclose(mt);
    if (!ok || cset == H5T_CSET_ERROR)
        return rm_fail(RM_EFORMAT, "%s:/events: field \"%s\" is not a string", p, name);
    *mtype = H5Tcopy(H5T_C_S1);
    H5Tset_size(*mtype, *vlen ? H5T_VARIABLE
                              : (strcmp(name, "kind") == 0 ? RM_EVENT_KIND_LEN + 1
                                                           : RM_EVENT_LABEL_LEN + 1));
    H5Tset_strpad(*mtype, H5T_STR_NULLTERM);
    H5Tset_cset(*mtype, cset);
    return 0;
}

static int build_event_memtype(hid_t dset, const char *p, hid_t *out)
{
    *out = -1;
    hid_t ftype = H5Dget_type(dset);
    if (ftype < 0 || H5Tget_class(ftype) != H5T_COMPOUND) {
        if (ftype >= 0)
            H5Tclose(ftype);
        return rm_fail(RM_EFORMAT, "%s:/events: type is not a compound {t, kind, label}", p);
    }
    int rc = 0;
    int ti = H5Tget_member_index(ftype, "t");
    if (ti < 0 || H5Tget_member_class(ftype, (unsigned)ti) != H5T_FLOAT)
        rc = rm_fail(RM_EFORMAT, "%s:/events: no float field \"t\"", p);
    hid_t kt = -1, lt = -1;
    bool kv = false, lv = false;
    rc = rc ? rc : string_member(ftype, p, "kind", &kt, &kv);
    rc = rc ? rc : string_member(ftype, p, "label", &lt, &lv);
    H5Tclose(ftype);
    if (!rc) {
        hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(struct event_mem));
        H5Tinsert(mem, "t", offsetof(struct event_mem, t), H5T_NATIVE_DOUBLE);
        H5Tinsert(mem, "kind",
                  kv ? offsetof(struct event_mem, kind_v) : offsetof(struct event_mem, kind), kt);
        H5Tinsert(mem, "label",
                  lv ? offsetof(struct event_mem, label_v) : offsetof(struct event_mem, label), lt);
        *out = mem;
    }
    if (kt >= 0)
        H5Tclose(kt);
    if (lt >= 0)
        H5Tclose(lt);
    return rc;
}

static void copy_field(char *dst, size_t size, const char *fixed, const char *vlen, bool use_vlen)
{
    const char *src = use_vlen ? (vlen ? vlen : "") : fixed;
    snprintf(dst, size, "%s", src);
}

struct event_key {
    double t;
    size_t index;
};

static int cmp_event_key(const void *a, const void *b)
{
    const struct event_key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The writer stores events in the order they were added, which is time
 * order in practice; another writer may not. Users get them sorted by t,
 * ties in stored order. */
static int sort_events(struct rm_rec_reader *r)
{
    size_t n = r->nevents;
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = r->events[i].t >= r->events[i - 1].t;
    if (sorted)
        return 0;
    struct event_key *keys = malloc(n * sizeof(*keys)); /* freed below */
    struct rm_event *out = malloc(n * sizeof(*out));    /* replaces r->events */
    if (!keys || !out) {
        free(keys);
        free(out);
        return RM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = (struct event_key){r->events[i].t, i};
    qsort(keys, n, sizeof(*keys), cmp_event_key);
    for (size_t i = 0; i < n; i++)
        out[i] = r->events[keys[i].index];
    free(keys);
    free(r->events);
    r->events = out;
    return 0;
}

static int read_events(struct rm_rec_reader *r)
{
    const char *p = r->path;
    hid_t d, mtype = -1, space = -1;
    hsize_t n;
    int rc = rm_h5_open_dataset(r->file, p, "events", "/events", &d);
    rc = rc ? rc : rm_h5_dims(d, p, "/events", 1, &n, 1);
    rc = rc ? rc : build_event_memtype(d, p, &mtype);
    if (!rc && n > MAX_EVENTS)
        rc = rm_fail(RM_EFORMAT, "%s:/events: %llu events, at most %d", p, (unsigned long long)n,
                     MAX_EVENTS);
    struct event_mem *buf = NULL;
    if (!rc && n > 0) {
        buf = calloc((size_t)n, sizeof(*buf));             /* freed below */
        r->events = calloc((size_t)n, sizeof(*r->events)); /* owned by r */
        space = H5Dget_space(d);
        if (!buf || !r->events)
            rc = RM_ENOMEM;
        else if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            rc = rm_fail(RM_EFORMAT, "%s:/events: cannot be read", p);
    }
    if (!rc) {
        int kidx = H5Tget_member_index(mtype, "kind"), lidx = H5Tget_member_index(mtype, "label");
        bool kv = n > 0 &&
                  H5Tget_member_offset(mtype, (unsigned)kidx) == offsetof(struct event_mem, kind_v);
        bool lv = n > 0 && H5Tget_member_offset(mtype, (unsigned)lidx) ==
                               offsetof(struct event_mem, label_v);
        for (hsize_t i = 0; i < n && !rc; i++) {
            struct rm_event *e = &r->events[i];
            e->t = buf[i].t;
            copy_field(e->kind, sizeof(e->kind), buf[i].kind, buf[i].kind_v, kv);
            copy_field(e->label, sizeof(e->label), buf[i].label, buf[i].label_v, lv);
            rm_text_clean(e->kind, sizeof(e->kind));
            rm_text_clean(e->label, sizeof(e->label));
            if (!rm_time_ok(e->t))
                rc = rm_fail(RM_EFORMAT, "%s:/events: time of event %llu (%g s) is outside +-%g s",
                             p, (unsigned long long)i, e->t, RM_TIME_S_MAX);
        }
        r->nevents = (size_t)n;
        if (buf && space >= 0)
            H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, buf);
    }
    free(buf);
    if (space >= 0)
        H5Sclose(space);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (d >= 0)
        H5Dclose(d);
    return rc;
}

static int read_calibration(struct rm_rec_reader *r)
{
    const char *p = r->path;
    if (!rm_h5_has_link(r->file, "calibration"))
        return 0;
    H5O_info_t info;
    if (H5Oget_info_by_name2(r->file, "calibration", &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        info.type != H5O_TYPE_GROUP)
        return rm_fail(RM_EFORMAT, "%s:/calibration: is not a group", p);
    hid_t g = H5Gopen2(r->file, "calibration", H5P_DEFAULT);
    if (g < 0)
        return rm_fail(RM_EFORMAT, "%s:/calibration: cannot be opened", p);
    int rc = rm_calibration_h5_read(g, p, "/calibration", &r->cal);
    H5Gclose(g);
    if (rc)
        return rc;
    if (r->cal->rows != r->meta.rows || r->cal->cols != r->meta.cols)
        return rm_fail(RM_EFORMAT, "%s:/calibration: calibration is %d x %d, the recording %d x %d",
                       p, r->cal->rows, r->cal->cols, r->meta.rows, r->meta.cols);
    return 0;
}

static int reader_new(struct rm_rec_reader **out, const char *path)
{
    struct rm_rec_reader *r = calloc(1, sizeof(*r)); /* owned by the caller until close */
    if (!r)
        return RM_ENOMEM;
    r->file = r->frames = r->t = r->seq = -1;
    r->path = strdup(path);
    if (!r->path) {
        free(r);
        return RM_ENOMEM;
    }
    *out = r;
    return 0;
}

/* Everything after opening the file; closes r on failure. */
static int validate(struct rm_rec_reader **out, struct rm_rec_reader *r)
{
    /* Metadata reads run under a deadline (HDF5 can loop on a damaged
     * heap); /t, bulk data of any length, does not. */
    struct rm_h5_watchdog w;
    rm_h5_watchdog_arm(&w, r->path);
    int rc = read_meta(r);
    rc = rc ? rc : open_datasets(r);
    rm_h5_watchdog_disarm(&w);
    rc = rc ? rc : check_t(r);
    rm_h5_watchdog_arm(&w, r->path);
    rc = rc ? rc : read_events(r);
    rc = rc ? rc : sort_events(r);
    rc = rc ? rc : read_calibration(r);
    rm_h5_watchdog_disarm(&w);
    if (rc) {
        rm_rec_reader_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int rm_rec_reader_open(struct rm_rec_reader **out, const char *path)
{
    *out = NULL;
    rm_h5_quiet();
    struct rm_rec_reader *r;
    int rc = reader_new(&r, path);
    if (rc)
        return rc;
    struct rm_h5_watchdog w;
    rm_h5_watchdog_arm(&w, path);
    rc = rm_h5_open_file(path, true, &r->file, &r->swmr);
    rm_h5_watchdog_disarm(&w);
    if (rc) {
        rm_rec_reader_close(r);
        return rc;
    }
    rc = validate(out, r);
    if (rc == 0 && r->swmr)
        rm_warn("%s: never closed by its writer (killed, or still recording); reading the %lld "
                "frames up to its last flush. Once no writer runs, `h5clear -s --increment %s` "
                "makes it a plain HDF5 file again (never plain `h5clear -s`: it destroys data)",
                path, (long long)r->nframes, path);
    return rc;
}

int rm_rec_reader_open_file(struct rm_rec_reader **out, hid_t file, const char *name)
{
    *out = NULL;
    rm_h5_quiet();
    struct rm_rec_reader *r;
    int rc = reader_new(&r, name);
    if (rc) {
        H5Fclose(file);
        return rc;
    }
    r->file = file;
    return validate(out, r);
}

void rm_rec_reader_close(struct rm_rec_reader *r)
{
    if (!r)
        return;
    if (r->frames >= 0)
        H5Dclose(r->frames);
    if (r->t >= 0)
        H5Dclose(r->t);
    if (r->seq >= 0)
        H5Dclose(r->seq);
    if (r->file >= 0)
        H5Fclose(r->file);
    rm_calibration_free(r->cal);
    free(r->events);
    free(r->path);
    free(r);
}

const char *rm_rec_path(const struct rm_rec_reader *r)
{
    return r->path;
}

const struct rm_rec_meta *rm_rec_meta(const struct rm_rec_reader *r)
{
    return &r->meta;
}

const struct rm_rec_counters *rm_rec_counters(const struct rm_rec_reader *r)
{
    return &r->counters;
}

int64_t rm_rec_frames(const struct rm_rec_reader *r)
{
    return r->nframes;
}

bool rm_rec_complete(const struct rm_rec_reader *r)
{
    return r->complete;
}

size_t rm_rec_nevents(const struct rm_rec_reader *r)
{
    return r->nevents;
}

const struct rm_event *rm_rec_events(const struct rm_rec_reader *r)
{
    return r->events;
}

const struct rm_calibration *rm_rec_calibration(const struct rm_rec_reader *r)
{
    return r->cal;
}

int64_t rm_rec_chunk_frames(const struct rm_rec_reader *r)
{
    return r->chunk_frames;
}

hid_t rm_rec_frames_dataset(const struct rm_rec_reader *r)
{
    return r->frames;
}

/* Reads rows [start, start + count) of a dataset whose first axis is time. */
static int read_block(struct rm_rec_reader *r, hid_t d, const char *obj, int rank, hid_t memtype,
                      int64_t start, int64_t count, void *out)
{
    if (start < 0 || count < 0 || start > r->nframes || count > r->nframes - start)
        return rm_fail(RM_EUSAGE, "%s:%s: rows %lld+%lld outside 0-%lld", r->path, obj,
                       (long long)start, (long long)count, (long long)r->nframes);
    if (count == 0)
        return 0;
    rm_h5_quiet();
    hsize_t off[3] = {(hsize_t)start, 0, 0};
    hsize_t cnt[3] = {(hsize_t)count, (hsize_t)r->meta.rows, (hsize_t)r->meta.cols};
    hid_t fspace = H5Dget_space(d);
    hid_t mspace = H5Screate_simple(rank, cnt, NULL);
    int rc = 0;
    if (fspace < 0 || mspace < 0 ||
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL) < 0 ||
        H5Dread(d, memtype, mspace, fspace, H5P_DEFAULT, out) < 0) {
        char why[256];
        rc = rm_fail(RM_EFORMAT, "%s:%s: cannot read rows %lld-%lld (%s)", r->path, obj,
                     (long long)start, (long long)(start + count - 1),
                     rm_h5_error_text(why, sizeof(why)));
    }
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    return rc;
}

int rm_rec_read_frames(struct rm_rec_reader *r, int64_t start, int64_t count, uint16_t *out)
{
    return read_block(r, r->frames, "/frames", 3, H5T_NATIVE_UINT16, start, count, out);
}

int rm_rec_read_t(struct rm_rec_reader *r, int64_t start, int64_t count, double *out)
{
    return read_block(r, r->t, "/t", 1, H5T_NATIVE_DOUBLE, start, count, out);
}

int rm_rec_read_seq(struct rm_rec_reader *r, int64_t start, int64_t count, uint64_t *out)
{
    return read_block(r, r->seq, "/seq", 1, H5T_NATIVE_UINT64, start, count, out);
}

/* rm_import_file(): export -> recording in two passes over the export. The
 * first validates it completely and gathers what must be known before the
 * first frame is written (the recording's header and calibration: every
 * distinct pressure value, the frame rate, the sensels blanked throughout);
 * the second writes the frames as it parses them. Nothing is created until
 * the first pass has accepted the whole file. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "import_codes.h"
#include "rm_error.h"
#include "rm_h5.h"
#include "rm_import.h"
#include "rm_progress.h"
#include "rm_limits.h"
#include "rm_recording.h"

#define LOG_PREFIX "import"
#include "rm_log.h"

/* Far above any mat (1 GPa), low enough that the table curve stays finite. */
#define MAX_KPA 1e6

volatile sig_atomic_t rm_import_stop;

static int stopped(const char *name)
{
    return rm_fail(RM_EINTR, "%s: import interrupted", name);
}

/* What the first pass learns. */
struct survey {
    const char *name;
    FILE *in;
    double size; /* of the file, bytes */
    struct rm_progress *progress;
    struct rm_import_header h;
    bool have_header;
    int64_t frames;
    int64_t first_number, last_number;
    long first_line; /* of the first frame's heading */
    double last_t;
    double max_raw;
    uint8_t *blank_always;  /* rows * cols: blank in every frame so far; owned */
    struct rm_codes *codes; /* distinct values of a pressure export; owned */
};

static int survey_header(void *ctx, const struct rm_import_header *h)
{
    struct survey *s = ctx;
    s->h = *h;
    s->have_header = true;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    s->blank_always = malloc(n);
    if (!s->blank_always)
        return RM_ENOMEM;
    memset(s->blank_always, 1, n);
    if (!h->raw)
        return rm_codes_new(&s->codes);
    return 0;
}

static int survey_frame(void *ctx, const struct rm_import_header *h,
                        const struct rm_import_frame *f)
{
    struct survey *s = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    if (rm_import_stop)
        return stopped(s->name);
    if (s->frames == 0) {
        s->first_number = f->number;
        s->first_line = f->line;
    }
    s->last_number = f->number;
    s->last_t = f->t;
    s->frames++;
    /* The first pass is the first half of the work. */
    if (s->progress->on)
        rm_progress_update(s->progress, (double)ftell(s->in), 2 * s->size, "reading");
    for (size_t i = 0; i < n; i++) {
        s->blank_always[i] &= f->blank[i];
        double v = f->values[i];
        if (h->raw) {
            if (v > s->max_raw)
                s->max_raw = v;
        } else if (v > 0) {
            if (!(v * h->to_kpa <= MAX_KPA))
                return rm_fail(RM_EFORMAT, "%s:%ld: frame %lld: pressure %g %s is not plausible",
                               s->name, f->line, (long long)f->number, v, h->units);
            int rc = rm_codes_add(s->codes, v);
            if (rc == RM_ERANGE)
                return rm_fail(RM_EFORMAT,
                               "%s:%ld: more than %d distinct pressure values: a recording "
                               "stores at most %d",
                               s->name, f->line, RM_CODES_MAX, RM_CODES_MAX);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* The second pass. */
struct writing {
    const char *name;
    const struct survey *survey;
    struct rm_rec_writer *w;
    uint16_t *counts; /* one frame; owned */
    int64_t frames;
};

static int write_frame(void *ctx, const struct rm_import_header *h, const struct rm_import_frame *f)
{
    struct writing *wr = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    if (rm_import_stop)
        return stopped(wr->name);
    if (h->rows != wr->survey->h.rows || h->cols != wr->survey->h.cols ||
        wr->frames >= wr->survey->frames)
        return rm_fail(RM_EFORMAT, "%s:%ld: the file changed while it was being imported", wr->name,
                       f->line);
    for (size_t i = 0; i < n; i++) {
        if (h->raw) {
            wr->counts[i] = (uint16_t)f->values[i];
        } else if (rm_codes_code(wr->survey->codes, f->values[i], &wr->counts[i]) != 0) {
            return rm_fail(RM_EFORMAT, "%s:%ld: the file changed while it was being imported",
                           wr->name, f->line);
        }
    }
    wr->frames++;
    rm_progress_update(wr->survey->progress, (double)(wr->survey->frames + wr->frames),
                       2.0 * (double)wr->survey->frames, "writing");
    int rc = rm_rec_writer_append(wr->w, f->t, (uint64_t)f->number, wr->counts);
    if (rc)
        return rc == RM_EUSAGE ? rm_fail(RM_EFORMAT,
                                         "%s:%ld: frame rejected by the recording "
                                         "writer",
                                         wr->name, f->line)
                               : rc;
    return 0;
}

static int bits_for(double max)
{
    int bits = 1;
    while (bits < 16 && ldexp(1.0, bits) <= max)
        bits++;
    return bits;
}

static int make_meta(const struct survey *s, struct rm_rec_meta *m)
{
    const struct rm_import_header *h = &s->h;
    memset(m, 0, sizeof(*m));
    snprintf(m->created_utc, sizeof(m->created_utc), "%s", h->start_local);
    snprintf(m->device_model, sizeof(m->device_model), "%s", h->model);
    snprintf(m->device_serial, sizeof(m->device_serial), "%s", h->serial);
    m->rows = h->rows;
    m->cols = h->cols;
    m->pitch_row_mm = h->pitch_row_mm;
    m->pitch_col_mm = h->pitch_col_mm;
    if (h->raw) {
        int need = bits_for(s->max_raw);
        m->adc_bits = need > h->adc_bits ? need : h->adc_bits;
    } else {
        m->adc_bits = 16; /* codes of exact values, see import_codes.h */
    }
    if (h->seconds_per_frame > 0) {
        m->rate_hz = 1.0 / h->seconds_per_frame;
    } else if (s->frames > 1 && s->last_t > 0) {
        /* Frame numbers over the time they span: robust to dropped frames,
         * and averaging out time stamps rounded to the millisecond (the median
         * interval of a 75 Hz XSENSOR export is 13 ms, i.e. 77 Hz). */
        m->rate_hz = (double)(s->last_number - s->first_number) / s->last_t;
    } else if (h->format == RM_IMPORT_TEKSCAN) {
        return rm_fail(RM_EFORMAT,
                       "%s:%ld: only one frame: no frame rate without SECONDS_PER_FRAME in the "
                       "header",
                       s->name, s->first_line);
    } else {
        /* An XSENSOR export states no rate: it comes from the frames' times. */
        return rm_fail(RM_EFORMAT,
                       "%s:%ld: only one frame: no frame rate without a second frame's time",
                       s->name, s->first_line);
    }
    /* The header's values were checked on their lines; what the frames
     * give (XSENSOR pitch and rate, every frame's time) is checked here. */
    char where[4096];
    snprintf(where, sizeof(where), "%s:%ld", s->name, s->first_line);
    if (!rm_time_ok(s->last_t))
        return rm_fail(RM_EFORMAT, "%s: the frames span %g s, more than %g s", where, s->last_t,
                       RM_TIME_S_MAX);
    return rm_rec_meta_check(m, where);
}

static int make_calibration(const struct survey *s, struct rm_calibration **out)
{
    *out = NULL;
    if (s->h.raw)
        return 0; /* counts stay counts: see docs/formats.md */
    struct rm_calibration *cal;
    int rc = rm_calibration_new(&cal, s->h.rows, s->h.cols);
    if (rc)
        return rc;
    snprintf(cal->device_serial, sizeof(cal->device_serial), "%s", s->h.serial);
    snprintf(cal->created_utc, sizeof(cal->created_utc), "%s", s->h.start_local);
    memcpy(cal->dead, s->blank_always, (size_t)s->h.rows * (size_t)s->h.cols);
    rc = rm_codes_table(s->codes, s->h.to_kpa, cal);
    if (rc) {
        rm_calibration_free(cal);
        return rc;
    }
    *out = cal;
    return 0;
}

static int open_input(const char *path, FILE **out)
{
    *out = fopen(path, "rb");
    if (!*out)
        return rm_fail(errno == ENOENT ? RM_ENOTFOUND : RM_EIO, "%s: %s", path, strerror(errno));
    return 0;
}

/* A fresh temporary name beside out_path, so that rename() is atomic. */
static int temp_beside(const char *out_path, char **tmp)
{
    size_t len = strlen(out_path) + 16;
    *tmp = malloc(len); /* owned by the caller */
    if (!*tmp)
        return RM_ENOMEM;
    snprintf(*tmp, len, "%s.tmp-XXXXXX", out_path);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        int rc =
            rm_fail(RM_EIO, "%s: cannot create a file beside it: %s", out_path, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return rc;
    }
    /* mkstemp makes it private; a recording gets the usual 0666 & ~umask. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0)
        rm_warn("%s: cannot set its permissions: %s", *tmp, strerror(errno));
    close(fd);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Where the recording came from, as root attributes beyond the spec's:
 * import_source (the export's file name), import_format, import_units (as
 * exported) and import_threshold (the vendor's contact threshold in those
 * units, when the export states one: values below it are already 0). Added
 * after the writer has closed the file (attributes cannot be created under
 * SWMR) and before it is renamed into place. */
static int add_provenance(const char *tmp, const char *in_path, const struct survey *s)
{
    rm_h5_quiet();
    hid_t fapl = rm_h5_fapl_v110();
    hid_t f = fapl >= 0 ? H5Fopen(tmp, H5F_ACC_RDWR, fapl) : -1;
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f < 0)
        return rm_fail(RM_EHDF5, "%s: cannot reopen the new recording", tmp);
    int rc = rm_h5_write_str(f, "import_source", base_name(in_path));
    rc = rc ? rc : rm_h5_write_str(f, "import_format", rm_import_format_name(s->h.format));
    rc = rc ? rc : rm_h5_write_str(f, "import_units", s->h.units);
    if (!rc && s->h.threshold >= 0)
        rc = rm_h5_write_double(f, "import_threshold", s->h.threshold);
    if (H5Fclose(f) < 0 && !rc)
        rc = RM_EHDF5;
    return rc ? rm_fail(rc, "%s: cannot write the import attributes", tmp) : 0;
}

static int write_pass(FILE *in, const char *in_path, const char *tmp, enum rm_import_format format,
                      int sensor, const struct survey *s)
{
    struct rm_rec_meta meta;
    struct rm_calibration *cal = NULL;
    int rc = make_meta(s, &meta);
    if (!rc)
        rc = make_calibration(s, &cal);
    if (rc)
        return rc;
    struct rm_rec_writer_opts opts = RM_REC_WRITER_OPTS_DEFAULT;
    /* Whole frames per chunk of about a second, as the recorder writes. */
    opts.flush_interval_s = 1e9; /* no time-based flushes: this is a file, not a live mat */
    struct writing wr = {.name = in_path, .survey = s};
    wr.counts = malloc((size_t)s->h.rows * (size_t)s->h.cols * sizeof(uint16_t));
    if (!wr.counts) {
        rm_calibration_free(cal);
        return RM_ENOMEM;
    }
    rc = rm_rec_writer_create(&wr.w, tmp, &meta, cal, &opts);
    rm_calibration_free(cal);
    if (!rc) {
        struct rm_import_sink sink = {.frame = write_frame, .ctx = &wr};
        rc = rm_import_parse(in, in_path, format, sensor, &sink);
        if (!rc && wr.frames != s->frames)
            rc = rm_fail(RM_EFORMAT, "%s: the file changed while it was being imported", in_path);
        int crc = rm_rec_writer_close(wr.w);
        if (!rc)
            rc = crc;
    }
    free(wr.counts);
    return rc;
}

int rm_import_file(const char *in_path, const char *out_path, enum rm_import_format format,
                   int sensor)
{
    FILE *in;
    int rc = open_input(in_path, &in);
    if (rc)
        return rc;
    if (format == RM_IMPORT_GUESS)
        rc = rm_import_guess(in, in_path, &format);

    struct rm_progress progress;
    rm_progress_start(&progress, "import");
    struct stat st;
    struct survey s = {.name = in_path, .in = in, .progress = &progress};
    s.size = fstat(fileno(in), &st) == 0 ? (double)st.st_size : 0;
    if (!rc) {
        struct rm_import_sink sink = {.header = survey_header, .frame = survey_frame, .ctx = &s};
        rc = rm_import_parse(in, in_path, format, sensor, &sink);
    }
    if (!rc && s.codes)
        rc = rm_codes_seal(s.codes);
    if (!rc && fseek(in, 0, SEEK_SET) != 0)
        rc = rm_fail(RM_EIO, "%s: cannot read it a second time", in_path);

    char *tmp = NULL;
    if (!rc)
        rc = temp_beside(out_path, &tmp);
    if (!rc) {
        rm_info("%s: %s, %lld frames of %d x %d, %s%s", in_path, s.h.model, (long long)s.frames,
                s.h.rows, s.h.cols, s.h.units, s.codes ? "" : " (counts)");
        rc = write_pass(in, in_path, tmp, format, sensor, &s);
        if (!rc)
            rc = add_provenance(tmp, in_path, &s);
        if (!rc && rename(tmp, out_path) != 0)
            rc = rm_fail(RM_EIO, "%s: %s", out_path, strerror(errno));
        if (rc)
            unlink(tmp);
    }
    free(tmp);
    fclose(in);
    rm_progress_end(&progress);
    free(s.blank_always);
    rm_codes_free(s.codes);
    return rc;
}

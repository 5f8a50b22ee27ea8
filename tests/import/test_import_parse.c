/* The Tekscan and XSENSOR parsers on the real exports in tests/import/data
 * (from pressuRe, Scott Telfer, MIT licence: tests/import/data/README.md),
 * every expectation read from the export's own text; and on small broken
 * exports, which must fail with the right line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "import_codes.h"
#include "import_parse.h"
#include "import_text.h"
#include "rm_calibration.h"
#include "rm_error.h"
#include "rm_import.h"
#include "rm_recording.h"
#include "testlib.h"

#define DATA       ROLLMAT_SOURCE_DIR "/tests/import/data/"
#define MAX_FRAMES 400

/* What a sink saw: the header, and per frame its number, t, sum, a copy of
 * frames 1 and 2 of values and blanks. */
struct seen {
    struct rm_import_header h;
    int headers;
    int frames;
    int64_t number[MAX_FRAMES];
    double t[MAX_FRAMES];
    double sum[MAX_FRAMES];
    int blanks[MAX_FRAMES];
    double *first, *second;
    uint8_t *first_blank;
};

static int on_header(void *ctx, const struct rm_import_header *h)
{
    struct seen *s = ctx;
    s->h = *h;
    s->headers++;
    return 0;
}

static int on_frame(void *ctx, const struct rm_import_header *h, const struct rm_import_frame *f)
{
    struct seen *s = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    assert_true(s->frames < MAX_FRAMES);
    s->number[s->frames] = f->number;
    s->t[s->frames] = f->t;
    double sum = 0;
    int blanks = 0;
    for (size_t i = 0; i < n; i++) {
        sum += f->values[i];
        blanks += f->blank[i];
        if (f->blank[i])
            assert_true(f->values[i] == 0);
    }
    s->sum[s->frames] = sum;
    s->blanks[s->frames] = blanks;
    double **copy = s->frames == 0 ? &s->first : s->frames == 1 ? &s->second : NULL;
    if (copy) {
        *copy = malloc(n * sizeof(double));
        memcpy(*copy, f->values, n * sizeof(double));
    }
    if (s->frames == 0) {
        s->first_blank = malloc(n);
        memcpy(s->first_blank, f->blank, n);
    }
    s->frames++;
    return 0;
}

static void seen_free(struct seen *s)
{
    free(s->first);
    free(s->second);
    free(s->first_blank);
}

static int parse_file(const char *path, enum rm_import_format fmt, int sensor, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct rm_import_sink sink = {on_header, on_frame, s};
    rm_clear_error();
    int rc = rm_import_parse(f, path, fmt, sensor, &sink);
    fclose(f);
    return rc;
}

static int parse_text(const char *text, enum rm_import_format fmt, int sensor, struct seen *s)
{
    memset(s, 0, sizeof(*s));
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    assert_non_null(f);
    struct rm_import_sink sink = {on_header, on_frame, s};
    rm_clear_error();
    int rc = rm_import_parse(f, "mem.csv", fmt, sensor, &sink);
    fclose(f);
    return rc;
}

/* The "Raw Sum=" of every frame heading and its time, read independently
 * of the parser. */
static int tekscan_headings(double *sums, double *times)
{
    FILE *f = fopen(DATA "iscan_test.csv", "r");
    assert_non_null(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "Frame ", 6) != 0)
            continue;
        char *sum = strstr(line, "Raw Sum=,,");
        assert_non_null(sum);
        sums[n] = atof(sum + 10);
        times[n] = atof(strchr(line, ',') + 1);
        n++;
    }
    fclose(f);
    return n;
}

static void test_tekscan_sample(void **state)
{
    (void)state;
    struct seen s;
    assert_int_equal(parse_file(DATA "iscan_test.csv", RM_IMPORT_GUESS, 0, &s), 0);
    assert_int_equal(s.headers, 1);
    assert_int_equal(s.h.format, RM_IMPORT_TEKSCAN);
    assert_int_equal(s.frames, 309); /* START_FRAME 1, END_FRAME 309 */
    assert_int_equal(s.h.rows, 28);
    assert_int_equal(s.h.cols, 28);
    assert_true(fabs(s.h.pitch_row_mm - 1.27) < 1e-12); /* ROW_SPACING 0.127 centimeters */
    assert_true(fabs(s.h.pitch_col_mm - 1.27) < 1e-12);
    assert_true(s.h.raw);
    assert_string_equal(s.h.units, "raw");
    assert_true(s.h.seconds_per_frame == 0.1);
    assert_true(s.h.threshold == 3); /* NOISE_THRESHOLD 3 */
    assert_string_equal(s.h.model, "Tekscan Pressure Measurement System 6.10I sensor 6900");
    assert_string_equal(s.h.serial, "102-B578");
    assert_string_equal(s.h.start_local,
                        "2019-12-02T18:21:52.34"); /* TIME 12/2/2019 6:21:52.34PM */

    double sums[MAX_FRAMES], times[MAX_FRAMES];
    assert_int_equal(tekscan_headings(sums, times), 309);
    assert_true(s.sum[0] == 310); /* "Frame 1, ... Raw Sum=,,310" */
    for (int i = 0; i < s.frames; i++) {
        assert_int_equal(s.number[i], i + 1);
        assert_true(s.sum[i] == sums[i]);
        assert_true(fabs(s.t[i] - times[i]) < 1e-9);
        assert_int_equal(s.blanks[i], 300); /* the same 300 sensels blanked throughout */
    }
    /* Frame 1: row 1 all B; row 3 "B,B,5,0,..."; row 19 "...,0,6,22,18,0,..." */
    assert_true(s.first_blank[0] && s.first_blank[27]);
    assert_true(s.first[2 * 28 + 2] == 5 && !s.first_blank[2 * 28 + 2]);
    assert_true(s.first[18 * 28 + 19] == 6);
    assert_true(s.first[18 * 28 + 20] == 22);
    assert_true(s.first[18 * 28 + 21] == 18);
    assert_true(s.first_blank[18 * 28 + 13] && s.first_blank[18 * 28 + 14]);
    seen_free(&s);
}

/* The vendor's figures of sensor k of every frame, and the file's values,
 * read independently of the parser with a plain line scan. */
struct xs_truth {
    int frames;
    double peak[2][MAX_FRAMES];
    double first[2][31 * 11];
    double time0, time_last;
};

static void xsensor_truth(struct xs_truth *t)
{
    FILE *f = fopen(DATA "xsensor_data.csv", "r");
    assert_non_null(f);
    char line[4096];
    int frame = -1, sensor = -1, row = -1;
    memset(t, 0, sizeof(*t));
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "FRAME,", 6) == 0) {
            frame++;
            sensor = -1;
        } else if (strncmp(line, "Time, ", 6) == 0) {
            int h, m;
            double sec;
            assert_int_equal(sscanf(line + 6, "%d:%d:%lf", &h, &m, &sec), 3);
            double tod = h * 3600 + m * 60 + sec;
            if (frame == 0)
                t->time0 = tod;
            t->time_last = tod;
        } else if (strncmp(line, "SENSOR,", 7) == 0) {
            sensor++;
            row = -1;
        } else if (strncmp(line, "GROUP,", 6) == 0) {
            sensor = 99;
        } else if (sensor >= 0 && sensor < 2 && strncmp(line, "Peak Pressure (mmHg),", 21) == 0) {
            t->peak[sensor][frame] = atof(line + 21);
        } else if (sensor >= 0 && sensor < 2 && strncmp(line, "SENSELS", 7) == 0) {
            row = 0;
        } else if (frame == 0 && sensor >= 0 && sensor < 2 && row >= 0 && row < 31 &&
                   line[0] != ',') {
            char *p = line;
            for (int c = 0; c < 11; c++) {
                t->first[sensor][row * 11 + c] = strtod(p, &p);
                p++;
            }
            row++;
        }
    }
    t->frames = frame + 1;
    fclose(f);
}

static void test_xsensor_sample(void **state)
{
    (void)state;
    static struct xs_truth truth;
    xsensor_truth(&truth);
    assert_int_equal(truth.frames, 101);

    for (int sensor = 0; sensor <= 2; sensor++) {
        struct seen s;
        assert_int_equal(parse_file(DATA "xsensor_data.csv", RM_IMPORT_GUESS, sensor, &s), 0);
        assert_int_equal(s.h.format, RM_IMPORT_XSENSOR);
        assert_int_equal(s.h.nsensors, 2);
        assert_int_equal(s.frames, 101);
        assert_int_equal(s.h.rows, 31);
        assert_int_equal(s.h.cols, sensor ? 11 : 22);      /* both insoles side by side */
        assert_true(fabs(s.h.pitch_row_mm - 8.6) < 1e-12); /* Sensel Height (cm),0.86 */
        assert_true(fabs(s.h.pitch_col_mm - 8.6) < 1e-12);
        assert_false(s.h.raw);
        assert_string_equal(s.h.units, "mmHg");
        assert_true(s.h.to_kpa == 0.133322387415);
        assert_true(s.h.threshold == 51.72);
        assert_string_equal(s.h.start_local, "2022-08-16T08:21:17.982");
        assert_string_equal(s.h.serial, "S0073");
        if (sensor == 0)
            assert_string_equal(s.h.model,
                                "XSENSOR HX210.11.31.M11-DFM-LF + HX210.11.31.M11-DFM-RF");
        else
            assert_string_equal(s.h.model, sensor == 1 ? "XSENSOR HX210.11.31.M11-DFM-LF"
                                                       : "XSENSOR HX210.11.31.M11-DFM-RF");
        assert_int_equal(s.number[0], 1464);
        assert_int_equal(s.number[100], 1564);
        assert_true(fabs(s.t[1] - 0.013) < 1e-9); /* 08:21:17.982 -> 08:21:17.995 */
        assert_true(fabs(s.t[100] - (truth.time_last - truth.time0)) < 1e-9);
        for (int r = 0; r < 31; r++)
            for (int c = 0; c < 11; c++) {
                if (sensor == 0) {
                    assert_true(s.first[r * 22 + c] == truth.first[0][r * 11 + c]);
                    assert_true(s.first[r * 22 + 11 + c] == truth.first[1][r * 11 + c]);
                } else {
                    assert_true(s.first[r * 11 + c] == truth.first[sensor - 1][r * 11 + c]);
                }
            }
        /* Peak Pressure (mmHg),2674.44 of frame 1464, left: row 6 column 10. */
        if (sensor == 1)
            assert_true(s.first[5 * 11 + 9] == 2674.44);
        seen_free(&s);
    }
}

/* The codes reproduce every value of the XSENSOR export exactly, through the
 * calibration's own conversion: each code's kPa is the float of
 * value_mmHg * 0.133322387415 computed in double. */
struct code_check {
    struct rm_codes *codes;
    int pass;
    struct rm_calibration *cal;
    long checked;
};

static int code_frame(void *ctx, const struct rm_import_header *h, const struct rm_import_frame *f)
{
    struct code_check *cc = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    if (cc->pass == 0) {
        for (size_t i = 0; i < n; i++)
            if (f->values[i] > 0)
                assert_int_equal(rm_codes_add(cc->codes, f->values[i]), 0);
        return 0;
    }
    uint16_t *raw = calloc(n, sizeof(uint16_t));
    float *kpa = malloc(n * sizeof(float));
    assert_non_null(raw);
    assert_non_null(kpa);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rm_codes_code(cc->codes, f->values[i], &raw[i]), 0);
    rm_calibration_apply(cc->cal, raw, kpa, 1);
    for (size_t i = 0; i < n; i++) {
        float want = (float)(f->values[i] * h->to_kpa);
        assert_true(kpa[i] == want);
        cc->checked++;
    }
    free(raw);
    free(kpa);
    return 0;
}

static void test_codes_exact(void **state)
{
    (void)state;
    struct code_check cc = {0};
    assert_int_equal(rm_codes_new(&cc.codes), 0);
    struct rm_import_sink sink = {NULL, code_frame, &cc};
    FILE *f = fopen(DATA "xsensor_data.csv", "rb");
    assert_int_equal(rm_import_parse(f, "x", RM_IMPORT_XSENSOR, 0, &sink), 0);
    assert_int_equal(rm_codes_seal(cc.codes), 0);
    assert_true(rm_codes_count(cc.codes) > 1000);
    assert_int_equal(rm_calibration_new(&cc.cal, 31, 22), 0);
    assert_int_equal(rm_codes_table(cc.codes, 0.133322387415, cc.cal), 0);
    assert_int_equal(rm_calibration_validate(cc.cal, "codes"), 0);
    rewind(f);
    cc.pass = 1;
    assert_int_equal(rm_import_parse(f, "x", RM_IMPORT_XSENSOR, 0, &sink), 0);
    assert_int_equal(cc.checked, 101L * 31 * 22);
    double v;
    uint16_t code;
    v = 1.5;
    assert_int_equal(rm_codes_code(cc.codes, v, &code), RM_ERANGE); /* never seen */
    fclose(f);
    rm_calibration_free(cc.cal);
    rm_codes_free(cc.codes);
}

/* The same through a recording file: import, read back with the recording
 * reader, convert with the recording's own calibration, compare with the
 * export parsed again. */
struct roundtrip {
    struct rm_rec_reader *r;
    const struct rm_calibration *cal;
    int64_t k;
    uint16_t *raw;
    float *kpa;
};

static int roundtrip_frame(void *ctx, const struct rm_import_header *h,
                           const struct rm_import_frame *f)
{
    struct roundtrip *rt = ctx;
    size_t n = (size_t)h->rows * (size_t)h->cols;
    assert_int_equal(rm_rec_read_frames(rt->r, rt->k, 1, rt->raw), 0);
    double t;
    uint64_t seq;
    assert_int_equal(rm_rec_read_t(rt->r, rt->k, 1, &t), 0);
    assert_int_equal(rm_rec_read_seq(rt->r, rt->k, 1, &seq), 0);
    assert_true(t == f->t);
    assert_true(seq == (uint64_t)f->number);
    rm_calibration_apply(rt->cal, rt->raw, rt->kpa, 1);
    for (size_t i = 0; i < n; i++)
        if (rt->kpa[i] != (float)(f->values[i] * h->to_kpa))
            fail_msg("frame %lld sensel %zu: %.9g kPa, exported %.9g", (long long)f->number, i,
                     (double)rt->kpa[i], f->values[i] * h->to_kpa);
    rt->k++;
    return 0;
}

static void test_recording_exact(void **state)
{
    (void)state;
    const char *out = rm_test_path("xs.h5");
    rm_clear_error();
    int rc = rm_import_file(DATA "xsensor_data.csv", out, RM_IMPORT_GUESS, 0);
    if (rc)
        fail_msg("import: %s", rm_last_error(rc));
    struct roundtrip rt = {0};
    assert_int_equal(rm_rec_reader_open(&rt.r, out), 0);
    rt.cal = rm_rec_calibration(rt.r);
    assert_non_null(rt.cal);
    assert_int_equal(rm_rec_frames(rt.r), 101);
    const struct rm_rec_meta *m = rm_rec_meta(rt.r);
    assert_int_equal(m->rows, 31);
    assert_int_equal(m->cols, 22);
    rt.raw = malloc(31 * 22 * sizeof(uint16_t));
    rt.kpa = malloc(31 * 22 * sizeof(float));
    FILE *f = fopen(DATA "xsensor_data.csv", "rb");
    struct rm_import_sink sink = {NULL, roundtrip_frame, &rt};
    assert_int_equal(rm_import_parse(f, "x", RM_IMPORT_XSENSOR, 0, &sink), 0);
    assert_int_equal(rt.k, 101);
    fclose(f);
    free(rt.raw);
    free(rt.kpa);
    rm_rec_reader_close(rt.r);
}

static void test_codes_limit(void **state)
{
    (void)state;
    struct rm_codes *c;
    assert_int_equal(rm_codes_new(&c), 0);
    for (int i = 1; i <= RM_CODES_MAX; i++)
        assert_int_equal(rm_codes_add(c, i * 0.01), 0);
    assert_int_equal(rm_codes_add(c, 0.01), 0); /* a value already there */
    assert_int_equal(rm_codes_add(c, 1e6), RM_ERANGE);
    rm_codes_free(c);
}

/* ---- small exports, good and bad ----------------------------------------- */

#define TEK_HEAD                                                                                   \
    "DATA_TYPE MOVIE\nVERSION Tekscan Pressure Measurement System 6.10I\nROWS 2\nCOLS 3\n"         \
    "ROW_SPACING 0.05 inches\nCOL_SPACING 1.5 mm\nSECONDS_PER_FRAME 0.01\nSTART_FRAME 1\n"         \
    "END_FRAME 2\n"

static void test_tekscan_units(void **state)
{
    (void)state;
    struct seen s;
    const char *text = TEK_HEAD "UNITS KPa\nASCII_DATA @@\n\n"
                                "Frame 1\nB,1.5,0\n0,0,200\n\nFrame 2\nB,2,0\n0,0,0.25\n@@\n";
    assert_int_equal(parse_text(text, RM_IMPORT_GUESS, 0, &s), 0);
    assert_int_equal(s.frames, 2);
    assert_false(s.h.raw);
    assert_true(s.h.to_kpa == 1.0);
    assert_true(fabs(s.h.pitch_row_mm - 1.27) < 1e-12);
    assert_true(s.h.pitch_col_mm == 1.5);
    assert_true(fabs(s.t[1] - 0.01) < 1e-12); /* from SECONDS_PER_FRAME: no own times */
    assert_true(s.first[1] == 1.5 && s.first[5] == 200);
    assert_int_equal(s.blanks[0], 1);
    seen_free(&s);

    text =
        TEK_HEAD "UNITS PSI\nASCII_DATA @@\n\nFrame 1\n0,0,1\n0,0,0\n\nFrame 2\n0,0,0\n0,0,0\n@@\n";
    assert_int_equal(parse_text(text, RM_IMPORT_TEKSCAN, 0, &s), 0);
    assert_true(s.h.to_kpa == 6.894757293168);
    seen_free(&s);
}

/* text must fail with RM_EFORMAT and a message "mem.csv:LINE: ..." holding what. */
static void expect_failure(const char *text, enum rm_import_format fmt, int line, const char *what)
{
    struct seen s;
    int rc = parse_text(text, fmt, 0, &s);
    const char *msg = rm_last_error(rc);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "mem.csv:%d: ", line);
    if (rc != RM_EFORMAT || strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, what))
        fail_msg("expected '%s...%s', got %d '%s'", prefix, what, rc, msg);
    seen_free(&s);
}

static void test_tekscan_errors(void **state)
{
    (void)state;
    /* line numbers:        1..9 head, 10 UNITS, 11 ASCII_DATA, 12 empty, 13 Frame 1 */
    expect_failure(TEK_HEAD "UNITS furlongs\nASCII_DATA @@\n", RM_IMPORT_TEKSCAN, 10,
                   "unknown unit 'furlongs'");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,0\n", RM_IMPORT_TEKSCAN, 14,
                   "row 1 has 2 values, COLS is 3");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,0,0\n", RM_IMPORT_TEKSCAN, 14,
                   "ends inside frame 1 after 1 of 2 rows");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,0,0\n\n", RM_IMPORT_TEKSCAN, 15,
                   "frame 1 has 1 rows, ROWS is 2");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,0,0\n0,0,0\n0,0,0\n",
                   RM_IMPORT_TEKSCAN, 16, "more than ROWS 2 rows");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,x,0\n", RM_IMPORT_TEKSCAN, 14,
                   "column 2: 'x' is not a number");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,1.5,0\n", RM_IMPORT_TEKSCAN, 14,
                   "not an integer");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1,0,,,Raw Sum=,,4\n0,1,0\n0,0,0\n",
                   RM_IMPORT_TEKSCAN, 13, "add up to 1, its Raw Sum= says 4");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,1,0\n0,0,0\n\n",
                   RM_IMPORT_TEKSCAN, 16, "without the closing @@");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1\n0,1,0\n0,0,0\n@@\n",
                   RM_IMPORT_TEKSCAN, 16, "1 frames, the header says START_FRAME 1 to END_FRAME 2");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 2,0.5\n0,1,0\n0,0,0\n"
                            "Frame 1,0.6\n0,1,0\n0,0,0\n@@\n",
                   RM_IMPORT_TEKSCAN, 16, "frame numbers must increase");
    expect_failure(TEK_HEAD "UNITS raw\nASCII_DATA @@\n\nFrame 1,0.5\n0,1,0\n0,0,0\n"
                            "Frame 2,0.5\n0,1,0\n0,0,0\n@@\n",
                   RM_IMPORT_TEKSCAN, 16, "not after the previous frame");
    expect_failure("DATA_TYPE MOVIE\nCOLS 3\nROW_SPACING 1 mm\nCOL_SPACING 1 mm\nUNITS raw\n"
                   "ASCII_DATA @@\n",
                   RM_IMPORT_TEKSCAN, 6, "no ROWS");
    expect_failure("DATA_TYPE MOVIE\nROWS 2\nCOLS 3\nROW_SPACING 1 furlong\n", RM_IMPORT_TEKSCAN, 4,
                   "unknown unit 'furlong'");
    expect_failure("hello\n", RM_IMPORT_GUESS, 1, "not a Tekscan or XSENSOR");
}

#define XS_HEAD                                                                                    \
    "\xEF\xBB\xBF"                                                                                 \
    "File:,\"C:\\a,b.XSN\",,\r\nUnits:,kPa,,\r\nThreshold:,1.5,\r\n"
#define XS_FRAME(n, time)                                                                          \
    "FRAME," #n ",,\r\nDate, 2022 Aug 16,\r\nTime, " time ",\r\n"                                  \
    "SENSOR,A S1,\r\nRows,2,\r\nColumns,2,\r\nSensel Width (cm),0.5,\r\n"                          \
    "Sensel Height (mm),6,\r\nPeak Pressure (kPa),3,\r\nSENSELS,,\r\n,,,\r\n1,2,,\r\n,,,\r\n"      \
    "0,3,,\r\nSENSOR,B S1,\r\nRows,1,\r\nColumns,1,\r\nSensel Width (cm),0.5,\r\n"                 \
    "Sensel Height (cm),0.6,\r\nSENSELS,,\r\n7,,,\r\nGROUP,1,\r\nName,Heel\r\nCells,3,\r\n"        \
    "SENSELS,,\r\n1,2,3\r\n"

static void test_xsensor_small(void **state)
{
    (void)state;
    struct seen s;
    const char *text = XS_HEAD XS_FRAME(7, "23:59:59.990") XS_FRAME(9, "00:00:00.010");
    /* The second frame's Date is the same day: the clock went backwards. */
    expect_failure(text, RM_IMPORT_GUESS, 30, "frame 9: its time is not after the previous");
    text = XS_HEAD XS_FRAME(7, "08:00:00.000") XS_FRAME(9, "08:00:00.020");
    assert_int_equal(parse_text(text, RM_IMPORT_GUESS, 0, &s), 0);
    assert_int_equal(s.frames, 2);
    assert_int_equal(s.h.rows, 2);
    assert_int_equal(s.h.cols, 3);
    assert_true(s.h.pitch_col_mm == 5 && s.h.pitch_row_mm == 6);
    assert_true(fabs(s.t[1] - 0.02) < 1e-9);
    /* A | B side by side; B has one row, its second row is padding. */
    assert_true(s.first[0] == 1 && s.first[1] == 2 && s.first[2] == 7);
    assert_true(s.first[3] == 0 && s.first[4] == 3 && s.first[5] == 0);
    assert_true(s.first_blank[5] && !s.first_blank[2] && !s.first_blank[0]);
    assert_string_equal(s.h.model, "XSENSOR A + B");
    seen_free(&s);
    assert_int_equal(parse_text(text, RM_IMPORT_XSENSOR, 2, &s), 0);
    assert_int_equal(s.h.rows, 1);
    assert_int_equal(s.h.cols, 1);
    assert_true(s.first[0] == 7);
    seen_free(&s);
    assert_int_equal(parse_text(text, RM_IMPORT_XSENSOR, 3, &s), RM_EUSAGE);
    seen_free(&s);
}

/* An XSENSOR export names the file it came from on its first line; a lab
 * comparing systems may keep it in a folder named after the other vendor.
 * The content decides, not a word in a path. */
static void test_guess_ignores_paths(void **state)
{
    (void)state;
    static const char xs[] = "\xEF\xBB\xBF"
                             "File:,\"C:\\Tekscan vs XSENSOR\\walk.XSN\",,\r\nUnits:,kPa,,\r\n"
                             "FRAME,1,,\r\n";
    FILE *f = fmemopen((void *)xs, strlen(xs), "rb");
    assert_non_null(f);
    enum rm_import_format fmt;
    rm_clear_error();
    assert_int_equal(rm_import_guess(f, "mem.csv", &fmt), 0);
    assert_int_equal(fmt, RM_IMPORT_XSENSOR);
    fclose(f);
    static const char tk[] = "FILENAME C:\\XSENSOR trials\\FRAME,SENSELS.fsx\r\n"
                             "VERSION Tekscan Pressure Measurement System 6.10I\r\n";
    f = fmemopen((void *)tk, strlen(tk), "rb");
    assert_non_null(f);
    assert_int_equal(rm_import_guess(f, "mem.csv", &fmt), 0);
    assert_int_equal(fmt, RM_IMPORT_TEKSCAN);
    fclose(f);
}

static void test_xsensor_errors(void **state)
{
    (void)state;
    char text[8192];
    /* Line numbers of XS_HEAD XS_FRAME: 1-3 head, 4 FRAME, 7 SENSOR A, 13 SENSELS, 15 row 1,
     * 17 row 2, 18 SENSOR B, 23 SENSELS, 24 row, 25 GROUP, 28 SENSELS, 29 cells. */
    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    char *units = strstr(text, "Units:,kPa");
    memcpy(units, "Units:,kPx", 10);
    expect_failure(text, RM_IMPORT_XSENSOR, 2, "unknown unit 'kPx'");

    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    char *row = strstr(text, "0,3,,");
    memcpy(row, "0,,,,", 5);
    expect_failure(text, RM_IMPORT_XSENSOR, 17, "row 2 has 1 values, Columns is 2");

    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    row = strstr(text, "Rows,2");
    row[5] = '3';
    expect_failure(text, RM_IMPORT_XSENSOR, 18, "sensor 1 has 2 rows, Rows is 3");

    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    row = strstr(text, "Rows,2");
    row[5] = '1';
    expect_failure(text, RM_IMPORT_XSENSOR, 17, "more rows than Rows 1");

    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    row = strstr(text, "Peak Pressure (kPa)");
    memcpy(row, "Peak Pressure (PSI)", 19);
    expect_failure(text, RM_IMPORT_XSENSOR, 12, "is in PSI but the file's Units: are kPa");

    /* Cut inside the group's cells, then inside the matrix. */
    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    *strstr(text, "1,2,3") = '\0';
    expect_failure(text, RM_IMPORT_XSENSOR, 28, "lists 0 cells, Cells is 3");
    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    *strstr(text, "0,3,,") = '\0';
    expect_failure(text, RM_IMPORT_XSENSOR, 16, "sensor 1 has 1 rows, Rows is 2");

    /* A second frame with one group less than the first. */
    snprintf(text, sizeof(text), "%s",
             XS_HEAD XS_FRAME(7, "08:00:00.000") XS_FRAME(8, "08:00:00.010"));
    *strstr(strstr(text, "FRAME,8"), "GROUP") = '\0';
    expect_failure(text, RM_IMPORT_XSENSOR, 50, "has 0 groups, the first frame 1");

    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    row = strstr(text, "1,2,,");
    row[2] = 'x';
    expect_failure(text, RM_IMPORT_XSENSOR, 15, "column 2: 'x' is not a number");
    snprintf(text, sizeof(text), "%s", XS_HEAD XS_FRAME(7, "08:00:00.000"));
    row = strstr(text, "1,2,,");
    row[2] = '-';
    expect_failure(text, RM_IMPORT_XSENSOR, 15, "column 2: '-' is not a number");
}

static void test_text_helpers(void **state)
{
    (void)state;
    double v;
    assert_true(rm_text_number("12", &v) && v == 12);
    assert_true(rm_text_number("-0.5", &v) && v == -0.5);
    assert_true(rm_text_number(".25", &v) && v == 0.25);
    assert_true(rm_text_number("1e3", &v) && v == 1000);
    const char *bad[] = {"", "-", ".", "1e", "0x10", "inf", "nan", "1,5", "12 ", "1e999", "B"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (rm_text_number(bad[i], &v))
            fail_msg("'%s' taken as a number", bad[i]);
    long n;
    assert_true(rm_text_uint("4096", 4096, &n) && n == 4096);
    assert_false(rm_text_uint("4097", 4096, &n));
    assert_false(rm_text_uint("99999999999999999999999", 1L << 40, &n));
    assert_false(rm_text_uint("+1", 10, &n));

    struct rm_fields fs = {0};
    char line[] = " a ,\"b,\"\"c\"\"\", ,,";
    assert_int_equal(rm_fields_split(&fs, line), 0);
    assert_int_equal(fs.n, 5);
    assert_int_equal(fs.used, 2);
    assert_string_equal(fs.f[0], "a");
    assert_string_equal(fs.f[1], "b,\"c\"");
    rm_fields_free(&fs);

    double k;
    assert_true(rm_unit_to_kpa("mmHg", &k) && k == 0.133322387415);
    assert_true(rm_unit_to_kpa("psi", &k) && k == 6.894757293168);
    assert_true(rm_unit_to_kpa("N/cm\xC2\xB2", &k) && k == 10);
    assert_true(rm_unit_to_kpa("KPa", &k) && k == 1);
    assert_false(rm_unit_to_kpa("N", &k));
    assert_true(rm_unit_to_mm("centimeters", &k) && k == 10);
    assert_true(rm_unit_to_mm("inches", &k) && k == 25.4);
}

static void test_dates(void **state)
{
    (void)state;
    char iso[32];
    assert_int_equal(rm_import_us_datetime("12/2/2019 6:21:52.34PM", iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2019-12-02T18:21:52.34");
    assert_int_equal(rm_import_us_datetime("25/2/2019 12:05:00 AM", iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2019-02-25T00:05:00"); /* day first: 25 is no month */
    assert_int_equal(rm_import_us_datetime("2/29/2020 12:00:00PM", iso, sizeof(iso)), 0);
    assert_string_equal(iso, "2020-02-29T12:00:00");
    assert_int_equal(rm_import_us_datetime("2/29/2019 12:00:00PM", iso, sizeof(iso)), -1);
    assert_int_equal(rm_import_us_datetime("13/13/2019 1:00:00", iso, sizeof(iso)), -1);
    assert_int_equal(rm_import_us_datetime("1/2/2019 13:00:00PM", iso, sizeof(iso)), -1);
    int y, m, d;
    int64_t days;
    assert_int_equal(rm_import_date(" 2022 Aug 16", &y, &m, &d, &days), 0);
    assert_true(y == 2022 && m == 8 && d == 16 && days == 19220);
    assert_int_equal(rm_import_date("2022-08-17", &y, &m, &d, &days), 0);
    assert_true(days == 19221);
    assert_int_equal(rm_import_date("2022 Aug 32", &y, &m, &d, &days), -1);
    double sec;
    char frac[16];
    assert_int_equal(rm_import_time_of_day(" 08:21:17.982", &sec, frac), 0);
    assert_true(fabs(sec - (8 * 3600 + 21 * 60 + 17.982)) < 1e-9);
    assert_string_equal(frac, ".982");
    assert_int_equal(rm_import_time_of_day("08:61:17", &sec, frac), -1);
    assert_int_equal(rm_import_time_of_day("08:21:17.", &sec, frac), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tekscan_sample), cmocka_unit_test(test_xsensor_sample),
        cmocka_unit_test(test_codes_exact),    cmocka_unit_test(test_recording_exact),
        cmocka_unit_test(test_codes_limit),    cmocka_unit_test(test_tekscan_units),
        cmocka_unit_test(test_tekscan_errors), cmocka_unit_test(test_xsensor_small),
        cmocka_unit_test(test_xsensor_errors), cmocka_unit_test(test_text_helpers),
        cmocka_unit_test(test_dates),          cmocka_unit_test(test_guess_ignores_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

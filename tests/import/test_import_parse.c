/* The Tekscan and XSENSOR parsers on the real exports in tests/import/data
 * (from pressuRe, Scott Telfer, MIT licence: tests/import/data/README.md),
 * every expectation read from the export's own text. Small broken exports,
 * which must fail with the right line: test_import_parse_small.c. */
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
#include "import_seen.h"
#include "import_text.h"
#include "rm_calibration.h"
#include "rm_error.h"
#include "rm_import.h"
#include "rm_recording.h"
#include "testlib.h"

#define DATA ROLLMAT_SOURCE_DIR "/tests/import/data/"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tekscan_sample), cmocka_unit_test(test_xsensor_sample),
        cmocka_unit_test(test_codes_exact),    cmocka_unit_test(test_recording_exact),
        cmocka_unit_test(test_codes_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The Tekscan and XSENSOR parsers on small exports written here: units,
 * guessing the format, the text helpers and dates, and broken exports,
 * which must fail with the right line. The real exports:
 * test_import_parse.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "import_parse.h"
#include "import_seen.h"
#include "import_text.h"
#include "rm_error.h"
#include "rm_import.h"

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
        cmocka_unit_test(test_tekscan_units),       cmocka_unit_test(test_tekscan_errors),
        cmocka_unit_test(test_xsensor_small),       cmocka_unit_test(test_xsensor_errors),
        cmocka_unit_test(test_text_helpers),        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_guess_ignores_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

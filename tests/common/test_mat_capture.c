/* The info block and .rmw captures: byte layout, validation with one-line
 * messages, and a write/read round trip through real files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "rm_capture.h"
#include "rm_error.h"
#include "rm_mat.h"
#include "testlib.h"

static struct rm_mat_info sample_info(void)
{
    struct rm_mat_info info = {
        .protocol_version = 1,
        .rows = 64,
        .cols = 32,
        .pitch_row_um = 7500,
        .pitch_col_um = 10000,
        .adc_bits = 12,
        .max_rate_hz = 400,
        .rate_hz = 100,
    };
    strcpy(info.serial, "SN-0042");
    strcpy(info.model, "rollmat-proto-16"); /* exactly 16 bytes: no NUL on the wire */
    strcpy(info.firmware, "1.2.3");
    return info;
}

static void test_info_layout(void **state)
{
    (void)state;
    struct rm_mat_info info = sample_info();
    uint8_t b[RM_INFO_BLOCK_SIZE];
    rm_mat_info_encode(&info, b);
    const uint8_t head[16] = {1, 0, 64, 32, 0x4c, 0x1d, 0x10, 0x27, 12, 0, 0x90, 1, 100, 0, 0, 0};
    assert_memory_equal(b, head, 16);
    assert_memory_equal(b + 16, "SN-0042\0\0\0\0\0\0\0\0\0", 16);
    assert_memory_equal(b + 32, "rollmat-proto-16", 16);
    assert_memory_equal(b + 48, "1.2.3\0\0\0\0\0\0\0\0\0\0\0", 16);

    struct rm_mat_info back;
    assert_int_equal(rm_mat_info_parse(b, "x", &back), 0);
    assert_int_equal(back.rows, 64);
    assert_int_equal(back.cols, 32);
    assert_int_equal(back.pitch_row_um, 7500);
    assert_int_equal(back.max_rate_hz, 400);
    assert_int_equal(back.rate_hz, 100);
    assert_string_equal(back.serial, "SN-0042");
    assert_string_equal(back.model, "rollmat-proto-16");
    assert_string_equal(back.firmware, "1.2.3");
}

/* Parses a block with one byte changed; returns the result code. */
static int parse_with(size_t off, uint8_t value, const char *expect_msg)
{
    struct rm_mat_info info = sample_info(), out;
    uint8_t b[RM_INFO_BLOCK_SIZE];
    rm_mat_info_encode(&info, b);
    b[off] = value;
    rm_clear_error();
    int rc = rm_mat_info_parse(b, "mat.rmw:header", &out);
    if (expect_msg)
        assert_string_equal(rm_last_error(rc), expect_msg);
    return rc;
}

static void test_info_validation(void **state)
{
    (void)state;
    assert_int_equal(parse_with(0, 2, "mat.rmw:header: protocol version 2, expected 1"),
                     RM_EFORMAT);
    assert_int_equal(parse_with(2, 0, "mat.rmw:header: empty sensel grid 0x32"), RM_EFORMAT);
    assert_int_equal(parse_with(3, 0, NULL), RM_EFORMAT);
    assert_int_equal(parse_with(8, 0, "mat.rmw:header: adc_bits 0 outside 1..16"), RM_EFORMAT);
    assert_int_equal(parse_with(8, 17, NULL), RM_EFORMAT);
    assert_int_equal(parse_with(8, 16, NULL), 0);
    assert_int_equal(parse_with(4, 0, NULL), 0); /* low byte only: pitch 0x1d00 */
    assert_int_equal(parse_with(6, 0, NULL), 0);
    assert_int_equal(parse_with(12, 0, "mat.rmw:header: rate 0 Hz outside 1..400"), RM_EFORMAT);
    assert_int_equal(parse_with(13, 2, NULL), RM_EFORMAT); /* 612 Hz > max 400 */

    struct rm_mat_info info = sample_info(), out;
    uint8_t b[RM_INFO_BLOCK_SIZE];
    info.pitch_col_um = 0;
    rm_mat_info_encode(&info, b);
    assert_int_equal(rm_mat_info_parse(b, "w", &out), RM_EFORMAT);
}

static void test_capture_round_trip(void **state)
{
    (void)state;
    const char *path = rm_test_path("a.rmw");
    struct rm_mat_info info = sample_info();
    struct rm_capture_writer *w;
    assert_int_equal(rm_capture_writer_open(&w, path, &info), 0);
    uint8_t data[10000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    assert_int_equal(rm_capture_writer_write(w, data, 3000), 0);
    /* Not visible under its name until closed. */
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);
    assert_int_equal(rm_capture_writer_write(w, data + 3000, 7000), 0);
    assert_int_equal(rm_capture_writer_close(w), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_size, RM_CAPTURE_HEADER_SIZE + sizeof(data));

    struct rm_capture_reader *r;
    assert_int_equal(rm_capture_reader_open(&r, path), 0);
    assert_int_equal(rm_capture_reader_info(r)->rows, 64);
    assert_string_equal(rm_capture_reader_info(r)->serial, "SN-0042");
    uint8_t back[sizeof(data)];
    size_t got = 0;
    long n;
    while ((n = rm_capture_reader_read(r, back + got, 777)) > 0)
        got += (size_t)n;
    assert_int_equal(n, 0);
    assert_int_equal(got, sizeof(data));
    assert_memory_equal(back, data, sizeof(data));
    rm_capture_reader_close(r);
}

static void test_capture_discard_leaves_nothing(void **state)
{
    (void)state;
    const char *path = rm_test_path("gone.rmw");
    struct rm_mat_info info = sample_info();
    struct rm_capture_writer *w;
    assert_int_equal(rm_capture_writer_open(&w, path, &info), 0);
    assert_int_equal(rm_capture_writer_write(w, (const uint8_t *)"RMF1", 4), 0);
    rm_capture_writer_discard(w);
    char out[256];
    assert_int_equal(rm_test_run(out, sizeof(out), "ls -A '%s'", rm_test_tmpdir()), 0);
    assert_null(strstr(out, "gone.rmw"));
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void test_capture_rejects_bad_files(void **state)
{
    (void)state;
    struct rm_capture_reader *r;
    char msg[512];

    const char *missing = rm_test_path("missing.rmw");
    rm_clear_error();
    assert_int_equal(rm_capture_reader_open(&r, missing), RM_ENOTFOUND);

    const char *h5 = rm_test_path("notcap.rmw");
    write_file(h5, "\x89HDF\r\n\x1a\n and more bytes", 20);
    rm_clear_error();
    assert_int_equal(rm_capture_reader_open(&r, h5), RM_EFORMAT);
    snprintf(msg, sizeof(msg), "%s:header: not a wire capture (no RMWIRE01 magic)", h5);
    assert_string_equal(rm_last_error(RM_EFORMAT), msg);

    const char *shortf = rm_test_path("short.rmw");
    write_file(shortf, "RMWIRE01\x01\x00\x40", 11);
    rm_clear_error();
    assert_int_equal(rm_capture_reader_open(&r, shortf), RM_EFORMAT);
    snprintf(msg, sizeof(msg), "%s:header: truncated info block (3 of 64 bytes)", shortf);
    assert_string_equal(rm_last_error(RM_EFORMAT), msg);

    const char *badinfo = rm_test_path("v2.rmw");
    uint8_t hdr[RM_CAPTURE_HEADER_SIZE];
    struct rm_mat_info info = sample_info();
    memcpy(hdr, RM_CAPTURE_MAGIC, 8);
    rm_mat_info_encode(&info, hdr + 8);
    hdr[8] = 2;
    write_file(badinfo, hdr, sizeof(hdr));
    rm_clear_error();
    assert_int_equal(rm_capture_reader_open(&r, badinfo), RM_EFORMAT);
    snprintf(msg, sizeof(msg), "%s:header: protocol version 2, expected 1", badinfo);
    assert_string_equal(rm_last_error(RM_EFORMAT), msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_layout),
        cmocka_unit_test(test_info_validation),
        cmocka_unit_test(test_capture_round_trip),
        cmocka_unit_test(test_capture_discard_leaves_nothing),
        cmocka_unit_test(test_capture_rejects_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

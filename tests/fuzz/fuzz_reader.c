/* See fuzz_reader.h. */
#include "fuzz_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_h5.h"

volatile int64_t rm_fuzz_sink;

void rm_fuzz_read(hid_t f, void (*consume)(struct rm_rec_reader *))
{
    struct rm_rec_reader *r;
    rm_clear_error();
    int rc = rm_rec_reader_open_file(&r, f, "fuzz.h5");
    if (rc == 0) {
        consume(r);
        rm_rec_reader_close(r);
        return;
    }
    /* A refusal always comes with the one-line message. */
    if (rc == RM_EFORMAT && strncmp(rm_last_error(rc), "fuzz.h5:", 8) != 0)
        abort();
    rm_fuzz_sink = (int64_t)strlen(rm_last_error(rc));
}

void rm_fuzz_require_valid(hid_t f)
{
    rm_h5_quiet();
    struct rm_rec_reader *r;
    int rc = rm_rec_reader_open_file(&r, f, "fuzz.h5");
    if (rc != 0) {
        fprintf(stderr, "the fuzz target's base file is no valid recording: %s\n",
                rm_last_error(rc));
        abort();
    }
    rm_rec_reader_close(r);
}

void rm_fuzz_write_root(hid_t f, int rows, int cols, double pitch_row_mm, double pitch_col_mm,
                        double rate_hz, int complete)
{
    rm_h5_write_str(f, "rollmat_format", "recording");
    rm_h5_write_int(f, "rollmat_format_version", 1);
    rm_h5_write_str(f, "created_utc", "2026-11-23T07:15:02Z");
    rm_h5_write_str(f, "device_model", "simulated");
    rm_h5_write_str(f, "device_serial", "S");
    rm_h5_write_str(f, "device_firmware", "1");
    rm_h5_write_int(f, "rows", rows);
    rm_h5_write_int(f, "cols", cols);
    rm_h5_write_double(f, "pitch_row_mm", pitch_row_mm);
    rm_h5_write_double(f, "pitch_col_mm", pitch_col_mm);
    rm_h5_write_int(f, "adc_bits", 12);
    rm_h5_write_double(f, "rate_hz", rate_hz);
    rm_h5_write_i64(f, "frames_dropped", 0);
    rm_h5_write_i64(f, "crc_errors", 0);
    rm_h5_write_i64(f, "bytes_skipped", 0);
    rm_h5_write_i64(f, "disconnects", 0);
    rm_h5_write_int(f, "complete", complete);
}

hid_t rm_fuzz_core_file(const char *name)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_core(fapl, 64 * 1024, 0);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_V110);
    hid_t f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        abort();
    return f;
}

#include "capture_gen.h"

#include <stdlib.h>
#include <string.h>

#include "rm_capture.h"
#include "rm_error.h"
#include "rm_wire.h"

int rm_gen_capture(const char *path, long frames, int rows, int cols, int rate, const long *corrupt,
                   int ncorrupt)
{
    return rm_gen_capture_noisy(path, frames, rows, cols, rate, 0.0, corrupt, ncorrupt);
}

int rm_gen_capture_noisy(const char *path, long frames, int rows, int cols, int rate, double noise,
                         const long *corrupt, int ncorrupt)
{
    struct rm_mat_info info = {
        .protocol_version = RM_PROTOCOL_VERSION,
        .rows = (uint8_t)rows,
        .cols = (uint8_t)cols,
        .pitch_row_um = 7500,
        .pitch_col_um = 10000,
        .adc_bits = 12,
        .max_rate_hz = 1000,
        .rate_hz = (uint16_t)rate,
    };
    strcpy(info.serial, "GEN-0001");
    strcpy(info.model, "capture-gen");
    strcpy(info.firmware, "test");
    struct rm_capture_writer *w;
    int rc = rm_capture_writer_open(&w, path, &info);
    if (rc)
        return rc;
    size_t n = (size_t)rows * (size_t)cols;
    size_t fs = rm_wire_frame_size(rows, cols);
    uint16_t *s = malloc(n * sizeof(*s));
    uint8_t *buf = malloc(fs);
    if (!s || !buf)
        rc = RM_ENOMEM;
    for (long k = 0; rc == 0 && k < frames; k++) {
        for (size_t i = 0; i < n; i++)
            s[i] = rm_gen_sensel_noisy((uint64_t)k, (int)i, rows, cols, noise);
        uint32_t t_us = (uint32_t)((uint64_t)k * 1000000u / (uint64_t)rate);
        rm_wire_encode_frame(buf, (uint32_t)k, t_us, (uint8_t)rows, (uint8_t)cols, 0, s);
        for (int j = 0; j < ncorrupt; j++)
            if (corrupt[j] == k)
                buf[RM_WIRE_HEADER_SIZE + 1] ^= 0x04;
        rc = rm_capture_writer_write(w, buf, fs);
    }
    free(s);
    free(buf);
    if (rc) {
        rm_capture_writer_discard(w);
        return rc;
    }
    return rm_capture_writer_close(w);
}

/* rm_test_make_recording OUT.h5 [FRAMES [COMPRESSION [CHUNK [PAUSE_US]]]]:
 * writes a recording through the real writer (pausing PAUSE_US between
 * frames, to be watched live), for the script tests (which then read
 * it with h5py, damage copies of it, run `rollmat info` on it). Frame i,
 * sensel k holds (i * 7 + k) % 4096; /t[i] = i / 100; /seq[i] = i; two
 * events; a power-curve calibration; counters 1, 2, 3, 4. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_error.h"
#include "rm_recording.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUT.h5 [FRAMES [COMPRESSION [CHUNK [PAUSE_US]]]]\n", argv[0]);
        return 2;
    }
    long frames = argc > 2 ? atol(argv[2]) : 250;
    struct rm_rec_writer_opts o = RM_REC_WRITER_OPTS_DEFAULT;
    o.compression = argc > 3 ? atoi(argv[3]) : 1;
    o.chunk_frames = argc > 4 ? atoi(argv[4]) : 0;
    long pause_us = argc > 5 ? atol(argv[5]) : 0;

    struct rm_rec_meta m;
    memset(&m, 0, sizeof(m));
    snprintf(m.device_model, sizeof(m.device_model), "simulated");
    snprintf(m.device_serial, sizeof(m.device_serial), "SIM-0001");
    snprintf(m.device_firmware, sizeof(m.device_firmware), "1.0.0");
    m.rows = 48;
    m.cols = 24;
    m.pitch_row_mm = 10.0;
    m.pitch_col_mm = 10.0;
    m.adc_bits = 12;
    m.rate_hz = 100.0;

    struct rm_calibration *cal;
    struct rm_rec_writer *w;
    int rc = rm_calibration_new(&cal, m.rows, m.cols);
    if (rc == 0) {
        snprintf(cal->device_serial, sizeof(cal->device_serial), "SIM-0001");
        cal->curve_a = 0.05;
        cal->curve_b = 1.2;
        rc = rm_rec_writer_create(&w, argv[1], &m, cal, &o);
        rm_calibration_free(cal);
    }
    uint16_t *f = malloc((size_t)m.rows * (size_t)m.cols * sizeof(uint16_t));
    if (!f)
        rc = RM_ENOMEM;
    if (rc == 0)
        rc = rm_rec_writer_event(w, 0.0, "segment_start", "calf-left");
    for (long i = 0; i < frames && rc == 0; i++) {
        for (int k = 0; k < m.rows * m.cols; k++)
            f[k] = (uint16_t)((i * 7 + k) % 4096);
        rc = rm_rec_writer_append(w, (double)i / 100.0, (uint64_t)i, f);
        if (pause_us > 0)
            usleep((useconds_t)pause_us);
    }
    if (rc == 0)
        rc = rm_rec_writer_event(w, (double)frames / 100.0, "segment_end", "calf-left");
    if (rc == 0) {
        struct rm_rec_counters c = {1, 2, 3, 4};
        rm_rec_writer_set_counters(w, &c);
        rc = rm_rec_writer_close(w);
    }
    free(f);
    if (rc) {
        fprintf(stderr, "rollmat: %s\n", rm_last_error(rc));
        return 1;
    }
    return 0;
}

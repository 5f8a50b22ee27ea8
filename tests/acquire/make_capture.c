/* Writes a synthetic wire capture (.rmw) with the real encoder, for the
 * acquisition tests and scripts/bench-ingest.sh:
 *
 *   make_capture OUT.rmw FRAMES [ROWS COLS RATE_HZ [CORRUPT_INDEX ...]]
 *
 * Frame k has seq k, t_us k * 1e6 / rate, and sensels that are a function
 * of (k, index) (check_sensel() in capture_gen.h), so a test can verify any
 * frame of a recording without the capture. Each CORRUPT_INDEX frame gets
 * one sensel bit flipped after encoding (its CRC fails). */
#include <stdio.h>
#include <stdlib.h>

#include "capture_gen.h"
#include "rm_capture.h"
#include "rm_error.h"
#include "rm_wire.h"

int main(int argc, char **argv)
{
    if (argc != 3 && argc < 6) {
        fprintf(stderr, "usage: make_capture OUT.rmw FRAMES [ROWS COLS RATE_HZ [CORRUPT ...]]\n");
        return 2;
    }
    long frames = atol(argv[2]);
    int rows = argc > 3 ? atoi(argv[3]) : 64;
    int cols = argc > 4 ? atoi(argv[4]) : 32;
    int rate = argc > 5 ? atoi(argv[5]) : 100;
    long corrupt[64];
    int ncorrupt = 0;
    for (int i = 6; i < argc && ncorrupt < 64; i++)
        corrupt[ncorrupt++] = atol(argv[i]);
    int rc = rm_gen_capture(argv[1], frames, rows, cols, rate, corrupt, ncorrupt);
    if (rc) {
        fprintf(stderr, "make_capture: %s\n", rm_last_error(rc));
        return 1;
    }
    return 0;
}

/* Writes a synthetic wire capture (.rmw) with the real encoder, for the
 * acquisition tests and scripts/bench-ingest.sh:
 *
 *   make_capture [--noise SIGMA] OUT.rmw FRAMES [ROWS COLS RATE_HZ [CORRUPT_INDEX ...]]
 *
 * Frame k has seq k, t_us k * 1e6 / rate, and sensels that are a function
 * of (k, index) (rm_gen_sensel_noisy() in capture_gen.h), so a test can
 * verify any frame of a recording without the capture. --noise adds
 * Gaussian sensor noise of SIGMA counts to every sensel (1.5 is typical of
 * a real mat). Each CORRUPT_INDEX frame gets one sensel bit flipped after
 * encoding (its CRC fails). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_gen.h"
#include "rm_capture.h"
#include "rm_error.h"
#include "rm_wire.h"

int main(int argc, char **argv)
{
    double noise = 0.0;
    if (argc > 2 && strcmp(argv[1], "--noise") == 0) {
        char *end;
        noise = strtod(argv[2], &end);
        if (*end || !(noise >= 0.0 && noise <= 1000.0)) {
            fprintf(stderr, "make_capture: --noise %s: not a count between 0 and 1000\n", argv[2]);
            return 2;
        }
        argc -= 2;
        argv += 2;
    }
    if (argc != 3 && argc < 6) {
        fprintf(stderr, "usage: make_capture [--noise SIGMA] OUT.rmw FRAMES [ROWS COLS RATE_HZ "
                        "[CORRUPT ...]]\n");
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
    int rc = rm_gen_capture_noisy(argv[1], frames, rows, cols, rate, noise, corrupt, ncorrupt);
    if (rc) {
        fprintf(stderr, "make_capture: %s\n", rm_last_error(rc));
        return 1;
    }
    return 0;
}

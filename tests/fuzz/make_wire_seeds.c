/* Writes the seed corpora of fuzz_wire_decoder and fuzz_capture:
 *
 *   make_wire_seeds WIRE_DIR [CAPTURE_DIR]
 *
 * small streams of valid frames for a few grids, with the damage the
 * decoder must survive (bad CRC, truncation, garbage, seq gaps and wraps);
 * the capture seeds are the same streams behind a capture header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_capture.h"
#include "rm_wire.h"

static void write_seed(const char *dir, int k, const uint8_t *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/seed-%02d", dir, k);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: make_wire_seeds WIRE_DIR [CAPTURE_DIR]\n");
        return 2;
    }
    static uint8_t buf[8192];
    int k = 0;
    for (int grid = 0; grid < 64; grid += 9) {
        int rows = 1 + (grid & 7), cols = 1 + (grid >> 3 & 7);
        for (int damage = 0; damage < 4; damage++) {
            size_t n = 0;
            buf[n++] = (uint8_t)grid;
            buf[n++] = (uint8_t)(damage * 37);
            uint32_t seq = damage == 3 ? 0xfffffffeu : 0;
            for (int i = 0; i < 6; i++) {
                uint16_t s[64];
                for (int j = 0; j < rows * cols; j++)
                    s[j] = (uint16_t)(i * 100 + j);
                if (damage == 2 && i == 2)
                    memcpy(buf + n, "xxRM", 4), n += 4;
                size_t fs = rm_wire_encode_frame(buf + n, seq, seq * 10000u, (uint8_t)rows,
                                                 (uint8_t)cols, 0, s);
                if (damage == 1 && i == 3)
                    buf[n + fs - 1] ^= 1;
                if (damage == 2 && i == 4)
                    fs /= 2;
                n += fs;
                seq += (damage == 3 && i == 1) ? 3 : 1;
            }
            write_seed(argv[1], k, buf, n);
            if (argc == 3) {
                /* The header replaces the two control bytes. */
                static uint8_t cap[RM_CAPTURE_HEADER_SIZE + sizeof(buf)];
                struct rm_mat_info info = {.protocol_version = 1,
                                           .rows = (uint8_t)rows,
                                           .cols = (uint8_t)cols,
                                           .pitch_row_um = 5000,
                                           .pitch_col_um = 5000,
                                           .adc_bits = 12,
                                           .max_rate_hz = 200,
                                           .rate_hz = 100};
                memcpy(cap, RM_CAPTURE_MAGIC, 8);
                rm_mat_info_encode(&info, cap + 8);
                memcpy(cap + RM_CAPTURE_HEADER_SIZE, buf + 2, n - 2);
                write_seed(argv[2], k, cap, RM_CAPTURE_HEADER_SIZE + n - 2);
            }
            k++;
        }
    }
    return 0;
}

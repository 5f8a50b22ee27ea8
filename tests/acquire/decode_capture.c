/* Decodes a capture with the wire decoder alone and prints what it found:
 * the baseline of scripts/bench-ingest.sh (no ring, no HDF5).
 *
 *   decode_capture IN.rmw  ->  "frames crc_errors bytes_skipped frames_dropped" */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "rm_capture.h"
#include "rm_error.h"
#include "rm_wire.h"

static void on_frame(void *user, const struct rm_frame *f)
{
    uint64_t *sum = user;
    *sum += f->sensels[0];
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: decode_capture IN.rmw\n");
        return 2;
    }
    struct rm_capture_reader *r;
    int rc = rm_capture_reader_open(&r, argv[1]);
    if (rc) {
        fprintf(stderr, "decode_capture: %s\n", rm_last_error(rc));
        return 1;
    }
    const struct rm_mat_info *info = rm_capture_reader_info(r);
    uint64_t sum = 0;
    struct rm_wire_decoder *dec;
    if (rm_wire_decoder_new(&dec, info->rows, info->cols, on_frame, &sum))
        return 1;
    static uint8_t buf[64 * 1024];
    long n;
    while ((n = rm_capture_reader_read(r, buf, sizeof(buf))) > 0)
        rm_wire_decoder_feed(dec, buf, (size_t)n);
    rm_wire_decoder_finish(dec);
    struct rm_wire_stats s;
    rm_wire_decoder_stats(dec, &s);
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", s.frames, s.crc_errors,
           s.bytes_skipped, s.frames_dropped);
    rm_wire_decoder_free(dec);
    rm_capture_reader_close(r);
    return n < 0 || sum == UINT64_MAX;
}

/* libFuzzer target for .rmw captures: the header checks of the reader and
 * the decoder on the grid the header announces. The input is written to a
 * file because the reader takes a path, as the file backend does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_capture.h"
#include "rm_log.h"
#include "rm_wire.h"

volatile uint64_t rm_fuzz_sink;

static char path[64];

static void on_frame(void *user, const struct rm_frame *f)
{
    (void)user;
    rm_fuzz_sink += f->seq + f->sensels[0];
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rm_log_set_level(RM_LOG_NONE);
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof(path), "%s/rm-fuzz-capture-%ld.rmw", dir ? dir : "/tmp", (long)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    struct rm_capture_reader *r;
    int rc = rm_capture_reader_open(&r, path);
    unlink(path);
    if (rc != 0) {
        if (size >= RM_CAPTURE_HEADER_SIZE && memcmp(data, RM_CAPTURE_MAGIC, 8) != 0)
            rm_fuzz_sink++;
        return 0;
    }
    /* A header that passed must have said what the spec allows. */
    const struct rm_mat_info *info = rm_capture_reader_info(r);
    if (size < RM_CAPTURE_HEADER_SIZE || info->rows == 0 || info->cols == 0 || info->rate_hz == 0 ||
        info->rate_hz > info->max_rate_hz || info->adc_bits > 16)
        abort();
    struct rm_wire_decoder *dec;
    if (rm_wire_decoder_new(&dec, info->rows, info->cols, on_frame, NULL) != 0)
        abort();
    uint8_t buf[1000];
    long n;
    size_t total = 0;
    while ((n = rm_capture_reader_read(r, buf, sizeof(buf))) > 0) {
        rm_wire_decoder_feed(dec, buf, (size_t)n);
        total += (size_t)n;
    }
    if (n < 0 || total != size - RM_CAPTURE_HEADER_SIZE)
        abort();
    rm_wire_decoder_finish(dec);
    struct rm_wire_stats s;
    rm_wire_decoder_stats(dec, &s);
    if (s.frames * rm_wire_frame_size(info->rows, info->cols) + 4 * s.crc_errors +
            s.bytes_skipped !=
        total)
        abort();
    rm_wire_decoder_free(dec);
    rm_capture_reader_close(r);
    return 0;
}

/* libFuzzer target for the wire decoder (and the info block parser).
 * Input: byte 0 picks the grid, byte 1 the feeding pattern, the rest is the
 * stream. Checks the decoder's promises on every input: every byte is
 * accounted for, the held-back buffer stays under one frame, seq increases
 * within a sequence and frames match the grid. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rm_log.h"
#include "rm_mat.h"
#include "rm_wire.h"

/* Where results go so the optimiser cannot drop the work. */
volatile uint64_t rm_fuzz_sink;

struct check {
    int rows, cols;
    uint64_t frames;
    bool have_last;
    uint64_t last_seq;
};

static void on_frame(void *user, const struct rm_frame *f)
{
    struct check *c = user;
    if (f->rows != c->rows || f->cols != c->cols)
        abort();
    if (!f->sequence_start && c->have_last && f->seq <= c->last_seq)
        abort();
    c->have_last = true;
    c->last_seq = f->seq;
    c->frames++;
    uint64_t sum = f->seq ^ f->t_us ^ f->flags;
    for (int i = 0; i < f->rows * f->cols; i++)
        sum += f->sensels[i];
    rm_fuzz_sink += sum;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rm_log_set_level(RM_LOG_NONE); /* restarts and bad candidates log */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= RM_INFO_BLOCK_SIZE) {
        struct rm_mat_info info;
        if (rm_mat_info_parse(data, "fuzz", &info) == 0)
            rm_fuzz_sink += info.rows * info.cols + strlen(info.serial);
    }
    if (size < 2)
        return 0;
    /* Small grids keep frames short enough for the fuzzer to build. */
    struct check c = {.rows = 1 + (data[0] & 0x7), .cols = 1 + (data[0] >> 3 & 0x7)};
    unsigned pattern = data[1];
    data += 2;
    size -= 2;

    struct rm_wire_decoder *dec;
    if (rm_wire_decoder_new(&dec, c.rows, c.cols, on_frame, &c) != 0)
        abort();
    size_t frame_size = rm_wire_frame_size(c.rows, c.cols);
    size_t off = 0;
    unsigned step = 0;
    while (off < size) {
        /* Pieces of 1..32 bytes, or all at once, as the pattern says. */
        size_t n = pattern == 0 ? size - off : 1 + ((pattern * 31u + step * 7u) & 31u);
        if (n > size - off)
            n = size - off;
        if (step++ % 5 == 4)
            rm_wire_decoder_reset_sequence(dec);
        rm_wire_decoder_feed(dec, data + off, n);
        off += n;
        if (rm_wire_decoder_pending(dec) >= frame_size)
            abort();
        struct rm_wire_stats s;
        rm_wire_decoder_stats(dec, &s);
        if (s.frames * frame_size + 4 * s.crc_errors + s.bytes_skipped +
                rm_wire_decoder_pending(dec) !=
            off)
            abort();
    }
    rm_wire_decoder_finish(dec);
    struct rm_wire_stats s;
    rm_wire_decoder_stats(dec, &s);
    if (s.frames != c.frames || rm_wire_decoder_pending(dec) != 0 ||
        s.frames * frame_size + 4 * s.crc_errors + s.bytes_skipped != size)
        abort();
    rm_fuzz_sink += s.frames_dropped + s.seq_restarts;
    rm_wire_decoder_free(dec);
    return 0;
}

/* The frame stream of shared/spec/wire-protocol.md: an encoder, and a
 * streaming decoder that is fed bytes in pieces of any size (USB transfer
 * boundaries mean nothing) and hands out every intact frame. */
#ifndef RM_WIRE_H
#define RM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RM_WIRE_MAGIC       "RMF1"
#define RM_WIRE_HEADER_SIZE 16
#define RM_WIRE_CRC_SIZE    4

enum rm_frame_flags {
    RM_FRAME_OVERRUN = 1u << 0,   /* the device dropped frames before this one */
    RM_FRAME_SATURATED = 1u << 1, /* a sensel is at full scale */
};

/* Bytes of one frame on the wire: header + 2 * rows * cols + CRC. */
size_t rm_wire_frame_size(int rows, int cols);

/* Encodes one frame into out, which holds rm_wire_frame_size() bytes.
 * Returns the number of bytes written. */
size_t rm_wire_encode_frame(uint8_t *out, uint32_t seq, uint32_t t_us, uint8_t rows, uint8_t cols,
                            uint16_t flags, const uint16_t *sensels);

/* A decoded frame, valid only during the callback that receives it. */
struct rm_frame {
    uint64_t seq;  /* unwrapped device frame counter */
    uint64_t t_us; /* unwrapped device clock */
    uint16_t flags;
    int rows, cols;
    const uint16_t *sensels; /* rows * cols counts, row-major, host order */
    /* The first frame of a sequence: after rm_wire_decoder_new(),
     * rm_wire_decoder_reset_sequence(), or a seq that did not advance (the
     * device restarted without telling). seq and t_us start afresh from the
     * device's values here; a consumer keeping one timeline re-bases them. */
    bool sequence_start;
};

struct rm_wire_stats {
    uint64_t frames;         /* intact frames delivered */
    uint64_t crc_errors;     /* candidates discarded: bad CRC or wrong grid */
    uint64_t bytes_skipped;  /* bytes passed over while searching for magic */
    uint64_t frames_dropped; /* frames missing by the seq counter */
    uint64_t seq_restarts;   /* seq went backwards or stood still (counted in
                                neither of the above; the frame is kept) */
};

/* Called for every intact frame, in stream order. */
typedef void (*rm_wire_frame_cb)(void *user, const struct rm_frame *frame);

struct rm_wire_decoder;

/* Creates a decoder for a rows x cols mat. Owned by the caller: free it with
 * rm_wire_decoder_free(). Returns 0 or RM_ENOMEM / RM_EUSAGE. */
int rm_wire_decoder_new(struct rm_wire_decoder **out, int rows, int cols, rm_wire_frame_cb cb,
                        void *user);
void rm_wire_decoder_free(struct rm_wire_decoder *dec);

/* Feeds bytes; calls the callback for each frame completed by them.
 * Candidate frames: a magic whose grid disagrees with the decoder's or whose
 * CRC fails counts one crc_error and scanning resumes after its 4 magic
 * bytes. So at any time, of all bytes fed,
 *   frames * frame_size + 4 * crc_errors + bytes_skipped + rm_wire_decoder_pending()
 * is the total (the fuzz target checks this). */
void rm_wire_decoder_feed(struct rm_wire_decoder *dec, const uint8_t *data, size_t len);

/* End of stream: bytes still held (a truncated last frame, garbage) are
 * counted as skipped. */
void rm_wire_decoder_finish(struct rm_wire_decoder *dec);

/* Forgets the seq/t_us history, e.g. after the device restarted streaming
 * (START restarts seq at 0); counters are kept. */
void rm_wire_decoder_reset_sequence(struct rm_wire_decoder *dec);

void rm_wire_decoder_stats(const struct rm_wire_decoder *dec, struct rm_wire_stats *out);

/* Bytes held back waiting for the rest of a candidate frame (less than one
 * frame). */
size_t rm_wire_decoder_pending(const struct rm_wire_decoder *dec);

#endif

/* What a mat says about itself: the 64-byte info block of
 * shared/spec/wire-protocol.md, and the few numbers derived from it. */
#ifndef RM_MAT_H
#define RM_MAT_H

#include <stddef.h>
#include <stdint.h>

#define RM_INFO_BLOCK_SIZE  64
#define RM_PROTOCOL_VERSION 1
#define RM_DEFAULT_VID      0x1209
#define RM_DEFAULT_PID      0x0001

struct rm_mat_info {
    uint16_t protocol_version;
    uint8_t rows; /* sensels along the roll axis */
    uint8_t cols; /* sensels across it */
    uint16_t pitch_row_um;
    uint16_t pitch_col_um;
    uint8_t adc_bits;
    uint8_t flags;
    uint16_t max_rate_hz;
    uint16_t rate_hz;
    char serial[17]; /* NUL terminated copies of the NUL padded fields */
    char model[17];
    char firmware[17];
};

/* Parses a received info block. Returns 0, or RM_EFORMAT (with a message
 * naming `where`) for a protocol version other than 1, a zero grid, adc_bits
 * outside 1..16, a zero pitch or a rate outside 1..max_rate_hz. */
int rm_mat_info_parse(const uint8_t block[RM_INFO_BLOCK_SIZE], const char *where,
                      struct rm_mat_info *out);

/* Encodes an info block (strings truncated to 16 bytes, NUL padded). */
void rm_mat_info_encode(const struct rm_mat_info *info, uint8_t block[RM_INFO_BLOCK_SIZE]);

#endif

/* The 64-byte info block of shared/spec/wire-protocol.md. */
#include "rm_mat.h"

#include <string.h>

#include "rm_bytes.h"
#include "rm_error.h"
#include "rm_text.h"

/* Copies a NUL padded 16-byte field into a NUL terminated string. */
static void get_text(const uint8_t *p, char out[17])
{
    size_t n = 0;
    while (n < 16 && p[n] != 0)
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    /* The device's bytes: no control character or broken UTF-8 goes on
     * to a recording, a status reply or a terminal. */
    rm_text_clean(out, 17);
}

static void put_text(uint8_t *p, const char *s)
{
    size_t n = strnlen(s, 16);
    memset(p, 0, 16);
    memcpy(p, s, n);
}

int rm_mat_info_parse(const uint8_t block[RM_INFO_BLOCK_SIZE], const char *where,
                      struct rm_mat_info *out)
{
    struct rm_mat_info info;
    memset(&info, 0, sizeof(info));
    info.protocol_version = rm_get_le16(block + 0);
    info.rows = block[2];
    info.cols = block[3];
    info.pitch_row_um = rm_get_le16(block + 4);
    info.pitch_col_um = rm_get_le16(block + 6);
    info.adc_bits = block[8];
    info.flags = block[9];
    info.max_rate_hz = rm_get_le16(block + 10);
    info.rate_hz = rm_get_le16(block + 12);
    get_text(block + 16, info.serial);
    get_text(block + 32, info.model);
    get_text(block + 48, info.firmware);

    if (info.protocol_version != RM_PROTOCOL_VERSION)
        return rm_fail(RM_EFORMAT, "%s: protocol version %u, expected %d", where,
                       info.protocol_version, RM_PROTOCOL_VERSION);
    if (info.rows == 0 || info.cols == 0)
        return rm_fail(RM_EFORMAT, "%s: empty sensel grid %ux%u", where, info.rows, info.cols);
    if (info.adc_bits < 1 || info.adc_bits > 16)
        return rm_fail(RM_EFORMAT, "%s: adc_bits %u outside 1..16", where, info.adc_bits);
    if (info.pitch_row_um == 0 || info.pitch_col_um == 0)
        return rm_fail(RM_EFORMAT, "%s: zero sensel pitch", where);
    if (info.rate_hz < 1 || info.rate_hz > info.max_rate_hz)
        return rm_fail(RM_EFORMAT, "%s: rate %u Hz outside 1..%u", where, info.rate_hz,
                       info.max_rate_hz);
    *out = info;
    return 0;
}

void rm_mat_info_encode(const struct rm_mat_info *info, uint8_t block[RM_INFO_BLOCK_SIZE])
{
    memset(block, 0, RM_INFO_BLOCK_SIZE);
    rm_put_le16(block + 0, info->protocol_version);
    block[2] = info->rows;
    block[3] = info->cols;
    rm_put_le16(block + 4, info->pitch_row_um);
    rm_put_le16(block + 6, info->pitch_col_um);
    block[8] = info->adc_bits;
    block[9] = info->flags;
    rm_put_le16(block + 10, info->max_rate_hz);
    rm_put_le16(block + 12, info->rate_hz);
    put_text(block + 16, info->serial);
    put_text(block + 32, info->model);
    put_text(block + 48, info->firmware);
}

/* Streaming frame decoder. Bytes are scanned in place where the caller's
 * piece holds whole candidates; only the tail of a piece that may start a
 * frame (less than one frame) is copied into the decoder's own buffer, which
 * therefore never holds more than two frames. */
#include "rm_wire.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rm_bytes.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "wire"

/* The grid bytes sit at offsets 12 and 13: a candidate with the wrong grid
 * is rejected as soon as they arrive, without waiting for a whole frame. */
#define GRID_END 14

struct rm_wire_decoder {
    int rows, cols;
    size_t frame_size;
    rm_wire_frame_cb cb;
    void *user;

    uint8_t *buf; /* a candidate's first bytes, held between feeds */
    size_t buf_len;
    size_t buf_cap;    /* 2 * frame_size */
    uint16_t *sensels; /* the frame handed to cb, host order */

    bool in_sequence; /* false until the first frame after new/reset */
    uint32_t last_seq32, last_t32;
    uint64_t seq64, t64;

    struct rm_wire_stats stats;
};

int rm_wire_decoder_new(struct rm_wire_decoder **out, int rows, int cols, rm_wire_frame_cb cb,
                        void *user)
{
    *out = NULL;
    if (rows < 1 || rows > 255 || cols < 1 || cols > 255 || !cb)
        return rm_fail(RM_EUSAGE, "wire decoder: invalid grid %dx%d", rows, cols);
    /* Owned by the caller until rm_wire_decoder_free(). */
    struct rm_wire_decoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return RM_ENOMEM;
    dec->rows = rows;
    dec->cols = cols;
    dec->frame_size = rm_wire_frame_size(rows, cols);
    dec->cb = cb;
    dec->user = user;
    dec->buf_cap = 2 * dec->frame_size;
    dec->buf = malloc(dec->buf_cap);
    dec->sensels = malloc(sizeof(uint16_t) * (size_t)rows * (size_t)cols);
    if (!dec->buf || !dec->sensels) {
        rm_wire_decoder_free(dec);
        return RM_ENOMEM;
    }
    *out = dec;
    return 0;
}

void rm_wire_decoder_free(struct rm_wire_decoder *dec)
{
    if (!dec)
        return;
    free(dec->buf);
    free(dec->sensels);
    free(dec);
}

/* Unwraps seq and t_us. Deltas are taken as signed 32-bit numbers: a step
 * forward of up to 2^31 is a wrap or a gap, anything else means the
 * sequence restarted. */
static void unwrap(struct rm_wire_decoder *dec, uint32_t seq32, uint32_t t32, struct rm_frame *f)
{
    f->sequence_start = false;
    if (dec->in_sequence) {
        int64_t dseq = (int32_t)(seq32 - dec->last_seq32);
        if (dseq >= 1) {
            dec->stats.frames_dropped += (uint64_t)(dseq - 1);
            dec->seq64 += (uint64_t)dseq;
            /* A clock stepping back is kept as is: the session refuses
             * frames whose time does not increase. */
            dec->t64 += (uint64_t)(int64_t)(int32_t)(t32 - dec->last_t32);
        } else {
            dec->stats.seq_restarts++;
            rm_warn("frame counter went from %u to %u: device restarted its sequence",
                    dec->last_seq32, seq32);
            dec->in_sequence = false;
        }
    }
    if (!dec->in_sequence) {
        dec->seq64 = seq32;
        dec->t64 = t32;
        dec->in_sequence = true;
        f->sequence_start = true;
    }
    dec->last_seq32 = seq32;
    dec->last_t32 = t32;
    f->seq = dec->seq64;
    f->t_us = dec->t64;
}

static void deliver(struct rm_wire_decoder *dec, const uint8_t *p)
{
    struct rm_frame f;
    size_t n = (size_t)dec->rows * (size_t)dec->cols;
    const uint8_t *s = p + RM_WIRE_HEADER_SIZE;
    for (size_t i = 0; i < n; i++)
        dec->sensels[i] = rm_get_le16(s + 2 * i);
    unwrap(dec, rm_get_le32(p + 4), rm_get_le32(p + 8), &f);
    f.flags = rm_get_le16(p + 14);
    f.rows = dec->rows;
    f.cols = dec->cols;
    f.sensels = dec->sensels;
    dec->stats.frames++;
    dec->cb(dec->user, &f);
}

/* Length of the longest suffix of p[0..n) that is a proper prefix of the
 * magic: those bytes may begin a frame completed by the next piece. */
static size_t magic_prefix_tail(const uint8_t *p, size_t n)
{
    for (size_t k = 3; k > 0; k--)
        if (n >= k && memcmp(p + n - k, RM_WIRE_MAGIC, k) == 0)
            return k;
    return 0;
}

static const uint8_t *find_magic(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (n >= 4) {
        const uint8_t *r = memchr(p, RM_WIRE_MAGIC[0], n - 3);
        if (!r)
            return NULL;
        if (memcmp(r, RM_WIRE_MAGIC, 4) == 0)
            return r;
        p = r + 1;
        n = (size_t)(end - p);
    }
    return NULL;
}

/* Scans p[0..n) and returns how many bytes are settled: the rest (less than
 * one frame) may be the start of a frame and must be seen again with more
 * bytes after it. */
static size_t scan(struct rm_wire_decoder *dec, const uint8_t *p, size_t n)
{
    size_t pos = 0;
    for (;;) {
        const uint8_t *m = find_magic(p + pos, n - pos);
        if (!m) {
            size_t keep = magic_prefix_tail(p + pos, n - pos);
            dec->stats.bytes_skipped += n - pos - keep;
            return n - keep;
        }
        size_t at = (size_t)(m - p);
        dec->stats.bytes_skipped += at - pos;
        pos = at;
        if (n - pos < GRID_END)
            return pos;
        if (p[pos + 12] != dec->rows || p[pos + 13] != dec->cols) {
            dec->stats.crc_errors++;
            rm_dbg("candidate with grid %ux%u, expected %dx%d", p[pos + 12], p[pos + 13], dec->rows,
                   dec->cols);
            pos += 4;
            continue;
        }
        if (n - pos < dec->frame_size)
            return pos;
        size_t body = dec->frame_size - RM_WIRE_CRC_SIZE;
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), p + pos, (uInt)body);
        if (crc != rm_get_le32(p + pos + body)) {
            dec->stats.crc_errors++;
            rm_dbg("candidate with bad CRC");
            pos += 4;
            continue;
        }
        deliver(dec, p + pos);
        pos += dec->frame_size;
    }
}

void rm_wire_decoder_feed(struct rm_wire_decoder *dec, const uint8_t *data, size_t len)
{
    while (len > 0) {
        if (dec->buf_len == 0) {
            size_t done = scan(dec, data, len);
            size_t rest = len - done;
            assert(rest < dec->frame_size);
            memcpy(dec->buf, data + done, rest);
            dec->buf_len = rest;
            return;
        }
        /* Complete the held candidate with up to one frame of new bytes. */
        size_t old = dec->buf_len;
        assert(old < dec->frame_size);
        size_t add = len < dec->frame_size ? len : dec->frame_size;
        memcpy(dec->buf + old, data, add);
        dec->buf_len = old + add;
        data += add;
        len -= add;
        size_t done = scan(dec, dec->buf, dec->buf_len);
        if (done >= old) {
            /* What is left came from the caller's piece: scan it there. */
            size_t back = dec->buf_len - done;
            data -= back;
            len += back;
            dec->buf_len = 0;
        } else {
            memmove(dec->buf, dec->buf + done, dec->buf_len - done);
            dec->buf_len -= done;
        }
    }
}

void rm_wire_decoder_finish(struct rm_wire_decoder *dec)
{
    dec->stats.bytes_skipped += dec->buf_len;
    dec->buf_len = 0;
}

void rm_wire_decoder_reset_sequence(struct rm_wire_decoder *dec)
{
    dec->in_sequence = false;
}

void rm_wire_decoder_stats(const struct rm_wire_decoder *dec, struct rm_wire_stats *out)
{
    *out = dec->stats;
}

size_t rm_wire_decoder_pending(const struct rm_wire_decoder *dec)
{
    return dec->buf_len;
}

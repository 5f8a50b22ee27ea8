/* The wire codec against shared/spec/wire-protocol.md: round trips fed in
 * pieces of every awkward size, and exact counters for each way a stream
 * goes wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rm_error.h"
#include "rm_wire.h"

#define ROWS       8
#define COLS       5
#define MAX_FRAMES 64

/* What the callback saw. */
struct seen {
    size_t n;
    uint64_t seq[MAX_FRAMES];
    uint64_t t_us[MAX_FRAMES];
    uint16_t flags[MAX_FRAMES];
    bool start[MAX_FRAMES];
    uint16_t sensels[MAX_FRAMES][ROWS * COLS];
};

static void on_frame(void *user, const struct rm_frame *f)
{
    struct seen *s = user;
    assert_int_equal(f->rows, ROWS);
    assert_int_equal(f->cols, COLS);
    assert_true(s->n < MAX_FRAMES);
    s->seq[s->n] = f->seq;
    s->t_us[s->n] = f->t_us;
    s->flags[s->n] = f->flags;
    s->start[s->n] = f->sequence_start;
    memcpy(s->sensels[s->n], f->sensels, sizeof(s->sensels[0]));
    s->n++;
}

/* A growing byte stream built frame by frame. */
struct stream {
    uint8_t *bytes;
    size_t len;
};

static void append(struct stream *st, const void *p, size_t n)
{
    st->bytes = realloc(st->bytes, st->len + n);
    assert_non_null(st->bytes);
    memcpy(st->bytes + st->len, p, n);
    st->len += n;
}

static void sensels_for(uint32_t seq, uint16_t *out)
{
    for (int i = 0; i < ROWS * COLS; i++)
        out[i] = (uint16_t)(seq * 977u + (uint32_t)i * 131u);
}

/* Appends frame seq with t_us = t; returns its offset in the stream. */
static size_t append_frame(struct stream *st, uint32_t seq, uint32_t t, uint16_t flags)
{
    uint16_t s[ROWS * COLS];
    uint8_t buf[4096];
    sensels_for(seq, s);
    size_t n = rm_wire_encode_frame(buf, seq, t, ROWS, COLS, flags, s);
    assert_int_equal(n, rm_wire_frame_size(ROWS, COLS));
    size_t at = st->len;
    append(st, buf, n);
    return at;
}

static const size_t FS = 16 + 2 * ROWS * COLS + 4;

/* Decodes a whole stream fed in pieces of `piece` bytes (0: random sizes
 * 1..300), finishes it and returns the stats. */
static struct rm_wire_stats decode(const struct stream *st, size_t piece, struct seen *seen)
{
    struct rm_wire_decoder *dec;
    memset(seen, 0, sizeof(*seen));
    assert_int_equal(rm_wire_decoder_new(&dec, ROWS, COLS, on_frame, seen), 0);
    unsigned rnd = 12345;
    size_t off = 0;
    while (off < st->len) {
        size_t n = piece;
        if (n == 0) {
            rnd = rnd * 1103515245u + 12345u;
            n = 1 + (rnd >> 16) % 300;
        }
        if (n > st->len - off)
            n = st->len - off;
        rm_wire_decoder_feed(dec, st->bytes + off, n);
        off += n;
        /* Bounded buffer: never more than a frame held back. */
        assert_true(rm_wire_decoder_pending(dec) < FS);
    }
    rm_wire_decoder_finish(dec);
    assert_int_equal(rm_wire_decoder_pending(dec), 0);
    struct rm_wire_stats stats;
    rm_wire_decoder_stats(dec, &stats);
    rm_wire_decoder_free(dec);
    /* Every byte is a frame's, a rejected candidate's magic, or skipped. */
    assert_int_equal(stats.frames * FS + 4 * stats.crc_errors + stats.bytes_skipped, st->len);
    assert_int_equal(stats.frames, seen->n);
    return stats;
}

static const size_t PIECES[] = {1, 2, 3, 7, 13, 97, 4099, 0, SIZE_MAX};

static void expect_frame(const struct seen *s, size_t i, uint64_t seq, uint64_t t)
{
    uint16_t want[ROWS * COLS];
    sensels_for((uint32_t)seq, want);
    assert_int_equal(s->seq[i], seq);
    assert_int_equal(s->t_us[i], t);
    assert_memory_equal(s->sensels[i], want, sizeof(want));
}

static void test_golden_frame(void **state)
{
    (void)state;
    /* A 1x1 frame, bytes and CRC computed independently (python zlib). */
    const uint8_t want[] = {'R', 'M', 'F', '1', 1, 0,    0,    0,    2,    0,    0,
                            0,   1,   1,   2,   0, 0x34, 0x12, 0x1d, 0x2a, 0xf6, 0x3c};
    uint16_t v = 0x1234;
    uint8_t out[sizeof(want)];
    assert_int_equal(rm_wire_frame_size(1, 1), sizeof(want));
    assert_int_equal(rm_wire_encode_frame(out, 1, 2, 1, 1, RM_FRAME_SATURATED, &v), sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(rm_wire_frame_size(64, 32), 4116);
}

static void test_round_trip_any_piece_size(void **state)
{
    (void)state;
    struct stream st = {0};
    for (uint32_t i = 0; i < 40; i++)
        append_frame(&st, 100 + i, 5000 + i * 10000, i % 3 == 0 ? RM_FRAME_OVERRUN : 0);
    for (size_t k = 0; k < sizeof(PIECES) / sizeof(PIECES[0]); k++) {
        struct seen seen;
        struct rm_wire_stats s = decode(&st, PIECES[k], &seen);
        assert_int_equal(s.frames, 40);
        assert_int_equal(s.crc_errors, 0);
        assert_int_equal(s.bytes_skipped, 0);
        assert_int_equal(s.frames_dropped, 0);
        for (uint32_t i = 0; i < 40; i++) {
            expect_frame(&seen, i, 100 + i, 5000 + i * 10000);
            assert_int_equal(seen.flags[i], i % 3 == 0 ? RM_FRAME_OVERRUN : 0);
            assert_int_equal(seen.start[i], i == 0);
        }
    }
    free(st.bytes);
}

static void test_corrupt_crc(void **state)
{
    (void)state;
    struct stream st = {0};
    size_t at[10];
    for (uint32_t i = 0; i < 10; i++)
        at[i] = append_frame(&st, i, i * 10000, 0);
    st.bytes[at[3] + 20] ^= 0x01;     /* a sensel bit */
    st.bytes[at[7] + FS - 1] ^= 0x80; /* the CRC itself */
    for (size_t k = 0; k < sizeof(PIECES) / sizeof(PIECES[0]); k++) {
        struct seen seen;
        struct rm_wire_stats s = decode(&st, PIECES[k], &seen);
        assert_int_equal(s.frames, 8);
        assert_int_equal(s.crc_errors, 2);
        assert_int_equal(s.frames_dropped, 2);
        assert_int_equal(s.bytes_skipped, 2 * (FS - 4));
        size_t j = 0;
        for (uint32_t i = 0; i < 10; i++)
            if (i != 3 && i != 7)
                expect_frame(&seen, j++, i, i * 10000);
    }
    free(st.bytes);
}

static void test_wrong_grid(void **state)
{
    (void)state;
    struct stream st = {0};
    append_frame(&st, 0, 0, 0);
    /* A frame of another mat (transposed grid), CRC intact. */
    uint16_t s[ROWS * COLS] = {0};
    uint8_t other[4096];
    size_t n = rm_wire_encode_frame(other, 1, 10000, COLS, ROWS, 0, s);
    append(&st, other, n);
    append_frame(&st, 1, 10000, 0);
    for (size_t k = 0; k < sizeof(PIECES) / sizeof(PIECES[0]); k++) {
        struct seen seen;
        struct rm_wire_stats r = decode(&st, PIECES[k], &seen);
        assert_int_equal(r.frames, 2);
        assert_int_equal(r.crc_errors, 1);
        assert_int_equal(r.bytes_skipped, n - 4);
        assert_int_equal(r.frames_dropped, 0);
        expect_frame(&seen, 1, 1, 10000);
    }
    free(st.bytes);
}

static void test_truncated_frames(void **state)
{
    (void)state;
    struct stream st = {0};
    append_frame(&st, 0, 0, 0);
    size_t cut = append_frame(&st, 1, 10000, 0);
    st.len = cut + FS / 2; /* frame 1 lost its second half */
    append_frame(&st, 2, 20000, 0);
    size_t last = append_frame(&st, 3, 30000, 0);
    st.len = last + FS - 9; /* the stream ends inside frame 3 */
    for (size_t k = 0; k < sizeof(PIECES) / sizeof(PIECES[0]); k++) {
        struct seen seen;
        struct rm_wire_stats r = decode(&st, PIECES[k], &seen);
        assert_int_equal(r.frames, 2);
        assert_int_equal(r.crc_errors, 1);
        assert_int_equal(r.frames_dropped, 1);
        assert_int_equal(r.bytes_skipped, (FS / 2 - 4) + (FS - 9));
        expect_frame(&seen, 0, 0, 0);
        expect_frame(&seen, 1, 2, 20000);
    }
    free(st.bytes);
}

static void test_garbage_between_frames(void **state)
{
    (void)state;
    struct stream st = {0};
    const uint8_t junk1[] = {0, 1, 2, 'R', 'R', 'M', 0xff, 'R', 'M', 'F'};
    const uint8_t fake[] = {'R', 'M', 'F', '1', 9, 9, 9}; /* magic, then rubbish */
    append(&st, junk1, sizeof(junk1));
    append_frame(&st, 0, 0, 0);
    append(&st, fake, sizeof(fake));
    append_frame(&st, 1, 10000, 0);
    append(&st, "RM", 2);
    append_frame(&st, 2, 20000, 0);
    append(&st, "RMF", 3); /* trailing magic prefix: skipped at finish */
    for (size_t k = 0; k < sizeof(PIECES) / sizeof(PIECES[0]); k++) {
        struct seen seen;
        struct rm_wire_stats r = decode(&st, PIECES[k], &seen);
        assert_int_equal(r.frames, 3);
        assert_int_equal(r.crc_errors, 1);
        assert_int_equal(r.bytes_skipped, sizeof(junk1) + (sizeof(fake) - 4) + 2 + 3);
        assert_int_equal(r.frames_dropped, 0);
        for (uint32_t i = 0; i < 3; i++)
            expect_frame(&seen, i, i, i * 10000);
    }
    free(st.bytes);
}

static void test_seq_and_clock_wrap(void **state)
{
    (void)state;
    struct stream st = {0};
    uint32_t seq0 = UINT32_MAX - 2;
    uint32_t t0 = UINT32_MAX - 25000;
    for (uint32_t i = 0; i < 6; i++)
        append_frame(&st, seq0 + i, t0 + i * 10000, 0);
    struct seen seen;
    struct rm_wire_stats r = decode(&st, 0, &seen);
    assert_int_equal(r.frames, 6);
    assert_int_equal(r.frames_dropped, 0);
    for (uint32_t i = 0; i < 6; i++) {
        assert_int_equal(seen.seq[i], (uint64_t)seq0 + i);
        assert_int_equal(seen.t_us[i], (uint64_t)t0 + i * 10000ull);
    }
    assert_true(seen.seq[5] > UINT32_MAX);
    assert_true(seen.t_us[5] > UINT32_MAX);
    free(st.bytes);
}

static void test_seq_gaps(void **state)
{
    (void)state;
    struct stream st = {0};
    const uint32_t seqs[] = {0, 1, 5, 6, 10, UINT32_MAX, 3};
    /* the jump 10 -> 2^32 - 1 is a forward jump of 2^32 - 11: not < 2^31,
     * so it is a restart; 2^32 - 1 -> 3 wraps forward by 4. */
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        append_frame(&st, seqs[i], seqs[i] * 1000u, 0);
    struct seen seen;
    struct rm_wire_stats r = decode(&st, 0, &seen);
    assert_int_equal(r.frames, 7);
    assert_int_equal(r.frames_dropped, 3 + 3 + 3);
    assert_int_equal(r.seq_restarts, 1);
    assert_int_equal(seen.seq[4], 10);
    assert_true(seen.start[5]);
    assert_int_equal(seen.seq[5], UINT32_MAX);
    assert_int_equal(seen.seq[6], (uint64_t)UINT32_MAX + 4);
    free(st.bytes);
}

static void test_reset_sequence(void **state)
{
    (void)state;
    struct stream a = {0}, b = {0};
    for (uint32_t i = 0; i < 3; i++) {
        append_frame(&a, 500 + i, 900000 + i * 10000, 0);
        append_frame(&b, i, i * 10000, 0);
    }
    struct seen seen;
    memset(&seen, 0, sizeof(seen));
    struct rm_wire_decoder *dec;
    assert_int_equal(rm_wire_decoder_new(&dec, ROWS, COLS, on_frame, &seen), 0);
    rm_wire_decoder_feed(dec, a.bytes, a.len);
    rm_wire_decoder_reset_sequence(dec);
    rm_wire_decoder_feed(dec, b.bytes, b.len);
    struct rm_wire_stats r;
    rm_wire_decoder_stats(dec, &r);
    assert_int_equal(r.frames, 6);
    assert_int_equal(r.frames_dropped, 0);
    assert_int_equal(r.seq_restarts, 0);
    assert_true(seen.start[0]);
    assert_false(seen.start[1]);
    assert_true(seen.start[3]);
    assert_int_equal(seen.seq[3], 0);
    assert_int_equal(seen.t_us[3], 0);
    assert_int_equal(seen.seq[5], 2);
    rm_wire_decoder_free(dec);
    free(a.bytes);
    free(b.bytes);
}

static void test_decoder_rejects_bad_grid(void **state)
{
    (void)state;
    struct rm_wire_decoder *dec = (void *)1;
    struct seen seen;
    assert_int_equal(rm_wire_decoder_new(&dec, 0, 4, on_frame, &seen), RM_EUSAGE);
    assert_null(dec);
    assert_int_equal(rm_wire_decoder_new(&dec, 4, 256, on_frame, &seen), RM_EUSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_frame),       cmocka_unit_test(test_round_trip_any_piece_size),
        cmocka_unit_test(test_corrupt_crc),        cmocka_unit_test(test_wrong_grid),
        cmocka_unit_test(test_truncated_frames),   cmocka_unit_test(test_garbage_between_frames),
        cmocka_unit_test(test_seq_and_clock_wrap), cmocka_unit_test(test_seq_gaps),
        cmocka_unit_test(test_reset_sequence),     cmocka_unit_test(test_decoder_rejects_bad_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

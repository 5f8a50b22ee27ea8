/* The reference firmware's commands, checked in simulated time with the
 * harness as the host (no pty, no rollmat): I answers a valid info block
 * with the serial from EEPROM; S streams frames whose CRC is zlib's, whose
 * seq counts from 0, whose counts are what the ADC was fed (within 1) at
 * the addressed sensels, at 50 frames per simulated second; R changes the
 * rate (and ignores rates out of range); X stops the stream after the
 * frame on the line; S after X starts over at seq 0; noise bytes are
 * ignored. Prints one line per check; exit 0 when all passed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim_mat16.h"
#include "sim_pattern.h"

#define FRAME_SIZE (16 + 2 * SIM_SENSELS + 4)
#define INFO_REPLY (4 + 64 + 4)

static int failures;

static void check(int ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void check(int ok, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: %s: ", ok ? "ok" : "FAIL", what);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void cmd(struct sim_mat *s, const char *bytes, size_t n, double run_s)
{
    s->out_len = 0;
    sim_send(s, (const uint8_t *)bytes, n);
    if (sim_run_until(s, sim_time_s(s) + run_s) < 0)
        exit(1);
}

struct info {
    int ok, version, rows, cols, adc_bits, max_rate, rate;
    char serial[17], model[17];
};

static struct info ask_info(struct sim_mat *s)
{
    struct info in = {0};
    cmd(s, "I", 1, 0.005);
    if (s->out_len != INFO_REPLY || memcmp(s->out, "RMI1", 4) != 0)
        return in;
    const uint8_t *b = s->out + 4;
    in.ok = le32(s->out + 68) == (uint32_t)crc32(0, s->out, 68);
    in.version = le16(b);
    in.rows = b[2];
    in.cols = b[3];
    in.adc_bits = b[8];
    in.max_rate = le16(b + 10);
    in.rate = le16(b + 12);
    memcpy(in.serial, b + 16, 16);
    memcpy(in.model, b + 32, 16);
    return in;
}

struct stream {
    int frames, bad_crc, bad_seq, max_diff;
    uint32_t first_seq;
    double period_us; /* mean t_us step */
};

/* Checks the frames in out[] since `from`; seq must follow on from seq0. */
static struct stream read_stream(const struct sim_mat *s, uint32_t seq0, int compare_fed)
{
    struct stream st = {0};
    uint32_t t_first = 0, t_last = 0;
    for (size_t pos = 0; pos + FRAME_SIZE <= s->out_len; pos += FRAME_SIZE) {
        const uint8_t *f = s->out + pos;
        if (memcmp(f, "RMF1", 4) != 0 ||
            le32(f + FRAME_SIZE - 4) != (uint32_t)crc32(0, f, FRAME_SIZE - 4)) {
            st.bad_crc++;
            continue;
        }
        uint32_t seq = le32(f + 4), t = le32(f + 8);
        if (st.frames == 0) {
            st.first_seq = seq;
            t_first = t;
        }
        st.bad_seq += seq != seq0 + (uint32_t)st.frames;
        t_last = t;
        st.frames++;
        if (!compare_fed || seq >= s->fed_frames)
            continue;
        for (int i = 0; i < SIM_SENSELS; i++) {
            int d = abs((int)le16(f + 16 + 2 * i) - (int)s->fed[(size_t)seq * SIM_SENSELS + i]);
            if (d > st.max_diff)
                st.max_diff = d;
        }
    }
    if (st.frames > 1)
        st.period_us = (double)(uint32_t)(t_last - t_first) / (st.frames - 1);
    return st;
}

int sim_selftest(struct sim_mat *s, const char *serial)
{
    if (sim_run_until(s, 0.010) < 0) /* boot */
        return 1;
    cmd(s, "X", 1, 0.005);
    check(s->out_len == 0, "idle", "%zu bytes sent before any command", s->out_len);

    struct info in = ask_info(s);
    check(in.ok && in.version == 1 && in.rows == 16 && in.cols == 16 && in.adc_bits == 10 &&
              in.rate == 50 && in.max_rate >= 50 && strcmp(in.model, "avr-mat16") == 0,
          "I", "crc %s, v%d %dx%d, %d bits, %d of max %d Hz, model %s", in.ok ? "good" : "bad",
          in.version, in.rows, in.cols, in.adc_bits, in.rate, in.max_rate, in.model);
    if (serial)
        check(strcmp(in.serial, serial) == 0, "serial from EEPROM", "%s", in.serial);

    /* S: two simulated seconds at 50 Hz. */
    cmd(s, "S", 1, 2.0);
    struct stream st = read_stream(s, 0, 1);
    check(st.frames >= 99 && st.bad_crc == 0 && st.bad_seq == 0 && st.first_seq == 0, "S",
          "%d frames in 2 s, %d bad CRC, %d out of sequence, first seq %u", st.frames, st.bad_crc,
          st.bad_seq, st.first_seq);
    check(st.period_us > 0 && 1e6 / st.period_us >= 50.0 - 1e-3, "50 Hz",
          "%.3f frames per simulated second (mean step %.1f us)", 1e6 / st.period_us, st.period_us);
    check(st.max_diff <= 1, "counts", "largest difference from the fed pattern: %d", st.max_diff);

    /* R while streaming: the next frames come at the new rate. */
    uint8_t r60[3] = {'R', 60, 0};
    cmd(s, (const char *)r60, 3, 0.1);
    s->out_len = 0;
    if (sim_run_until(s, sim_time_s(s) + 1.0) < 0)
        return 1;
    /* The first byte may be mid-frame: realign on the magic. */
    size_t skip = 0;
    while (skip + 4 <= s->out_len && memcmp(s->out + skip, "RMF1", 4) != 0)
        skip++;
    memmove(s->out, s->out + skip, s->out_len - skip);
    s->out_len -= skip;
    st = read_stream(s, le32(s->out + 4), 1);
    check(st.frames >= 58 && st.bad_crc == 0 && st.bad_seq == 0 && st.max_diff <= 1 &&
              st.period_us > 0 && 1e6 / st.period_us >= 60.0 - 1e-3,
          "R 60", "%d frames in 1 s, %.3f Hz, %d bad CRC, %d out of sequence, diff %d", st.frames,
          1e6 / st.period_us, st.bad_crc, st.bad_seq, st.max_diff);

    /* X while a frame is on the line: that frame is finished whole (its
     * CRC good), then silence. */
    s->out_len = 0;
    while (s->out_len < 100 || memcmp(s->out, "RMF1", 4) != 0) {
        if (s->out_len > 0 && s->out[0] != 'R')
            s->out_len = 0; /* the tail of an earlier frame: wait for a start */
        if (sim_run_until(s, sim_time_s(s) + 20e-6) < 0)
            return 1;
    }
    size_t at_x = s->out_len;
    sim_send(s, (const uint8_t *)"X", 1);
    if (sim_run_until(s, sim_time_s(s) + 0.030) < 0)
        return 1;
    size_t tail = s->out_len;
    st = read_stream(s, le32(s->out + 4), 0);
    s->out_len = 0;
    if (sim_run_until(s, sim_time_s(s) + 0.5) < 0)
        return 1;
    check(tail == FRAME_SIZE && st.frames == 1 && st.bad_crc == 0 && s->out_len == 0, "X",
          "X at byte %zu of a frame: %zu bytes ended it (%d good), %zu came after", at_x, tail,
          st.frames, s->out_len);

    /* Out-of-range rates and noise are ignored; the rate stays 60. */
    uint8_t r0[3] = {'R', 0, 0}, r1000[3] = {'R', 0xe8, 0x03};
    cmd(s, (const char *)r0, 3, 0.002);
    cmd(s, (const char *)r1000, 3, 0.002);
    cmd(s, "\r\nZ?", 4, 0.002);
    in = ask_info(s);
    check(in.ok && in.rate == 60, "R out of range", "rate %d after R 0, R 1000 and noise", in.rate);

    /* S again: seq starts over. */
    cmd(s, "S", 1, 0.5);
    st = read_stream(s, 0, 1);
    check(st.frames >= 28 && st.first_seq == 0 && st.bad_seq == 0 && st.bad_crc == 0 &&
              st.max_diff <= 1,
          "S again", "%d frames, first seq %u, %d out of sequence", st.frames, st.first_seq,
          st.bad_seq);
    printf("%s: %d failed\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}

/* The recording pipeline end to end through real files: captures made with
 * the encoder, replayed by the file backend (and by a scripted backend for
 * what a file cannot do: disconnects, bursts), written by the real HDF5
 * writer and read back by the real reader. */
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "capture_gen.h"
#include "device_backend.h"
#include "rm_error.h"
#include "rm_recording.h"
#include "rm_session.h"
#include "rm_wire.h"
#include "testlib.h"

#define WAIT_S 60.0

/* Records the whole of a device into path; returns rm_session_stop()'s code. */
static int record_all(struct rm_device *dev, const char *path, const struct rm_session_opts *o)
{
    struct rm_session *s;
    assert_int_equal(rm_session_new(&s, dev, path, NULL, o), 0);
    assert_int_equal(rm_session_start(s), 0);
    assert_int_equal(rm_session_wait(s, WAIT_S), 0);
    int rc = rm_session_stop(s);
    rm_session_free(s);
    return rc;
}

/* Checks that the recording holds exactly the generated frames (with
 * `noise`) whose index is not in skip[], bit for bit, with /t and /seq from
 * the device. */
static void expect_noisy_frames(const char *path, long frames, int rows, int cols, int rate,
                                double noise, const long *skip, int nskip)
{
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_true(rm_rec_complete(r));
    assert_int_equal(rm_rec_meta(r)->rows, rows);
    assert_int_equal(rm_rec_meta(r)->cols, cols);
    int64_t n = rm_rec_frames(r);
    assert_int_equal(n, frames - nskip);
    size_t elems = (size_t)rows * (size_t)cols;
    uint16_t *f = malloc((size_t)n * elems * sizeof(uint16_t));
    double *t = malloc((size_t)n * sizeof(double));
    uint64_t *seq = malloc((size_t)n * sizeof(uint64_t));
    assert_true(f && t && seq);
    assert_int_equal(rm_rec_read_frames(r, 0, n, f), 0);
    assert_int_equal(rm_rec_read_t(r, 0, n, t), 0);
    assert_int_equal(rm_rec_read_seq(r, 0, n, seq), 0);
    int64_t j = 0;
    for (long k = 0; k < frames; k++) {
        bool skipped = false;
        for (int i = 0; i < nskip; i++)
            skipped |= skip[i] == k;
        if (skipped)
            continue;
        assert_int_equal(seq[j], (uint64_t)k);
        double want_t = (double)((uint64_t)k * 1000000u / (uint64_t)rate) * 1e-6;
        assert_true(t[j] > want_t - 1e-9 && t[j] < want_t + 1e-9);
        for (size_t i = 0; i < elems; i++)
            if (f[(size_t)j * elems + i] !=
                rm_gen_sensel_noisy((uint64_t)k, (int)i, rows, cols, noise))
                fail_msg("frame %ld sensel %zu differs", k, i);
        j++;
    }
    free(f);
    free(t);
    free(seq);
    rm_rec_reader_close(r);
}

static void expect_frames(const char *path, long frames, int rows, int cols, int rate,
                          const long *skip, int nskip)
{
    expect_noisy_frames(path, frames, rows, cols, rate, 0.0, skip, nskip);
}

/* A mat's sensor noise through the whole pipeline: chunks compressed on the
 * writer's compression threads (one per core) and written with
 * H5Dwrite_chunk, a last chunk of 23 frames, two frames lost to CRC errors,
 * and every other frame back bit for bit through the project's reader, at
 * the default level and at 6. */
static void test_noisy_replay_is_bit_exact(void **state)
{
    (void)state;
    const char *cap = rm_test_path("noisy.rmw");
    const long bad[] = {7, 555};
    assert_int_equal(rm_gen_capture_noisy(cap, 1273, 64, 32, 100, 1.5, bad, 2), 0);
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s", cap);
    for (int level = 1; level <= 6; level += 5) {
        const char *out = rm_test_path(level == 1 ? "noisy-1.h5" : "noisy-6.h5");
        struct rm_device *dev;
        assert_int_equal(rm_device_open(&dev, spec, NULL), 0);
        struct rm_session_opts o = RM_SESSION_OPTS_DEFAULT;
        o.compression = level;
        assert_int_equal(record_all(dev, out, &o), 0);
        rm_device_close(dev);
        expect_noisy_frames(out, 1273, 64, 32, 100, 1.5, bad, 2);
        struct rm_rec_reader *r;
        assert_int_equal(rm_rec_reader_open(&r, out), 0);
        assert_int_equal(rm_rec_counters(r)->crc_errors, 2);
        assert_int_equal(rm_rec_chunk_frames(r), 50);
        rm_rec_reader_close(r);
    }
}

static void test_replay_is_bit_exact(void **state)
{
    (void)state;
    const char *cap = rm_test_path("exact.rmw");
    const char *out = rm_test_path("exact.h5");
    assert_int_equal(rm_gen_capture(cap, 700, 64, 32, 100, NULL, 0), 0);
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s", cap);
    struct rm_device *dev;
    struct rm_device_opts dopts = {0};
    assert_int_equal(rm_device_open(&dev, spec, &dopts), 0);
    assert_false(rm_device_paced(dev));
    struct rm_session_opts o = RM_SESSION_OPTS_DEFAULT;
    assert_int_equal(record_all(dev, out, &o), 0);
    rm_device_close(dev);
    expect_frames(out, 700, 64, 32, 100, NULL, 0);

    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, out), 0);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->frames_dropped, 0);
    assert_int_equal(c->crc_errors, 0);
    assert_int_equal(c->bytes_skipped, 0);
    assert_int_equal(c->disconnects, 0);
    assert_string_equal(rm_rec_meta(r)->device_serial, "GEN-0001");
    assert_true(rm_rec_meta(r)->pitch_row_mm == 7.5);
    assert_true(rm_rec_meta(r)->rate_hz == 100.0);
    rm_rec_reader_close(r);
}

static void test_corrupt_frames_are_counted(void **state)
{
    (void)state;
    const char *cap = rm_test_path("corrupt.rmw");
    const char *out = rm_test_path("corrupt.h5");
    const long bad[] = {10, 251};
    assert_int_equal(rm_gen_capture(cap, 400, 16, 8, 100, bad, 2), 0);
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s", cap);
    struct rm_device *dev;
    assert_int_equal(rm_device_open(&dev, spec, NULL), 0);
    assert_int_equal(record_all(dev, out, NULL), 0);
    rm_device_close(dev);
    expect_frames(out, 400, 16, 8, 100, bad, 2);

    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, out), 0);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->crc_errors, 2);
    assert_int_equal(c->frames_dropped, 2);
    assert_int_equal(c->bytes_skipped, 2 * (rm_wire_frame_size(16, 8) - 4));
    rm_rec_reader_close(r);
}

static void test_duration_and_events(void **state)
{
    (void)state;
    const char *cap = rm_test_path("dur.rmw");
    const char *out = rm_test_path("dur.h5");
    assert_int_equal(rm_gen_capture(cap, 500, 8, 4, 100, NULL, 0), 0);
    char spec[4200];
    snprintf(spec, sizeof(spec), "file:%s", cap);
    struct rm_device *dev;
    assert_int_equal(rm_device_open(&dev, spec, NULL), 0);
    struct rm_session_opts o = RM_SESSION_OPTS_DEFAULT;
    o.duration_s = 2.0;
    struct rm_session *s;
    assert_int_equal(rm_session_new(&s, dev, out, NULL, &o), 0);
    /* Before the first frame, an event is at t = 0. */
    assert_int_equal(rm_session_event(s, "segment_start", "calf-left"), 0);
    assert_int_equal(rm_session_event(s, "mark", "x"), 0);
    char too_long[80];
    memset(too_long, 'a', sizeof(too_long) - 1);
    too_long[79] = '\0';
    assert_int_equal(rm_session_event(s, "mark", too_long), RM_EUSAGE);
    assert_int_equal(rm_session_event(s, "a_kind_too_long_", "x"), 0); /* 16 bytes fit */
    assert_int_equal(rm_session_event(s, "a_kind_too_long__", "x"), RM_EUSAGE);
    assert_int_equal(rm_session_start(s), 0);
    assert_int_equal(rm_session_wait(s, WAIT_S), 0);
    struct rm_session_status st;
    rm_session_status(s, &st);
    assert_int_equal(st.state, RM_SESSION_ENDED);
    assert_int_equal(st.frames, 200);
    assert_int_equal(rm_session_stop(s), 0);
    rm_session_free(s);
    rm_device_close(dev);

    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, out), 0);
    assert_int_equal(rm_rec_frames(r), 200); /* t = 0.00 .. 1.99 */
    assert_int_equal(rm_rec_nevents(r), 3);
    const struct rm_event *e = rm_rec_events(r);
    assert_string_equal(e[0].kind, "segment_start");
    assert_string_equal(e[0].label, "calf-left");
    assert_true(e[0].t == 0.0);
    assert_string_equal(e[1].kind, "mark");
    rm_rec_reader_close(r);
}

/* ---- a scripted backend: bursts of frames, a disconnect, a restart ---- */

struct script_dev {
    int rows, cols;
    const struct rm_device_callbacks *cb;
    pthread_t thread;
    int scenario; /* 0: disconnect and restart; 1: one huge burst; 2: bad clock;
                     3: 30 frames, then silence until stopped; 4: a late frame,
                     then disconnect and restart */
    atomic_bool stop;
};

static void emit_frames(struct script_dev *d, uint32_t seq0, uint32_t t0_us, int n)
{
    size_t fs = rm_wire_frame_size(d->rows, d->cols);
    size_t elems = (size_t)d->rows * (size_t)d->cols;
    uint8_t *buf = malloc(fs * (size_t)n);
    uint16_t *s = malloc(elems * sizeof(uint16_t));
    assert_true(buf && s);
    for (int k = 0; k < n; k++) {
        for (size_t i = 0; i < elems; i++)
            s[i] = rm_gen_sensel(seq0 + (uint32_t)k, (int)i, d->rows, d->cols);
        rm_wire_encode_frame(buf + (size_t)k * fs, seq0 + (uint32_t)k, t0_us + (uint32_t)k * 10000u,
                             (uint8_t)d->rows, (uint8_t)d->cols, 0, s);
    }
    /* All at once: the ring sees a burst. */
    d->cb->data(d->cb->user, buf, fs * (size_t)n);
    free(buf);
    free(s);
}

static void *script_main(void *arg)
{
    struct script_dev *d = arg;
    if (d->scenario == 0) {
        emit_frames(d, 7, 4000000000u, 100); /* t_us wraps inside this run */
        d->cb->event(d->cb->user, RM_DEVICE_DISCONNECT);
        nanosleep(&(struct timespec){0, 300000000L}, NULL);
        d->cb->event(d->cb->user, RM_DEVICE_RECONNECT);
        emit_frames(d, 0, 123, 100); /* START restarted seq and the clock */
    } else if (d->scenario == 1) {
        emit_frames(d, 0, 0, 5000);
    } else if (d->scenario == 4) {
        /* The last frame before the mat goes away arrives 0.3 s late (a
         * host hiccup); the mat is back at once. */
        emit_frames(d, 0, 0, 50);
        nanosleep(&(struct timespec){0, 300000000L}, NULL);
        emit_frames(d, 50, 500000, 1);
        d->cb->event(d->cb->user, RM_DEVICE_DISCONNECT);
        d->cb->event(d->cb->user, RM_DEVICE_RECONNECT);
        emit_frames(d, 0, 123, 10);
    } else if (d->scenario == 3) {
        emit_frames(d, 0, 0, 30);
        while (!atomic_load(&d->stop))
            nanosleep(&(struct timespec){0, 10000000L}, NULL);
        return NULL;
    } else {
        /* A clock that steps back 100 ms, then a restart nobody announced. */
        emit_frames(d, 0, 0, 50);
        emit_frames(d, 50, 400000, 5);
        emit_frames(d, 55, 550000, 5);
        emit_frames(d, 0, 7000000, 10);
    }
    d->cb->event(d->cb->user, RM_DEVICE_END);
    return NULL;
}

static int script_start(void *impl, const struct rm_device_callbacks *cb)
{
    struct script_dev *d = impl;
    d->cb = cb;
    return pthread_create(&d->thread, NULL, script_main, d) == 0 ? 0 : RM_ENOMEM;
}

static int script_stop(void *impl)
{
    struct script_dev *d = impl;
    atomic_store(&d->stop, true);
    pthread_join(d->thread, NULL);
    return 0;
}

static void script_close(void *impl)
{
    free(impl);
}

static const struct rm_device_ops script_ops = {"script", script_start, script_stop, script_close};

static struct rm_device *script_device(int scenario, int rows, int cols)
{
    struct script_dev *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    d->rows = rows;
    d->cols = cols;
    d->scenario = scenario;
    struct rm_mat_info info = {.protocol_version = 1,
                               .rows = (uint8_t)rows,
                               .cols = (uint8_t)cols,
                               .pitch_row_um = 5000,
                               .pitch_col_um = 5000,
                               .adc_bits = 12,
                               .max_rate_hz = 100,
                               .rate_hz = 100};
    strcpy(info.serial, "SCRIPT");
    struct rm_device *dev;
    assert_int_equal(rm_device_new(&dev, &script_ops, d, &info, true), 0);
    return dev;
}

/* Records scripted scenario `scenario` of a rows x cols mat through a
 * session whose ring holds ring_frames, and opens the recording. */
static struct rm_rec_reader *record_script(const char *name, int scenario, int rows, int cols,
                                           size_t ring_frames)
{
    const char *out = rm_test_path(name);
    struct rm_device *dev = script_device(scenario, rows, cols);
    struct rm_session_opts o = RM_SESSION_OPTS_DEFAULT;
    o.ring_frames = ring_frames;
    assert_int_equal(record_all(dev, out, &o), 0);
    rm_device_close(dev);
    struct rm_rec_reader *r;
    assert_int_equal(rm_rec_reader_open(&r, out), 0);
    return r;
}

static void test_reconnect_keeps_one_timeline(void **state)
{
    (void)state;
    struct rm_rec_reader *r = record_script("reconnect.h5", 0, 8, 4, 256); /* a burst of 100 fits */
    assert_int_equal(rm_rec_frames(r), 200);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->disconnects, 1);
    assert_int_equal(c->frames_dropped, 0);
    assert_int_equal(c->crc_errors, 0);
    double t[200];
    uint64_t seq[200];
    assert_int_equal(rm_rec_read_t(r, 0, 200, t), 0);
    assert_int_equal(rm_rec_read_seq(r, 0, 200, seq), 0);
    for (int k = 0; k < 200; k++) {
        assert_int_equal(seq[k], 7 + k); /* continues across the restart */
        if (k > 0)
            assert_true(t[k] > t[k - 1]);
    }
    /* Through the 32-bit clock wrap at frame 30 the steps stay 10 ms. */
    assert_true(t[99] > 0.99 - 1e-9 && t[99] < 0.99 + 1e-9);
    /* The host slept 0.3 s between the two runs. */
    assert_true(t[100] - t[99] >= 0.3);
    assert_true(t[199] - t[100] > 0.99 - 1e-9 && t[199] - t[100] < 0.99 + 1e-9);
    assert_int_equal(rm_rec_nevents(r), 2);
    const struct rm_event *e = rm_rec_events(r);
    assert_string_equal(e[0].kind, "disconnect");
    assert_string_equal(e[1].kind, "reconnect");
    assert_true(e[0].t >= t[99] && e[0].t <= e[1].t && e[1].t <= t[100]);
    rm_rec_reader_close(r);
}

/* The disconnect and reconnect events are stamped through the clock map
 * (host now -> device time); the first frame after the restart must not
 * come before them, however late the last frame before it arrived. */
static void test_reconnect_events_before_the_new_frames(void **state)
{
    (void)state;
    struct rm_rec_reader *r = record_script("reconnect-late.h5", 4, 8, 4, 256);
    assert_int_equal(rm_rec_frames(r), 61);
    double t[61];
    assert_int_equal(rm_rec_read_t(r, 0, 61, t), 0);
    for (int k = 1; k < 61; k++)
        assert_true(t[k] > t[k - 1]);
    assert_int_equal(rm_rec_nevents(r), 2);
    const struct rm_event *e = rm_rec_events(r);
    assert_string_equal(e[0].kind, "disconnect");
    assert_string_equal(e[1].kind, "reconnect");
    if (!(e[0].t >= t[50] && e[0].t <= e[1].t && e[1].t <= t[51]))
        fail_msg("last frame %.3f, disconnect %.3f, reconnect %.3f, first frame after %.3f", t[50],
                 e[0].t, e[1].t, t[51]);
    rm_rec_reader_close(r);
}

static void test_overflow_is_counted_never_silent(void **state)
{
    (void)state;
    struct rm_rec_reader *r = record_script("burst.h5", 1, 64, 32, 64);
    int64_t n = rm_rec_frames(r);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    /* 5000 frames (80 MB of work for the writer) hit a ring of 64 at once. */
    assert_true(c->frames_dropped > 0);
    assert_int_equal(n + c->frames_dropped, 5000);
    uint64_t *seq = malloc((size_t)n * sizeof(uint64_t));
    assert_non_null(seq);
    assert_int_equal(rm_rec_read_seq(r, 0, n, seq), 0);
    for (int64_t k = 1; k < n; k++)
        assert_true(seq[k] > seq[k - 1]);
    free(seq);
    rm_rec_reader_close(r);
}

static void test_bad_device_clock(void **state)
{
    (void)state;
    struct rm_rec_reader *r = record_script("clock.h5", 2, 8, 4, 256);
    /* 50 good, 5 whose time went back (lost, counted), 5 good, 10 after
     * the silent restart. */
    assert_int_equal(rm_rec_frames(r), 65);
    assert_int_equal(rm_rec_counters(r)->frames_dropped, 5);
    double t[65];
    uint64_t seq[65];
    assert_int_equal(rm_rec_read_t(r, 0, 65, t), 0);
    assert_int_equal(rm_rec_read_seq(r, 0, 65, seq), 0);
    assert_int_equal(seq[49], 49);
    assert_int_equal(seq[50], 55);
    assert_true(t[50] > 0.55 - 1e-9 && t[50] < 0.55 + 1e-9);
    assert_int_equal(seq[55], 60); /* the restart continues /seq */
    for (int k = 1; k < 65; k++)
        assert_true(t[k] > t[k - 1] && seq[k] > seq[k - 1]);
    rm_rec_reader_close(r);
}

static void test_quiet_mat_is_flushed_by_the_timer(void **state)
{
    (void)state;
    const char *out = rm_test_path("quiet.h5");
    struct rm_device *dev = script_device(3, 8, 4);
    struct rm_session *s;
    assert_int_equal(rm_session_new(&s, dev, out, NULL, NULL), 0);
    assert_int_equal(rm_session_start(s), 0);
    assert_int_equal(rm_session_event(s, "mark", "while recording"), 0);
    /* 30 frames are a third of a chunk: only the session's timer writes
     * them while the mat is silent. A reader following the live file sees
     * them, and the event, with the writer still open. */
    int64_t seen = 0;
    size_t events = 0;
    for (int tries = 0; tries < 300 && (seen < 30 || events < 1); tries++) {
        nanosleep(&(struct timespec){0, 100000000L}, NULL);
        struct rm_rec_reader *r;
        if (rm_rec_reader_open(&r, out) == 0) {
            seen = rm_rec_frames(r);
            events = rm_rec_nevents(r);
            assert_false(rm_rec_complete(r));
            rm_rec_reader_close(r);
        }
    }
    assert_int_equal(seen, 30);
    assert_int_equal(events, 1);
    struct rm_session_status st;
    rm_session_status(s, &st);
    assert_int_equal(st.state, RM_SESSION_RECORDING);
    assert_int_equal(rm_session_stop(s), 0);
    rm_session_free(s);
    rm_device_close(dev);
}

static void test_bad_specs(void **state)
{
    (void)state;
    struct rm_device *dev;
    assert_int_equal(rm_device_open(&dev, "floppy", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "usb:12345:1", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "usb:1209", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "usb:1209:zz", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "file:", NULL), RM_EUSAGE);
    assert_int_equal(rm_device_open(&dev, "file:/nonexistent.rmw", NULL), RM_ENOTFOUND);
    assert_null(dev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_is_bit_exact),
        cmocka_unit_test(test_noisy_replay_is_bit_exact),
        cmocka_unit_test(test_corrupt_frames_are_counted),
        cmocka_unit_test(test_duration_and_events),
        cmocka_unit_test(test_reconnect_keeps_one_timeline),
        cmocka_unit_test(test_reconnect_events_before_the_new_frames),
        cmocka_unit_test(test_overflow_is_counted_never_silent),
        cmocka_unit_test(test_bad_device_clock),
        cmocka_unit_test(test_quiet_mat_is_flushed_by_the_timer),
        cmocka_unit_test(test_bad_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

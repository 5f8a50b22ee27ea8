/* The real libusb backend (acquire/device_usb.c) and the real wire decoder
 * against a mat replayed by umockdev from generated usbmon captures
 * (shared/notes/usb-testing.md): the preload library is linked into this
 * test, and each test sets up its own testbed before libusb starts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <umockdev.h>

#include "device_backend.h"
#include "device_tee.h"
#include "device_usb.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_mat.h"
#include "rm_recording.h"
#include "rm_session.h"
#include "rm_wire.h"
#include "testlib.h"
#include "usb_fault_shim.h"
#include "usbmon_pcap.h"

#define ROWS       64
#define COLS       32
#define RATE       100
#define SERIAL     "RM-TEST-0042"
#define MAX_FRAMES 4096
#define WAIT_MS    20000

/* ---- the synthetic mat -------------------------------------------------- */

static uint16_t sensel(uint32_t seq, int i)
{
    return (uint16_t)(((seq + 1) * 2654435761u ^ (uint32_t)i * 40503u) >> 20);
}

static size_t frame_size(void)
{
    return rm_wire_frame_size(ROWS, COLS);
}

static size_t transfer_size(void)
{
    return rm_usb_transfer_size(frame_size(), RATE);
}

/* Encodes frames [seq0, seq0 + n) with a device clock starting at t0_us. */
static uint8_t *encode_frames(uint32_t seq0, int n, uint32_t t0_us, size_t *len)
{
    size_t fs = frame_size();
    uint8_t *buf = malloc(fs * (size_t)n);
    uint16_t sensels[ROWS * COLS];
    assert_non_null(buf);
    for (int k = 0; k < n; k++) {
        uint32_t seq = seq0 + (uint32_t)k;
        for (int i = 0; i < ROWS * COLS; i++)
            sensels[i] = sensel(seq, i);
        rm_wire_encode_frame(buf + fs * (size_t)k, seq, t0_us + (uint32_t)k * (1000000 / RATE),
                             ROWS, COLS, 0, sensels);
    }
    *len = fs * (size_t)n;
    return buf;
}

static void mat_info(struct rm_mat_info *info)
{
    memset(info, 0, sizeof(*info));
    info->protocol_version = RM_PROTOCOL_VERSION;
    info->rows = ROWS;
    info->cols = COLS;
    info->pitch_row_um = 10000;
    info->pitch_col_um = 12500;
    info->adc_bits = 12;
    info->max_rate_hz = 200;
    info->rate_hz = RATE;
    strcpy(info->serial, SERIAL);
    strcpy(info->model, "RM-6432");
    strcpy(info->firmware, "1.0.3");
}

static void write_get_info(struct rm_usbmon_pcap *p)
{
    struct rm_mat_info info;
    uint8_t block[RM_INFO_BLOCK_SIZE];
    mat_info(&info);
    rm_mat_info_encode(&info, block);
    rm_usbmon_control_in(p, RM_USB_REQ_GET_INFO, 0, RM_INFO_BLOCK_SIZE, block, sizeof(block), 0);
}

/* The mat unplugged and plugged back: the pending bulk-IN transfer fails
 * with -ENODEV, then the backend opens the mat again, checks it is the same
 * mat (GET_INFO) and starts it. */
static void write_replug(struct rm_usbmon_pcap *p)
{
    rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), NULL, 0, RM_USBMON_ENODEV);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
}

/* As a firmware sending each frame as one transfer: every frame ends in a
 * short packet, which completes the URB. */
static void write_frame_per_urb(struct rm_usbmon_pcap *p, const uint8_t *bytes, size_t len)
{
    size_t fs = frame_size();
    for (size_t off = 0; off < len; off += fs)
        rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), bytes + off,
                          len - off < fs ? len - off : fs, 0);
}

/* As a firmware streaming without regard to frames: URBs of any size, frames
 * spanning several of them. */
static void write_stream(struct rm_usbmon_pcap *p, const uint8_t *bytes, size_t len, unsigned seed)
{
    size_t xs = transfer_size();
    for (size_t off = 0; off < len;) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % 4 == 0 ? xs : 1 + (seed >> 8) % xs;
        if (n > len - off)
            n = len - off;
        rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)xs, bytes + off, n, 0);
        off += n;
    }
}

/* ---- the receiving side ---------------------------------------------- */

struct sink {
    struct rm_wire_decoder *dec;
    atomic_int frames;
    atomic_int nevents;
    enum rm_device_event events[16];
    uint32_t seq[MAX_FRAMES];
    uint64_t t_us[MAX_FRAMES];
    int segment[MAX_FRAMES]; /* how many reconnects came before the frame */
    int reconnects;
    int bad_frames; /* sensels not as sent */
    char fail_msg[256];
};

static void on_frame(void *user, const struct rm_frame *f)
{
    struct sink *s = user;
    int n = atomic_load(&s->frames);
    if (f->rows != ROWS || f->cols != COLS || n >= MAX_FRAMES) {
        s->bad_frames++;
        return;
    }
    for (int i = 0; i < ROWS * COLS; i++)
        if (f->sensels[i] != sensel((uint32_t)f->seq, i)) {
            s->bad_frames++;
            return;
        }
    s->seq[n] = (uint32_t)f->seq;
    s->t_us[n] = f->t_us;
    s->segment[n] = s->reconnects;
    atomic_store(&s->frames, n + 1);
}

static void on_data(void *user, const uint8_t *bytes, size_t len)
{
    struct sink *s = user;
    rm_wire_decoder_feed(s->dec, bytes, len);
}

static void on_event(void *user, enum rm_device_event ev)
{
    struct sink *s = user;
    int n = atomic_load(&s->nevents);
    if (ev == RM_DEVICE_RECONNECT) {
        /* START restarted seq at 0, as the session does it. */
        rm_wire_decoder_reset_sequence(s->dec);
        s->reconnects++;
    }
    if (ev == RM_DEVICE_FAILED)
        snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", rm_last_error(RM_EUSB));
    if (n < 16)
        s->events[n] = ev;
    atomic_store(&s->nevents, n + 1);
}

static struct sink *sink_new(void)
{
    struct sink *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    assert_int_equal(rm_wire_decoder_new(&s->dec, ROWS, COLS, on_frame, s), 0);
    return s;
}

static void sink_free(struct sink *s)
{
    rm_wire_decoder_free(s->dec);
    free(s);
}

static bool wait_until(atomic_int *value, int target)
{
    struct timespec pause = {0, 2 * 1000 * 1000};
    for (int waited = 0; waited < WAIT_MS; waited += 2) {
        if (atomic_load(value) >= target)
            return true;
        nanosleep(&pause, NULL);
    }
    return atomic_load(value) >= target;
}

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
    UMockdevTestbed *testbed;
    char pcap[1024];
};

static int setup(void **state)
{
    static int n;
    struct fixture *fx = calloc(1, sizeof(*fx));
    GError *error = NULL;
    fx->testbed = umockdev_testbed_new();
    if (!fx->testbed || !umockdev_testbed_add_from_string(
                            fx->testbed, rm_usbmon_mat_device_description(), &error)) {
        fprintf(stderr, "umockdev: %s\n", error ? error->message : "no testbed");
        return -1;
    }
    char name[64];
    snprintf(name, sizeof(name), "mat-%d.pcap", n++);
    snprintf(fx->pcap, sizeof(fx->pcap), "%s", rm_test_path(name));
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    rm_usb_shim_reset();
    g_object_unref(fx->testbed);
    free(fx);
    return 0;
}

static struct rm_usbmon_pcap *pcap_begin(struct fixture *fx)
{
    struct rm_usbmon_pcap *p = rm_usbmon_pcap_open(fx->pcap, RM_TEST_USB_BUS, RM_TEST_USB_DEVNUM);
    assert_non_null(p);
    return p;
}

static void pcap_load(struct fixture *fx, struct rm_usbmon_pcap *p)
{
    GError *error = NULL;
    assert_int_equal(rm_usbmon_pcap_close(p), 0);
    if (!umockdev_testbed_load_pcap(fx->testbed, "/sys" RM_TEST_USB_SYSFS, fx->pcap, &error))
        fail_msg("load_pcap: %s", error->message);
}

static void assert_frames_in_order(const struct sink *s, int from, int to, uint32_t seq0)
{
    for (int i = from; i < to; i++) {
        assert_int_equal(s->seq[i], seq0 + (uint32_t)(i - from));
        if (i > from)
            assert_true(s->t_us[i] > s->t_us[i - 1]);
    }
}

/* Loads a capture of n1 frames, the mat leaving and coming back, n2 frames
 * (seq and clock restarted), then STOP; one frame per transfer. The mat
 * leaves by a transfer failing with -ENODEV when unplug_urb, otherwise the
 * test tells it by hotplug events. */
static void load_two_runs(struct fixture *fx, int n1, int n2, bool unplug_urb)
{
    size_t len1, len2;
    uint8_t *first = encode_frames(0, n1, 0, &len1);
    uint8_t *second = encode_frames(0, n2, 0, &len2);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_frame_per_urb(p, first, len1);
    if (unplug_urb) {
        write_replug(p);
    } else {
        write_get_info(p);
        rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    }
    write_frame_per_urb(p, second, len2);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(first);
    free(second);
}

/* ---- tests ------------------------------------------------------------ */

static void test_open_reads_info(void **state)
{
    struct fixture *fx = *state;
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_SET_RATE, 50, 0);
    pcap_load(fx, p);

    struct rm_usb_mat *m = NULL;
    assert_int_equal(rm_usb_mat_open(&m, 0x1209, 0x0001, SERIAL, 50), 0);
    const struct rm_mat_info *info = rm_usb_mat_info(m);
    assert_int_equal(info->rows, ROWS);
    assert_int_equal(info->cols, COLS);
    assert_int_equal(info->rate_hz, 50);
    assert_string_equal(info->serial, SERIAL);
    assert_string_equal(info->model, "RM-6432");
    rm_usb_mat_close(m);
}

static void test_open_wrong_serial_or_ids(void **state)
{
    struct fixture *fx = *state;
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    pcap_load(fx, p);

    struct rm_usb_mat *m = NULL;
    rm_clear_error();
    assert_int_equal(rm_usb_mat_open(&m, 0x1209, 0x0001, "OTHER", 0), RM_ENOTFOUND);
    assert_null(m);
    assert_non_null(strstr(rm_last_error(RM_ENOTFOUND), "other serial numbers are"));
    rm_clear_error();
    assert_int_equal(rm_usb_mat_open(&m, 0x1209, 0x0002, NULL, 0), RM_ENOTFOUND);
    assert_non_null(strstr(rm_last_error(RM_ENOTFOUND), "usb:1209:0002: no such mat"));
}

/* Runs a session over the capture already loaded; returns the sink after
 * stop. */
static struct sink *run_session(int expect_frames, int expect_events)
{
    struct rm_usb_mat *m = NULL;
    struct sink *s = sink_new();
    assert_int_equal(rm_usb_mat_open(&m, 0x1209, 0x0001, NULL, 0), 0);
    struct rm_device_callbacks cb = {on_data, on_event, s};
    assert_int_equal(rm_usb_mat_start(m, &cb), 0);
    bool frames_ok = wait_until(&s->frames, expect_frames);
    bool events_ok = wait_until(&s->nevents, expect_events);
    assert_int_equal(rm_usb_mat_stop(m), 0);
    rm_usb_mat_close(m);
    rm_wire_decoder_finish(s->dec);
    if (!frames_ok || !events_ok)
        fprintf(stderr, "got %d of %d frames, %d of %d events\n", atomic_load(&s->frames),
                expect_frames, atomic_load(&s->nevents), expect_events);
    return s;
}

static void test_normal_session_bit_exact(void **state)
{
    struct fixture *fx = *state;
    const int n = 400;
    size_t len;
    uint8_t *bytes = encode_frames(0, n, 123456, &len);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    /* Half as one frame per transfer, half as a stream cut anywhere. */
    size_t half = frame_size() * (size_t)(n / 2);
    write_frame_per_urb(p, bytes, half);
    write_stream(p, bytes + half, len - half, 7);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(bytes);

    struct sink *s = run_session(n, 0);
    struct rm_wire_stats st;
    rm_wire_decoder_stats(s->dec, &st);
    assert_int_equal(atomic_load(&s->frames), n);
    assert_int_equal(s->bad_frames, 0);
    assert_frames_in_order(s, 0, n, 0);
    assert_int_equal(st.crc_errors, 0);
    assert_int_equal(st.frames_dropped, 0);
    assert_int_equal(st.bytes_skipped, 0);
    assert_int_equal(atomic_load(&s->nevents), 0);
    sink_free(s);
}

static void test_corrupt_frames_counted(void **state)
{
    struct fixture *fx = *state;
    const int n = 200;
    size_t len, fs = frame_size();
    uint8_t *bytes = encode_frames(0, n, 0, &len);
    bytes[fs * 17 + 100] ^= 0x40;     /* a sensel of frame 17 */
    bytes[fs * 150 + fs - 1] ^= 0x01; /* the CRC of frame 150 */
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_stream(p, bytes, len, 99);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(bytes);

    struct sink *s = run_session(n - 2, 0);
    struct rm_wire_stats st;
    rm_wire_decoder_stats(s->dec, &st);
    assert_int_equal(atomic_load(&s->frames), n - 2);
    assert_int_equal(s->bad_frames, 0);
    assert_int_equal(st.crc_errors, 2);
    assert_int_equal(st.frames_dropped, 2);
    for (int i = 0, seq = 0; i < n - 2; i++, seq++) {
        if (seq == 17 || seq == 150)
            seq++;
        assert_int_equal(s->seq[i], seq);
    }
    sink_free(s);
}

static void test_disconnect_and_reconnect(void **state)
{
    struct fixture *fx = *state;
    const int n1 = 150, n2 = 120;
    size_t len1, len2;
    uint8_t *first = encode_frames(0, n1, 1000, &len1);
    /* After a replug the firmware restarts seq at 0; its clock ran on. */
    uint8_t *second = encode_frames(0, n2, 9000000, &len2);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_stream(p, first, len1, 3);
    write_replug(p);
    write_frame_per_urb(p, second, len2);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(first);
    free(second);

    struct sink *s = run_session(n1 + n2, 2);
    assert_int_equal(atomic_load(&s->nevents), 2);
    assert_int_equal(s->events[0], RM_DEVICE_DISCONNECT);
    assert_int_equal(s->events[1], RM_DEVICE_RECONNECT);
    assert_int_equal(atomic_load(&s->frames), n1 + n2);
    assert_int_equal(s->bad_frames, 0);
    assert_frames_in_order(s, 0, n1, 0);
    assert_frames_in_order(s, n1, n1 + n2, 0);
    assert_int_equal(s->segment[n1 - 1], 0);
    assert_int_equal(s->segment[n1], 1);
    struct rm_wire_stats st;
    rm_wire_decoder_stats(s->dec, &st);
    assert_int_equal(st.crc_errors, 0);
    assert_int_equal(st.frames_dropped, 0);
    sink_free(s);
}

static void test_stall_and_babble_recovered(void **state)
{
    struct fixture *fx = *state;
    const int n = 100;
    size_t len, fs = frame_size();
    uint8_t *bytes = encode_frames(0, n, 0, &len);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_frame_per_urb(p, bytes, fs * 30);
    /* The endpoint stalls between frames: halt cleared, nothing lost. */
    rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), NULL, 0, RM_USBMON_EPIPE);
    write_frame_per_urb(p, bytes + fs * 30, fs * 30);
    /* Babble in place of frame 60: that frame is lost, and counted. */
    rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), NULL, 0, RM_USBMON_EOVERFLOW);
    write_frame_per_urb(p, bytes + fs * 61, len - fs * 61);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(bytes);

    struct sink *s = run_session(n - 1, 0);
    struct rm_wire_stats st;
    rm_wire_decoder_stats(s->dec, &st);
    assert_int_equal(atomic_load(&s->frames), n - 1);
    assert_int_equal(s->bad_frames, 0);
    assert_int_equal(st.frames_dropped, 1);
    assert_int_equal(st.crc_errors, 0);
    assert_int_equal(s->seq[59], 59);
    assert_int_equal(s->seq[60], 61);
    assert_int_equal(atomic_load(&s->nevents), 0);
    sink_free(s);
}

static void test_endless_stalls_fail_cleanly(void **state)
{
    struct fixture *fx = *state;
    size_t len;
    uint8_t *bytes = encode_frames(0, 10, 0, &len);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_frame_per_urb(p, bytes, len);
    for (int i = 0; i < 200; i++)
        rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), NULL, 0, RM_USBMON_EPIPE);
    pcap_load(fx, p);
    free(bytes);

    struct sink *s = run_session(10, 1);
    assert_int_equal(atomic_load(&s->frames), 10);
    assert_int_equal(atomic_load(&s->nevents), 1);
    assert_int_equal(s->events[0], RM_DEVICE_FAILED);
    assert_non_null(strstr(s->fail_msg, "usb:1209:0001: bulk endpoint 0x81 failed"));
    assert_non_null(strstr(s->fail_msg, "stall"));
    sink_free(s);
}

/* The mat leaves by a udev "remove" event (libusb's hotplug "left"), with
 * transfers pending, and comes back by an "add" event (hotplug "arrived"). */
static void test_hotplug_remove_and_add(void **state)
{
    struct fixture *fx = *state;
    const int n1 = 60, n2 = 40;
    load_two_runs(fx, n1, n2, false);

    struct rm_usb_mat *m = NULL;
    struct sink *s = sink_new();
    assert_int_equal(rm_usb_mat_open(&m, 0x1209, 0x0001, NULL, 0), 0);
    struct rm_device_callbacks cb = {on_data, on_event, s};
    assert_int_equal(rm_usb_mat_start(m, &cb), 0);
    assert_true(wait_until(&s->frames, n1));
    /* The replay has run dry: the ring waits. Now the mat is pulled... */
    umockdev_testbed_uevent(fx->testbed, "/sys" RM_TEST_USB_SYSFS, "remove");
    assert_true(wait_until(&s->nevents, 1));
    assert_int_equal(s->events[0], RM_DEVICE_DISCONNECT);
    /* ... and plugged back. */
    umockdev_testbed_uevent(fx->testbed, "/sys" RM_TEST_USB_SYSFS, "add");
    assert_true(wait_until(&s->frames, n1 + n2));
    assert_true(wait_until(&s->nevents, 2));
    assert_int_equal(rm_usb_mat_stop(m), 0);
    struct rm_usb_stats st;
    rm_usb_mat_stats(m, &st);
    rm_usb_mat_close(m);

    assert_int_equal(atomic_load(&s->nevents), 2);
    assert_int_equal(s->events[1], RM_DEVICE_RECONNECT);
    assert_int_equal(st.disconnects, 1);
    assert_int_equal(st.reconnects, 1);
    assert_int_equal(s->bad_frames, 0);
    assert_frames_in_order(s, 0, n1, 0);
    assert_frames_in_order(s, n1, n1 + n2, 0);
    sink_free(s);
}

/* ---- through the whole pipeline into a recording ---------------------- */

/* Records the loaded capture through the usb device layer and a session
 * until expect_frames are in (or the session ends by itself); returns the
 * session's stop result. */
static int record_usb(const char *path, int64_t expect_frames, char *msg, size_t msg_size)
{
    struct rm_device *dev = NULL;
    struct rm_session *s = NULL;
    struct rm_device_opts dopts = {0};
    assert_int_equal(rm_device_usb_open(&dev, 0x1209, 0x0001, NULL, &dopts), 0);
    assert_int_equal(rm_session_new(&s, dev, path, NULL, NULL), 0);
    assert_int_equal(rm_session_start(s), 0);
    struct rm_session_status st;
    for (int waited = 0; waited < WAIT_MS; waited += 5) {
        rm_session_status(s, &st);
        if (st.frames >= expect_frames || rm_session_wait(s, 0.005) == 0)
            break;
    }
    rm_clear_error();
    int rc = rm_session_stop(s);
    snprintf(msg, msg_size, "%s", rc ? rm_last_error(rc) : "");
    rm_session_free(s);
    rm_device_close(dev);
    return rc;
}

/* Opens a recording made by record_usb: complete, with the frames and the
 * disconnects expected. */
static struct rm_rec_reader *open_recording(const char *path, int64_t frames, int64_t disconnects)
{
    struct rm_rec_reader *r = NULL;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_true(rm_rec_complete(r));
    assert_int_equal(rm_rec_frames(r), frames);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->disconnects, disconnects);
    assert_int_equal(c->crc_errors, 0);
    assert_int_equal(c->frames_dropped, 0);
    assert_int_equal(c->bytes_skipped, 0);
    return r;
}

static void test_session_survives_replug(void **state)
{
    struct fixture *fx = *state;
    /* Fewer than the session's ring holds (2 s of frames): the replay
     * comes in a burst, which a lagging writer must not have to drop. */
    const int n1 = 100, n2 = 60;
    size_t len1, len2;
    uint8_t *first = encode_frames(0, n1, 5000, &len1);
    uint8_t *second = encode_frames(0, n2, 100, &len2); /* the clock restarted too */
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_stream(p, first, len1, 11);
    write_replug(p);
    write_stream(p, second, len2, 12);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(first);
    free(second);

    const char *path = rm_test_path("replug.h5");
    char msg[512];
    assert_int_equal(record_usb(path, n1 + n2, msg, sizeof(msg)), 0);

    struct rm_rec_reader *r = NULL;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_true(rm_rec_complete(r));
    assert_int_equal(rm_rec_frames(r), n1 + n2);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->disconnects, 1);
    assert_int_equal(c->crc_errors, 0);
    assert_int_equal(c->frames_dropped, 0);

    double *t = malloc(sizeof(double) * (n1 + n2));
    uint16_t *frames = malloc(sizeof(uint16_t) * ROWS * COLS * (n1 + n2));
    assert_int_equal(rm_rec_read_t(r, 0, n1 + n2, t), 0);
    assert_int_equal(rm_rec_read_frames(r, 0, n1 + n2, frames), 0);
    for (int i = 1; i < n1 + n2; i++)
        assert_true(t[i] > t[i - 1]);
    /* Every frame bit exact: frame i carries device seq i, then i - n1. */
    for (int i = 0; i < n1 + n2; i++) {
        uint32_t seq = (uint32_t)(i < n1 ? i : i - n1);
        for (int k = 0; k < ROWS * COLS; k += 97)
            assert_int_equal(frames[(size_t)i * ROWS * COLS + k], sensel(seq, k));
    }

    size_t ne = rm_rec_nevents(r);
    const struct rm_event *ev = rm_rec_events(r);
    assert_int_equal(ne, 2);
    assert_string_equal(ev[0].kind, "disconnect");
    assert_string_equal(ev[1].kind, "reconnect");
    assert_true(ev[0].t >= t[n1 - 1] && ev[1].t >= ev[0].t && ev[1].t <= t[n1]);
    free(t);
    free(frames);
    rm_rec_reader_close(r);
}

/* rollmatd's path: the mat streams into the tee, a session is lent the
 * stream; the replug reaches the file through the tee. */
static void test_tee_session_over_replug(void **state)
{
    struct fixture *fx = *state;
    const int n1 = 90, n2 = 70;
    size_t len1, len2;
    uint8_t *first = encode_frames(0, n1, 0, &len1);
    uint8_t *second = encode_frames(0, n2, 0, &len2);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_stream(p, first, len1, 21);
    write_replug(p);
    write_stream(p, second, len2, 22);
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    pcap_load(fx, p);
    free(first);
    free(second);

    struct rm_device *dev = NULL, *sdev = NULL;
    struct rm_device_tee *tee = NULL;
    struct rm_session *s = NULL;
    struct rm_device_opts dopts = {0};
    const char *path = rm_test_path("tee.h5");
    assert_int_equal(rm_device_usb_open(&dev, 0x1209, 0x0001, NULL, &dopts), 0);
    assert_int_equal(rm_device_tee_new(&tee, dev), 0);
    assert_int_equal(rm_device_tee_session_device(tee, &sdev), 0);
    assert_int_equal(rm_session_new(&s, sdev, path, NULL, NULL), 0);
    /* Attached before the mat starts: the session sees every frame. */
    assert_int_equal(rm_session_start(s), 0);
    assert_int_equal(rm_device_tee_start(tee), 0);
    struct rm_session_status st;
    for (int waited = 0; waited < WAIT_MS; waited += 5) {
        rm_session_status(s, &st);
        if (st.frames >= n1 + n2 || rm_session_wait(s, 0.005) == 0)
            break;
    }
    assert_int_equal(rm_session_stop(s), 0);
    rm_session_free(s);
    rm_device_close(sdev);
    struct rm_device_tee_state ts;
    rm_device_tee_state(tee, rm_clock_s(), &ts);
    rm_device_tee_free(tee);
    rm_device_close(dev);
    assert_int_equal(ts.frames, n1 + n2);
    assert_false(ts.away);
    assert_false(ts.failed);

    struct rm_rec_reader *r = NULL;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_int_equal(rm_rec_frames(r), n1 + n2);
    const struct rm_rec_counters *c = rm_rec_counters(r);
    assert_int_equal(c->disconnects, 1);
    assert_int_equal(c->bytes_skipped, 0);
    assert_int_equal(c->crc_errors, 0);
    assert_int_equal(rm_rec_nevents(r), 2);
    assert_string_equal(rm_rec_events(r)[0].kind, "disconnect");
    assert_string_equal(rm_rec_events(r)[1].kind, "reconnect");
    rm_rec_reader_close(r);
}

static void test_session_ends_with_message_on_endless_babble(void **state)
{
    struct fixture *fx = *state;
    size_t len;
    uint8_t *bytes = encode_frames(0, 20, 0, &len);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_frame_per_urb(p, bytes, len);
    for (int i = 0; i < 100; i++)
        rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), NULL, 0,
                          RM_USBMON_EOVERFLOW);
    pcap_load(fx, p);
    free(bytes);

    const char *path = rm_test_path("babble.h5");
    char msg[512];
    /* More frames than will ever come: the session must end by itself. */
    assert_int_not_equal(record_usb(path, 1000, msg, sizeof(msg)), 0);
    assert_non_null(strstr(msg, "failed 33 times in a row"));
    assert_non_null(strstr(msg, "overflow"));

    struct rm_rec_reader *r = NULL;
    assert_int_equal(rm_rec_reader_open(&r, path), 0);
    assert_true(rm_rec_complete(r));
    assert_int_equal(rm_rec_frames(r), 20);
    rm_rec_reader_close(r);
}

/* A host controller that loses the completion of a cancelled transfer
 * (usb_fault_shim.c): when the mat leaves, one transfer of the ring never
 * comes back. The backend gives up on it after its drain timeout and must
 * stream again from a fresh ring when the mat is back; it reused the ring
 * with the lost transfer still counted in flight, and reconnection failed
 * for good (an assertion in a debug build, "submitting a bulk transfer"
 * for ever otherwise). */
static void test_session_survives_lost_cancellation(void **state)
{
    struct fixture *fx = *state;
    const int n1 = 80, n2 = 60;
    load_two_runs(fx, n1, n2, true);

    rm_usb_shim_withhold_cancellations(1);
    const char *path = rm_test_path("lost-cancel.h5");
    char msg[512];
    assert_int_equal(record_usb(path, n1 + n2, msg, sizeof(msg)), 0);
    assert_int_equal(rm_usb_shim_withheld(), 1);

    struct rm_rec_reader *r = open_recording(path, n1 + n2, 1);
    assert_int_equal(rm_rec_nevents(r), 2);
    assert_string_equal(rm_rec_events(r)[0].kind, "disconnect");
    assert_string_equal(rm_rec_events(r)[1].kind, "reconnect");
    rm_rec_reader_close(r);
}

/* The session's frame hook, on the device's thread: at the frame that comes
 * with the mat's last transfer, waits until the session is being stopped,
 * so the mat leaves while the backend stops. */
static atomic_bool holding;
static void hold_last_frame(void *user, const struct rm_frame *f, double t)
{
    (void)t;
    if (f->seq != (uint64_t)(intptr_t)user)
        return;
    atomic_store(&holding, true);
    assert_true(rm_usb_shim_wait_stop_requested(WAIT_MS));
}

/* The mat leaving while the session stops: the transfer that tells of it
 * completes after the stop was asked for. The stop ended the event thread
 * before the disconnect was handled, and the file said nothing of it (no
 * counter, no event). It is counted and written like any disconnect. */
static void test_disconnect_during_stop_counted(void **state)
{
    struct fixture *fx = *state;
    const int n = 50;
    size_t len, fs = frame_size();
    uint8_t *bytes = encode_frames(0, n, 0, &len);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_frame_per_urb(p, bytes, fs * (n - 1));
    /* The last frame arrives, and with it the news that the mat is gone. */
    rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), bytes + fs * (n - 1), fs,
                      RM_USBMON_ENODEV);
    pcap_load(fx, p);
    free(bytes);

    struct rm_session_opts opts = RM_SESSION_OPTS_DEFAULT;
    opts.on_frame = hold_last_frame;
    opts.on_frame_user = (void *)(intptr_t)(n - 1);
    atomic_store(&holding, false);
    /* Stops once the hook holds the last frame (the frames before it are
     * in); the hook lets it go when the stop has begun. */
    struct rm_device *dev = NULL;
    struct rm_session *s = NULL;
    struct rm_device_opts dopts = {0};
    const char *path = rm_test_path("stop-race.h5");
    assert_int_equal(rm_device_usb_open(&dev, 0x1209, 0x0001, NULL, &dopts), 0);
    assert_int_equal(rm_session_new(&s, dev, path, NULL, &opts), 0);
    assert_int_equal(rm_session_start(s), 0);
    struct timespec pause = {0, 2 * 1000 * 1000};
    for (int waited = 0; waited < WAIT_MS && !atomic_load(&holding); waited += 2)
        nanosleep(&pause, NULL);
    assert_true(atomic_load(&holding));
    assert_int_equal(rm_session_stop(s), 0);
    rm_session_free(s);
    rm_device_close(dev);

    struct rm_rec_reader *r = open_recording(path, n, 1);
    assert_int_equal(rm_rec_nevents(r), 1);
    assert_string_equal(rm_rec_events(r)[0].kind, "disconnect");
    rm_rec_reader_close(r);
}

/* The mat pulled just as the STOP request goes out: the request reports no
 * device (usb_fault_shim.c). That was a warning only; it is a disconnect,
 * counted and written. */
static void test_unplug_at_stop_request_counted(void **state)
{
    struct fixture *fx = *state;
    const int n = 40;
    size_t len;
    uint8_t *bytes = encode_frames(0, n, 0, &len);
    struct rm_usbmon_pcap *p = pcap_begin(fx);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    write_frame_per_urb(p, bytes, len);
    pcap_load(fx, p);
    free(bytes);

    rm_usb_shim_unplug_at_request(RM_USB_REQ_STOP);
    const char *path = rm_test_path("stop-unplug.h5");
    char msg[512];
    assert_int_equal(record_usb(path, n, msg, sizeof(msg)), 0);

    struct rm_rec_reader *r = open_recording(path, n, 1);
    assert_int_equal(rm_rec_nevents(r), 1);
    assert_string_equal(rm_rec_events(r)[0].kind, "disconnect");
    rm_rec_reader_close(r);
}

int main(int argc, char **argv)
{
    /* umockdev replays about twice as fast with a fine timer slack. */
    prctl(PR_SET_TIMERSLACK, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_reads_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_wrong_serial_or_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_session_bit_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_frames_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_and_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_and_babble_recovered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hotplug_remove_and_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_endless_stalls_fail_cleanly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_survives_replug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tee_session_over_replug, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_ends_with_message_on_endless_babble, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_session_survives_lost_cancellation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_during_stop_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unplug_at_stop_request_counted, setup, teardown),
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

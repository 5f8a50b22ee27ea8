/* The real libusb backend (acquire/device_usb.c) and the real wire decoder
 * against a mat replayed by umockdev from generated usbmon captures
 * (usb_replay.h, shared/notes/usb-testing.md): the preload library is linked
 * into this test, and each test sets up its own testbed before libusb
 * starts. The backend under a session: test_usb_replay_session.c. */
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

#include "usb_replay.h"

#include "device_backend.h"
#include "device_usb.h"
#include "rm_error.h"
#include "rm_mat.h"
#include "rm_wire.h"
#include "testlib.h"
#include "usb_fault_shim.h"

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

static void assert_frames_in_order(const struct sink *s, int from, int to, uint32_t seq0)
{
    for (int i = from; i < to; i++) {
        assert_int_equal(s->seq[i], seq0 + (uint32_t)(i - from));
        if (i > from)
            assert_true(s->t_us[i] > s->t_us[i - 1]);
    }
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
    };
    return rm_test_run_selected(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}

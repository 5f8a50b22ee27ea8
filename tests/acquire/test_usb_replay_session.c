/* The real libusb backend under the session pipeline, into real
 * recordings: a mat replayed by umockdev from generated usbmon captures
 * (usb_replay.h) unplugged, babbling, losing a cancellation or leaving as
 * the session stops. The backend alone: test_usb_replay.c. */
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

#include "usb_replay.h"

#include "device_backend.h"
#include "device_tee.h"
#include "device_usb.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_recording.h"
#include "rm_session.h"
#include "testlib.h"
#include "usb_fault_shim.h"

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

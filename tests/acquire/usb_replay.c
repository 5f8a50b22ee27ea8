/* The synthetic mat and the umockdev fixture of the usb replay tests
 * (usb_replay.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usb_replay.h"

#include "device_usb.h"
#include "rm_mat.h"
#include "rm_wire.h"
#include "testlib.h"
#include "usb_fault_shim.h"

/* ---- the synthetic mat -------------------------------------------------- */

uint16_t sensel(uint32_t seq, int i)
{
    return (uint16_t)(((seq + 1) * 2654435761u ^ (uint32_t)i * 40503u) >> 20);
}

size_t frame_size(void)
{
    return rm_wire_frame_size(ROWS, COLS);
}

size_t transfer_size(void)
{
    return rm_usb_transfer_size(frame_size(), RATE);
}

/* Encodes frames [seq0, seq0 + n) with a device clock starting at t0_us. */
uint8_t *encode_frames(uint32_t seq0, int n, uint32_t t0_us, size_t *len)
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

void write_get_info(struct rm_usbmon_pcap *p)
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
void write_replug(struct rm_usbmon_pcap *p)
{
    rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), NULL, 0, RM_USBMON_ENODEV);
    write_get_info(p);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
}

/* As a firmware sending each frame as one transfer: every frame ends in a
 * short packet, which completes the URB. */
void write_frame_per_urb(struct rm_usbmon_pcap *p, const uint8_t *bytes, size_t len)
{
    size_t fs = frame_size();
    for (size_t off = 0; off < len; off += fs)
        rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)transfer_size(), bytes + off,
                          len - off < fs ? len - off : fs, 0);
}

/* As a firmware streaming without regard to frames: URBs of any size, frames
 * spanning several of them. */
void write_stream(struct rm_usbmon_pcap *p, const uint8_t *bytes, size_t len, unsigned seed)
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

/* ---- fixture ------------------------------------------------------------ */

int setup(void **state)
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

int teardown(void **state)
{
    struct fixture *fx = *state;
    rm_usb_shim_reset();
    g_object_unref(fx->testbed);
    free(fx);
    return 0;
}

struct rm_usbmon_pcap *pcap_begin(struct fixture *fx)
{
    struct rm_usbmon_pcap *p = rm_usbmon_pcap_open(fx->pcap, RM_TEST_USB_BUS, RM_TEST_USB_DEVNUM);
    assert_non_null(p);
    return p;
}

void pcap_load(struct fixture *fx, struct rm_usbmon_pcap *p)
{
    GError *error = NULL;
    assert_int_equal(rm_usbmon_pcap_close(p), 0);
    if (!umockdev_testbed_load_pcap(fx->testbed, "/sys" RM_TEST_USB_SYSFS, fx->pcap, &error))
        fail_msg("load_pcap: %s", error->message);
}

/* Loads a capture of n1 frames, the mat leaving and coming back, n2 frames
 * (seq and clock restarted), then STOP; one frame per transfer. The mat
 * leaves by a transfer failing with -ENODEV when unplug_urb, otherwise the
 * test tells it by hotplug events. */
void load_two_runs(struct fixture *fx, int n1, int n2, bool unplug_urb)
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

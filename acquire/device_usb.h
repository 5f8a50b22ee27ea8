/* The real mat through libusb (shared/spec/wire-protocol.md): vendor control
 * requests, and a ring of asynchronous bulk-IN transfers on a dedicated
 * event thread that survives the mat being unplugged and plugged back.
 *
 * rm_device_usb_open() plugs it into the device layer (rm_device.h); the
 * rm_usb_mat_* functions below are the backend itself, for the device layer
 * and for tests that drive it under umockdev. */
#ifndef RM_DEVICE_USB_H
#define RM_DEVICE_USB_H

#include <stddef.h>
#include <stdint.h>

#include "rm_device.h"
#include "rm_mat.h"

/* Every bulk transfer holds about this many milliseconds of frames at the
 * mat's rate, rounded up to whole 512-byte high-speed packets, and this many
 * are in flight, as sigrok's fx2lafw driver sizes its ring: the host always
 * has a buffer waiting however late the event thread is woken. */
#define RM_USB_TRANSFER_MS 16
#define RM_USB_RING_DEPTH  8
#define RM_USB_PACKET_SIZE 512
/* libusb/usbfs handles at most 262,080 bytes in one transfer. */
#define RM_USB_TRANSFER_MAX (256 * 1024 - 2 * RM_USB_PACKET_SIZE)
/* A bulk transfer that sees no data for this long completes as timed out
 * and is resubmitted: an idle mat is normal, a transfer that never ends is
 * not. */
#define RM_USB_TRANSFER_TIMEOUT_MS 500
#define RM_USB_CONTROL_TIMEOUT_MS  1000
/* While the mat is away, how often to look for it when no hotplug event
 * says it is back. */
#define RM_USB_RECONNECT_POLL_MS 500

/* Vendor requests of the wire protocol. */
#define RM_USB_REQ_GET_INFO 0x01
#define RM_USB_REQ_SET_RATE 0x02
#define RM_USB_REQ_START    0x03
#define RM_USB_REQ_STOP     0x04
#define RM_USB_EP_FRAMES    0x81

/* The size of each bulk-IN transfer for frames of frame_bytes at rate_hz. */
size_t rm_usb_transfer_size(size_t frame_bytes, int rate_hz);

/* Counters of what happened on the bulk endpoint, for logs and tests. */
struct rm_usb_stats {
    uint64_t transfers;   /* completed with data */
    uint64_t bytes;       /* delivered to the data callback */
    uint64_t timeouts;    /* transfers that saw no data in time (idle) */
    uint64_t stalls;      /* -EPIPE completions, each followed by clear_halt */
    uint64_t overflows;   /* babble: the mat sent more than a packet */
    uint64_t errors;      /* other transfer errors (-EPROTO, ...) */
    uint64_t disconnects; /* the mat went away */
    uint64_t reconnects;  /* and came back */
    uint64_t abandoned;   /* transfers that never came back from cancelling: given up on, and
                             fresh ones streamed in their places */
};

struct rm_usb_mat;

/* Opens the first mat with vid:pid (and the given serial, matched against
 * the info block, when serial is not NULL or empty), claims interface 0,
 * reads its info block and, when rate_hz is not 0, sets its frame rate.
 * RM_ENOTFOUND when no such mat is plugged in, RM_EUSB with a message naming
 * the mat on any other failure. Owned by the caller: rm_usb_mat_close(). */
int rm_usb_mat_open(struct rm_usb_mat **out, uint16_t vid, uint16_t pid, const char *serial,
                    int rate_hz);
const struct rm_mat_info *rm_usb_mat_info(const struct rm_usb_mat *m);

/* Sends START, submits the transfer ring and starts the event thread, which
 * calls cb (data, and DISCONNECT / RECONNECT / FAILED events) until
 * rm_usb_mat_stop(). On FAILED, rm_last_error() in the event callback says
 * why. */
int rm_usb_mat_start(struct rm_usb_mat *m, const struct rm_device_callbacks *cb);

/* Sends STOP, cancels every transfer, waits until none is in flight and the
 * event thread has ended: no callback runs after it returns. */
int rm_usb_mat_stop(struct rm_usb_mat *m);

void rm_usb_mat_stats(const struct rm_usb_mat *m, struct rm_usb_stats *out);

/* Stops if needed, releases the interface and frees everything. */
void rm_usb_mat_close(struct rm_usb_mat *m);

#endif

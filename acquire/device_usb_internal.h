/* The libusb backend's parts, for its three files and nobody else:
 * device_usb.c (the event thread, reconnection, the public functions),
 * device_usb_find.c (finding, claiming and asking a mat) and
 * device_usb_ring.c (the ring of bulk transfers). */
#ifndef RM_DEVICE_USB_INTERNAL_H
#define RM_DEVICE_USB_INTERNAL_H

#include <libusb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "device_usb.h"
#include "rm_device.h"
#include "rm_mat.h"

/* The longest one wait for libusb events lasts: how soon the event thread
 * sees a stop request, a drain deadline or the next reconnect poll. */
#define RM_USB_EVENT_SLICE_MS 100

enum link_state {
    LINK_IDLE,      /* open, not streaming */
    LINK_STREAMING, /* the ring is submitted */
    LINK_LOST,      /* the mat went away; the ring must be drained */
    LINK_AWAY,      /* drained and closed; waiting for the mat */
    LINK_FAILED,    /* unrecoverable; fail_msg says why */
};

struct ring_slot {
    struct rm_usb_mat *mat;
    struct libusb_transfer *transfer;
    uint8_t *buffer;
    bool in_flight;
    bool abandoned;         /* given up on: no longer part of the ring */
    struct ring_slot *next; /* in the mat's list of abandoned slots */
};

struct rm_usb_mat {
    libusb_context *ctx;
    libusb_device_handle *handle; /* NULL while the mat is away */
    libusb_hotplug_callback_handle hotplug;
    bool has_hotplug;
    uint16_t vid, pid;
    char ids[48]; /* "1209:0001" or "1209:0001:SERIAL", for messages */
    struct rm_mat_info info;

    struct ring_slot *ring[RM_USB_RING_DEPTH]; /* NULL: to be refilled (fill_ring) */
    size_t transfer_size;
    int in_flight;               /* of the ring's slots; abandoned ones do not count */
    struct ring_slot *abandoned; /* submitted on the current handle, freed when it closes */

    /* Touched only by the thread that handles events: the caller before
     * start, the event thread between start and stop. */
    enum link_state link;
    int consecutive_errors;
    bool reconnect_warned;
    char fail_msg[256];

    struct rm_device_callbacks cb;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop_requested;
    atomic_bool arrived; /* hotplug saw a matching mat arrive */

    struct {
        atomic_uint_fast64_t transfers, bytes, timeouts, stalls, overflows, errors, disconnects,
            reconnects, abandoned;
    } stats;
};

/* ---- device_usb_find.c: finding, claiming and asking a mat ------------- */

/* Opens the first vid:pid mat whose info block has the given serial (any
 * when serial is empty), claims its interface and reads its info block into
 * *info; *out_h is the caller's (rm_usb_release()). RM_ENOTFOUND when there
 * is none; otherwise the error of the most telling failure (permission
 * denied, busy, ...). ids names the mat in messages. */
int rm_usb_find_and_open(libusb_context *ctx, uint16_t vid, uint16_t pid, const char *serial,
                         const char *ids, libusb_device_handle **out_h, struct rm_mat_info *info);

/* Releases the interface and closes the handle (harmless when the mat is gone). */
void rm_usb_release(libusb_device_handle *h);

/* A vendor request without data (SET_RATE, START, STOP): RM_ENODEV when the
 * mat went away, RM_EUSB on other failures; name is the request's, for the message. */
int rm_usb_control_out(libusb_device_handle *h, const char *ids, uint8_t request, uint16_t value,
                       const char *name);

/* ---- device_usb_ring.c: the ring of bulk transfers ---------------------- */

/* Handles libusb events for at most ms milliseconds. */
void rm_usb_handle_events_ms(libusb_context *ctx, int ms);

/* The link failed for good, for the reason fmt says (kept in fail_msg; the
 * first reason wins). */
void rm_usb_fail_link(struct rm_usb_mat *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The mat went away while streaming, as why says. */
void rm_usb_lose_link(struct rm_usb_mat *m, const char *why);

/* Sizes the transfers for the mat's grid and rate and fills the ring. */
int rm_usb_ring_alloc(struct rm_usb_mat *m);

/* Fills the ring's empty places and submits every transfer on m->handle;
 * the link is STREAMING on success. */
int rm_usb_ring_submit(struct rm_usb_mat *m);

/* Cancels every transfer and handles events until all have come back, or
 * gives up on those that do not (m->abandoned). */
void rm_usb_ring_drain(struct rm_usb_mat *m);

/* Frees a slot of the ring (NULL: nothing). */
void rm_usb_ring_free_slot(struct ring_slot *s);

#endif

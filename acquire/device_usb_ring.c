/* The libusb backend's ring of bulk-IN transfers: sized from the mat's rate,
 * resubmitted from their completion callback on the event thread, counted,
 * and drained (or given up on) when the stream stops or the mat leaves. */
#define LOG_PREFIX "usb"

#include "device_usb_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "device_backend.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_wire.h"

/* Every transfer of the ring failing this many times in a row, with no data
 * in between, means the endpoint will not recover by retrying. */
#define MAX_CONSECUTIVE_ERRORS (4 * RM_USB_RING_DEPTH)
/* How long cancelled transfers may take to come back before we give up on
 * them (abandon_in_flight: they leave the ring, fresh ones take their
 * places). */
#define DRAIN_TIMEOUT_MS 3000

void rm_usb_handle_events_ms(libusb_context *ctx, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    int rc = libusb_handle_events_timeout_completed(ctx, &tv, NULL);
    if (rc < 0 && rc != LIBUSB_ERROR_INTERRUPTED)
        rm_warn("handling events: %s", libusb_error_name(rc));
}

size_t rm_usb_transfer_size(size_t frame_bytes, int rate_hz)
{
    assert(frame_bytes > 0 && rate_hz > 0);
    size_t bytes = (frame_bytes * (size_t)rate_hz * RM_USB_TRANSFER_MS + 999) / 1000;
    size_t packets = (bytes + RM_USB_PACKET_SIZE - 1) / RM_USB_PACKET_SIZE;
    size_t size = (packets ? packets : 1) * RM_USB_PACKET_SIZE;
    return size < RM_USB_TRANSFER_MAX ? size : RM_USB_TRANSFER_MAX;
}

/* ---- the transfer ring ----------------------------------------------- */

void rm_usb_fail_link(struct rm_usb_mat *m, const char *fmt, ...)
{
    if (m->link == LINK_FAILED)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->fail_msg, sizeof(m->fail_msg), fmt, ap);
    va_end(ap);
    /* Whoever handles the FAILED event reports it as the error. */
    rm_info("%s", m->fail_msg);
    m->link = LINK_FAILED;
}

void rm_usb_lose_link(struct rm_usb_mat *m, const char *why)
{
    if (m->link != LINK_STREAMING)
        return;
    rm_warn("%s: the mat went away (%s)", m->ids, why);
    m->link = LINK_LOST;
}

static int submit(struct ring_slot *s)
{
    int rc = libusb_submit_transfer(s->transfer);
    if (rc == 0) {
        s->in_flight = true;
        s->mat->in_flight++;
    }
    return rc;
}

/* Counts a failed completion; true while retrying is still reasonable. */
static bool count_error(struct rm_usb_mat *m, const char *what)
{
    if (++m->consecutive_errors <= MAX_CONSECUTIVE_ERRORS)
        return true;
    rm_usb_fail_link(m,
                     "%s: bulk endpoint 0x%02x failed %d times in a row without data (last: %s); "
                     "giving up",
                     m->ids, RM_USB_EP_FRAMES, m->consecutive_errors, what);
    return false;
}

static void on_transfer(struct libusb_transfer *t)
{
    struct ring_slot *s = t->user_data;
    struct rm_usb_mat *m = s->mat;
    if (s->abandoned) {
        /* Back after all, too late to keep its place in the stream: a fresh
         * slot streams in its place. Its data is dropped, said here, and the
         * decoder counts the frames missing from the sequence. */
        s->in_flight = false;
        if (t->actual_length > 0)
            rm_warn("%s: a transfer given up on came back late; its %d bytes are dropped", m->ids,
                    t->actual_length);
        return;
    }
    assert(s->in_flight && m->in_flight > 0);
    s->in_flight = false;
    m->in_flight--;

    /* Whatever arrived is delivered, whatever the status: a timed-out or
     * cancelled transfer may hold the start of a frame. */
    if (t->actual_length > 0) {
        atomic_fetch_add(&m->stats.bytes, (uint64_t)t->actual_length);
        m->cb.data(m->cb.user, t->buffer, (size_t)t->actual_length);
    }

    bool resubmit = false;
    switch (t->status) {
    case LIBUSB_TRANSFER_COMPLETED:
        atomic_fetch_add(&m->stats.transfers, 1);
        m->consecutive_errors = 0;
        resubmit = true;
        break;
    case LIBUSB_TRANSFER_TIMED_OUT:
        /* An idle mat: normal. */
        atomic_fetch_add(&m->stats.timeouts, 1);
        if (t->actual_length > 0)
            m->consecutive_errors = 0;
        resubmit = true;
        break;
    case LIBUSB_TRANSFER_CANCELLED:
        break;
    case LIBUSB_TRANSFER_NO_DEVICE:
        rm_usb_lose_link(m, "transfer reported no device");
        break;
    case LIBUSB_TRANSFER_STALL: {
        uint64_t n = atomic_fetch_add(&m->stats.stalls, 1) + 1;
        if (n <= 3 || n % 100 == 0)
            rm_warn("%s: endpoint 0x%02x stalled (%llu so far); clearing the halt", m->ids,
                    RM_USB_EP_FRAMES, (unsigned long long)n);
        resubmit = count_error(m, "stall");
        if (resubmit && m->link == LINK_STREAMING) {
            int rc = libusb_clear_halt(t->dev_handle, RM_USB_EP_FRAMES);
            if (rc == LIBUSB_ERROR_NO_DEVICE)
                rm_usb_lose_link(m, "clear_halt reported no device");
            else if (rc < 0)
                rm_warn("%s: clear_halt: %s", m->ids, libusb_error_name(rc));
        }
        break;
    }
    case LIBUSB_TRANSFER_OVERFLOW: {
        uint64_t n = atomic_fetch_add(&m->stats.overflows, 1) + 1;
        if (n <= 3 || n % 100 == 0)
            rm_warn("%s: babble on endpoint 0x%02x (%llu so far); data of that transfer lost",
                    m->ids, RM_USB_EP_FRAMES, (unsigned long long)n);
        resubmit = count_error(m, "overflow");
        break;
    }
    case LIBUSB_TRANSFER_ERROR:
    default: {
        uint64_t n = atomic_fetch_add(&m->stats.errors, 1) + 1;
        if (n <= 3 || n % 100 == 0)
            rm_warn("%s: transfer error %d on endpoint 0x%02x (%llu so far)", m->ids,
                    (int)t->status, RM_USB_EP_FRAMES, (unsigned long long)n);
        resubmit = count_error(m, "transfer error");
        break;
    }
    }

    if (!resubmit || m->link != LINK_STREAMING || atomic_load(&m->stop_requested))
        return;
    int rc = submit(s);
    if (rc == LIBUSB_ERROR_NO_DEVICE)
        rm_usb_lose_link(m, "resubmit reported no device");
    else if (rc < 0)
        rm_usb_fail_link(m, "%s: resubmitting a bulk transfer: %s", m->ids, libusb_error_name(rc));
}

void rm_usb_ring_free_slot(struct ring_slot *s)
{
    if (!s)
        return;
    libusb_free_transfer(s->transfer);
    free(s->buffer);
    free(s);
}

/* Gives every empty place of the ring a new slot. */
static int fill_ring(struct rm_usb_mat *m)
{
    for (int i = 0; i < RM_USB_RING_DEPTH; i++) {
        if (m->ring[i])
            continue;
        struct ring_slot *s = calloc(1, sizeof(*s)); /* the ring's; rm_usb_ring_free_slot() */
        if (s) {
            s->mat = m;
            s->transfer = libusb_alloc_transfer(0);
            s->buffer = malloc(m->transfer_size);
        }
        if (!s || !s->transfer || !s->buffer) {
            rm_usb_ring_free_slot(s);
            return rm_fail(RM_ENOMEM, "usb:%s: out of memory for the transfer ring", m->ids);
        }
        m->ring[i] = s;
    }
    return 0;
}

int rm_usb_ring_alloc(struct rm_usb_mat *m)
{
    size_t frame = rm_wire_frame_size(m->info.rows, m->info.cols);
    m->transfer_size = rm_usb_transfer_size(frame, m->info.rate_hz);
    int rc = fill_ring(m);
    if (rc < 0)
        return rc;
    rm_info("%s: ring of %d transfers of %zu bytes (%d ms of frames each)", m->ids,
            RM_USB_RING_DEPTH, m->transfer_size, RM_USB_TRANSFER_MS);
    return 0;
}

static void cancel_ring(struct rm_usb_mat *m)
{
    for (int i = 0; i < RM_USB_RING_DEPTH; i++)
        if (m->ring[i] && m->ring[i]->in_flight)
            libusb_cancel_transfer(m->ring[i]->transfer);
}

/* Transfers that did not come back from cancelling (a host controller that
 * lost them) are given up on. Reusing them would submit a transfer libusb
 * still holds, and reconnection failed for good; freeing them would free
 * memory libusb may still complete into. So their slots leave the ring for
 * the list of abandoned ones, freed once their handle is closed (libusb
 * then forgets its transfers, and usbfs copies data into a buffer only when
 * libusb reaps it), and fill_ring() gives the next start a whole ring. */
static void abandon_in_flight(struct rm_usb_mat *m)
{
    rm_err("%s: %d transfers did not come back after cancelling; giving up on them", m->ids,
           m->in_flight);
    for (int i = 0; i < RM_USB_RING_DEPTH; i++) {
        struct ring_slot *s = m->ring[i];
        if (!s || !s->in_flight)
            continue;
        s->abandoned = true;
        s->next = m->abandoned;
        m->abandoned = s;
        m->ring[i] = NULL;
        atomic_fetch_add(&m->stats.abandoned, 1);
    }
    m->in_flight = 0;
}

/* Cancels every transfer and handles events until all have come back. */
void rm_usb_ring_drain(struct rm_usb_mat *m)
{
    cancel_ring(m);
    uint64_t deadline = rm_clock_ms() + DRAIN_TIMEOUT_MS;
    while (m->in_flight > 0) {
        if (rm_clock_ms() > deadline) {
            abandon_in_flight(m);
            return;
        }
        rm_usb_handle_events_ms(m->ctx, RM_USB_EVENT_SLICE_MS);
    }
}

int rm_usb_ring_submit(struct rm_usb_mat *m)
{
    assert(m->in_flight == 0);
    int rc = fill_ring(m);
    if (rc < 0)
        return rc;
    m->consecutive_errors = 0;
    m->link = LINK_STREAMING;
    for (int i = 0; i < RM_USB_RING_DEPTH; i++) {
        struct ring_slot *s = m->ring[i];
        libusb_fill_bulk_transfer(s->transfer, m->handle, RM_USB_EP_FRAMES, s->buffer,
                                  (int)m->transfer_size, on_transfer, s,
                                  RM_USB_TRANSFER_TIMEOUT_MS);
        rc = submit(s);
        if (rc < 0) {
            m->link = LINK_IDLE;
            rm_usb_ring_drain(m);
            if (rc == LIBUSB_ERROR_NO_DEVICE)
                return rm_fail(RM_ENODEV, "usb:%s: the mat went away while starting", m->ids);
            return rm_fail(RM_EUSB, "usb:%s: submitting a bulk transfer: %s", m->ids,
                           libusb_error_name(rc));
        }
    }
    return 0;
}

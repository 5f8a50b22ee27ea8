/* The libusb backend. One event thread owns everything that moves: it
 * handles libusb events, resubmits bulk transfers from their callback,
 * notices the mat leaving (a NO_DEVICE completion or a hotplug "left"
 * event), waits for it to come back (hotplug where libusb has it, polling
 * as well, since a hotplug event can be missed between close and reopen),
 * and tears the ring down on stop. The thread that calls rm_usb_mat_stop()
 * only raises a flag and joins, so the handle is never used from two
 * threads at once. */
#define LOG_PREFIX "usb"

#include "device_usb.h"

#include "device_backend.h"

#include <assert.h>
#include <errno.h>
#include <libusb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rm_error.h"
#include "rm_log.h"
#include "rm_wire.h"

#define INTERFACE 0
/* Every transfer of the ring failing this many times in a row, with no data
 * in between, means the endpoint will not recover by retrying. */
#define MAX_CONSECUTIVE_ERRORS (4 * RM_USB_RING_DEPTH)
/* How long cancelled transfers may take to come back before we give up on
 * them (abandon_in_flight: they leave the ring, fresh ones take their
 * places). */
#define DRAIN_TIMEOUT_MS 3000
/* After STOP, frames already on their way still arrive for a moment. */
#define STOP_DRAIN_MS  50
#define EVENT_SLICE_MS 100

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

static void handle_events_ms(libusb_context *ctx, int ms)
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

/* ---- control requests ------------------------------------------------ */

static int get_info(libusb_device_handle *h, const char *ids, struct rm_mat_info *out)
{
    uint8_t block[RM_INFO_BLOCK_SIZE];
    int rc = libusb_control_transfer(h, 0xC0, RM_USB_REQ_GET_INFO, 0, INTERFACE, block,
                                     sizeof(block), RM_USB_CONTROL_TIMEOUT_MS);
    if (rc == LIBUSB_ERROR_NO_DEVICE)
        return rm_fail(RM_ENODEV, "usb:%s: the mat went away during GET_INFO", ids);
    if (rc < 0)
        return rm_fail(RM_EUSB, "usb:%s: GET_INFO failed: %s", ids, libusb_error_name(rc));
    if (rc != RM_INFO_BLOCK_SIZE)
        return rm_fail(RM_EFORMAT, "usb:%s: GET_INFO returned %d bytes, expected %d", ids, rc,
                       RM_INFO_BLOCK_SIZE);
    char where[80];
    snprintf(where, sizeof(where), "usb:%s:info", ids);
    return rm_mat_info_parse(block, where, out);
}

static int control_out(libusb_device_handle *h, const char *ids, uint8_t request, uint16_t value,
                       const char *name)
{
    int rc = libusb_control_transfer(h, 0x40, request, value, INTERFACE, NULL, 0,
                                     RM_USB_CONTROL_TIMEOUT_MS);
    if (rc == LIBUSB_ERROR_NO_DEVICE)
        return rm_fail(RM_ENODEV, "usb:%s: the mat went away during %s", ids, name);
    if (rc < 0)
        return rm_fail(RM_EUSB, "usb:%s: %s failed: %s", ids, name, libusb_error_name(rc));
    return 0;
}

/* ---- finding and opening the mat ----------------------------------- */

/* Claims interface 0. kernel_driver_active and set_configuration are not
 * supported everywhere (umockdev answers LIBUSB_ERROR_OTHER): only a
 * definite "yes, a driver is bound" or "unconfigured" is acted upon. */
static int claim(libusb_device_handle *h, const char *ids)
{
    if (libusb_kernel_driver_active(h, INTERFACE) == 1) {
        int rc = libusb_detach_kernel_driver(h, INTERFACE);
        if (rc < 0)
            rm_warn("%s: detaching the kernel driver: %s", ids, libusb_error_name(rc));
    }
    int config = -1;
    if (libusb_get_configuration(h, &config) == 0 && config == 0) {
        int rc = libusb_set_configuration(h, 1);
        if (rc < 0 && rc != LIBUSB_ERROR_OTHER && rc != LIBUSB_ERROR_NOT_SUPPORTED)
            return rm_fail(RM_EUSB, "usb:%s: set_configuration(1): %s", ids, libusb_error_name(rc));
    }
    int rc = libusb_claim_interface(h, INTERFACE);
    if (rc == LIBUSB_ERROR_BUSY)
        return rm_fail(RM_EUSB, "usb:%s: the mat is in use by another program (rollmatd?)", ids);
    if (rc == LIBUSB_ERROR_NO_DEVICE)
        return rm_fail(RM_ENODEV, "usb:%s: the mat went away while opening it", ids);
    if (rc < 0)
        return rm_fail(RM_EUSB, "usb:%s: claiming interface 0: %s", ids, libusb_error_name(rc));
    return 0;
}

static void release(libusb_device_handle *h)
{
    /* Fails harmlessly when the mat is gone. */
    libusb_release_interface(h, INTERFACE);
    libusb_close(h);
}

/* Opens the first vid:pid mat whose info block has the given serial (any
 * when serial is empty). RM_ENOTFOUND when there is none; otherwise the
 * error of the most telling failure (permission denied, busy, ...). */
static int find_and_open(libusb_context *ctx, uint16_t vid, uint16_t pid, const char *serial,
                         const char *ids, libusb_device_handle **out_h, struct rm_mat_info *info)
{
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(ctx, &list); /* freed below */
    if (n < 0)
        return rm_fail(RM_EUSB, "usb:%s: listing USB devices: %s", ids, libusb_error_name((int)n));

    int result = RM_ENOTFOUND;
    bool other_serial = false;
    for (ssize_t i = 0; i < n; i++) {
        struct libusb_device_descriptor desc;
        if (libusb_get_device_descriptor(list[i], &desc) < 0 || desc.idVendor != vid ||
            desc.idProduct != pid)
            continue;
        int bus = libusb_get_bus_number(list[i]), addr = libusb_get_device_address(list[i]);
        libusb_device_handle *h = NULL;
        int rc = libusb_open(list[i], &h);
        if (rc == LIBUSB_ERROR_ACCESS) {
            result = rm_fail(RM_EUSB,
                             "usb:%s: permission denied on bus %d address %d (install "
                             "packaging/70-rollmat.rules, then replug the mat)",
                             ids, bus, addr);
            continue;
        }
        if (rc < 0) {
            result = rm_fail(RM_EUSB, "usb:%s: opening bus %d address %d: %s", ids, bus, addr,
                             libusb_error_name(rc));
            continue;
        }
        if ((rc = claim(h, ids)) < 0) {
            libusb_close(h);
            result = rc;
            continue;
        }
        if ((rc = get_info(h, ids, info)) < 0) {
            release(h);
            result = rc;
            continue;
        }
        if (serial[0] && strcmp(serial, info->serial) != 0) {
            rm_dbg("%s: bus %d address %d is serial %s, not %s", ids, bus, addr, info->serial,
                   serial);
            other_serial = true;
            release(h);
            continue;
        }
        rm_info("%s: opened bus %d address %d: %s serial %s firmware %s, %dx%d @ %d Hz", ids, bus,
                addr, info->model, info->serial, info->firmware, info->rows, info->cols,
                info->rate_hz);
        *out_h = h;
        result = 0;
        break;
    }
    libusb_free_device_list(list, 1);
    if (result == RM_ENOTFOUND)
        rm_fail(RM_ENOTFOUND, "usb:%s: no such mat plugged in%s", ids,
                other_serial ? " (other serial numbers are)" : "");
    return result;
}

/* ---- the transfer ring ----------------------------------------------- */

static void fail_link(struct rm_usb_mat *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_link(struct rm_usb_mat *m, const char *fmt, ...)
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

static void lose_link(struct rm_usb_mat *m, const char *why)
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
    fail_link(m,
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
        lose_link(m, "transfer reported no device");
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
                lose_link(m, "clear_halt reported no device");
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
        lose_link(m, "resubmit reported no device");
    else if (rc < 0)
        fail_link(m, "%s: resubmitting a bulk transfer: %s", m->ids, libusb_error_name(rc));
}

static void free_slot(struct ring_slot *s)
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
        struct ring_slot *s = calloc(1, sizeof(*s)); /* the ring's; free_slot() */
        if (s) {
            s->mat = m;
            s->transfer = libusb_alloc_transfer(0);
            s->buffer = malloc(m->transfer_size);
        }
        if (!s || !s->transfer || !s->buffer) {
            free_slot(s);
            return rm_fail(RM_ENOMEM, "usb:%s: out of memory for the transfer ring", m->ids);
        }
        m->ring[i] = s;
    }
    return 0;
}

static int alloc_ring(struct rm_usb_mat *m)
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
static void drain_ring(struct rm_usb_mat *m)
{
    cancel_ring(m);
    uint64_t deadline = rm_device_now_ms() + DRAIN_TIMEOUT_MS;
    while (m->in_flight > 0) {
        if (rm_device_now_ms() > deadline) {
            abandon_in_flight(m);
            return;
        }
        handle_events_ms(m->ctx, EVENT_SLICE_MS);
    }
}

static int submit_ring(struct rm_usb_mat *m)
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
            drain_ring(m);
            if (rc == LIBUSB_ERROR_NO_DEVICE)
                return rm_fail(RM_ENODEV, "usb:%s: the mat went away while starting", m->ids);
            return rm_fail(RM_EUSB, "usb:%s: submitting a bulk transfer: %s", m->ids,
                           libusb_error_name(rc));
        }
    }
    return 0;
}

/* START and the ring, on an open handle. */
static int start_streaming(struct rm_usb_mat *m)
{
    int rc = control_out(m->handle, m->ids, RM_USB_REQ_START, 0, "START");
    if (rc < 0)
        return rc;
    return submit_ring(m);
}

/* ---- hotplug and reconnection ---------------------------------------- */

static int LIBUSB_CALL on_hotplug(libusb_context *ctx, libusb_device *dev,
                                  libusb_hotplug_event event, void *user)
{
    (void)ctx;
    struct rm_usb_mat *m = user;
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED) {
        atomic_store(&m->arrived, true);
    } else if (m->handle && libusb_get_device(m->handle) == dev) {
        lose_link(m, "hotplug: device left");
    }
    return 0; /* stay registered */
}

static void emit(struct rm_usb_mat *m, enum rm_device_event ev)
{
    if (ev == RM_DEVICE_FAILED)
        rm_fail(RM_EUSB, "usb:%s", m->fail_msg); /* read in the callback, on this thread */
    m->cb.event(m->cb.user, ev);
}

/* Opens the session's mat again after it went away: same serial (when it
 * has one) and same grid, set to the session's rate. */
static int reopen(struct rm_usb_mat *m)
{
    libusb_device_handle *h = NULL;
    struct rm_mat_info info;
    int rc = find_and_open(m->ctx, m->vid, m->pid, m->info.serial, m->ids, &h, &info);
    if (rc < 0)
        return rc;
    if (info.rows != m->info.rows || info.cols != m->info.cols) {
        release(h);
        fail_link(m, "%s: the mat came back with a %dx%d grid instead of %dx%d", m->ids, info.rows,
                  info.cols, m->info.rows, m->info.cols);
        return rm_fail(RM_EFORMAT, "usb:%s", m->fail_msg);
    }
    if (info.rate_hz != m->info.rate_hz &&
        (rc = control_out(h, m->ids, RM_USB_REQ_SET_RATE, m->info.rate_hz, "SET_RATE")) < 0) {
        release(h);
        return rc;
    }
    m->handle = h;
    return 0;
}

static void close_handle(struct rm_usb_mat *m)
{
    if (m->handle)
        release(m->handle);
    m->handle = NULL;
    /* The transfers given up on were submitted on this handle: closed, it
     * can no longer complete them (abandon_in_flight). */
    while (m->abandoned) {
        struct ring_slot *s = m->abandoned;
        m->abandoned = s->next;
        free_slot(s);
    }
}

/* One attempt to get the mat back and streaming. */
static int reconnect_once(struct rm_usb_mat *m)
{
    int rc = reopen(m);
    if (rc < 0)
        return rc;
    if ((rc = start_streaming(m)) < 0) {
        if (m->link != LINK_FAILED)
            m->link = LINK_AWAY;
        close_handle(m);
    }
    return rc;
}

/* The mat is away: wait for a hotplug arrival or the next poll, then try. */
static void wait_and_reconnect(struct rm_usb_mat *m)
{
    uint64_t next_try = rm_device_now_ms() + RM_USB_RECONNECT_POLL_MS;
    while (!atomic_load(&m->stop_requested) && !atomic_load(&m->arrived) &&
           rm_device_now_ms() < next_try)
        handle_events_ms(m->ctx, EVENT_SLICE_MS);
    if (atomic_load(&m->stop_requested))
        return;
    atomic_store(&m->arrived, false);
    rm_clear_error();
    int rc = reconnect_once(m);
    if (rc == 0) {
        m->reconnect_warned = false;
        atomic_fetch_add(&m->stats.reconnects, 1);
        rm_warn("%s: the mat is back; streaming again", m->ids);
        emit(m, RM_DEVICE_RECONNECT);
    } else if (rc != RM_ENOTFOUND && m->link != LINK_FAILED) {
        /* The mat is there but will not open (permissions being applied,
         * another program): say so once, then keep trying quietly. */
        if (!m->reconnect_warned)
            rm_warn("%s: the mat is back but cannot be used yet: %s", m->ids, rm_last_error(rc));
        else
            rm_dbg("%s: reconnecting: %s", m->ids, rm_last_error(rc));
        m->reconnect_warned = true;
    }
}

/* The mat went away (LINK_LOST): the ring drained, the handle closed, the
 * disconnect counted and told. */
static void disconnected(struct rm_usb_mat *m)
{
    drain_ring(m);
    close_handle(m);
    m->link = LINK_AWAY;
    atomic_fetch_add(&m->stats.disconnects, 1);
    emit(m, RM_DEVICE_DISCONNECT);
}

static void *event_thread(void *arg)
{
    struct rm_usb_mat *m = arg;
    while (!atomic_load(&m->stop_requested)) {
        switch (m->link) {
        case LINK_STREAMING:
            handle_events_ms(m->ctx, EVENT_SLICE_MS);
            break;
        case LINK_LOST:
            disconnected(m);
            break;
        case LINK_AWAY:
            wait_and_reconnect(m);
            break;
        case LINK_FAILED:
            drain_ring(m);
            emit(m, RM_DEVICE_FAILED);
            return NULL;
        case LINK_IDLE:
            assert(!"event thread without a stream");
            return NULL;
        }
    }

    if (m->link == LINK_STREAMING) {
        /* STOP while the ring is still up, so frames already on their way
         * are delivered (none is resubmitted once stop is requested). The
         * link stays STREAMING meanwhile, so that the mat leaving now is
         * noticed; a mat that does not answer is not an error here. */
        int rc = control_out(m->handle, m->ids, RM_USB_REQ_STOP, 0, "STOP");
        if (rc == RM_ENODEV)
            lose_link(m, "STOP reported no device");
        else if (rc < 0)
            rm_warn("%s", rm_last_error(rc));
        uint64_t until = rm_device_now_ms() + STOP_DRAIN_MS;
        while (m->in_flight > 0 && rm_device_now_ms() < until)
            handle_events_ms(m->ctx, STOP_DRAIN_MS);
    }
    /* The mat left while we stopped, or just before the stop was seen (the
     * completion that said so came in the last slice of events): a
     * disconnect like any other, counted and told, never dropped. */
    if (m->link == LINK_LOST)
        disconnected(m);
    m->link = m->handle ? LINK_IDLE : LINK_AWAY;
    drain_ring(m);
    return NULL;
}

/* ---- public ------------------------------------------------------------ */

int rm_usb_mat_open(struct rm_usb_mat **out, uint16_t vid, uint16_t pid, const char *serial,
                    int rate_hz)
{
    *out = NULL;
    struct rm_usb_mat *m = calloc(1, sizeof(*m)); /* owned by the caller */
    if (!m)
        return rm_fail(RM_ENOMEM, "usb: out of memory");
    m->vid = vid;
    m->pid = pid;
    if (serial && serial[0])
        snprintf(m->ids, sizeof(m->ids), "%04x:%04x:%.16s", vid, pid, serial);
    else
        snprintf(m->ids, sizeof(m->ids), "%04x:%04x", vid, pid);
    m->link = LINK_IDLE;

    int rc = libusb_init(&m->ctx);
    if (rc < 0) {
        m->ctx = NULL;
        rm_usb_mat_close(m);
        return rm_fail(RM_EUSB, "usb: libusb_init: %s", libusb_error_name(rc));
    }
    rc = find_and_open(m->ctx, vid, pid, serial ? serial : "", m->ids, &m->handle, &m->info);
    if (rc < 0)
        goto fail;
    if (rate_hz != 0 && rate_hz != m->info.rate_hz) {
        if (rate_hz < 1 || rate_hz > m->info.max_rate_hz) {
            rc = rm_fail(RM_EUSAGE, "usb:%s: rate %d Hz outside the mat's 1..%d Hz", m->ids,
                         rate_hz, m->info.max_rate_hz);
            goto fail;
        }
        rc = control_out(m->handle, m->ids, RM_USB_REQ_SET_RATE, (uint16_t)rate_hz, "SET_RATE");
        if (rc < 0)
            goto fail;
        m->info.rate_hz = (uint16_t)rate_hz;
    }
    if ((rc = alloc_ring(m)) < 0)
        goto fail;

    if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG)) {
        rc = libusb_hotplug_register_callback(
            m->ctx, LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT, 0, vid,
            pid, LIBUSB_HOTPLUG_MATCH_ANY, on_hotplug, m, &m->hotplug);
        m->has_hotplug = rc == 0;
        if (rc < 0)
            rm_info("%s: no hotplug (%s); polling for the mat when it goes away", m->ids,
                    libusb_error_name(rc));
    }
    *out = m;
    return 0;
fail:
    rm_usb_mat_close(m);
    return rc;
}

const struct rm_mat_info *rm_usb_mat_info(const struct rm_usb_mat *m)
{
    return &m->info;
}

int rm_usb_mat_start(struct rm_usb_mat *m, const struct rm_device_callbacks *cb)
{
    assert(cb && cb->data && cb->event);
    if (m->thread_started)
        return rm_fail(RM_EUSAGE, "usb:%s: already streaming", m->ids);
    m->cb = *cb;
    atomic_store(&m->stop_requested, false);
    atomic_store(&m->arrived, false);
    /* Between two sessions the mat may have been unplugged (the last one
     * ended while it was away) or unplugged and plugged back (the handle
     * is stale): open it afresh once. */
    int rc = m->handle ? 0 : reopen(m);
    if (rc == 0) {
        m->link = LINK_IDLE;
        rc = start_streaming(m);
    }
    if (rc == RM_ENODEV) {
        close_handle(m);
        rc = reopen(m);
        if (rc == 0)
            rc = start_streaming(m);
    }
    if (rc < 0) {
        m->link = LINK_IDLE;
        return rc == RM_ENOTFOUND ? rm_fail(RM_ENODEV, "usb:%s: the mat is not plugged in", m->ids)
                                  : rc;
    }
    rc = pthread_create(&m->thread, NULL, event_thread, m);
    if (rc != 0) {
        m->link = LINK_IDLE;
        drain_ring(m);
        return rm_fail(RM_EUSB, "usb:%s: cannot start the event thread: %s", m->ids, strerror(rc));
    }
    m->thread_started = true;
    return 0;
}

int rm_usb_mat_stop(struct rm_usb_mat *m)
{
    if (!m->thread_started)
        return 0;
    atomic_store(&m->stop_requested, true);
    libusb_interrupt_event_handler(m->ctx);
    pthread_join(m->thread, NULL);
    m->thread_started = false;
    struct rm_usb_stats st;
    rm_usb_mat_stats(m, &st);
    rm_info("%s: stopped: %llu transfers, %llu bytes, %llu timeouts, %llu stalls, "
            "%llu overflows, %llu errors, %llu disconnects, %llu reconnects, %llu abandoned",
            m->ids, (unsigned long long)st.transfers, (unsigned long long)st.bytes,
            (unsigned long long)st.timeouts, (unsigned long long)st.stalls,
            (unsigned long long)st.overflows, (unsigned long long)st.errors,
            (unsigned long long)st.disconnects, (unsigned long long)st.reconnects,
            (unsigned long long)st.abandoned);
    return 0;
}

void rm_usb_mat_stats(const struct rm_usb_mat *m, struct rm_usb_stats *out)
{
    out->transfers = atomic_load(&m->stats.transfers);
    out->bytes = atomic_load(&m->stats.bytes);
    out->timeouts = atomic_load(&m->stats.timeouts);
    out->stalls = atomic_load(&m->stats.stalls);
    out->overflows = atomic_load(&m->stats.overflows);
    out->errors = atomic_load(&m->stats.errors);
    out->disconnects = atomic_load(&m->stats.disconnects);
    out->reconnects = atomic_load(&m->stats.reconnects);
    out->abandoned = atomic_load(&m->stats.abandoned);
}

void rm_usb_mat_close(struct rm_usb_mat *m)
{
    if (!m)
        return;
    rm_usb_mat_stop(m);
    if (m->has_hotplug)
        libusb_hotplug_deregister_callback(m->ctx, m->hotplug);
    /* Stopped, nothing of the ring is in flight; what was given up on goes
     * with the handle. */
    close_handle(m);
    for (int i = 0; i < RM_USB_RING_DEPTH; i++)
        free_slot(m->ring[i]);
    if (m->ctx)
        libusb_exit(m->ctx);
    free(m);
}

/* ---- the device layer's usb backend ------------------------------------ */

static int usb_start(void *impl, const struct rm_device_callbacks *cb)
{
    return rm_usb_mat_start(impl, cb);
}

static int usb_stop(void *impl)
{
    return rm_usb_mat_stop(impl);
}

static void usb_close(void *impl)
{
    rm_usb_mat_close(impl);
}

static const struct rm_device_ops usb_ops = {
    .name = "usb", .start = usb_start, .stop = usb_stop, .close = usb_close};

int rm_device_usb_open(struct rm_device **out, uint16_t vid, uint16_t pid, const char *serial,
                       const struct rm_device_opts *opts)
{
    struct rm_usb_mat *m = NULL;
    *out = NULL;
    int rc = rm_usb_mat_open(&m, vid, pid, serial, opts ? opts->rate_hz : 0);
    if (rc < 0)
        return rc;
    rc = rm_device_new(out, &usb_ops, m, rm_usb_mat_info(m), true);
    if (rc < 0) {
        rm_usb_mat_close(m);
        return rm_fail(rc, "usb: out of memory");
    }
    return 0;
}

/* A 16-bit hexadecimal id ("1209" or "0x1209"). */
static int parse_hex_id(const char *s, size_t len, uint16_t *out)
{
    char buf[16];
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    unsigned long v = strtoul(buf, &end, 16);
    if (errno || *end || v > 0xffff || buf[0] == '-' || buf[0] == '+')
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* "usb" or "usb:VID:PID[:SERIAL]". */
static int usb_open_spec(struct rm_device **out, const char *spec, const char *args,
                         const struct rm_device_opts *opts)
{
    uint16_t vid = RM_DEFAULT_VID, pid = RM_DEFAULT_PID;
    const char *serial = NULL;
    if (args) {
        const char *colon = strchr(args, ':');
        if (!colon || parse_hex_id(args, (size_t)(colon - args), &vid) < 0)
            return rm_fail(RM_EUSAGE, "device '%s': expected usb:VID:PID[:SERIAL]", spec);
        const char *pid_s = colon + 1;
        const char *colon2 = strchr(pid_s, ':');
        size_t pid_len = colon2 ? (size_t)(colon2 - pid_s) : strlen(pid_s);
        if (parse_hex_id(pid_s, pid_len, &pid) < 0)
            return rm_fail(RM_EUSAGE, "device '%s': expected usb:VID:PID[:SERIAL]", spec);
        if (colon2) {
            serial = colon2 + 1;
            if (!*serial || strlen(serial) > 16)
                return rm_fail(RM_EUSAGE, "device '%s': serial must be 1 to 16 characters", spec);
        }
    }
    return rm_device_usb_open(out, vid, pid, serial, opts);
}

const struct rm_device_backend rm_device_backend_usb = {
    .scheme = "usb",
    .syntax = "usb[:VID:PID[:SERIAL]]",
    .help = "a mat on USB: the first 1209:0001, or the one with these ids",
    .caps = RM_DEVICE_CAN_RECONNECT | RM_DEVICE_PACED,
    .open = usb_open_spec,
};

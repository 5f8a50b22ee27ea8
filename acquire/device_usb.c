/* The libusb backend. One event thread owns everything that moves: it
 * handles libusb events, resubmits bulk transfers from their callback,
 * notices the mat leaving (a NO_DEVICE completion or a hotplug "left"
 * event), waits for it to come back (hotplug where libusb has it, polling
 * as well, since a hotplug event can be missed between close and reopen),
 * and tears the ring down on stop. The thread that calls rm_usb_mat_stop()
 * only raises a flag and joins, so the handle is never used from two
 * threads at once. */
#define LOG_PREFIX "usb"

#include "device_usb_internal.h"

#include "device_backend.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"

/* After STOP, frames already on their way still arrive for a moment. */
#define STOP_DRAIN_MS 50

/* START and the ring, on an open handle. */
static int start_streaming(struct rm_usb_mat *m)
{
    int rc = rm_usb_control_out(m->handle, m->ids, RM_USB_REQ_START, 0, "START");
    if (rc < 0)
        return rc;
    return rm_usb_ring_submit(m);
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
        rm_usb_lose_link(m, "hotplug: device left");
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
    int rc = rm_usb_find_and_open(m->ctx, m->vid, m->pid, m->info.serial, m->ids, &h, &info);
    if (rc < 0)
        return rc;
    if (info.rows != m->info.rows || info.cols != m->info.cols) {
        rm_usb_release(h);
        rm_usb_fail_link(m, "%s: the mat came back with a %dx%d grid instead of %dx%d", m->ids,
                         info.rows, info.cols, m->info.rows, m->info.cols);
        return rm_fail(RM_EFORMAT, "usb:%s", m->fail_msg);
    }
    if (info.rate_hz != m->info.rate_hz &&
        (rc = rm_usb_control_out(h, m->ids, RM_USB_REQ_SET_RATE, m->info.rate_hz, "SET_RATE")) <
            0) {
        rm_usb_release(h);
        return rc;
    }
    m->handle = h;
    return 0;
}

static void close_handle(struct rm_usb_mat *m)
{
    if (m->handle)
        rm_usb_release(m->handle);
    m->handle = NULL;
    /* The transfers given up on were submitted on this handle: closed, it
     * can no longer complete them (abandon_in_flight in device_usb_ring.c). */
    while (m->abandoned) {
        struct ring_slot *s = m->abandoned;
        m->abandoned = s->next;
        rm_usb_ring_free_slot(s);
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
    uint64_t next_try = rm_clock_ms() + RM_USB_RECONNECT_POLL_MS;
    while (!atomic_load(&m->stop_requested) && !atomic_load(&m->arrived) &&
           rm_clock_ms() < next_try)
        rm_usb_handle_events_ms(m->ctx, RM_USB_EVENT_SLICE_MS);
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
    rm_usb_ring_drain(m);
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
            rm_usb_handle_events_ms(m->ctx, RM_USB_EVENT_SLICE_MS);
            break;
        case LINK_LOST:
            disconnected(m);
            break;
        case LINK_AWAY:
            wait_and_reconnect(m);
            break;
        case LINK_FAILED:
            rm_usb_ring_drain(m);
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
        int rc = rm_usb_control_out(m->handle, m->ids, RM_USB_REQ_STOP, 0, "STOP");
        if (rc == RM_ENODEV)
            rm_usb_lose_link(m, "STOP reported no device");
        else if (rc < 0)
            rm_warn("%s", rm_last_error(rc));
        uint64_t until = rm_clock_ms() + STOP_DRAIN_MS;
        while (m->in_flight > 0 && rm_clock_ms() < until)
            rm_usb_handle_events_ms(m->ctx, STOP_DRAIN_MS);
    }
    /* The mat left while we stopped, or just before the stop was seen (the
     * completion that said so came in the last slice of events): a
     * disconnect like any other, counted and told, never dropped. */
    if (m->link == LINK_LOST)
        disconnected(m);
    m->link = m->handle ? LINK_IDLE : LINK_AWAY;
    rm_usb_ring_drain(m);
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
    rc = rm_usb_find_and_open(m->ctx, vid, pid, serial ? serial : "", m->ids, &m->handle, &m->info);
    if (rc < 0)
        goto fail;
    if (rate_hz != 0 && rate_hz != m->info.rate_hz) {
        if (rate_hz < 1 || rate_hz > m->info.max_rate_hz) {
            rc = rm_fail(RM_EUSAGE, "usb:%s: rate %d Hz outside the mat's 1..%d Hz", m->ids,
                         rate_hz, m->info.max_rate_hz);
            goto fail;
        }
        rc = rm_usb_control_out(m->handle, m->ids, RM_USB_REQ_SET_RATE, (uint16_t)rate_hz,
                                "SET_RATE");
        if (rc < 0)
            goto fail;
        m->info.rate_hz = (uint16_t)rate_hz;
    }
    if ((rc = rm_usb_ring_alloc(m)) < 0)
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
        rm_usb_ring_drain(m);
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
        rm_usb_ring_free_slot(m->ring[i]);
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

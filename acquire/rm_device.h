/* A source of mat data. Every backend (usb: the real mat through libusb;
 * sim: the simulated mat paced in real time; file: a .rmw capture) delivers
 * the same thing, the wire byte stream of shared/spec/wire-protocol.md, so
 * decoding, CRC checks and loss counting are one code path for all three.
 * Device quirks stay inside the backends. */
#ifndef RM_DEVICE_H
#define RM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_mat.h"

enum rm_device_event {
    RM_DEVICE_DISCONNECT, /* the mat went away; data stops */
    RM_DEVICE_RECONNECT,  /* it is back and streaming again (seq restarted) */
    RM_DEVICE_END,        /* no more data will come: capture or plan finished */
    RM_DEVICE_FAILED,     /* unrecoverable; rm_last_error() says why */
};

struct rm_device_callbacks {
    /* Wire bytes as received, from the backend's own thread. Must not block
     * on disk: hand the bytes on and return. */
    void (*data)(void *user, const uint8_t *bytes, size_t len);
    void (*event)(void *user, enum rm_device_event ev);
    void *user;
};

struct rm_device_opts {
    bool realtime;     /* file: pace the capture at the device rate */
    int rate_hz;       /* usb: SET_RATE before START; 0 keeps the mat's rate */
    double duration_s; /* sim: stop after this long; 0 = the whole plan */
};

struct rm_device;

/* Opens a device from a spec of shared/spec/cli.md (usb, usb:VID:PID[:SERIAL],
 * sim[:SCENARIO], serial:PATH[@BAUD], file:PATH.rmw) and reads its info block. Close with
 * rm_device_close(). */
int rm_device_open(struct rm_device **out, const char *spec, const struct rm_device_opts *opts);
const struct rm_mat_info *rm_device_info(const struct rm_device *dev);

/* Starts streaming on the backend's own thread. */
int rm_device_start(struct rm_device *dev, const struct rm_device_callbacks *cb);
/* Stops streaming and waits until no callback is running or will run. */
int rm_device_stop(struct rm_device *dev);
void rm_device_close(struct rm_device *dev);

/* false when the device produces as fast as its data callback returns (a
 * capture replayed without realtime): the consumer may then make the
 * callback wait for room instead of dropping frames. true for a mat or the
 * sim, whose callback must never block. */
bool rm_device_paced(const struct rm_device *dev);

#endif

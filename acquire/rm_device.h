/* A source of mat data. Every backend (usb: the real mat through libusb;
 * sim: the simulated mat paced in real time; file: a .rmw capture; see
 * device.c's table for all of them) delivers the same thing, the wire byte
 * stream of shared/spec/wire-protocol.md, so decoding, CRC checks and loss
 * counting are one code path for all. Device quirks stay inside the
 * backends; what a caller may need to know about one (does it come back
 * after going away?) it declares as capabilities. */
#ifndef RM_DEVICE_H
#define RM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* What a caller asks of any device; a backend honours what applies to it
 * (none of these names a backend). */
struct rm_device_opts {
    bool realtime;     /* a replay (RM_DEVICE_REPLAY): pace it at the device rate */
    int rate_hz;       /* a device that can: stream at this rate; 0 keeps its own */
    double duration_s; /* a device that ends on its own: end after this long; 0 = never early */
};

/* Capabilities a backend declares (device.c's table). */
enum rm_device_caps {
    /* A mat that comes and goes (unplugged, plugged back): worth looking
     * for again after it failed to open or went away. */
    RM_DEVICE_CAN_RECONNECT = 1u << 0,
    /* Data at the device's own pace: its data callback must never block. */
    RM_DEVICE_PACED = 1u << 1,
    /* A replay of bytes recorded before: as fast as they are consumed
     * unless opts.realtime paces it (then it is paced too). */
    RM_DEVICE_REPLAY = 1u << 2,
    /* Ends on its own (a capture, a plan): RM_DEVICE_END comes. */
    RM_DEVICE_ENDS = 1u << 3,
};

struct rm_device;

/* Opens a device from a spec of shared/spec/cli.md (usb, usb:VID:PID[:SERIAL],
 * sim[:SCENARIO], serial:PATH[@BAUD], file:PATH.rmw, ...: rm_device_print_specs lists them) and
 * reads its info block. NULL or "" is the default device (usb). Close with
 * rm_device_close(). An unknown spec is RM_EUSAGE. */
int rm_device_open(struct rm_device **out, const char *spec, const struct rm_device_opts *opts);
const struct rm_mat_info *rm_device_info(const struct rm_device *dev);

/* Starts streaming on the backend's own thread. */
int rm_device_start(struct rm_device *dev, const struct rm_device_callbacks *cb);
/* Stops streaming and waits until no callback is running or will run. */
int rm_device_stop(struct rm_device *dev);
void rm_device_close(struct rm_device *dev);

/* The capabilities of the backend a spec names (0 with RM_EUSAGE for a spec
 * no backend takes). Known before any device opens: rollmatd decides from
 * them whether to keep looking for a mat that is not there. */
int rm_device_spec_caps(const char *spec, unsigned *caps);
/* The capabilities of an open device (its backend's). */
unsigned rm_device_caps(const struct rm_device *dev);

/* The device specs with one line of help each, for --help: every line
 * starts with indent spaces. */
void rm_device_print_specs(FILE *out, int indent);

/* false when the device produces as fast as its data callback returns (a
 * capture replayed without realtime): the consumer may then make the
 * callback wait for room instead of dropping frames. true for a mat or the
 * sim, whose callback must never block. */
bool rm_device_paced(const struct rm_device *dev);

#endif

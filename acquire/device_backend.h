/* Inside the device layer: what a backend implements so that rm_device.h
 * can drive it. Adding a backend is its own file (device_NAME.c), one entry
 * in device.c's table and one line in acquire/CMakeLists.txt (HACKING.md,
 * "Add a device backend"). The file defines the backend's declaration,
 *
 *     const struct rm_device_backend rm_device_backend_usb = {
 *         .scheme = "usb",
 *         .syntax = "usb[:VID:PID[:SERIAL]]",
 *         .help = "a mat on USB (default: the first 1209:0001)",
 *         .caps = RM_DEVICE_CAN_RECONNECT | RM_DEVICE_PACED,
 *         .open = usb_open_spec,
 *     };
 *
 * whose open function parses the text after "scheme:", opens the device
 * into its own state and hands it to rm_device_new() with its ops:
 *
 *     static const struct rm_device_ops usb_ops = {
 *         .name = "usb", .start = usb_start, .stop = usb_stop, .close = usb_close};
 *
 * rm_device_close() calls ops->close, then frees the struct. */
#ifndef RM_DEVICE_BACKEND_H
#define RM_DEVICE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "rm_device.h"
#include "rm_mat.h"

struct rm_device_ops {
    const char *name; /* "usb", "sim", "file": for log lines */
    /* Starts the backend's thread, which calls cb->data / cb->event until
     * stop. cb points into the device and stays valid until stop returns. */
    int (*start)(void *impl, const struct rm_device_callbacks *cb);
    /* Returns once no callback is running or will run. Called only after a
     * successful start; may be called after the backend reported END or
     * FAILED. */
    int (*stop)(void *impl);
    /* Frees impl (stopping first if still running). */
    void (*close)(void *impl);
};

/* A backend's declaration: the one place its spec, help and capabilities
 * are written. */
struct rm_device_backend {
    const char *scheme; /* the spec's first word: "usb" takes "usb" and "usb:..." */
    const char *syntax; /* for --help and messages: "usb[:VID:PID[:SERIAL]]" */
    const char *help;   /* one line for --help */
    unsigned caps;      /* enum rm_device_caps */
    /* Opens the device spec names; args is the text after "scheme:", NULL
     * for the bare scheme. A malformed args is RM_EUSAGE naming spec. */
    int (*open)(struct rm_device **out, const char *spec, const char *args,
                const struct rm_device_opts *opts);
};

/* The backends, each defined in its own file, listed in device.c's table. */
extern const struct rm_device_backend rm_device_backend_usb;
extern const struct rm_device_backend rm_device_backend_sim;
extern const struct rm_device_backend rm_device_backend_serial;
extern const struct rm_device_backend rm_device_backend_file;

struct rm_device {
    const struct rm_device_ops *ops;
    unsigned caps; /* the backend's, set by rm_device_open() */
    void *impl;    /* the backend's state, owned by the device */
    struct rm_mat_info info;
    /* true: data comes at the device's own pace and the data callback must
     * never block (a mat, the sim). false: the backend produces as fast as
     * it is consumed (a file replayed without --realtime), so the consumer
     * may make the data callback wait instead of dropping frames. */
    bool paced;
    bool running;
    struct rm_device_callbacks cb; /* the consumer's, while running */
};

/* Wraps a backend's state into a device. On success the device owns impl
 * (freed by ops->close in rm_device_close()); on failure (RM_ENOMEM) the
 * caller still does. info is copied. */
int rm_device_new(struct rm_device **out, const struct rm_device_ops *ops, void *impl,
                  const struct rm_mat_info *info, bool paced);

/* The usb backend with its ids given (tests open a mat under umockdev so). */
int rm_device_usb_open(struct rm_device **out, uint16_t vid, uint16_t pid, const char *serial,
                       const struct rm_device_opts *opts);

#endif

/* Inside the device layer: what a backend (usb, sim, file) implements so
 * that rm_device.h can drive it. A backend's open function fills a struct
 * rm_device through rm_device_new() and hands it back; rm_device_close()
 * calls ops->close, then frees the struct.
 *
 *     static const struct rm_device_ops usb_ops = {"usb", usb_start, usb_stop, usb_close};
 *     int rm_device_usb_open(struct rm_device **out, uint16_t vid, uint16_t pid,
 *                            const char *serial, const struct rm_device_opts *opts)
 *     {
 *         ...open the mat into m...
 *         return rm_device_new(out, &usb_ops, m, rm_usb_mat_info(m), true);
 *     }
 */
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

struct rm_device {
    const struct rm_device_ops *ops;
    void *impl; /* the backend's state, owned by the device */
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

/* The backends' open functions, dispatched from rm_device_open(). */
int rm_device_usb_open(struct rm_device **out, uint16_t vid, uint16_t pid, const char *serial,
                       const struct rm_device_opts *opts);
int rm_device_sim_open(struct rm_device **out, const char *scenario,
                       const struct rm_device_opts *opts);
/* serial:ARGS, ARGS being PATH[@BAUD] (device_serial.c). */
int rm_device_serial_open(struct rm_device **out, const char *spec, const char *args,
                          const struct rm_device_opts *opts);
int rm_device_file_open(struct rm_device **out, const char *path,
                        const struct rm_device_opts *opts);

#endif

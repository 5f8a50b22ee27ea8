/* The device layer: parses a device spec of shared/spec/cli.md and hands the
 * work to the backend it names. */
#include "rm_device.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device_backend.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "device"

#define SPEC_HELP                                                                                  \
    "expected usb, usb:VID:PID[:SERIAL], sim[:SCENARIO], serial:PATH[@BAUD] or file:PATH.rmw"

int rm_device_new(struct rm_device **out, const struct rm_device_ops *ops, void *impl,
                  const struct rm_mat_info *info, bool paced)
{
    assert(ops && ops->start && ops->stop && ops->close);
    *out = NULL;
    /* Owned by the caller until rm_device_close(); it owns impl from here. */
    struct rm_device *dev = calloc(1, sizeof(*dev));
    if (!dev)
        return RM_ENOMEM;
    dev->ops = ops;
    dev->impl = impl;
    dev->info = *info;
    dev->paced = paced;
    *out = dev;
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

static int open_usb(struct rm_device **out, const char *spec, const char *args,
                    const struct rm_device_opts *opts)
{
    uint16_t vid = RM_DEFAULT_VID, pid = RM_DEFAULT_PID;
    const char *serial = NULL;
    if (args) {
        const char *colon = strchr(args, ':');
        if (!colon || parse_hex_id(args, (size_t)(colon - args), &vid) < 0)
            return rm_fail(RM_EUSAGE, "device '%s': " SPEC_HELP, spec);
        const char *pid_s = colon + 1;
        const char *colon2 = strchr(pid_s, ':');
        size_t pid_len = colon2 ? (size_t)(colon2 - pid_s) : strlen(pid_s);
        if (parse_hex_id(pid_s, pid_len, &pid) < 0)
            return rm_fail(RM_EUSAGE, "device '%s': " SPEC_HELP, spec);
        if (colon2) {
            serial = colon2 + 1;
            if (!*serial || strlen(serial) > 16)
                return rm_fail(RM_EUSAGE, "device '%s': serial must be 1 to 16 characters", spec);
        }
    }
    return rm_device_usb_open(out, vid, pid, serial, opts);
}

int rm_device_open(struct rm_device **out, const char *spec, const struct rm_device_opts *opts)
{
    static const struct rm_device_opts defaults;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!spec || !*spec)
        spec = "usb";
    if (strcmp(spec, "usb") == 0)
        return open_usb(out, spec, NULL, opts);
    if (strncmp(spec, "usb:", 4) == 0)
        return open_usb(out, spec, spec + 4, opts);
    if (strcmp(spec, "sim") == 0 || strncmp(spec, "sim:", 4) == 0) {
        return rm_device_sim_open(out, spec[3] == ':' ? spec + 4 : NULL, opts);
    }
    if (strncmp(spec, "serial:", 7) == 0)
        return rm_device_serial_open(out, spec, spec + 7, opts);
    if (strncmp(spec, "file:", 5) == 0 && spec[5])
        return rm_device_file_open(out, spec + 5, opts);
    return rm_fail(RM_EUSAGE, "device '%s': " SPEC_HELP, spec);
}

const struct rm_mat_info *rm_device_info(const struct rm_device *dev)
{
    return &dev->info;
}

bool rm_device_paced(const struct rm_device *dev)
{
    return dev->paced;
}

int rm_device_start(struct rm_device *dev, const struct rm_device_callbacks *cb)
{
    if (dev->running)
        return rm_fail(RM_EUSAGE, "%s device: already started", dev->ops->name);
    dev->cb = *cb;
    int rc = dev->ops->start(dev->impl, &dev->cb);
    if (rc == 0)
        dev->running = true;
    return rc;
}

int rm_device_stop(struct rm_device *dev)
{
    if (!dev->running)
        return 0;
    dev->running = false;
    return dev->ops->stop(dev->impl);
}

void rm_device_close(struct rm_device *dev)
{
    if (!dev)
        return;
    rm_device_stop(dev);
    dev->ops->close(dev->impl);
    free(dev);
}

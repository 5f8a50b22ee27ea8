/* The device layer: finds the backend a device spec of shared/spec/cli.md
 * names in the one table of backends, and hands it the work. */
#include "rm_device.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "device_backend.h"
#include "rm_error.h"
#include "rm_log.h"

#define LOG_PREFIX "device"

/* Every backend, the default first. Adding one: its file, a line here, a
 * line in CMakeLists.txt (HACKING.md). */
static const struct rm_device_backend *const backends[] = {
    &rm_device_backend_usb,
    &rm_device_backend_sim,
    &rm_device_backend_serial,
    &rm_device_backend_file,
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

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

/* The backend whose scheme starts spec ("usb", "usb:..."), and in *args
 * the text after "scheme:" (NULL for the bare scheme). */
static const struct rm_device_backend *find_backend(const char *spec, const char **args)
{
    for (size_t i = 0; i < NBACKENDS; i++) {
        size_t n = strlen(backends[i]->scheme);
        if (strncmp(spec, backends[i]->scheme, n) != 0)
            continue;
        if (spec[n] == '\0') {
            *args = NULL;
            return backends[i];
        }
        if (spec[n] == ':') {
            *args = spec + n + 1;
            return backends[i];
        }
    }
    return NULL;
}

/* "device 'x': expected usb[:VID:PID[:SERIAL]], sim[:SCENARIO] or file:PATH.rmw" */
static int unknown_spec(const char *spec)
{
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < NBACKENDS && used < sizeof(list); i++) {
        const char *sep = i == 0 ? "" : i + 1 == NBACKENDS ? " or " : ", ";
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", sep, backends[i]->syntax);
        if (n > 0)
            used += (size_t)n;
    }
    return rm_fail(RM_EUSAGE, "device '%s': expected %s", spec, list);
}

int rm_device_spec_caps(const char *spec, unsigned *caps)
{
    const char *args;
    const struct rm_device_backend *b =
        find_backend(spec && *spec ? spec : backends[0]->scheme, &args);
    *caps = b ? b->caps : 0;
    return b ? 0 : unknown_spec(spec);
}

void rm_device_print_specs(FILE *out, int indent)
{
    for (size_t i = 0; i < NBACKENDS; i++)
        fprintf(out, "%*s%s%s\n%*s  %s\n", indent, "", backends[i]->syntax,
                i == 0 ? " (default)" : "", indent, "", backends[i]->help);
}

int rm_device_open(struct rm_device **out, const char *spec, const struct rm_device_opts *opts)
{
    static const struct rm_device_opts defaults;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!spec || !*spec)
        spec = backends[0]->scheme;
    const char *args;
    const struct rm_device_backend *b = find_backend(spec, &args);
    if (!b)
        return unknown_spec(spec);
    int rc = b->open(out, spec, args, opts);
    if (rc == 0)
        (*out)->caps = b->caps;
    return rc;
}

unsigned rm_device_caps(const struct rm_device *dev)
{
    return dev->caps;
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

/* The libusb backend: finding a mat among the plugged-in devices, claiming
 * its interface and asking it things with vendor control requests. */
#define LOG_PREFIX "usb"

#include "device_usb_internal.h"

#include <stdio.h>
#include <string.h>

#include "rm_error.h"
#include "rm_log.h"

#define INTERFACE 0

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

int rm_usb_control_out(libusb_device_handle *h, const char *ids, uint8_t request, uint16_t value,
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

void rm_usb_release(libusb_device_handle *h)
{
    /* Fails harmlessly when the mat is gone. */
    libusb_release_interface(h, INTERFACE);
    libusb_close(h);
}

/* Opens the first vid:pid mat whose info block has the given serial (any
 * when serial is empty). RM_ENOTFOUND when there is none; otherwise the
 * error of the most telling failure (permission denied, busy, ...). */
int rm_usb_find_and_open(libusb_context *ctx, uint16_t vid, uint16_t pid, const char *serial,
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
            rm_usb_release(h);
            result = rc;
            continue;
        }
        if (serial[0] && strcmp(serial, info->serial) != 0) {
            rm_dbg("%s: bus %d address %d is serial %s, not %s", ids, bus, addr, info->serial,
                   serial);
            other_serial = true;
            rm_usb_release(h);
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

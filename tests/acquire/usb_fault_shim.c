/* See usb_fault_shim.h. */
#include "usb_fault_shim.h"

#include <libusb.h>
#include <stdatomic.h>
#include <time.h>

int __real_libusb_cancel_transfer(struct libusb_transfer *t);
int __wrap_libusb_cancel_transfer(struct libusb_transfer *t);
void __real_libusb_interrupt_event_handler(libusb_context *ctx);
void __wrap_libusb_interrupt_event_handler(libusb_context *ctx);
int __real_libusb_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t request,
                                   uint16_t value, uint16_t index, unsigned char *data,
                                   uint16_t length, unsigned int timeout);
int __wrap_libusb_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t request,
                                   uint16_t value, uint16_t index, unsigned char *data,
                                   uint16_t length, unsigned int timeout);

static atomic_int to_withhold, withheld, unplug_request;
static atomic_bool interrupted;

void rm_usb_shim_withhold_cancellations(int n)
{
    atomic_store(&to_withhold, n);
}

int rm_usb_shim_withheld(void)
{
    return atomic_load(&withheld);
}

void rm_usb_shim_unplug_at_request(int request)
{
    atomic_store(&unplug_request, request);
}

void rm_usb_shim_reset(void)
{
    atomic_store(&unplug_request, 0);
    atomic_store(&to_withhold, 0);
    atomic_store(&withheld, 0);
    atomic_store(&interrupted, false);
}

bool rm_usb_shim_wait_stop_requested(int timeout_ms)
{
    struct timespec pause = {0, 1000 * 1000};
    for (int waited = 0; waited < timeout_ms && !atomic_load(&interrupted); waited++)
        nanosleep(&pause, NULL);
    return atomic_load(&interrupted);
}

/* Takes the place of the backend's callback on a transfer whose
 * cancellation is withheld: libusb is done with the transfer, the backend
 * never learns it. */
static void LIBUSB_CALL swallow_completion(struct libusb_transfer *t)
{
    (void)t;
    atomic_fetch_add(&withheld, 1);
}

int __wrap_libusb_cancel_transfer(struct libusb_transfer *t)
{
    int left = atomic_load(&to_withhold);
    while (left > 0 && !atomic_compare_exchange_weak(&to_withhold, &left, left - 1)) {
    }
    if (left > 0)
        t->callback = swallow_completion;
    return __real_libusb_cancel_transfer(t);
}

void __wrap_libusb_interrupt_event_handler(libusb_context *ctx)
{
    atomic_store(&interrupted, true);
    __real_libusb_interrupt_event_handler(ctx);
}

int __wrap_libusb_control_transfer(libusb_device_handle *h, uint8_t type, uint8_t request,
                                   uint16_t value, uint16_t index, unsigned char *data,
                                   uint16_t length, unsigned int timeout)
{
    if ((type & LIBUSB_REQUEST_TYPE_VENDOR) && request == atomic_load(&unplug_request))
        return LIBUSB_ERROR_NO_DEVICE;
    return __real_libusb_control_transfer(h, type, request, value, index, data, length, timeout);
}

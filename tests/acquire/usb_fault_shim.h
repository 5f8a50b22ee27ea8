/* A link-time shim of libusb for fault injection in the backend's tests
 * (linked with -Wl,--wrap=...): umockdev completes every cancelled transfer
 * and cannot make the mat leave at a chosen moment, so the faults of a real
 * bus the backend must survive are made here, at the libusb boundary. Every
 * fault is off until armed, and each counts what it did so a test can
 * check the fault really happened. */
#ifndef RM_USB_FAULT_SHIM_H
#define RM_USB_FAULT_SHIM_H

#include <stdbool.h>

/* The next n libusb_cancel_transfer() calls cancel the transfer, but its
 * completion is swallowed: the backend never hears it come back, as with a
 * host controller that loses a cancellation. */
void rm_usb_shim_withhold_cancellations(int n);
/* How many completions were swallowed so far. */
int rm_usb_shim_withheld(void);

/* Every vendor control request `request` (bRequest) fails with
 * LIBUSB_ERROR_NO_DEVICE without reaching the mat, as when the mat is
 * pulled just then; 0 disarms. */
void rm_usb_shim_unplug_at_request(int request);

/* Disarms everything and clears the counters. */
void rm_usb_shim_reset(void);

/* Waits (at most timeout_ms) until libusb_interrupt_event_handler() has
 * been called since the last reset: rm_usb_mat_stop() calls it right after
 * raising its stop flag. True when it was. */
bool rm_usb_shim_wait_stop_requested(int timeout_ms);

#endif

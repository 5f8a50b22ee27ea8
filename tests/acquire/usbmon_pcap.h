/* Synthetic usbmon captures for umockdev's pcap replayer, so that the real
 * libusb backend can be tested without a mat (shared/notes/usb-testing.md).
 *
 * A capture is a classic pcap file with link type 220
 * (DLT_USB_LINUX_MMAPPED): each packet is a 64-byte little-endian usbmon
 * header followed by the data. Every URB is written as its submit ('S')
 * followed at once by its completion ('C'); the replayer hands each submit to
 * the oldest pending URB with the same transfer type, endpoint and length, so
 * one file serves any ring depth. The bus and device address must be the
 * device file's busnum/devnum, or the replayer skips the packet silently. */
#ifndef RM_USBMON_PCAP_H
#define RM_USBMON_PCAP_H

#include <stddef.h>
#include <stdint.h>

/* The mat of the tests sits at bus 1, address 2. */
#define RM_TEST_USB_BUS    1
#define RM_TEST_USB_DEVNUM 2
#define RM_TEST_USB_SYSFS  "/devices/pci0000:00/0000:00:14.0/usb1/1-1"

/* Kernel completion statuses the replayer copies into the URB. */
#define RM_USBMON_ENODEV    (-19)
#define RM_USBMON_EPIPE     (-32)
#define RM_USBMON_EPROTO    (-71)
#define RM_USBMON_EOVERFLOW (-75)

struct rm_usbmon_pcap;

/* Creates path (truncating it) and writes the pcap header. Owned by the
 * caller: finish with rm_usbmon_pcap_close(), which frees it. NULL on
 * failure (errno set). */
struct rm_usbmon_pcap *rm_usbmon_pcap_open(const char *path, int bus, int devnum);

/* A vendor control IN request (bmRequestType 0xC0) of wLength bytes answered
 * with len bytes of data and the given completion status. */
void rm_usbmon_control_in(struct rm_usbmon_pcap *p, uint8_t request, uint16_t value,
                          uint16_t length, const uint8_t *data, size_t len, int status);

/* A vendor control OUT request without data (bmRequestType 0x40). */
void rm_usbmon_control_out(struct rm_usbmon_pcap *p, uint8_t request, uint16_t value, int status);

/* A bulk IN URB on endpoint ep of urb_len bytes (the transfer size the host
 * submits), completed with len <= urb_len bytes of data and status. */
void rm_usbmon_bulk_in(struct rm_usbmon_pcap *p, uint8_t ep, uint32_t urb_len, const uint8_t *data,
                       size_t len, int status);

/* Flushes and closes; returns 0, or -1 if anything failed to reach the file. */
int rm_usbmon_pcap_close(struct rm_usbmon_pcap *p);

/* The umockdev device description (udevadm export style) of a 1209:0001 mat
 * at RM_TEST_USB_BUS/RM_TEST_USB_DEVNUM: device and configuration
 * descriptors with interface 0 of class 0xFF and a bulk IN endpoint 0x81 of
 * 512-byte packets. A constant string. */
const char *rm_usbmon_mat_device_description(void);

#endif

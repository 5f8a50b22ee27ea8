#include "usbmon_pcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DLT_USB_LINUX_MMAPPED 220
#define USBMON_HEADER_SIZE    64
#define URB_CONTROL           2
#define URB_BULK              3
#define EINPROGRESS_STATUS    (-115)

struct rm_usbmon_pcap {
    FILE *f;
    int bus, devnum;
    uint64_t next_id;
    uint64_t t_us; /* synthetic capture clock; the replayer only logs it */
    int failed;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static void write_bytes(struct rm_usbmon_pcap *p, const void *data, size_t len)
{
    if (len && fwrite(data, 1, len, p->f) != len)
        p->failed = 1;
}

struct usbmon_record {
    uint64_t id;
    char event;           /* 'S' or 'C' */
    uint8_t type;         /* URB_CONTROL or URB_BULK */
    uint8_t endpoint;     /* with the direction bit */
    const uint8_t *setup; /* 8 bytes for a control submit, else NULL */
    int status;
    uint32_t urb_len;
    const uint8_t *data;
    size_t data_len;
};

static void write_record(struct rm_usbmon_pcap *p, const struct usbmon_record *r)
{
    uint8_t rec[16], hdr[USBMON_HEADER_SIZE];
    uint32_t caplen = (uint32_t)(USBMON_HEADER_SIZE + r->data_len);

    p->t_us += 100;
    put32(rec, (uint32_t)(p->t_us / 1000000));
    put32(rec + 4, (uint32_t)(p->t_us % 1000000));
    put32(rec + 8, caplen);
    put32(rec + 12, caplen);

    memset(hdr, 0, sizeof(hdr));
    put64(hdr + 0, r->id);
    hdr[8] = (uint8_t)r->event;
    hdr[9] = r->type;
    hdr[10] = r->endpoint;
    hdr[11] = (uint8_t)p->devnum;
    put16(hdr + 12, (uint16_t)p->bus);
    /* usbmon marks an absent setup packet with '-' and absent data with
     * '<' (IN submit) or '>' (no data); 0 means present. */
    hdr[14] = r->setup ? 0 : '-';
    hdr[15] = r->data_len ? 0 : (r->event == 'S' && (r->endpoint & 0x80) ? '<' : '>');
    put64(hdr + 16, p->t_us / 1000000);
    put32(hdr + 24, (uint32_t)(p->t_us % 1000000));
    put32(hdr + 28, (uint32_t)r->status);
    put32(hdr + 32, r->urb_len);
    put32(hdr + 36, (uint32_t)r->data_len);
    if (r->setup)
        memcpy(hdr + 40, r->setup, 8);

    write_bytes(p, rec, sizeof(rec));
    write_bytes(p, hdr, sizeof(hdr));
    write_bytes(p, r->data, r->data_len);
}

struct rm_usbmon_pcap *rm_usbmon_pcap_open(const char *path, int bus, int devnum)
{
    uint8_t global[24];
    struct rm_usbmon_pcap *p = calloc(1, sizeof(*p)); /* owned by the caller */
    if (!p)
        return NULL;
    p->f = fopen(path, "wb");
    if (!p->f) {
        free(p);
        return NULL;
    }
    p->bus = bus;
    p->devnum = devnum;
    p->next_id = 0xffff880000001000ull; /* non-zero, kernel-pointer-like */

    put32(global, 0xa1b2c3d4u); /* microsecond timestamps */
    put16(global + 4, 2);
    put16(global + 6, 4);
    put32(global + 8, 0);
    put32(global + 12, 0);
    put32(global + 16, 1u << 20); /* snaplen above the largest transfer */
    put32(global + 20, DLT_USB_LINUX_MMAPPED);
    write_bytes(p, global, sizeof(global));
    return p;
}

static void control(struct rm_usbmon_pcap *p, uint8_t request_type, uint8_t request, uint16_t value,
                    uint16_t length, const uint8_t *data, size_t len, int status)
{
    uint8_t setup[8] = {request_type, request};
    uint8_t ep = request_type & 0x80;
    uint64_t id = p->next_id;
    p->next_id += 0x40;
    put16(setup + 2, value);
    put16(setup + 4, 0); /* wIndex: interface 0 */
    put16(setup + 6, length);

    struct usbmon_record s = {id, 'S', URB_CONTROL, ep, setup, EINPROGRESS_STATUS, length, NULL, 0};
    write_record(p, &s);
    struct usbmon_record c = {id, 'C', URB_CONTROL, ep, NULL, status, (uint32_t)len, data, len};
    write_record(p, &c);
}

void rm_usbmon_control_in(struct rm_usbmon_pcap *p, uint8_t request, uint16_t value,
                          uint16_t length, const uint8_t *data, size_t len, int status)
{
    control(p, 0xC0, request, value, length, data, len, status);
}

void rm_usbmon_control_out(struct rm_usbmon_pcap *p, uint8_t request, uint16_t value, int status)
{
    control(p, 0x40, request, value, 0, NULL, 0, status);
}

void rm_usbmon_bulk_in(struct rm_usbmon_pcap *p, uint8_t ep, uint32_t urb_len, const uint8_t *data,
                       size_t len, int status)
{
    uint64_t id = p->next_id;
    p->next_id += 0x40;
    struct usbmon_record s = {id, 'S', URB_BULK, ep, NULL, EINPROGRESS_STATUS, urb_len, NULL, 0};
    write_record(p, &s);
    struct usbmon_record c = {id, 'C', URB_BULK, ep, NULL, status, (uint32_t)len, data, len};
    write_record(p, &c);
}

int rm_usbmon_pcap_close(struct rm_usbmon_pcap *p)
{
    int failed = p->failed;
    if (fclose(p->f) != 0)
        failed = 1;
    free(p);
    return failed ? -1 : 0;
}

/* Device descriptor: USB 2.00, class per interface, EP0 64 bytes,
 * 1209:0001, bcdDevice 1.00, no strings (a string descriptor read goes over
 * the wire, and the capture would have to answer it), one configuration.
 * Configuration: one interface 0, class 0xFF, endpoint 0x81 bulk, 512. */
#define MAT_DESCRIPTORS                                                                            \
    "12010002000000400912010000010000000109021900010100803209040000"                               \
    "01ff00000007058102000200"

const char *rm_usbmon_mat_device_description(void)
{
    return "P: " RM_TEST_USB_SYSFS "\n"
           "N: bus/usb/001/002\n"
           "E: DEVNAME=/dev/bus/usb/001/002\n"
           "E: DEVTYPE=usb_device\n"
           "E: SUBSYSTEM=usb\n"
           "E: DRIVER=usb\n"
           "E: BUSNUM=001\n"
           "E: DEVNUM=002\n"
           "E: PRODUCT=1209/1/100\n"
           "A: busnum=1\\n\n"
           "A: devnum=2\\n\n"
           "A: dev=189:1\\n\n"
           "A: speed=480\\n\n"
           "A: bConfigurationValue=1\\n\n"
           "A: idVendor=1209\\n\n"
           "A: idProduct=0001\\n\n"
           "H: descriptors=" MAT_DESCRIPTORS "\n";
}

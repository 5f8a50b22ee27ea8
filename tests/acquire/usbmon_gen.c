/* usbmon_gen: turns a wire capture (.rmw) into what umockdev needs to play
 * that mat over USB to an unmodified program:
 *
 *     usbmon_gen [--frames N] CAPTURE.rmw OUT.pcap OUT.umockdev
 *     umockdev-run -d OUT.umockdev -p /sys/devices/...=OUT.pcap -- \
 *         rollmat record --device usb -o out.h5 --duration S
 *
 * The capture answers GET_INFO with the capture's info block, then START,
 * then the first N frames (all by default), one bulk transfer each as a
 * firmware ending every frame in a short packet sends them, sized as the
 * usb backend sizes its transfers, then STOP. It prints the sysfs path to
 * give -p. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_usb.h"
#include "rm_capture.h"
#include "rm_error.h"
#include "rm_mat.h"
#include "rm_wire.h"
#include "usbmon_pcap.h"

static int usage(void)
{
    fprintf(stderr, "usage: usbmon_gen [--frames N] CAPTURE.rmw OUT.pcap OUT.umockdev\n");
    return 2;
}

int main(int argc, char **argv)
{
    long max_frames = -1;
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "--frames") == 0) {
        max_frames = strtol(argv[a + 1], NULL, 10);
        a += 2;
    }
    if (argc - a != 3 || max_frames == 0)
        return usage();
    const char *in = argv[a], *pcap = argv[a + 1], *desc = argv[a + 2];

    struct rm_capture_reader *r = NULL;
    if (rm_capture_reader_open(&r, in) < 0) {
        fprintf(stderr, "usbmon_gen: %s\n", rm_last_error(RM_EFORMAT));
        return 3;
    }
    const struct rm_mat_info *info = rm_capture_reader_info(r);
    size_t frame = rm_wire_frame_size(info->rows, info->cols);
    size_t urb_len = rm_usb_transfer_size(frame, info->rate_hz);
    uint8_t block[RM_INFO_BLOCK_SIZE];
    rm_mat_info_encode(info, block);

    struct rm_usbmon_pcap *p = rm_usbmon_pcap_open(pcap, RM_TEST_USB_BUS, RM_TEST_USB_DEVNUM);
    uint8_t *buf = malloc(frame);
    if (!p || !buf) {
        perror(pcap);
        return 1;
    }
    rm_usbmon_control_in(p, RM_USB_REQ_GET_INFO, 0, RM_INFO_BLOCK_SIZE, block, sizeof(block), 0);
    rm_usbmon_control_out(p, RM_USB_REQ_START, 0, 0);
    long n = 0, got;
    while ((max_frames < 0 || n < max_frames) &&
           (got = rm_capture_reader_read(r, buf, frame)) > 0) {
        rm_usbmon_bulk_in(p, RM_USB_EP_FRAMES, (uint32_t)urb_len, buf, (size_t)got, 0);
        n++;
    }
    rm_usbmon_control_out(p, RM_USB_REQ_STOP, 0, 0);
    free(buf);
    rm_capture_reader_close(r);
    int rc = rm_usbmon_pcap_close(p);

    FILE *f = fopen(desc, "w");
    if (!f || fputs(rm_usbmon_mat_device_description(), f) < 0 || fclose(f) != 0 || rc < 0) {
        perror(desc);
        return 1;
    }
    printf("/sys%s\n", RM_TEST_USB_SYSFS);
    return 0;
}

/* The shared half of the usb replay tests (test_usb_replay.c: the backend
 * alone; test_usb_replay_session.c: the backend under a session into a
 * recording): a synthetic mat written as usbmon captures, and the umockdev
 * testbed each test replays them from (shared/notes/usb-testing.md). */
#ifndef RM_TEST_USB_REPLAY_H
#define RM_TEST_USB_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <umockdev.h>

#include "usbmon_pcap.h"

#define ROWS       64
#define COLS       32
#define RATE       100
#define SERIAL     "RM-TEST-0042"
#define MAX_FRAMES 4096
#define WAIT_MS    20000

/* ---- the synthetic mat -------------------------------------------------- */

/* Sensel i of frame seq: a pattern that a frame out of place does not match. */
uint16_t sensel(uint32_t seq, int i);
size_t frame_size(void);
/* The backend's bulk transfer size for the mat (rm_usb_transfer_size). */
size_t transfer_size(void);
/* Encodes frames [seq0, seq0 + n) with a device clock starting at t0_us;
 * the caller frees the buffer. */
uint8_t *encode_frames(uint32_t seq0, int n, uint32_t t0_us, size_t *len);
/* GET_INFO answered with the mat's info block. */
void write_get_info(struct rm_usbmon_pcap *p);
/* The mat unplugged and plugged back, opened again and started. */
void write_replug(struct rm_usbmon_pcap *p);
/* Each frame as one transfer, ending in a short packet. */
void write_frame_per_urb(struct rm_usbmon_pcap *p, const uint8_t *bytes, size_t len);
/* URBs of any size, frames spanning several of them (seed picks the sizes). */
void write_stream(struct rm_usbmon_pcap *p, const uint8_t *bytes, size_t len, unsigned seed);

/* ---- fixture ------------------------------------------------------------ */

struct fixture {
    UMockdevTestbed *testbed;
    char pcap[1024];
};

/* cmocka setup and teardown: a testbed with the mat plugged in, a fresh
 * capture path; the fault shim reset after. */
int setup(void **state);
int teardown(void **state);
/* A capture to write, then to load into the testbed (replayed from there). */
struct rm_usbmon_pcap *pcap_begin(struct fixture *fx);
void pcap_load(struct fixture *fx, struct rm_usbmon_pcap *p);
/* Loads n1 frames, the mat leaving and coming back, n2 frames, STOP. */
void load_two_runs(struct fixture *fx, int n1, int n2, bool unplug_urb);

#endif

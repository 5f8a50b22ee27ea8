/* The serial transport of shared/spec/wire-protocol.md, byte side: the
 * command bytes the host sends, and the scanner that finds the device's
 * info reply ("RMI1", the 64-byte info block, a CRC-32 of those 68 bytes)
 * in whatever else the port delivers (frames still in flight, the garbage a
 * board prints while it resets). Pure functions, so that the parser of these
 * outside bytes can be fuzzed on its own (tests/fuzz/fuzz_serial_info.c). */
#ifndef RM_SERIAL_PROTO_H
#define RM_SERIAL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "rm_mat.h"

#define RM_SERIAL_CMD_INFO  'I'
#define RM_SERIAL_CMD_RATE  'R' /* followed by u16 rate_hz, little-endian */
#define RM_SERIAL_CMD_START 'S'
#define RM_SERIAL_CMD_STOP  'X'

#define RM_SERIAL_INFO_MAGIC      "RMI1"
#define RM_SERIAL_INFO_REPLY_SIZE (4 + RM_INFO_BLOCK_SIZE + 4)
#define RM_SERIAL_DEFAULT_BAUD    1000000

enum rm_serial_scan {
    RM_SERIAL_SCAN_MORE,  /* no complete reply yet: keep the bytes from *consumed on */
    RM_SERIAL_SCAN_FOUND, /* *out holds the parsed info block */
    RM_SERIAL_SCAN_BAD,   /* a reply with a good CRC but an invalid block (rm_last_error) */
};

/* Looks for an info reply in buf[0..len). *consumed says how many leading
 * bytes can be dropped: everything before a candidate magic, a candidate
 * whose CRC fails (scanning resumes after its magic), or the whole reply
 * when one was found. `where` names the port in messages. */
enum rm_serial_scan rm_serial_scan_info(const uint8_t *buf, size_t len, const char *where,
                                        size_t *consumed, struct rm_mat_info *out);

/* Encodes an info reply for an info block (fake devices, tests). */
void rm_serial_encode_info(const struct rm_mat_info *info, uint8_t out[RM_SERIAL_INFO_REPLY_SIZE]);

/* Splits "PATH[@BAUD]" into path (copied, NUL terminated) and baud.
 * RM_EUSAGE (with a message naming spec) for an empty path, a path too
 * long for path_size, or a baud that is not a number in 50..4,000,000. */
int rm_serial_parse_spec(const char *spec, const char *args, char *path, size_t path_size,
                         int *baud);

#endif

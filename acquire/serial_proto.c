/* Bytes of the serial transport: the info reply scanner and the spec
 * parser (serial_proto.h). */
#include "serial_proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "rm_bytes.h"
#include "rm_error.h"

#define MAGIC_SIZE 4

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

enum rm_serial_scan rm_serial_scan_info(const uint8_t *buf, size_t len, const char *where,
                                        size_t *consumed, struct rm_mat_info *out)
{
    size_t pos = 0;
    for (;;) {
        const uint8_t *hit = NULL;
        for (size_t i = pos; i + MAGIC_SIZE <= len; i++) {
            if (memcmp(buf + i, RM_SERIAL_INFO_MAGIC, MAGIC_SIZE) == 0) {
                hit = buf + i;
                break;
            }
        }
        if (!hit) {
            /* Keep a tail that may be the start of a magic. */
            size_t keep = len - pos < MAGIC_SIZE - 1 ? len - pos : MAGIC_SIZE - 1;
            *consumed = len - keep;
            return RM_SERIAL_SCAN_MORE;
        }
        pos = (size_t)(hit - buf);
        if (len - pos < RM_SERIAL_INFO_REPLY_SIZE) {
            *consumed = pos;
            return RM_SERIAL_SCAN_MORE;
        }
        const uint8_t *block = hit + MAGIC_SIZE;
        uint32_t crc = rm_get_le32(block + RM_INFO_BLOCK_SIZE);
        if (crc != crc_of(hit, MAGIC_SIZE + RM_INFO_BLOCK_SIZE)) {
            pos += 1; /* resume after this candidate's first byte */
            continue;
        }
        *consumed = pos + RM_SERIAL_INFO_REPLY_SIZE;
        return rm_mat_info_parse(block, where, out) == 0 ? RM_SERIAL_SCAN_FOUND
                                                         : RM_SERIAL_SCAN_BAD;
    }
}

void rm_serial_encode_info(const struct rm_mat_info *info, uint8_t out[RM_SERIAL_INFO_REPLY_SIZE])
{
    memcpy(out, RM_SERIAL_INFO_MAGIC, MAGIC_SIZE);
    rm_mat_info_encode(info, out + MAGIC_SIZE);
    rm_put_le32(out + MAGIC_SIZE + RM_INFO_BLOCK_SIZE,
                crc_of(out, MAGIC_SIZE + RM_INFO_BLOCK_SIZE));
}

int rm_serial_parse_spec(const char *spec, const char *args, char *path, size_t path_size,
                         int *baud)
{
    *baud = RM_SERIAL_DEFAULT_BAUD;
    size_t path_len = strlen(args);
    const char *at = strrchr(args, '@');
    if (at) {
        char *end;
        errno = 0;
        long b = strtol(at + 1, &end, 10);
        if (at[1] < '0' || at[1] > '9' || *end || errno || b < 50 || b > 4000000)
            return rm_fail(RM_EUSAGE, "device '%s': baud rate must be a number in 50..4000000",
                           spec);
        *baud = (int)b;
        path_len = (size_t)(at - args);
    }
    if (path_len == 0)
        return rm_fail(RM_EUSAGE, "device '%s': expected serial:PATH[@BAUD]", spec);
    if (path_len >= path_size)
        return rm_fail(RM_EUSAGE, "device '%s': path too long", spec);
    memcpy(path, args, path_len);
    path[path_len] = '\0';
    return 0;
}

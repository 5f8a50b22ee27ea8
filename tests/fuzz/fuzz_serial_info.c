/* libFuzzer target for the serial transport's info reply scanner
 * (acquire/serial_proto.c): arbitrary bytes from a port, fed in two pieces
 * the way a read loop sees them, with the same keep-the-tail bookkeeping as
 * the serial backend. A reply must never be found twice in the same bytes,
 * and consumed never runs past what was given. The first input byte picks
 * the split. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "rm_log.h"
#include "serial_proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rm_log_set_level(RM_LOG_ERR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    size_t split = data[0] % size;
    data++;
    size--;
    static uint8_t buf[8192];
    size_t have = 0, fed = 0;
    for (int piece = 0; piece < 2; piece++) {
        size_t n = piece == 0 ? (split < size ? split : size) : size - fed;
        memcpy(buf + have, data + fed, n);
        have += n;
        fed += n;
        for (;;) {
            size_t consumed = 0;
            struct rm_mat_info info;
            enum rm_serial_scan s = rm_serial_scan_info(buf, have, "fuzz", &consumed, &info);
            assert(consumed <= have);
            if (s == RM_SERIAL_SCAN_FOUND)
                assert(info.rows > 0 && info.cols > 0 && consumed >= RM_SERIAL_INFO_REPLY_SIZE);
            memmove(buf, buf + consumed, have - consumed);
            have -= consumed;
            if (s == RM_SERIAL_SCAN_MORE || consumed == 0)
                break;
        }
    }
    return 0;
}

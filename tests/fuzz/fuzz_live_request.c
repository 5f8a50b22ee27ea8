/* libFuzzer target for the request parsing rollmat writes itself
 * (live/live_request.c): the raw request target check, the token compare
 * and --http's argument, on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "live_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[2048];
    size_t n = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;
    memcpy(buf, data, n);
    buf[n] = '\0';
    size_t path_len = 0;
    int status = live_check_target(buf, n, &path_len);
    if (status == 0 && (path_len > n || path_len == 0 || buf[0] != '/'))
        __builtin_trap();
    if (status == 0)
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\\' || (unsigned char)buf[i] <= 0x20)
                __builtin_trap();
    static const char token[] = "0123456789abcdef0123456789abcdef";
    if (live_token_equal(buf, token) != (strcmp(buf, token) == 0))
        __builtin_trap();
    char addr[64], why[160];
    unsigned port = 0;
    if (live_parse_listen(buf, addr, sizeof(addr), &port, why, sizeof(why)) == 0 && port > 65535)
        __builtin_trap();
    return 0;
}

/* Request targets, tokens and --http's argument (live_request.h). */
#include "live_request.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte a "%XY" at s[i] stands for, or -1 when it is not one. */
static int encoded_at(const char *s, size_t len, size_t i)
{
    if (s[i] != '%' || i + 2 >= len)
        return -1;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

/* Whether path[a, b) is "..", with either dot possibly encoded. */
static bool dot_dot(const char *s, size_t len, size_t a, size_t b)
{
    int dots = 0;
    for (size_t i = a; i < b;) {
        if (s[i] == '.') {
            i++;
        } else if (encoded_at(s, len, i) == '.') {
            i += 3;
        } else {
            return false;
        }
        dots++;
    }
    return dots == 2;
}

int live_check_target(const char *target, size_t len, size_t *path_len)
{
    *path_len = 0;
    if (len > LIVE_TARGET_MAX)
        return 414;
    if (len == 0 || target[0] != '/')
        return 400;
    size_t path_end = len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)target[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\')
            return 400;
        int enc = c == '%' ? encoded_at(target, len, i) : -1;
        if (enc == '/' || enc == '\\' || enc == '.' || enc == 0)
            return 400;
        if (c == '?' && path_end == len)
            path_end = i;
    }
    /* Path segments: none may be "..". */
    for (size_t a = 1, b; a <= path_end; a = b + 1) {
        b = a;
        while (b < path_end && target[b] != '/')
            b++;
        if (dot_dot(target, len, a, b))
            return 400;
    }
    *path_len = path_end;
    return 0;
}

bool live_token_equal(const char *given, const char *token)
{
    if (!given)
        return false;
    size_t n = strlen(token);
    unsigned char diff = strlen(given) != n;
    for (size_t i = 0; i < n; i++) {
        /* Reads given only up to its own end: a shorter one compares its
         * NUL and stops advancing. */
        diff |= (unsigned char)(given[i] ^ token[i]);
        if (!given[i])
            break;
    }
    return diff == 0;
}

int live_parse_listen(const char *spec, char *addr, size_t addr_size, unsigned *port, char *why,
                      size_t why_size)
{
    const char *colon = strrchr(spec, ':');
    const char *port_text = colon ? colon + 1 : spec;
    size_t alen = colon ? (size_t)(colon - spec) : 0;
    if (colon && alen == 0) {
        snprintf(why, why_size, "--http: no address before ':' in '%.64s'", spec);
        return -1;
    }
    if (alen >= addr_size || alen >= INET_ADDRSTRLEN) {
        snprintf(why, why_size, "--http: the address is too long");
        return -1;
    }
    if (colon)
        memcpy(addr, spec, alen);
    else
        snprintf(addr, addr_size, "127.0.0.1");
    if (colon)
        addr[alen] = '\0';
    struct in_addr in;
    if (inet_pton(AF_INET, addr, &in) != 1) {
        snprintf(why, why_size, "--http: '%.64s' is not an IPv4 address", addr);
        return -1;
    }
    char *end;
    if (*port_text < '0' || *port_text > '9') {
        snprintf(why, why_size, "--http: '%.64s' is not a port (0-65535)", port_text);
        return -1;
    }
    unsigned long p = strtoul(port_text, &end, 10);
    if (*end || p > 65535 || end - port_text > 5) {
        snprintf(why, why_size, "--http: '%.64s' is not a port (0-65535)", port_text);
        return -1;
    }
    *port = (unsigned)p;
    return 0;
}

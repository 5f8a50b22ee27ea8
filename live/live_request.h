/* The parts of an HTTP request rollmat itself looks at, before
 * libmicrohttpd's parsed values are used: the raw request target, the
 * token, the --http argument. Pure functions of bytes, fuzzed
 * (tests/fuzz/fuzz_live_request.c). */
#ifndef LIVE_REQUEST_H
#define LIVE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/* The longest request target (path and query) answered: the page's own
 * requests are under 100 bytes. */
#define LIVE_TARGET_MAX 512
/* Token: 32 lowercase hex digits (128 random bits). */
#define LIVE_TOKEN_LEN 32

/* Checks a request target exactly as received (len bytes, not
 * NUL-terminated): 0 when it may be routed, else the status to answer:
 * 414 when longer than LIVE_TARGET_MAX, 400 when it does not start with
 * '/', holds a byte outside printable ASCII, a backslash, a ".." path
 * segment (plain or percent-encoded), or an encoded slash, backslash, dot
 * or NUL. *path_len receives the length of the path (up to '?'). */
int live_check_target(const char *target, size_t len, size_t *path_len);

/* Whether `given` (may be NULL) is the token, compared in constant time
 * over the token's length. */
bool live_token_equal(const char *given, const char *token);

/* Parses --http's "[ADDR:]PORT": ADDR a dotted IPv4 address (default
 * 127.0.0.1), PORT 0-65535 (0: any free port). 0, or -1 with why filled. */
int live_parse_listen(const char *spec, char *addr, size_t addr_size, unsigned *port, char *why,
                      size_t why_size);

#endif

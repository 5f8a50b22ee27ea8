/* Text at the edges. Bytes from outside (a device's info block, a file's
 * attributes and labels, a vendor export, a file name) are made valid
 * UTF-8 where they enter: a byte that is not part of a well-formed UTF-8
 * sequence becomes U+FFFD, so that no JSON field is ever dropped (jansson
 * refuses invalid UTF-8) and no terminal is sent a broken sequence. Device
 * strings are also cleaned of control characters, which would otherwise
 * reach a terminal (ESC starts escape sequences, BEL rings). */
#ifndef RM_TEXT_H
#define RM_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The replacement character U+FFFD in UTF-8. */
#define RM_UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, surrogates or values above U+10FFFF), 0 when there is none; 1 for
 * an ASCII byte (NUL included). */
size_t rm_utf8_sequence(const unsigned char *p);

/* Whether s is valid UTF-8 throughout. */
bool rm_utf8_valid(const char *s);

/* A JSON string of s, each byte that is not UTF-8 replaced with U+FFFD.
 * New reference; NULL only without memory. */
json_t *rm_json_text(const char *s);

/* Copies s into out (cap >= 1 bytes, NUL included) as valid UTF-8, each
 * byte that is not UTF-8 as U+FFFD, stopping before a character that would
 * not fit. Returns the length written. 3 * strlen(s) + 1 bytes always do. */
size_t rm_utf8_fix(const char *s, char *out, size_t cap);

/* Cleans s (a NUL-terminated string in a buffer of size bytes) in place:
 * control characters (C0, DEL and the C1 range U+0080..U+009F) are
 * dropped, bytes that are not UTF-8 become U+FFFD, and the result is cut
 * at a character boundary to fit the buffer. For names a device or a file
 * gives (model, serial, firmware, labels). */
void rm_text_clean(char *s, size_t size);

#endif

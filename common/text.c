/* Text at the edges (rm_text.h). */
#include <stdlib.h>
#include <string.h>

#include "rm_text.h"

size_t rm_utf8_sequence(const unsigned char *p)
{
    unsigned char c = p[0];
    size_t n = c < 0x80                 ? 1
               : c >= 0xc2 && c <= 0xdf ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    /* The second byte's range rules out overlongs (e0, f0), surrogates
     * (ed) and values above U+10FFFF (f4). */
    unsigned char lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    for (size_t i = 1; i < n; i++)
        if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
            return 0;
    return n;
}

bool rm_utf8_valid(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = rm_utf8_sequence(p);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

/* Whether the n-byte sequence at p is a control character. */
static bool is_control(const unsigned char *p, size_t n)
{
    if (n == 1)
        return *p < 0x20 || *p == 0x7f;
    return n == 2 && p[0] == 0xc2 && p[1] < 0xa0; /* C1: U+0080..U+009F */
}

/* Writes s into out (capacity cap >= 1, NUL included), invalid bytes as
 * U+FFFD, controls dropped when drop_controls; stops before a character
 * that would not fit. Returns the length written. */
static size_t sanitize(const char *s, char *out, size_t cap, bool drop_controls)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = rm_utf8_sequence(p);
        const char *src = (const char *)p;
        size_t len = n;
        if (n == 0) {
            src = RM_UTF8_REPLACEMENT;
            len = 3;
            n = 1;
        } else if (drop_controls && is_control(p, n)) {
            p += n;
            continue;
        }
        if (o + len + 1 > cap)
            break;
        memmove(out + o, src, len);
        o += len;
        p += n;
    }
    out[o] = '\0';
    return o;
}

size_t rm_utf8_fix(const char *s, char *out, size_t cap)
{
    return sanitize(s, out, cap, false);
}

json_t *rm_json_text(const char *s)
{
    if (rm_utf8_valid(s))
        return json_string(s);
    size_t cap = 3 * strlen(s) + 1;
    char *fixed = malloc(cap); /* freed below */
    if (!fixed)
        return NULL;
    size_t n = sanitize(s, fixed, cap, false);
    json_t *j = json_stringn(fixed, n);
    free(fixed);
    return j;
}

void rm_text_clean(char *s, size_t size)
{
    if (size == 0)
        return;
    s[size - 1] = '\0';
    size_t cap = 3 * strlen(s) + 1;
    char *tmp = malloc(cap); /* freed below */
    if (!tmp) {
        /* Without memory, at least no control character and no high byte. */
        for (unsigned char *p = (unsigned char *)s; *p; p++)
            if (*p < 0x20 || *p >= 0x7f)
                *p = '?';
        return;
    }
    sanitize(s, tmp, cap, true);
    sanitize(tmp, s, size, false);
    free(tmp);
}

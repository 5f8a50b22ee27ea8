/* What the daemon and its clients agree on: where the socket is, and what
 * a label or a mark text may contain. */
#include "rm_control.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_error.h"
#include "rm_recording.h"
#include "rm_text.h"

int rm_control_default_dir(char *out, size_t size)
{
    const char *data = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (data && data[0] == '/')
        n = snprintf(out, size, "%s/rollmat/sessions", data);
    else if (home && home[0] == '/')
        n = snprintf(out, size, "%s/.local/share/rollmat/sessions", home);
    else
        return rm_fail(RM_EUSAGE, "neither XDG_DATA_HOME nor HOME is set: give --dir");
    if (n < 0 || (size_t)n >= size)
        return rm_fail(RM_ERANGE, "session directory path too long");
    return 0;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int refuse(char *why, size_t why_size, const char *reason)
{
    snprintf(why, why_size, "%s", reason);
    return RM_EUSAGE;
}

int rm_control_check_label(const char *label, char *why, size_t why_size)
{
    size_t len = strlen(label);
    if (len == 0)
        return refuse(why, why_size, "empty label");
    if (len > RM_EVENT_LABEL_LEN)
        return refuse(why, why_size, "label longer than 64 characters");
    if (strchr(label, '/') || strchr(label, '\\'))
        return refuse(why, why_size, "a label may not contain '/' or '\\'");
    if (strstr(label, ".."))
        return refuse(why, why_size, "a label may not contain '..'");
    if (!is_alnum((unsigned char)label[0]))
        return refuse(why, why_size, "a label begins with a letter or a digit");
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        if (!is_alnum(*p) && *p != '-' && *p != '_' && *p != '.')
            return refuse(why, why_size,
                          "a label has only letters, digits, '-', '_' and '.' (e.g. calf-left)");
    return 0;
}

int rm_control_check_text(const char *text, char *why, size_t why_size)
{
    size_t len = strlen(text);
    if (len == 0)
        return refuse(why, why_size, "empty text");
    if (len > RM_EVENT_LABEL_LEN)
        return refuse(why, why_size, "text longer than 64 bytes");
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        if (*p < 0x80) {
            if (*p < 0x20 || *p == 0x7F)
                return refuse(why, why_size, "control characters are not allowed in a text");
            p++;
            continue;
        }
        size_t n = rm_utf8_sequence(p);
        if (n == 0)
            return refuse(why, why_size, "text is not valid UTF-8");
        if (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) /* C1: U+0080..U+009F */
            return refuse(why, why_size, "control characters are not allowed in a text");
        p += n;
    }
    return 0;
}

#include "rm_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t level_once = PTHREAD_ONCE_INIT;
static _Atomic int current_level = RM_LOG_WARN;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

static void level_from_environment(void)
{
    static const char *const names[] = {"none", "err", "warn", "info", "debug"};
    const char *env = getenv("ROLLMAT_LOG");
    if (!env)
        return;
    for (int i = 0; i < 5; i++)
        if (strcmp(env, names[i]) == 0)
            current_level = i;
}

void rm_log_set_level(enum rm_log_level level)
{
    pthread_once(&level_once, level_from_environment);
    current_level = level;
}

enum rm_log_level rm_log_get_level(void)
{
    pthread_once(&level_once, level_from_environment);
    return current_level;
}

/* Length of the well-formed UTF-8 sequence of two to four bytes at s, or 0
 * (overlong forms and surrogates count as malformed). */
static size_t utf8_sequence(const unsigned char *s)
{
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || s[0] >= 0xf5)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    unsigned cp = n == 2   ? (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu)
                  : n == 3 ? (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu)
                           : (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 |
                                 (s[3] & 0x3fu);
    unsigned min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Every message is one line of text: a control character quoted from a
 * file or an argument (a newline in an attribute value), or a byte that is
 * not UTF-8 (a binary file's contents), comes out as '?'. */
static void one_line(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = *p >= 0x80 ? utf8_sequence(p) : 1;
        if (n == 0 || *p < 0x20 || *p == 0x7f) {
            *p = '?';
            n = 1;
        }
        p += n;
    }
}

void rm_log_write(enum rm_log_level level, const char *prefix, const char *fmt, ...)
{
    if (level > rm_log_get_level())
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    one_line(line);
    /* One fputs per line under a lock, so threads never interleave halves. */
    pthread_mutex_lock(&write_lock);
    fprintf(stderr, "rollmat: %s: %s\n", prefix, line);
    pthread_mutex_unlock(&write_lock);
}

void rm_log_error_line(const char *message)
{
    char line[1024];
    snprintf(line, sizeof(line), "%s", message);
    one_line(line);
    pthread_mutex_lock(&write_lock);
    fprintf(stderr, "rollmat: %s\n", line);
    pthread_mutex_unlock(&write_lock);
}

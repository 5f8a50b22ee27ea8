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

/* Every message is one line: a control character quoted from a file or an
 * argument (a newline in an attribute value) comes out as '?'. */
static void one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
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

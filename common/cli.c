/* Usage errors and option values for every command (rm_cli.h). */
#include "rm_cli.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rm_log.h"
#include "rm_number.h"

/* As long as rm_fail()'s messages: a longer one is cut, still one line. */
#define MESSAGE_MAX 1024

int rm_cli_usage_error(const char *command, const char *fmt, ...)
{
    char message[MESSAGE_MAX], line[MESSAGE_MAX + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    /* An argument quoted in the message may hold a newline. */
    for (char *p = message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (!command)
        snprintf(line, sizeof(line), "%s (see rollmat --help)", message);
    else if (strcmp(command, RM_CLI_DAEMON) == 0)
        snprintf(line, sizeof(line), "%s: %s (see %s --help)", command, message, command);
    else
        snprintf(line, sizeof(line), "%s: %s (see rollmat %s --help)", command, message, command);
    rm_log_error_line(line);
    return RM_CLI_USAGE;
}

void rm_cli_getopt_start(void)
{
    /* 0, not 1: glibc then also forgets where it stood inside a group of
     * short options of an earlier argument vector. */
    optind = 0;
    opterr = 0;
}

int rm_cli_bad_option(const char *command, int opt, char *const argv[])
{
    assert(optind > 0);
    const char *arg = argv[optind - 1];
    if (opt == ':')
        return rm_cli_usage_error(command, "%s needs an argument", arg);
    /* A long option's error leaves optopt 0, or its value with the whole
     * "--name=value" just consumed; a short one names its character, and
     * argv[optind - 1] is then not necessarily its argument. */
    bool is_long = optopt == 0 || (strncmp(arg, "--", 2) == 0 && strchr(arg, '='));
    if (is_long && optopt != 0)
        return rm_cli_usage_error(command, "%.*s takes no argument", (int)strcspn(arg, "="), arg);
    if (is_long)
        return rm_cli_usage_error(command, "unknown option '%s'", arg);
    return rm_cli_usage_error(command, "unknown option '-%c'", optopt);
}

int rm_cli_operands(const char *command, int argc, char *const argv[], int min, int max,
                    const char *what)
{
    assert(optind <= argc && min >= 0 && (max < 0 || max >= min));
    int n = argc - optind;
    if (n < min)
        return rm_cli_usage_error(command, "missing %s", what);
    if (max >= 0 && n > max)
        return rm_cli_usage_error(command, "unexpected argument '%s'", argv[optind + max]);
    return 0;
}

int rm_cli_parse_double(const char *command, const char *option, const char *arg, double min,
                        double max, double *out)
{
    assert(min <= max);
    double v = 0;
    /* Strict decimal: strtod alone would take "0x10" and "1e5junk"-free hex
     * floats. An underflow still gives a usable tiny number; the range
     * check decides about it. */
    bool ok = rm_text_number(arg, &v) && v >= min && v <= max;
    if (ok) {
        *out = v;
        return 0;
    }
    char range[128];
    bool low = min > -DBL_MAX, high = max < DBL_MAX;
    if (min == DBL_TRUE_MIN && high)
        snprintf(range, sizeof(range), "above 0 and at most %g", max);
    else if (min == DBL_TRUE_MIN)
        snprintf(range, sizeof(range), "above 0");
    else if (low && high)
        snprintf(range, sizeof(range), "from %g to %g", min, max);
    else if (low)
        snprintf(range, sizeof(range), "of at least %g", min);
    else if (high)
        snprintf(range, sizeof(range), "of at most %g", max);
    else
        range[0] = '\0';
    return rm_cli_usage_error(command, "%s '%s': expected a number%s%s", option, arg,
                              range[0] ? " " : "", range);
}

/* A whole number within lo .. hi, whose type spans type_min .. type_max
 * (a bound at the end of the type is no bound worth naming). */
static int parse_whole(const char *command, const char *option, const char *arg, int64_t lo,
                       int64_t hi, int64_t type_min, int64_t type_max, int64_t *out)
{
    assert(lo <= hi);
    const char *digits = arg[0] == '-' ? arg + 1 : arg;
    bool ok = isdigit((unsigned char)*digits);
    for (const char *p = digits; ok && *p; p++)
        ok = isdigit((unsigned char)*p);
    long long v = 0;
    if (ok) {
        errno = 0;
        v = strtoll(arg, NULL, 10);
        ok = errno == 0 && v >= lo && v <= hi;
    }
    if (ok) {
        *out = v;
        return 0;
    }
    char range[128];
    bool low = lo > type_min, high = hi < type_max;
    if (low && high)
        snprintf(range, sizeof(range), " from %lld to %lld", (long long)lo, (long long)hi);
    else if (low)
        snprintf(range, sizeof(range), " of at least %lld", (long long)lo);
    else if (high)
        snprintf(range, sizeof(range), " of at most %lld", (long long)hi);
    else
        range[0] = '\0';
    return rm_cli_usage_error(command, "%s '%s': expected a whole number%s", option, arg, range);
}

int rm_cli_parse_int(const char *command, const char *option, const char *arg, int lo, int hi,
                     int *out)
{
    int64_t v;
    int rc = parse_whole(command, option, arg, lo, hi, INT_MIN, INT_MAX, &v);
    if (rc == 0)
        *out = (int)v;
    return rc;
}

int rm_cli_parse_int64(const char *command, const char *option, const char *arg, int64_t lo,
                       int64_t hi, int64_t *out)
{
    return parse_whole(command, option, arg, lo, hi, INT64_MIN, INT64_MAX, out);
}

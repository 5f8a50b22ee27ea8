/* ISO 8601 UTC timestamps: parsed strictly (a date the calendar does not
 * have is refused, not normalised into another), formatted one way. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rm_error.h"
#include "rm_utc.h"

int rm_utc_parse(const char *s, int64_t *epoch_s)
{
    int y, mo, d, h, mi, se, n = 0;
    if (!s || strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return RM_EFORMAT;
    for (int i = 0; i < 19; i++)
        if ((i != 4 && i != 7 && i != 10 && i != 13 && i != 16) && (s[i] < '0' || s[i] > '9'))
            return RM_EFORMAT;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 20)
        return RM_EFORMAT;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return RM_EFORMAT;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se};
    time_t t = timegm(&tm);
    /* timegm normalises 31 April into 1 May: a round trip must agree. */
    if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
        return RM_EFORMAT;
    *epoch_s = (int64_t)t;
    return 0;
}

void rm_utc_format(int64_t epoch_s, char *buf, size_t size)
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

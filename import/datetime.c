/* Vendors' date and time texts. */
#include "import_parse.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "import_text.h"

static int64_t days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static bool valid_date(int y, int m, int d)
{
    return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* Reads digits (at most max of them) into *v; returns the count. */
static int digits(const char **p, int max, int *v)
{
    int n = 0;
    *v = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        *v = *v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n;
}

int rm_import_time_of_day(const char *s, double *seconds, char frac[16])
{
    const char *p = s;
    int h, m, sec;
    while (*p == ' ')
        p++;
    if (digits(&p, 2, &h) < 1 || *p++ != ':' || digits(&p, 2, &m) != 2 || *p++ != ':' ||
        digits(&p, 2, &sec) != 2)
        return -1;
    frac[0] = '\0';
    double f = 0, scale = 0.1;
    if (*p == '.') {
        size_t n = 0;
        frac[n++] = *p++;
        while (isdigit((unsigned char)*p)) {
            if (n < 15)
                frac[n++] = *p;
            f += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
        frac[n] = '\0';
        if (n == 1)
            return -1;
    }
    if (*p)
        return -1;
    if (h > 23 || m > 59 || sec > 60)
        return -1;
    *seconds = h * 3600.0 + m * 60.0 + sec + f;
    return 0;
}

int rm_import_us_datetime(const char *s, char *out, size_t out_size)
{
    const char *p = s;
    int a, b, y, h, m, sec;
    if (digits(&p, 2, &a) < 1 || *p++ != '/' || digits(&p, 2, &b) < 1 || *p++ != '/' ||
        digits(&p, 4, &y) != 4 || *p++ != ' ')
        return -1;
    int month = a, day = b;
    if (a > 12) { /* cannot be a month: the day comes first */
        month = b;
        day = a;
    }
    if (!valid_date(y, month, day))
        return -1;
    if (digits(&p, 2, &h) < 1 || *p++ != ':' || digits(&p, 2, &m) != 2 || *p++ != ':' ||
        digits(&p, 2, &sec) != 2)
        return -1;
    char frac[16] = "";
    if (*p == '.') {
        size_t n = 0;
        frac[n++] = *p++;
        while (isdigit((unsigned char)*p) && n < 15)
            frac[n++] = *p++;
        frac[n] = '\0';
        if (n == 1)
            return -1;
    }
    while (*p == ' ')
        p++;
    if (rm_text_ieq(p, "AM") || rm_text_ieq(p, "PM")) {
        if (h < 1 || h > 12)
            return -1;
        h = h % 12 + ((p[0] == 'P' || p[0] == 'p') ? 12 : 0);
    } else if (*p) {
        return -1;
    }
    if (h > 23 || m > 59 || sec > 60)
        return -1;
    int n =
        snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, month, day, h, m, sec, frac);
    return n > 0 && (size_t)n < out_size ? 0 : -1;
}

int rm_import_date(const char *s, int *y, int *m, int *d, int64_t *days)
{
    static const char *months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const char *p = s;
    while (*p == ' ')
        p++;
    if (digits(&p, 4, y) != 4)
        return -1;
    if (*p == '-') { /* 2022-08-16 */
        p++;
        if (digits(&p, 2, m) != 2 || *p++ != '-' || digits(&p, 2, d) != 2 || *p)
            return -1;
    } else { /* 2022 Aug 16 */
        if (*p++ != ' ')
            return -1;
        *m = 0;
        for (int i = 0; i < 12; i++)
            if (strncmp(p, months[i], 3) == 0)
                *m = i + 1;
        if (!*m)
            return -1;
        p += 3;
        while (*p == ' ')
            p++;
        if (digits(&p, 2, d) < 1 || *p)
            return -1;
    }
    if (!valid_date(*y, *m, *d))
        return -1;
    *days = days_from_civil(*y, *m, *d);
    return 0;
}

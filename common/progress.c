/* A progress line on a terminal (rm_progress.h). */
#include "rm_progress.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ERASE_LINE   "\r\033[K"
#define MIN_PERIOD_S 0.1

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void rm_progress_start(struct rm_progress *p, const char *what)
{
    memset(p, 0, sizeof(*p));
    p->out = stderr;
    p->what = what;
    p->on = isatty(fileno(stderr));
    p->last_permil = -1;
}

void rm_progress_update(struct rm_progress *p, double done, double total, const char *note)
{
    if (!p->on || !(total > 0))
        return;
    double frac = done / total;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    int permil = (int)(frac * 1000);
    double t = now_s();
    if (permil == p->last_permil || (p->shown && t - p->last_s < MIN_PERIOD_S))
        return;
    fprintf(p->out, ERASE_LINE "%s: %3d%%%s%.60s", p->what, permil / 10, note ? "  " : "",
            note ? note : "");
    fflush(p->out);
    p->shown = true;
    p->last_s = t;
    p->last_permil = permil;
}

void rm_progress_printf(struct rm_progress *p, const char *fmt, ...)
{
    if (!p->on)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs(ERASE_LINE, p->out);
    vfprintf(p->out, fmt, ap);
    va_end(ap);
    fflush(p->out);
    p->shown = true;
    p->last_s = now_s();
}

void rm_progress_end(struct rm_progress *p)
{
    if (p->shown) {
        fputs(ERASE_LINE, p->out);
        fflush(p->out);
    }
    p->shown = false;
}

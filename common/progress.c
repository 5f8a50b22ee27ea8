/* A progress line on a terminal (rm_progress.h). */
#include "rm_progress.h"

#include "rm_clock.h"

#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define ERASE_LINE   "\r\033[K"
#define MIN_PERIOD_S 0.1
/* Longest line written (then cut to the terminal's width). */
#define PROGRESS_LINE_MAX 512

/* Writes text over the line, cut to the terminal's width: a line that
 * wrapped could not be rewritten in place. */
static void show(struct rm_progress *p, char *text)
{
    struct winsize ws;
    if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && strlen(text) >= ws.ws_col)
        text[ws.ws_col - 1] = '\0';
    fprintf(p->out, ERASE_LINE "%s", text);
    fflush(p->out);
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
    double t = rm_clock_s();
    if (permil == p->last_permil || (p->shown && t - p->last_s < MIN_PERIOD_S))
        return;
    char text[PROGRESS_LINE_MAX];
    snprintf(text, sizeof(text), "%s: %3d%%%s%s", p->what, permil / 10, note ? "  " : "",
             note ? note : "");
    show(p, text);
    p->shown = true;
    p->last_s = t;
    p->last_permil = permil;
}

void rm_progress_printf(struct rm_progress *p, const char *fmt, ...)
{
    if (!p->on)
        return;
    char text[PROGRESS_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    show(p, text);
    p->shown = true;
    p->last_s = rm_clock_s();
}

void rm_progress_end(struct rm_progress *p)
{
    if (p->shown) {
        fputs(ERASE_LINE, p->out);
        fflush(p->out);
    }
    p->shown = false;
}

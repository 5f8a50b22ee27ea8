/* The batch progress line of rm_progress.h. */
#include <stdio.h>
#include <time.h>

#include "rm_log.h"
#include "rm_progress.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void rm_progress_start(struct rm_progress *p, const char *noun, size_t total, bool show)
{
    *p = (struct rm_progress){.noun = noun, .total = total, .show = show, .t0 = now_s()};
}

void rm_progress_count(struct rm_progress *p, bool ok)
{
    if (ok)
        p->ok++;
    else
        p->bad++;
}

/* "1:05:09", "4:07", "12 s". */
static void duration(char *out, size_t len, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else if (t >= 60)
        snprintf(out, len, "%ld:%02ld", t / 60, t % 60);
    else
        snprintf(out, len, "%ld s", t);
}

void rm_progress_draw(struct rm_progress *p)
{
    size_t done = p->ok + p->bad;
    double now = now_s();
    if (!p->show || (done < p->total && now - p->last_draw < 0.2))
        return;
    p->last_draw = now;
    double elapsed = now - p->t0;
    fprintf(stderr, "\r\033[K%zu/%zu %s", done, p->total, p->noun);
    if (p->bad)
        fprintf(stderr, " (%zu bad)", p->bad);
    if (done > 0 && elapsed > 0) {
        double rate = (double)done / elapsed;
        char left[32];
        duration(left, sizeof(left), (double)(p->total - done) / rate);
        fprintf(stderr, ", %.1f/s, %s left", rate, left);
    }
    fflush(stderr);
    p->drawn = true;
}

void rm_progress_error(struct rm_progress *p, const char *message)
{
    if (p->drawn) {
        fprintf(stderr, "\r\033[K");
        p->drawn = false;
    }
    rm_log_error_line(message);
    rm_progress_draw(p);
}

void rm_progress_finish(struct rm_progress *p)
{
    if (!p->show)
        return;
    fprintf(stderr, "%s%zu %s: %zu ok, %zu bad\n", p->drawn ? "\r\033[K" : "", p->ok + p->bad,
            p->noun, p->ok, p->bad);
    fflush(stderr);
    p->drawn = false;
}

/* The live status line and the summary of `rollmat record`
 * (record_feedback.h). */
#include "record_feedback.h"

#include <stdint.h>
#include <string.h>

void rm_record_feedback_init(struct rm_record_feedback *fb, const char *path,
                             const struct rm_mat_info *info, bool quiet)
{
    memset(fb, 0, sizeof(*fb));
    fb->out = stderr;
    fb->path = path;
    fb->quiet = quiet;
    rm_progress_start(&fb->line, "record");
    fb->line.on = fb->line.on && !quiet;
    rm_load_detector_init(&fb->load, info->rows, info->cols, info->adc_bits);
    atomic_init(&fb->loaded, false);
}

void rm_record_feedback_on_frame(void *user, const struct rm_frame *frame, double t)
{
    struct rm_record_feedback *fb = user;
    double sum = 0;
    for (int i = 0; i < frame->rows * frame->cols; i++)
        sum += frame->sensels[i];
    atomic_store_explicit(&fb->loaded, rm_load_detector_feed(&fb->load, t, sum),
                          memory_order_relaxed);
}

static double rate_hz(const struct rm_session_status *st)
{
    /* n frames span n - 1 intervals. */
    return st->frames > 1 && st->t > 0 ? (double)(st->frames - 1) / st->t : 0.0;
}

void rm_record_feedback_update(struct rm_record_feedback *fb, const struct rm_session_status *st)
{
    if (!fb->line.on)
        return;
    const struct rm_rec_counters *c = &st->counters;
    const char *load = st->state == RM_SESSION_DISCONNECTED                      ? "mat unplugged"
                       : atomic_load_explicit(&fb->loaded, memory_order_relaxed) ? "roller loaded"
                                                                                 : "no load";
    char extra[96] = "";
    if (c->crc_errors || c->disconnects)
        snprintf(extra, sizeof(extra), "  (%lld CRC errors, %lld disconnects)",
                 (long long)c->crc_errors, (long long)c->disconnects);
    rm_progress_printf(&fb->line, "recording %s  %.1f s  %lld frames  %.1f Hz  lost %lld  %s%s",
                       fb->path, st->t, (long long)st->frames, rate_hz(st),
                       (long long)c->frames_dropped, load, extra);
}

void rm_record_feedback_summary(struct rm_record_feedback *fb, const struct rm_session_status *st,
                                const char *why)
{
    rm_progress_end(&fb->line);
    if (fb->quiet)
        return;
    const struct rm_rec_counters *c = &st->counters;
    fprintf(fb->out,
            "rollmat: record: %s: %lld frames, %.2f s, %.1f Hz; losses: %lld frames dropped, "
            "%lld CRC errors, %lld bytes skipped, %lld disconnects%s%s%s\n",
            fb->path, (long long)st->frames, st->t, rate_hz(st), (long long)c->frames_dropped,
            (long long)c->crc_errors, (long long)c->bytes_skipped, (long long)c->disconnects,
            why ? " (" : "", why ? why : "", why ? ")" : "");
    fflush(fb->out);
}

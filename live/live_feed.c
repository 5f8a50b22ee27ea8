/* The analysis thread: takes the session's frames off the bounded queue,
 * runs the online analysis (analysis/rm_online.h), and publishes what the
 * clients read: an event LIVE_EVENT_HZ times a second (live.md), the
 * latest frame as a pressure map, and the session so far. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live_internal.h"
#include "rm_clock.h"
#include "rm_error.h"
#include "rm_log.h"
#include "rm_online.h"
#include "rm_text.h"

#define LOG_PREFIX "live"

size_t live_queue_thin(struct live_slot *slots, size_t head, size_t count, size_t elems)
{
    /* Keep the 2nd, 4th, ... frames from the oldest, so the newest stays. */
    size_t keep = count / 2;
    for (size_t i = 0; i < keep; i++) {
        struct live_slot *to = &slots[(head + i) % LIVE_QUEUE_FRAMES];
        const struct live_slot *from = &slots[(head + 2 * i + 1) % LIVE_QUEUE_FRAMES];
        to->t = from->t;
        to->host_s = from->host_s;
        memcpy(to->sensels, from->sensels, elems * sizeof(uint16_t));
    }
    return count - keep;
}

void rm_live_on_frame(void *user, const struct rm_frame *f, double t)
{
    struct rm_live *l = user;
    pthread_mutex_lock(&l->qlock);
    size_t n = (size_t)f->rows * (size_t)f->cols;
    if (!l->session_on || n != l->slot_elems) {
        pthread_mutex_unlock(&l->qlock);
        return;
    }
    if (l->count == LIVE_QUEUE_FRAMES) {
        /* The analysis is behind: the page loses every other frame queued
         * (the file loses none). */
        size_t lost = live_queue_thin(l->slots, l->head, l->count, n);
        if (l->queue_drops / 1000 != (l->queue_drops + (int64_t)lost) / 1000 || l->queue_drops == 0)
            rm_warn("the live analysis is behind: %lld frames skipped for the page so far",
                    (long long)(l->queue_drops + (int64_t)lost));
        l->queue_drops += (int64_t)lost;
        l->count -= lost;
    }
    struct live_slot *s = &l->slots[(l->head + l->count) % LIVE_QUEUE_FRAMES];
    s->t = t;
    s->host_s = rm_clock_s();
    memcpy(s->sensels, f->sensels, n * sizeof(uint16_t));
    l->count++;
    pthread_cond_signal(&l->qcond);
    pthread_mutex_unlock(&l->qlock);
}

/* ---- publishing (elock) ---------------------------------------------------- */

static void publish_event(struct rm_live *l, const char *json, double host_s)
{
    size_t len = strlen(json);
    if (len >= LIVE_EVENT_MAX) {
        rm_err("an event of %zu bytes does not fit", len);
        return;
    }
    pthread_mutex_lock(&l->elock);
    size_t k = l->event_seq % LIVE_EVENT_RING;
    memcpy(l->events[k], json, len + 1);
    l->event_len[k] = len;
    l->event_host[k] = host_s;
    l->event_seq++;
    pthread_cond_broadcast(&l->econd);
    pthread_mutex_unlock(&l->elock);
}

/* Takes ownership of text. */
static void publish_doc(struct rm_live *l, char **slot, char *text)
{
    if (!text)
        return;
    pthread_mutex_lock(&l->elock);
    char *old = *slot;
    *slot = text;
    pthread_mutex_unlock(&l->elock);
    free(old);
}

/* ---- documents -------------------------------------------------------------- */

static json_t *num_or_null(double x, double scale)
{
    return isfinite(x) ? json_real(round(x * scale) / scale) : json_null();
}

static const char *const state_names[] = {"off", "rolling", "paused", "hold"};
static const char *const zone_names[] = {NULL, "slow", "brisk", "too_fast"};

/* One short sentence for the runner, or NULL: pressure first, then the
 * hold against its target, then the speed. */
static const char *cue(const struct rm_profile *pf, const struct rm_online_figures *f, char *buf,
                       size_t size)
{
    if (f->state == RM_ONLINE_OFF)
        return NULL;
    if (f->over_limit)
        return "Ease off: too much pressure.";
    if (f->state == RM_ONLINE_HOLD || f->state == RM_ONLINE_PAUSED) {
        if (f->state == RM_ONLINE_PAUSED && f->hold_s < 1.0)
            return NULL;
        if (f->hold_s < pf->hold_target_min_s) {
            snprintf(buf, size, "Hold: %.0f s to go.", ceil(pf->hold_target_min_s - f->hold_s));
            return buf;
        }
        if (f->hold_s <= pf->hold_target_max_s)
            return "Hold done: roll on when ready.";
        return "Long enough: roll on.";
    }
    if (f->zone == RM_ZONE_TOO_FAST)
        return "Too fast: roll slowly.";
    if (f->zone == RM_ZONE_BRISK)
        return "A little slower.";
    return NULL;
}

static char *event_json(struct rm_live *l, const char *session, const char *muscle,
                        const struct rm_online_figures *f)
{
    json_t *o = json_object();
    bool calibrated = l->cal != NULL;
    const struct rm_profile *pf = &l->profile;
    char buf[64];
    json_object_set_new(o, "t", f ? num_or_null(f->t, 100) : json_null());
    json_object_set_new(o, "session", session ? rm_json_text(session) : json_null());
    json_object_set_new(o, "muscle", muscle && *muscle ? rm_json_text(muscle) : json_null());
    json_object_set_new(o, "state", json_string(f ? state_names[f->state] : "idle"));
    bool on = f && f->state != RM_ONLINE_OFF;
    const char *tool = !on                         ? NULL
                       : f->tool == RM_TOOL_BALL   ? "ball"
                       : f->tool == RM_TOOL_ROLLER ? "roller"
                                                   : NULL;
    json_object_set_new(o, "tool", tool ? json_string(tool) : json_null());
    json_object_set_new(o, "position_mm", num_or_null(on ? f->position_mm : NAN, 10));
    json_object_set_new(o, "speed_mm_s", num_or_null(on ? f->speed_mm_s : NAN, 10));
    const char *zone = f ? zone_names[f->zone] : NULL;
    json_object_set_new(o, "speed_zone", zone ? json_string(zone) : json_null());
    json_object_set_new(o, "hold_s", json_real(f ? round(f->hold_s * 10) / 10 : 0));
    json_object_set_new(o, "hold_target_s",
                        json_pack("[ff]", pf->hold_target_min_s, pf->hold_target_max_s));
    json_object_set_new(o, "force_n", num_or_null(on && calibrated ? f->force_n : NAN, 10));
    json_object_set_new(o, "mean_kpa", num_or_null(on && calibrated ? f->mean_kpa : NAN, 10));
    const char *c = f ? cue(pf, f, buf, sizeof(buf)) : NULL;
    json_object_set_new(o, "cue", c ? json_string(c) : json_null());
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
    json_decref(o);
    return text;
}

/* The latest frame as /frame's JSON: kPa, or counts above the zero-load
 * baseline when uncalibrated, row-major. */
static char *frame_json(struct rm_live *l, struct rm_online *on, float *map)
{
    if (!rm_online_latest_map(on, map))
        return NULL;
    size_t n = (size_t)l->info.rows * l->info.cols;
    size_t cap = 160 + n * 10, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s, cap, "{\"rows\":%u,\"cols\":%u,\"pitch_mm\":[%.3f,%.3f],\"%s\":[",
                            l->info.rows, l->info.cols, l->info.pitch_row_um / 1000.0,
                            l->info.pitch_col_um / 1000.0, l->cal ? "kpa" : "counts");
    for (size_t i = 0; i < n; i++) {
        float v = isfinite(map[i]) ? map[i] : 0;
        len += (size_t)snprintf(s + len, cap - len, "%s%.1f", i ? "," : "", (double)v);
    }
    snprintf(s + len, cap - len, "]}");
    return s;
}

/* The session so far: its holds by muscle and time rolled in each zone. */
static char *session_json(struct rm_live *l, const char *session, struct rm_online *on,
                          const struct rm_online_figures *f)
{
    json_t *o = json_object();
    json_object_set_new(o, "session", session ? rm_json_text(session) : json_null());
    json_object_set_new(o, "profile", rm_profile_to_json(&l->profile));
    json_object_set_new(o, "calibrated", json_boolean(l->cal != NULL));
    json_t *holds = json_array(), *muscles = json_array();
    if (on) {
        const struct rm_pause *p;
        const char *const *labels;
        size_t np = rm_online_pauses(on, &p, &labels);
        for (size_t i = 0; i < np; i++) {
            if (!p[i].hold)
                continue;
            json_array_append_new(holds,
                                  json_pack("{s:o,s:f,s:f}", "muscle",
                                            labels[i][0] ? rm_json_text(labels[i]) : json_null(),
                                            "t_start", round(p[i].t_start * 10) / 10, "duration_s",
                                            round(p[i].duration_s * 10) / 10));
            bool seen = false;
            for (size_t k = 0; k < json_array_size(muscles); k++)
                seen |= strcmp(json_string_value(json_array_get(muscles, k)), labels[i]) == 0;
            if (!seen && labels[i][0])
                json_array_append_new(muscles, rm_json_text(labels[i]));
        }
    }
    json_object_set_new(o, "muscles", muscles);
    json_object_set_new(o, "holds", holds);
    json_object_set_new(o, "loaded_s", json_real(f ? round(f->loaded_s * 10) / 10 : 0));
    json_t *zones = json_object();
    for (int z = RM_ZONE_SLOW; z <= RM_ZONE_TOO_FAST; z++)
        json_object_set_new(zones, zone_names[z],
                            json_real(f ? round(f->rolling_s[z] * 10) / 10 : 0));
    json_object_set_new(o, "rolling_s", zones);
    json_t *score = json_null();
    if (on && f && f->loaded_s > 0) {
        struct rm_scores sc;
        rm_online_score(on, &sc);
        score = json_pack("{s:i,s:i,s:i,s:i}", "total", sc.total, "speed", sc.speed, "holds",
                          sc.holds, "coverage", sc.coverage);
        json_object_set_new(score, "pressure",
                            sc.pressure == RM_SCORE_NONE ? json_null() : json_integer(sc.pressure));
    }
    json_object_set_new(o, "score", score);
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(9));
    json_decref(o);
    return text;
}

/* ---- the thread ------------------------------------------------------------ */

struct feed {
    struct rm_online *online;
    uint64_t gen;
    float *map;
    uint16_t *frame;
    char session[64], muscle[RM_EVENT_LABEL_LEN + 1];
    double next_event_t, next_frame_t, next_session_t, next_idle_host;
    struct rm_online_figures last;
    bool have_last;
};

static void feed_reset(struct rm_live *l, struct feed *fd)
{
    rm_online_free(fd->online);
    fd->online = NULL;
    free(fd->map);
    free(fd->frame);
    fd->map = NULL;
    fd->frame = NULL;
    fd->have_last = false;
    fd->next_event_t = fd->next_frame_t = fd->next_session_t = -INFINITY;
    if (!l->session_on)
        return;
    struct rm_rec_meta meta = {0};
    meta.rows = l->info.rows;
    meta.cols = l->info.cols;
    meta.pitch_row_mm = l->info.pitch_row_um / 1000.0;
    meta.pitch_col_mm = l->info.pitch_col_um / 1000.0;
    meta.rate_hz = l->info.rate_hz;
    meta.adc_bits = l->info.adc_bits;
    size_t n = (size_t)meta.rows * (size_t)meta.cols;
    fd->map = malloc(n * sizeof(float));
    fd->frame = malloc(n * sizeof(uint16_t));
    rm_clear_error();
    int rc =
        fd->map && fd->frame ? rm_online_new(&fd->online, &meta, l->cal, &l->profile) : RM_ENOMEM;
    if (rc != 0)
        rm_err("no live analysis for this session: %s", rm_last_error(rc));
}

/* One frame through the analysis, and what is due after it. */
static void feed_frame(struct rm_live *l, struct feed *fd, double t, double host_s)
{
    if (!fd->online)
        return;
    rm_online_set_label(fd->online, fd->muscle);
    if (rm_online_push(fd->online, t, fd->frame) != 0)
        return;
    if (t >= fd->next_event_t) {
        fd->next_event_t = t + 1.0 / LIVE_EVENT_HZ;
        if (rm_online_update(fd->online, &fd->last) == 0) {
            fd->have_last = true;
            char *ev = event_json(l, fd->session, fd->muscle, &fd->last);
            if (ev)
                publish_event(l, ev, host_s);
            free(ev);
        }
    }
    if (t >= fd->next_frame_t) {
        fd->next_frame_t = t + 1.0 / LIVE_FRAME_HZ;
        publish_doc(l, &l->frame_json, frame_json(l, fd->online, fd->map));
    }
    if (t >= fd->next_session_t && fd->have_last) {
        fd->next_session_t = t + 1.0;
        publish_doc(l, &l->session_json, session_json(l, fd->session, fd->online, &fd->last));
    }
}

static void *feed_main(void *arg)
{
    struct rm_live *l = arg;
    struct feed fd = {.gen = 0};
    feed_reset(l, &fd);
    pthread_mutex_lock(&l->qlock);
    while (!l->stop) {
        if (fd.gen != l->session_gen) {
            fd.gen = l->session_gen;
            snprintf(fd.session, sizeof(fd.session), "%s", l->session);
            pthread_mutex_unlock(&l->qlock);
            /* The last session's figures stay on /session until the next
             * one begins. */
            feed_reset(l, &fd);
            pthread_mutex_lock(&l->qlock);
            continue;
        }
        snprintf(fd.muscle, sizeof(fd.muscle), "%s", l->muscle);
        if (l->count > 0 && fd.frame) {
            struct live_slot *s = &l->slots[l->head];
            double t = s->t, host_s = s->host_s;
            memcpy(fd.frame, s->sensels, l->slot_elems * sizeof(uint16_t));
            l->head = (l->head + 1) % LIVE_QUEUE_FRAMES;
            l->count--;
            pthread_mutex_unlock(&l->qlock);
            feed_frame(l, &fd, t, host_s);
            pthread_mutex_lock(&l->qlock);
            continue;
        }
        l->count = 0; /* frames of a session gone */
        double now = rm_clock_s();
        if (!l->session_on && now >= fd.next_idle_host) {
            fd.next_idle_host = now + 1.0 / LIVE_IDLE_EVENT_HZ;
            pthread_mutex_unlock(&l->qlock);
            char *ev = event_json(l, NULL, NULL, NULL);
            if (ev)
                publish_event(l, ev, rm_clock_s());
            free(ev);
            pthread_mutex_lock(&l->qlock);
            continue;
        }
        struct timespec dl = rm_clock_after(0.1);
        pthread_cond_timedwait(&l->qcond, &l->qlock, &dl);
    }
    pthread_mutex_unlock(&l->qlock);
    rm_online_free(fd.online);
    free(fd.map);
    free(fd.frame);
    return NULL;
}

int live_feed_start(struct rm_live *l)
{
    int bad = pthread_mutex_init(&l->qlock, NULL) || rm_clock_cond_init(&l->qcond) ||
              pthread_mutex_init(&l->elock, NULL) || rm_clock_cond_init(&l->econd);
    if (bad)
        return RM_ENOMEM;
    if (pthread_create(&l->thread, NULL, feed_main, l) != 0)
        return rm_fail(RM_ENOMEM, "cannot start the live analysis thread");
    l->thread_started = true;
    return 0;
}

void live_feed_stop(struct rm_live *l)
{
    if (!l->thread_started)
        return;
    pthread_mutex_lock(&l->qlock);
    l->stop = true;
    pthread_cond_broadcast(&l->qcond);
    pthread_mutex_unlock(&l->qlock);
    pthread_join(l->thread, NULL);
    l->thread_started = false;
}

int rm_live_session_begin(struct rm_live *l, const char *name, const struct rm_mat_info *info)
{
    if (!l)
        return 0;
    size_t n = (size_t)info->rows * info->cols;
    pthread_mutex_lock(&l->qlock);
    int rc = 0;
    if (n != l->slot_elems) {
        uint16_t *mem = realloc(l->slot_mem, LIVE_QUEUE_FRAMES * n * sizeof(uint16_t));
        if (!mem) {
            rc = RM_ENOMEM;
        } else {
            l->slot_mem = mem;
            l->slot_elems = n;
            for (size_t i = 0; i < LIVE_QUEUE_FRAMES; i++)
                l->slots[i].sensels = mem + i * n;
        }
    }
    if (rc == 0) {
        l->info = *info;
        snprintf(l->session, sizeof(l->session), "%s", name);
        char *dot = strrchr(l->session, '.');
        if (dot && strcmp(dot, ".h5") == 0)
            *dot = '\0';
        l->muscle[0] = '\0';
        l->head = l->count = 0;
        l->session_on = true;
        l->session_gen++;
        pthread_cond_signal(&l->qcond);
    }
    pthread_mutex_unlock(&l->qlock);
    return rc;
}

void rm_live_set_muscle(struct rm_live *l, const char *label)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->qlock);
    snprintf(l->muscle, sizeof(l->muscle), "%s", label ? label : "");
    pthread_mutex_unlock(&l->qlock);
}

void rm_live_session_end(struct rm_live *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->qlock);
    if (l->session_on) {
        l->session_on = false;
        l->session_gen++;
        l->session[0] = '\0';
        l->count = 0;
        pthread_cond_signal(&l->qcond);
    }
    pthread_mutex_unlock(&l->qlock);
}

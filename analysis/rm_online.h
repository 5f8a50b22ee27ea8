/* The analysis run online: the same per-frame figures (frames.c), load
 * marking (series.c), filtered motion (series.c) and pause/hold finder
 * (events.c) as `rollmat analyze`, fed one frame at a time while a session
 * records, so that a live page can coach the runner (shared/spec/live.md).
 *
 *     struct rm_online *o;
 *     rm_online_new(&o, &meta, cal, &profile);   // cal may be NULL
 *     for each frame: rm_online_push(o, t, sensels);
 *     every 50 ms:    rm_online_update(o, &fig);  // figures at the last frame
 *     rm_online_free(o);
 *
 * What differs from the batch run is only what a batch run knows that an
 * online one cannot yet: the contact floor and the load threshold come
 * from the frames seen so far (re-estimated as the session goes on, with
 * the batch code), and the low-pass sees a window that ends at the last
 * frame. A pause is reported finished once no later frame can change it. */
#ifndef RM_ONLINE_H
#define RM_ONLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rm_analysis.h"

enum rm_online_state {
    RM_ONLINE_OFF = 0, /* nobody on the roller */
    RM_ONLINE_ROLLING,
    RM_ONLINE_PAUSED, /* stopped, not (yet) a hold */
    RM_ONLINE_HOLD,   /* stopped for hold_min_s or more */
};

enum rm_speed_zone {
    RM_ZONE_NONE = 0, /* off, or stopped */
    RM_ZONE_SLOW,     /* at or below speed_slow_max_mm_s */
    RM_ZONE_BRISK,    /* up to speed_fast_mm_s */
    RM_ZONE_TOO_FAST, /* above it */
};

/* The figures at the last frame pushed. */
struct rm_online_figures {
    double t; /* s, the recording's /t */
    enum rm_online_state state;
    enum rm_tool tool;       /* what rolls, as the batch finds it over the recent frames */
    double position_mm;      /* filtered roll position; NAN when off */
    double speed_mm_s;       /* roll speed; NAN when off */
    enum rm_speed_zone zone; /* of speed_mm_s while rolling */
    double hold_s;           /* time stopped so far (paused, hold); 0 otherwise */
    double force_n;          /* NAN uncalibrated or off */
    double mean_kpa;         /* contact-mean pressure; NAN uncalibrated or off */
    double mean_1s_kpa;      /* its mean over the last second (the limit's test) */
    bool over_limit;         /* mean_1s_kpa above the profile's pressure_max_kpa */
    double loaded_s;         /* loaded time in the session so far */
    double rolling_s[4];     /* rolling time per zone (index: enum rm_speed_zone) */
    size_t npauses;          /* finished pauses so far (rm_online_pauses) */
};

struct rm_online;

/* meta gives the grid, pitch and rate; cal (borrowed, must outlive the
 * stepper; NULL: uncalibrated) and pf are those of the session. Free with
 * rm_online_free(). 0, RM_ENOMEM or RM_EUSAGE for an empty grid. */
int rm_online_new(struct rm_online **out, const struct rm_rec_meta *meta,
                  const struct rm_calibration *cal, const struct rm_profile *pf);
void rm_online_free(struct rm_online *o);

/* One frame (rows * cols raw counts) at /t = t, t increasing. Cheap: the
 * frame's figures only. 0 or RM_ENOMEM. */
int rm_online_push(struct rm_online *o, double t, const uint16_t *sensels);

/* Runs the motion and pause analysis over the recent frames and fills
 * *out for the last frame pushed. 0 or RM_ENOMEM. */
int rm_online_update(struct rm_online *o, struct rm_online_figures *out);

/* Labels what follows (the muscle being rolled): finished pauses carry the
 * label that was current when they began ("" before the first). */
void rm_online_set_label(struct rm_online *o, const char *label);

/* The pauses finished so far, in time order: *out points into the stepper,
 * valid until the next push or update. labels[i] is pause i's label. */
size_t rm_online_pauses(const struct rm_online *o, const struct rm_pause **out,
                        const char *const **labels);

/* The score of the session so far, by the batch's scoring (score.c) of
 * its figures taken as one stretch of rolling: speed from the time rolled
 * in each zone, holds from the finished pauses, pressure from the time
 * over the limit; coverage counts as whole (a muscle rolled once is its
 * own reference). */
void rm_online_score(const struct rm_online *o, struct rm_scores *out);

/* The latest frame as pressures (kPa, or counts above the baseline when
 * uncalibrated) into out (rows * cols). False before any frame. */
bool rm_online_latest_map(const struct rm_online *o, float *out);

#endif

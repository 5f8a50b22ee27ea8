/* rollmatd --auto: is someone pressing the roller onto the mat?
 *
 * The signal is the sum of all raw counts of a frame. An unloaded mat sums
 * to a baseline (offsets, the roller's own weight, noise) that drifts
 * slowly with temperature; a leg on the roller adds far more than the
 * noise. The detector learns the baseline while unloaded and calls a frame
 * loaded when its sum exceeds
 *
 *     baseline + max(8 x noise, floor)
 *
 * where noise is the mean absolute deviation of unloaded sums and floor is
 * the counts of up to four sensels at full scale (fewer on small mats), so
 * that a quiet mat does not turn every breath of noise into load. A load
 * ends when the sum falls below halfway between baseline and threshold
 * (hysteresis: a roll that lightens for a moment stays one load). Times
 * are whatever clock the caller feeds, in seconds. */
#ifndef RM_LOAD_DETECT_H
#define RM_LOAD_DETECT_H

#include <stdbool.h>

/* Seconds over which the unloaded baseline and noise follow drift. */
#define RM_LOAD_BASELINE_TAU_S 10.0
#define RM_LOAD_NOISE_FACTOR   8.0

struct rm_load_detector {
    double floor;
    double baseline, noise;
    bool have_baseline;
    bool loaded;
    double last_t;
    double loaded_since; /* when the current load began */
    double last_loaded;  /* the last loaded frame; < 0 when never */
};

void rm_load_detector_init(struct rm_load_detector *d, int rows, int cols, int adc_bits);

/* Feeds the sum of one frame's counts at time t; returns whether the mat is
 * loaded now. */
bool rm_load_detector_feed(struct rm_load_detector *d, double t, double sum);

/* The sum above which a frame starts a load. */
double rm_load_detector_threshold(const struct rm_load_detector *d);

/* How long the current load has lasted at t; 0 when unloaded. */
double rm_load_detector_loaded_for(const struct rm_load_detector *d, double t);

/* Time since the last loaded frame at t (since the first frame fed when
 * there was none). */
double rm_load_detector_idle_for(const struct rm_load_detector *d, double t);

/* Forgets the timing of loads (not the baseline), e.g. when a session
 * starts or ends. */
void rm_load_detector_restart(struct rm_load_detector *d, double t);

#endif

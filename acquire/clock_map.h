/* The device clock against the host's: where host time falls on the device
 * clock (for events the user issues), and how fast the two drift apart.
 *
 * Each frame gives a pair (device time t, host arrival time h). h - t is
 * the true clock offset plus a USB and scheduling latency that jitters by
 * milliseconds but is never negative, so the minimum of h - t over a window
 * of RM_CLOCK_WINDOW_S of device time is the offset plus the smallest
 * latency: steady to a fraction of a millisecond. The change of that
 * minimum between the first window and the latest gives the drift.
 * All times in seconds; the caller logs. */
#ifndef RM_CLOCK_MAP_H
#define RM_CLOCK_MAP_H

#include <stdbool.h>

#define RM_CLOCK_WINDOW_S 10.0

struct rm_clock_map {
    double win_start, win_min; /* the window being filled */
    double offset;             /* best estimate of host - device */
    bool have_window;          /* a complete window stands behind offset */
    double ref_t, ref_offset;  /* the first complete window */
    bool have_ref;
    double drift_ppm; /* device rate minus host rate, ppm */
    bool have_drift;
};

/* Starts over (first frame, or a device that restarted its clock) with
 * the pair of that frame. */
void rm_clock_map_reset(struct rm_clock_map *m, double t, double host);

/* Adds a frame's pair. Returns true when a window completed and the drift
 * estimate changed. */
bool rm_clock_map_add(struct rm_clock_map *m, double t, double host);

/* Device time at a host time. */
double rm_clock_map_device_time(const struct rm_clock_map *m, double host);

#endif

/* The host's monotonic clock (CLOCK_MONOTONIC): the one clock for
 * timeouts, deadlines, pacing, rates and "how long ago". It never jumps when
 * the wall clock is set (NTP, the user), so durations, polls and deadlines
 * stay right. Dates (file names, created_utc) come from time() and
 * rm_utc.h, never from here. */
#ifndef RM_CLOCK_H
#define RM_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Now, in whole milliseconds: deadlines and polls counted in ms. */
uint64_t rm_clock_ms(void);

/* Now, in seconds: intervals and rates (double keeps nanoseconds for
 * centuries of uptime). */
double rm_clock_s(void);

/* Now, as the timespec pthread_cond_timedwait() wants. */
struct timespec rm_clock_now(void);

/* t moved by seconds (either sign), normalised (0 <= tv_nsec < 1e9). */
struct timespec rm_clock_add(struct timespec t, double seconds);

/* The deadline seconds from now, for pthread_cond_timedwait() on a
 * condition made by rm_clock_cond_init(). */
struct timespec rm_clock_after(double seconds);

/* Initialises cond to time its waits by this clock, so that the deadlines
 * above mean what they say. 0, or RM_ENOMEM. */
int rm_clock_cond_init(pthread_cond_t *cond);

#endif

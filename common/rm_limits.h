/* Physical ranges of a recording's metadata and clock (issue 12).
 *
 * Every reader, writer and importer checks values against these before a
 * value becomes a size, a loop count or a resampling factor: a rate of
 * 1e308 Hz from a crafted file must be refused as bad input, never reach
 * `llround(duration * rate)`. The ranges hold every real pressure mat with
 * orders of magnitude to spare (docs/reliability.md). */
#ifndef RM_LIMITS_H
#define RM_LIMITS_H

#include <stdbool.h>

#include "rm_recording.h"

/* Frame rate: a frame every 10 s up to 10 kHz (mats scan at 1-500 Hz). */
#define RM_RATE_HZ_MIN 0.1
#define RM_RATE_HZ_MAX 10000.0
/* Sensel pitch: 10 um (printed arrays) up to 1 m. */
#define RM_PITCH_MM_MIN 0.01
#define RM_PITCH_MM_MAX 1000.0
/* Grid and converter, as the wire protocol can carry them. */
#define RM_GRID_MAX     4096
#define RM_ADC_BITS_MAX 16
/* Times of frames and events, in seconds since the first frame: within
 * about 115 days either way. */
#define RM_TIME_S_MAX 1e7

/* 0 when m's grid, pitch, converter and rate are within the ranges above;
 * otherwise RM_EFORMAT with "<where>: <what> is outside <range>" recorded. */
int rm_rec_meta_check(const struct rm_rec_meta *m, const char *where);

/* True when t is a finite time within RM_TIME_S_MAX either way. */
bool rm_time_ok(double t);

#endif

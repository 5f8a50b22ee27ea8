/* What the calibration steps share: finding the frames
 * that carry a load. Private to calib/. */
#ifndef CALIB_INTERNAL_H
#define CALIB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "rm_stats.h"
#include "rm_calib.h"

/* 1.4826 * MAD estimates the standard deviation of normal data. */
#define CALIB_MAD_TO_SIGMA 1.4826
/* Frames a calibration step keeps in memory stay within this (issue 12):
 * 1 GiB holds 1500 frames of 600 x 600 sensels, or 50 of 3200 x 3200. */
#define CALIB_MEMORY_BYTES ((size_t)1 << 30)
/* The fewest frames any step works with; a zero needs them all to tell a
 * stuck sensel from a quiet one (ZERO_STUCK_MIN_FRAMES). */
#define CALIB_MIN_FRAMES 50

/* Full scale of a recording's counts. */
static inline unsigned calib_full_scale(const struct rm_calib_frames *fr)
{
    return (1u << fr->adc_bits) - 1u;
}

/* The frames of a load recording that carry the whole load, and the
 * contact threshold: equilibrated counts x = gain * (raw - offset) above
 * `tau` are contact. */
struct calib_loaded {
    size_t n;     /* loaded frames */
    size_t *idx;  /* their indices, increasing; owned, free() */
    double tau;   /* x above this is contact (4 noise sigmas) */
    double sigma; /* the noise of x on unloaded sensels */
};

/* Within frames [first, first + count) of fr (count 0: all of them).
 * RM_EFORMAT "<file>: no load on it" when fewer than a handful of sensels
 * ever rise above the noise. */
int calib_find_loaded(const struct rm_calibration *cal, const struct rm_calib_frames *fr,
                      size_t first, size_t count, struct calib_loaded *out);

/* Gives each dead sensel the mean of v over its live 8 neighbours, so that
 * a dead sensel under a load does not read as a hole in it. */
void calib_fill_dead(const struct rm_calibration *cal, float *v);

/* The contact of one frame: x = gain * (raw - offset) where above tau, 0
 * elsewhere, dead sensels filled from their neighbours. */
void calib_contact_x(const struct rm_calibration *cal, const uint16_t *raw, double tau, float *x);

/* Non-negative least squares: x >= 0 minimising |A x - b| (A is m x n,
 * row-major), by Lawson and Hanson's active-set method. n <= 64. */
int calib_nnls(const double *A, const double *b, size_t m, size_t n, double *x);

#endif

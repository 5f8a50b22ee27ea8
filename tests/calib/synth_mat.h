/* A synthetic mat for the calibration tests, independent of the simulator:
 * raw = offset + (p / a)^(1 / b) / gain + noise, rounded and clamped to 12
 * bits (the sensor model of docs/simulator.md), with sensels broken in known
 * ways. */
#ifndef SYNTH_MAT_H
#define SYNTH_MAT_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "rm_calib.h"

#define SYN_ROWS  24
#define SYN_COLS  16
#define SYN_N     (SYN_ROWS * SYN_COLS)
#define SYN_A     0.02
#define SYN_B     1.4
#define SYN_NOISE 1.2
#define SYN_PITCH 10.0
/* Broken sensels: one reads 0, one is stuck mid-scale, one is very noisy,
 * one responds to nothing (offset fine, no sensitivity). */
#define SYN_DEAD_ZERO  (3 * SYN_COLS + 4)
#define SYN_DEAD_STUCK (10 * SYN_COLS + 7)
#define SYN_DEAD_NOISY (17 * SYN_COLS + 12)
#define SYN_DEAD_NUMB  (20 * SYN_COLS + 2)

struct syn_mat {
    float offset[SYN_N];
    float gain[SYN_N];
    uint64_t rng;
};

static inline double syn_uniform(struct syn_mat *m)
{
    /* xorshift64*: deterministic across platforms. */
    m->rng ^= m->rng >> 12;
    m->rng ^= m->rng << 25;
    m->rng ^= m->rng >> 27;
    return (double)((m->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static inline double syn_normal(struct syn_mat *m)
{
    double u = syn_uniform(m), v = syn_uniform(m);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2.0 * M_PI * v);
}

static inline void syn_init(struct syn_mat *m, uint64_t seed)
{
    m->rng = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int s = 0; s < SYN_N; s++) {
        m->offset[s] = (float)(30.0 + 40.0 * syn_uniform(m));
        m->gain[s] = (float)(0.85 + 0.3 * syn_uniform(m));
    }
}

/* One frame's raw counts for the pressure map kpa (SYN_N values). */
static inline void syn_frame(struct syn_mat *m, const double *kpa, uint16_t *raw)
{
    for (int s = 0; s < SYN_N; s++) {
        double x = kpa[s] > 0 ? pow(kpa[s] / SYN_A, 1.0 / SYN_B) : 0.0;
        double noise = (s == SYN_DEAD_NOISY ? 25.0 : SYN_NOISE) * syn_normal(m);
        double v = m->offset[s] + (s == SYN_DEAD_NUMB ? 0.0 : x / m->gain[s]) + noise;
        v = floor(v + 0.5);
        v = v < 0 ? 0 : (v > 4095 ? 4095 : v);
        if (s == SYN_DEAD_ZERO)
            v = 0;
        if (s == SYN_DEAD_STUCK)
            v = 1234;
        raw[s] = (uint16_t)v;
    }
}

/* kPa of a board of kg over rows [r0, r1) and cols [c0, c1). */
static inline void syn_board(double *kpa, double kg, int r0, int r1, int c0, int c1)
{
    double area_mm2 = (r1 - r0) * (c1 - c0) * SYN_PITCH * SYN_PITCH;
    double p = kg * RM_GRAVITY / (area_mm2 * 1e-3);
    for (int s = 0; s < SYN_N; s++) {
        int r = s / SYN_COLS, c = s % SYN_COLS;
        kpa[s] = r >= r0 && r < r1 && c >= c0 && c < c1 ? p : 0.0;
    }
}

/* frames of a recording: `idle` empty frames, then `loaded` frames of kpa. */
static inline struct rm_calib_frames *syn_recording(struct syn_mat *m, const char *name,
                                                    const double *kpa, size_t idle, size_t loaded)
{
    struct rm_calib_frames *fr;
    if (rm_calib_frames_new(&fr, name, SYN_ROWS, SYN_COLS, idle + loaded))
        return NULL;
    fr->pitch_row_mm = fr->pitch_col_mm = SYN_PITCH;
    double zero[SYN_N] = {0};
    for (size_t f = 0; f < idle + loaded; f++)
        syn_frame(m, f < idle ? zero : kpa, fr->data + f * SYN_N);
    return fr;
}

#endif

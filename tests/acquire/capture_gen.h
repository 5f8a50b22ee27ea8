/* Synthetic captures for the acquisition tests and the ingest benchmark. */
#ifndef RM_CAPTURE_GEN_H
#define RM_CAPTURE_GEN_H

#include <math.h>
#include <stdint.h>

static inline uint32_t rm_gen_hash(uint64_t seq, int i)
{
    uint32_t h = (uint32_t)(seq * 2654435761u) ^ (uint32_t)(i * 40503u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return h;
}

/* The count of sensel i in frame seq: a pattern with structure (a moving
 * band, as a roller makes) and a 5-bit dither, so compression sees
 * realistic data. */
static inline uint16_t rm_gen_sensel(uint64_t seq, int i, int rows, int cols)
{
    int r = i / cols, c = i % cols;
    int band = (int)((seq / 3) % (uint64_t)rows);
    int d = r > band ? r - band : band - r;
    uint32_t h = rm_gen_hash(seq, i);
    uint32_t base = d < 3 ? 3000u - (uint32_t)d * 800u + (uint32_t)c * 4u : 40u;
    (void)rows;
    return (uint16_t)((base + (h & 31u)) & 0x0fffu);
}

/* A standard normal deviate that is a function of (seq, i): Box-Muller on
 * two hashes, so that a test can recompute any noisy sensel. */
static inline double rm_gen_gauss(uint64_t seq, int i)
{
    uint32_t a = rm_gen_hash(seq * 2u + 1u, i * 7 + 3), b = rm_gen_hash(seq * 3u + 7u, i * 11 + 5);
    double u = ((double)a + 1.0) / 4294967297.0, v = (double)b / 4294967296.0;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* rm_gen_sensel() with Gaussian sensor noise of `noise` counts (standard
 * deviation) on every sensel, as every resistive mat has (about 1.5 counts
 * for a 12-bit mat), clamped to the 12-bit ADC's range. noise 0 gives
 * rm_gen_sensel() exactly. */
static inline uint16_t rm_gen_sensel_noisy(uint64_t seq, int i, int rows, int cols, double noise)
{
    uint16_t clean = rm_gen_sensel(seq, i, rows, cols);
    if (noise == 0.0)
        return clean;
    long v = (long)clean + lround(noise * rm_gen_gauss(seq, i));
    return (uint16_t)(v < 0 ? 0 : v > 4095 ? 4095 : v);
}

/* Writes OUT.rmw with frames 0..frames-1 (seq k, t_us = k * 1e6 / rate,
 * sensels rm_gen_sensel_noisy(k, i, ..., noise)), each frame index in
 * corrupt[] damaged after encoding. 0 or RM_E*. */
int rm_gen_capture_noisy(const char *path, long frames, int rows, int cols, int rate, double noise,
                         const long *corrupt, int ncorrupt);

/* rm_gen_capture_noisy() without noise. */
int rm_gen_capture(const char *path, long frames, int rows, int cols, int rate, const long *corrupt,
                   int ncorrupt);

#endif

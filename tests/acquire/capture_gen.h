/* Synthetic captures for the acquisition tests and the ingest benchmark. */
#ifndef RM_CAPTURE_GEN_H
#define RM_CAPTURE_GEN_H

#include <stdint.h>

/* The count of sensel i in frame seq: a pattern with structure (a moving
 * band, as a roller makes) and noise, so compression sees realistic data. */
static inline uint16_t rm_gen_sensel(uint64_t seq, int i, int rows, int cols)
{
    int r = i / cols, c = i % cols;
    int band = (int)((seq / 3) % (uint64_t)rows);
    int d = r > band ? r - band : band - r;
    uint32_t h = (uint32_t)(seq * 2654435761u) ^ (uint32_t)(i * 40503u);
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    uint32_t base = d < 3 ? 3000u - (uint32_t)d * 800u + (uint32_t)c * 4u : 40u;
    (void)rows;
    return (uint16_t)((base + (h & 31u)) & 0x0fffu);
}

/* Writes OUT.rmw with frames 0..frames-1 (seq k, t_us = k * 1e6 / rate),
 * each frame index in corrupt[] damaged after encoding. 0 or RM_E*. */
int rm_gen_capture(const char *path, long frames, int rows, int cols, int rate, const long *corrupt,
                   int ncorrupt);

#endif

/* HDF5's shuffle filter on 2-byte elements, both ways: a chunk of n values
 * is stored as the n low bytes, then the n high bytes, each value read as
 * little-endian. The writer shuffles before deflate; the frame stream undoes
 * it after inflate. Both work on values, so they are right on any host. */
#ifndef RM_SHUFFLE_H
#define RM_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

static inline void rm_shuffle16(const uint16_t *in, uint8_t *out, size_t nelem)
{
    uint8_t *lo = out, *hi = out + nelem;
    for (size_t i = 0; i < nelem; i++) {
        lo[i] = (uint8_t)(in[i] & 0xffu);
        hi[i] = (uint8_t)(in[i] >> 8);
    }
}

static inline void rm_unshuffle16(const uint8_t *in, uint16_t *out, size_t nelem)
{
    const uint8_t *lo = in, *hi = in + nelem;
    for (size_t i = 0; i < nelem; i++)
        out[i] = (uint16_t)(lo[i] | (hi[i] << 8));
}

#endif

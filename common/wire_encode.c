/* Frame encoder: what a mat's firmware sends, used by the simulator, the
 * capture generators of the tests and the benchmarks. */
#include "rm_wire.h"

#include <assert.h>
#include <string.h>
#include <zlib.h>

#include "rm_bytes.h"

size_t rm_wire_frame_size(int rows, int cols)
{
    assert(rows > 0 && cols > 0);
    return RM_WIRE_HEADER_SIZE + 2u * (size_t)rows * (size_t)cols + RM_WIRE_CRC_SIZE;
}

size_t rm_wire_encode_frame(uint8_t *out, uint32_t seq, uint32_t t_us, uint8_t rows, uint8_t cols,
                            uint16_t flags, const uint16_t *sensels)
{
    size_t n = (size_t)rows * cols;
    size_t size = rm_wire_frame_size(rows, cols);

    memcpy(out, RM_WIRE_MAGIC, 4);
    rm_put_le32(out + 4, seq);
    rm_put_le32(out + 8, t_us);
    out[12] = rows;
    out[13] = cols;
    rm_put_le16(out + 14, flags);
    uint8_t *p = out + RM_WIRE_HEADER_SIZE;
    for (size_t i = 0; i < n; i++)
        rm_put_le16(p + 2 * i, sensels[i]);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, out, (uInt)(size - RM_WIRE_CRC_SIZE));
    rm_put_le32(out + size - RM_WIRE_CRC_SIZE, (uint32_t)crc);
    return size;
}

/* Running CRC-32 (zlib's crc32) for frames and the info reply. Start with
 * CRC32_INIT, feed bytes with crc32_update(), send crc ^ CRC32_INIT. */
#ifndef AVR_MAT16_CRC32_H
#define AVR_MAT16_CRC32_H

#include <stdint.h>

#define CRC32_INIT 0xFFFFFFFFUL

uint32_t crc32_update(uint32_t crc, uint8_t byte);

#endif

/* CRC-32 (IEEE 802.3, the zlib/PNG polynomial), table-driven. Generic and
 * pure: used to seal snapshot files. Any thread. */
#ifndef ETCFS_LIB_CRC32_H
#define ETCFS_LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues a CRC over buf (borrowed): start with crc = 0; the result of one
 * call can be passed to the next to checksum data in pieces. */
uint32_t crc32Update(uint32_t crc, const void *buf, size_t len);

#endif /* ETCFS_LIB_CRC32_H */

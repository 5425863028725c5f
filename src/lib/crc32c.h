/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of
 * Go's crc32.MakeTable(crc32.Castagnoli), which etcd's Hash and HashKV
 * use. Generic and pure; any thread. */
#ifndef ETCFS_LIB_CRC32C_H
#define ETCFS_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* The CRC of crc's input followed by p[0..n) (start with crc = 0), as
 * Go's crc32.Update: crc32c(crc32c(0, a), b) == crc32c(0, a || b). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif /* ETCFS_LIB_CRC32C_H */

/* CRC-32C, table-driven, slicing by 8 (see crc32c.h). The tables are
 * built once (pthread_once), by the first call on any thread. */
#include "crc32c.h"

#include <pthread.h>

#define CRC32C__POLY 0x82F63B78u

static uint32_t crc32cTable[8][256];
static pthread_once_t crc32cOnce = PTHREAD_ONCE_INIT;

static void crc32cInit(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ CRC32C__POLY : c >> 1;
        }
        crc32cTable[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            uint32_t c = crc32cTable[t - 1][i];
            crc32cTable[t][i] = (c >> 8) ^ crc32cTable[0][c & 0xff];
        }
    }
}

uint32_t crc32c(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    (void)pthread_once(&crc32cOnce, crc32cInit); /* cannot fail here */
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 |
                             (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
        crc = crc32cTable[7][lo & 0xff] ^ crc32cTable[6][(lo >> 8) & 0xff] ^
              crc32cTable[5][(lo >> 16) & 0xff] ^ crc32cTable[4][lo >> 24] ^
              crc32cTable[3][b[4]] ^ crc32cTable[2][b[5]] ^
              crc32cTable[1][b[6]] ^ crc32cTable[0][b[7]];
        b += 8;
        n -= 8;
    }
    while (n-- > 0) {
        crc = (crc >> 8) ^ crc32cTable[0][(crc ^ *b++) & 0xff];
    }
    return ~crc;
}

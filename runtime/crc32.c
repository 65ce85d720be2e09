/*
 * crc32.c — CRC-32 (IEEE), the bytecode's corruption check.  It is not a
 * signature: it catches truncation and bit rot, the verifier catches
 * everything a hostile writer could do.
 *
 * Slicing-by-8: eight 256-entry tables let the loop fold eight bytes per
 * step instead of one (a 37 MB program: ~260 ms byte-wise, a few times
 * less this way); the result is the same as the bitwise definition, which
 * the unit test checks on the standard vector and on odd lengths.
 */
#include "crc32.h"

#include <string.h>

static uint32_t crc32_table[8][256];

static void crc32_build_tables(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc32_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc32_table[t][i] = (crc32_table[t - 1][i] >> 8) ^ crc32_table[0][crc32_table[t - 1][i] & 0xFF];
}

uint32_t crc32_bytes(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = 0xFFFFFFFFu;

	if (crc32_table[0][1] == 0)
		crc32_build_tables();
	while (len >= 8) {
		uint32_t lo, hi;

		memcpy(&lo, p, 4); /* little-endian host: asserted in bytecode.h */
		memcpy(&hi, p + 4, 4);
		lo ^= c;
		c = crc32_table[7][lo & 0xFF] ^ crc32_table[6][(lo >> 8) & 0xFF] ^
		    crc32_table[5][(lo >> 16) & 0xFF] ^ crc32_table[4][lo >> 24] ^
		    crc32_table[3][hi & 0xFF] ^ crc32_table[2][(hi >> 8) & 0xFF] ^
		    crc32_table[1][(hi >> 16) & 0xFF] ^ crc32_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = crc32_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

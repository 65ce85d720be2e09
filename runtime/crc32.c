/*
 * crc32.c — table-driven CRC-32, the bytecode's corruption check.  It is
 * not a signature: it catches truncation and bit rot, the verifier catches
 * everything a hostile writer could do.
 */
#include "crc32.h"

static uint32_t crc32_table[256];

static void crc32_build_table(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc32_table[i] = c;
	}
}

uint32_t crc32_bytes(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = 0xFFFFFFFFu;

	if (crc32_table[1] == 0)
		crc32_build_table();
	while (len--)
		c = crc32_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

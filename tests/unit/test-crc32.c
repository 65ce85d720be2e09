/*
 * test-crc32.c — the table-driven CRC-32 equals the bitwise definition:
 * the standard check value, and every length 0..300 of a pseudo-random
 * buffer at every start offset 0..7 (the 8-byte loop and its tail).
 */
#include <stdint.h>

#include "crc32.h"
#include "tap.h"

static uint32_t crc32_bitwise(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
	}
	return c ^ 0xFFFFFFFFu;
}

int main(void)
{
	uint8_t buf[320];
	uint32_t x = 12345;
	int mismatches = 0;

	tap_plan(3);
	CHECK_INT(crc32_bytes("123456789", 9), 0xCBF43926u, "the standard check value");
	CHECK_INT(crc32_bytes("", 0), 0, "empty input");
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 300; len++)
			if (crc32_bytes(buf + off, len) != crc32_bitwise(buf + off, len))
				mismatches++;
	CHECK_INT(mismatches, 0, "slicing-by-8 equals the bitwise CRC at every offset and length");
	return tap_done();
}

/*
 * sha256.h — SHA-256 (FIPS 180-4), for the plan hash in the bytecode header
 * (the journal records it, so a run can be matched to its plan).
 */
#ifndef MOUNTPLAN_SHA256_H
#define MOUNTPLAN_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;       /* bytes hashed so far */
	uint8_t buf[64];
	size_t n;           /* bytes waiting in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[32]);

/* One call: out = SHA-256(data[len]). */
void sha256_buf(const void *data, size_t len, uint8_t out[32]);

#endif

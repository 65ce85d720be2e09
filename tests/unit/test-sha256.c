/*
 * test-sha256.c — FIPS 180-4 / NIST test vectors, and incremental updates
 * split at every offset agree with one-shot hashing.
 */
#include <stdio.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int main(void)
{
	static const struct {
		const char *msg, *want;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	uint8_t d[32], d2[32];
	char h[65];
	static char million[1000000];
	struct sha256 s;
	int mismatch = 0;

	tap_plan(0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_buf(v[i].msg, strlen(v[i].msg), d);
		hex(d, h);
		CHECK_STR(h, v[i].want, "sha256 of a %zu-byte message", strlen(v[i].msg));
	}
	memset(million, 'a', sizeof(million));
	sha256_buf(million, sizeof(million), d);
	hex(d, h);
	CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "sha256 of a million 'a'");

	/* Split updates at every offset of a 200-byte message (crosses block edges). */
	sha256_buf(million, 200, d);
	for (size_t cut = 0; cut <= 200; cut++) {
		sha256_init(&s);
		sha256_update(&s, million, cut);
		sha256_update(&s, million + cut, 200 - cut);
		sha256_final(&s, d2);
		mismatch += memcmp(d, d2, 32) != 0;
	}
	CHECK_INT(mismatch, 0, "split updates agree with one-shot hashing");
	return tap_done();
}

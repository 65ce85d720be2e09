/*
 * fuzz-bytecode.c — fuzz target for the bytecode reader: every input goes
 * through program_load_bytes, and what loads through verify_program, and
 * what verifies through disasm_print.  None of them may crash, read out of
 * bounds or leak on any input; the sanitizers say so.
 *
 * Built two ways (build.ninja):
 *   build/fuzz/fuzz-bytecode           clang -fsanitize=fuzzer,address (ninja fuzz-reader)
 *   build/tests/fuzz/replay-bytecode   gcc, with the main below: replays the files
 *                                      named on the command line (the corpus) and
 *                                      prints "FILE: accepted" or "FILE: refused: why"
 * tests/fuzz/bytecode.t replays tests/fuzz/corpus/bytecode/ in `ninja test`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "program.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 0 accepted, 1 refused by the loader, 2 refused by the verifier; err says why. */
static int run_one(const uint8_t *data, size_t size, struct mp_error *err)
{
	struct program p = { 0 };
	FILE *devnull;
	int r;

	if (program_load_bytes(data, size, &p, err) < 0)
		return 1;
	r = verify_program(&p, err);
	if (r == 0) {
		devnull = fopen("/dev/null", "we");
		if (devnull) {
			disasm_print(devnull, &p);
			fclose(devnull);
		}
	}
	program_free(&p);
	return r < 0 ? 2 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_error err;
	uint8_t *fixed;
	uint32_t crc;

	run_one(data, size, &err);
	/* Again with the checksum made right, so mutations reach the verifier
	 * instead of all stopping at the crc32 check. */
	if (size < 4 || !(fixed = malloc(size)))
		return 0;
	memcpy(fixed, data, size);
	crc = crc32_bytes(fixed, size - 4);
	memcpy(fixed + size - 4, &crc, 4);
	run_one(fixed, size, &err);
	free(fixed);
	return 0;
}

#ifdef MP_FUZZ_REPLAY
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct mp_error err = { 0 };
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0, n;
		FILE *f = fopen(argv[i], "rbe");

		if (!f) {
			perror(argv[i]);
			return 1;
		}
		do {
			if (len == cap) {
				uint8_t *bigger = realloc(buf, cap = cap ? 2 * cap : 4096);

				if (!bigger) {
					free(buf);
					fclose(f);
					return 1;
				}
				buf = bigger;
			}
			n = fread(buf + len, 1, cap - len, f);
			len += n;
		} while (n > 0);
		fclose(f);
		if (run_one(buf, len, &err) == 0)
			printf("%s: accepted\n", argv[i]);
		else
			printf("%s: refused: %s\n", argv[i], err.msg);
		free(buf);
	}
	return 0;
}
#endif

/*
 * replay.c — main() of the replay builds of the fuzz targets: run every
 * file named on the command line through LLVMFuzzerTestOneInput once and
 * print "FILE: VERDICT".  A crash, a sanitizer report or an abort from
 * fuzz_bug() ends the process non-zero, which is what the tests/fuzz .t files check.
 * Files are read whole, up to 64 MiB (corpus files are small; this only
 * keeps a mistaken argument from eating the memory).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"

#define REPLAY_MAX_BYTES (64u << 20)

static int replay_read(const char *path, uint8_t **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return -errno;
	do {
		if (len == cap) {
			uint8_t *bigger;

			if (cap >= REPLAY_MAX_BYTES) {
				free(buf);
				fclose(f);
				return -EFBIG;
			}
			cap = cap ? 2 * cap : 4096;
			bigger = realloc(buf, cap);
			if (!bigger) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = bigger;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*ret = buf;
	*ret_len = len;
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;

	for (int i = 1; i < argc; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;
		int r = replay_read(argv[i], &buf, &len);

		if (r < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(-r));
			status = 2;
			continue;
		}
		fuzz_last_verdict[0] = '\0';
		LLVMFuzzerTestOneInput(buf, len);
		printf("%s: %s\n", argv[i], fuzz_last_verdict[0] ? fuzz_last_verdict : "(no verdict)");
		fflush(stdout);
		free(buf);
	}
	return status;
}

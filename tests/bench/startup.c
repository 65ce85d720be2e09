/*
 * startup.c — what the executor pays before its first syscall on the
 * plan: loading a .mpb (header, section bounds, crc32, copies) and
 * verifying every instruction, timed in-process with the executor's own
 * loader and verifier (runtime/load.c, verify.c), so the figure has no
 * exec, dynamic linking or journal in it.
 *
 *   startup FILE.mpb [ITERATIONS]
 *
 * Prints one line: "insns=N bytes=B first_us=F median_us=M min_us=L"
 * (first: the first load + verify of the process, page cache warm;
 * median and min over ITERATIONS, default 200).  A benchmark tool: it
 * prints its errors itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "program.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One load + verify; its time in µs, or a negative value on failure. */
static double load_verify(const char *path, uint32_t *ret_insns, size_t *ret_bytes)
{
	struct mp_error err = { 0 };
	struct program p;
	double t0 = now_us(), t;

	if (program_load_file(path, &p, &err) < 0 || verify_program(&p, &err) < 0) {
		fprintf(stderr, "startup: %s: %s\n", path, err.msg);
		return -1;
	}
	t = now_us() - t0;
	*ret_insns = p.hdr.n_insns;
	*ret_bytes = p.size;
	program_free(&p);
	return t;
}

int main(int argc, char **argv)
{
	unsigned iters = 200;
	uint32_t insns = 0;
	size_t bytes = 0;
	double first, *t;

	if (argc < 2 || argc > 3) {
		fputs("usage: startup FILE.mpb [ITERATIONS]\n", stderr);
		return 2;
	}
	if (argc == 3)
		iters = (unsigned)strtoul(argv[2], NULL, 10);
	if (iters == 0)
		iters = 1;
	first = load_verify(argv[1], &insns, &bytes);
	if (first < 0)
		return 1;
	t = calloc(iters, sizeof *t);
	if (!t)
		return 1;
	for (unsigned i = 0; i < iters; i++) {
		t[i] = load_verify(argv[1], &insns, &bytes);
		if (t[i] < 0)
			return 1;
	}
	qsort(t, iters, sizeof *t, cmp_double);
	printf("insns=%u bytes=%zu first_us=%.1f median_us=%.1f min_us=%.1f\n", insns, bytes, first,
	       t[iters / 2], t[0]);
	free(t);
	return 0;
}

/*
 * wait-driver.c — runs the readiness waits of runtime/op-wait.c alone, for
 * the tests in tests/wait/, so they do not depend on the executor.
 *
 *   wait-driver link IFNAME TIMEOUT_MS [no-carrier]
 *   wait-driver device PATH TIMEOUT_MS
 *   wait-driver loop-remove N        remove /dev/loopN (LOOP_CTL_REMOVE) after a test
 *
 * On success prints "waited_ms=W end_ns=E" (E: CLOCK_REALTIME when the wait
 * returned, to compare with the time a test brought the link up) and exits
 * 0; on timeout prints the same, the error on stderr, and exits 3; on any
 * other error exits 1; bad usage exits 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bytecode.h"
#include "op-wait.h"

static int usage(void)
{
	fputs("usage: wait-driver link IFNAME TIMEOUT_MS [no-carrier]\n"
	      "       wait-driver device PATH TIMEOUT_MS\n"
	      "       wait-driver loop-remove N\n", stderr);
	return 2;
}

static int report(int r, uint64_t waited_ns, const struct mp_error *err)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (r == 0 || r == -ETIMEDOUT)
		printf("waited_ms=%llu end_ns=%llu\n", (unsigned long long)(waited_ns / 1000000u),
		       (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec);
	if (r < 0)
		fprintf(stderr, "wait-driver: %s\n", err->msg);
	return r == 0 ? 0 : r == -ETIMEDOUT ? 3 : 1;
}

int main(int argc, char **argv)
{
	struct mp_error err = { 0 };
	uint64_t waited = 0;
	int r;

	if (argc >= 4 && strcmp(argv[1], "link") == 0) {
		uint32_t flags = 0;

		if (argc == 5 && strcmp(argv[4], "no-carrier") == 0)
			flags = MP_WAIT_NO_CARRIER;
		else if (argc != 4)
			return usage();
		r = wait_link(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), flags, &waited, &err);
		return report(r, waited, &err);
	}
	if (argc == 4 && strcmp(argv[1], "device") == 0) {
		r = wait_device(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), &waited, &err);
		return report(r, waited, &err);
	}
	if (argc == 3 && strcmp(argv[1], "loop-remove") == 0) {
		int fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

		if (fd < 0 || ioctl(fd, LOOP_CTL_REMOVE, atoi(argv[2])) < 0) {
			fprintf(stderr, "wait-driver: remove loop%s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		close(fd);
		return 0;
	}
	return usage();
}

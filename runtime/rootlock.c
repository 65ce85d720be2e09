/*
 * rootlock.c — the per-root run lock (see rootlock.h).  flock, not a row
 * in the journal: a lock row would outlive a killed holder and need the
 * very recovery it is meant to serialise.  The holder writes its pid into
 * the file so a waiter that gives up can say who holds the root.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "rootlock.h"

static int64_t rootlock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take the lock file DIR/locks/NAME; what names the root in messages is `what`. */
static int rootlock_take(const char *journal_path, const char *name, const char *what, int timeout_ms, int *ret_fd,
			 struct mp_error *err)
{
	_cleanup_free_ char *copy = strdup(journal_path);
	char dir[4096], path[4200], pidbuf[32];
	_cleanup_close_ int fd = -1;
	int64_t deadline = rootlock_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	ssize_t n;

	if (!copy)
		return error_set(err, ENOMEM, "root lock: out of memory");
	snprintf(dir, sizeof(dir), "%s/locks", dirname(copy));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "root lock: creating %s", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return error_set_errno(err, errno, "root lock: open %s", path);
	/* Poll rather than block: a blocking flock cannot time out without signals. */
	for (unsigned sleep_us = 1000;; sleep_us = sleep_us < 50000 ? 2 * sleep_us : sleep_us) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return error_set_errno(err, errno, "root lock: flock %s", path);
		if (rootlock_now_ms() >= deadline) {
			n = pread(fd, pidbuf, sizeof(pidbuf) - 1, 0);
			pidbuf[n > 0 ? n : 0] = '\0';
			pidbuf[strcspn(pidbuf, "\n")] = '\0';
			return error_set(err, EBUSY,
					 "root %s is busy: another mrun (pid %s) is applying or undoing a run on it (waited %d ms)",
					 what, pidbuf[0] ? pidbuf : "?", timeout_ms);
		}
		usleep(sleep_us);
	}
	n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pidbuf, (size_t)n, 0) != n)
		return error_set_errno(err, errno, "root lock: writing %s", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int rootlock_acquire(const char *journal_path, uint64_t dev, uint64_t ino, int timeout_ms, int *ret_fd,
		     struct mp_error *err)
{
	char name[64];

	snprintf(name, sizeof(name), "%" PRIx64 ":%" PRIu64, dev, ino);
	return rootlock_take(journal_path, name, name, timeout_ms, ret_fd, err);
}

int rootlock_acquire_path(const char *journal_path, const char *root, int timeout_ms, int *ret_fd,
			  struct mp_error *err)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a 64 of the absolute path */
	char name[64];

	for (const unsigned char *p = (const unsigned char *)root; *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	snprintf(name, sizeof(name), "path-%016" PRIx64, h);
	return rootlock_take(journal_path, name, root, timeout_ms, ret_fd, err);
}

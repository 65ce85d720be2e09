/*
 * op-userns.c — USERNS: a user namespace carrying an id mapping.
 *
 * A user namespace's maps can only be written by a process outside it for
 * a process inside it, so a child is forked that unshares CLONE_NEWUSER
 * and then blocks on a pipe.  The parent writes the maps, opens
 * /proc/PID/ns/user (the fd keeps the namespace alive), then closes the
 * pipe and reaps the child by its PID.  The child never execs and touches
 * nothing: it only exists to own the namespace for a moment.
 */
#include "op-userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "limits.h"

static int parse_u32(const char **p, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno || v > UINT32_MAX)
		return -ERANGE;
	*p = end;
	*ret = (uint32_t)v;
	return 0;
}

int userns_format_map(const char *map, char *buf, size_t n, struct mp_error *err)
{
	const char *p = map;
	size_t len = 0;
	unsigned ranges = 0;

	if (!*p)
		return error_set(err, EINVAL, "empty id map");
	for (;;) {
		uint32_t in, out, count;
		int w;

		if (parse_u32(&p, &in) < 0 || *p++ != ':' || parse_u32(&p, &out) < 0 || *p++ != ':' ||
		    parse_u32(&p, &count) < 0)
			return error_set(err, EINVAL, "id map '%s': expected inside:outside:count", map);
		if (count == 0 || (uint64_t)in + count > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)out + count > (uint64_t)UINT32_MAX + 1)
			return error_set(err, ERANGE, "id map '%s': range out of bounds", map);
		if (++ranges > MP_MAX_IDMAP_RANGES)
			return error_set(err, E2BIG, "id map '%s': more than %u ranges", map, MP_MAX_IDMAP_RANGES);
		w = snprintf(buf + len, n - len, "%u %u %u\n", in, out, count);
		if (w < 0 || (size_t)w >= n - len)
			return error_set(err, ENAMETOOLONG, "id map '%s' too long", map);
		len += (size_t)w;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return error_set(err, EINVAL, "id map '%s': expected ',' between ranges", map);
	}
}

static int write_proc(pid_t pid, const char *file, const char *text, struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "open %s", path);
	/* one write: the kernel accepts a map only whole, in a single write */
	if (write(fd, text, len) != (ssize_t)len)
		return error_set_errno(err, errno, "write %s", path);
	return 0;
}

int userns_create(const char *uid_map, const char *gid_map, int *ret_fd, struct mp_error *err)
{
	char uid_text[MP_MAX_IDMAP_RANGES * 36], gid_text[MP_MAX_IDMAP_RANGES * 36];
	int ready[2] = { -1, -1 }, hold[2] = { -1, -1 };
	int r, fd = -1, status;
	char path[64], c;
	pid_t pid;

	r = userns_format_map(uid_map, uid_text, sizeof(uid_text), err);
	if (r < 0)
		return error_wrap(err, "uid map");
	r = userns_format_map(gid_map, gid_text, sizeof(gid_text), err);
	if (r < 0)
		return error_wrap(err, "gid map");
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0) {
		r = error_set_errno(err, errno, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = error_set_errno(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* child: only async-signal-safe calls until _exit */
		char ok = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';

		close(ready[0]);
		close(hold[1]);
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	close(hold[0]);
	hold[0] = -1;
	if (read(ready[0], &c, 1) != 1 || c != 'y') {
		r = error_set(err, EPERM, "child could not unshare its user namespace");
		goto reap;
	}
	r = write_proc(pid, "uid_map", uid_text, err);
	if (r == 0)
		r = write_proc(pid, "setgroups", "deny", err);
	if (r == 0)
		r = write_proc(pid, "gid_map", gid_text, err);
	if (r == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = error_set_errno(err, errno, "open %s", path);
	}
reap:
	close(hold[1]); /* EOF releases the child */
	hold[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (hold[i] >= 0)
			close(hold[i]);
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

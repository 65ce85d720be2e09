/*
 * op-mount.c — the mount operations behind BIND, OPEN_TREE, IDMAP,
 * SETATTR, FSOPEN..FSMOUNT, MOVE, MOUNT, MOUNT_HELPER, MASK, REMOUNT,
 * PROPAGATE and their undo (see op-mount.h).
 *
 * Everything works on fds handed in by the caller (resolved inside the
 * root by resolve.c).  The new mount API is used wherever the kernel has
 * it: a bind is open_tree(OPEN_TREE_CLONE) + mount_setattr on the detached
 * clone + move_mount, which changes only the bits asked for and so keeps
 * every flag the kernel locked on the source (a classic
 * MS_REMOUNT|MS_BIND|MS_RDONLY would try to clear nosuid/nodev and fail
 * with EPERM on a locked mount).  mount(2) and helpers get the target as
 * /proc/self/fd/N: the kernel follows that magic link to the very inode we
 * resolved, never re-walking a path string.
 */
#include "op-mount.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "resolve.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

int mount_clone(int fd, bool recursive, int *ret_tree, struct mp_error *err)
{
	int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
					     (recursive ? AT_RECURSIVE : 0));

	if (tree < 0)
		return error_set_errno(err, errno, "open_tree(OPEN_TREE_CLONE%s)", recursive ? "|AT_RECURSIVE" : "");
	*ret_tree = tree;
	return 0;
}

int mount_clone_path(const char *path, bool recursive, int *ret_tree, struct mp_error *err)
{
	int tree = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));

	if (tree < 0)
		return error_set_errno(err, errno, "open_tree(OPEN_TREE_CLONE%s) '%s'", recursive ? "|AT_RECURSIVE" : "",
				       path);
	*ret_tree = tree;
	return 0;
}

int mount_setattr_fd(int fd, bool recursive, uint32_t attr_set, uint32_t attr_clr, uint32_t propagation,
		     int userns_fd, struct mp_error *err)
{
	struct mount_attr attr = {
		.attr_set = attr_set,
		.attr_clr = attr_clr,
		.propagation = propagation,
	};

	if (attr_set == 0 && attr_clr == 0 && propagation == 0 && userns_fd < 0)
		return 0;
	/* The atime mode is a 3-bit field, not flags: the kernel takes a new one only with the field cleared. */
	if ((attr_set | attr_clr) & MOUNT_ATTR__ATIME)
		attr.attr_clr |= MOUNT_ATTR__ATIME;
	if (userns_fd >= 0) {
		attr.attr_set |= MOUNT_ATTR_IDMAP;
		attr.userns_fd = (uint64_t)userns_fd;
	}
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof(attr)) < 0)
		return error_set_errno(err, errno, "mount_setattr(set 0x%x, clear 0x%x, propagation 0x%x%s)",
				       (unsigned)attr.attr_set, (unsigned)attr.attr_clr, propagation,
				       userns_fd >= 0 ? ", idmap" : "");
	return 0;
}

int mount_move(int tree_fd, int target_fd, struct mp_error *err)
{
	if (move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return error_set_errno(err, errno, "move_mount");
	return 0;
}

int mount_fs_open(const char *type, int *ret_fs, struct mp_error *err)
{
	int fs = fsopen(type, FSOPEN_CLOEXEC);

	if (fs < 0)
		return error_set_errno(err, errno, "fsopen '%s'", type);
	*ret_fs = fs;
	return 0;
}

void mount_fs_messages(int fs_fd, char *buf, size_t n)
{
	size_t len = 0;
	char line[1024];
	ssize_t got;

	buf[0] = '\0';
	/* Each read returns one message; ENODATA when the log is empty. */
	while ((got = read(fs_fd, line, sizeof(line) - 1)) > 0) {
		line[got] = '\0';
		if (got > 0 && line[got - 1] == '\n')
			line[got - 1] = '\0';
		int w = snprintf(buf + len, n - len, "%s%s", len ? "; " : "", line);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
}

static int fs_error(int fs_fd, int code, const char *what, struct mp_error *err)
{
	char msg[512];

	mount_fs_messages(fs_fd, msg, sizeof(msg));
	if (msg[0])
		return error_set(err, code, "%s: %s (kernel: %s)", what, strerror(code), msg);
	return error_set_errno(err, code, "%s", what);
}

int mount_fs_set(int fs_fd, bool flag, const char *key, const char *value, struct mp_error *err)
{
	char what[300];
	int r;

	if (flag)
		r = fsconfig(fs_fd, FSCONFIG_SET_FLAG, key, NULL, 0);
	else
		r = fsconfig(fs_fd, FSCONFIG_SET_STRING, key, value, 0);
	if (r < 0) {
		int code = errno;

		snprintf(what, sizeof(what), "fsconfig '%s'%s%.200s", key, flag ? "" : " = ", flag ? "" : value);
		return fs_error(fs_fd, code, what, err);
	}
	return 0;
}

int mount_fs_set_fd(int fs_fd, const char *key, int fd, struct mp_error *err)
{
	char msg[512];

	if (fsconfig(fs_fd, FSCONFIG_SET_FD, key, NULL, fd) == 0)
		return 0;
	if (errno == EINVAL) {
		mount_fs_messages(fs_fd, msg, sizeof(msg)); /* not the caller's error: forget it */
		return error_set(err, EINVAL, "fsconfig '%s' takes no fd", key);
	}
	return fs_error(fs_fd, errno, key, err);
}

int mount_fs_create(int fs_fd, uint32_t attr, int *ret_tree, struct mp_error *err)
{
	int tree;

	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return fs_error(fs_fd, errno, "fsconfig(FSCONFIG_CMD_CREATE)", err);
	tree = fsmount(fs_fd, FSMOUNT_CLOEXEC, attr);
	if (tree < 0)
		return fs_error(fs_fd, errno, "fsmount", err);
	*ret_tree = tree;
	return 0;
}

int mount_classic(const char *type, const char *source, int target_fd, unsigned long flags, const char *data,
		  struct mp_error *err)
{
	char target[RESOLVE_PROC_FD_MAX];

	resolve_proc_fd(target_fd, target);
	if (mount(source, target, type, flags, data && *data ? data : NULL) < 0)
		return error_set_errno(err, errno, "mount(2) type '%s' source '%s' flags 0x%lx", type,
				       source ? source : "", flags);
	return 0;
}

/* Find the helper the way mount(8) does: mount.TYPE, and for fuse.SUB also mount.fuse with -t. */
static int helper_path(const char *type, char *buf, size_t n, bool *ret_pass_type)
{
	static const char *const dirs[] = { "/sbin", "/usr/sbin", "/usr/local/sbin" };

	for (int pass = 0; pass < 2; pass++) {
		const char *name = type;

		if (pass == 1) {
			if (strncmp(type, "fuse.", 5) != 0 && strncmp(type, "fuseblk.", 8) != 0)
				break;
			name = type[4] == '.' ? "fuse" : "fuseblk";
		}
		for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			snprintf(buf, n, "%s/mount.%s", dirs[i], name);
			if (access(buf, X_OK) == 0) {
				*ret_pass_type = pass == 1;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Read what is there into out (NUL-terminated, the rest discarded); returns read(2)'s result. */
static ssize_t helper_read(int fd, char *out, size_t *len, size_t size)
{
	char sink[256];
	ssize_t got;

	if (*len < size - 1)
		got = read(fd, out + *len, size - 1 - *len);
	else
		got = read(fd, sink, sizeof(sink));
	if (got > 0 && *len < size - 1)
		*len += (size_t)got;
	out[*len] = '\0';
	return got < 0 && errno == EINTR ? 1 : got;
}

int mount_helper(const char *type, const char *source, int target_fd, const char *options, struct mp_error *err)
{
	/* The helper sees the target as /proc/self/fd/HELPER_FD, which its own exec keeps open. */
	enum { HELPER_FD = 3 };
	char helper[128], target[RESOLVE_PROC_FD_MAX], out[512];
	int pipefd[2], status;
	bool pass_type = false;
	size_t len = 0;
	pid_t pid;

	if (helper_path(type, helper, sizeof(helper), &pass_type) < 0)
		return error_set(err, ENOENT, "no mount helper mount.%s in /sbin, /usr/sbin, /usr/local/sbin", type);
	resolve_proc_fd(HELPER_FD, target);
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_set_errno(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return error_set_errno(err, errno, "fork");
	}
	if (pid == 0) {
		const char *argv[10];
		sigset_t none;
		int a = 0;

		/* mrun blocks its stop signals during a run; the helper gets the default mask */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* dup2 clears FD_CLOEXEC on the copy: only the target fd and stdio reach the helper */
		if (dup2(target_fd, HELPER_FD) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0)
			_exit(126);
		argv[a++] = helper;
		argv[a++] = source;
		argv[a++] = target;
		argv[a++] = "-n"; /* no mtab */
		if (options && *options) {
			argv[a++] = "-o";
			argv[a++] = options;
		}
		if (pass_type) {
			argv[a++] = "-t";
			argv[a++] = type;
		}
		argv[a] = NULL;
		execv(helper, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	/*
	 * Collect stderr until the helper exits, not until EOF: a FUSE helper
	 * leaves its daemon running, and the daemon keeps the pipe open.
	 */
	for (bool eof = false;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		pid_t w = waitpid(pid, &status, eof ? 0 : WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			int e = errno;

			close(pipefd[0]);
			return error_set_errno(err, e, "waitpid %s", helper);
		}
		if (!eof && poll(&pfd, 1, 50) > 0)
			eof = helper_read(pipefd[0], out, &len, sizeof(out)) == 0;
	}
	/* what the helper wrote just before it exited */
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	while (helper_read(pipefd[0], out, &len, sizeof(out)) > 0)
		;
	out[len] = '\0';
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	close(pipefd[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return error_set(err, EIO, "%s exited with status %d%s%s", helper, WEXITSTATUS(status),
				 len ? ": " : "", out);
	return error_set(err, EIO, "%s killed by signal %d%s%s", helper, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
			 len ? ": " : "", out);
}

int mount_detach_fd(int fd, struct mp_error *err)
{
	char path[RESOLVE_PROC_FD_MAX];

	resolve_proc_fd(fd, path);
	if (umount2(path, MNT_DETACH) < 0)
		return error_set_errno(err, errno, "umount2(MNT_DETACH)");
	return 0;
}

int mount_attr_of(int fd, uint32_t *ret_attr, struct mp_error *err)
{
	struct statvfs sv;
	uint32_t a = 0;

	if (fstatvfs(fd, &sv) < 0)
		return error_set_errno(err, errno, "statvfs");
	if (sv.f_flag & ST_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (sv.f_flag & ST_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (!(sv.f_flag & ST_RELATIME))
		a |= MOUNT_ATTR_STRICTATIME;
	if (sv.f_flag & ST_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
#ifdef ST_NOSYMFOLLOW
	if (sv.f_flag & ST_NOSYMFOLLOW)
		a |= MOUNT_ATTR_NOSYMFOLLOW;
#endif
	*ret_attr = a;
	return 0;
}

int mount_propagation_of(int fd, uint32_t *ret_prop, struct mp_error *err)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	uint64_t id;
	int r;

	r = resolve_mountinfo_id(fd, &id, err);
	if (r < 0)
		return r;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return error_set_errno(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok;
		uint32_t prop = MS_PRIVATE;
		int field = 0;

		if (strtoull(line, NULL, 10) != id)
			continue;
		/* fields 7.. up to "-" are the optional tags: shared:N, master:N, unbindable */
		for (tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
			if (field < 6)
				continue;
			if (strcmp(tok, "-") == 0)
				break;
			if (strncmp(tok, "shared:", 7) == 0)
				prop = MS_SHARED;
			else if (strncmp(tok, "master:", 7) == 0 && prop != MS_SHARED)
				prop = MS_SLAVE;
			else if (strcmp(tok, "unbindable") == 0)
				prop = MS_UNBINDABLE;
		}
		*ret_prop = prop;
		return 0;
	}
	return error_set(err, ENOENT, "mount %" PRIu64 " not in /proc/self/mountinfo", id);
}

int mount_mask(int target_fd, int *ret_tree, struct mp_error *err)
{
	struct stat st;
	int r;

	if (fstat(target_fd, &st) < 0)
		return error_set_errno(err, errno, "stat mask target");
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fs = -1;

		r = mount_fs_open("tmpfs", &fs, err);
		if (r == 0)
			r = mount_fs_set(fs, false, "source", "tmpfs", err);
		if (r == 0)
			r = mount_fs_set(fs, true, "ro", NULL, err);
		if (r == 0)
			r = mount_fs_create(fs, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
							MOUNT_ATTR_NOEXEC, ret_tree, err);
		return r;
	} else {
		_cleanup_close_ int null = open("/dev/null", O_PATH | O_CLOEXEC);
		struct stat ns;

		if (null < 0)
			return error_set_errno(err, errno, "open /dev/null");
		/* check what we opened, not the path: a /dev/null replaced by a file must not be bound */
		if (fstat(null, &ns) < 0)
			return error_set_errno(err, errno, "stat /dev/null");
		if (!S_ISCHR(ns.st_mode) || major(ns.st_rdev) != 1 || minor(ns.st_rdev) != 3)
			return error_set(err, EINVAL, "/dev/null is not the character device 1:3");
		return mount_clone(null, false, ret_tree, err);
	}
}

int mount_join_layers(const char *const *names, size_t n, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -E2BIG;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);

		if (len + (i ? 1 : 0) + l + 1 > size)
			return -E2BIG;
		if (i)
			buf[len++] = ':';
		memcpy(buf + len, names[i], l + 1);
		len += l;
	}
	return 0;
}

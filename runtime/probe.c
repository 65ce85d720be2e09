/*
 * probe.c — reading the kernel facts a run is recorded with and recovery
 * reconciles against (see probe.h).  Everything here only reads: /proc,
 * statx, listmount(2), LOOP_GET_STATUS64.
 *
 * The watermark is what lets recovery trust the kernel as the record of a
 * run's progress: unique mount ids (Linux 6.8) are handed out from one
 * increasing 64-bit counter and never reused within a boot, so a mount at
 * one of the run's targets whose id is above the highest id that existed
 * when the run began was made after the run began.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "probe.h"

static void closedirp_(DIR **d)
{
	if (*d)
		closedir(*d);
}

#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#define PROBE_LSMT_ROOT 0xffffffffffffffffULL /* list the namespace's root mount and all below */
#define PROBE_LISTMOUNT_REVERSE 0x1u          /* Linux 6.14: highest ids first */
#define PROBE_MNT_ID_REQ_SIZE_VER0 24u

struct probe_mnt_id_req {
	uint32_t size;
	uint32_t spare;
	uint64_t mnt_id;
	uint64_t param; /* list ids above this one */
};

static int probe_read_small(const char *path, char *buf, size_t size, struct mp_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return error_set_errno(err, errno, "open %s", path);
	n = read(fd, buf, size - 1);
	if (n < 0)
		return error_set_errno(err, errno, "read %s", path);
	buf[n] = '\0';
	return 0;
}

int probe_boot_id(char ret[PROBE_BOOT_ID_LEN + 1], struct mp_error *err)
{
	char buf[64];
	int r = probe_read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf), err);

	if (r < 0)
		return r;
	if (strlen(buf) < PROBE_BOOT_ID_LEN)
		return error_set(err, EIO, "/proc/sys/kernel/random/boot_id: short read");
	memcpy(ret, buf, PROBE_BOOT_ID_LEN);
	ret[PROBE_BOOT_ID_LEN] = '\0';
	return 0;
}

int probe_mntns_ino(uint64_t *ret, struct mp_error *err)
{
	struct stat st;

	if (stat("/proc/self/ns/mnt", &st) < 0)
		return error_set_errno(err, errno, "stat /proc/self/ns/mnt");
	*ret = st.st_ino;
	return 0;
}

int probe_pid_start(pid_t pid, uint64_t *ret, struct mp_error *err)
{
	char path[64], buf[1024];
	const char *p;
	unsigned long long start;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	r = probe_read_small(path, buf, sizeof(buf), err);
	if (r < 0)
		return r == -ENOENT ? error_set(err, ESRCH, "no process %d", (int)pid) : r;
	/* comm (field 2) may hold spaces and parentheses: fields 3.. follow the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return error_set(err, EIO, "%s: no ')' after comm", path);
	/* After ')': state (3) ... starttime (22), i.e. skip 19 fields. */
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return error_set(err, EIO, "%s: fewer than 22 fields", path);
	}
	if (sscanf(p, " %llu", &start) != 1)
		return error_set(err, EIO, "%s: field 22 is not a number", path);
	*ret = start;
	return 0;
}

bool probe_pid_is(pid_t pid, uint64_t start)
{
	struct mp_error err;
	uint64_t now;

	if (pid <= 0 || probe_pid_start(pid, &now, &err) < 0)
		return false;
	return now == start;
}

/* Fallback without listmount: the top mount of every mount point (shadowed mounts are missed). */
static int probe_watermark_mountinfo(uint64_t *ret, struct mp_error *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	uint64_t max = 0;

	if (!f)
		return error_set_errno(err, errno, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char mp[4096];
		struct statx stx;

		/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": the mount point is field 5 (octal escapes kept; best effort). */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		if (statx(AT_FDCWD, mp, AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, &stx) < 0)
			continue;
		if ((stx.stx_mask & STATX_MNT_ID_UNIQUE) && stx.stx_mnt_id > max)
			max = stx.stx_mnt_id;
	}
	if (max == 0)
		return error_set(err, ENOSYS, "cannot read unique mount ids (needs Linux 6.8)");
	*ret = max;
	return 0;
}

int probe_mnt_watermark(uint64_t *ret, struct mp_error *err)
{
	struct probe_mnt_id_req req = {
		.size = PROBE_MNT_ID_REQ_SIZE_VER0,
		.mnt_id = PROBE_LSMT_ROOT,
	};
	uint64_t ids[512], max = 0;
	long n;

	n = syscall(__NR_listmount, &req, ids, 1, PROBE_LISTMOUNT_REVERSE);
	if (n == 1) {
		*ret = ids[0];
		return 0;
	}
	if (n < 0 && errno == ENOSYS)
		return probe_watermark_mountinfo(ret, err);
	/* No reverse order (EINVAL before 6.14): page through all ids, ascending. */
	for (;;) {
		n = syscall(__NR_listmount, &req, ids, sizeof(ids) / sizeof(ids[0]), 0);
		if (n < 0)
			return error_set_errno(err, errno, "listmount");
		if (n == 0)
			break;
		for (long i = 0; i < n; i++)
			if (ids[i] > max)
				max = ids[i];
		req.param = ids[n - 1];
		if ((size_t)n < sizeof(ids) / sizeof(ids[0]))
			break;
	}
	if (max == 0)
		return error_set(err, EIO, "listmount returned no mount");
	*ret = max;
	return 0;
}

/*
 * Our pid as /proc shows it.  Under a child pid namespace (the OCI hook
 * applies from inside the container's) getpid() is the namespace's number,
 * while recover later looks the run up in the /proc of the host: the
 * /proc/self link resolves in the pid namespace of the proc mount, which
 * is the one recover sees too.
 */
static pid_t probe_proc_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

int probe_run_facts(struct run_facts *ret, struct mp_error *err)
{
	struct run_facts f = { .pid = probe_proc_pid() };
	int r;

	r = probe_boot_id(f.boot_id, err);
	if (r >= 0)
		r = probe_mntns_ino(&f.mntns_ino, err);
	if (r >= 0)
		r = probe_pid_start(f.pid, &f.pid_start, err);
	if (r >= 0)
		r = probe_mnt_watermark(&f.mnt_watermark, err);
	if (r < 0)
		return r;
	*ret = f;
	return 0;
}

int probe_find_mntns(uint64_t ino, int *ret_fd, struct mp_error *err)
{
	_cleanup_(closedirp_) DIR *d = opendir("/proc");
	struct dirent *e;

	if (!d)
		return error_set_errno(err, errno, "open /proc");
	while ((e = readdir(d))) {
		char path[64];
		struct stat st;
		int fd, pid;

		if (sscanf(e->d_name, "%d", &pid) != 1 || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
		if (stat(path, &st) < 0 || (uint64_t)st.st_ino != ino)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* it exited meanwhile: look on */
		*ret_fd = fd;
		return 0;
	}
	return -ENOENT;
}

int probe_mount_id(int fd, uint64_t *ret_id, bool *ret_is_root, struct mp_error *err)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return error_set_errno(err, errno, "statx");
	if (!(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return error_set(err, ENOSYS, "statx: no unique mount id (needs Linux 6.8)");
	*ret_id = stx.stx_mnt_id;
	if (ret_is_root)
		*ret_is_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return 0;
}

int probe_loop(int nr, uint64_t *ret_dev, uint64_t *ret_ino, char ret_name[PROBE_LOOP_NAME_MAX],
	       struct mp_error *err)
{
	struct loop_info64 info;
	char path[32];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/dev/loop%d", nr);
	/* O_RDONLY: opening does not bind or claim the device; closing an unbound one does nothing. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return error_set_errno(err, errno, "open %s", path);
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		return error_set_errno(err, errno, "%s: LOOP_GET_STATUS64", path);
	*ret_dev = info.lo_device;
	*ret_ino = info.lo_inode;
	if (ret_name) {
		memcpy(ret_name, info.lo_file_name, PROBE_LOOP_NAME_MAX);
		ret_name[PROBE_LOOP_NAME_MAX - 1] = '\0';
	}
	return 0;
}

void probe_loop_tag(char ret[PROBE_LOOP_NAME_MAX], pid_t pid, uint64_t start, uint32_t step)
{
	snprintf(ret, PROBE_LOOP_NAME_MAX, "mountplan:%d:%" PRIu64 ":%" PRIu32, (int)pid, start, step);
}

/*
 * op-loop.c — LOOP_ATTACH and its undo.
 *
 * LOOP_CTL_GET_FREE only names a device that is free at that instant;
 * another executor (or losetup) may configure the same N before we do.
 * LOOP_CONFIGURE is atomic and fails with EBUSY on a device already bound,
 * so on EBUSY we ask for a free number again, a bounded number of times.
 * LOOP_CONFIGURE (5.8) sets the backing file, offset, size limit and flags
 * in one ioctl, so there is no window where the device exists with the
 * wrong offset or writable.
 */
#include "op-loop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytecode.h"
#include "cleanup.h"
#include "resolve.h"

#define LOOP_ATTACH_TRIES 16

void loop_dev_path(int32_t nr, char *buf, size_t n)
{
	snprintf(buf, n, "/dev/loop%d", (int)nr);
}

int loop_attach(int image_fd, uint32_t flags, uint64_t offset, uint64_t sizelimit, const char *name, int32_t *ret_nr,
		uint64_t *ret_dev, uint64_t *ret_ino, int *ret_dev_fd, struct mp_error *err)
{
	bool ro = flags & MP_LOOP_READONLY;
	_cleanup_close_ int ctl = -1, backing = -1;
	char proc[RESOLVE_PROC_FD_MAX];
	struct loop_config cfg;
	struct stat st;

	resolve_proc_fd(image_fd, proc);
	backing = open(proc, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (backing < 0)
		return error_set_errno(err, errno, "open image");
	if (fstat(backing, &st) < 0)
		return error_set_errno(err, errno, "stat image");
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return error_set(err, EINVAL, "image is not a regular file or block device");

	memset(&cfg, 0, sizeof(cfg));
	cfg.fd = (uint32_t)backing;
	cfg.info.lo_offset = offset;
	cfg.info.lo_sizelimit = sizelimit;
	cfg.info.lo_flags = (ro ? LO_FLAGS_READ_ONLY : 0) | ((flags & MP_LOOP_DIRECT_IO) ? LO_FLAGS_DIRECT_IO : 0) |
			    ((flags & MP_LOOP_AUTOCLEAR) ? LO_FLAGS_AUTOCLEAR : 0);

	if (name)
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s", name);

	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return error_set_errno(err, errno, "open /dev/loop-control");
	for (int attempt = 0; attempt < LOOP_ATTACH_TRIES; attempt++) {
		_cleanup_close_ int dev = -1;
		char path[32];
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE);

		if (nr < 0)
			return error_set_errno(err, errno, "LOOP_CTL_GET_FREE");
		loop_dev_path(nr, path, sizeof(path));
		dev = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (dev < 0) {
			if (errno == ENOENT || errno == ENXIO) /* removed meanwhile by someone else */
				continue;
			return error_set_errno(err, errno, "open %s", path);
		}
		if (ioctl(dev, LOOP_CONFIGURE, &cfg) < 0) {
			if (errno == EBUSY) /* another process took this free device first */
				continue;
			return error_set_errno(err, errno, "LOOP_CONFIGURE %s", path);
		}
		*ret_nr = nr;
		*ret_dev_fd = TAKE_FD(dev);
		*ret_dev = st.st_dev;
		*ret_ino = st.st_ino;
		return 0;
	}
	return error_set(err, EBUSY, "no free loop device after %d tries", LOOP_ATTACH_TRIES);
}

int loop_detach(int32_t nr, uint64_t dev, uint64_t ino, struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	struct loop_info64 info;
	char path[32];

	loop_dev_path(nr, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "open %s", path);
	if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0) {
		if (errno == ENXIO) /* already unbound (autoclear after the last unmount) */
			return 0;
		return error_set_errno(err, errno, "LOOP_GET_STATUS64 %s", path);
	}
	if (info.lo_device != dev || info.lo_inode != ino)
		return error_set(err, ESTALE, "%s is now backed by another file: not detached", path);
	/* While still open by a mount, the kernel defers this to the last close (autoclear). */
	if (ioctl(fd, LOOP_CLR_FD, 0) < 0)
		return error_set_errno(err, errno, "LOOP_CLR_FD %s", path);
	return 0;
}

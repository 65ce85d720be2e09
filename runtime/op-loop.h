/*
 * op-loop.h — loop devices for image-backed mounts: attach through
 * /dev/loop-control and LOOP_CONFIGURE, detach (undo) only the device that
 * is still backed by the image that was attached.
 */
#ifndef MOUNTPLAN_OP_LOOP_H
#define MOUNTPLAN_OP_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * Attach the image open as image_fd (any fd on it; it is re-opened
 * read-only or read-write through /proc/self/fd) to a free loop device
 * with MP_LOOP_* flags, offset and sizelimit.  Returns N of /dev/loopN and
 * the image's st_dev/st_ino (for a later detach to check).  name (may be
 * NULL or "") becomes the device's lo_file_name, so recovery can tell our
 * devices from others on the same image.  *ret_dev_fd is an open fd on
 * /dev/loopN: with MP_LOOP_AUTOCLEAR the kernel detaches the device on its
 * last close, so the caller keeps it until the filesystem has opened it.
 */
int loop_attach(int image_fd, uint32_t flags, uint64_t offset, uint64_t sizelimit, const char *name, int32_t *ret_nr,
		uint64_t *ret_dev, uint64_t *ret_ino, int *ret_dev_fd, struct mp_error *err);

/* LOOP_CLR_FD on /dev/loopN if it is still backed by dev/ino (else refuse with ESTALE). */
int loop_detach(int32_t nr, uint64_t dev, uint64_t ino, struct mp_error *err);

/* "/dev/loopN" into buf. */
void loop_dev_path(int32_t nr, char *buf, size_t n);

#endif

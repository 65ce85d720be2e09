/*
 * op-userns.h — user namespaces that exist only to carry an id mapping for
 * idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP takes a userns fd).
 */
#ifndef MOUNTPLAN_OP_USERNS_H
#define MOUNTPLAN_OP_USERNS_H

#include <stddef.h>

#include "error.h"

/*
 * Turn a plan map "inside:outside:count[,...]" into the text the kernel
 * wants in /proc/PID/uid_map ("inside outside count\n" per range).
 * Refuses empty, malformed, zero-count or overflowing ranges and more than
 * MP_MAX_IDMAP_RANGES ranges.
 */
int userns_format_map(const char *map, char *buf, size_t n, struct mp_error *err);

/*
 * Create a user namespace with these maps and return an fd on it
 * (/proc/PID/ns/user of a short-lived child, reaped before returning).
 */
int userns_create(const char *uid_map, const char *gid_map, int *ret_fd, struct mp_error *err);

#endif

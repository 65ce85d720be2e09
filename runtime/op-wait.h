/*
 * op-wait.h — the readiness waits behind WAIT_LINK and WAIT_DEVICE
 * (schema/opcodes.def): block, event-driven through netlink, until a
 * network interface is up or a block device node exists, or a timeout.
 * Used by runtime/exec.c; tests/unit/wait-driver.c runs them alone.
 */
#ifndef MOUNTPLAN_OP_WAIT_H
#define MOUNTPLAN_OP_WAIT_H

#include <stdint.h>

#include "error.h"

/*
 * Wait until interface `ifname` of the current network namespace is
 * administratively up and operationally up (with MP_WAIT_NO_CARRIER in
 * flags: admin-up is enough).  timeout_ms 0 checks once.  Returns 0, or
 * -ETIMEDOUT with err naming the interface, what was seen last and the
 * timeout, or another negative errno if netlink fails.  *ret_waited_ns is
 * written on success and on -ETIMEDOUT (the journal records both).
 */
int wait_link(const char *ifname, uint32_t timeout_ms, uint32_t flags, uint64_t *ret_waited_ns,
	      struct mp_error *err);

/*
 * Wait until `path` (symlinks followed, e.g. /dev/disk/by-label/x) is a
 * block device, re-checking on each kernel uevent.  timeout_ms 0 checks
 * once.  Returns 0, or -ETIMEDOUT with err naming the path, what was seen
 * last and the timeout.  *ret_waited_ns as for wait_link.
 */
int wait_device(const char *path, uint32_t timeout_ms, uint64_t *ret_waited_ns, struct mp_error *err);

#endif

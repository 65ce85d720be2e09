/*
 * op-wait.c — WAIT_LINK and WAIT_DEVICE: readiness waits with libnl,
 * event-driven (poll on a netlink socket with the remaining time), never a
 * sleep loop.
 *
 * The order is what makes them race-free: subscribe first, then look at the
 * current state, then wait for events.  A change that happens between the
 * look and the wait is already queued on the socket, so it cannot be lost.
 * Events are only wake-ups: after each one the state is looked at again
 * (WAIT_DEVICE) or the event's own link message is the new state
 * (WAIT_LINK), so a forged or dropped event can delay the answer, never
 * make it wrong.  If the socket overflowed (ENOBUFS), events were lost and
 * the state is fetched again.
 *
 * WAIT_LINK: an rtnetlink socket joined to RTNLGRP_LINK; the current state
 * is asked for with RTM_GETLINK on the same socket, so the reply and the
 * notifications arrive in order through one parser.  "Up" is IFF_UP plus
 * operstate UP; a driver that does not track operstate reports UNKNOWN,
 * and then carrier (IFF_LOWER_UP) decides, as in RFC 2863 and iproute2.
 *
 * WAIT_DEVICE: a NETLINK_KOBJECT_UEVENT socket joined to group 1 (kernel
 * uevents).  devtmpfs creates a node before the kernel sends the device's
 * "add" uevent, so re-checking on each uevent sees the node appear; a
 * /dev/disk/by-* symlink made by udev after it is seen on a later event.
 */
#include "op-wait.h"

#include <errno.h>
#include <linux/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "bytecode.h"

#define WAIT_RCVBUF (1 << 20) /* room for a burst of events before ENOBUFS */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds left until deadline, rounded up so poll does not wake early; 0 if past. */
static int remaining_ms(uint64_t deadline)
{
	uint64_t now = now_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999u) / 1000000u);
}

static void nl_sock_freep(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
}

static void nl_msg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}

/* libnl returns its own NLE_* codes; map the ones that have an errno twin. */
static int nl_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM: return ENOMEM;
	case NLE_PERM: return EPERM;
	case NLE_NOACCESS: return EACCES;
	case NLE_AGAIN: return EAGAIN;
	case NLE_INVAL: return EINVAL;
	case NLE_PROTO_MISMATCH: return EPROTONOSUPPORT;
	default: return EIO;
	}
}

/* ---- WAIT_LINK ---- */

struct link_wait {
	const char *ifname;
	uint32_t flags;
	bool answered; /* the state of the interface is known (reply, error or notification) */
	bool exists;
	unsigned int ifflags;
	uint8_t operstate;
};

static bool link_ready(const struct link_wait *w)
{
	if (!w->exists || !(w->ifflags & IFF_UP))
		return false;
	if (w->flags & MP_WAIT_NO_CARRIER)
		return true;
	if (w->operstate == IF_OPER_UP)
		return true;
	return w->operstate == IF_OPER_UNKNOWN && (w->ifflags & IFF_LOWER_UP);
}

/* What was seen last, for the timeout message: "eth0 is admin-up but carrier down (operstate lowerlayerdown)". */
static void link_describe(const struct link_wait *w, char *buf, size_t len)
{
	char oper[32];

	if (!w->exists) {
		snprintf(buf, len, "%s does not exist", w->ifname);
		return;
	}
	rtnl_link_operstate2str(w->operstate, oper, sizeof(oper));
	if (!(w->ifflags & IFF_UP))
		snprintf(buf, len, "%s is admin-down (operstate %s)", w->ifname, oper);
	else if (!(w->ifflags & IFF_LOWER_UP))
		snprintf(buf, len, "%s is admin-up but carrier down (operstate %s)", w->ifname, oper);
	else
		snprintf(buf, len, "%s is admin-up, carrier up, operstate %s", w->ifname, oper);
}

/* One parsed link object: the reply to our RTM_GETLINK or a notification. */
static void link_seen(struct nl_object *obj, void *arg)
{
	struct link_wait *w = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;
	const char *name;

	if (strcmp(nl_object_get_type(obj), "route/link") != 0)
		return;
	name = rtnl_link_get_name(link);
	if (!name || strcmp(name, w->ifname) != 0)
		return;
	w->answered = true;
	if (nl_object_get_msgtype(obj) == RTM_DELLINK) {
		w->exists = false;
		return;
	}
	w->exists = true;
	w->ifflags = rtnl_link_get_flags(link);
	w->operstate = rtnl_link_get_operstate(link);
}

static int link_msg(struct nl_msg *msg, void *arg)
{
	nl_msg_parse(msg, link_seen, arg);
	return NL_OK;
}

/* Ask for the current state of the interface; the answer arrives through link_msg. */
static int link_request(struct nl_sock *sk, const struct link_wait *w, struct mp_error *err)
{
	struct nl_msg *req __attribute__((cleanup(nl_msg_freep))) = NULL;
	int r;

	r = rtnl_link_build_get_request(0, w->ifname, &req);
	if (r < 0)
		return error_set(err, nl_to_errno(r), "link '%s': build RTM_GETLINK: %s", w->ifname, nl_geterror(r));
	r = nl_send_auto(sk, req);
	if (r < 0)
		return error_set(err, nl_to_errno(r), "link '%s': send RTM_GETLINK: %s", w->ifname, nl_geterror(r));
	return 0;
}

int wait_link(const char *ifname, uint32_t timeout_ms, uint32_t flags, uint64_t *ret_waited_ns,
	      struct mp_error *err)
{
	struct nl_sock *sk __attribute__((cleanup(nl_sock_freep))) = NULL;
	struct link_wait w = { .ifname = ifname, .flags = flags };
	uint64_t start = now_ns(), deadline = start + (uint64_t)timeout_ms * 1000000u;
	char seen[128];
	int r;

	sk = nl_socket_alloc();
	if (!sk)
		return error_set_errno(err, ENOMEM, "link '%s': netlink socket", ifname);
	nl_socket_disable_seq_check(sk); /* notifications carry sequence 0 */
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return error_set(err, nl_to_errno(r), "link '%s': connect rtnetlink: %s", ifname, nl_geterror(r));
	/* Subscribe before the first look: no change can fall between them. */
	r = nl_socket_add_membership(sk, RTNLGRP_LINK);
	if (r < 0)
		return error_set(err, nl_to_errno(r), "link '%s': join RTNLGRP_LINK: %s", ifname, nl_geterror(r));
	nl_socket_set_buffer_size(sk, WAIT_RCVBUF, 0); /* best effort: an overflow is handled below */
	r = nl_socket_set_nonblocking(sk);
	if (r < 0)
		return error_set(err, nl_to_errno(r), "link '%s': nonblocking socket: %s", ifname, nl_geterror(r));
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, link_msg, &w);
	r = link_request(sk, &w, err);
	if (r < 0)
		return r;

	for (;;) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
		int timeout;

		r = nl_recvmsgs_default(sk);
		if (r == -NLE_NOMEM) {
			/* ENOBUFS: notifications were dropped, so ask again. */
			r = link_request(sk, &w, err);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0 && r != -NLE_AGAIN && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
			return error_set(err, nl_to_errno(r), "link '%s': receive: %s", ifname, nl_geterror(r));
		/* NLE_OBJ_NOTFOUND / NLE_NODEV: the reply to RTM_GETLINK for a missing interface. */
		if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
			w.exists = false;
			w.answered = true;
		}
		if (link_ready(&w)) {
			*ret_waited_ns = now_ns() - start;
			return 0;
		}
		/* Past the deadline, stop once the current state is known (timeout 0 still
		 * reads the reply); checked on every turn, so a flood of unrelated events
		 * cannot hold us long past the deadline. */
		timeout = remaining_ms(deadline);
		if (timeout == 0 && (w.answered || r == -NLE_AGAIN))
			break;
		if (r == -NLE_AGAIN) {
			r = poll(&pfd, 1, timeout);
			if (r < 0 && errno != EINTR)
				return error_set_errno(err, errno, "link '%s': poll", ifname);
		}
	}
	*ret_waited_ns = now_ns() - start;
	link_describe(&w, seen, sizeof(seen));
	return error_set(err, ETIMEDOUT, "link '%s': not up within the %u ms timeout: %s", ifname, timeout_ms, seen);
}

/* ---- WAIT_DEVICE ---- */

static const char *file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFCHR: return "a character device";
	case S_IFIFO: return "a fifo";
	case S_IFSOCK: return "a socket";
	case S_IFLNK: return "a symlink";
	default: return "of an unknown type";
	}
}

/* Is path a block device now?  If not, say what it is. */
static bool device_ready(const char *path, char *seen, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(seen, len, "%s", errno == ENOENT ? "it does not exist" : strerror(errno));
		return false;
	}
	if (!S_ISBLK(st.st_mode)) {
		snprintf(seen, len, "it exists but is %s, not a block device", file_type_name(st.st_mode));
		return false;
	}
	return true;
}

/* Read every queued uevent; their content is not needed, only that something happened. */
static int device_drain(int fd)
{
	char buf[8192];

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n >= 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EINTR || errno == ENOBUFS)
			continue; /* overflow: events lost, the re-check that follows covers them */
		return -errno;
	}
}

int wait_device(const char *path, uint32_t timeout_ms, uint64_t *ret_waited_ns, struct mp_error *err)
{
	struct nl_sock *sk __attribute__((cleanup(nl_sock_freep))) = NULL;
	uint64_t start = now_ns(), deadline = start + (uint64_t)timeout_ms * 1000000u;
	char seen[160] = "";
	int r;

	sk = nl_socket_alloc();
	if (!sk)
		return error_set_errno(err, ENOMEM, "device '%s': netlink socket", path);
	nl_socket_disable_seq_check(sk);
	nl_join_groups(sk, 1); /* group 1: uevents from the kernel (udev re-broadcasts on 2) */
	r = nl_connect(sk, NETLINK_KOBJECT_UEVENT);
	if (r < 0)
		return error_set(err, nl_to_errno(r), "device '%s': connect uevent socket: %s", path, nl_geterror(r));
	nl_socket_set_buffer_size(sk, WAIT_RCVBUF, 0); /* best effort: an overflow only costs a re-check */

	for (;;) {
		struct pollfd pfd = { .fd = nl_socket_get_fd(sk), .events = POLLIN };
		int timeout;

		/* Subscribed above, so an event between this check and poll stays queued. */
		if (device_ready(path, seen, sizeof(seen))) {
			*ret_waited_ns = now_ns() - start;
			return 0;
		}
		timeout = remaining_ms(deadline);
		if (timeout == 0)
			break;
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno != EINTR)
			return error_set_errno(err, errno, "device '%s': poll", path);
		if (r > 0) {
			r = device_drain(pfd.fd);
			if (r < 0)
				return error_set_errno(err, -r, "device '%s': receive uevent", path);
		}
	}
	*ret_waited_ns = now_ns() - start;
	return error_set(err, ETIMEDOUT, "device '%s': not a block device within the %u ms timeout: %s", path, timeout_ms, seen);
}

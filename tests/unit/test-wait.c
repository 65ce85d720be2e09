/*
 * test-wait.c — the readiness waits (runtime/op-wait.c) on what every
 * machine has, without root and without changing anything: the loopback
 * interface is up (read only), a missing interface or device times out in
 * about the timeout with a message naming it, what was seen last and the
 * timeout, and a path that is not a block device is called what it is.
 * The waits that see something change are in tests/wait/ (root, veth, loop).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "bytecode.h"
#include "op-wait.h"
#include "tap.h"

#define MS 1000000ull

int main(void)
{
	struct mp_error err = { 0 };
	uint64_t waited = 0;
	struct stat st;
	int r;

	tap_plan(0);

	r = wait_link("lo", 1000, 0, &waited, &err);
	if (!CHECK(r == 0, "lo is up"))
		tap_diag("%s", err.msg);
	CHECK(r == 0 && waited < 100 * MS, "an interface that is up passes at once (%llu ms)",
	      (unsigned long long)(waited / MS));

	r = wait_link("lo", 0, 0, &waited, &err);
	CHECK(r == 0, "timeout 0 still reads the current state of an up interface");

	r = wait_link("mpnone0", 150, 0, &waited, &err);
	CHECK_INT(r, -ETIMEDOUT, "a missing interface times out");
	CHECK(waited >= 150 * MS && waited < 1000 * MS, "after about the timeout (%llu ms)",
	      (unsigned long long)(waited / MS));
	CHECK_STR(err.msg, "link 'mpnone0': not up within the 150 ms timeout: mpnone0 does not exist",
		  "the error names the interface, the timeout and what was seen");

	r = wait_link("mpnone0", 0, MP_WAIT_NO_CARRIER, &waited, &err);
	CHECK(r == -ETIMEDOUT && waited < 100 * MS, "timeout 0 checks once");

	r = wait_device("/nonexistent/mp-device", 150, &waited, &err);
	CHECK_INT(r, -ETIMEDOUT, "a missing device times out");
	CHECK(waited >= 150 * MS && waited < 1000 * MS, "after about the timeout (%llu ms)",
	      (unsigned long long)(waited / MS));
	CHECK_STR(err.msg,
		  "device '/nonexistent/mp-device': not a block device within the 150 ms timeout: it does not exist",
		  "the error names the path, the timeout and what was seen");

	r = wait_device("/dev/null", 0, &waited, &err);
	CHECK(r == -ETIMEDOUT && strstr(err.msg, "it exists but is a character device, not a block device"),
	      "a character device is named as such");
	r = wait_device("/", 0, &waited, &err);
	CHECK(r == -ETIMEDOUT && strstr(err.msg, "is a directory"), "a directory is named as such");

	/* Any block device the machine has (virtio, scsi, nvme disks). */
	{
		static const char *disks[] = { "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda", "/dev/loop0" };
		const char *disk = NULL;

		for (size_t i = 0; i < sizeof(disks) / sizeof(disks[0]) && !disk; i++)
			if (stat(disks[i], &st) == 0 && S_ISBLK(st.st_mode))
				disk = disks[i];
		if (!disk) {
			tap_skip(1, "no block device to look at");
		} else {
			r = wait_device(disk, 1000, &waited, &err);
			CHECK(r == 0 && waited < 100 * MS, "an existing block device (%s) passes at once", disk);
		}
	}
	return tap_done();
}

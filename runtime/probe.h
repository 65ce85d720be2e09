/*
 * probe.h — the kernel facts the journal records about a run and that
 * recovery later compares against: which boot, which mount namespace,
 * which executor process (pid + start time, so a recycled pid is not
 * mistaken for it), the highest unique mount id at the start (every mount
 * above it is newer), and the identity of mounts and loop devices.
 */
#ifndef MOUNTPLAN_PROBE_H
#define MOUNTPLAN_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define PROBE_BOOT_ID_LEN 36   /* "26655f00-7cc8-4e36-9d0a-36fd1831c4d1" */
#define PROBE_LOOP_NAME_MAX 64 /* LO_NAME_SIZE */

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U /* Linux 6.8: stx_mnt_id is the 64-bit unique id */
#endif

/* Who and where this process runs: recorded per run, compared by recover. */
struct run_facts {
	char boot_id[PROBE_BOOT_ID_LEN + 1];
	uint64_t mntns_ino;
	pid_t pid;
	uint64_t pid_start;     /* clock ticks after boot, /proc/PID/stat field 22 */
	uint64_t mnt_watermark; /* highest unique mount id in this mount namespace */
};

/* Fill every field for the calling process, now. */
int probe_run_facts(struct run_facts *ret, struct mp_error *err);

int probe_boot_id(char ret[PROBE_BOOT_ID_LEN + 1], struct mp_error *err);
int probe_mntns_ino(uint64_t *ret, struct mp_error *err);

/* Start time of pid (field 22 of /proc/PID/stat); -ESRCH if there is no such process. */
int probe_pid_start(pid_t pid, uint64_t *ret, struct mp_error *err);

/* True when pid runs and started at start: the same process, not a recycled pid. */
bool probe_pid_is(pid_t pid, uint64_t start);

/*
 * Highest unique mount id in the caller's mount namespace: listmount(2)
 * in reverse order (one id), or the whole list, or, on a kernel without
 * listmount, statx of every mount point in /proc/self/mountinfo.
 */
int probe_mnt_watermark(uint64_t *ret, struct mp_error *err);

/*
 * An fd (O_RDONLY) on mount namespace `ino`, through /proc/PID/ns/mnt of a
 * process that is in it; -ENOENT when no process is: the namespace is gone,
 * and every mount that was only in it went with it.
 */
int probe_find_mntns(uint64_t ino, int *ret_fd, struct mp_error *err);


/*
 * The unique id of the mount fd lies on, and whether fd is the root of that
 * mount (a mount point).  fd may be O_PATH.
 */
int probe_mount_id(int fd, uint64_t *ret_id, bool *ret_is_root, struct mp_error *err);

/*
 * What /dev/loopN is backed by (LOOP_GET_STATUS64: the image's st_dev and
 * st_ino, and the lo_file_name the attacher set).  -ENXIO when loopN is
 * bound to nothing, -ENOENT when it does not exist.
 */
int probe_loop(int nr, uint64_t *ret_dev, uint64_t *ret_ino, char ret_name[PROBE_LOOP_NAME_MAX],
	       struct mp_error *err);

/*
 * The lo_file_name an executor sets on a loop device it attaches, naming
 * its process and step, so recovery can tell its loops from anyone else's
 * loop on the same image: "mountplan:PID:START:STEP".
 */
void probe_loop_tag(char ret[PROBE_LOOP_NAME_MAX], pid_t pid, uint64_t start, uint32_t step);

#endif

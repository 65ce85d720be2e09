/*
 * floor.c — the syscall floor of the mountplan benchmarks.
 *
 * The cheapest program that makes the same mounts as `mrun apply` for a
 * plan of N bind mounts: first the run's own bind of the root onto itself
 * (mrun's ROOT_BIND: a recursive clone of the root, attached on it), then
 * per mount, the target is resolved inside that bind
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) into an O_PATH fd,
 * the source is cloned with open_tree(OPEN_TREE_CLONE), and the clone is
 * attached with move_mount onto the target fd (then both fds closed).  No parsing, no
 * verification, no journal, no error context: whatever mrun spends above
 * this is overhead, and the benchmark reports it as a ratio to this floor.
 *
 * The unmounts are measured three ways, because the kernel may charge them
 * very differently: umount2(path, 0) per mount (said to wait for one RCU
 * grace period each); umount2(MNT_DETACH) per mount, through the target's
 * resolved fd or by path; and one umount2(root, MNT_DETACH) of the parent
 * that holds all N mounts: the apply's own bind of the root, which is what
 * `mrun rollback` detaches when everything below it is the run's.
 *
 *   floor mktree N DIR         make DIR/src/sI and DIR/root/dI (I < N), and
 *                              make DIR/root a mount (bound onto itself)
 *   floor apply N DIR          bind DIR/root onto itself, then DIR/src/sI
 *                              onto dI inside it
 *   floor umount N DIR MODE [P]  unmount DIR/root/PI (P: d, or m for the
 *                              mixed plan's targets); MODE: each (umount2 by path), lazy
 *                              (MNT_DETACH through the resolved fd),
 *                              lazypath (MNT_DETACH by path), parent (one
 *                              MNT_DETACH of the apply's bind of the root)
 *   floor mkmixed N DIR        the tree of the mixed plan (see run-bench.sh)
 *   floor mixed N DIR          apply the mixed plan: per 10 entries 2 tmpfs,
 *                              4 read-only binds, 2 binds, 1 overlay of
 *                              2 layers, 1 idmapped bind
 *
 * apply, umount and mixed print "inner_ns=T" on stdout: the time spent
 * between the first and the last mount syscall, without exec and exit, so
 * the report can show how much of a run is process start-up.
 *
 * Run it only inside a private mount namespace (benchtime makes one per
 * measurement).  This is a benchmark tool, not project code: it prints
 * and exits on the first failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PATH_BUF 4096

static void die(const char *what, const char *path)
{
	fprintf(stderr, "floor: %s %s: %s\n", what, path ? path : "", strerror(errno));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The same resolution mrun uses for every PATH operand: inside the root,
 * no magic links, an O_PATH fd the mount goes onto. */
static int resolve_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* A host source is cloned by path, as mrun does (an in-root source would
 * first be resolved in the root; the benchmark plans have none). */
static int open_clone(const char *src, unsigned flags)
{
	return (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | flags);
}

static int move_onto(int tree, int target)
{
	return (int)syscall(SYS_move_mount, tree, "", target, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int setattr(int tree, uint64_t set, uint64_t clr, int userns)
{
	struct mount_attr attr = { .attr_set = set, .attr_clr = clr, .userns_fd = (uint64_t)userns };

	return (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr);
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die("mkdir", path);
}

static int open_root(const char *dir)
{
	char path[PATH_BUF];
	int fd;

	snprintf(path, sizeof path, "%s/root", dir);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	return fd;
}

/* mrun's ROOT_BIND: the root cloned with what is mounted in it and attached
 * onto itself; the fd of that bind, which the run's mounts are resolved in. */
static int bind_root(int rootfd)
{
	int tree = (int)syscall(SYS_open_tree, rootfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
				AT_EMPTY_PATH);

	if (tree < 0)
		die("open_tree", "root");
	if (move_onto(tree, rootfd) < 0)
		die("move_mount", "root");
	close(rootfd);
	return tree;
}

static void cmd_mktree(unsigned n, const char *dir)
{
	char path[PATH_BUF];

	snprintf(path, sizeof path, "%s/src", dir);
	mkdir_p(path);
	snprintf(path, sizeof path, "%s/root", dir);
	mkdir_p(path);
	/* The root is a mount of its own, as a container rootfs is: the
	 * "parent" unmount mode detaches it with everything under it. */
	if (mount(path, path, NULL, MS_BIND, NULL) < 0)
		die("bind root", path);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/src/s%u", dir, i);
		mkdir_p(path);
		snprintf(path, sizeof path, "%s/root/d%u", dir, i);
		mkdir_p(path);
	}
}

static void cmd_apply(unsigned n, const char *dir)
{
	char src[PATH_BUF], target[64];
	int rootfd = open_root(dir);
	uint64_t t0 = now_ns();

	rootfd = bind_root(rootfd);

	for (unsigned i = 0; i < n; i++) {
		int tfd, tree;

		snprintf(target, sizeof target, "/d%u", i);
		snprintf(src, sizeof src, "%s/src/s%u", dir, i);
		tfd = resolve_in_root(rootfd, target);
		if (tfd < 0)
			die("openat2", target);
		tree = open_clone(src, 0);
		if (tree < 0)
			die("open_tree", src);
		if (move_onto(tree, tfd) < 0)
			die("move_mount", target);
		close(tree);
		close(tfd);
	}
	printf("inner_ns=%llu\n", (unsigned long long)(now_ns() - t0));
}

static void cmd_umount(unsigned n, const char *dir, const char *mode, const char *prefix)
{
	char path[PATH_BUF];
	uint64_t t0 = now_ns();

	if (strcmp(mode, "parent") == 0) {
		snprintf(path, sizeof path, "%s/root", dir);
		if (umount2(path, MNT_DETACH) < 0)
			die("umount2", path);
	} else if (strcmp(mode, "each") == 0 || strcmp(mode, "lazypath") == 0) {
		int flags = UMOUNT_NOFOLLOW | (mode[0] == 'l' ? MNT_DETACH : 0);

		/* A plain unmount goes by path: an O_PATH fd on the mount would
		 * itself keep it busy (EBUSY). */
		for (unsigned i = n; i-- > 0;) {
			snprintf(path, sizeof path, "%s/root/%s%u", dir, prefix, i);
			if (umount2(path, flags) < 0)
				die("umount2", path);
		}
	} else if (strcmp(mode, "lazy") == 0) {
		int rootfd = open_root(dir);

		/* Reverse order, as a rollback undoes; each target resolved in
		 * the root and detached through its fd, so a swapped symlink
		 * cannot point the unmount elsewhere. */
		for (unsigned i = n; i-- > 0;) {
			char target[64];
			int fd;

			snprintf(target, sizeof target, "/%s%u", prefix, i);
			fd = resolve_in_root(rootfd, target);
			if (fd < 0)
				die("openat2", target);
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
			if (umount2(path, MNT_DETACH) < 0)
				die("umount2", target);
			close(fd);
		}
		close(rootfd);
	} else {
		errno = EINVAL;
		die("unknown umount mode", mode);
	}
	printf("inner_ns=%llu\n", (unsigned long long)(now_ns() - t0));
}

/*
 * The mixed plan, entry i of N (k = i % 10):
 *   k 0, 8    tmpfs on /mI (size=1m)
 *   k 1,3,4,9 read-only bind of src/sI on /mI
 *   k 2, 6    bind of src/sI on /mI
 *   k 5       overlay on /mI: lower src/lI/a, src/lI/b, upper src/lI/u,
 *             work src/lI/w
 *   k 7       idmapped bind of src/sI on /mI, uid/gid 0:100000:65536
 * One user namespace for the idmap, made once before the first entry as
 * the compiler's prologue USERNS does.
 */
static void cmd_mkmixed(unsigned n, const char *dir)
{
	static const char *const layer_dirs[] = { "a", "b", "u", "w" };
	char path[PATH_BUF];

	snprintf(path, sizeof path, "%s/src", dir);
	mkdir_p(path);
	snprintf(path, sizeof path, "%s/root", dir);
	mkdir_p(path);
	if (mount(path, path, NULL, MS_BIND, NULL) < 0)
		die("bind root", path);
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/root/m%u", dir, i);
		mkdir_p(path);
		if (i % 10 == 5) {
			snprintf(path, sizeof path, "%s/src/l%u", dir, i);
			mkdir_p(path);
			for (size_t j = 0; j < sizeof layer_dirs / sizeof layer_dirs[0]; j++) {
				snprintf(path, sizeof path, "%s/src/l%u/%s", dir, i, layer_dirs[j]);
				mkdir_p(path);
			}
		} else if (i % 10 != 0 && i % 10 != 8) {
			snprintf(path, sizeof path, "%s/src/s%u", dir, i);
			mkdir_p(path);
		}
	}
}

/* A user namespace with the given maps, held by an fd: a child unshares
 * it and waits; we write its maps, open its ns file, and reap it. */
static int make_userns(const char *map)
{
	char path[64];
	int sync[2], fd;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		die("pipe2", NULL);
	pid = fork();
	if (pid < 0)
		die("fork", NULL);
	if (pid == 0) {
		char c;

		close(sync[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		/* Held until the parent has opened our user ns (EOF). */
		(void)!read(sync[0], &c, 1);
		_exit(0);
	}
	close(sync[0]);
	/* The child's unshare races the map writes: poll until its user ns
	 * differs from ours (cheap, a few µs). */
	for (;;) {
		struct stat a, b;

		snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
		if (stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_ino != b.st_ino)
			break;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			errno = EPERM;
			die("unshare(CLONE_NEWUSER)", NULL);
		}
	}
	for (int k = 0; k < 2; k++) {
		int mfd;

		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, k ? "gid_map" : "uid_map");
		mfd = open(path, O_WRONLY | O_CLOEXEC);
		if (mfd < 0 || write(mfd, map, strlen(map)) < 0)
			die("write", path);
		close(mfd);
	}
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	close(sync[1]);
	waitpid(pid, NULL, 0);
	return fd;
}

static int fs_open(const char *type)
{
	int fd = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);

	if (fd < 0)
		die("fsopen", type);
	return fd;
}

static void fs_config(int fs, unsigned cmd, const char *key, const char *value)
{
	if (syscall(SYS_fsconfig, fs, cmd, key, value, 0) < 0)
		die("fsconfig", key);
}

static int fs_mount(int fs)
{
	int tree;

	fs_config(fs, FSCONFIG_CMD_CREATE, NULL, NULL);
	tree = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (tree < 0)
		die("fsmount", NULL);
	return tree;
}

static void cmd_mixed(unsigned n, const char *dir)
{
	char src[PATH_BUF], target[64];
	int rootfd = open_root(dir);
	uint64_t t0 = now_ns();
	int userns = make_userns("0 100000 65536\n");

	rootfd = bind_root(rootfd);

	for (unsigned i = 0; i < n; i++) {
		unsigned k = i % 10;
		int tfd, tree, fs;

		snprintf(target, sizeof target, "/m%u", i);
		snprintf(src, sizeof src, "%s/src/s%u", dir, i);
		tfd = resolve_in_root(rootfd, target);
		if (tfd < 0)
			die("openat2", target);
		if (k == 0 || k == 8) {
			fs = fs_open("tmpfs");
			fs_config(fs, FSCONFIG_SET_STRING, "source", "tmpfs");
			fs_config(fs, FSCONFIG_SET_STRING, "size", "1m");
			tree = fs_mount(fs);
			close(fs);
		} else if (k == 5) {
			static const char *const keys[] = { "lowerdir+", "lowerdir+", "upperdir", "workdir" };
			static const char *const dirs[] = { "a", "b", "u", "w" };

			fs = fs_open("overlay");
			/* Layers go in as O_PATH fds (FSCONFIG_SET_FD, overlay on
			 * 6.13+), as mrun passes them. */
			for (int j = 0; j < 4; j++) {
				int lfd;

				snprintf(src, sizeof src, "%s/src/l%u/%s", dir, i, dirs[j]);
				lfd = open(src, O_PATH | O_CLOEXEC);
				if (lfd < 0)
					die("open", src);
				if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, keys[j], NULL, lfd) < 0)
					die("fsconfig", keys[j]);
				close(lfd);
			}
			tree = fs_mount(fs);
			close(fs);
		} else {
			tree = open_clone(src, 0);
			if (tree < 0)
				die("open_tree", src);
			if (k == 7 && setattr(tree, MOUNT_ATTR_IDMAP, 0, userns) < 0)
				die("mount_setattr idmap", src);
			if ((k == 1 || k == 3 || k == 4 || k == 9) && setattr(tree, MOUNT_ATTR_RDONLY, 0, 0) < 0)
				die("mount_setattr ro", src);
		}
		if (move_onto(tree, tfd) < 0)
			die("move_mount", target);
		close(tree);
		close(tfd);
	}
	close(userns);
	printf("inner_ns=%llu\n", (unsigned long long)(now_ns() - t0));
}

int main(int argc, char **argv)
{
	unsigned n;

	if (argc < 4) {
		fputs("usage: floor mktree|apply|mkmixed|mixed N DIR | floor umount N DIR each|lazy|lazypath|parent [PREFIX]\n", stderr);
		return 2;
	}
	n = (unsigned)strtoul(argv[2], NULL, 10);
	if (strcmp(argv[1], "mktree") == 0)
		cmd_mktree(n, argv[3]);
	else if (strcmp(argv[1], "apply") == 0)
		cmd_apply(n, argv[3]);
	else if (strcmp(argv[1], "umount") == 0 && (argc == 5 || argc == 6))
		cmd_umount(n, argv[3], argv[4], argc == 6 ? argv[5] : "d");
	else if (strcmp(argv[1], "mkmixed") == 0)
		cmd_mkmixed(n, argv[3]);
	else if (strcmp(argv[1], "mixed") == 0)
		cmd_mixed(n, argv[3]);
	else {
		fprintf(stderr, "floor: unknown command '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}

/*
 * test-pathset.c — the pieces exec_prepare uses to keep a mount point's fd
 * for its step: the path set with its prefix query, and the in-root walk
 * that refuses symlinks (resolve_in_root_plain) on a scratch directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathset.h"
#include "resolve.h"
#include "tap.h"

static void test_set(void)
{
	struct pathset set;
	char many[200][16];
	bool all = true;

	CHECK_INT(pathset_init(&set, 200), 0, "a set for 200 paths");
	CHECK(!pathset_has(&set, "/a") && !pathset_has_prefix_of(&set, "/a/b"), "empty: has nothing");
	CHECK_INT(pathset_add(&set, "/a/b"), 0, "add /a/b");
	CHECK_INT(pathset_add(&set, "/a/b"), 0, "adding it again is fine");
	CHECK_INT(set.n, 1, "and keeps one copy");
	CHECK(pathset_has(&set, "/a/b") && !pathset_has(&set, "/a"), "has /a/b, not /a");
	CHECK(pathset_has_prefix_of(&set, "/a/b"), "/a/b is a prefix of itself");
	CHECK(pathset_has_prefix_of(&set, "/a/b/c/d"), "/a/b is a prefix of /a/b/c/d");
	CHECK(!pathset_has_prefix_of(&set, "/a/bc"), "but not of /a/bc (components, not bytes)");
	CHECK(!pathset_has_prefix_of(&set, "/a"), "nor of its parent /a");
	CHECK(!pathset_has_prefix_of(&set, "/x/a/b"), "nor of /x/a/b");
	CHECK_INT(pathset_add(&set, "/"), 0, "add /");
	CHECK(pathset_has_prefix_of(&set, "/x/y"), "/ is a prefix of every path");
	pathset_free(&set);

	CHECK_INT(pathset_init(&set, 200), 0, "a fresh set for 200 paths");
	for (int i = 0; i < 200; i++) {
		snprintf(many[i], sizeof(many[i]), "/d%d", i);
		all = all && pathset_add(&set, many[i]) == 0;
	}
	CHECK(all && set.n == 200, "200 distinct paths fit");
	all = true;
	for (int i = 0; i < 200; i++)
		all = all && pathset_has(&set, many[i]);
	CHECK(all, "and each is found");
	CHECK(!pathset_has(&set, "/d200") && !pathset_has(&set, "/d"), "a path not added is not found");
	pathset_free(&set);
}

static void test_plain_walk(void)
{
	char scratch[] = "/tmp/test-pathset.XXXXXX", cmd[256];
	struct mp_error err;
	int root, fd = -1;

	if (!mkdtemp(scratch)) {
		tap_skip(5, "no scratch directory");
		return;
	}
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir -p a/b && ln -s a l && ln -s b a/lb", scratch);
	if (system(cmd) != 0)
		tap_diag("setup failed: %s", cmd);
	root = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK_INT(resolve_in_root_plain(root, "/a/b", &fd, &err), 0, "/a/b has no symlink on the way");
	if (fd >= 0)
		close(fd);
	CHECK_INT(resolve_in_root_plain(root, "/l/b", &fd, &err), -ELOOP, "a symlink in the middle: ELOOP");
	CHECK_INT(resolve_in_root_plain(root, "/a/lb", &fd, &err), -ELOOP, "a symlink at the end: ELOOP");
	CHECK_INT(resolve_in_root_plain(root, "/a/missing/x", &fd, &err), -ENOENT, "a missing component: ENOENT");
	CHECK(strstr(err.msg, "/a/missing/x") != NULL, "the error names the path");
	close(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	if (system(cmd) != 0)
		tap_diag("cleanup failed: %s", cmd);
}

int main(void)
{
	tap_plan(0);
	test_set();
	test_plain_walk();
	return tap_done();
}

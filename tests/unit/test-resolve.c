/*
 * test-resolve.c — the executor's pure logic and its in-root path walk on
 * a scratch directory (no mounts, no root needed): path component
 * arithmetic, id-map formatting, overlay layer joining, openat2 staying
 * inside the root through "..", absolute and dangling symlinks, component
 * creation counting what it made, and removal of exactly that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "op-mount.h"
#include "op-userns.h"
#include "resolve.h"
#include "tap.h"

static char scratch[64];

static void sh(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
	if (system(cmd) != 0)
		tap_diag("command failed: %s", cmd);
}

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	return lstat(p, &st) == 0;
}

static void test_paths(void)
{
	char buf[64];

	CHECK_INT(path_components("/"), 0, "\"/\" has no component");
	CHECK_INT(path_components("/a"), 1, "\"/a\" has one");
	CHECK_INT(path_components("/a/bc/d"), 3, "\"/a/bc/d\" has three");
	CHECK(path_prefix("/a/bc/d", 0, buf, sizeof(buf)) == 0 && strcmp(buf, "/") == 0, "prefix 0 is /");
	CHECK(path_prefix("/a/bc/d", 2, buf, sizeof(buf)) == 0 && strcmp(buf, "/a/bc") == 0, "prefix 2 of /a/bc/d");
	CHECK(path_prefix("/a/bc/d", 3, buf, sizeof(buf)) == 0 && strcmp(buf, "/a/bc/d") == 0, "prefix 3 is the path");
	CHECK_INT(path_prefix("/a", 2, buf, sizeof(buf)), -EINVAL, "a prefix longer than the path is refused");
	CHECK_INT(path_prefix("/abcdef", 1, buf, 4), -ENAMETOOLONG, "a prefix longer than the buffer is refused");
}

static void test_maps(void)
{
	struct mp_error err;
	char buf[256];

	CHECK_INT(userns_format_map("0:100000:65536", buf, sizeof(buf), &err), 0, "one range");
	CHECK_STR(buf, "0 100000 65536\n", "one range as uid_map text");
	CHECK_INT(userns_format_map("0:100000:1000,1000:1000:1,1001:101001:64535", buf, sizeof(buf), &err), 0,
		  "three ranges");
	CHECK_STR(buf, "0 100000 1000\n1000 1000 1\n1001 101001 64535\n", "three ranges, one per line");
	CHECK(userns_format_map("", buf, sizeof(buf), &err) < 0, "empty map refused");
	CHECK(userns_format_map("0:1", buf, sizeof(buf), &err) < 0, "two fields refused");
	CHECK(userns_format_map("0:1:0", buf, sizeof(buf), &err) < 0, "zero count refused");
	CHECK(userns_format_map("4294967295:0:2", buf, sizeof(buf), &err) == -ERANGE, "range past 2^32 refused");
	CHECK(userns_format_map("0:0:1,", buf, sizeof(buf), &err) < 0, "trailing comma refused");
	CHECK(userns_format_map("0:0:1;1:1:1", buf, sizeof(buf), &err) < 0, "bad separator refused");
	CHECK(userns_format_map("-1:0:1", buf, sizeof(buf), &err) < 0, "negative id refused");
	CHECK(userns_format_map("0:100000:65536", buf, 8, &err) == -ENAMETOOLONG, "too small a buffer is an error");
}

static void test_layers(void)
{
	const char *names[] = { "/proc/self/fd/10", "/proc/self/fd/11", "12" };
	char buf[64];

	CHECK_INT(mount_join_layers(names, 3, buf, sizeof(buf)), 0, "three layers fit");
	CHECK_STR(buf, "/proc/self/fd/10:/proc/self/fd/11:12", "joined with ':' in order");
	CHECK_INT(mount_join_layers(names, 1, buf, sizeof(buf)), 0, "one layer");
	CHECK_STR(buf, "/proc/self/fd/10", "one layer, no separator");
	CHECK_INT(mount_join_layers(names, 3, buf, 36), -E2BIG, "one byte short is E2BIG");
	CHECK_INT(mount_join_layers(names, 3, buf, 37), 0, "exactly fitting (with the NUL) works");
}

/* The name a resolved fd points at, relative to the scratch root ("" for the root). */
static const char *where(int fd)
{
	static char link[4096];
	char proc[RESOLVE_PROC_FD_MAX];
	ssize_t n;

	resolve_proc_fd(fd, proc);
	n = readlink(proc, link, sizeof(link) - 1);
	if (n < 0)
		return "?";
	link[n] = '\0';
	if (strncmp(link, scratch, strlen(scratch)) == 0)
		return link + strlen(scratch);
	return link; /* outside: the test fails on it */
}

static void test_walk(void)
{
	struct mp_error err;
	uint32_t created = 0, removed = 0;
	int root, fd = -1, r;

	strcpy(scratch, "/tmp/test-resolve.XXXXXX");
	if (!mkdtemp(scratch)) {
		tap_skip(20, "no scratch directory");
		return;
	}
	sh("mkdir -p %s/etc %s/real && ln -s /etc %s/etclink", scratch);
	sh("ln -s ../../.. %s/up && ln -s /proc/self/root %s/magic && ln -s /nonexistent/x %s/dangling", scratch);
	sh("ln -s real %s/rel && touch %s/etc/file", scratch);
	root = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);

	CHECK(resolve_in_root(root, "/", &fd, &err) == 0 && strcmp(where(fd), "") == 0, "\"/\" is the root");
	close(fd);
	CHECK(resolve_in_root(root, "/etclink", &fd, &err) == 0 && strcmp(where(fd), "/etc") == 0,
	      "an absolute symlink resolves inside the root");
	close(fd);
	CHECK(resolve_in_root(root, "/up/up/etc", &fd, &err) == 0 && strcmp(where(fd), "/etc") == 0,
	      "../.. stops at the root");
	close(fd);
	r = resolve_in_root(root, "/magic", &fd, &err);
	CHECK_INT(r, -ENOENT, "/proc/self/root is only a (missing) path inside the root");
	if (r == 0)
		close(fd);

	CHECK_INT(resolve_create_in_root(root, "/a/b/c", false, 0755, 0644, &created, &fd, NULL, &err), 0,
		  "create /a/b/c");
	CHECK_INT(created, 3, "three components created");
	CHECK_STR(where(fd), "/a/b/c", "the returned fd is the new directory");
	close(fd);
	CHECK_INT(resolve_create_in_root(root, "/a/b/c", false, 0755, 0644, &created, NULL, NULL, &err), 0,
		  "create it again");
	CHECK_INT(created, 0, "nothing created the second time");
	CHECK_INT(resolve_create_in_root(root, "/etclink/new/dir", false, 0755, 0644, &created, NULL, NULL, &err), 0,
		  "create through an absolute symlink");
	CHECK(exists("etc/new/dir") && created == 2, "it lands in the root's /etc");
	CHECK_INT(resolve_create_in_root(root, "/rel/f", true, 0755, 0644, &created, &fd, NULL, &err), 0,
		  "create an empty file through a relative symlink");
	CHECK(exists("real/f") && created == 1, "the file is in the root's real/");
	close(fd);
	CHECK_INT(resolve_create_in_root(root, "/dangling/x", false, 0755, 0644, &created, NULL, NULL, &err), -EEXIST,
		  "a dangling symlink is refused");
	CHECK(strstr(err.msg, "dangling") != NULL, "and the error says so");
	CHECK_INT(resolve_create_in_root(root, "/etc/file/x", false, 0755, 0644, &created, NULL, NULL, &err), -ENOTDIR,
		  "a file in the middle is ENOTDIR");

	{
		char longpath[400];

		snprintf(longpath, sizeof(longpath), "/n1/%0300d", 0);
		r = resolve_create_in_root(root, longpath, false, 0755, 0644, &created, NULL, NULL, &err);
		CHECK(r == -ENAMETOOLONG && created == 0 && !exists("n1"),
		      "a failure half-way takes back what it made (n1)");
	}
	CHECK_INT(resolve_remove_created(root, "/a/b/c", 2, &removed, &err), 0, "remove the two deepest");
	CHECK(removed == 2 && exists("a") && !exists("a/b"), "exactly those two went");
	sh("mkdir -p %s/etc/new/dir/keep", scratch);
	CHECK(resolve_remove_created(root, "/etc/new/dir", 2, &removed, &err) < 0 && removed == 0,
	      "a created directory that is no longer empty stays (rmdir only)");
	CHECK(exists("etc/new/dir/keep"), "its content is untouched");
	CHECK_INT(resolve_remove_created(root, "/rel/f", 1, &removed, &err), 0, "remove the created empty file");
	CHECK(!exists("real/f"), "it is gone");

	{
		struct resolve_made made = { 0 };

		sh("mkdir %s/p", scratch);
		CHECK_INT(resolve_create_in_root(root, "/p/q/r", false, 0755, 0644, &created, NULL, &made, &err), 0,
			  "create /p/q/r, keeping where each part was made");
		CHECK(created == 2 && made.n == 2, "two made (q, r), two recorded");
		/* the root's owner renames p away and puts a look-alike in its place */
		sh("mv %s/p %s/p2 && mkdir -p %s/p/q/r", scratch);
		CHECK_INT(resolve_remove_made(&made, "/p/q/r", &removed, &err), 0, "remove what was made");
		CHECK(removed == 2 && !exists("p2/q") && exists("p2"), "where it was made: p2/q/r and p2/q are gone, p2 stays");
		CHECK(exists("p/q/r"), "the look-alike at the plan's path is untouched");
		resolve_made_free(&made);

		CHECK_INT(resolve_create_in_root(root, "/s/t", false, 0755, 0644, &created, NULL, &made, &err), 0,
			  "create /s/t");
		sh("mv %s/s/t %s/s/t-old && mkdir %s/s/t", scratch);
		CHECK(resolve_remove_made(&made, "/s/t", &removed, &err) == -EEXIST && removed == 0 && exists("s/t"),
		      "a directory replaced by another one of the same name is not removed");
		CHECK(strstr(err.msg, "no longer what was created") != NULL, "and the error says why");
		resolve_made_free(&made);
	}

	close(root);
	sh("rm -rf %s", scratch);
}

int main(void)
{
	tap_plan(0);
	test_paths();
	test_maps();
	test_layers();
	test_walk();
	return tap_done();
}

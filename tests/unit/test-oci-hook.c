/*
 * test-oci-hook.c — the OCI hook's input side: the container state as
 * crun and runc write it, every malformed variant refused with a message
 * naming the field, root.path resolution against the bundle, reading the
 * state from a pipe, and the namespace check (our own mount namespace is
 * refused; a different one is entered, when root).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "journal.h"
#include "mpb-builder.h"
#include "oci-hook.h"
#include "probe.h"
#include "tap.h"

static int parse(const char *json, struct oci_hook *h, struct mp_error *err)
{
	return oci_hook_parse_state(json, strlen(json), h, err);
}

static void refused(const char *json, const char *needle, const char *desc)
{
	struct oci_hook h = { 0 };
	struct mp_error err = { 0 };
	int r = parse(json, &h, &err);
	CHECK(r == -EINVAL && strstr(err.msg, needle) && !h.id, "%s (%s)", desc, err.msg);
	oci_hook_free(&h);
}

static char *rootfs(const char *config, const char *bundle, int *r)
{
	char *out = NULL;
	struct mp_error err = { 0 };
	*r = oci_hook_rootfs_from_config(config, strlen(config), bundle, &out, &err);
	return out;
}

/* A journal with runs of containers a (applied, then a newer one rolled
 * back), b (applied) and c (undo failed), and one run without a container. */
static int make_journal(const char *path)
{
	static const uint8_t sha[32] = { 1 };
	struct mpb b;
	struct program p = { 0 };
	struct journal *j = NULL;
	struct mp_error err = { 0 };
	struct step_state st[2] = { 0 };
	size_t len;
	uint8_t *bytes;
	int r;

	mpb_init(&b, 1, 1);
	MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/data"), 0755);
	MPB_INSN(&b, OP_END, 0);
	bytes = mpb_bytes(&b, &len);
	r = program_load_bytes(bytes, len, &p, &err);
	free(bytes);
	if (r == 0)
		r = journal_open(path, JOURNAL_CREATE, 1000, &j, &err);
	const struct {
		const char *id;
		enum run_state state;
	} runs[] = { { "a", RUN_APPLIED }, { "b", RUN_APPLIED }, { NULL, RUN_APPLIED }, { "a", RUN_ROLLED_BACK },
		     { "c", RUN_FAILED }, { "a2", RUN_APPLIED } };
	for (size_t i = 0; r == 0 && i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct journal_run_info info = { .plan_file = "plan.yaml", .plan_sha256 = sha, .root = "/r",
						 .root_dev = 1, .root_ino = 2 + i, .container_id = runs[i].id };
		int64_t id;
		r = probe_run_facts(&info.facts, &err);
		if (r == 0)
			r = journal_begin_run(j, &info, &p, st, &id, &err);
		if (r == 0)
			r = journal_finish_run(j, id, runs[i].state, st, 2, -1, NULL, &err);
	}
	if (r < 0)
		tap_diag("make_journal: %s", err.msg);
	if (j)
		journal_close(j);
	program_free(&p);
	return r;
}

int main(void)
{
	struct oci_hook h = { 0 };
	struct mp_error err = { 0 };
	int r;
	char *s;

	tap_plan(0);

	/* exactly what crun 1.8.1 wrote to a createRuntime hook */
	r = parse("{\"ociVersion\":\"1.0\",\"id\":\"c1\",\"pid\":13634,\"root\":\"rootfs\","
		  "\"bundle\":\"/tmp/imp/exp/bundle\",\"status\":\"created\"}",
		  &h, &err);
	CHECK_INT(r, 0, "crun's state parses");
	CHECK_STR(h.id, "c1", "id");
	CHECK_INT(h.pid, 13634, "pid");
	CHECK_STR(h.bundle, "/tmp/imp/exp/bundle", "bundle");
	/* the runtime-spec's example state, pretty-printed, with annotations */
	r = parse("{\n \"ociVersion\": \"0.2.0\",\n \"id\": \"oci-container1\",\n \"status\": \"running\",\n"
		  " \"pid\": 4422,\n \"bundle\": \"/containers/redis/\",\n \"annotations\": {\"myKey\": \"myValue\"}\n}",
		  &h, &err);
	CHECK_INT(r, 0, "the runtime-spec example state parses");
	CHECK_STR(h.bundle, "/containers/redis", "the bundle path is normalized");
	oci_hook_free(&h);

	refused("{\"id\": \"c1\", \"pid\": 1", "not valid JSON", "truncated JSON");
	refused("[1,2]", "not a JSON object", "an array");
	refused("{\"pid\": 5, \"bundle\": \"/b\"}", "id must be", "no id");
	refused("{\"id\": \"\", \"pid\": 5, \"bundle\": \"/b\"}", "id must be", "an empty id");
	refused("{\"id\": \"../x\", \"pid\": 5, \"bundle\": \"/b\"}", "has a '/'", "an id with a slash");
	refused("{\"id\": \"a\\u0000b\", \"pid\": 5, \"bundle\": \"/b\"}", "NUL", "an id with a NUL escape");
	refused("{\"id\": \"c\", \"pid\": \"5\", \"bundle\": \"/b\"}", "pid must be", "a pid as a string");
	refused("{\"id\": \"c\", \"pid\": -5, \"bundle\": \"/b\"}", "pid must be", "a negative pid");
	refused("{\"id\": \"c\", \"pid\": 5.5, \"bundle\": \"/b\"}", "pid must be", "a fractional pid");
	refused("{\"id\": \"c\", \"pid\": 99999999999, \"bundle\": \"/b\"}", "pid must be", "a pid past 2^31");
	refused("{\"id\": \"c\", \"pid\": 5, \"bundle\": \"rel\"}", "bundle must be", "a relative bundle");
	refused("{\"id\": \"c\", \"pid\": 5}", "bundle must be", "no bundle");

	s = rootfs("{\"root\": {\"path\": \"rootfs\", \"readonly\": true}}", "/b", &r);
	CHECK_STR(s, "/b/rootfs", "a relative root.path is inside the bundle");
	free(s);
	s = rootfs("{\"root\": {\"path\": \"/var/lib/c/rootfs/\"}}", "/b", &r);
	CHECK_STR(s, "/var/lib/c/rootfs", "an absolute root.path is used as it is");
	free(s);
	s = rootfs("{\"root\": {\"path\": \"../shared/./rootfs\"}}", "/srv/b", &r);
	CHECK_STR(s, "/srv/shared/rootfs", "'..' in root.path is resolved lexically");
	free(s);
	s = rootfs("{\"root\": {}}", "/b", &r);
	CHECK(r == -EINVAL && !s, "a config without root.path is refused");
	s = rootfs("{\"root\": {\"path\": 7}}", "/b", &r);
	CHECK(r == -EINVAL && !s, "a non-string root.path is refused");

	/* the whole read: state on a pipe, config.json in a bundle directory */
	char dir[] = "/tmp/test-oci-hook.XXXXXX";
	CHECK(mkdtemp(dir) != NULL, "temporary bundle");
	char cfg[300], state[400];
	snprintf(cfg, sizeof(cfg), "%s/config.json", dir);
	FILE *f = fopen(cfg, "w");
	fputs("{\"ociVersion\": \"1.0.0\", \"root\": {\"path\": \"rootfs\"}}", f);
	fclose(f);
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	snprintf(state, sizeof(state), "{\"id\":\"ctr-7\",\"pid\":%d,\"bundle\":\"%s\"}", (int)getpid(), dir);
	CHECK(write(p[1], state, strlen(state)) == (ssize_t)strlen(state), "state written");
	close(p[1]);
	r = oci_hook_read(p[0], &h, &err);
	close(p[0]);
	CHECK_INT(r, 0, "state read from a pipe (%s)", err.msg);
	char want[300];
	snprintf(want, sizeof(want), "%s/rootfs", dir);
	CHECK_STR(h.rootfs, want, "rootfs found from the bundle's config.json");

	/* our own pid: the same mount namespace, so refused */
	bool is_child = false;
	int status = -1;
	r = oci_hook_enter(&h, &is_child, &status, &err);
	CHECK(r == -EPERM && strstr(err.msg, "own mount namespace"), "entering our own namespace is refused (%s)",
	      err.msg);
	oci_hook_free(&h);

	/* an empty stdin and an oversized one */
	CHECK(pipe(p) == 0, "pipe");
	close(p[1]);
	r = oci_hook_read(p[0], &h, &err);
	close(p[0]);
	CHECK(r == -EINVAL && strstr(err.msg, "no container state"), "an empty stdin is refused");
	CHECK(pipe(p) == 0, "pipe");
	pid_t writer = fork();
	if (writer == 0) {
		static char junk[4096];
		memset(junk, ' ', sizeof(junk));
		close(p[0]);
		for (unsigned i = 0; i < OCI_HOOK_MAX_STATE / sizeof(junk) + 2; i++)
			if (write(p[1], junk, sizeof(junk)) < 0)
				break;
		_exit(0);
	}
	close(p[1]);
	r = oci_hook_read(p[0], &h, &err);
	close(p[0]);
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
	CHECK(r == -EFBIG, "a state over %u bytes is refused", OCI_HOOK_MAX_STATE);

	unlink(cfg);
	rmdir(dir);

	/* `mrun rollback --container ID` finds the container's newest run */
	char jdir[] = "/tmp/test-oci-journal.XXXXXX", jpath[300];
	CHECK(mkdtemp(jdir) != NULL, "temporary journal directory");
	snprintf(jpath, sizeof(jpath), "%s/journal.db", jdir);
	int64_t run = -1;
	CHECK_INT(oci_hook_container_run(jpath, "a", &run, &err), -ENOENT, "no journal: no run (%s)", err.msg);
	CHECK_INT(make_journal(jpath), 0, "a journal with container runs");
	CHECK_INT(oci_hook_container_run(jpath, "b", &run, &err), 0, "container b: an applied run");
	CHECK_INT(run, 2, "container b: run 2");
	CHECK_INT(oci_hook_container_run(jpath, "a", &run, &err), 1,
		  "container a: its newest run is rolled back, nothing to do (not its older applied run)");
	CHECK_INT(run, 4, "container a: run 4 is the newest");
	CHECK_INT(oci_hook_container_run(jpath, "c", &run, &err), 0, "container c: a failed undo can be retried");
	CHECK_INT(oci_hook_container_run(jpath, "zz", &run, &err), -ENOENT, "an unknown container: -ENOENT");
	CHECK(strstr(err.msg, "no run of it") != NULL, "and the message says so (%s)", err.msg);
	unlink(jpath);
	char side[320];
	snprintf(side, sizeof(side), "%s-wal", jpath);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", jpath);
	unlink(side);
	rmdir(jdir);

	/* a process in another mount namespace is entered (root only) */
	if (geteuid() != 0 || unshare(0) != 0) {
		tap_skip(3, "needs root to make a mount namespace");
		return tap_done();
	}
	int ready[2];
	CHECK(pipe(ready) == 0, "pipe");
	pid_t child = fork();
	if (child == 0) {
		char c = 'x';
		close(ready[0]);
		if (unshare(CLONE_NEWNS | CLONE_NEWPID) != 0)
			c = 'e';
		else if (fork() == 0) /* the first child in the new pid namespace: the "container init" */
			pause();
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	char c = 0;
	CHECK(read(ready[0], &c, 1) == 1 && c == 'x', "child made its own mount and pid namespaces");
	close(ready[0]);
	/* the "container init" is the grandchild, in both new namespaces */
	char kids[64];
	snprintf(kids, sizeof(kids), "/proc/%d/task/%d/children", (int)child, (int)child);
	FILE *kf = fopen(kids, "r");
	int init_pid = 0;
	CHECK(kf && fscanf(kf, "%d", &init_pid) == 1, "found the container init (%d)", init_pid);
	if (kf)
		fclose(kf);
	pid_t entrant = fork();
	if (entrant == 0) {
		struct oci_hook hk = { .id = (char *)"t", .pid = init_pid };
		bool in_child = false;
		int cst = 0;
		if (oci_hook_enter(&hk, &in_child, &cst, &err) != 0)
			_exit(2);
		if (!in_child)
			_exit(cst); /* the parent relays the child's status */
		char path[64];
		struct stat mine, theirs, pidns;
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", init_pid);
		stat("/proc/self/ns/mnt", &mine);
		stat(path, &theirs);
		/* our own pid namespace is the container's: its init is pid 1 there */
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", init_pid);
		stat(path, &pidns);
		struct stat selfpid;
		stat("/proc/self/ns/pid", &selfpid);
		_exit(mine.st_ino == theirs.st_ino && selfpid.st_ino == pidns.st_ino ? 42 : 3);
	}
	int st = 0;
	waitpid(entrant, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42,
	      "the applying child is in the container's mount and pid namespaces, its status relayed (%d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (init_pid > 0)
		kill(init_pid, SIGKILL);
	return tap_done();
}

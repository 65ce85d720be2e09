/*
 * test-journal.c — the SQLite run journal (runtime/journal.c), the per-root
 * lock (rootlock.c) and the kernel facts (probe.c): schema creation and
 * versioning, the begin/finish round trip of a run's intent and outcome,
 * and a clear error — never a crash, never a half-open journal — for a
 * corrupt, truncated, foreign, too-new, read-only or locked database file.
 * No mounts: everything here runs without privileges in a temp directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "journal.h"
#include "mpb-builder.h"
#include "rootlock.h"
#include "tap.h"

static char tmpdir[] = "/tmp/test-journal.XXXXXX";
static char dbpath[256];

static void cleanup_tmpdir(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", tmpdir);
}

static void set_db(const char *name)
{
	snprintf(dbpath, sizeof(dbpath), "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* A small program: MKDIR, LOOP_ATTACH, BIND, REMOUNT, END. */
static int make_program(struct program *p)
{
	struct mpb b;
	uint8_t *bytes;
	size_t len;
	struct mp_error err;
	int r;

	mpb_init(&b, 2, 2);
	MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/data"), 0755);
	MPB_INSN(&b, OP_LOOP_ATTACH, 0, 0, mpb_str(&b, "/img/data.img"), MP_LOOP_READONLY, 4096, 0, 0, 0);
	MPB_INSN(&b, OP_BIND, 0, mpb_str(&b, "/srv/etc"), mpb_str(&b, "/data"), MP_TREE_RECURSIVE, 1, 0);
	MPB_INSN(&b, OP_REMOUNT, 0, mpb_str(&b, "/data"), 1, 0, 0);
	MPB_INSN(&b, OP_END, 0);
	mpb_debug(&b, 2, 1, 7, 5);
	bytes = mpb_bytes(&b, &len);
	r = program_load_bytes(bytes, len, p, &err);
	free(bytes);
	if (r < 0)
		tap_diag("program_load_bytes: %s", err.msg);
	return r;
}

static struct journal_run_info make_info(void)
{
	static const uint8_t sha[32] = { 0xde, 0xad, 0xbe, 0xef };
	struct journal_run_info info = {
		.plan_file = "plan.yaml",
		.plan_sha256 = sha,
		.bytecode = "/tmp/plan.mpb",
		.root = "/run/c1/rootfs",
		.root_dev = 0x801,
		.root_ino = 4242,
		.container_id = "c1",
	};
	struct mp_error err;

	if (probe_run_facts(&info.facts, &err) < 0)
		tap_diag("probe_run_facts: %s", err.msg);
	return info;
}

static void test_create(void)
{
	struct journal *j = NULL;
	struct mp_error err;
	int version = -1, r;
	sqlite3 *db;
	sqlite3_stmt *st;

	set_db("sub/journal.db");
	r = journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err);
	CHECK_INT(r, 0, "a new journal is created with its directory");
	if (r < 0) {
		tap_diag("%s", err.msg);
		return;
	}
	CHECK(journal_schema_latest() >= 1, "the embedded schema has migrations");
	journal_schema_version(j, &version, &err);
	CHECK_INT(version, journal_schema_latest(), "a new journal is at the newest schema version");
	journal_close(j);

	struct stat st_dir;
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/sub", tmpdir);
	CHECK(stat(dir, &st_dir) == 0 && (st_dir.st_mode & 0777) == 0700, "its directory is created 0700");

	/* The version table has one row per migration; the journal mode is what journal.c chose. */
	sqlite3_open(dbpath, &db);
	sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_version", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == journal_schema_latest() &&
		      sqlite3_column_int(st, 1) == journal_schema_latest(),
	      "schema_version lists every migration");
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0,
	      "the journal is in WAL mode");
	sqlite3_finalize(st);
	sqlite3_close(db);

	r = journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err);
	CHECK_INT(r, 0, "an existing journal opens again (no migration to run)");
	journal_close(j);

	/* A journal of schema version 1 (before runs.park_dir) is migrated on open, its runs kept. */
	sqlite3_open(dbpath, &db);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO runs (state, plan_sha256, plan_file, root, root_dev, root_ino, mntns_ino,"
			       " boot_id, pid, pid_start, mnt_watermark, n_steps, started_ns)"
			       " VALUES ('applied', 'ab', 'old.yaml', '/old', 1, 2, 3, 'b', 4, 5, 6, 0, 7);"
			       "ALTER TABLE runs DROP COLUMN park_dir; DELETE FROM schema_version WHERE version > 1;"
			       "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK,
		  "make a version-1 journal");
	sqlite3_close(db);
	r = journal_open(dbpath, JOURNAL_READONLY, 1000, &j, &err);
	CHECK_INT(r, 0, "a version-1 journal opens read-only (not migrated)");
	if (r == 0) {
		struct journal_run run;

		journal_schema_version(j, &version, &err);
		CHECK_INT(version, 1, "read-only: still version 1");
		CHECK(journal_get_run(j, 1, &run, &err) == 0 && strcmp(run.root, "/old") == 0 && !run.park_dir,
		      "read-only: its runs read back without the newer columns");
		journal_run_free(&run);
		journal_close(j);
	}
	r = journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err);
	CHECK_INT(r, 0, "a version-1 journal opens");
	if (r == 0) {
		struct journal_run run;

		journal_schema_version(j, &version, &err);
		CHECK_INT(version, journal_schema_latest(), "it is migrated to the newest version");
		CHECK(journal_get_run(j, 1, &run, &err) == 0 && strcmp(run.root, "/old") == 0 && run.park_dir == NULL,
		      "its run survives the migration (park_dir NULL)");
		journal_run_free(&run);
		journal_close(j);
	}
}

static void test_round_trip(void)
{
	struct journal *j = NULL;
	struct program p;
	struct step_state st[5];
	struct journal_run_info info = make_info();
	struct journal_run run;
	struct journal_step *steps = NULL;
	uint32_t n = 0;
	struct mp_error err;
	int64_t id = 0, last = 0;
	int r;

	set_db("rt.db");
	if (make_program(&p) < 0 || journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) < 0) {
		CHECK(0, "set up the round trip");
		return;
	}
	memset(st, 0, sizeof(st));
	for (int i = 0; i < 5; i++)
		st[i].loop_nr = -1;
	st[0].created_components = 1;              /* /data is missing */
	st[1].backing_dev = 0x803;                 /* the image's inode */
	st[1].backing_ino = 77;
	st[3].prior_attr = 0x2;                    /* REMOUNT: nosuid before */
	r = journal_begin_run(j, &info, &p, st, &id, &err);
	CHECK_INT(r, 0, "begin_run records a run");
	CHECK(id > 0, "it gets an id");

	r = journal_get_run(j, id, &run, &err);
	CHECK_INT(r, 0, "the run reads back");
	if (r == 0) {
		CHECK_INT(run.state, RUN_RUNNING, "a begun run is 'running'");
		CHECK_STR(run.plan_sha256, "deadbeef00000000000000000000000000000000000000000000000000000000", "plan hash in hex");
		CHECK_STR(run.root, "/run/c1/rootfs", "root path");
		CHECK(run.root_dev == 0x801 && run.root_ino == 4242, "root dev:ino");
		CHECK(run.facts.pid == getpid() && run.facts.pid_start == info.facts.pid_start, "pid and start time");
		CHECK(run.facts.mnt_watermark == info.facts.mnt_watermark && run.facts.mnt_watermark > 0, "watermark");
		CHECK_STR(run.facts.boot_id, info.facts.boot_id, "boot id");
		CHECK_INT(run.n_steps, 5, "step count");
		CHECK_INT(run.failed_step, -1, "no failed step yet");
		journal_run_free(&run);
	}
	r = journal_get_steps(j, id, &steps, &n, &err);
	CHECK(r == 0 && n == 5, "every instruction has a step row");
	if (r == 0 && n == 5) {
		CHECK(steps[0].op == OP_MKDIR && steps[0].would_create == 1 && !steps[0].st.existed_before,
		      "MKDIR intent: one component to create");
		CHECK_STR(steps[0].path, "/data", "MKDIR path decoded");
		CHECK(steps[1].st.backing_dev == 0x803 && steps[1].st.backing_ino == 77, "LOOP_ATTACH image inode");
		CHECK_STR(steps[1].src, "/img/data.img", "LOOP_ATTACH source decoded");
		CHECK(steps[1].operand[2] == MP_LOOP_READONLY && steps[1].operand[3] == 4096, "numeric operands kept");
		CHECK_STR(steps[2].src, "/srv/etc", "BIND source");
		CHECK(steps[2].line == 7 && steps[2].col == 5 && steps[2].entry == 1, "plan line:col of the step");
		CHECK(steps[3].st.prior_attr == 2 && steps[3].operand[1] == 1, "REMOUNT prior attributes and operands");
		CHECK(steps[4].st.status == STEP_PENDING, "steps start pending");
	}
	journal_steps_free(steps, n);

	/* The outcome: MKDIR created 1, loop 7 attached, the bind failed with EBUSY, MKDIR undone. */
	st[0].status = STEP_UNDONE;
	st[1].status = STEP_UNDONE;
	st[1].loop_nr = 7;
	st[1].backing_ino = 78; /* known only after the attach */
	st[2].status = STEP_FAILED;
	st[2].err = EBUSY;
	st[2].error = (char *)"move_mount /data: Device or resource busy";
	r = journal_finish_run(j, id, RUN_ROLLED_BACK, st, 5, 2, "step 2 failed", &err);
	CHECK_INT(r, 0, "finish_run records the outcome");
	r = journal_get_steps(j, id, &steps, &n, &err);
	if (r == 0 && n == 5) {
		CHECK(steps[0].st.status == STEP_UNDONE && steps[1].st.loop_nr == 7, "undone steps and loop number");
		CHECK(steps[1].st.backing_dev == 0x803 && steps[1].st.backing_ino == 78, "the image inode learnt by the attach");
		CHECK(steps[2].st.status == STEP_FAILED && steps[2].st.err == EBUSY, "the failed step and its errno");
		CHECK_STR(steps[2].st.error, "move_mount /data: Device or resource busy", "its message");
		CHECK(steps[3].st.status == STEP_PENDING, "unreached steps stay pending");
	} else {
		CHECK(0, "steps read back after finish");
	}
	journal_steps_free(steps, n);
	if (journal_get_run(j, id, &run, &err) == 0) {
		CHECK(run.state == RUN_ROLLED_BACK && run.failed_step == 2 && run.finished_ns >= run.started_ns,
		      "run state, failed step, end time");
		CHECK_STR(run.error, "step 2 failed", "run error");
		journal_run_free(&run);
	}
	r = journal_mark(j, id, RUN_APPLIED, NULL, &err);
	CHECK(r == 0 && journal_get_run(j, id, &run, &err) == 0 && run.state == RUN_APPLIED && run.failed_step == 2,
	      "mark changes only the state");
	journal_run_free(&run);
	r = journal_last_run_on_root(j, 0x801, 4242, RUN_APPLIED, &last, &err);
	CHECK(r == 0 && last == id, "last applied run on the root");
	CHECK_INT(journal_last_run_on_root(j, 0x801, 4243, RUN__COUNT, &last, &err), -ENOENT, "no run on another root");
	CHECK(journal_last_run_on_root_path(j, 1, 1, "/run/c1/rootfs", RUN_APPLIED, &last, &err) == 0 && last == id,
	      "found by its path when dev:ino changed (a mount on /)");
	CHECK_INT(journal_mark(j, id + 100, RUN_APPLIED, NULL, &err), -ENOENT, "marking a missing run is -ENOENT");

	/* JSON through SQLite's json functions: parse it back with SQLite. */
	char *buf = NULL;
	size_t blen = 0;
	FILE *mem = open_memstream(&buf, &blen);
	r = journal_run_json(j, id, mem, &err);
	fclose(mem);
	CHECK_INT(r, 0, "run as JSON");
	if (buf) {
		sqlite3 *db;
		sqlite3_stmt *q;

		sqlite3_open(":memory:", &db);
		sqlite3_prepare_v2(db, "SELECT json_valid(?1), json_extract(?1, '$.state'), json_extract(?1, '$.steps[2].error'),"
				   " json_array_length(?1, '$.steps')", -1, &q, NULL);
		sqlite3_bind_text(q, 1, buf, -1, SQLITE_STATIC);
		CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1 &&
			      strcmp((const char *)sqlite3_column_text(q, 1), "applied") == 0 &&
			      strcmp((const char *)sqlite3_column_text(q, 2), "move_mount /data: Device or resource busy") == 0 &&
			      sqlite3_column_int(q, 3) == 5,
		      "the JSON is valid and holds the run and its steps");
		sqlite3_finalize(q);
		sqlite3_close(db);
		free(buf);
	}
	journal_close(j);

	/* A reader sees the same run. */
	r = journal_open(dbpath, JOURNAL_READONLY, 1000, &j, &err);
	CHECK(r == 0 && journal_get_run(j, id, &run, &err) == 0 && run.state == RUN_APPLIED, "a read-only reader sees the run");
	if (r == 0) {
		journal_run_free(&run);
		journal_close(j);
	}
	program_free(&p);
}

/* More steps than one INSERT batch holds, outcomes with gaps (pending steps): every row lands where it belongs. */
static void test_batches(void)
{
	enum { N = 53 };
	struct journal *j = NULL;
	struct journal_run_info info = make_info();
	struct step_state st[N];
	struct journal_step *steps = NULL;
	struct program p;
	struct mp_error err;
	uint32_t n = 0;
	int64_t id;
	uint8_t *bytes;
	size_t len;
	struct mpb b;
	bool intents = true, outcomes = true;

	mpb_init(&b, 0, N);
	for (int i = 0; i < N - 1; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/d%d", i);
		MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, path), 0755);
	}
	MPB_INSN(&b, OP_END, 0);
	bytes = mpb_bytes(&b, &len);
	set_db("batch.db");
	if (program_load_bytes(bytes, len, &p, &err) < 0 || journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) < 0) {
		free(bytes);
		CHECK(0, "set up the batch test: %s", err.msg);
		return;
	}
	free(bytes);
	memset(st, 0, sizeof(st));
	for (int i = 0; i < N; i++) {
		st[i].loop_nr = -1;
		st[i].created_components = (uint32_t)i;
	}
	CHECK_INT(journal_begin_run(j, &info, &p, st, &id, &err), 0, "begin a run of %d steps", N);
	for (int i = 0; i < N; i++) {
		st[i].status = i % 3 == 1 ? STEP_PENDING : STEP_DONE;
		st[i].mnt_id = 1000u + (uint64_t)i;
	}
	CHECK_INT(journal_finish_run(j, id, RUN_APPLIED, st, N, -1, NULL, &err), 0, "finish it, every third step pending");
	if (journal_get_steps(j, id, &steps, &n, &err) == 0 && n == N) {
		for (int i = 0; i < N; i++) {
			char want[32];

			snprintf(want, sizeof(want), "/d%d", i);
			if (steps[i].would_create != (uint32_t)i || (i < N - 1 && strcmp(steps[i].path, want) != 0))
				intents = false;
			if (steps[i].st.status != (i % 3 == 1 ? STEP_PENDING : STEP_DONE) ||
			    steps[i].st.mnt_id != (i % 3 == 1 ? 0 : 1000u + (uint64_t)i))
				outcomes = false;
		}
	} else {
		intents = outcomes = false;
	}
	CHECK(intents, "every intent row is the step's");
	CHECK(outcomes, "every outcome row is the step's, the pending ones have none");
	journal_steps_free(steps, n);
	journal_close(j);
	program_free(&p);
}

/* prune forgets the runs that are over, oldest first, and never an applied, running or failed one. */
static void test_prune(void)
{
	static const enum run_state states[] = { RUN_ROLLED_BACK, RUN_APPLIED, RUN_RECOVERED, RUN_FAILED,
						 RUN_ROLLED_BACK, RUN_RUNNING, RUN_ROLLED_BACK };
	struct journal *j = NULL;
	struct journal_run_info info = make_info();
	struct step_state st[5];
	struct program p;
	struct mp_error err;
	int64_t ids[7];
	unsigned pruned = 99;
	char *left = NULL;
	size_t len = 0;
	FILE *mem;

	set_db("prune.db");
	if (make_program(&p) < 0 || journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) < 0) {
		CHECK(0, "set up the prune test");
		return;
	}
	memset(st, 0, sizeof(st));
	for (int i = 0; i < 7; i++) {
		journal_begin_run(j, &info, &p, st, &ids[i], &err);
		if (states[i] != RUN_RUNNING)
			journal_finish_run(j, ids[i], states[i], st, 5, -1, NULL, &err);
	}
	CHECK_INT(journal_prune(j, 1, &pruned, &err), 0, "prune, keeping one finished run");
	CHECK_INT(pruned, 3, "three of the four runs that are over went");
	mem = open_memstream(&left, &len);
	journal_runs_json(j, RUN__COUNT, 0, mem, &err);
	fclose(mem);
	{
		struct journal_run run;
		bool ok = true;

		for (int i = 0; i < 7; i++) {
			bool kept = journal_get_run(j, ids[i], &run, &err) == 0;
			bool want = !(i == 0 || i == 2 || i == 4);

			if (kept)
				journal_run_free(&run);
			ok = ok && kept == want;
		}
		CHECK(ok, "the applied, failed, running and newest finished runs stay");
		if (!ok && left)
			tap_diag("left: %s", left);
	}
	free(left);
	{
		struct journal_step *steps = NULL;
		uint32_t n = 9;

		CHECK(journal_get_steps(j, ids[0], &steps, &n, &err) == 0 && n == 0, "a pruned run's steps are gone too");
		journal_steps_free(steps, n);
	}
	journal_close(j);
	program_free(&p);
}

static void expect_open_error(int want, const char *regex_word, const char *desc)
{
	struct journal *j = NULL;
	struct mp_error err = { 0 };
	int r = journal_open(dbpath, JOURNAL_CREATE, 200, &j, &err);

	CHECK_INT(r, -want, "%s: refused", desc);
	CHECK(r < 0 && strstr(err.msg, regex_word) && strstr(err.msg, dbpath), "%s: message says '%s' and names the file (%s)",
	      desc, regex_word, err.msg);
	if (r == 0)
		journal_close(j);
}

static void make_full_journal(const char *name)
{
	struct journal *j = NULL;
	struct program p;
	struct step_state st[5] = { 0 };
	struct journal_run_info info = make_info();
	struct mp_error err;
	int64_t id;

	set_db(name);
	if (make_program(&p) < 0 || journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) < 0)
		return;
	for (int i = 0; i < 40; i++)
		journal_begin_run(j, &info, &p, st, &id, &err);
	journal_close(j); /* the last close checkpoints the WAL into the file */
	program_free(&p);
}

static void test_damaged(void)
{
	char garbage[8192];
	struct stat st;

	set_db("garbage.db");
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)(i * 7 + 3);
	write_file(dbpath, garbage, sizeof(garbage));
	expect_open_error(EUCLEAN, "corrupt", "a file of garbage");

	/* A real database whose pages are overwritten past the header. */
	make_full_journal("corrupt.db");
	{
		int fd = open(dbpath, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (pwrite(fd, garbage, 4096, 100) != 4096)
				tap_diag("pwrite failed");
			close(fd);
		}
	}
	expect_open_error(EUCLEAN, "corrupt", "a database with a garbage first page");

	make_full_journal("trunc.db");
	stat(dbpath, &st);
	CHECK(truncate(dbpath, st.st_size / 2) == 0, "truncate a journal to half");
	expect_open_error(EUCLEAN, "truncated", "a truncated database");
	CHECK(truncate(dbpath, 50) == 0, "truncate it to 50 bytes");
	expect_open_error(EUCLEAN, "truncated", "a database shorter than its header");

	/* Someone else's SQLite database, and one from a newer mountplan. */
	set_db("foreign.db");
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "CREATE TABLE photos (id INTEGER)", NULL, NULL, NULL);
	sqlite3_close(db);
	expect_open_error(EPROTO, "not a mountplan journal", "a foreign database");

	make_full_journal("future.db");
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(db);
	expect_open_error(EPROTO, "newer", "a journal from a newer schema");
}

/* Read-only: as root permission bits do not stop a write, the immutable attribute does. */
static void test_readonly(void)
{
	int fd, flags = 0;
	bool immutable = false;

	make_full_journal("ro.db");
	if (geteuid() == 0) {
		fd = open(dbpath, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
			flags |= FS_IMMUTABLE_FL;
			immutable = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
		}
		if (fd >= 0)
			close(fd);
		if (!immutable) {
			tap_skip(2, "cannot make the file immutable here (tmpfs?) and root ignores mode bits");
			return;
		}
	} else {
		chmod(dbpath, 0444);
	}
	expect_open_error(EROFS, "read-only", "a read-only journal");
	if (immutable) {
		flags &= ~FS_IMMUTABLE_FL;
		fd = open(dbpath, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)
			tap_diag("could not clear the immutable flag of %s", dbpath);
		if (fd >= 0)
			close(fd);
	}
}

/* Locked: another process holds an exclusive lock on the database for longer than the busy timeout. */
static void test_locked(void)
{
	int to_child[2], from_child[2];
	char c = 0;
	pid_t pid;

	make_full_journal("locked.db");
	if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0)
		abort();
	pid = fork();
	if (pid == 0) {
		sqlite3 *db;

		sqlite3_open(dbpath, &db);
		sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
				 "UPDATE runs SET error = 'held' WHERE id = 1", NULL, NULL, NULL);
		if (write(from_child[1], "x", 1) != 1 || read(to_child[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (read(from_child[0], &c, 1) != 1)
		tap_diag("the lock holder did not start");
	expect_open_error(EBUSY, "locked", "a journal locked by another process");
	if (write(to_child[1], "x", 1) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	close(from_child[1]);

	/* Once the holder is gone, the journal opens. */
	struct journal *j = NULL;
	struct mp_error err;
	CHECK_INT(journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err), 0, "the journal opens once the holder is gone");
	journal_close(j);
}

static void test_rootlock(void)
{
	struct mp_error err;
	int fd1 = -1, fd2 = -1, r;

	set_db("journal.db");
	r = rootlock_acquire(dbpath, 0x801, 99, 0, &fd1, &err);
	CHECK_INT(r, 0, "lock a root");
	r = rootlock_acquire(dbpath, 0x801, 99, 100, &fd2, &err);
	CHECK_INT(r, -EBUSY, "a second lock on the same root waits, then fails");
	{
		char want[64];

		snprintf(want, sizeof(want), "pid %d", (int)getpid());
		CHECK(strstr(err.msg, want) && strstr(err.msg, "busy"), "the message names the holder: %s", err.msg);
	}
	r = rootlock_acquire(dbpath, 0x801, 100, 0, &fd2, &err);
	CHECK_INT(r, 0, "another root is not blocked");
	close(fd2);
	close(fd1);
	r = rootlock_acquire(dbpath, 0x801, 99, 0, &fd2, &err);
	CHECK_INT(r, 0, "the root is free again once the holder closes");
	close(fd2);
}

static void test_probe(void)
{
	struct run_facts f;
	struct mp_error err;
	uint64_t start, id;
	bool root;
	int fd;

	CHECK_INT(probe_run_facts(&f, &err), 0, "probe the run facts");
	CHECK(f.pid == getpid() && strlen(f.boot_id) == 36 && f.mntns_ino > 0, "pid, boot id, namespace");
	CHECK(probe_pid_is(f.pid, f.pid_start) && !probe_pid_is(f.pid, f.pid_start + 1), "a pid with another start time is another process");
	CHECK_INT(probe_pid_start(0x3ffffff0, &start, &err), -ESRCH, "no such process");
	fd = open("/", O_PATH | O_CLOEXEC);
	CHECK(probe_mount_id(fd, &id, &root, &err) == 0 && root && id <= f.mnt_watermark,
	      "/ is a mount root, its id not above the watermark");
	close(fd);
}

int main(void)
{
	tap_plan(0);
	if (!mkdtemp(tmpdir)) {
		tap_diag("mkdtemp failed");
		return 1;
	}
	test_create();
	test_round_trip();
	test_batches();
	test_prune();
	test_damaged();
	test_readonly();
	test_locked();
	test_rootlock();
	test_probe();
	cleanup_tmpdir();
	return tap_done();
}

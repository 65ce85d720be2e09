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
			       /* undo migration 4, so that 3 replays (it copies outcomes with SELECT *) */
			       "DROP VIEW step_view; DROP TABLE programs; DROP TABLE outcome_packs;"
			       "ALTER TABLE outcomes DROP COLUMN backing_dev; ALTER TABLE outcomes DROP COLUMN backing_ino;"
			       "ALTER TABLE outcomes DROP COLUMN prior_attr; ALTER TABLE outcomes DROP COLUMN prior_propagation;"
			       "CREATE VIEW step_view AS SELECT * FROM steps;"
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

/* One integer from the journal file through a second connection, or -1. */
static long long db_int(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open(dbpath, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int db_exec(const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(dbpath, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		tap_diag("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Two reads of a run's steps hold the same: "" if so, else the first difference. */
static const char *steps_differ(const struct journal_step *a, uint32_t na, const struct journal_step *b, uint32_t nb)
{
	static char why[96];

	if (na != nb)
		return "step count";
	for (uint32_t i = 0; i < na; i++) {
		const struct journal_step *x = &a[i], *y = &b[i];
		const char *what = NULL;

		if (x->index != y->index || x->op != y->op || x->flags != y->flags || x->entry != y->entry ||
		    x->line != y->line || x->col != y->col || memcmp(x->operand, y->operand, sizeof(x->operand)) != 0)
			what = "instruction";
		else if (!str_eq(x->path, y->path) || !str_eq(x->src, y->src))
			what = "path/src";
		else if (x->would_create != y->would_create || x->st.existed_before != y->st.existed_before ||
			 x->st.prior_attr != y->st.prior_attr || x->st.prior_propagation != y->st.prior_propagation ||
			 x->st.backing_dev != y->st.backing_dev || x->st.backing_ino != y->st.backing_ino)
			what = "intent";
		else if (x->st.status != y->st.status || x->st.created_components != y->st.created_components ||
			 x->st.made_mount != y->st.made_mount || x->st.mnt_id != y->st.mnt_id ||
			 x->st.loop_nr != y->st.loop_nr || !str_eq(x->st.park_path, y->st.park_path) ||
			 x->st.err != y->st.err || !str_eq(x->st.error, y->st.error) ||
			 x->st.duration_ns != y->st.duration_ns)
			what = "outcome";
		if (what) {
			snprintf(why, sizeof(why), "step %u: %s", i, what);
			return why;
		}
	}
	return "";
}

/*
 * A run as journal_begin_run / journal_finish_run wrote it before protocol
 * v4 (schema migrations 1-3): a `steps` row per instruction, an `outcomes`
 * row per reached step, what a step learnt written back into its `steps`
 * row.  outcome NULL: a run still running.
 */
static int64_t insert_v3_run(const struct program *p, const struct step_state *intent,
			     const struct step_state *outcome)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t run = -1;
	bool ok;

	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		goto out;
	ok = sqlite3_exec(db, "BEGIN; INSERT INTO runs (state, plan_sha256, plan_file, root, root_dev, root_ino, mntns_ino,"
			  " boot_id, pid, pid_start, mnt_watermark, n_steps, started_ns)"
			  " VALUES ('running', 'ab', 'old.yaml', '/old', 1, 2, 3, 'b', 4, 5, 6, 5, 7)",
			  NULL, NULL, NULL) == SQLITE_OK;
	run = sqlite3_last_insert_rowid(db);
	ok = ok && sqlite3_prepare_v2(db, "INSERT INTO steps VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
				      " ?13, ?14, ?15, ?16)", -1, &st, NULL) == SQLITE_OK;
	for (uint32_t i = 0; ok && i < p->hdr.n_insns; i++) {
		const struct mp_insn *in = &p->insns[i];
		const char *path = NULL, *src = NULL;

		for (int k = 0; k < MP_NOPERANDS; k++) {
			if (op_operand_kind((enum op)in->op, k) == K_PATH && !path)
				path = program_str(p, in->o[k]);
			if (op_operand_kind((enum op)in->op, k) == K_SRC && !src)
				src = program_str(p, in->o[k]);
		}
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, i);
		sqlite3_bind_int(st, 3, in->op);
		sqlite3_bind_int(st, 4, in->flags);
		sqlite3_bind_int64(st, 5, p->debug[i].entry);
		sqlite3_bind_int64(st, 6, p->debug[i].line);
		sqlite3_bind_int64(st, 7, p->debug[i].col);
		sqlite3_bind_text(st, 8, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, src, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 10, in->o, sizeof(in->o), SQLITE_STATIC);
		sqlite3_bind_int(st, 11, intent[i].existed_before);
		sqlite3_bind_int64(st, 12, intent[i].created_components);
		sqlite3_bind_int64(st, 13, intent[i].prior_attr);
		sqlite3_bind_int64(st, 14, intent[i].prior_propagation);
		sqlite3_bind_int64(st, 15, (int64_t)intent[i].backing_dev);
		sqlite3_bind_int64(st, 16, (int64_t)intent[i].backing_ino);
		ok = sqlite3_step(st) == SQLITE_DONE;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (outcome) {
		ok = ok && sqlite3_prepare_v2(db, "INSERT INTO outcomes (run_id, idx, status, created, made_mount, mnt_id,"
					      " loop_nr, park_path, err, error, duration_ns)"
					      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", -1, &st, NULL) == SQLITE_OK;
		for (uint32_t i = 0; ok && i < p->hdr.n_insns; i++) {
			const struct step_state *s = &outcome[i];

			if (s->status == STEP_PENDING)
				continue;
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 1, run);
			sqlite3_bind_int64(st, 2, i);
			sqlite3_bind_text(st, 3, step_status_name(s->status), -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, s->created_components);
			sqlite3_bind_int(st, 5, s->made_mount);
			sqlite3_bind_int64(st, 6, (int64_t)s->mnt_id);
			sqlite3_bind_int(st, 7, s->loop_nr);
			sqlite3_bind_text(st, 8, s->park_path, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 9, s->err);
			sqlite3_bind_text(st, 10, s->error, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 11, (int64_t)s->duration_ns);
			ok = sqlite3_step(st) == SQLITE_DONE;
			if (ok && (s->backing_ino || s->prior_attr || s->prior_propagation)) {
				char sql[256];

				snprintf(sql, sizeof(sql), "UPDATE steps SET backing_dev = %llu, backing_ino = %llu, prior_attr = %u,"
					 " prior_propagation = %u WHERE run_id = %lld AND idx = %u",
					 (unsigned long long)s->backing_dev, (unsigned long long)s->backing_ino, s->prior_attr,
					 s->prior_propagation, (long long)run, i);
				ok = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
			}
		}
		sqlite3_finalize(st);
		ok = ok && sqlite3_exec(db, "UPDATE runs SET state = 'applied' WHERE id = last_insert_rowid()", NULL, NULL,
					NULL) == SQLITE_OK;
	}
	ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	if (!ok) {
		tap_diag("insert_v3_run: %s", sqlite3_errmsg(db));
		run = -1;
	}
out:
	sqlite3_close(db);
	return run;
}

/* The "steps" array of a run's JSON, or NULL. malloc'd. */
static char *steps_json(struct journal *j, int64_t run)
{
	char *buf = NULL, *ret = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct mp_error err;
	sqlite3 *db;
	sqlite3_stmt *q;

	if (journal_run_json(j, run, mem, &err) < 0)
		tap_diag("journal_run_json: %s", err.msg);
	fclose(mem);
	sqlite3_open(":memory:", &db);
	if (buf && sqlite3_prepare_v2(db, "SELECT json_extract(?1, '$.steps')", -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, buf, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
			ret = strdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	free(buf);
	return ret;
}

/* The intent and the outcome of the round-trip program, as exec would leave them. */
static void make_states(struct step_state intent[5], struct step_state outcome[5])
{
	memset(intent, 0, 5 * sizeof(*intent));
	for (int i = 0; i < 5; i++)
		intent[i].loop_nr = -1;
	intent[0].created_components = 1; /* /data is missing */
	intent[3].prior_attr = 0x2;       /* REMOUNT: nosuid before */
	memcpy(outcome, intent, 5 * sizeof(*intent));
	for (int i = 0; i < 5; i++) {
		outcome[i].status = STEP_DONE;
		outcome[i].duration_ns = 1000u + (uint64_t)i;
	}
	outcome[1].loop_nr = 7; /* LOOP_ATTACH: /dev/loop7, its image's inode learnt */
	outcome[1].backing_dev = 0x803;
	outcome[1].backing_ino = 78;
	outcome[2].mnt_id = 0x80000123u;
	outcome[3].prior_attr = 0x6; /* learnt right before the REMOUNT */
}

/*
 * Protocol v4 against the rows of older versions: the same run recorded
 * both ways reads back the same (steps and JSON), before and after a
 * rollback rewrote its outcomes; a v4 run keeps no `steps` rows and an
 * `outcomes` row only for a step with more to say than its status; a
 * second finish leaves no stale row behind.
 */
static void test_protocols(void)
{
	struct journal *j = NULL;
	struct journal_run_info info = make_info();
	struct step_state intent[5], outcome[5];
	struct journal_step *a = NULL, *b = NULL;
	uint32_t na = 0, nb = 0;
	struct program p;
	struct mp_error err;
	int64_t v4 = -1, v3;
	char sql[160], *ja, *jb;

	set_db("protocols.db");
	if (make_program(&p) < 0 || journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) < 0) {
		CHECK(0, "set up the protocol test");
		return;
	}
	make_states(intent, outcome);
	CHECK_INT(journal_begin_run(j, &info, &p, intent, &v4, &err), 0, "begin a v4 run");
	CHECK_INT(journal_finish_run(j, v4, RUN_APPLIED, outcome, 5, -1, NULL, &err), 0, "finish it");
	v3 = insert_v3_run(&p, intent, outcome);
	CHECK(v3 > 0, "record the same run the way schema version 3 did");

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM steps WHERE run_id = %lld", (long long)v4);
	CHECK_INT(db_int(sql), 0, "a v4 run has no steps rows");
	snprintf(sql, sizeof(sql), "SELECT group_concat(idx) FROM outcomes WHERE run_id = %lld", (long long)v4);
	{
		sqlite3 *db;
		sqlite3_stmt *st;
		const char *got = NULL;

		sqlite3_open(dbpath, &db);
		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			got = (const char *)sqlite3_column_text(st, 0);
		CHECK_STR(got ? got : "(none)", "1,3", "outcome rows only for the loop device and the REMOUNT that learnt");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	snprintf(sql, sizeof(sql), "SELECT length(packed) FROM outcome_packs WHERE run_id = %lld", (long long)v4);
	CHECK(db_int(sql) > 5, "the v4 run's outcomes are packed");

	CHECK(journal_get_steps(j, v4, &a, &na, &err) == 0 && journal_get_steps(j, v3, &b, &nb, &err) == 0,
	      "both runs read back");
	CHECK_STR(steps_differ(a, na, b, nb), "", "v4 and v3 rows read back the same steps");
	CHECK(na == 5 && a[0].would_create == 1 && !a[0].st.existed_before && a[0].st.created_components == 1,
	      "a missing mount point: its intent and what it created");
	CHECK(na == 5 && a[1].st.loop_nr == 7 && a[1].st.backing_ino == 78 && a[3].st.prior_attr == 6,
	      "what steps learnt while running");
	CHECK(na == 5 && a[2].st.mnt_id == 0x80000123u && a[4].st.duration_ns == 1004, "mount id and duration from the pack");
	journal_steps_free(a, na);
	journal_steps_free(b, nb);
	ja = steps_json(j, v4);
	jb = steps_json(j, v3);
	CHECK(ja && jb && strcmp(ja, jb) == 0, "and the same JSON");
	free(ja);
	free(jb);

	/* A rollback: undone, but END never reached, the LOOP_ATTACH's undo failed. */
	for (int i = 0; i < 5; i++)
		outcome[i].status = STEP_UNDONE;
	outcome[4].status = STEP_PENDING;
	outcome[1].status = STEP_UNDO_FAILED;
	outcome[1].err = EBUSY;
	outcome[1].error = (char *)"loop7: busy";
	CHECK_INT(journal_finish_run(j, v4, RUN_FAILED, outcome, 5, -1, "rollback failed", &err), 0, "roll back the v4 run");
	CHECK_INT(journal_finish_run(j, v3, RUN_FAILED, outcome, 5, -1, "rollback failed", &err), 0, "and the v3 run");
	CHECK(journal_get_steps(j, v4, &a, &na, &err) == 0 && journal_get_steps(j, v3, &b, &nb, &err) == 0,
	      "both read back after the rollback");
	CHECK_STR(steps_differ(a, na, b, nb), "", "the same again");
	CHECK(na == 5 && a[4].st.status == STEP_PENDING && a[4].st.duration_ns == 0,
	      "a step the rollback found never reached is pending, not the apply's 'done'");
	CHECK(na == 5 && a[1].st.status == STEP_UNDO_FAILED && a[1].st.err == EBUSY && a[1].st.backing_ino == 78,
	      "the failed undo, and what the step had learnt");
	journal_steps_free(a, na);
	journal_steps_free(b, nb);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outcome_packs WHERE run_id = %lld", (long long)v3);
	CHECK_INT(db_int(sql), 0, "a v3 run keeps full outcome rows, no pack");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outcomes WHERE run_id = %lld AND status = 'undo_failed'",
		 (long long)v4);
	CHECK_INT(db_int(sql), 1, "an undo failure is an outcomes row (sqlite3 finds it there)");

	/* The last finish is the truth: plain outcomes now, the rows of before are gone. */
	for (int i = 0; i < 5; i++) {
		outcome[i] = intent[i];
		outcome[i].status = i == 4 ? STEP_PENDING : STEP_UNDONE;
	}
	intent[3].prior_attr = 0;
	outcome[3].prior_attr = 0;
	CHECK_INT(journal_finish_run(j, v4, RUN_ROLLED_BACK, outcome, 5, -1, NULL, &err), 0, "finish the v4 run again");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outcomes WHERE run_id = %lld", (long long)v4);
	CHECK_INT(db_int(sql), 0, "no outcome row of an earlier finish is left");
	if (journal_get_steps(j, v4, &a, &na, &err) == 0 && na == 5) {
		CHECK(a[1].st.status == STEP_UNDONE && a[1].st.err == 0 && !a[1].st.error && a[1].st.loop_nr == -1,
		      "the step reads as this finish wrote it");
		CHECK(a[3].st.prior_attr == 2, "the intent is back where the learnt value is no longer recorded");
		journal_steps_free(a, na);
	} else {
		CHECK(0, "read the run again: %s", err.msg);
	}
	journal_close(j);
	program_free(&p);
}

/* A damaged v4 record: a clear error naming the journal and the run, never a crash or a guess. */
static void test_damaged_record(void)
{
	static const struct {
		const char *sql, *want, *desc;
	} cases[] = {
		{ "UPDATE programs SET bytes = substr(bytes, 1, 120) || x'ff' || substr(bytes, 122)", "its program is damaged",
		  "a flipped byte in the program (checksum)" },
		{ "UPDATE programs SET bytes = x''", "its program is damaged", "an empty program" },
		{ "UPDATE programs SET bytes = zeroblob(64)", "its program is damaged", "a program of zeros" },
		{ "UPDATE programs SET intents = x'01ff'", "its intent blob is damaged", "intents cut short" },
		{ "UPDATE programs SET intents = x'0107000000000000'", "its intent blob is damaged", "an intent for step 7 of 5" },
		{ "UPDATE programs SET intents = x'02'", "its intent blob is damaged", "intents of an unknown format" },
		{ "UPDATE outcome_packs SET packed = x'010900000000'", "its outcome pack is damaged", "an unknown status" },
		{ "UPDATE outcome_packs SET packed = x'0101ff'", "its outcome pack is damaged", "an outcome cut short" },
		{ "UPDATE outcome_packs SET packed = x'01' || zeroblob(30)", "its outcome pack is damaged",
		  "more outcomes than steps" },
		{ "UPDATE outcomes SET idx = 99 + idx", "an outcome row is damaged", "an outcome row for a step the program lacks" },
	};
	struct journal_run_info info = make_info();
	struct step_state intent[5], outcome[5];
	struct program p;
	struct mp_error err;

	set_db("damaged-record.db");
	if (make_program(&p) < 0) {
		CHECK(0, "set up the damaged-record test");
		return;
	}
	make_states(intent, outcome);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct journal *j = NULL;
		struct journal_step *steps = NULL;
		uint32_t n = 0;
		int64_t run = -1;
		char sql[300], want[300];
		FILE *null_out = fopen("/dev/null", "we");
		int r;

		unlink(dbpath);
		if (journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) < 0 ||
		    journal_begin_run(j, &info, &p, intent, &run, &err) < 0 ||
		    journal_finish_run(j, run, RUN_APPLIED, outcome, 5, -1, NULL, &err) < 0) {
			CHECK(0, "record a run: %s", err.msg);
			journal_close(j);
			fclose(null_out);
			continue;
		}
		snprintf(sql, sizeof(sql), "%s WHERE run_id = %lld", cases[c].sql, (long long)run);
		db_exec(sql);
		r = journal_get_steps(j, run, &steps, &n, &err);
		snprintf(want, sizeof(want), "journal %s: run %lld: %s", dbpath, (long long)run, cases[c].want);
		CHECK(r == -EUCLEAN && strncmp(err.msg, want, strlen(want)) == 0, "%s: refused, naming journal and run",
		      cases[c].desc);
		if (r != -EUCLEAN || strncmp(err.msg, want, strlen(want)) != 0)
			tap_diag("got %d: %s", r, r < 0 ? err.msg : "");
		if (r == 0)
			journal_steps_free(steps, n);
		CHECK_INT(journal_run_json(j, run, null_out, &err), -EUCLEAN, "%s: show --json says so too", cases[c].desc);
		fclose(null_out);
		journal_close(j);
	}
	/* A program whose checksum is right but that does not verify: refused the same way. */
	{
		struct journal *j = NULL;
		struct journal_step *steps = NULL;
		uint32_t n = 0;
		int64_t run = -1;
		struct mpb mb;
		uint8_t *bytes;
		size_t len;
		struct program bad;
		int r = -1;

		mpb_init(&mb, 0, 1);
		MPB_INSN(&mb, OP_MKDIR, 0, mpb_str(&mb, "/data"), 0755);
		MPB_INSN(&mb, OP_END, 0);
		bytes = mpb_bytes(&mb, &len);
		unlink(dbpath);
		if (program_load_bytes(bytes, len, &bad, &err) == 0 && journal_open(dbpath, JOURNAL_CREATE, 1000, &j, &err) == 0 &&
		    journal_begin_run(j, &info, &bad, intent, &run, &err) == 0) {
			char sql[200];

			/* MKDIR's path: an offset past the string table, the checksum fixed up */
			mpb_poke32(bytes, len, mpb_operand_off(0, 0), 0x7fff);
			snprintf(sql, sizeof(sql), "UPDATE programs SET bytes = ?1 WHERE run_id = %lld", (long long)run);
			{
				sqlite3 *db;
				sqlite3_stmt *st;

				sqlite3_open(dbpath, &db);
				sqlite3_prepare_v2(db, sql, -1, &st, NULL);
				sqlite3_bind_blob(st, 1, bytes, (int)len, SQLITE_STATIC);
				sqlite3_step(st);
				sqlite3_finalize(st);
				sqlite3_close(db);
			}
			r = journal_get_steps(j, run, &steps, &n, &err);
		}
		CHECK(r == -EUCLEAN && strstr(err.msg, "its program is damaged"), "a program that fails the verifier is refused");
		if (r == 0)
			journal_steps_free(steps, n);
		journal_close(j);
		program_free(&bad);
		free(bytes);
	}
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
	CHECK_INT(db_int("SELECT count(*) FROM programs WHERE run_id NOT IN (SELECT id FROM runs)") +
			  db_int("SELECT count(*) FROM outcome_packs WHERE run_id NOT IN (SELECT id FROM runs)"),
		  0, "and their programs and outcome packs");
	CHECK_INT(db_int("SELECT count(*) FROM programs"), 4, "the runs kept keep theirs");
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
	test_protocols();
	test_damaged_record();
	test_prune();
	test_damaged();
	test_readonly();
	test_locked();
	test_rootlock();
	test_probe();
	cleanup_tmpdir();
	return tap_done();
}

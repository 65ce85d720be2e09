/*
 * journal.c — the run journal in SQLite (protocol in journal.h, schema and
 * migrations in schema/journal.sql, embedded below byte for byte).
 *
 * Durability settings, chosen by measurement (tests/bench/journal-bench.c,
 * tmpfs, figures in the README): the journal has to survive the death of
 * the process at any instruction — SIGKILL, OOM — but not a power cut,
 * since the mount table it describes does not survive one either.  For
 * that, no fsync is needed: a write(2) that returned is in the page cache
 * and outlives the process.  What is needed is that SQLite never leaves a
 * half-written transaction it cannot undo, which rules out
 * journal_mode=OFF and MEMORY; WAL and DELETE/TRUNCATE both qualify.
 * Measured (CPU time, tmpfs, a run of 1000 bind mounts = 2001 steps, on a
 * shared 2-core machine): a step's intent row 0.7 us and its outcome row
 * 0.5 us in every mode and synchronous setting; a small commit 30 us in
 * WAL against 60-80 us in DELETE and 55-65 us in TRUNCATE; opening 220 us
 * in WAL against 135 us in DELETE.  Since protocol v4 (journal.h) a run
 * writes its program as one blob and rows only for the steps with
 * something to say, so the mode is chosen by the commit and the open.
 *   - journal_mode=WAL: the cheapest commit (a run makes two), and readers
 *     (status, show, verify, the re-apply check) never block the writer of
 *     another root, nor it them: sixteen roots are applied in parallel.
 *     Its dearer open is what that costs.
 *   - synchronous=NORMAL: in WAL mode it syncs only at checkpoints, so a
 *     commit costs the same as OFF (measured equal); it keeps the database
 *     consistent across a power cut too, for free.
 *   - locking_mode=NORMAL: EXCLUSIVE would save the shared-memory wal-index
 *     on open but hold the file for the whole run, serialising every root.
 * Every statement that runs once per step is prepared once per connection
 * and reset between steps.  No per-step commit: the kernel tells recovery
 * how far a run got (recover.c).  The two transactions of a run are as
 * atomic as before: the program, the intents, the outcome pack and the
 * outcome rows are rows like any other, written inside them, so a process
 * killed at any instruction leaves a run either with all of its intent or
 * none (not begun), and the outcomes of one finish or of the one before.
 *
 * Reading: a run with a `programs` row (protocol v4) is decoded from its
 * program, loaded and verified like a .mpb file on disk (the journal is a
 * file anyone with root can edit), with the intents, the pack and the
 * outcome rows laid over it (journal_get_steps_program); a run without
 * one was recorded by an older mrun and is read from its `steps` rows
 * (journal_get_steps_rows).  A damaged record is an error naming the
 * journal and the run, never a crash and never a guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "journal.h"

/*
 * schema/journal.sql, embedded by the assembler: one source for the
 * documentation and the code, no generator.  build.ninja lists the file as
 * an implicit input of journal.o, so editing it rebuilds.
 */
__asm__(".pushsection .rodata\n"
	".balign 1\n"
	"journal_schema_sql:\n"
	".incbin \"schema/journal.sql\"\n"
	".byte 0\n"
	".popsection\n");
extern const char journal_schema_sql[];

#define JOURNAL_APPLICATION_ID 0x4d504a31 /* "MPJ1" */
#define JOURNAL_MIGRATION_MARK "\n-- @migration "

struct journal {
	sqlite3 *db;
	char *path;
	bool readonly;
	int version;            /* schema version: a read-only open of an older journal is not migrated */
	int busy_ms;
	/* prepared once per connection, reset between uses: one row, and JOURNAL_BATCH rows */
	sqlite3_stmt *ins_outcome, *ins_outcomes;
};

static const char *journal_tune_mode = "WAL";
static const char *journal_tune_sync = "NORMAL";

void journal_set_tuning(const char *journal_mode, const char *synchronous)
{
	journal_tune_mode = journal_mode;
	journal_tune_sync = synchronous;
}

static const char *const run_state_names[RUN__COUNT] = {
#define JOURNAL_STATE_NAME(e, s) [e] = s,
	JOURNAL_RUN_STATES(JOURNAL_STATE_NAME)
#undef JOURNAL_STATE_NAME
};

const char *run_state_name(enum run_state s)
{
	return (unsigned)s < RUN__COUNT ? run_state_names[s] : "?";
}

int run_state_parse(const char *s, enum run_state *ret)
{
	for (int i = 0; i < RUN__COUNT; i++)
		if (strcmp(s, run_state_names[i]) == 0) {
			*ret = (enum run_state)i;
			return 0;
		}
	return -EINVAL;
}

static enum step_status journal_status_parse(const char *s)
{
	for (int i = STEP_PENDING; i <= STEP_UNDO_FAILED; i++)
		if (s && strcmp(s, step_status_name((enum step_status)i)) == 0)
			return (enum step_status)i;
	return STEP_PENDING;
}

static bool kind_is_string(enum opnd_kind k)
{
	return k == K_STR || k == K_PATH || k == K_SRC || k == K_MAP;
}

static int64_t journal_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Turn an SQLite result into the errno contract with a message that says
 * what is wrong with the file and what to do, never just "error 11".
 */
static int journal_fail(struct journal *j, int rc, struct mp_error *err, const char *what)
{
	const char *msg = j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return error_set(err, EBUSY, "journal %s: %s: locked by another process for more than %d ms (%s)",
				 j->path, what, j->busy_ms, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return error_set(err, EUCLEAN,
				 "journal %s: %s: the file is corrupt or not a database (%s); move it aside to start a new journal",
				 j->path, what, msg);
	case SQLITE_READONLY:
		return error_set(err, EROFS, "journal %s: %s: read-only (%s)", j->path, what, msg);
	case SQLITE_FULL:
		return error_set(err, ENOSPC, "journal %s: %s: %s", j->path, what, msg);
	case SQLITE_CANTOPEN: {
		int e = j->db ? sqlite3_system_errno(j->db) : 0;

		return error_set(err, e ? e : EACCES, "journal %s: %s: cannot open (%s%s%s)", j->path, what, msg,
				 e ? ": " : "", e ? strerror(e) : "");
	}
	default: {
		/* SQLITE_IOERR hides the OS error (ENOSPC on a full tmpfs shows up
		 * as "disk I/O error"): name it when SQLite kept it */
		int e = j->db ? sqlite3_system_errno(j->db) : 0;

		if (e)
			return error_set(err, e, "journal %s: %s: %s: %s", j->path, what, msg, strerror(e));
		return error_set(err, EIO, "journal %s: %s: %s", j->path, what, msg);
	}
	}
}

static int journal_exec(struct journal *j, const char *sql, struct mp_error *err)
{
	int rc = sqlite3_exec(j->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : journal_fail(j, rc, err, sql);
}

/* A single integer from a statement such as a PRAGMA. */
static int journal_int(struct journal *j, const char *sql, int64_t *ret, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*ret = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			*ret = 0;
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : journal_fail(j, rc, err, sql);
}

static void journal_rollback_quietly(struct journal *j)
{
	if (!sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Migration n of the embedded SQL: [*ret_sql, +*ret_len), or -ENOENT. */
static int journal_migration(int n, const char **ret_sql, size_t *ret_len)
{
	char mark[48];
	const char *start, *end;

	snprintf(mark, sizeof(mark), JOURNAL_MIGRATION_MARK "%d\n", n);
	start = strstr(journal_schema_sql, mark);
	if (!start)
		return -ENOENT;
	start += strlen(mark);
	end = strstr(start, JOURNAL_MIGRATION_MARK);
	*ret_sql = start;
	*ret_len = end ? (size_t)(end - start) : strlen(start);
	return 0;
}

int journal_schema_latest(void)
{
	const char *sql;
	size_t len;
	int n = 0;

	while (journal_migration(n + 1, &sql, &len) == 0)
		n++;
	return n;
}

int journal_schema_version(struct journal *j, int *ret, struct mp_error *err)
{
	int64_t v = 0;
	int r = journal_int(j, "PRAGMA user_version", &v, err);

	if (r < 0)
		return r;
	*ret = (int)v;
	return 0;
}

/*
 * Bring the schema from its version to the newest, each migration in its
 * own transaction with its schema_version row, so a process killed half
 * way leaves a database at some complete version.  The version is re-read
 * under the write lock: two first runs racing migrate once.
 */
static int journal_migrate(struct journal *j, struct mp_error *err)
{
	int latest = journal_schema_latest(), version, r;

	for (;;) {
		_cleanup_free_ char *sql = NULL;
		const char *chunk;
		size_t len;
		char tail[160];

		r = journal_exec(j, "BEGIN IMMEDIATE", err);
		if (r < 0)
			return error_wrap(err, "migrating the schema");
		r = journal_schema_version(j, &version, err);
		if (r < 0)
			goto fail;
		if (version >= latest) {
			journal_rollback_quietly(j);
			return 0;
		}
		if (journal_migration(version + 1, &chunk, &len) < 0) {
			r = error_set(err, EIO, "journal %s: migration %d missing from this build", j->path, version + 1);
			goto fail;
		}
		snprintf(tail, sizeof(tail),
			 ";\nINSERT INTO schema_version (version, applied_ns) VALUES (%d, %lld);\n"
			 "PRAGMA user_version = %d;\nPRAGMA application_id = %d;\n",
			 version + 1, (long long)journal_now_ns(), version + 1, JOURNAL_APPLICATION_ID);
		sql = malloc(len + strlen(tail) + 1);
		if (!sql) {
			r = error_set(err, ENOMEM, "journal: out of memory");
			goto fail;
		}
		memcpy(sql, chunk, len);
		strcpy(sql + len, tail);
		r = journal_exec(j, sql, err);
		if (r < 0) {
			error_wrap(err, "migration %d", version + 1);
			goto fail;
		}
		r = journal_exec(j, "COMMIT", err);
		if (r < 0)
			goto fail;
	}
fail:
	journal_rollback_quietly(j);
	return r;
}

/*
 * Is this a database mountplan may use, and does it need initialising?
 * One statement, so one read snapshot: a first open migrating the schema
 * in another process is seen before or after, never half way.  Reading the
 * header fields and the schema table touches page 1 and the schema pages,
 * which is where a garbage or truncated file shows (SQLITE_NOTADB /
 * SQLITE_CORRUPT).  *ret_ready: at the newest version and in the chosen
 * journal mode already.
 */
static int journal_identify(struct journal *j, bool *ret_ready, struct mp_error *err)
{
	static const char sql[] =
		"SELECT (SELECT application_id FROM pragma_application_id),"
		" (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master),"
		" (SELECT journal_mode FROM pragma_journal_mode)";
	int64_t app = 0, version = 0, tables = 0;
	char mode[16] = "";
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *m = sqlite3_column_text(st, 3);

		app = sqlite3_column_int64(st, 0);
		version = sqlite3_column_int64(st, 1);
		tables = sqlite3_column_int64(st, 2);
		snprintf(mode, sizeof(mode), "%s", m ? (const char *)m : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return journal_fail(j, rc, err, "reading the header");
	if (app != 0 && app != JOURNAL_APPLICATION_ID)
		return error_set(err, EPROTO, "journal %s: not a mountplan journal (application_id 0x%llx)", j->path,
				 (unsigned long long)app);
	if (app == 0 && tables > 0)
		return error_set(err, EPROTO, "journal %s: not a mountplan journal (a SQLite database with %lld other tables)",
				 j->path, (long long)tables);
	if (version > journal_schema_latest())
		return error_set(err, EPROTO, "journal %s: schema version %lld is newer than this mrun knows (%d)", j->path,
				 (long long)version, journal_schema_latest());
	if (version < journal_schema_latest() && j->readonly && version == 0)
		return error_set(err, ENOENT, "journal %s: empty (no run recorded yet)", j->path);
	*ret_ready = version == journal_schema_latest() && strcasecmp(mode, journal_tune_mode) == 0;
	j->version = (int)version;
	return 0;
}

/*
 * First opens (a new file, an older schema) set the journal mode and
 * migrate under an flock(2) of the database file, so that concurrent first
 * runs do it one after the other: switching to WAL needs the database to
 * itself, and SQLite answers a second switcher SQLITE_BUSY at once instead
 * of waiting.  SQLite's own locks are fcntl locks, which flock does not
 * touch.  Waits up to the busy timeout.
 */
static int journal_init_lock(struct journal *j, int *ret_fd, struct mp_error *err)
{
	_cleanup_close_ int fd = open(j->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	struct timespec ts;
	int64_t deadline;

	if (fd < 0)
		return error_set_errno(err, errno, "journal %s", j->path);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + j->busy_ms;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return error_set_errno(err, errno, "journal %s: flock", j->path);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec * 1000 + ts.tv_nsec / 1000000 >= deadline)
			return error_set(err, EBUSY, "journal %s: locked by another process for more than %d ms (initialising)",
					 j->path, j->busy_ms);
		usleep(2000);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int journal_prepare_schema(struct journal *j, struct mp_error *err)
{
	_cleanup_close_ int lock = -1;
	char pragma[96];
	bool ready = false;
	int r;

	r = journal_identify(j, &ready, err);
	if (r < 0 || j->readonly)
		return r;
	if (!ready) {
		r = journal_init_lock(j, &lock, err);
		if (r == 0)
			r = journal_identify(j, &ready, err); /* someone may have done it meanwhile */
		if (r == 0 && !ready) {
			snprintf(pragma, sizeof(pragma), "PRAGMA journal_mode = %s", journal_tune_mode);
			r = journal_exec(j, pragma, err);
			if (r == 0)
				r = journal_migrate(j, err);
			if (r == 0)
				j->version = journal_schema_latest(); /* the readers pick their SQL by it */
		}
		if (r < 0)
			return r;
	}
	/* per connection */
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %s", journal_tune_sync);
	return journal_exec(j, pragma, err);
}

static uint32_t journal_be(const uint8_t *p, int n)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * A file cut short (a copy that stopped, a full disk) reads fine until the
 * first missing page is touched, perhaps in the middle of a run.  The
 * header says how long the file must be: its page size (offset 16) times
 * the page count at offset 28, which SQLite trusts when the change counter
 * (24) matches the version-valid-for number (92).  One pread, at open.
 */
static int journal_check_length(const char *path, struct mp_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t h[100];
	struct stat st;
	uint64_t page, pages;

	char wal[4200];
	struct stat wst;

	if (fd < 0 || fstat(fd, &st) < 0)
		return 0; /* not there yet, or unreadable: sqlite3_open_v2 says which */
	/*
	 * With a write-ahead log beside it the file may be shorter than its
	 * header says: a checkpoint that ran out of space wrote page 1 but not
	 * the pages after, which the log still holds.  SQLite reads them there.
	 */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &wst) == 0 && wst.st_size > 0)
		return 0;
	if (st.st_size == 0)
		return 0; /* a new, empty database */
	if (st.st_size < (off_t)sizeof(h) || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return error_set(err, EUCLEAN, "journal %s: truncated to %lld bytes, shorter than a database header; "
				 "move it aside to start a new journal", path, (long long)st.st_size);
	if (memcmp(h, "SQLite format 3", 16) != 0)
		return 0; /* not SQLite at all: journal_identify says so */
	page = journal_be(h + 16, 2);
	if (page == 1)
		page = 65536;
	pages = journal_be(h + 28, 4);
	if (journal_be(h + 24, 4) == journal_be(h + 92, 4) && (uint64_t)st.st_size < page * pages)
		return error_set(err, EUCLEAN,
				 "journal %s: truncated: %lld bytes, its header says %llu pages of %llu bytes; "
				 "move it aside to start a new journal",
				 path, (long long)st.st_size, (unsigned long long)pages, (unsigned long long)page);
	return 0;
}

/*
 * A step's numeric operands as a JSON array, for `mrun show --json`: null
 * for string operands (their text is in path / src), unused slots left
 * out.  Only numbers are printed: nothing to escape.
 */
#define JOURNAL_OPERANDS_JSON (MP_NOPERANDS * 12 + 4)
static void journal_operands_json(enum op op, const uint32_t o[MP_NOPERANDS], char buf[JOURNAL_OPERANDS_JSON])
{
	size_t len = 0;

	buf[len++] = '[';
	for (int k = 0; k < MP_NOPERANDS; k++) {
		enum opnd_kind kind = op_operand_kind(op, k);

		if (kind == K_NONE)
			break;
		if (kind_is_string(kind))
			len += (size_t)snprintf(buf + len, JOURNAL_OPERANDS_JSON - len, "%snull", k ? "," : "");
		else
			len += (size_t)snprintf(buf + len, JOURNAL_OPERANDS_JSON - len, "%s%u", k ? "," : "", o[k]);
	}
	buf[len++] = ']';
	buf[len] = '\0';
}

static int journal_mkdir_parent(const char *path, struct mp_error *err)
{
	_cleanup_free_ char *copy = strdup(path);
	const char *dir;

	if (!copy)
		return error_set(err, ENOMEM, "journal: out of memory");
	dir = dirname(copy);
	/* 0700: the journal names every root and image path of the host. */
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set_errno(err, errno, "journal %s: creating directory %s", path, dir);
	return 0;
}

int journal_open(const char *path, unsigned flags, int busy_timeout_ms, struct journal **ret,
		 struct mp_error *err)
{
	struct journal *j;
	int oflags, rc, r;
	struct stat st;

	if (!(flags & JOURNAL_CREATE) && stat(path, &st) < 0)
		return error_set_errno(err, errno, "journal %s", path);
	if ((flags & JOURNAL_CREATE) && (r = journal_mkdir_parent(path, err)) < 0)
		return r;
	r = journal_check_length(path, err);
	if (r < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(path))) {
		free(j);
		return error_set(err, ENOMEM, "journal: out of memory");
	}
	j->readonly = flags & JOURNAL_READONLY;
	j->busy_ms = busy_timeout_ms;
	oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
		 (j->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
		 ((flags & JOURNAL_CREATE) && !j->readonly ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &j->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		r = journal_fail(j, rc, err, "open");
		goto fail;
	}
	sqlite3_busy_timeout(j->db, busy_timeout_ms);
	/* A file we may not write opens read-only without a word: say so now, before any mount. */
	if (!j->readonly && sqlite3_db_readonly(j->db, "main") == 1) {
		r = error_set(err, EROFS, "journal %s: read-only file or directory, cannot record a run", path);
		goto fail;
	}
	r = journal_prepare_schema(j, err);
	if (r < 0)
		goto fail;
	*ret = j;
	return 0;
fail:
	journal_close(j);
	return r;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	sqlite3_finalize(j->ins_outcome);
	sqlite3_finalize(j->ins_outcomes);
	sqlite3_close_v2(j->db);
	free(j->path);
	free(j);
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

int journal_check(struct journal *j, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, "PRAGMA quick_check", -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(st, 0);

		if (!res || strcmp(res, "ok") != 0)
			r = error_set(err, EUCLEAN, "journal %s: damaged: %s", j->path, res ? res : "?");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_OK && rc != SQLITE_DONE)
		r = journal_fail(j, rc, err, "quick_check");
	return r;
}

/*
 * Rows go in JOURNAL_BATCH at a time, one INSERT of that many VALUES rows:
 * a statement's own cost (starting and halting the VDBE program) is paid
 * once per batch instead of once per step.  Measured with callgrind on a
 * run of 2001 steps: 10.9k -> 8.1k instructions per intent row, 8.9k ->
 * 5.9k per outcome row; batches of 16, 32 and 64 within 3% of each other,
 * 128 worse (a long statement to prepare, a long single-row tail).  Since
 * protocol v4 only the steps with something to say have a row at all.
 */
#define JOURNAL_BATCH 16
#define JOURNAL_OUTCOME_COLS 15

/*
 * The outcome pack and the intents blob (schema/journal.sql, migration 4):
 * a format byte, then records of LEB128 varints (at most 10 bytes each).
 * An outcome record is the status byte, the mount id, the duration in ns
 * (exec.c times every step) and the components created: fixed u64s made
 * the pack of 2001 steps 50 kB, varints about 16 kB.
 */
#define JOURNAL_PACK_FORMAT 1
#define JOURNAL_PACK_MAX_RECORD 31   /* status byte + 3 varints */
#define JOURNAL_INTENT_MAX_RECORD 70 /* 7 varints */
_Static_assert(STEP_PENDING == 0 && STEP_DONE == 1 && STEP_SKIPPED == 2 && STEP_FAILED == 3 && STEP_UNDONE == 4 &&
		       STEP_UNDO_FAILED == 5,
	       "the outcome pack stores enum step_status by number (journal.sql, migration 4)");

/* "HEAD VALUES (?, ...), (...)": rows rows of cols parameters, prepared once and kept in *st. */
static int journal_prepare_values(struct journal *j, sqlite3_stmt **st, const char *head, int cols, int rows,
				  struct mp_error *err)
{
	_cleanup_free_ char *sql = NULL;
	size_t len = strlen(head) + 16 + (size_t)rows * ((size_t)cols * 3 + 4), n;
	int rc;

	if (*st) {
		sqlite3_reset(*st); /* every parameter is bound again: no clear_bindings */
		return 0;
	}
	sql = malloc(len);
	if (!sql)
		return error_set(err, ENOMEM, "journal: out of memory");
	n = (size_t)snprintf(sql, len, "%s VALUES ", head);
	for (int r = 0; r < rows; r++) {
		n += (size_t)snprintf(sql + n, len - n, "%s(", r ? ", " : "");
		for (int c = 0; c < cols; c++)
			n += (size_t)snprintf(sql + n, len - n, "%s?", c ? "," : "");
		n += (size_t)snprintf(sql + n, len - n, ")");
	}
	rc = sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
	return rc == SQLITE_OK ? 0 : journal_fail(j, rc, err, "prepare");
}

static void journal_hex(char out[65], const uint8_t *sha)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = digits[sha[i] >> 4];
		out[2 * i + 1] = digits[sha[i] & 15];
	}
	out[64] = '\0';
}

/* MKDIR and MKPOINT make mount points: their default intent is "the path is there". */
static bool journal_op_existed_default(enum op op)
{
	return op == OP_MKDIR || op == OP_MKPOINT;
}

/* The default intent (journal.sql, migration 4): a step with it is left out of the intents blob. */
static bool journal_intent_is_default(enum op op, const struct step_state *s)
{
	return s->existed_before == journal_op_existed_default(op) && s->created_components == 0 &&
	       s->prior_attr == 0 && s->prior_propagation == 0 && s->backing_dev == 0 && s->backing_ino == 0;
}

static uint8_t *journal_put_varint(uint8_t *q, uint64_t v)
{
	do {
		*q++ = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return q;
}

/* A varint of at most 10 bytes inside [*q, end), or false. */
static bool journal_get_varint(const uint8_t **q, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;

	for (int shift = 0; *q < end && shift < 64; shift += 7) {
		uint8_t b = *(*q)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/*
 * The intents of the steps whose intent is not the default, as one blob
 * (journal.sql, migration 4): the format byte, then per such step seven
 * varints: its index minus the previous such step's index + 1 (the first:
 * its index), existed_before, would_create (at begin, created_components
 * holds it), prior_attr, prior_propagation, backing_dev, backing_ino.
 * malloc'd, *ret_len bytes.
 */
static uint8_t *journal_pack_intents(const struct program *p, const struct step_state *steps, size_t *ret_len)
{
	uint32_t n = p->hdr.n_insns, odd = 0, next = 0;
	uint8_t *b, *q;

	for (uint32_t i = 0; i < n; i++)
		odd += !journal_intent_is_default((enum op)p->insns[i].op, &steps[i]);
	b = malloc(1 + (size_t)odd * JOURNAL_INTENT_MAX_RECORD);
	if (!b)
		return NULL;
	b[0] = JOURNAL_PACK_FORMAT;
	q = b + 1;
	for (uint32_t i = 0; i < n; i++) {
		const struct step_state *s = &steps[i];

		if (journal_intent_is_default((enum op)p->insns[i].op, s))
			continue;
		q = journal_put_varint(q, i - next);
		q = journal_put_varint(q, s->existed_before);
		q = journal_put_varint(q, s->created_components);
		q = journal_put_varint(q, s->prior_attr);
		q = journal_put_varint(q, s->prior_propagation);
		q = journal_put_varint(q, s->backing_dev);
		q = journal_put_varint(q, s->backing_ino);
		next = i + 1;
	}
	*ret_len = (size_t)(q - b);
	return b;
}

/* One statement with up to two blob / int64 parameters, run to completion. */
static int journal_run_stmt(struct journal *j, const char *sql, int64_t a, const void *blob, size_t blob_len,
			    const char *what, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a);
		if (blob)
			sqlite3_bind_blob64(st, 2, blob, blob_len, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : journal_fail(j, rc, err, what);
}

int journal_begin_run(struct journal *j, const struct journal_run_info *info, const struct program *p,
		      const struct step_state *steps, int64_t *ret_run, struct mp_error *err)
{
	static const char ins_run[] =
		"INSERT INTO runs (state, plan_sha256, plan_file, bytecode, root, root_dev, root_ino, mntns_ino,"
		" boot_id, pid, pid_start, mnt_watermark, container_id, n_steps, started_ns, park_dir)"
		" VALUES ('running', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
	_cleanup_free_ uint8_t *intents = NULL;
	size_t intents_len = 0;
	sqlite3_stmt *st = NULL;
	char hex[65];
	int64_t run;
	int rc, r;

	/* the program is the record of every step: without its bytes there is nothing to store */
	if (!p->bytes || p->size == 0)
		return error_set(err, EINVAL, "journal %s: recording the run: the program's bytes are missing", j->path);
	r = journal_exec(j, "BEGIN IMMEDIATE", err);
	if (r < 0)
		return error_wrap(err, "recording the run");
	rc = sqlite3_prepare_v2(j->db, ins_run, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		journal_hex(hex, info->plan_sha256);
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, info->plan_file ? info->plan_file : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, info->bytecode, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, info->root, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (int64_t)info->root_dev);
		sqlite3_bind_int64(st, 6, (int64_t)info->root_ino);
		sqlite3_bind_int64(st, 7, (int64_t)info->facts.mntns_ino);
		sqlite3_bind_text(st, 8, info->facts.boot_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, info->facts.pid);
		sqlite3_bind_int64(st, 10, (int64_t)info->facts.pid_start);
		sqlite3_bind_int64(st, 11, (int64_t)info->facts.mnt_watermark);
		sqlite3_bind_text(st, 12, info->container_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 13, p->hdr.n_insns);
		sqlite3_bind_int64(st, 14, journal_now_ns());
		sqlite3_bind_text(st, 15, info->park_dir, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		r = journal_fail(j, rc, err, "recording the run");
		goto fail;
	}
	run = sqlite3_last_insert_rowid(j->db);
	intents = journal_pack_intents(p, steps, &intents_len);
	if (!intents) {
		r = error_set(err, ENOMEM, "journal: out of memory");
		goto fail;
	}
	rc = sqlite3_prepare_v2(j->db, "INSERT INTO programs (run_id, bytes, intents) VALUES (?1, ?2, ?3)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_blob64(st, 2, p->bytes, p->size, SQLITE_STATIC);
		sqlite3_bind_blob64(st, 3, intents, intents_len, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		r = journal_fail(j, rc, err, "recording the run's program");
		goto fail;
	}
	r = journal_exec(j, "COMMIT", err);
	if (r < 0)
		goto fail;
	*ret_run = run;
	return 0;
fail:
	journal_rollback_quietly(j);
	return r;
}

static int journal_update_run(struct journal *j, int64_t run, enum run_state state, int64_t failed_step,
			      const char *error, bool set_failed, struct mp_error *err)
{
	static const char sql[] =
		"UPDATE runs SET state = ?2, finished_ns = ?3, error = coalesce(?4, error),"
		" failed_step = CASE WHEN ?6 THEN ?5 ELSE failed_step END WHERE id = ?1";
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, run_state_name(state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, journal_now_ns());
		sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
		if (failed_step >= 0)
			sqlite3_bind_int64(st, 5, failed_step);
		sqlite3_bind_int(st, 6, set_failed);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return journal_fail(j, rc, err, "updating the run");
	if (sqlite3_changes(j->db) != 1)
		return error_set(err, ENOENT, "journal %s: no run %lld", j->path, (long long)run);
	return 0;
}

/*
 * What a step learnt only while running: the image inode of a LOOP_ATTACH,
 * the attributes / propagation a REMOUNT or PROPAGATE found on the mount
 * right before changing it (for a mount the run made itself, exec_prepare
 * could only see what was under it).  Only those steps learn anything.
 */
static bool journal_learnt(const struct step_state *s)
{
	return s->backing_ino || s->prior_attr || s->prior_propagation;
}

/* A reached step whose outcome is only what the pack holds (status, mount id, duration, created components). */
static bool journal_outcome_packs(const struct step_state *s)
{
	return !s->made_mount && s->loop_nr == -1 && !s->park_path && s->err == 0 && !s->error && !journal_learnt(s);
}

/* Does a reached step need a full `outcomes` row?  packed: a v4 run, whose pack holds the plain outcomes. */
static bool journal_outcome_row_wanted(const struct step_state *s, bool packed)
{
	/* a step not reached: no row says so */
	return s->status != STEP_PENDING && !(packed && journal_outcome_packs(s));
}

/* Bind one outcome row at parameters b+1 .. b+JOURNAL_OUTCOME_COLS, in the order of its INSERT. */
static void journal_bind_outcome(sqlite3_stmt *st, int b, int64_t run, uint32_t i, const struct step_state *s)
{
	sqlite3_bind_int64(st, b + 1, run);
	sqlite3_bind_int64(st, b + 2, i);
	sqlite3_bind_text(st, b + 3, step_status_name(s->status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, b + 4, s->created_components);
	sqlite3_bind_int(st, b + 5, s->made_mount);
	sqlite3_bind_int64(st, b + 6, (int64_t)s->mnt_id);
	sqlite3_bind_int(st, b + 7, s->loop_nr);
	sqlite3_bind_text(st, b + 8, s->park_path, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, b + 9, s->err);
	sqlite3_bind_text(st, b + 10, s->error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, b + 11, (int64_t)s->duration_ns);
	if (journal_learnt(s)) {
		sqlite3_bind_int64(st, b + 12, (int64_t)s->backing_dev);
		sqlite3_bind_int64(st, b + 13, (int64_t)s->backing_ino);
		sqlite3_bind_int64(st, b + 14, s->prior_attr);
		sqlite3_bind_int64(st, b + 15, s->prior_propagation);
	} else {
		for (int k = 12; k <= 15; k++)
			sqlite3_bind_null(st, b + k);
	}
}

/*
 * The full outcome rows of steps[0..n), JOURNAL_BATCH rows per statement
 * and what is left at the end one at a time.  The caller holds the
 * transaction.
 */
static int journal_insert_outcomes(struct journal *j, int64_t run, const struct step_state *steps, uint32_t n,
				   bool packed, struct mp_error *err)
{
	static const char ins_outcome[] =
		"INSERT INTO outcomes (run_id, idx, status, created, made_mount, mnt_id, loop_nr, park_path, err,"
		" error, duration_ns, backing_dev, backing_ino, prior_attr, prior_propagation)";
	uint32_t batch[JOURNAL_BATCH], nb = 0;

	for (uint32_t i = 0; i <= n; i++) {
		if (i < n && journal_outcome_row_wanted(&steps[i], packed))
			batch[nb++] = i;
		if (nb == 0 || (nb < JOURNAL_BATCH && i < n))
			continue;
		for (uint32_t k = 0; k < nb;) {
			uint32_t rows = nb - k == JOURNAL_BATCH ? JOURNAL_BATCH : 1;
			sqlite3_stmt **ins = rows == JOURNAL_BATCH ? &j->ins_outcomes : &j->ins_outcome;
			int rc, r;

			r = journal_prepare_values(j, ins, ins_outcome, JOURNAL_OUTCOME_COLS, (int)rows, err);
			if (r < 0)
				return r;
			for (uint32_t q = 0; q < rows; q++)
				journal_bind_outcome(*ins, (int)q * JOURNAL_OUTCOME_COLS, run, batch[k + q], &steps[batch[k + q]]);
			rc = sqlite3_step(*ins);
			if (rc != SQLITE_DONE)
				return journal_fail(j, rc, err, "recording a step's outcome");
			k += rows;
		}
		nb = 0;
	}
	return 0;
}

/* Does the run have a program (protocol v4)?  Then its outcomes are packed. */
static int journal_run_has_program(struct journal *j, int64_t run, bool *ret, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = j->version >= 4 ? sqlite3_prepare_v2(j->db, "SELECT 1 FROM programs WHERE run_id = ?1", -1, &st, NULL)
				 : SQLITE_OK;

	*ret = false;
	if (rc == SQLITE_OK && st) {
		sqlite3_bind_int64(st, 1, run);
		rc = sqlite3_step(st);
		*ret = rc == SQLITE_ROW;
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : journal_fail(j, rc, err, "reading the run's program");
}

/* The pack of steps[0..n): status, mount id, duration, created components each; malloc'd, *ret_len bytes. */
static uint8_t *journal_pack_outcomes(const struct step_state *steps, uint32_t n, size_t *ret_len)
{
	uint8_t *b = malloc(1 + (size_t)n * JOURNAL_PACK_MAX_RECORD), *q;

	if (!b)
		return NULL;
	b[0] = JOURNAL_PACK_FORMAT;
	q = b + 1;
	for (uint32_t i = 0; i < n; i++) {
		bool reached = steps[i].status != STEP_PENDING; /* a pending step has no outcome to tell */

		*q++ = (uint8_t)steps[i].status;
		q = journal_put_varint(q, reached ? steps[i].mnt_id : 0);
		q = journal_put_varint(q, reached ? steps[i].duration_ns : 0);
		q = journal_put_varint(q, reached ? steps[i].created_components : 0);
	}
	*ret_len = (size_t)(q - b);
	return b;
}

int journal_finish_run(struct journal *j, int64_t run, enum run_state state, const struct step_state *steps,
		       uint32_t n, int64_t failed_step, const char *error, struct mp_error *err)
{
	_cleanup_free_ uint8_t *pack = NULL;
	bool packed = false;
	size_t pack_len = 0;
	int r;

	r = journal_exec(j, "BEGIN IMMEDIATE", err);
	if (r < 0)
		return error_wrap(err, "recording the end of run %lld", (long long)run);
	r = journal_update_run(j, run, state, failed_step, error, failed_step >= 0, err);
	if (r == 0)
		r = journal_run_has_program(j, run, &packed, err);
	if (r < 0)
		goto fail;
	/*
	 * These outcomes replace whatever an earlier finish wrote (apply, then
	 * rollback or recover): a row of a step that is now plain or pending
	 * must not survive to override the new pack.
	 */
	r = journal_run_stmt(j, "DELETE FROM outcomes WHERE run_id = ?1", run, NULL, 0, "replacing the outcomes", err);
	if (r < 0)
		goto fail;
	if (packed) {
		pack = journal_pack_outcomes(steps, n, &pack_len);
		if (!pack) {
			r = error_set(err, ENOMEM, "journal: out of memory");
			goto fail;
		}
		r = journal_run_stmt(j, "INSERT OR REPLACE INTO outcome_packs (run_id, packed) VALUES (?1, ?2)", run, pack,
				     pack_len, "recording the outcomes", err);
		if (r < 0)
			goto fail;
	}
	r = journal_insert_outcomes(j, run, steps, n, packed, err);
	if (r < 0)
		goto fail;
	r = journal_exec(j, "COMMIT", err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	journal_rollback_quietly(j);
	return r;
}

int journal_mark(struct journal *j, int64_t run, enum run_state state, const char *error, struct mp_error *err)
{
	return journal_update_run(j, run, state, -1, error, false, err);
}

static char *journal_col_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

void journal_run_free(struct journal_run *r)
{
	free(r->plan_file);
	free(r->bytecode);
	free(r->root);
	free(r->container_id);
	free(r->error);
	free(r->park_dir);
	memset(r, 0, sizeof(*r));
}

/* The columns of a run; PARK_DIR is "park_dir", or "NULL" for a journal older than migration 2. */
#define JOURNAL_RUN_COLUMNS(PARK_DIR) \
	"id, state, plan_sha256, plan_file, bytecode, root, root_dev, root_ino, mntns_ino, boot_id, pid," \
	" pid_start, mnt_watermark, container_id, n_steps, started_ns, coalesce(finished_ns, 0)," \
	" coalesce(failed_step, -1), error, " PARK_DIR
#define JOURNAL_V(j, new_sql, old_sql) ((j)->version >= 2 ? (new_sql) : (old_sql))

static void journal_read_run_row(sqlite3_stmt *st, struct journal_run *r)
{
	const char *state = (const char *)sqlite3_column_text(st, 1);
	const char *sha = (const char *)sqlite3_column_text(st, 2);
	const char *boot = (const char *)sqlite3_column_text(st, 9);

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	if (!state || run_state_parse(state, &r->state) < 0)
		r->state = RUN_FAILED;
	snprintf(r->plan_sha256, sizeof(r->plan_sha256), "%s", sha ? sha : "");
	r->plan_file = journal_col_strdup(st, 3);
	r->bytecode = journal_col_strdup(st, 4);
	r->root = journal_col_strdup(st, 5);
	r->root_dev = (uint64_t)sqlite3_column_int64(st, 6);
	r->root_ino = (uint64_t)sqlite3_column_int64(st, 7);
	r->facts.mntns_ino = (uint64_t)sqlite3_column_int64(st, 8);
	snprintf(r->facts.boot_id, sizeof(r->facts.boot_id), "%s", boot ? boot : "");
	r->facts.pid = (pid_t)sqlite3_column_int64(st, 10);
	r->facts.pid_start = (uint64_t)sqlite3_column_int64(st, 11);
	r->facts.mnt_watermark = (uint64_t)sqlite3_column_int64(st, 12);
	r->container_id = journal_col_strdup(st, 13);
	r->n_steps = (uint32_t)sqlite3_column_int64(st, 14);
	r->started_ns = sqlite3_column_int64(st, 15);
	r->finished_ns = sqlite3_column_int64(st, 16);
	r->failed_step = sqlite3_column_int64(st, 17);
	r->error = journal_col_strdup(st, 18);
	r->park_dir = journal_col_strdup(st, 19);
}

int journal_get_run(struct journal *j, int64_t run, struct journal_run *ret, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db,
				    JOURNAL_V(j, "SELECT " JOURNAL_RUN_COLUMNS("park_dir") " FROM runs WHERE id = ?1",
					      "SELECT " JOURNAL_RUN_COLUMNS("NULL") " FROM runs WHERE id = ?1"),
				    -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			journal_read_run_row(st, ret);
		else if (rc == SQLITE_DONE)
			r = error_set(err, ENOENT, "journal %s: no run %lld", j->path, (long long)run);
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_ROW)
		r = journal_fail(j, rc, err, "reading a run");
	return r;
}

int journal_list_runs(struct journal *j, enum run_state state, unsigned limit,
		      int (*fn)(const struct journal_run *r, void *ud), void *ud, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db,
				    JOURNAL_V(j,
					      "SELECT " JOURNAL_RUN_COLUMNS("park_dir") " FROM runs WHERE ?1 IS NULL OR state = ?1"
					      " ORDER BY id DESC LIMIT ?2",
					      "SELECT " JOURNAL_RUN_COLUMNS("NULL") " FROM runs WHERE ?1 IS NULL OR state = ?1"
					      " ORDER BY id DESC LIMIT ?2"),
				    -1, &st, NULL);
	int r = 0;

	if (rc != SQLITE_OK)
		return journal_fail(j, rc, err, "listing runs");
	if (state != RUN__COUNT)
		sqlite3_bind_text(st, 1, run_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_run run;

		journal_read_run_row(st, &run);
		r = fn(&run, ud);
		journal_run_free(&run);
		if (r != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = journal_fail(j, rc, err, "listing runs");
	return r;
}

int journal_last_run_on_root(struct journal *j, uint64_t dev, uint64_t ino, enum run_state state, int64_t *ret,
			     struct mp_error *err)
{
	return journal_last_run_on_root_path(j, dev, ino, NULL, state, ret, err);
}

int journal_last_run_on_root_path(struct journal *j, uint64_t dev, uint64_t ino, const char *path,
				  enum run_state state, int64_t *ret, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db,
				    "SELECT id FROM runs WHERE ((root_dev = ?1 AND root_ino = ?2) OR root = ?4)"
				    " AND (?3 IS NULL OR state = ?3) ORDER BY id DESC LIMIT 1",
				    -1, &st, NULL);
	int r = 0;

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (int64_t)dev);
		sqlite3_bind_int64(st, 2, (int64_t)ino);
		sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
		if (state != RUN__COUNT)
			sqlite3_bind_text(st, 3, run_state_name(state), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*ret = sqlite3_column_int64(st, 0);
		else if (rc == SQLITE_DONE)
			r = -ENOENT;
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_ROW)
		r = journal_fail(j, rc, err, "finding the last run on a root");
	return r;
}

void journal_steps_free(struct journal_step *s, uint32_t n)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < n; i++) {
		free(s[i].path);
		free(s[i].src);
		free(s[i].st.error);
		free(s[i].st.park_path);
	}
	free(s);
}

/*
 * An outcome's columns from `col` on, in this order: status, created,
 * made_mount, mnt_id, loop_nr, park_path, err, error, duration_ns (the
 * same in step_view and in outcomes).
 */
static void journal_read_outcome(sqlite3_stmt *st, int col, struct step_state *s)
{
	s->status = journal_status_parse((const char *)sqlite3_column_text(st, col));
	s->created_components = (uint32_t)sqlite3_column_int64(st, col + 1);
	s->made_mount = sqlite3_column_int(st, col + 2);
	s->mnt_id = (uint64_t)sqlite3_column_int64(st, col + 3);
	s->loop_nr = sqlite3_column_int(st, col + 4);
	free(s->park_path);
	s->park_path = journal_col_strdup(st, col + 5);
	s->err = sqlite3_column_int(st, col + 6);
	free(s->error);
	s->error = journal_col_strdup(st, col + 7);
	s->duration_ns = (uint64_t)sqlite3_column_int64(st, col + 8);
}

/*
 * Steps of a run recorded before protocol v4: a `steps` row per
 * instruction, joined with its outcome in step_view.
 */
static int journal_get_steps_rows(struct journal *j, int64_t run, struct journal_step **ret, uint32_t *ret_n,
				  struct mp_error *err)
{
	static const char sql[] =
		"SELECT idx, opcode, flags, entry, line, col, path, src, operands,"
		" existed_before, would_create, prior_attr, prior_propagation, backing_dev, backing_ino,"
		" status, created, made_mount, mnt_id, loop_nr, park_path, err, error, duration_ns"
		" FROM step_view WHERE run_id = ?1 ORDER BY idx";
	struct journal_step *v = NULL;
	uint32_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return journal_fail(j, rc, err, "reading steps");
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_step *s;

		if (n == cap) {
			struct journal_step *nv;

			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				journal_steps_free(v, n);
				sqlite3_finalize(st);
				return error_set(err, ENOMEM, "journal: out of memory");
			}
			v = nv;
		}
		s = &v[n++];
		memset(s, 0, sizeof(*s));
		s->index = (uint32_t)sqlite3_column_int64(st, 0);
		s->op = (enum op)sqlite3_column_int(st, 1);
		s->flags = (uint32_t)sqlite3_column_int64(st, 2);
		s->entry = (uint32_t)sqlite3_column_int64(st, 3);
		s->line = (uint32_t)sqlite3_column_int64(st, 4);
		s->col = (uint32_t)sqlite3_column_int64(st, 5);
		s->path = journal_col_strdup(st, 6);
		s->src = journal_col_strdup(st, 7);
		if (sqlite3_column_bytes(st, 8) == (int)sizeof(s->operand))
			memcpy(s->operand, sqlite3_column_blob(st, 8), sizeof(s->operand));
		for (int k = 0; k < MP_NOPERANDS; k++)
			if (kind_is_string(op_operand_kind(s->op, k)))
				s->operand[k] = 0; /* an offset into a string table the journal does not keep */
		s->st.existed_before = sqlite3_column_int(st, 9);
		s->would_create = (uint32_t)sqlite3_column_int64(st, 10);
		s->st.prior_attr = (uint32_t)sqlite3_column_int64(st, 11);
		s->st.prior_propagation = (uint32_t)sqlite3_column_int64(st, 12);
		s->st.backing_dev = (uint64_t)sqlite3_column_int64(st, 13);
		s->st.backing_ino = (uint64_t)sqlite3_column_int64(st, 14);
		journal_read_outcome(st, 15, &s->st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		journal_steps_free(v, n);
		return journal_fail(j, rc, err, "reading steps");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* A v4 run's record does not hold together: refuse it, naming the journal and the run. */
static int journal_damaged(struct journal *j, int64_t run, struct mp_error *err, const char *what, const char *why)
{
	return error_set(err, EUCLEAN, "journal %s: run %lld: %s is damaged: %s", j->path, (long long)run, what, why);
}

/* A statement over one run's rows of a v4 table; NULL after an error (set). */
static sqlite3_stmt *journal_select_run(struct journal *j, int64_t run, const char *sql, struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		journal_fail(j, rc, err, "reading steps");
		return NULL;
	}
	sqlite3_bind_int64(st, 1, run);
	return st;
}

/*
 * The instructions of a verified program as steps, with the default intent
 * and no outcome: path and src are the first PATH and SRC operands (the
 * root's "/" for ROOT_BIND), as `steps` rows held them; a string operand's
 * offset reads 0, being no number.  One op_operand_kind per slot: it is
 * the reader's hottest call.
 */
static int journal_steps_of_program(const struct program *p, struct journal_step *v, struct mp_error *err)
{
	for (uint32_t i = 0; i < p->hdr.n_insns; i++) {
		const struct mp_insn *in = &p->insns[i];
		struct journal_step *s = &v[i];
		const char *path = in->op == OP_ROOT_BIND ? "/" : NULL, *src = NULL;

		s->index = i;
		s->op = (enum op)in->op;
		s->flags = in->flags;
		s->entry = p->debug[i].entry;
		s->line = p->debug[i].line;
		s->col = p->debug[i].col;
		for (int k = 0; k < MP_NOPERANDS; k++) {
			enum opnd_kind kind = op_operand_kind(s->op, k);

			if (kind == K_PATH && !path)
				path = program_str(p, in->o[k]);
			else if (kind == K_SRC && !src)
				src = program_str(p, in->o[k]);
			s->operand[k] = kind_is_string(kind) ? 0 : in->o[k];
		}
		if ((path && !(s->path = strdup(path))) || (src && !(s->src = strdup(src))))
			return error_set(err, ENOMEM, "journal: out of memory");
		s->st.existed_before = journal_op_existed_default(s->op);
		s->st.loop_nr = -1;
	}
	return 0;
}

/* The intents blob (the steps whose intent is not the default) over v[0..n). */
static int journal_unpack_intents(struct journal *j, int64_t run, const uint8_t *q, size_t len, struct journal_step *v,
				  uint32_t n, struct mp_error *err)
{
	const uint8_t *end = q ? q + len : NULL;
	uint64_t next = 0;

	if (!q || *q++ != JOURNAL_PACK_FORMAT)
		return journal_damaged(j, run, err, "its intent blob", "not a blob of intents (format)");
	while (q < end) {
		uint64_t f[7];
		struct journal_step *s;

		for (int k = 0; k < 7; k++)
			if (!journal_get_varint(&q, end, &f[k]))
				return journal_damaged(j, run, err, "its intent blob", "a step cut short");
		if (f[0] >= n || next + f[0] >= n)
			return journal_damaged(j, run, err, "its intent blob", "a step the program does not have");
		s = &v[next + f[0]];
		next += f[0] + 1;
		s->st.existed_before = f[1] != 0;
		s->would_create = (uint32_t)f[2];
		s->st.prior_attr = (uint32_t)f[3];
		s->st.prior_propagation = (uint32_t)f[4];
		s->st.backing_dev = f[5];
		s->st.backing_ino = f[6];
	}
	return 0;
}

/* The outcome pack (status, mount id, duration, created components of every step), if the run has one. */
static int journal_read_pack(struct journal *j, int64_t run, struct journal_step *v, uint32_t n, struct mp_error *err)
{
	sqlite3_stmt *st = journal_select_run(j, run, "SELECT packed FROM outcome_packs WHERE run_id = ?1", err);
	int rc, r = 0;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const uint8_t *q = sqlite3_column_blob(st, 0);
		const uint8_t *end = q ? q + sqlite3_column_bytes(st, 0) : NULL;

		if (!q || *q++ != JOURNAL_PACK_FORMAT)
			r = journal_damaged(j, run, err, "its outcome pack", "not a pack of outcomes (format)");
		for (uint32_t i = 0; r == 0 && q < end; i++) {
			struct step_state *s = &v[i < n ? i : 0].st;
			uint8_t status = *q++;
			uint64_t created;

			if (i >= n)
				r = journal_damaged(j, run, err, "its outcome pack", "more steps than the program has");
			else if (status > STEP_UNDO_FAILED)
				r = journal_damaged(j, run, err, "its outcome pack", "an unknown step status");
			else if (!journal_get_varint(&q, end, &s->mnt_id) || !journal_get_varint(&q, end, &s->duration_ns) ||
				 !journal_get_varint(&q, end, &created))
				r = journal_damaged(j, run, err, "its outcome pack", "a step cut short");
			else {
				s->status = (enum step_status)status;
				s->created_components = (uint32_t)created;
			}
		}
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = journal_fail(j, rc, err, "reading outcomes");
	return r;
}

/* The full outcome rows: each overrides the pack for its step, its learnt columns the intent. */
static int journal_read_outcome_rows(struct journal *j, int64_t run, struct journal_step *v, uint32_t n,
				     struct mp_error *err)
{
	sqlite3_stmt *st = journal_select_run(j, run,
					      "SELECT idx, status, created, made_mount, mnt_id, loop_nr, park_path, err, error,"
					      " duration_ns, backing_dev, backing_ino, prior_attr, prior_propagation"
					      " FROM outcomes WHERE run_id = ?1",
					      err);
	int rc, r = 0;

	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(st, 0);
		struct step_state *s;

		if (i < 0 || i >= n) {
			r = journal_damaged(j, run, err, "an outcome row", "a row for a step the program does not have");
			break;
		}
		s = &v[i].st;
		journal_read_outcome(st, 1, s);
		if (sqlite3_column_type(st, 10) != SQLITE_NULL)
			s->backing_dev = (uint64_t)sqlite3_column_int64(st, 10);
		if (sqlite3_column_type(st, 11) != SQLITE_NULL)
			s->backing_ino = (uint64_t)sqlite3_column_int64(st, 11);
		if (sqlite3_column_type(st, 12) != SQLITE_NULL)
			s->prior_attr = (uint32_t)sqlite3_column_int64(st, 12);
		if (sqlite3_column_type(st, 13) != SQLITE_NULL)
			s->prior_propagation = (uint32_t)sqlite3_column_int64(st, 13);
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_DONE)
		r = journal_fail(j, rc, err, "reading outcomes");
	return r;
}

/*
 * Steps of a run recorded by protocol v4, from its `programs` row (the
 * current row of prog: bytes, intents): the instructions decoded from the
 * program (loaded and verified like a .mpb file: the journal is trusted no
 * more than a file on disk), then the intents, the outcome pack and the
 * full outcome rows laid over them.
 */
static int journal_get_steps_program(struct journal *j, int64_t run, sqlite3_stmt *prog, struct journal_step **ret,
				     uint32_t *ret_n, struct mp_error *err)
{
	const void *bytes = sqlite3_column_blob(prog, 0);
	size_t len = (size_t)sqlite3_column_bytes(prog, 0);
	struct program p;
	struct journal_step *v;
	struct mp_error e;
	uint32_t n;
	int r;

	if (!bytes || program_load_bytes(bytes, len, &p, &e) < 0)
		return journal_damaged(j, run, err, "its program", bytes ? e.msg : "empty");
	r = verify_program(&p, &e);
	if (r < 0) {
		program_free(&p);
		return journal_damaged(j, run, err, "its program", e.msg);
	}
	n = p.hdr.n_insns;
	v = calloc(n, sizeof(*v));
	if (!v) {
		program_free(&p);
		return error_set(err, ENOMEM, "journal: out of memory");
	}
	r = journal_steps_of_program(&p, v, err);
	program_free(&p);
	if (r == 0)
		r = journal_unpack_intents(j, run, sqlite3_column_blob(prog, 1), (size_t)sqlite3_column_bytes(prog, 1), v, n,
					   err);
	if (r == 0)
		r = journal_read_pack(j, run, v, n, err);
	if (r == 0)
		r = journal_read_outcome_rows(j, run, v, n, err);
	if (r < 0) {
		journal_steps_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int journal_get_steps(struct journal *j, int64_t run, struct journal_step **ret, uint32_t *ret_n,
		      struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	if (j->version < 4)
		return journal_get_steps_rows(j, run, ret, ret_n, err);
	rc = sqlite3_prepare_v2(j->db, "SELECT bytes, intents FROM programs WHERE run_id = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_ROW)
		r = journal_get_steps_program(j, run, st, ret, ret_n, err);
	else if (rc == SQLITE_DONE)
		r = journal_get_steps_rows(j, run, ret, ret_n, err); /* recorded before v4 */
	else
		r = journal_fail(j, rc, err, "reading the run's program");
	sqlite3_finalize(st);
	return r;
}

/*
 * The steps as one JSON array, each object built by SQLite's json_object
 * (so every string is escaped by SQLite, as the run around it is): the
 * same keys and values `mrun show --json` printed when the array was
 * built in SQL from step_view.  malloc'd.
 */
static int journal_steps_json(struct journal *j, const struct journal_step *v, uint32_t n, char **ret,
			      struct mp_error *err)
{
	static const char sql[] =
		"SELECT json_object('index', ?1, 'op', ?2, 'flags', ?3, 'entry', ?4, 'line', ?5, 'col', ?6,"
		" 'path', ?7, 'src', ?8, 'operands', json(?9), 'existed_before', json(?10), 'would_create', ?11,"
		" 'prior_attr', ?12, 'prior_propagation', ?13, 'backing_dev', ?14, 'backing_ino', ?15, 'status', ?16,"
		" 'created', ?17, 'made_mount', json(?18), 'mnt_id', ?19, 'loop_nr', ?20, 'park_path', ?21, 'err', ?22,"
		" 'error', ?23, 'duration_ns', ?24)";
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK;

	if (!mem)
		return error_set(err, ENOMEM, "journal: out of memory");
	fputc('[', mem);
	if (n > 0)
		rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);
	for (uint32_t i = 0; i < n && rc == SQLITE_OK; i++) {
		const struct journal_step *s = &v[i];
		char operands[JOURNAL_OPERANDS_JSON];

		journal_operands_json(s->op, s->operand, operands);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s->index);
		sqlite3_bind_text(st, 2, op_name(s->op), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, s->flags);
		sqlite3_bind_int64(st, 4, s->entry);
		sqlite3_bind_int64(st, 5, s->line);
		sqlite3_bind_int64(st, 6, s->col);
		sqlite3_bind_text(st, 7, s->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, s->src, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, operands, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, s->st.existed_before ? "true" : "false", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, s->would_create);
		sqlite3_bind_int64(st, 12, s->st.prior_attr);
		sqlite3_bind_int64(st, 13, s->st.prior_propagation);
		sqlite3_bind_int64(st, 14, (int64_t)s->st.backing_dev);
		sqlite3_bind_int64(st, 15, (int64_t)s->st.backing_ino);
		sqlite3_bind_text(st, 16, step_status_name(s->st.status), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 17, s->st.created_components);
		sqlite3_bind_text(st, 18, s->st.made_mount ? "true" : "false", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 19, (int64_t)s->st.mnt_id);
		sqlite3_bind_int64(st, 20, s->st.loop_nr);
		sqlite3_bind_text(st, 21, s->st.park_path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 22, s->st.err);
		sqlite3_bind_text(st, 23, s->st.error, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 24, (int64_t)s->st.duration_ns);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			fprintf(mem, "%s%s", i ? "," : "", (const char *)sqlite3_column_text(st, 0));
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	fputc(']', mem);
	if (fclose(mem) != 0 || !buf)
		return error_set(err, ENOMEM, "journal: out of memory");
	if (rc != SQLITE_OK)
		return journal_fail(j, rc, err, "writing steps as JSON");
	*ret = TAKE_PTR(buf);
	return 0;
}

int journal_run_json(struct journal *j, int64_t run, FILE *out, struct mp_error *err)
{
#define JOURNAL_RUN_JSON(PARK_DIR) \
		"SELECT json_object('id', r.id, 'state', r.state, 'plan_sha256', r.plan_sha256," \
		" 'plan_file', r.plan_file, 'bytecode', r.bytecode, 'root', r.root," \
		" 'root_dev', r.root_dev, 'root_ino', r.root_ino, 'mntns_ino', r.mntns_ino, 'boot_id', r.boot_id," \
		" 'pid', r.pid, 'pid_start', r.pid_start, 'mnt_watermark', r.mnt_watermark," \
		" 'container_id', r.container_id, 'n_steps', r.n_steps, 'started_ns', r.started_ns," \
		" 'finished_ns', r.finished_ns, 'failed_step', r.failed_step, 'error', r.error, 'park_dir', " PARK_DIR "," \
		" 'steps', json(?2))" \
		" FROM runs AS r WHERE r.id = ?1"
	_cleanup_free_ char *steps_json = NULL;
	struct journal_step *steps = NULL;
	sqlite3_stmt *st = NULL;
	uint32_t n = 0;
	int rc, r;

	r = journal_get_steps(j, run, &steps, &n, err);
	if (r == 0) {
		r = journal_steps_json(j, steps, n, &steps_json, err);
		journal_steps_free(steps, n);
	}
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(j->db, JOURNAL_V(j, JOURNAL_RUN_JSON("r.park_dir"), JOURNAL_RUN_JSON("NULL")), -1, &st,
				NULL);
#undef JOURNAL_RUN_JSON
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, steps_json, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			fprintf(out, "%s\n", (const char *)sqlite3_column_text(st, 0));
		else if (rc == SQLITE_DONE)
			r = error_set(err, ENOENT, "journal %s: no run %lld", j->path, (long long)run);
	}
	sqlite3_finalize(st);
	if (r == 0 && rc != SQLITE_ROW)
		r = journal_fail(j, rc, err, "reading a run");
	return r;
}

int journal_runs_json(struct journal *j, enum run_state state, unsigned limit, FILE *out, struct mp_error *err)
{
	static const char sql[] =
		"SELECT json_group_array(json_object('id', id, 'state', state, 'plan_sha256', plan_sha256,"
		" 'plan_file', plan_file, 'bytecode', bytecode, 'root', root, 'pid', pid,"
		" 'container_id', container_id, 'n_steps', n_steps, 'started_ns', started_ns,"
		" 'finished_ns', finished_ns, 'failed_step', failed_step, 'error', error))"
		" FROM (SELECT * FROM runs WHERE ?1 IS NULL OR state = ?1 ORDER BY id DESC LIMIT ?2)";
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		if (state != RUN__COUNT)
			sqlite3_bind_text(st, 1, run_state_name(state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			fprintf(out, "%s\n", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : journal_fail(j, rc, err, "listing runs");
}

int journal_prune(struct journal *j, unsigned keep, unsigned *ret_pruned, struct mp_error *err)
{
	/* the runs that are over: undone, nothing of them left in the kernel to describe */
#define JOURNAL_PRUNED "(SELECT id FROM runs WHERE state IN ('rolled_back', 'recovered') ORDER BY id DESC LIMIT -1 OFFSET ?1)"
	static const char *const sql[] = {
		"DELETE FROM outcomes WHERE run_id IN " JOURNAL_PRUNED,
		"DELETE FROM outcome_packs WHERE run_id IN " JOURNAL_PRUNED,
		"DELETE FROM programs WHERE run_id IN " JOURNAL_PRUNED,
		"DELETE FROM steps WHERE run_id IN " JOURNAL_PRUNED,
		"DELETE FROM runs WHERE id IN " JOURNAL_PRUNED,
	};
#undef JOURNAL_PRUNED
	unsigned pruned = 0;
	int r;

	r = journal_exec(j, "BEGIN IMMEDIATE", err);
	if (r < 0)
		return error_wrap(err, "pruning");
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_prepare_v2(j->db, sql[i], -1, &st, NULL);

		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, keep);
			rc = sqlite3_step(st);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			r = journal_fail(j, rc, err, "pruning");
			journal_rollback_quietly(j);
			return r;
		}
		pruned = (unsigned)sqlite3_changes(j->db);
	}
	r = journal_exec(j, "COMMIT", err);
	if (r < 0) {
		journal_rollback_quietly(j);
		return r;
	}
	*ret_pruned = pruned;
	return 0;
}

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
 * in WAL against 135 us in DELETE.
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
 * how far a run got (recover.c).
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
	sqlite3_stmt *ins_step, *ins_steps;
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

/* SQL function mp_op_name(opcode): the opcodes.def name, for `show` and --json. */
static void journal_sql_op_name(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_text(ctx, op_name((enum op)sqlite3_value_int(argv[0])), -1, SQLITE_STATIC);
}

/*
 * SQL function mp_operands(opcode, blob): the numeric operands as a JSON
 * array, null for string operands (their text is in path / src) and for
 * unused slots.  Only numbers are printed: nothing to escape.
 */
static void journal_sql_operands(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	enum op op = (enum op)sqlite3_value_int(argv[0]);
	uint32_t o[MP_NOPERANDS] = { 0 };
	char buf[MP_NOPERANDS * 12 + 4];
	size_t len = 0;

	(void)argc;
	if (sqlite3_value_bytes(argv[1]) == (int)sizeof(o))
		memcpy(o, sqlite3_value_blob(argv[1]), sizeof(o));
	buf[len++] = '[';
	for (int k = 0; k < MP_NOPERANDS; k++) {
		enum opnd_kind kind = op_operand_kind(op, k);

		if (kind == K_NONE)
			break;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s", k ? "," : "");
		if (kind_is_string(kind))
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "null");
		else
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u", o[k]);
	}
	buf[len++] = ']';
	sqlite3_result_text(ctx, buf, (int)len, SQLITE_TRANSIENT);
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
	sqlite3_create_function(j->db, "mp_op_name", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				journal_sql_op_name, NULL, NULL);
	sqlite3_create_function(j->db, "mp_operands", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				journal_sql_operands, NULL, NULL);
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
	sqlite3_finalize(j->ins_step);
	sqlite3_finalize(j->ins_steps);
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
 * 128 worse (a long statement to prepare, a long single-row tail).
 */
#define JOURNAL_BATCH 16
#define JOURNAL_STEP_COLS 16
#define JOURNAL_OUTCOME_COLS 11

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

/* Bind one step's row at parameters b+1 .. b+JOURNAL_STEP_COLS, in the order of JOURNAL_INS_STEP. */
static void journal_bind_step(sqlite3_stmt *st, int b, int64_t run, const struct program *p, uint32_t i,
			      const struct step_state *s)
{
	const struct mp_insn *in = &p->insns[i];
	const struct mp_debug *d = &p->debug[i];
	enum op op = (enum op)in->op;
	const char *path = op == OP_ROOT_BIND ? "/" : NULL, *src = NULL;

	for (int k = 0; k < MP_NOPERANDS; k++) {
		enum opnd_kind kind = op_operand_kind(op, k);

		if (kind == K_PATH && !path)
			path = program_str(p, in->o[k]);
		else if (kind == K_SRC && !src)
			src = program_str(p, in->o[k]);
	}
	sqlite3_bind_int64(st, b + 1, run);
	sqlite3_bind_int64(st, b + 2, i);
	sqlite3_bind_int(st, b + 3, in->op);
	sqlite3_bind_int(st, b + 4, in->flags);
	sqlite3_bind_int64(st, b + 5, d->entry);
	sqlite3_bind_int64(st, b + 6, d->line);
	sqlite3_bind_int64(st, b + 7, d->col);
	sqlite3_bind_text(st, b + 8, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, b + 9, src, -1, SQLITE_STATIC);
	/* Little-endian host (bytecode.h asserts it): the operands as they are in the file. */
	sqlite3_bind_blob(st, b + 10, in->o, sizeof(in->o), SQLITE_STATIC);
	sqlite3_bind_int(st, b + 11, s->existed_before);
	sqlite3_bind_int64(st, b + 12, s->created_components);
	sqlite3_bind_int64(st, b + 13, s->prior_attr);
	sqlite3_bind_int64(st, b + 14, s->prior_propagation);
	sqlite3_bind_int64(st, b + 15, (int64_t)s->backing_dev);
	sqlite3_bind_int64(st, b + 16, (int64_t)s->backing_ino);
}

int journal_begin_run(struct journal *j, const struct journal_run_info *info, const struct program *p,
		      const struct step_state *steps, int64_t *ret_run, struct mp_error *err)
{
	static const char ins_run[] =
		"INSERT INTO runs (state, plan_sha256, plan_file, bytecode, root, root_dev, root_ino, mntns_ino,"
		" boot_id, pid, pid_start, mnt_watermark, container_id, n_steps, started_ns, park_dir)"
		" VALUES ('running', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
	static const char ins_step[] =
		"INSERT INTO steps (run_id, idx, opcode, flags, entry, line, col, path, src, operands,"
		" existed_before, would_create, prior_attr, prior_propagation, backing_dev, backing_ino)";
	sqlite3_stmt *st = NULL;
	char hex[65];
	int64_t run;
	int rc, r;

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
	for (uint32_t i = 0, rows; i < p->hdr.n_insns; i += rows) {
		sqlite3_stmt **ins = p->hdr.n_insns - i >= JOURNAL_BATCH ? &j->ins_steps : &j->ins_step;

		rows = ins == &j->ins_steps ? JOURNAL_BATCH : 1;
		r = journal_prepare_values(j, ins, ins_step, JOURNAL_STEP_COLS, (int)rows, err);
		if (r < 0)
			goto fail;
		for (uint32_t k = 0; k < rows; k++)
			journal_bind_step(*ins, (int)k * JOURNAL_STEP_COLS, run, p, i + k, &steps[i + k]);
		rc = sqlite3_step(*ins);
		if (rc != SQLITE_DONE) {
			r = journal_fail(j, rc, err, "recording a step");
			goto fail;
		}
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
 * What a step learnt only while running, kept with its intent: the image
 * inode of a LOOP_ATTACH, and the attributes / propagation a REMOUNT or
 * PROPAGATE found on the mount right before changing it (for a mount the
 * run made itself, exec_prepare could only see what was under it).
 */
static int journal_set_learnt(struct journal *j, int64_t run, uint32_t idx, const struct step_state *s,
			      struct mp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db,
				    "UPDATE steps SET backing_dev = ?3, backing_ino = ?4, prior_attr = ?5,"
				    " prior_propagation = ?6 WHERE run_id = ?1 AND idx = ?2",
				    -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, idx);
		sqlite3_bind_int64(st, 3, (int64_t)s->backing_dev);
		sqlite3_bind_int64(st, 4, (int64_t)s->backing_ino);
		sqlite3_bind_int64(st, 5, s->prior_attr);
		sqlite3_bind_int64(st, 6, s->prior_propagation);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : journal_fail(j, rc, err, "recording what a step learnt");
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
}

int journal_finish_run(struct journal *j, int64_t run, enum run_state state, const struct step_state *steps,
		       uint32_t n, int64_t failed_step, const char *error, struct mp_error *err)
{
	static const char ins_outcome[] =
		"INSERT OR REPLACE INTO outcomes (run_id, idx, status, created, made_mount, mnt_id, loop_nr,"
		" park_path, err, error, duration_ns)";
	uint32_t batch[JOURNAL_BATCH], nb = 0;
	int rc, r;

	r = journal_exec(j, "BEGIN IMMEDIATE", err);
	if (r < 0)
		return error_wrap(err, "recording the end of run %lld", (long long)run);
	r = journal_update_run(j, run, state, failed_step, error, failed_step >= 0, err);
	if (r < 0)
		goto fail;
	for (uint32_t i = 0; i <= n; i++) {
		sqlite3_stmt **ins;

		if (i < n && steps[i].status != STEP_PENDING) /* a step not reached: no row says so */
			batch[nb++] = i;
		if (nb == 0 || (nb < JOURNAL_BATCH && i < n))
			continue;
		/* a full batch, or what is left at the end one row at a time */
		for (uint32_t k = 0; k < nb;) {
			uint32_t rows = nb - k == JOURNAL_BATCH ? JOURNAL_BATCH : 1;

			ins = rows == JOURNAL_BATCH ? &j->ins_outcomes : &j->ins_outcome;
			r = journal_prepare_values(j, ins, ins_outcome, JOURNAL_OUTCOME_COLS, (int)rows, err);
			if (r < 0)
				goto fail;
			for (uint32_t q = 0; q < rows; q++)
				journal_bind_outcome(*ins, (int)q * JOURNAL_OUTCOME_COLS, run, batch[k + q], &steps[batch[k + q]]);
			rc = sqlite3_step(*ins);
			if (rc != SQLITE_DONE) {
				r = journal_fail(j, rc, err, "recording a step's outcome");
				goto fail;
			}
			k += rows;
		}
		for (uint32_t k = 0; k < nb; k++) {
			const struct step_state *s = &steps[batch[k]];

			/* only LOOP_ATTACH, REMOUNT and PROPAGATE learn anything: no cost for the other steps */
			if (s->backing_ino || s->prior_attr || s->prior_propagation) {
				r = journal_set_learnt(j, run, batch[k], s, err);
				if (r < 0)
					goto fail;
			}
		}
		nb = 0;
	}
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

int journal_get_steps(struct journal *j, int64_t run, struct journal_step **ret, uint32_t *ret_n,
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
		enum step_status status;

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
		status = journal_status_parse((const char *)sqlite3_column_text(st, 15));
		s->st.status = status;
		s->st.created_components = (uint32_t)sqlite3_column_int64(st, 16);
		s->st.made_mount = sqlite3_column_int(st, 17);
		s->st.mnt_id = (uint64_t)sqlite3_column_int64(st, 18);
		s->st.loop_nr = sqlite3_column_int(st, 19);
		s->st.park_path = journal_col_strdup(st, 20);
		s->st.err = sqlite3_column_int(st, 21);
		s->st.error = journal_col_strdup(st, 22);
		s->st.duration_ns = (uint64_t)sqlite3_column_int64(st, 23);
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

int journal_run_json(struct journal *j, int64_t run, FILE *out, struct mp_error *err)
{
#define JOURNAL_RUN_JSON(PARK_DIR) \
		"SELECT json_object('id', r.id, 'state', r.state, 'plan_sha256', r.plan_sha256," \
		" 'plan_file', r.plan_file, 'bytecode', r.bytecode, 'root', r.root," \
		" 'root_dev', r.root_dev, 'root_ino', r.root_ino, 'mntns_ino', r.mntns_ino, 'boot_id', r.boot_id," \
		" 'pid', r.pid, 'pid_start', r.pid_start, 'mnt_watermark', r.mnt_watermark," \
		" 'container_id', r.container_id, 'n_steps', r.n_steps, 'started_ns', r.started_ns," \
		" 'finished_ns', r.finished_ns, 'failed_step', r.failed_step, 'error', r.error, 'park_dir', " PARK_DIR "," \
		" 'steps', (SELECT json_group_array(json_object('index', s.idx, 'op', mp_op_name(s.opcode), 'flags', s.flags," \
		"   'entry', s.entry, 'line', s.line, 'col', s.col, 'path', s.path, 'src', s.src," \
		"   'operands', json(mp_operands(s.opcode, s.operands)), 'existed_before', json(CASE s.existed_before WHEN 0 THEN 'false' ELSE 'true' END)," \
		"   'would_create', s.would_create, 'prior_attr', s.prior_attr, 'prior_propagation', s.prior_propagation," \
		"   'backing_dev', s.backing_dev, 'backing_ino', s.backing_ino, 'status', s.status," \
		"   'created', s.created, 'made_mount', json(CASE s.made_mount WHEN 0 THEN 'false' ELSE 'true' END)," \
		"   'mnt_id', s.mnt_id, 'loop_nr', s.loop_nr, 'park_path', s.park_path, 'err', s.err," \
		"   'error', s.error, 'duration_ns', s.duration_ns))" \
		"   FROM (SELECT * FROM step_view WHERE run_id = r.id ORDER BY idx) AS s))" \
		" FROM runs AS r WHERE r.id = ?1"
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(j->db, JOURNAL_V(j, JOURNAL_RUN_JSON("r.park_dir"), JOURNAL_RUN_JSON("NULL")), -1,
				    &st, NULL);
#undef JOURNAL_RUN_JSON
	int r = 0;

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, run);
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

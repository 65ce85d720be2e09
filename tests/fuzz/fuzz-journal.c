/*
 * fuzz-journal.c — fuzz target for the journal's readers: the input is a
 * whole database file (corrupt, truncated, foreign, a SQLite file whose
 * schema was rewritten), written to a private temporary directory and read
 * the way `mrun status/history/show` and `mrun recover` read it:
 *   journal_open read-only, journal_check, journal_schema_version,
 *   journal_list_runs (every run), journal_get_run, journal_get_steps,
 *   journal_run_json, journal_runs_json, journal_last_run_on_root;
 * then once more opened for writing (as apply and recover open it: the
 * migration runs on a damaged file) and listed again.
 * Every reader must answer with a run or an error; none may crash, read
 * out of bounds or leak.  SQLite's own sidecar files (-wal, -shm,
 * -journal) are removed before each input so no state leaks between runs.
 * tests/fuzz/journal.t replays tests/fuzz/corpus/journal/ with the gcc build.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h> /* PATH_MAX: schema/limits.h shadows <limits.h> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "journal.h"

/* At most this many runs are read in full per input: the rest only listed. */
#define FUZZ_JOURNAL_RUNS 16

static char dir[PATH_MAX], db[PATH_MAX + 16];
static FILE *null_out;

static void remove_files(void)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[PATH_MAX + 32];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db, suffix[i]);
		unlink(p);
	}
}

static void cleanup(void)
{
	remove_files();
	rmdir(dir);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (db[0])
		return;
	/* /dev/shm when there is one: a tmpfs, like the journal's /run. */
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/mp-fuzz-journal.XXXXXX", tmp);
	if (!mkdtemp(dir))
		fuzz_fatal("mkdtemp %s: %s", dir, strerror(errno));
	snprintf(db, sizeof(db), "%s/journal.db", dir);
	null_out = fopen("/dev/null", "we");
	if (!null_out)
		fuzz_fatal("cannot open /dev/null");
	atexit(cleanup);
}

static void write_db(const uint8_t *data, size_t size)
{
	int fd;

	remove_files();
	fd = open(db, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fatal("create %s: %s", db, strerror(errno));
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			fuzz_fatal("write %s: %s", db, strerror(errno));
		off += (size_t)n;
	}
	close(fd);
}

struct run_ids {
	int64_t id[FUZZ_JOURNAL_RUNS];
	unsigned n, seen;
};

static int collect(const struct journal_run *r, void *ud)
{
	struct run_ids *ids = ud;

	/* Touch every string the row gave, as status and history print them. */
	fprintf(null_out, "%lld %s %s %s %s %s %s\n", (long long)r->id, run_state_name(r->state), r->plan_sha256,
		r->plan_file ? r->plan_file : "-", r->root ? r->root : "-", r->error ? r->error : "-",
		r->container_id ? r->container_id : "-");
	ids->seen++;
	if (ids->n < FUZZ_JOURNAL_RUNS)
		ids->id[ids->n++] = r->id;
	return 0;
}

/* Read everything of one run the way `mrun show` and recover do. */
static void read_run(struct journal *j, int64_t id)
{
	struct journal_run run;
	struct journal_step *steps = NULL;
	uint32_t n = 0;
	struct mp_error err = { 0 };

	if (journal_get_run(j, id, &run, &err) == 0) {
		fprintf(null_out, "%s %u\n", run.bytecode ? run.bytecode : "-", run.n_steps);
		journal_run_free(&run);
	}
	if (journal_get_steps(j, id, &steps, &n, &err) == 0) {
		for (uint32_t i = 0; i < n; i++)
			fprintf(null_out, "%u %s %s %s %s\n", steps[i].index, op_name(steps[i].op),
				steps[i].path ? steps[i].path : "-", steps[i].src ? steps[i].src : "-",
				steps[i].st.error ? steps[i].st.error : "-");
		journal_steps_free(steps, n);
	}
	journal_run_json(j, id, null_out, &err);
}

/* Returns the number of runs listed, or -1 when the journal did not open. */
static int read_journal(unsigned flags, struct mp_error *why)
{
	struct journal *j = NULL;
	struct mp_error err = { 0 };
	struct run_ids ids = { 0 };
	int64_t last;
	int version;

	if (journal_open(db, flags, 0, &j, &err) < 0) {
		*why = err;
		return -1;
	}
	journal_check(j, &err);
	journal_schema_version(j, &version, &err);
	if (journal_list_runs(j, RUN__COUNT, 0, collect, &ids, &err) < 0)
		*why = err;
	for (unsigned i = 0; i < ids.n; i++)
		read_run(j, ids.id[i]);
	journal_list_runs(j, RUN_RUNNING, 4, collect, &ids, &err);
	journal_runs_json(j, RUN__COUNT, 0, null_out, &err);
	journal_last_run_on_root(j, 0, 0, RUN__COUNT, &last, &err);
	journal_close(j);
	return (int)ids.seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_error why = { 0 };
	int ro;

	setup();
	write_db(data, size);
	ro = read_journal(JOURNAL_READONLY, &why);
	if (ro < 0)
		fuzz_verdict("refused: %s", why.msg);
	else
		fuzz_verdict("read: %d runs%s%s", ro, why.msg[0] ? ", listing failed: " : "", why.msg);
	/* apply and recover open it for writing: the migration meets the damage. */
	error_clear(&why);
	read_journal(0, &why);
	remove_files();
	return 0;
}

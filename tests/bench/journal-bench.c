/*
 * journal-bench.c — what the journal costs, per SQLite durability setting,
 * to choose journal_mode and synchronous by measurement (journal.c says
 * which won and why; the README has the figures).
 *
 *   journal-bench [DIR] [N]     DIR on tmpfs like /run (default /dev/shm),
 *                                N bind mounts per run (default 1000)
 *
 * For each journal_mode x synchronous it measures, median of several
 * rounds: opening an existing journal (what every `mrun` start pays), one
 * small autocommit transaction (the cost of a commit), journal_begin_run
 * and journal_finish_run of a run of N bind mounts (2N+1 steps: MKPOINT +
 * BIND each, END), what `mrun rollback` does with the journal
 * (journal_get_steps, then journal_finish_run of the undone steps), and
 * the cost per step beyond a commit.  The mount points are there already
 * (as tests/bench/journal-binds.sh and run-bench.sh make them), or missing
 * with JOURNAL_BENCH_MISSING=1.  Journal modes that do not survive the
 * death of the process (OFF, MEMORY) are not candidates and are not
 * measured.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "crc32.h"
#include "journal.h"

#define ROUNDS 15
#define TMPFS_MAGIC_ 0x01021994

/*
 * CPU time of the process, not wall time: on tmpfs the journal never waits
 * for a disk, so its cost is CPU, and CPU time does not count the time
 * other processes take the core (the machine may be busy).  JOURNAL_BENCH_WALL=1
 * measures wall time instead.
 */
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(bench_clock, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/*
 * N x (MKPOINT /mnt/i, /src/i; BIND /src/i, /mnt/i) + END, as the .mpb
 * bytes the compiler would write (the journal stores them since protocol
 * v4), loaded and verified like a file.
 */
static int make_program(struct program *p, uint32_t n, struct mp_error *err)
{
	uint32_t n_insns = 2 * n + 1, off = 1;
	struct mp_header h = { .version = MP_FORMAT_VERSION, .n_insns = n_insns, .n_entries = n };
	size_t cap = 64 + (size_t)n * 40, size;
	char *strtab = calloc(1, cap);
	struct mp_insn *insns = calloc(n_insns, sizeof(*insns));
	struct mp_debug *debug = calloc(n_insns, sizeof(*debug));
	uint8_t *bytes;
	uint32_t crc;
	int r;

	h.plan_file = off;
	off += (uint32_t)sprintf(strtab + off, "bench.yaml") + 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t src = off, dst;

		off += (uint32_t)sprintf(strtab + off, "/src/%u", i) + 1;
		dst = off;
		off += (uint32_t)sprintf(strtab + off, "/mnt/%u", i) + 1;
		insns[2 * i] = (struct mp_insn){ .op = OP_MKPOINT, .o = { dst, src, 0755 } };
		insns[2 * i + 1] = (struct mp_insn){ .op = OP_BIND, .o = { src, dst, 0, 0, 0 } };
		debug[2 * i] = debug[2 * i + 1] = (struct mp_debug){ i, 3 + i * 3, 5 };
	}
	insns[2 * n] = (struct mp_insn){ .op = OP_END };
	debug[2 * n] = (struct mp_debug){ n - 1, 3 + (n - 1) * 3, 5 };
	memcpy(h.magic, MP_MAGIC, MP_MAGIC_LEN);
	h.insn_off = MP_HEADER_SIZE;
	h.debug_off = h.insn_off + MP_INSN_SIZE * n_insns;
	h.strtab_off = h.debug_off + MP_DEBUG_SIZE * n_insns;
	h.strtab_len = off;
	size = h.strtab_off + h.strtab_len + 4u;
	h.file_size = (uint32_t)size;
	bytes = calloc(1, size);
	memcpy(bytes, &h, sizeof(h));
	memcpy(bytes + h.insn_off, insns, (size_t)MP_INSN_SIZE * n_insns);
	memcpy(bytes + h.debug_off, debug, (size_t)MP_DEBUG_SIZE * n_insns);
	memcpy(bytes + h.strtab_off, strtab, off);
	crc = crc32_bytes(bytes, size - 4);
	memcpy(bytes + size - 4, &crc, 4);
	r = program_load_bytes(bytes, size, p, err);
	if (r == 0)
		r = verify_program(p, err);
	free(bytes);
	free(strtab);
	free(insns);
	free(debug);
	return r;
}

/*
 * The step states of the run: every MKPOINT's target there already (the
 * common case: no intent to record), or missing (missing != 0: one
 * component to create each); after the apply every step done, each BIND
 * with its mount id; after the rollback every step undone.
 */
static void set_states(struct step_state *st, const struct program *p, int phase, bool missing)
{
	for (uint32_t i = 0; i < p->hdr.n_insns; i++) {
		bool point = p->insns[i].op == OP_MKPOINT;

		memset(&st[i], 0, sizeof(st[i]));
		st[i].loop_nr = -1;
		if (point) {
			st[i].existed_before = !missing;
			st[i].created_components = missing;
		}
		if (phase >= 1) {
			st[i].status = phase == 1 ? STEP_DONE : STEP_UNDONE;
			st[i].mnt_id = p->insns[i].op == OP_BIND ? 0x80000000u + i : 0;
			st[i].duration_ns = 2500 + i % 1000; /* exec.c times every step */
		}
	}
}

static int bench(const char *dir, const char *mode, const char *sync, uint32_t n, bool missing)
{
	char path[4096];
	struct journal *j = NULL;
	struct mp_error err;
	struct program p;
	struct step_state *st = calloc(2 * n + 1, sizeof(*st));
	static const uint8_t sha[32];
	struct journal_run_info info = { .plan_file = "bench.yaml", .plan_sha256 = sha, .root = "/bench/root" };
	double t_open[ROUNDS], t_commit[ROUNDS], t_begin[ROUNDS], t_finish[ROUNDS], t_read[ROUNDS], t_undo[ROUNDS];
	uint32_t steps = 2 * n + 1;
	int64_t run = 0;

	snprintf(path, sizeof(path), "%s/bench-%s-%s.db", dir, mode, sync);
	unlink(path);
	for (const char *sfx = "-wal"; sfx; sfx = strcmp(sfx, "-wal") == 0 ? "-shm" : NULL) {
		char extra[4200];

		snprintf(extra, sizeof(extra), "%s%s", path, sfx);
		unlink(extra);
	}
	if (make_program(&p, n, &err) < 0 || probe_run_facts(&info.facts, &err) < 0) {
		fprintf(stderr, "journal-bench: %s\n", err.msg);
		return 1;
	}
	journal_set_tuning(mode, sync);
	if (journal_open(path, JOURNAL_CREATE, 5000, &j, &err) < 0) {
		fprintf(stderr, "journal-bench: %s\n", err.msg);
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		struct journal_step *back = NULL;
		uint32_t nback = 0;
		double t0;

		set_states(st, &p, 0, missing);
		t0 = now_us();
		if (journal_begin_run(j, &info, &p, st, &run, &err) < 0)
			goto fail;
		t_begin[r] = now_us() - t0;
		set_states(st, &p, 1, missing);
		t0 = now_us();
		if (journal_finish_run(j, run, RUN_APPLIED, st, steps, -1, NULL, &err) < 0)
			goto fail;
		t_finish[r] = now_us() - t0;
		/* what `mrun rollback` does with the journal: read every step back, write the undone outcomes */
		t0 = now_us();
		if (journal_get_steps(j, run, &back, &nback, &err) < 0)
			goto fail;
		t_read[r] = now_us() - t0;
		journal_steps_free(back, nback);
		if (nback != steps) {
			fprintf(stderr, "journal-bench: %u steps read back, %u written\n", nback, steps);
			goto fail_quiet;
		}
		set_states(st, &p, 2, missing);
		t0 = now_us();
		if (journal_finish_run(j, run, RUN_ROLLED_BACK, st, steps, -1, NULL, &err) < 0)
			goto fail;
		t_undo[r] = now_us() - t0;
		t0 = now_us();
		if (journal_mark(j, run, RUN_ROLLED_BACK, NULL, &err) < 0)
			goto fail;
		t_commit[r] = now_us() - t0;
	}
	journal_close(j);
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();

		if (journal_open(path, JOURNAL_CREATE, 5000, &j, &err) < 0)
			goto fail;
		journal_close(j);
		t_open[r] = now_us() - t0;
	}
	j = NULL;
	{
		double commit = median(t_commit, ROUNDS), begin = median(t_begin, ROUNDS), finish = median(t_finish, ROUNDS);
		double undo = median(t_undo, ROUNDS);

		printf("%-8s %-7s  open %6.1f  commit %5.1f  begin_run %7.1f  finish_run %7.1f  get_steps %7.1f"
		       "  rollback finish %7.1f us;  beyond a commit, per step: begin %5.3f, finish %5.3f us\n",
		       mode, sync, median(t_open, ROUNDS), commit, begin, finish, median(t_read, ROUNDS), undo,
		       (begin - commit) / steps, (finish - commit) / steps);
	}
	free(st);
	program_free(&p);
	return 0;
fail:
	fprintf(stderr, "journal-bench: %s\n", err.msg);
fail_quiet:
	journal_close(j);
	return 1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/dev/shm";
	uint32_t n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000;
	static const char *const modes[] = { "WAL", "DELETE", "TRUNCATE" };
	static const char *const syncs[] = { "OFF", "NORMAL", "FULL" };
	struct statfs sfs;
	bool missing = false;
	int rc = 0;

	if (getenv("JOURNAL_BENCH_MISSING"))
		missing = true;
	if (getenv("JOURNAL_BENCH_WALL"))
		bench_clock = CLOCK_MONOTONIC;
	if (statfs(dir, &sfs) < 0) {
		fprintf(stderr, "journal-bench: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	printf("# journal-bench: %u bind mounts (%u steps) per run, mount points %s, %s on %s, median of %d rounds,"
	       " %s time\n",
	       n, 2 * n + 1, missing ? "missing" : "there", dir,
	       (unsigned long)sfs.f_type == TMPFS_MAGIC_ ? "tmpfs" : "NOT tmpfs", ROUNDS,
	       bench_clock == CLOCK_MONOTONIC ? "wall" : "CPU");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		for (size_t s = 0; s < sizeof(syncs) / sizeof(syncs[0]); s++)
			rc |= bench(dir, modes[m], syncs[s], n, missing);
	return rc;
}

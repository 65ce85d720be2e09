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
 * BIND each, END), and the resulting cost per step.  Journal modes that do
 * not survive the death of the process (OFF, MEMORY) are not candidates
 * and are not measured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

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

/* N x (MKPOINT /mnt/i, /src/i; BIND /src/i, /mnt/i) + END, built in memory. */
static void make_program(struct program *p, uint32_t n, char **ret_strtab)
{
	uint32_t n_insns = 2 * n + 1, off = 1;
	size_t cap = 64 + (size_t)n * 40;
	char *strtab = calloc(1, cap);

	memset(p, 0, sizeof(*p));
	p->insns = calloc(n_insns, sizeof(*p->insns));
	p->debug = calloc(n_insns, sizeof(*p->debug));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t src = off, dst;

		off += (uint32_t)sprintf(strtab + off, "/src/%u", i) + 1;
		dst = off;
		off += (uint32_t)sprintf(strtab + off, "/mnt/%u", i) + 1;
		p->insns[2 * i] = (struct mp_insn){ .op = OP_MKPOINT, .o = { dst, src, 0755 } };
		p->insns[2 * i + 1] = (struct mp_insn){ .op = OP_BIND, .o = { src, dst, 0, 0, 0 } };
		p->debug[2 * i] = p->debug[2 * i + 1] = (struct mp_debug){ i, 3 + i * 3, 5 };
	}
	p->insns[2 * n] = (struct mp_insn){ .op = OP_END };
	p->hdr.n_insns = n_insns;
	p->strtab = strtab;
	p->strtab_len = off;
	*ret_strtab = strtab;
}

static int bench(const char *dir, const char *mode, const char *sync, uint32_t n)
{
	char path[4096];
	struct journal *j = NULL;
	struct mp_error err;
	struct program p;
	char *strtab;
	struct step_state *st = calloc(2 * n + 1, sizeof(*st));
	static const uint8_t sha[32];
	struct journal_run_info info = { .plan_file = "bench.yaml", .plan_sha256 = sha, .root = "/bench/root" };
	double t_open[ROUNDS], t_commit[ROUNDS], t_begin[ROUNDS], t_finish[ROUNDS], t_begin1[ROUNDS];
	int64_t run = 0;

	snprintf(path, sizeof(path), "%s/bench-%s-%s.db", dir, mode, sync);
	unlink(path);
	for (const char *sfx = "-wal"; sfx; sfx = strcmp(sfx, "-wal") == 0 ? "-shm" : NULL) {
		char extra[4200];

		snprintf(extra, sizeof(extra), "%s%s", path, sfx);
		unlink(extra);
	}
	make_program(&p, n, &strtab);
	for (uint32_t i = 0; i < 2 * n + 1; i++) {
		st[i].loop_nr = -1;
		st[i].created_components = 1;
	}
	if (probe_run_facts(&info.facts, &err) < 0) {
		fprintf(stderr, "journal-bench: %s\n", err.msg);
		return 1;
	}
	journal_set_tuning(mode, sync);
	if (journal_open(path, JOURNAL_CREATE, 5000, &j, &err) < 0) {
		fprintf(stderr, "journal-bench: %s\n", err.msg);
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		struct program one = p;
		double t0 = now_us();

		if (journal_begin_run(j, &info, &p, st, &run, &err) < 0)
			goto fail;
		t_begin[r] = now_us() - t0;
		for (uint32_t i = 0; i < 2 * n + 1; i++) {
			st[i].status = STEP_DONE;
			st[i].mnt_id = 0x80000000u + i;
		}
		t0 = now_us();
		if (journal_finish_run(j, run, RUN_APPLIED, st, 2 * n + 1, -1, NULL, &err) < 0)
			goto fail;
		t_finish[r] = now_us() - t0;
		one.hdr.n_insns = 1;
		t0 = now_us();
		if (journal_begin_run(j, &info, &one, st, &run, &err) < 0)
			goto fail;
		t_begin1[r] = now_us() - t0;
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
		double begin = median(t_begin, ROUNDS), begin1 = median(t_begin1, ROUNDS);
		double finish = median(t_finish, ROUNDS), commit = median(t_commit, ROUNDS);

		printf("%-8s %-7s  open %7.1f us  commit %6.1f us  begin_run %8.1f us  finish_run %8.1f us"
		       "  per step: intent %5.2f us, outcome %5.2f us\n",
		       mode, sync, median(t_open, ROUNDS), commit, begin, finish, (begin - begin1) / (2 * n),
		       (finish - commit) / (2 * n + 1));
	}
	free(st);
	free(strtab);
	free(p.insns);
	free(p.debug);
	return 0;
fail:
	fprintf(stderr, "journal-bench: %s\n", err.msg);
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
	int rc = 0;

	if (getenv("JOURNAL_BENCH_WALL"))
		bench_clock = CLOCK_MONOTONIC;
	if (statfs(dir, &sfs) < 0) {
		fprintf(stderr, "journal-bench: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	printf("# journal-bench: %u bind mounts (%u steps) per run, %s on %s, median of %d rounds, %s time\n", n,
	       2 * n + 1, dir, (unsigned long)sfs.f_type == TMPFS_MAGIC_ ? "tmpfs" : "NOT tmpfs", ROUNDS,
	       bench_clock == CLOCK_MONOTONIC ? "wall" : "CPU");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
		for (size_t s = 0; s < sizeof(syncs) / sizeof(syncs[0]); s++)
			rc |= bench(dir, modes[m], syncs[s], n);
	return rc;
}

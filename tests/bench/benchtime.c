/*
 * benchtime.c — the timing driver of the mountplan benchmarks.
 *
 * Runs contenders (mountplan, the syscall floor, util-linux mount,
 * bubblewrap) round after round, each trial in a FRESH private mount
 * namespace with a fresh tmpfs at the tree directory, and times every
 * measured command with CLOCK_MONOTONIC around posix_spawn + wait4, so the
 * figure is the command's whole life (exec, dynamic linking, work, exit)
 * at sub-µs resolution, with no shell in between.
 *
 * Spec file, one directive per line, words split on blanks (no quoting:
 * the runner chooses paths without blanks), '#' starts a comment line:
 *
 *   tree DIR                  tmpfs mounted here in every trial
 *   rounds R                  measured rounds (default 9)
 *   warmup W                  unreported rounds first (default 1)
 *   contender NAME            starts a contender; its steps follow
 *   ! PROG ARG...             untimed step in the trial (must exit 0)
 *   = STEP PROG ARG...        timed step
 *   * STEP COUNT PROG ARG...  timed loop: COUNT runs, "%i" in an argument
 *                             replaced by 0..COUNT-1 (a shell loop, less
 *                             the shell)
 *
 * Every round runs every contender once, in an order rotated by the round
 * so no contender always runs first after the previous one's teardown.
 * Output, one tab-separated line per timed step per measured round:
 *
 *   round contender step ns maxrss_kb inner_ns status cpu_ns
 *
 * maxrss_kb is the child's ru_maxrss (the largest over a loop's runs);
 * cpu_ns its user + system time (summed over a loop's runs; wait4 counts
 * the descendants it reaped): steadier than wall time on a busy machine,
 * but blind to time spent asleep (an unmount waiting for RCU);
 * inner_ns is what the child printed as "inner_ns=T" on stdout, or "-";
 * status is "ok", "exit=N", "signal=N" or "setup" (an untimed step
 * failed, the trial's later steps did not run).
 *
 * This is a benchmark tool, not project code: it prints its errors itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum step_kind { STEP_SETUP, STEP_TIMED, STEP_LOOP };

struct step {
	enum step_kind kind;
	char *name;
	unsigned count;
	char **argv; /* NULL-terminated */
};

struct contender {
	char *name;
	struct step *steps;
	size_t n_steps;
};

struct spec {
	char *tree;
	unsigned rounds, warmup;
	struct contender *cont;
	size_t n_cont;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fputs("benchtime: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_spec(const char *path, struct spec *sp)
{
	static char line[1 << 20]; /* a bwrap line of 1000 binds is ~100 KiB */
	static char *words[1 << 15];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "benchtime: %s: %s\n", path, strerror(errno));
		return -1;
	}
	sp->rounds = 9;
	sp->warmup = 1;
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *w;
		size_t nw = 0;

		lineno++;
		for (w = strtok_r(line, " \t\n", &save); w && nw < (1 << 15) - 1; w = strtok_r(NULL, " \t\n", &save))
			words[nw++] = w;
		if (nw == 0 || words[0][0] == '#')
			continue;
		if (strcmp(words[0], "tree") == 0 && nw == 2) {
			sp->tree = xstrdup(words[1]);
		} else if (strcmp(words[0], "rounds") == 0 && nw == 2) {
			sp->rounds = (unsigned)strtoul(words[1], NULL, 10);
		} else if (strcmp(words[0], "warmup") == 0 && nw == 2) {
			sp->warmup = (unsigned)strtoul(words[1], NULL, 10);
		} else if (strcmp(words[0], "contender") == 0 && nw == 2) {
			sp->cont = xrealloc(sp->cont, (sp->n_cont + 1) * sizeof *sp->cont);
			sp->cont[sp->n_cont++] = (struct contender){ .name = xstrdup(words[1]) };
		} else if (sp->n_cont > 0 && ((strcmp(words[0], "!") == 0 && nw >= 2) ||
					      (strcmp(words[0], "=") == 0 && nw >= 3) ||
					      (strcmp(words[0], "*") == 0 && nw >= 4))) {
			struct contender *c = &sp->cont[sp->n_cont - 1];
			struct step st = { .kind = STEP_SETUP, .name = "setup", .count = 1 };
			size_t first = 1;

			if (words[0][0] == '=') {
				st.kind = STEP_TIMED;
				st.name = xstrdup(words[1]);
				first = 2;
			} else if (words[0][0] == '*') {
				st.kind = STEP_LOOP;
				st.name = xstrdup(words[1]);
				st.count = (unsigned)strtoul(words[2], NULL, 10);
				first = 3;
			}
			st.argv = xrealloc(NULL, (nw - first + 1) * sizeof *st.argv);
			for (size_t i = first; i < nw; i++)
				st.argv[i - first] = xstrdup(words[i]);
			st.argv[nw - first] = NULL;
			c->steps = xrealloc(c->steps, (c->n_steps + 1) * sizeof *c->steps);
			c->steps[c->n_steps++] = st;
		} else {
			fprintf(stderr, "benchtime: %s:%u: bad directive '%s'\n", path, lineno, words[0]);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	if (!sp->tree || sp->n_cont == 0) {
		fprintf(stderr, "benchtime: %s: needs a tree and at least one contender\n", path);
		return -1;
	}
	return 0;
}

/* argv with every "%i" replaced by i (the loop steps' per-run arguments). */
static char **expand_argv(char **tmpl, unsigned i)
{
	size_t n = 0;
	char **out;

	while (tmpl[n])
		n++;
	out = xrealloc(NULL, (n + 1) * sizeof *out);
	for (size_t k = 0; k < n; k++) {
		const char *pct = strstr(tmpl[k], "%i");

		if (!pct) {
			out[k] = tmpl[k];
			continue;
		}
		out[k] = xrealloc(NULL, strlen(tmpl[k]) + 12);
		sprintf(out[k], "%.*s%u%s", (int)(pct - tmpl[k]), tmpl[k], i, pct + 2);
	}
	out[n] = NULL;
	return out;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
}

static void free_runs(char ***runs, const struct step *st)
{
	if (st->kind == STEP_LOOP)
		for (unsigned i = 0; i < st->count; i++) {
			for (size_t k = 0; runs[i][k]; k++)
				if (runs[i][k] != st->argv[k])
					free(runs[i][k]);
			free(runs[i]);
		}
	free(runs);
}

/* Spawn argv with stdout into outfd and wait; return the wait status
 * (or -1 if it could not start), its rusage in *ru. */
static int run_one(char **argv, int outfd, struct rusage *ru)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, outfd, STDOUT_FILENO);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		fprintf(stderr, "benchtime: %s: %s\n", argv[0], strerror(r));
		return -1;
	}
	while (wait4(pid, &status, 0, ru) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static void status_word(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "exit=127");
	else if (WIFEXITED(status))
		snprintf(buf, len, WEXITSTATUS(status) ? "exit=%d" : "ok", WEXITSTATUS(status));
	else
		snprintf(buf, len, "signal=%d", WTERMSIG(status));
}

/* Print what a failed command said on stdout, for the runner's log. */
static void dump_output(int outfd, const struct step *st)
{
	char buf[2048];
	ssize_t n = pread(outfd, buf, sizeof buf - 1, 0);

	fprintf(stderr, "benchtime: step '%s' (%s) failed", st->name, st->argv[0]);
	if (n > 0) {
		buf[n] = '\0';
		fprintf(stderr, "; its output:\n%s", buf);
	}
	fputc('\n', stderr);
}

/* One trial: runs in a child that owns a fresh private mount namespace,
 * so every mount it or its commands make dies with it. */
static int trial(const struct spec *sp, const struct contender *c, int round, int report)
{
	int setup_failed = 0;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("benchtime: private mount namespace");
		return 1;
	}
	if (mount("tmpfs", sp->tree, "tmpfs", 0, "mode=0755") < 0) {
		fprintf(stderr, "benchtime: tmpfs on %s: %s\n", sp->tree, strerror(errno));
		return 1;
	}
	for (size_t s = 0; s < c->n_steps; s++) {
		const struct step *st = &c->steps[s];
		char word[32], inner[32] = "-";
		int outfd = memfd_create("benchtime-out", MFD_CLOEXEC);
		struct rusage ru;
		long maxrss = 0;
		uint64_t cpu = 0;
		int status = 0;
		uint64_t t0, t1;
		char ***runs;

		if (outfd < 0) {
			perror("benchtime: memfd_create");
			return 1;
		}
		if (setup_failed) {
			close(outfd);
			if (st->kind != STEP_SETUP && report)
				printf("%d\t%s\t%s\t-\t-\t-\tsetup\t-\n", round, c->name, st->name);
			continue;
		}
		/* Argument vectors are built before the clock starts. */
		runs = xrealloc(NULL, st->count * sizeof *runs);
		for (unsigned i = 0; i < st->count; i++)
			runs[i] = st->kind == STEP_LOOP ? expand_argv(st->argv, i) : st->argv;
		t0 = now_ns();
		for (unsigned i = 0; i < st->count && status == 0; i++) {
			ru = (struct rusage){ 0 };
			status = run_one(runs[i], outfd, &ru);
			if (ru.ru_maxrss > maxrss)
				maxrss = ru.ru_maxrss;
			cpu += tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
		}
		t1 = now_ns();
		free_runs(runs, st);
		if (status != 0) {
			dump_output(outfd, st);
			if (st->kind == STEP_SETUP)
				setup_failed = 1;
		}
		if (st->kind != STEP_SETUP && report) {
			char buf[4096];
			ssize_t n = pread(outfd, buf, sizeof buf - 1, 0);
			const char *p;

			if (n > 0) {
				buf[n] = '\0';
				p = strstr(buf, "inner_ns=");
				if (p)
					snprintf(inner, sizeof inner, "%llu", strtoull(p + 9, NULL, 10));
			}
			status_word(status, word, sizeof word);
			printf("%d\t%s\t%s\t%llu\t%ld\t%s\t%s\t%llu\n", round, c->name, st->name,
			       (unsigned long long)(t1 - t0), maxrss, inner, word, (unsigned long long)cpu);
		}
		close(outfd);
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct spec sp = { 0 };

	if (argc != 2) {
		fputs("usage: benchtime SPEC-FILE   (as root; see the top of tests/bench/benchtime.c)\n", stderr);
		return 2;
	}
	if (parse_spec(argv[1], &sp) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int round = -(int)sp.warmup; round < (int)sp.rounds; round++) {
		for (size_t k = 0; k < sp.n_cont; k++) {
			size_t ci = (k + (size_t)(round + (int)sp.warmup)) % sp.n_cont;
			pid_t pid = fork();
			int status;

			if (pid < 0) {
				perror("benchtime: fork");
				return 1;
			}
			if (pid == 0)
				_exit(trial(&sp, &sp.cont[ci], round, round >= 0));
			if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				fprintf(stderr, "benchtime: trial of %s failed\n", sp.cont[ci].name);
				return 1;
			}
		}
	}
	return 0;
}

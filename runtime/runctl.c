/*
 * runctl.c — the journal's commands (see runctl.h): each opens the
 * journal, takes the root's lock where it changes the kernel, and writes a
 * human table or JSON.  JSON always comes from SQLite's json functions
 * (journal_run_json, journal_runs_json): no hand-written escaping.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "exec.h"
#include "journal.h"
#include "probe.h"
#include "program.h"
#include "recover.h"
#include "rootlock.h"
#include "runctl.h"

/* --journal, else $MOUNTPLAN_JOURNAL (tests point it at a throwaway file), else the default. */
static const char *runctl_journal(const struct runctl_opts *o)
{
	const char *env = getenv("MOUNTPLAN_JOURNAL");

	if (o->journal)
		return o->journal;
	return env && *env ? env : JOURNAL_DEFAULT_PATH;
}

/* How long to wait for a journal another process holds: as long as for a busy root (at least 100 ms). */
static int runctl_busy_ms(const struct runctl_opts *o)
{
	return o->lock_timeout_ms > 100 ? o->lock_timeout_ms : 100;
}

static void runctl_time(char buf[32], int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns <= 0 || !gmtime_r(&t, &tm))
		snprintf(buf, 32, "-");
	else
		strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int runctl_open(const struct runctl_opts *o, bool write, struct journal **ret, struct mp_error *err)
{
	return journal_open(runctl_journal(o), write ? JOURNAL_CREATE : JOURNAL_READONLY, runctl_busy_ms(o), ret,
			    err);
}

static int runctl_undo(FILE *out, const struct runctl_opts *o, struct journal *j, struct journal_run *run,
		       enum recover_mode mode, struct mp_error *err)
{
	struct recover_result res;
	_cleanup_close_ int lock = -1, path_lock = -1;
	int r;

	r = rootlock_acquire(runctl_journal(o), run->root_dev, run->root_ino, o->lock_timeout_ms, &lock, err);
	if (r == 0)
		r = rootlock_acquire_path(runctl_journal(o), run->root, o->lock_timeout_ms, &path_lock, err);
	if (r < 0)
		return error_wrap(err, "run %" PRId64, run->id);
	timings_mark(o->clock, "locks");
	r = recover_undo_run(j, run, mode, out, o->clock, &res, err);
	if (r < 0)
		return error_wrap(err, "run %" PRId64, run->id);
	fprintf(out, "run %" PRId64 " on %s: %s (%" PRIu32 " step%s undone, %" PRIu32 " undo failure%s)\n", run->id,
		run->root, run_state_name(res.state), res.undone, res.undone == 1 ? "" : "s", res.failed,
		res.failed == 1 ? "" : "s");
	if (res.failed)
		return error_set(err, EBUSY,
				 "run %" PRId64 ": %" PRIu32 " step%s could not be undone (see above); nothing was forced: "
				 "fix the cause and run `mrun rollback %" PRId64 "` again",
				 run->id, res.failed, res.failed == 1 ? "" : "s", run->id);
	return 0;
}

int runctl_rollback(FILE *out, const struct runctl_opts *o, int64_t id, const char *root, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	struct journal_run run;
	int r;

	r = runctl_open(o, true, &j, err);
	timings_mark(o->clock, "journal-open");
	if (r < 0)
		return r;
	if (id <= 0) {
		_cleanup_free_ char *abs = NULL;
		struct stat st;

		if (!root)
			return error_set(err, EINVAL, "rollback: which run? (RUN or --root DIR)");
		abs = realpath(root, NULL);
		if (!abs || stat(abs, &st) < 0)
			return error_set_errno(err, errno, "rollback: root '%s'", root);
		r = journal_last_run_on_root_path(j, st.st_dev, st.st_ino, abs, RUN_APPLIED, &id, err);
		if (r == -ENOENT)
			return error_set(err, ENOENT, "rollback: no applied run on root '%s'", root);
		if (r < 0)
			return r;
	}
	r = journal_get_run(j, id, &run, err);
	timings_mark(o->clock, "find-run");
	if (r < 0)
		return r;
	if (run.state != RUN_APPLIED && run.state != RUN_FAILED) {
		r = error_set(err, EINVAL, "rollback: run %" PRId64 " is %s, not applied%s", id, run_state_name(run.state),
			      run.state == RUN_RUNNING ? " (if its executor died, use `mrun recover`)" : "");
	} else if (run.state == RUN_FAILED && run.finished_ns == 0) {
		r = error_set(err, EINVAL, "rollback: run %" PRId64 " has not finished", id);
	} else {
		r = runctl_undo(out, o, j, &run, RECOVER_ROLLBACK, err);
	}
	journal_run_free(&run);
	return r;
}

struct runctl_recover_walk {
	int64_t *ids;
	size_t n, cap;
};

static int runctl_collect(const struct journal_run *r, void *ud)
{
	struct runctl_recover_walk *w = ud;

	if (w->n == w->cap) {
		int64_t *v = realloc(w->ids, (w->cap = w->cap ? 2 * w->cap : 16) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->ids = v;
	}
	w->ids[w->n++] = r->id;
	return 0;
}

int runctl_recover(FILE *out, const struct runctl_opts *o, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	struct runctl_recover_walk w = { 0 };
	int r, result = 0, found = 0;
	struct mp_error first = { 0 };

	r = runctl_open(o, true, &j, err);
	if (r < 0)
		return r;
	r = journal_list_runs(j, RUN_RUNNING, 0, runctl_collect, &w, err);
	if (r < 0) {
		free(w.ids);
		return r == -ENOMEM ? error_set(err, ENOMEM, "out of memory") : r;
	}
	/* Oldest first: runs on one root are undone in the order they were made. */
	for (size_t i = w.n; i-- > 0;) {
		struct journal_run run;

		if (journal_get_run(j, w.ids[i], &run, err) < 0)
			continue;
		if (!recover_executor_gone(&run)) {
			fprintf(out, "run %" PRId64 " on %s: still running (pid %d): left alone\n", run.id, run.root,
				(int)run.facts.pid);
		} else {
			found++;
			r = runctl_undo(out, o, j, &run, RECOVER_CRASHED, err);
			if (r < 0) {
				fprintf(out, "run %" PRId64 ": %s\n", run.id, err->msg);
				if (!result)
					first = *err;
				result = r;
			}
		}
		journal_run_free(&run);
	}
	free(w.ids);
	if (!found && !result)
		fprintf(out, "nothing to recover\n");
	if (result)
		*err = first;
	return result;
}

static int runctl_status_line(const struct journal_run *r, void *ud)
{
	FILE *out = ud;
	char when[32];

	runctl_time(when, r->started_ns);
	fprintf(out, "%6" PRId64 "  %-11s %s  pid %-7d %-9s %s\n", r->id, run_state_name(r->state), when,
		(int)r->facts.pid,
		r->state == RUN_RUNNING ? (recover_executor_gone(r) ? "(dead)" : "(alive)") : "", r->root);
	return 0;
}

int runctl_status(FILE *out, const struct runctl_opts *o, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	int r;

	r = runctl_open(o, false, &j, err);
	if (r == -ENOENT) {
		if (o->json)
			fprintf(out, "{\"running\": [], \"applied\": [], \"failed\": []}\n");
		else
			fprintf(out, "journal %s: no run recorded yet\n", runctl_journal(o));
		return 0;
	}
	if (r < 0)
		return r;
	if (o->json) {
		/* {"running": [...], "applied": [...], "failed": [...]}: fixed keys, arrays from SQLite */
		static const enum run_state shown[] = { RUN_RUNNING, RUN_APPLIED, RUN_FAILED };

		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]) && r == 0; i++) {
			fprintf(out, "%s\"%s\": ", i ? ", " : "{", run_state_name(shown[i]));
			r = journal_runs_json(j, shown[i], 0, out, err);
		}
		if (r == 0)
			fprintf(out, "}\n");
		return r;
	}
	fprintf(out, "journal %s\n", runctl_journal(o));
	fprintf(out, "in progress:\n");
	r = journal_list_runs(j, RUN_RUNNING, 0, runctl_status_line, out, err);
	if (r == 0) {
		fprintf(out, "applied:\n");
		r = journal_list_runs(j, RUN_APPLIED, 0, runctl_status_line, out, err);
	}
	if (r == 0) {
		fprintf(out, "needing attention (undo failed):\n");
		r = journal_list_runs(j, RUN_FAILED, 0, runctl_status_line, out, err);
	}
	return r;
}

static int runctl_history_line(const struct journal_run *r, void *ud)
{
	FILE *out = ud;
	char when[32];

	runctl_time(when, r->started_ns);
	fprintf(out, "%6" PRId64 "  %-11s %s  %5" PRIu32 "  %.12s  %-20s %s\n", r->id, run_state_name(r->state), when,
		r->n_steps, r->plan_sha256, r->plan_file ? r->plan_file : "", r->root);
	return 0;
}

int runctl_history(FILE *out, const struct runctl_opts *o, unsigned limit, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	int r;

	r = runctl_open(o, false, &j, err);
	if (r == -ENOENT && !o->json) {
		fprintf(out, "journal %s: no run recorded yet\n", runctl_journal(o));
		return 0;
	}
	if (r < 0)
		return r;
	if (o->json)
		return journal_runs_json(j, RUN__COUNT, limit, out, err);
	fprintf(out, "%6s  %-11s %-20s  %5s  %-12s  %-20s %s\n", "RUN", "STATE", "STARTED", "STEPS", "PLAN", "FILE", "ROOT");
	return journal_list_runs(j, RUN__COUNT, limit, runctl_history_line, out, err);
}

int runctl_show(FILE *out, const struct runctl_opts *o, int64_t id, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	struct journal_step *steps = NULL;
	struct journal_run run;
	char started[32], finished[32];
	uint32_t n = 0;
	int r;

	r = runctl_open(o, false, &j, err);
	if (r < 0)
		return r;
	if (o->json)
		return journal_run_json(j, id, out, err);
	r = journal_get_run(j, id, &run, err);
	if (r < 0)
		return r;
	r = journal_get_steps(j, id, &steps, &n, err);
	if (r < 0) {
		journal_run_free(&run);
		return r;
	}
	runctl_time(started, run.started_ns);
	runctl_time(finished, run.finished_ns);
	fprintf(out, "run %" PRId64 ": %s\n  plan     %s (sha256 %s)\n  bytecode %s\n  root     %s (dev:ino %" PRIx64
		":%" PRIu64 ")\n  executor pid %d, boot %s, mount ns %" PRIu64 ", watermark %" PRIu64
		"\n  started  %s, finished %s\n",
		run.id, run_state_name(run.state), run.plan_file, run.plan_sha256, run.bytecode ? run.bytecode : "-",
		run.root, run.root_dev, run.root_ino, (int)run.facts.pid, run.facts.boot_id, run.facts.mntns_ino,
		run.facts.mnt_watermark, started, finished);
	if (run.failed_step >= 0)
		fprintf(out, "  failed   at step %" PRId64 "\n", run.failed_step);
	if (run.error)
		fprintf(out, "  error    %s\n", run.error);
	fprintf(out, "%5s  %-17s %-11s %-9s %-14s %s\n", "STEP", "OP", "STATUS", "LINE:COL", "RESULT", "PATH");
	for (uint32_t i = 0; i < n; i++) {
		const struct journal_step *s = &steps[i];
		char where[24], result[40] = "";

		snprintf(where, sizeof(where), "%" PRIu32 ":%" PRIu32, s->line, s->col);
		if (s->st.mnt_id)
			snprintf(result, sizeof(result), "mnt %" PRIu64, s->st.mnt_id);
		else if (s->st.loop_nr >= 0)
			snprintf(result, sizeof(result), "loop%d", s->st.loop_nr);
		else if (s->st.created_components)
			snprintf(result, sizeof(result), "created %" PRIu32, s->st.created_components);
		else if (s->op == OP_MKDIR || s->op == OP_MKPOINT)
			snprintf(result, sizeof(result), "%s", s->st.existed_before ? "existed" : "");
		fprintf(out, "%5" PRIu32 "  %-17s %-11s %-9s %-14s %s%s%s\n", s->index, op_name(s->op),
			step_status_name(s->st.status), where, result, s->path ? s->path : "",
			s->src ? (s->path ? " <- " : "") : "", s->src ? s->src : "");
		if (s->st.error)
			fprintf(out, "%5s  %s\n", "", s->st.error);
	}
	journal_steps_free(steps, n);
	journal_run_free(&run);
	return 0;
}

int runctl_prune(FILE *out, const struct runctl_opts *o, unsigned keep, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	unsigned pruned = 0;
	int r;

	r = runctl_open(o, true, &j, err);
	if (r == 0)
		r = journal_prune(j, keep, &pruned, err);
	if (r == 0)
		fprintf(out, "pruned %u run%s that were over (kept the newest %u; applied, running and failed runs stay)\n",
			pruned, pruned == 1 ? "" : "s", keep);
	return r;
}

int runctl_verify(FILE *out, const struct runctl_opts *o, int64_t id, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	struct journal_run run;
	uint32_t diffs = 0;
	int r;

	r = runctl_open(o, false, &j, err);
	if (r < 0)
		return r;
	r = journal_get_run(j, id, &run, err);
	if (r < 0)
		return r;
	if (run.state != RUN_APPLIED) {
		r = error_set(err, EINVAL, "verify: run %" PRId64 " is %s, not applied", id, run_state_name(run.state));
	} else {
		r = recover_verify_run(j, &run, out, &diffs, err);
		if (r == 0 && diffs)
			r = error_set(err, ESTALE, "run %" PRId64 " on %s: %" PRIu32 " difference%s with the kernel", id,
				      run.root, diffs, diffs == 1 ? "" : "s");
		else if (r == 0)
			fprintf(out, "run %" PRId64 " on %s: the kernel matches\n", id, run.root);
	}
	journal_run_free(&run);
	return r;
}

/* 1: this plan is applied on the root and matches the kernel; 0: not applied; -EEXIST: drifted. */
static int runctl_check_reapply(struct journal *j, const char *sha_hex, uint64_t dev, uint64_t ino,
				const char *path, int64_t *ret_run, struct mp_error *err)
{
	_cleanup_fclose_ FILE *devnull = NULL;
	struct journal_run run;
	uint32_t diffs = 0;
	int64_t id;
	int r;

	r = journal_last_run_on_root_path(j, dev, ino, path, RUN_APPLIED, &id, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = journal_get_run(j, id, &run, err);
	if (r < 0)
		return r;
	if (strcmp(run.plan_sha256, sha_hex) != 0) {
		journal_run_free(&run);
		return 0;
	}
	devnull = fopen("/dev/null", "we");
	r = recover_verify_run(j, &run, devnull ? devnull : stderr, &diffs, err);
	journal_run_free(&run);
	if (r < 0)
		return r;
	if (diffs)
		return error_set(err, EEXIST,
				 "conflict: this plan is already applied on the root as run %" PRId64
				 " but %" PRIu32 " of its mounts changed since (`mrun verify %" PRId64 "`); "
				 "roll it back first (`mrun rollback %" PRId64 "`)",
				 id, diffs, id, id);
	*ret_run = id;
	return 1;
}

int runctl_apply_open(struct runctl_apply *a, const struct runctl_opts *o, const struct program *p,
		      const char *root, int64_t *ret_already, struct mp_error *err)
{
	static const char digits[] = "0123456789abcdef";
	_cleanup_free_ char *abs = NULL;
	char sha[65];
	struct stat st;
	int r;

	*a = (struct runctl_apply){ .lock_fd = -1, .path_lock_fd = -1 };
	if (strcmp(runctl_journal(o), "off") == 0) {
		a->off = true;
		return 0;
	}
	if (stat(root, &st) < 0)
		return error_set_errno(err, errno, "root '%s'", root);
	r = journal_open(runctl_journal(o), JOURNAL_CREATE, runctl_busy_ms(o), &a->j, err);
	if (r < 0)
		return error_wrap(err, "no mount was made");
	abs = realpath(root, NULL);
	if (!abs)
		return error_set_errno(err, errno, "root '%s'", root);
	r = rootlock_acquire(runctl_journal(o), st.st_dev, st.st_ino, o->lock_timeout_ms, &a->lock_fd, err);
	if (r == 0)
		r = rootlock_acquire_path(runctl_journal(o), abs, o->lock_timeout_ms, &a->path_lock_fd, err);
	if (r < 0)
		return r;
	for (int i = 0; i < 32; i++) {
		sha[2 * i] = digits[p->hdr.plan_sha256[i] >> 4];
		sha[2 * i + 1] = digits[p->hdr.plan_sha256[i] & 15];
	}
	sha[64] = '\0';
	return runctl_check_reapply(a->j, sha, st.st_dev, st.st_ino, abs, ret_already, err);
}

int runctl_apply_begin(struct runctl_apply *a, const struct program *p, const char *root, const char *bytecode,
		       const char *park_dir, const struct step_state *steps, uint64_t first_mnt_id,
		       struct mp_error *err)
{
	struct journal_run_info info = {
		.plan_file = program_str(p, p->hdr.plan_file),
		.plan_sha256 = p->hdr.plan_sha256,
		.bytecode = bytecode,
		.root = root,
		.container_id = getenv("MOUNTPLAN_CONTAINER_ID"),
		.park_dir = park_dir ? park_dir : EXEC_PARK_DIR,
	};
	_cleanup_free_ char *abs_root = NULL, *abs_bytecode = NULL;
	struct stat st;
	int r;

	if (a->off)
		return 0;
	/* absolute: rollback and recover run from anywhere */
	abs_root = realpath(root, NULL);
	abs_bytecode = bytecode ? realpath(bytecode, NULL) : NULL;
	if (!abs_root || stat(abs_root, &st) < 0)
		return error_set_errno(err, errno, "root '%s'", root);
	info.root = abs_root;
	if (abs_bytecode)
		info.bytecode = abs_bytecode;
	info.root_dev = st.st_dev;
	info.root_ino = st.st_ino;
	/* the watermark is read last: every mount after it is newer */
	r = probe_run_facts(&info.facts, err);
	if (r < 0)
		return error_wrap(err, "recording the run");
	/* the run's first mount got its id before the watermark was read (mounts of other runs since may be higher) */
	if (first_mnt_id && info.facts.mnt_watermark >= first_mnt_id)
		info.facts.mnt_watermark = first_mnt_id - 1;
	a->pid = info.facts.pid;
	a->pid_start = info.facts.pid_start;
	return journal_begin_run(a->j, &info, p, steps, &a->run, err);
}

void runctl_loop_tag(void *data, uint32_t index, char buf[64])
{
	const struct runctl_apply *a = data;

	if (a->off)
		buf[0] = '\0';
	else
		probe_loop_tag(buf, a->pid, a->pid_start, index);
}

int runctl_apply_finish(struct runctl_apply *a, const struct step_state *steps, uint32_t n, int64_t failed_step,
			const char *error, struct mp_error *err)
{
	enum run_state state = RUN_APPLIED;

	if (a->off || !a->j || a->run <= 0)
		return 0;
	if (failed_step >= 0 || error) {
		state = RUN_ROLLED_BACK;
		for (uint32_t i = 0; i < n; i++)
			if (steps[i].status == STEP_UNDO_FAILED)
				state = RUN_FAILED;
	}
	return journal_finish_run(a->j, a->run, state, steps, n, failed_step, error, err);
}

void runctl_apply_close(struct runctl_apply *a)
{
	journal_close(a->j);
	a->j = NULL;
	if (a->path_lock_fd >= 0)
		close(a->path_lock_fd);
	if (a->lock_fd >= 0)
		close(a->lock_fd);
	a->lock_fd = a->path_lock_fd = -1;
}

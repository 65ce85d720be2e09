/*
 * main.c — the `mrun` command line.  The only file of the executor that
 * prints or exits; everything below returns errors (runtime/error.h).
 *
 *   mrun apply PLAN.mpb [--root DIR] [--dry-run] [-v] [--timings] [--journal PATH]
 *   mrun rollback|recover|status|history|show|verify ...   (runctl.c)
 *
 * Order at start, each for a reason:
 *   1. every inherited fd >= 3 becomes close-on-exec, so no helper we run
 *      (mount.fuse, mount.nfs) inherits a descriptor it was not meant to;
 *   2. the whole program is loaded and verified before any syscall that
 *      changes state: a bad file is refused as a whole;
 *   3. the root is opened once (O_PATH|O_DIRECTORY) and made the cwd; every
 *      later path is resolved relative to that fd.
 * Exit status: 0 applied (or dry run done), 1 refused or failed (and rolled
 * back), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "exec.h"
#include "oci-hook.h"
#include "program.h"
#include "runctl.h"
#include "timings.h"
#include "undo.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void usage(FILE *out)
{
	fputs("usage: mrun apply PLAN.mpb [--root DIR | --oci-hook] [--dry-run] [-v] [--timings]\n"
	      "\n"
	      "  apply      verify the bytecode PLAN.mpb (from `mplan compile`) and run it as one\n"
	      "             transaction inside the root: on failure every completed step is undone\n"
	      "  --root DIR the root the plan's targets are in (default: the plan's `root:`)\n"
	      "  --oci-hook run as an OCI createRuntime hook: read the container state on stdin,\n"
	      "             enter the container's namespaces, apply onto its root (config.json)\n"
	      "  --dry-run  resolve and print what each step would do; change nothing\n"
	      "  -v         log every step with its duration\n"
	      "  --timings  print where the time went, phase by phase, in one line on stderr\n"
	      "  --journal PATH      the run journal (default /run/mountplan/journal.db; \"off\": none)\n"
	      "  --lock-timeout MS   wait this long for another run on the same root (default 10000)\n"
	      "\n"
	      "       mrun rollback RUN | --root DIR   undo an applied run in reverse (container stop)\n"
	      "                                        [--timings: where the time went, as for apply]\n"
	      "       mrun rollback --container ID     undo container ID's run (an OCI poststop hook)\n"
	      "       mrun recover                     undo the runs whose executor died\n"
	      "       mrun status [--json]             runs in progress, applied, needing attention\n"
	      "       mrun history [--limit N] [--json]\n"
	      "       mrun show RUN [--json]           a run and each of its steps\n"
	      "       mrun verify RUN                  does the kernel still match an applied run\n"
	      "       mrun prune [--keep N]            forget the undone runs but the newest N (default 0)\n"
	      "       (each takes --journal PATH)\n",
	      out);
}

/* Step lines of a rollback, newest first, as undo left them in the steps. */
static void report_undo(const struct exec_ctx *ctx, uint32_t upto)
{
	uint32_t undone = 0, failed = 0;
	char where[300];

	for (uint32_t i = upto; i-- > 0;) {
		const struct step_state *st = &ctx->steps[i];
		enum op op = (enum op)ctx->prog->insns[i].op;

		if (st->status != STEP_UNDONE && st->status != STEP_UNDO_FAILED)
			continue;
		exec_where(ctx, i, where, sizeof(where));
		if (st->status == STEP_UNDONE) {
			undone++;
			if (op_undo(op) != UNDO_NONE)
				fprintf(stderr, "mrun: undo step %" PRIu32 " %s (%s): undone\n", i, op_name(op), where);
		} else {
			failed++;
			fprintf(stderr, "mrun: undo step %" PRIu32 " %s (%s): FAILED: %s\n", i, op_name(op), where,
				st->error ? st->error : "?");
		}
	}
	fprintf(stderr, "mrun: rolled back: %" PRIu32 " step%s undone, %" PRIu32 " undo failure%s\n", undone,
		undone == 1 ? "" : "s", failed, failed == 1 ? "" : "s");
}

static int cmd_apply(int argc, char **argv)
{
	const char *plan = NULL, *root = NULL;
	bool dry_run = false, verbose = false, oci = false, timed = false;
	struct timings clock;
	_cleanup_(oci_hook_free) struct oci_hook hook = { 0 };
	struct runctl_opts jopts = { .lock_timeout_ms = 10000 };
	struct runctl_apply txn = RUNCTL_APPLY_INIT;
	int64_t already = 0;
	struct program prog = { 0 };
	struct exec_ctx ctx = { 0 };
	struct mp_error err = { 0 };
	int root_fd, r, status = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strncmp(argv[i], "--root=", 7) == 0)
			root = argv[i] + 7;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--oci-hook") == 0)
			oci = true;
		else if (strcmp(argv[i], "--journal") == 0 && i + 1 < argc)
			jopts.journal = argv[++i];
		else if (strcmp(argv[i], "--lock-timeout") == 0 && i + 1 < argc)
			jopts.lock_timeout_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
			verbose = true;
		else if (strcmp(argv[i], "--timings") == 0)
			timed = true;
		else if (argv[i][0] == '-' || plan) {
			fprintf(stderr, "mrun apply: unexpected argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		} else
			plan = argv[i];
	}
	if (!plan) {
		fputs("mrun apply: which plan? (a .mpb file from `mplan compile`)\n", stderr);
		usage(stderr);
		return 2;
	}

	timings_start(&clock, timed);
	r = program_load_file(plan, &prog, &err);
	if (r == 0)
		r = verify_program(&prog, &err);
	timings_mark(&clock, "load+verify");
	if (r < 0) {
		fprintf(stderr, "mrun: %s: refused: %s\n", plan, err.msg);
		program_free(&prog);
		return 1;
	}
	if (oci) {
		/* the program is verified before we touch the container; the
		 * applying process is then a child in the container's pid
		 * namespace and this one relays its exit status */
		bool in_child = false;
		int child_status = 1;

		r = root ? error_set(&err, EINVAL, "--root and --oci-hook exclude each other") : 0;
		if (r == 0)
			r = oci_hook_read(STDIN_FILENO, &hook, &err);
		if (r == 0)
			r = oci_hook_enter(&hook, &in_child, &child_status, &err);
		if (r < 0 || !in_child) {
			if (r < 0)
				fprintf(stderr, "mrun: --oci-hook: %s\n", err.msg);
			program_free(&prog);
			return r < 0 ? 1 : child_status;
		}
		root = hook.rootfs;
		/* the journal records it (runctl_apply_begin): `rollback --container` finds the run */
		setenv("MOUNTPLAN_CONTAINER_ID", hook.id, 1);
	}
	if (!root || !*root)
		root = program_str(&prog, prog.hdr.plan_root);
	if (!*root) {
		fprintf(stderr, "mrun: %s: the plan has no root: and no --root was given\n", plan);
		program_free(&prog);
		return 2;
	}
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0 || fchdir(root_fd) < 0) {
		fprintf(stderr, "mrun: root '%s': %s\n", root, strerror(errno));
		if (root_fd >= 0)
			close(root_fd);
		program_free(&prog);
		return 1;
	}
	r = exec_init(&ctx, &prog, root_fd, root, &err);
	if (r < 0) {
		fprintf(stderr, "mrun: %s\n", err.msg);
		program_free(&prog);
		return 1;
	}
	ctx.verbose = verbose;
	ctx.log = stderr;
	/* where idmapped overlay layers are parked for a moment (default EXEC_PARK_DIR) */
	ctx.park_dir = getenv("MOUNTPLAN_PARK_DIR");
	/* test hook: it can only make the run take the older overlay path */
	ctx.no_lowerdir_plus = getenv("MOUNTPLAN_TEST_NO_LOWERDIR_PLUS") != NULL;

	timings_mark(&clock, "init");
	if (dry_run) {
		r = exec_dry_run(&ctx, stdout, &err);
		if (r < 0)
			fprintf(stderr, "mrun: dry run: %s\n", err.msg);
		status = r < 0;
		goto out;
	}
	/* the journal (runctl.c): a bad journal or a busy root stops us before any mount */
	r = runctl_apply_open(&txn, &jopts, &prog, root, &already, &err);
	timings_mark(&clock, "journal-open");
	if (r < 0) {
		fprintf(stderr, "mrun: %s\n", err.msg);
		goto out;
	}
	if (r > 0) {
		fprintf(stderr, "mrun: %s is already applied on %s as run %" PRId64 " and the kernel matches it: nothing to do\n",
			plan, root, already);
		status = 0;
		goto out;
	}
	/* from here a SIGINT/SIGTERM/SIGHUP/SIGQUIT waits for the current step, then rolls back */
	if (exec_block_signals(&err) == 0)
		ctx.check_signals = true;
	ctx.hooks.data = &txn;
	ctx.hooks.loop_tag = runctl_loop_tag;
	r = exec_prepare(&ctx, &err);
	timings_mark(&clock, "prepare");
	if (r == 0)
		r = runctl_apply_begin(&txn, &prog, root, plan, ctx.park_dir, ctx.steps, ctx.run_root_id, &err);
	timings_mark(&clock, "journal-begin");
	if (r < 0) {
		fprintf(stderr, "mrun: %s (no mount was made)\n", err.msg);
		goto out;
	}
	r = exec_run(&ctx, &err);
	timings_mark(&clock, "steps");
	if (r < 0) {
		uint32_t failed_step = ctx.failed_step;
		struct mp_error jerr = { 0 };

		fprintf(stderr, "mrun: apply failed: %s\n", err.msg);
		undo_run(&ctx);
		timings_mark(&clock, "undo");
		report_undo(&ctx, failed_step == EXEC_NO_STEP ? prog.hdr.n_insns : failed_step);
		if (runctl_apply_finish(&txn, ctx.steps, prog.hdr.n_insns,
					failed_step == EXEC_NO_STEP ? -1 : (int64_t)failed_step, err.msg, &jerr) < 0)
			fprintf(stderr, "mrun: %s\n", jerr.msg);
		goto out;
	}
	r = runctl_apply_finish(&txn, ctx.steps, prog.hdr.n_insns, -1, NULL, &err);
	timings_mark(&clock, "journal-finish");
	if (r < 0) {
		/* a run the journal cannot call applied is not applied: undo it now, as a failure */
		struct mp_error jerr = { 0 };

		fprintf(stderr, "mrun: recording the applied run failed: %s; undoing it\n", err.msg);
		undo_run(&ctx);
		report_undo(&ctx, prog.hdr.n_insns);
		if (runctl_apply_finish(&txn, ctx.steps, prog.hdr.n_insns, -1, err.msg, &jerr) < 0)
			fprintf(stderr, "mrun: %s (`mrun recover` will reconcile the run)\n", jerr.msg);
		goto out;
	}
	if (verbose)
		fprintf(stderr, "mrun: applied %" PRIu32 " steps on %s\n", prog.hdr.n_insns, root);
	status = 0;
out:
	exec_fini(&ctx);
	timings_mark(&clock, "cleanup");
	runctl_apply_close(&txn);
	timings_mark(&clock, "journal-close");
	program_free(&prog);
	timings_print(&clock, stderr, "mrun");
	return status;
}

/* rollback, recover, status, history, show, verify: the journal's commands (runctl.c). */
static int cmd_journal(const char *cmd, int argc, char **argv)
{
	struct runctl_opts o = { .lock_timeout_ms = 10000 };
	struct timings clock;
	bool timed = false;
	const char *root = NULL, *container = NULL;
	unsigned limit = 0;
	int64_t run = 0;
	struct mp_error err = { 0 };
	bool needs_run = strcmp(cmd, "show") == 0 || strcmp(cmd, "verify") == 0;
	int r;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--journal") == 0 && i + 1 < argc)
			o.journal = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strcmp(cmd, "rollback") == 0 && strcmp(argv[i], "--container") == 0 && i + 1 < argc)
			container = argv[++i];
		else if (strcmp(cmd, "rollback") == 0 && strcmp(argv[i], "--timings") == 0)
			timed = true;
		else if (strcmp(argv[i], "--lock-timeout") == 0 && i + 1 < argc)
			o.lock_timeout_ms = atoi(argv[++i]);
		else if ((strcmp(argv[i], "--limit") == 0 || strcmp(argv[i], "--keep") == 0) && i + 1 < argc)
			limit = (unsigned)atoi(argv[++i]);
		else if (argv[i][0] != '-' && run == 0 && atoll(argv[i]) > 0)
			run = atoll(argv[i]);
		else {
			fprintf(stderr, "mrun %s: unexpected argument '%s'\n", cmd, argv[i]);
			return 2;
		}
	}
	if (container) {
		/* oci-hook.c: the container's newest run; one already undone
		 * (its apply failed, or a rollback ran) leaves nothing to do */
		r = oci_hook_container_run(o.journal, container, &run, &err);
		if (r == 1) {
			printf("container %s: run %" PRId64 " is already undone: nothing to do\n", container, run);
			return 0;
		}
		if (r < 0) {
			fprintf(stderr, "mrun rollback: %s\n", err.msg);
			return 1;
		}
	}
	if ((needs_run && run <= 0) || (strcmp(cmd, "rollback") == 0 && run <= 0 && !root)) {
		fprintf(stderr, "mrun %s: which run? (a RUN number from `mrun history`%s)\n", cmd,
			strcmp(cmd, "rollback") == 0 ? ", or --root DIR" : "");
		return 2;
	}
	if (strcmp(cmd, "rollback") == 0) {
		timings_start(&clock, timed);
		o.clock = &clock;
		r = runctl_rollback(stdout, &o, run, root, &err);
		timings_mark(&clock, "journal-close");
		fflush(stdout);
		timings_print(&clock, stderr, "mrun");
	} else if (strcmp(cmd, "recover") == 0)
		r = runctl_recover(stdout, &o, &err);
	else if (strcmp(cmd, "status") == 0)
		r = runctl_status(stdout, &o, &err);
	else if (strcmp(cmd, "history") == 0)
		r = runctl_history(stdout, &o, limit, &err);
	else if (strcmp(cmd, "show") == 0)
		r = runctl_show(stdout, &o, run, &err);
	else if (strcmp(cmd, "prune") == 0)
		r = runctl_prune(stdout, &o, limit, &err);
	else
		r = runctl_verify(stdout, &o, run, &err);
	fflush(stdout);
	if (r < 0) {
		fprintf(stderr, "mrun %s: %s\n", cmd, err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	/* nothing we were given may leak into a mount helper */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	/* modes in the plan are exact: no umask between the plan and the kernel */
	umask(0);

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "apply") == 0)
		return cmd_apply(argc - 1, argv + 1);
	for (const char *const *c = (const char *const[]){ "rollback", "recover", "status", "history", "show", "verify", "prune",
							   NULL };
	     *c; c++)
		if (strcmp(argv[1], *c) == 0)
			return cmd_journal(*c, argc - 1, argv + 1);
	fprintf(stderr, "mrun: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

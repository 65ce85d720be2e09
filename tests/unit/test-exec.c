/*
 * test-exec.c — the interpreter's control flow on a scratch root, with
 * instructions that need no privilege (MKDIR, SKIP_UNLESS_EMPTY, END):
 * step states, the forward jump of `when: empty`, an optional entry that
 * fails (its done steps undone, the rest of the entry skipped, the run
 * going on), a failing non-optional step (error naming step, opcode and
 * plan line; nothing undone until undo_run, which then removes exactly
 * what was created), and exec_prepare's intents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "mpb-builder.h"
#include "program.h"
#include "tap.h"
#include "undo.h"

static char scratch[64];

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	return lstat(p, &st) == 0;
}

static int load(struct mpb *b, struct program *p)
{
	struct mp_error err;
	size_t len;
	uint8_t *bytes = mpb_bytes(b, &len);
	int r = program_load_bytes(bytes, len, p, &err);

	free(bytes);
	if (r == 0)
		r = verify_program(p, &err);
	if (r < 0)
		tap_diag("program refused: %s", err.msg);
	return r;
}

static int start(struct exec_ctx *ctx, const struct program *p)
{
	struct mp_error err;
	int root = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return exec_init(ctx, p, root, scratch, &err);
}

static void test_flow(void)
{
	struct program p = { 0 };
	struct exec_ctx ctx;
	struct mp_error err;
	struct mpb b;
	uint32_t i;

	mpb_init(&b, 0, 4);
	i = MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/a/b"), 0755);
	mpb_debug(&b, i, 0, 3, 5);
	i = MPB_INSN(&b, OP_SKIP_UNLESS_EMPTY, 0, mpb_str(&b, "/full"), 3);
	mpb_debug(&b, i, 1, 6, 5);
	i = MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/full/x"), 0755);
	mpb_debug(&b, i, 1, 7, 5);
	i = MPB_INSN(&b, OP_MKDIR, MP_IF_OPTIONAL, mpb_str(&b, "/opt/x"), 0755);
	mpb_debug(&b, i, 2, 9, 5);
	i = MPB_INSN(&b, OP_MKDIR, MP_IF_OPTIONAL, mpb_str(&b, "/file/y"), 0755);
	mpb_debug(&b, i, 2, 10, 5);
	i = MPB_INSN(&b, OP_MKDIR, MP_IF_OPTIONAL, mpb_str(&b, "/opt/z"), 0755);
	mpb_debug(&b, i, 2, 11, 5);
	i = MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/c"), 0700);
	mpb_debug(&b, i, 3, 13, 5);
	MPB_INSN(&b, OP_END, 0);
	if (load(&b, &p) < 0 || start(&ctx, &p) < 0) {
		tap_skip(12, "setup failed");
		return;
	}
	ctx.log = NULL;
	CHECK_INT(exec_prepare(&ctx, &err), 0, "prepare");
	CHECK(!ctx.steps[0].existed_before && ctx.steps[0].created_components == 2,
	      "intent: /a/b is missing, two components to create");
	CHECK(ctx.steps[6].created_components == 1, "intent: /c, one component");
	CHECK(!exists("a"), "prepare created nothing");

	CHECK_INT(exec_run(&ctx, &err), 0, "the run succeeds despite the optional failure");
	CHECK(exists("a/b") && exists("c"), "the plain entries are done");
	CHECK(!exists("full/x"), "the entry after a non-empty `when: empty` target was jumped over");
	CHECK(!exists("opt"), "the optional entry's done step was undone");
	CHECK(ctx.steps[0].status == STEP_DONE && ctx.steps[1].status == STEP_DONE &&
	      ctx.steps[2].status == STEP_SKIPPED && ctx.steps[3].status == STEP_UNDONE &&
	      ctx.steps[4].status == STEP_FAILED && ctx.steps[5].status == STEP_SKIPPED &&
	      ctx.steps[6].status == STEP_DONE && ctx.steps[7].status == STEP_DONE,
	      "step states: done, done, skipped, undone, failed, skipped, done, done");
	CHECK(ctx.steps[4].err == ENOTDIR && ctx.steps[4].error && strstr(ctx.steps[4].error, "/file"),
	      "the optional failure is recorded with its errno and message");
	CHECK(ctx.failed_step == EXEC_NO_STEP, "no failed step for the run");
	{
		struct stat st;
		char path[128];

		snprintf(path, sizeof(path), "%s/c", scratch);
		CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700, "the plan's mode is applied exactly");
	}
	exec_fini(&ctx);
	program_free(&p);
}

static void test_failure(void)
{
	struct program p = { 0 };
	struct exec_ctx ctx;
	struct mp_error err;
	struct mpb b;
	uint32_t i, failed;

	mpb_init(&b, 0, 2);
	i = MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/d/e/f"), 0755);
	mpb_debug(&b, i, 0, 4, 13);
	i = MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/a/b"), 0755); /* exists: undo must leave it */
	mpb_debug(&b, i, 1, 7, 13);
	i = MPB_INSN(&b, OP_MKDIR, 0, mpb_str(&b, "/file/y"), 0755);
	mpb_debug(&b, i, 1, 8, 13);
	MPB_INSN(&b, OP_END, 0);
	if (load(&b, &p) < 0 || start(&ctx, &p) < 0) {
		tap_skip(6, "setup failed");
		return;
	}
	CHECK_INT(exec_run(&ctx, &err), -ENOTDIR, "a failing step fails the run with its errno");
	CHECK_INT(ctx.failed_step, 2, "failed_step names it");
	CHECK(strstr(err.msg, "step 2 (MKDIR) at plan.yaml:8:13: create '/file/y'") != NULL,
	      "the error names step, opcode, plan file:line:col and path");
	tap_diag("%s", err.msg);
	CHECK(exists("d/e/f"), "exec_run itself undoes nothing (the journal records first)");
	failed = undo_run(&ctx);
	CHECK(failed == 0 && !exists("d") && exists("a/b"), "undo_run removes exactly what was created");
	CHECK(ctx.steps[0].status == STEP_UNDONE && ctx.steps[1].status == STEP_UNDONE &&
	      ctx.steps[2].status == STEP_FAILED,
	      "undone, undone, failed");
	exec_fini(&ctx);
	program_free(&p);
}

int main(void)
{
	char cmd[200];

	tap_plan(0);
	strcpy(scratch, "/tmp/test-exec.XXXXXX");
	if (!mkdtemp(scratch))
		tap_skip_all("no scratch directory");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/full && touch %s/full/keep %s/file", scratch, scratch, scratch);
	if (system(cmd) != 0)
		tap_skip_all("cannot prepare the scratch root");
	umask(0);
	test_flow();
	test_failure();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", scratch);
	return tap_done();
}

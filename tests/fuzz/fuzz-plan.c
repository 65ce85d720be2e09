/*
 * fuzz-plan.c — fuzz target for the compiler: plan bytes through the YAML
 * front end (front_load_plan_bytes: libyaml tree, parse, validate) and, when
 * the plan is accepted, through the back end (back_compile).
 *
 * Refusing is fine (any mix of diagnostics); what must hold for every input:
 *   - nothing crashes, reads out of bounds, leaks or hits undefined
 *     behaviour (the sanitizers watch), on bytes that are not NUL-terminated;
 *   - a refused plan has at least one error diagnostic;
 *   - bytecode the compiler writes loads, verifies and disassembles: the
 *     runtime's verifier is the judge of the compiler, never the other way;
 *   - the same plan compiles to the same bytes twice (DESIGN.md);
 *   - diagnostics print as text and JSON, the graph as DOT.
 * A broken invariant is fuzz_bug() (abort: libFuzzer keeps the input).
 * tests/fuzz/plan.t replays tests/fuzz/corpus/plan/ with the gcc build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "back.h"
#include "front.h"
#include "fuzz/fuzz.h"
#include "program.h"

#define PLAN_NAME "fuzz.yaml"

static FILE *devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "we");
	if (!f)
		fuzz_fatal("cannot open /dev/null");
	return f;
}

/* "E101 E203 ..." of a sink's diagnostics, for the verdict. */
static void sink_codes(const struct diag_sink *sink, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sink->n && len + 8 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", diag_code(sink->items[i].id));
}

/* The bytecode the compiler wrote must pass the runtime's loader and verifier: 0, or -1 after fuzz_bug. */
static int check_bytecode(const uint8_t *bytes, size_t len)
{
	struct program p = { 0 };
	struct mp_error err = { 0 };
	int r = -1;

	if (program_load_bytes(bytes, len, &p, &err) < 0)
		fuzz_bug("compiled bytecode does not load: %s", err.msg);
	else if (verify_program(&p, &err) < 0)
		fuzz_bug("compiled bytecode does not verify: %s", err.msg);
	else {
		disasm_print(devnull(), &p);
		r = 0;
	}
	program_free(&p);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_sink sink;
	struct ir_plan plan;
	uint8_t *bytes = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	char codes[256];
	int r;

	diag_sink_init(&sink, PLAN_NAME);
	r = front_load_plan_bytes(PLAN_NAME, (const char *)data, size, &plan, &sink);
	if (r < 0) {
		if (sink.n_errors == 0) {
			fuzz_bug("front end refused the plan without an error diagnostic");
			goto out;
		}
		sink_codes(&sink, codes, sizeof(codes));
		fuzz_verdict("refused by the front end: %s", codes);
		goto out;
	}
	r = back_compile(&plan, &sink, &bytes, &len);
	if (r < 0) {
		if (sink.n_errors == 0) {
			fuzz_bug("back end refused the plan without an error diagnostic");
			goto out;
		}
		sink_codes(&sink, codes, sizeof(codes));
		fuzz_verdict("refused by the back end: %s", codes);
		goto out;
	}
	if (check_bytecode(bytes, len) < 0)
		goto out;
	if (back_compile(&plan, &sink, &again, &len2) < 0) {
		fuzz_bug("the second compile of the same plan failed");
		goto out;
	}
	if (len2 != len || memcmp(bytes, again, len) != 0) {
		fuzz_bug("the same plan compiled to different bytes (%zu, then %zu)", len, len2);
		goto out;
	}
	back_print_graph(devnull(), &plan, &sink);
	sink_codes(&sink, codes, sizeof(codes));
	fuzz_verdict("accepted: %zu entries, %zu bytes of bytecode%s%s", plan.n_entries, len,
		     sink.n ? ", warnings " : "", codes);
out:
	diag_print_text(devnull(), &sink);
	diag_print_json(devnull(), &sink);
	free(bytes);
	free(again);
	diag_sink_free(&sink);
	ir_plan_free(&plan);
	return 0;
}

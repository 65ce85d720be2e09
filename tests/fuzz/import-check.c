/*
 * import-check.c — run an importer on fuzzed bytes and hold its output to
 * the contract in compiler/import.h (see import-check.h).  The imported plan
 * goes back through the front end from memory: an importer that writes a
 * plan `mplan check` refuses (a bad quote, an unnormalized path, an option
 * the table does not know) is a bug even when nothing crashes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "fuzz/fuzz.h"
#include "fuzz/import-check.h"

/* The first error of a sink (warnings come first when they are earlier in the file). */
static const struct diag *first_error(const struct diag_sink *sink)
{
	for (size_t i = 0; i < sink->n; i++)
		if (diag_severity(sink->items[i].id) == ERROR)
			return &sink->items[i];
	return NULL;
}

/* The plan the importer wrote must pass the front end. */
static void check_plan(const char *name, const char *text, size_t len)
{
	struct diag_sink sink;
	struct ir_plan plan;
	const struct diag *d;

	diag_sink_init(&sink, "imported.yaml");
	if (front_load_plan_bytes("imported.yaml", text, len, &plan, &sink) == 0) {
		fuzz_verdict("accepted: %zu entries, a plan of %zu bytes", plan.n_entries, len);
	} else {
		if (!getenv("MP_FUZZ_KNOWN")) {
			diag_print_text(stderr, &sink);
			fprintf(stderr, "--- the imported plan:\n%s---\n", text);
		}
		d = first_error(&sink);
		fuzz_bug("%s: the imported plan is refused by the front end (%s: %s)", name,
			 d ? diag_code(d->id) : "no error diagnostic", d ? d->msg : "");
	}
	ir_plan_free(&plan);
	diag_sink_free(&sink);
}

/* A refusal must come with its problems, each with a message, and no plan. */
static void check_refusal(const char *name, const struct import_problems *probs, size_t len)
{
	if (probs->n == 0) {
		fuzz_bug("%s: import refused (EINVAL) with no problem recorded", name);
		return;
	}
	for (size_t i = 0; i < probs->n; i++) {
		if (!probs->items[i].msg || !probs->items[i].msg[0]) {
			fuzz_bug("%s: problem %zu has no message", name, i);
			return;
		}
	}
	if (len != 0) {
		fuzz_bug("%s: import refused but wrote %zu bytes of plan", name, len);
		return;
	}
	fuzz_verdict("refused: %zu problems, first at %u:%u: %s", probs->n, probs->items[0].line,
		     probs->items[0].col, probs->items[0].msg);
}

void import_check(import_fn fn, const char *name, const uint8_t *data, size_t size)
{
	struct import_problems probs = { 0 };
	struct mp_error err = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int r;

	if (!out)
		fuzz_fatal("open_memstream: out of memory");
	r = fn((const char *)data, size, out, &probs, &err);
	if (fclose(out) != 0)
		fuzz_fatal("open_memstream: write failed");
	if (r == 0 && probs.n != 0)
		fuzz_bug("%s: import succeeded with %zu problems recorded", name, probs.n);
	else if (r == 0)
		check_plan(name, text, len);
	else if (r == -EINVAL && !probs.nomem)
		check_refusal(name, &probs, len);
	else
		fuzz_verdict("refused: %s", err.msg[0] ? err.msg : strerror(-r));
	free(text);
	import_problems_free(&probs);
}

/*
 * test-validate.c — the helpers behind the checks (distance, suggestions,
 * id maps, durations) and the cross-entry checks on small plans.
 */
#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "limits.h"
#include "tap.h"
#include "validate.h"

static size_t count_code(const struct diag_sink *s, const char *code)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += strcmp(diag_code(s->items[i].id), code) == 0;
	return n;
}

/* Load a plan from text and return the diagnostics' codes, space separated, in print order (static buffer). */
static const char *codes_of(const char *yaml)
{
	static char buf[512];
	struct diag_sink sink;
	struct ir_plan plan;
	FILE *f;
	char *text = NULL;
	size_t len = 0;

	diag_sink_init(&sink, "p");
	front_load_plan_bytes("p", yaml, strlen(yaml), &plan, &sink);
	f = open_memstream(&text, &len);
	diag_print_text(f, &sink);
	fclose(f);
	buf[0] = '\0';
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *c = strchr(line, '[');
		if (c && strlen(buf) + 6 < sizeof(buf)) {
			if (buf[0])
				strcat(buf, " ");
			strncat(buf, c + 1, 4);
		}
	}
	free(text);
	diag_sink_free(&sink);
	ir_plan_free(&plan);
	return buf;
}

int main(void)
{
	struct diag_sink sink;
	uint32_t ms = 0;
	char big[MP_MAX_IDMAP_RANGES * 24 + 64];

	tap_plan(0);
	CHECK_INT(validate_distance("target", 6, "target", 6), 0, "distance to itself");
	CHECK_INT(validate_distance("targt", 5, "target", 6), 1, "one deletion");
	CHECK_INT(validate_distance("nodve", 5, "nodev", 5), 1, "a transposition counts one");
	CHECK_INT(validate_distance("", 0, "abc", 3), 3, "from empty");
	CHECK_STR(validate_key_suggest(KCTX_ENTRY, "targt"), "target", "targt -> target");
	CHECK_STR(validate_key_suggest(KCTX_LOOP, "ofset"), "offset", "ofset -> offset (loop)");
	CHECK(validate_key_suggest(KCTX_ENTRY, "zzzzzzzz") == NULL, "nothing close: no suggestion");
	CHECK(validate_key(KCTX_REQUIRES, "carrier") != NULL, "requires.carrier is a key");
	CHECK(validate_key(KCTX_PLAN, "target") == NULL, "target is not a top-level key");

	CHECK(validate_duration("5s", &ms) == 0 && ms == 5000, "5s");
	CHECK(validate_duration("500ms", &ms) == 0 && ms == 500, "500ms");
	CHECK(validate_duration("3600s", &ms) == 0 && ms == MP_MAX_TIMEOUT_MS, "one hour is the maximum");
	CHECK(validate_duration("3601s", &ms) < 0, "over an hour");
	CHECK(validate_duration("5", &ms) < 0, "no unit");
	CHECK(validate_duration("5m", &ms) < 0, "minutes are not a unit");
	CHECK(validate_duration("-1s", &ms) < 0, "negative");
	CHECK(validate_duration("99999999999999999999s", &ms) < 0, "overflow");

	diag_sink_init(&sink, "p");
	CHECK(validate_idmap(&sink, "0:100000:65536", 1, 1), "one range");
	CHECK(validate_idmap(&sink, "0:100000:1000,1000:1000:1,1001:101001:64535", 1, 1), "three disjoint ranges");
	CHECK(validate_idmap(&sink, "4294967295:0:1", 1, 1), "the last id is fine");
	CHECK_INT(sink.n, 0, "no diagnostics so far");
	CHECK(!validate_idmap(&sink, "4294967295:0:2", 1, 1) && count_code(&sink, "E216") == 1, "past 2^32 inside: E216");
	CHECK(!validate_idmap(&sink, "0:4294967295:2", 1, 1) && count_code(&sink, "E216") == 2, "past 2^32 outside: E216");
	CHECK(!validate_idmap(&sink, "0:100:10,9:200:1", 1, 1) && count_code(&sink, "E215") == 1, "inside overlap: E215");
	CHECK(!validate_idmap(&sink, "0:100:10,20:105:1", 1, 1) && count_code(&sink, "E215") == 2, "outside overlap: E215");
	CHECK(!validate_idmap(&sink, "0:100", 1, 1) && count_code(&sink, "E214") == 1, "two numbers: E214");
	CHECK(!validate_idmap(&sink, "0:1:0", 1, 1) && count_code(&sink, "E214") == 2, "count 0: E214");
	CHECK(!validate_idmap(&sink, "a:b:c", 1, 1) && count_code(&sink, "E214") == 3, "not numbers: E214");
	CHECK(!validate_idmap(&sink, "99999999999:0:1", 1, 1), "eleven digits");
	big[0] = '\0';
	for (unsigned i = 0; i <= MP_MAX_IDMAP_RANGES; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "%s%u:%u:1", i ? "," : "", i, 100000 + i);
	CHECK(!validate_idmap(&sink, big, 1, 1), "341 ranges are over the kernel's limit");
	diag_sink_free(&sink);

	/* cross-entry checks */
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {type: tmpfs, target: /data}\n"
			   "  - {type: tmpfs, target: /data/}\n"
			   "  - {type: tmpfs, target: //data}\n"
			   "  - {type: tmpfs, target: /./data}\n"),
		  "E301 E401 E301 E401 E301 E401", "/data, /data/, //data and /./data are one target");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {id: x, type: tmpfs, target: /a}\n"
			   "  - {id: x, type: tmpfs, target: /b}\n"
			   "  - {type: tmpfs, target: /c, after: [x, y]}\n"),
		  "E400 E402", "duplicate id, after an unknown id");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {id: /b, type: tmpfs, target: /a}\n"
			   "  - {type: tmpfs, target: /b}\n"),
		  "E400", "an explicit id can collide with a default id");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {type: tmpfs, target: /a/b}\n"
			   "  - {type: tmpfs, target: /a/bc}\n"
			   "  - {type: tmpfs, target: /a}\n"),
		  "", "nested and sibling targets are fine");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {type: tmpfs, target: /t, options: [ro, ro, nodev, shared, shared]}\n"),
		  "", "repeating a word is not a contradiction");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {type: tmpfs, target: /t, options: [ro, rw, slave, private]}\n"),
		  "E207 E208", "ro+rw, two propagation words");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {type: tmpfs, target: /s}\n"
			   "  - {id: s2, type: tmpfs, target: /s, overmount: true}\n"),
		  "", "overmount: true stacks a second mount on a target");
	CHECK_STR(codes_of("version: 1\nmounts:\n"
			   "  - {type: tmpfs, target: /s}\n"
			   "  - {type: tmpfs, target: /s, overmount: true}\n"),
		  "E400", "but the stacked entries' ids must differ");
	CHECK_STR(codes_of("version: 1\nmounts: []\n"), "", "an empty plan is fine");
	return tap_done();
}

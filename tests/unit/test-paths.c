/*
 * test-paths.c — lexical path normalization and the component order the
 * back end sorts targets by.
 */
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "tap.h"

static const struct {
	const char *in, *out;
	bool escapes;
} norm[] = {
	{ "/", "/", false },
	{ "//", "/", false },
	{ "/data", "/data", false },
	{ "/data/", "/data", false },
	{ "//data", "/data", false },
	{ "/./data", "/data", false },
	{ "/data/.", "/data", false },
	{ "/a//b///c/", "/a/b/c", false },
	{ "/a/b/../c", "/a/c", false },
	{ "/a/b/../../c", "/c", false },
	{ "/..", "/", true },
	{ "/../etc", "/etc", true },
	{ "/a/../../etc", "/etc", true },
	{ "/a/..", "/", false },
	{ "/...", "/...", false },
	{ "/a/..b/.c", "/a/..b/.c", false },
};

int main(void)
{
	char *out;
	bool esc;

	tap_plan(0);
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		out = NULL;
		esc = !norm[i].escapes;
		CHECK_INT(path_normalize(norm[i].in, &out, &esc), 0, "normalize '%s' succeeds", norm[i].in);
		CHECK_STR(out, norm[i].out, "normalize '%s'", norm[i].in);
		CHECK(esc == norm[i].escapes, "'%s' escapes: %d", norm[i].in, norm[i].escapes);
		CHECK(path_is_normalized(norm[i].in) == (strcmp(norm[i].in, norm[i].out) == 0 && !norm[i].escapes),
		      "path_is_normalized('%s')", norm[i].in);
		CHECK(path_is_normalized(out), "the result '%s' is normalized", out);
		free(out);
	}
	CHECK_INT(path_normalize("data", &out, NULL), -22, "a relative path is refused");
	CHECK_INT(path_normalize("", &out, NULL), -22, "an empty path is refused");
	CHECK(!path_is_normalized("data"), "relative is not normalized");
	CHECK(!path_is_normalized(""), "empty is not normalized");

	/* component relation */
	CHECK(path_is_under("/a/b", "/a/b/c"), "/a/b/c is under /a/b");
	CHECK(path_is_under("/a/b", "/a/b"), "a path is under itself");
	CHECK(!path_is_strictly_under("/a/b", "/a/b"), "but not strictly");
	CHECK(!path_is_under("/a/b", "/a/bc"), "/a/bc is not under /a/b");
	CHECK(!path_is_under("/a/bc", "/a/b"), "/a/b is not under /a/bc");
	CHECK(path_is_under("/", "/anything"), "everything is under /");
	CHECK(path_is_strictly_under("/", "/x"), "/x is strictly under /");
	CHECK(!path_is_under("/a/b/c", "/a/b"), "a parent is not under its child");

	/* order: a parent immediately before its subtree */
	CHECK(path_compare("/a/b", "/a/b/c") < 0, "/a/b < /a/b/c");
	CHECK(path_compare("/a/b/c", "/a/bc") < 0, "/a/b/c < /a/bc");
	CHECK(path_compare("/a/b/zzz", "/a/b-") < 0, "/a/b/zzz < /a/b- ('/' sorts first)");
	CHECK(path_compare("/a", "/a") == 0, "equal paths compare equal");
	CHECK(path_compare("/b", "/a/z") > 0, "/b > /a/z");
	CHECK(path_compare("/", "/a") < 0, "/ sorts first");

	CHECK_INT(path_depth("/"), 0, "depth of /");
	CHECK_INT(path_depth("/a"), 1, "depth of /a");
	CHECK_INT(path_depth("/a/b/c"), 3, "depth of /a/b/c");
	return tap_done();
}

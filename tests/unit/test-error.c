/*
 * test-error.c — the error contract: set, errno text, wrapping with
 * context, truncation instead of overflow.
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "tap.h"

int main(void)
{
	struct mp_error err;
	char longer[2 * MP_ERROR_MSG_MAX];

	tap_plan(10);

	CHECK_INT(error_set(&err, EBUSY, "step %d", 3), -EBUSY, "error_set returns -code");
	CHECK_STR(err.msg, "step 3", "error_set formats the message");

	error_set_errno(&err, ENOENT, "open_tree '%s'", "/x");
	CHECK_STR(err.msg, "open_tree '/x': No such file or directory", "error_set_errno appends strerror");

	CHECK_INT(error_wrap(&err, "step %d (plan.yaml:4:5)", 2), -ENOENT, "error_wrap keeps the code");
	CHECK_STR(err.msg, "step 2 (plan.yaml:4:5): open_tree '/x': No such file or directory",
		  "error_wrap puts the context first");

	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	error_set(&err, 0, "%s", longer);
	CHECK(strlen(err.msg) == MP_ERROR_MSG_MAX - 1 && err.code == EINVAL,
	      "an over-long message is truncated and code 0 becomes EINVAL");

	{
		char path[4097];

		memset(path, 'p', sizeof(path) - 1);
		path[0] = '/';
		path[sizeof(path) - 1] = '\0';
		error_set_errno(&err, ENOENT, "open_tree '%s'", path);
		error_wrap(&err, "step %d (plan.yaml:4:5)", 7);
		CHECK(strncmp(err.msg, "step 7 (plan.yaml:4:5): open_tree '/ppp", 39) == 0,
		      "a message with a 4 KiB path keeps its head (the step and where it is)");
		CHECK(strlen(err.msg) == MP_ERROR_MSG_MAX - 1 &&
			      strcmp(err.msg + strlen(err.msg) - strlen("pp': No such file or directory"),
				     "pp': No such file or directory") == 0,
		      "and its end (the errno text)");
		CHECK(strstr(err.msg, " [...] ") != NULL, "the middle is cut, and says so");
	}

	error_clear(&err);
	CHECK(err.code == 0 && err.msg[0] == '\0', "error_clear forgets the error");
	return tap_done();
}

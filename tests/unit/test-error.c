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

	tap_plan(7);

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

	error_clear(&err);
	CHECK(err.code == 0 && err.msg[0] == '\0', "error_clear forgets the error");
	return tap_done();
}

/*
 * fuzz-import-fstab.c — fuzz target for `mplan import-fstab`: fstab text
 * (any bytes: NULs, invalid UTF-8, octal escapes, endless lines) through
 * import_fstab in memory, and the plan it writes through the front end.
 * The contract checked is import-check.h's.  tests/fuzz/import.t replays
 * tests/fuzz/corpus/import-fstab/ with the gcc build.
 */
#include "fuzz/fuzz.h"
#include "fuzz/import-check.h"

static int fstab(const char *text, size_t len, FILE *out, struct import_problems *probs, struct mp_error *err)
{
	return import_fstab("fuzz.fstab", text, len, out, probs, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	import_check(fstab, "import_fstab", data, size);
	return 0;
}

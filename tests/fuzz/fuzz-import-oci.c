/*
 * fuzz-import-oci.c — fuzz target for `mplan import-oci`: an OCI
 * config.json (any bytes; JSON is read by the front end's YAML tree loader)
 * through import_oci in memory with a fixed bundle directory, and the plan
 * it writes through the front end.  The contract checked is
 * import-check.h's.  tests/fuzz/import.t replays
 * tests/fuzz/corpus/import-oci/ with the gcc build.
 */
#include "fuzz/fuzz.h"
#include "fuzz/import-check.h"

static int oci(const char *text, size_t len, FILE *out, struct import_problems *probs, struct mp_error *err)
{
	return import_oci("config.json", text, len, "/run/bundle", out, probs, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	import_check(oci, "import_oci", data, size);
	return 0;
}

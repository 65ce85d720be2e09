/*
 * import-check.h — the check both importer fuzz targets make on every
 * input (fuzz-import-fstab.c, fuzz-import-oci.c), in import-check.c.
 */
#ifndef MOUNTPLAN_FUZZ_IMPORT_CHECK_H
#define MOUNTPLAN_FUZZ_IMPORT_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "import.h"

/*
 * An importer's entry point, wrapped to one shape: convert text, write the
 * plan to out, collect problems.  Same return contract as import_fstab.
 */
typedef int (*import_fn)(const char *text, size_t len, FILE *out, struct import_problems *probs,
			 struct mp_error *err);

/*
 * Run the importer on data and hold it to import.h's contract:
 *   0        a plan was written, and the front end accepts it (`mplan
 *            check` must accept an imported plan), no problem recorded;
 *   -EINVAL  at least one problem, each with a message, and nothing written;
 *   other    err says why.
 * Sets the verdict; calls fuzz_bug() when the contract breaks.
 */
void import_check(import_fn fn, const char *name, const uint8_t *data, size_t size);

#endif

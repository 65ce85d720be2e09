/*
 * write.h — serialize an emitted program (emit.h) into the bytecode file
 * layout of schema/bytecode.h: header, instructions, debug records, string
 * table, crc32.  The mirror image of runtime/load.c.
 */
#ifndef MOUNTPLAN_WRITE_H
#define MOUNTPLAN_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "emit.h"

/*
 * Make the file's bytes (malloc'd) from img.  Returns 0; -1 with E502 in
 * sink when the file would exceed MP_MAX_BYTECODE_BYTES; -ENOMEM.
 */
int write_image(const struct image *img, uint8_t **ret_bytes, size_t *ret_len, struct diag_sink *sink);

#endif

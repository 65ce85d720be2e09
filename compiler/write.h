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
 * Finish the file emit.c laid out in img (header, string table, crc32) and
 * hand its bytes over (*ret_bytes, malloc'd; img no longer has them).
 * Returns 0; -1 with E502 in sink when the file would exceed
 * MP_MAX_BYTECODE_BYTES; -EINVAL for an image emit.c did not make.
 */
int write_image(struct image *img, uint8_t **ret_bytes, size_t *ret_len, struct diag_sink *sink);

#endif

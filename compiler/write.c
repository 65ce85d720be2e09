/*
 * write.c — the bytecode file writer (layout in schema/bytecode.h).
 *
 * emit.c has already placed the instructions and debug records in the
 * file buffer, as struct mp_insn / struct mp_debug in host order, which
 * bytecode.h pins to little-endian (the reader memcpys them back the same
 * way).  Here the header is stored field by field, little-endian, at the
 * offsets bytecode.h documents, then the string table and the crc32.
 * Nothing variable (time, pointers, hash-table order) reaches the file, so
 * the same plan always gives the same bytes.
 */
#include "write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytecode.h"
#include "crc32.h"
#include "limits.h"

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

int write_image(struct image *img, uint8_t **ret_bytes, size_t *ret_len, struct diag_sink *sink)
{
	uint64_t insn_off = MP_HEADER_SIZE;
	uint64_t debug_off = insn_off + (uint64_t)MP_INSN_SIZE * img->n_insns;
	uint64_t strtab_off = debug_off + (uint64_t)MP_DEBUG_SIZE * img->n_insns;
	uint64_t strtab_len = img->strtab->len;
	uint64_t size = strtab_off + strtab_len + 4;
	uint8_t *buf = img->file, *p;

	if (size > MP_MAX_BYTECODE_BYTES) {
		diag_emit(sink, DIAG_TOO_MANY, 0, 0, "bytes of bytecode", (size_t)size, MP_MAX_BYTECODE_BYTES);
		return -1;
	}
	/* emit.c sized the file for exactly these sections. */
	if (!buf || size != img->file_size)
		return -EINVAL;

	p = buf;
	memcpy(p, MP_MAGIC, MP_MAGIC_LEN);
	p += MP_MAGIC_LEN;
	p = put32(p, MP_FORMAT_VERSION);
	p = put32(p, 0); /* flags: none in version 1 */
	p = put32(p, (uint32_t)size);
	p = put32(p, img->n_insns);
	p = put32(p, img->n_regs);
	p = put32(p, img->n_entries);
	p = put32(p, (uint32_t)insn_off);
	p = put32(p, (uint32_t)debug_off);
	p = put32(p, (uint32_t)strtab_off);
	p = put32(p, (uint32_t)strtab_len);
	p = put32(p, img->plan_file);
	p = put32(p, img->plan_root);
	memcpy(p, img->plan_sha256, 32);
	memset(p + 32, 0, 8); /* reserved */

	memcpy(buf + strtab_off, img->strtab->buf, (size_t)strtab_len);
	put32(buf + size - 4, crc32_bytes(buf, (size_t)size - 4));

	*ret_bytes = buf;
	*ret_len = (size_t)size;
	img->file = NULL;
	img->insns = NULL;
	img->debug = NULL;
	return 0;
}

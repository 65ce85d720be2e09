/*
 * write.c — the bytecode file writer (layout in schema/bytecode.h).
 *
 * Every integer is stored byte by byte in little-endian order rather than
 * by copying structs, so the bytes never depend on padding or on the host;
 * nothing variable (time, pointers, hash-table order) reaches the file, so
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

int write_image(const struct image *img, uint8_t **ret_bytes, size_t *ret_len, struct diag_sink *sink)
{
	uint64_t insn_off = MP_HEADER_SIZE;
	uint64_t debug_off = insn_off + (uint64_t)MP_INSN_SIZE * img->n_insns;
	uint64_t strtab_off = debug_off + (uint64_t)MP_DEBUG_SIZE * img->n_insns;
	uint64_t strtab_len = img->strtab->len;
	uint64_t size = strtab_off + strtab_len + 4;
	uint8_t *buf, *p;

	if (size > MP_MAX_BYTECODE_BYTES) {
		diag_emit(sink, DIAG_TOO_MANY, 0, 0, "bytes of bytecode", (size_t)size, MP_MAX_BYTECODE_BYTES);
		return -1;
	}
	buf = calloc(1, (size_t)size);
	if (!buf)
		return -ENOMEM;

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
	p += 32 + 8; /* reserved: zero */

	for (uint32_t i = 0; i < img->n_insns; i++) {
		const struct mp_insn *in = &img->insns[i];

		*p++ = in->op;
		*p++ = in->flags;
		*p++ = 0;
		*p++ = 0;
		for (int k = 0; k < MP_NOPERANDS; k++)
			p = put32(p, in->o[k]);
	}
	for (uint32_t i = 0; i < img->n_insns; i++) {
		p = put32(p, img->debug[i].entry);
		p = put32(p, img->debug[i].line);
		p = put32(p, img->debug[i].col);
	}
	memcpy(p, img->strtab->buf, (size_t)strtab_len);
	p += strtab_len;
	put32(p, crc32_bytes(buf, (size_t)size - 4));

	*ret_bytes = buf;
	*ret_len = (size_t)size;
	return 0;
}

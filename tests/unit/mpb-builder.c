/*
 * mpb-builder.c — see mpb-builder.h.  Writes the layout of
 * schema/bytecode.h on its own (it is a second, independent writer: the
 * reader must accept what it makes and refuse each deliberate breakage).
 */
#include "mpb-builder.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"

void mpb_init(struct mpb *b, uint32_t n_regs, uint32_t n_entries)
{
	memset(b, 0, sizeof(*b));
	memcpy(b->hdr.magic, MP_MAGIC, MP_MAGIC_LEN);
	b->hdr.version = MP_FORMAT_VERSION;
	b->hdr.n_regs = n_regs;
	b->hdr.n_entries = n_entries;
	b->strtab_len = 1; /* offset 0 is "" */
	b->hdr.plan_file = mpb_str(b, "plan.yaml");
	b->hdr.plan_root = 0;
	for (int i = 0; i < 32; i++)
		b->hdr.plan_sha256[i] = (uint8_t)(0xa0 + i);
}

uint32_t mpb_raw(struct mpb *b, const void *data, size_t len)
{
	uint32_t off = b->strtab_len;

	assert(b->strtab_len + len <= MPB_MAX_STRTAB);
	memcpy(b->strtab + off, data, len);
	b->strtab_len += (uint32_t)len;
	return off;
}

uint32_t mpb_str(struct mpb *b, const char *s)
{
	size_t len = strlen(s);

	if (len == 0)
		return 0;
	for (uint32_t off = 1; off + len < b->strtab_len; ) {
		if (strcmp(b->strtab + off, s) == 0)
			return off;
		off += (uint32_t)strlen(b->strtab + off) + 1;
	}
	return mpb_raw(b, s, len + 1);
}

uint32_t mpb_insn(struct mpb *b, enum op op, uint8_t flags, int n, const uint32_t *o)
{
	uint32_t i = b->n_insns++;

	assert(i < MPB_MAX_INSNS && n <= MP_NOPERANDS);
	memset(&b->insns[i], 0, sizeof(b->insns[i]));
	b->insns[i].op = (uint8_t)op;
	b->insns[i].flags = flags;
	for (int k = 0; k < n; k++)
		b->insns[i].o[k] = o[k];
	b->debug[i] = (struct mp_debug){ .entry = 0, .line = i + 1, .col = 1 };
	return i;
}

void mpb_debug(struct mpb *b, uint32_t i, uint32_t entry, uint32_t line, uint32_t col)
{
	b->debug[i] = (struct mp_debug){ .entry = entry, .line = line, .col = col };
}

uint8_t *mpb_bytes(struct mpb *b, size_t *len)
{
	struct mp_header h = b->hdr;
	size_t size;
	uint8_t *buf;

	h.n_insns = b->n_insns;
	h.insn_off = MP_HEADER_SIZE;
	h.debug_off = h.insn_off + MP_INSN_SIZE * b->n_insns;
	h.strtab_off = h.debug_off + MP_DEBUG_SIZE * b->n_insns;
	h.strtab_len = b->strtab_len;
	size = h.strtab_off + h.strtab_len + 4u;
	h.file_size = (uint32_t)size;
	buf = calloc(1, size);
	assert(buf);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + h.insn_off, b->insns, (size_t)MP_INSN_SIZE * b->n_insns);
	memcpy(buf + h.debug_off, b->debug, (size_t)MP_DEBUG_SIZE * b->n_insns);
	memcpy(buf + h.strtab_off, b->strtab, b->strtab_len);
	mpb_fix_crc(buf, size);
	*len = size;
	return buf;
}

void mpb_fix_crc(uint8_t *bytes, size_t len)
{
	uint32_t crc = crc32_bytes(bytes, len - 4);

	memcpy(bytes + len - 4, &crc, 4);
}

void mpb_poke32(uint8_t *bytes, size_t len, size_t off, uint32_t v)
{
	memcpy(bytes + off, &v, 4);
	mpb_fix_crc(bytes, len);
}

size_t mpb_operand_off(uint32_t i, int slot)
{
	return MP_HEADER_SIZE + (size_t)MP_INSN_SIZE * i + 4 + 4 * (size_t)slot;
}

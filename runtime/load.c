/*
 * load.c — the bytecode reader's first gate: from untrusted bytes to a
 * struct program whose header, section layout and checksum are known to be
 * consistent (the file format is drawn in schema/bytecode.h).
 *
 * Nothing here looks at what the instructions mean; verify.c does that.
 * What load.c guarantees to everything after it:
 *   - the file is at most MP_MAX_BYTECODE_BYTES and exactly file_size long;
 *   - magic, version, header flags and reserved bytes are what this reader
 *     knows;
 *   - the sections follow each other with no gap and no overlap, and every
 *     count is inside schema/limits.h (all arithmetic in 64 bits, so a
 *     hostile count cannot wrap an offset back into the file);
 *   - the string table is non-empty, starts with "" and ends with a NUL, so
 *     any offset below strtab_len names a NUL-terminated string;
 *   - plan_file and plan_root are such offsets;
 *   - the CRC-32 over [0, file_size - 4) matches.
 * Instructions and debug records are memcpy'd into aligned arrays: the
 * file buffer itself is never read through a cast pointer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "crc32.h"
#include "limits.h"
#include "program.h"

static uint32_t load_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v)); /* little-endian host: see bytecode.h */
	return v;
}

/* Header checks that need nothing but the header and the real length. */
static int load_check_header(const struct mp_header *h, size_t len, struct mp_error *err)
{
	if (memcmp(h->magic, MP_MAGIC, MP_MAGIC_LEN) != 0)
		return error_set(err, EINVAL, "bytecode: wrong magic at offset 0 (not a mountplan .mpb file)");
	if (h->version != MP_FORMAT_VERSION)
		return error_set(err, EINVAL, "bytecode: version %u at offset 8 is not supported (this reader knows version %u)",
				 h->version, MP_FORMAT_VERSION);
	if (h->flags & ~MP_HF_KNOWN)
		return error_set(err, EINVAL, "bytecode: unknown header flags 0x%x at offset 12", h->flags & ~MP_HF_KNOWN);
	if (h->file_size != len)
		return error_set(err, EINVAL, "bytecode: file_size at offset 16 says %u bytes but the file has %zu (%s)",
				 h->file_size, len, len < h->file_size ? "truncated" : "trailing bytes");
	for (size_t i = 0; i < sizeof(h->reserved); i++)
		if (h->reserved[i] != 0)
			return error_set(err, EINVAL, "bytecode: reserved byte at offset %zu is 0x%02x, must be 0",
					 offsetof(struct mp_header, reserved) + i, h->reserved[i]);
	return 0;
}

/* The section layout of bytecode.h, in 64-bit arithmetic so no count wraps. */
static int load_check_layout(const struct mp_header *h, struct mp_error *err)
{
	uint64_t debug_off, strtab_off, end;

	if (h->n_insns == 0)
		return error_set(err, EINVAL, "bytecode: n_insns at offset 20 is 0 (a program ends with END)");
	if (h->n_insns > MP_MAX_INSNS)
		return error_set(err, EINVAL, "bytecode: n_insns at offset 20 is %u, over the limit of %u",
				 h->n_insns, MP_MAX_INSNS);
	if (h->n_regs > MP_MAX_REGS)
		return error_set(err, EINVAL, "bytecode: n_regs at offset 24 is %u, over the limit of %u",
				 h->n_regs, MP_MAX_REGS);
	if (h->n_entries > MP_MAX_ENTRIES)
		return error_set(err, EINVAL, "bytecode: n_entries at offset 28 is %u, over the limit of %u",
				 h->n_entries, MP_MAX_ENTRIES);
	if (h->insn_off != MP_HEADER_SIZE)
		return error_set(err, EINVAL, "bytecode: insn_off at offset 32 is %u, must be %u (right after the header)",
				 h->insn_off, MP_HEADER_SIZE);
	debug_off = (uint64_t)h->insn_off + (uint64_t)MP_INSN_SIZE * h->n_insns;
	if (h->debug_off != debug_off)
		return error_set(err, EINVAL, "bytecode: debug_off at offset 36 is %u, must be %llu (insn_off + 32 * n_insns)",
				 h->debug_off, (unsigned long long)debug_off);
	strtab_off = debug_off + (uint64_t)MP_DEBUG_SIZE * h->n_insns;
	if (h->strtab_off != strtab_off)
		return error_set(err, EINVAL, "bytecode: strtab_off at offset 40 is %u, must be %llu (debug_off + 12 * n_insns)",
				 h->strtab_off, (unsigned long long)strtab_off);
	if (h->strtab_len == 0)
		return error_set(err, EINVAL, "bytecode: strtab_len at offset 44 is 0 (the table starts with \"\")");
	end = strtab_off + h->strtab_len + 4;
	if (end != h->file_size)
		return error_set(err, EINVAL,
				 "bytecode: sections end at %llu (strtab_off %u + strtab_len %u + crc32 4) but file_size is %u",
				 (unsigned long long)end, h->strtab_off, h->strtab_len, h->file_size);
	return 0;
}

static int load_check_strtab(const struct mp_header *h, const char *strtab, struct mp_error *err)
{
	if (strtab[0] != '\0')
		return error_set(err, EINVAL, "bytecode: string table at offset %u does not start with \"\"", h->strtab_off);
	if (strtab[h->strtab_len - 1] != '\0')
		return error_set(err, EINVAL, "bytecode: string table at offset %u does not end with a NUL (last string unterminated)",
				 h->strtab_off);
	if (h->plan_file >= h->strtab_len)
		return error_set(err, EINVAL, "bytecode: plan_file at offset 48 is %u, outside the string table (%u bytes)",
				 h->plan_file, h->strtab_len);
	if (h->plan_root >= h->strtab_len)
		return error_set(err, EINVAL, "bytecode: plan_root at offset 52 is %u, outside the string table (%u bytes)",
				 h->plan_root, h->strtab_len);
	return 0;
}

/* Load from a buffer the program takes ownership of (on success and failure). */
static int load_owned(uint8_t *bytes, size_t len, struct program *ret, struct mp_error *err)
{
	_cleanup_free_ uint8_t *buf = bytes;
	_cleanup_free_ struct mp_insn *insns = NULL;
	_cleanup_free_ struct mp_debug *debug = NULL;
	struct mp_header h;
	uint32_t want, got;
	int r;

	if (len > MP_MAX_BYTECODE_BYTES)
		return error_set(err, EFBIG, "bytecode: %zu bytes, over the limit of %u", len, MP_MAX_BYTECODE_BYTES);
	if (len < MP_HEADER_SIZE + 4u)
		return error_set(err, EINVAL, "bytecode: %zu bytes, shorter than the %u-byte header and the crc32 (truncated)",
				 len, MP_HEADER_SIZE);
	memcpy(&h, buf, sizeof(h));
	r = load_check_header(&h, len, err);
	if (r < 0)
		return r;
	r = load_check_layout(&h, err);
	if (r < 0)
		return r;

	want = load_le32(buf + len - 4);
	got = crc32_bytes(buf, len - 4);
	if (want != got)
		return error_set(err, EINVAL, "bytecode: crc32 mismatch (file says 0x%08x at offset %zu, computed 0x%08x)",
				 want, len - 4, got);

	r = load_check_strtab(&h, (const char *)buf + h.strtab_off, err);
	if (r < 0)
		return r;

	insns = calloc(h.n_insns, sizeof(*insns));
	debug = calloc(h.n_insns, sizeof(*debug));
	if (!insns || !debug)
		return error_set_errno(err, ENOMEM, "bytecode: %u instructions", h.n_insns);
	memcpy(insns, buf + h.insn_off, (size_t)h.n_insns * MP_INSN_SIZE);
	memcpy(debug, buf + h.debug_off, (size_t)h.n_insns * MP_DEBUG_SIZE);

	*ret = (struct program){
		.size = len,
		.hdr = h,
		.insns = TAKE_PTR(insns),
		.debug = TAKE_PTR(debug),
		.strtab_len = h.strtab_len,
	};
	ret->bytes = TAKE_PTR(buf);
	ret->strtab = (const char *)ret->bytes + h.strtab_off;
	return 0;
}

int program_load_bytes(const uint8_t *buf, size_t len, struct program *ret, struct mp_error *err)
{
	uint8_t *copy;

	/* Refuse an oversized buffer before copying it. */
	if (len > MP_MAX_BYTECODE_BYTES)
		return error_set(err, EFBIG, "bytecode: %zu bytes, over the limit of %u", len, MP_MAX_BYTECODE_BYTES);
	copy = malloc(len ? len : 1);
	if (!copy)
		return error_set_errno(err, ENOMEM, "bytecode: %zu bytes", len);
	if (len)
		memcpy(copy, buf, len);
	return load_owned(copy, len, ret, err);
}

int program_load_file(const char *path, struct program *ret, struct mp_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	size_t size, have = 0;
	int r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set_errno(err, errno, "bytecode '%s': open", path);
	if (fstat(fd, &st) < 0)
		return error_set_errno(err, errno, "bytecode '%s': fstat", path);
	if (!S_ISREG(st.st_mode))
		return error_set(err, EINVAL, "bytecode '%s': not a regular file", path);
	/* Checked on the size before reading, so a huge file costs nothing. */
	if ((uint64_t)st.st_size > MP_MAX_BYTECODE_BYTES)
		return error_set(err, EFBIG, "bytecode '%s': %lld bytes, over the limit of %u",
				 path, (long long)st.st_size, MP_MAX_BYTECODE_BYTES);
	size = (size_t)st.st_size;
	/* One byte more than fstat said, to notice a file that grew meanwhile. */
	buf = malloc(size + 1);
	if (!buf)
		return error_set_errno(err, ENOMEM, "bytecode '%s': %zu bytes", path, size);
	while (have < size + 1) {
		ssize_t n = read(fd, buf + have, size + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set_errno(err, errno, "bytecode '%s': read", path);
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have != size)
		return error_set(err, EIO, "bytecode '%s': the file changed size while being read", path);
	r = load_owned(TAKE_PTR(buf), have, ret, err);
	if (r < 0)
		return error_wrap(err, "'%s'", path);
	return 0;
}

void program_free(struct program *p)
{
	if (!p)
		return;
	free(p->bytes);
	free(p->insns);
	free(p->debug);
	*p = (struct program){ 0 };
}

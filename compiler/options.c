/*
 * options.c — schema/options.def expanded into the two tables, and the
 * look-ups over them.  The tables are small (dozens of rows), so linear
 * search is the clear and fast-enough choice.
 */
#include <string.h>
#include <sys/mount.h>

#include "options.h"

const struct mount_option options_table[] = {
#define MOUNT_OPTION(word, kind, group, set, clr, prop, rec) { word, OPT_##kind, group, set, clr, prop, rec },
#define FSTYPE(name, cls, flags, keys)
#include "options.def"
#undef FSTYPE
#undef MOUNT_OPTION
};
const size_t options_count = sizeof(options_table) / sizeof(options_table[0]);

const struct fs_type fs_types[] = {
#define MOUNT_OPTION(word, kind, group, set, clr, prop, rec)
#define FSTYPE(name, cls, flags, keys) { name, FS_##cls, flags, keys },
#include "options.def"
#undef FSTYPE
#undef MOUNT_OPTION
};
const size_t fs_types_count = sizeof(fs_types) / sizeof(fs_types[0]);

const struct mount_option *options_lookup(const char *word)
{
	for (size_t i = 0; i < options_count; i++)
		if (strcmp(options_table[i].word, word) == 0)
			return &options_table[i];
	return NULL;
}

const struct fs_type *options_fs_type(const char *type)
{
	for (size_t i = 0; i < fs_types_count; i++) {
		const char *name = fs_types[i].name;
		size_t n = strlen(name);

		if (n >= 2 && strcmp(name + n - 2, ".*") == 0) {
			/* "fuse.*": the prefix and a non-empty subtype */
			if (strncmp(type, name, n - 1) == 0 && type[n - 1] != '\0')
				return &fs_types[i];
		} else if (strcmp(name, type) == 0) {
			return &fs_types[i];
		}
	}
	return NULL;
}

enum ir_fs_class options_fs_class(const char *type)
{
	const struct fs_type *fs = options_fs_type(type);
	return fs ? fs->fs_class : FS_UNKNOWN;
}

bool options_fs_accepts(const struct fs_type *fs, const char *word)
{
	const char *eq = strchr(word, '=');
	size_t klen = eq ? (size_t)(eq - word) + 1 : strlen(word); /* "key=" or "key" */

	if (klen == 0 || (eq && klen == 1))
		return false;
	for (const char *k = fs->keys; *k;) {
		size_t n = strcspn(k, " ");

		if (n == 1 && k[0] == '*')
			return true;
		if (n == klen && strncmp(k, word, klen) == 0)
			return true;
		k += n;
		while (*k == ' ')
			k++;
	}
	return false;
}

void options_each_candidate(const struct fs_type *fs, void (*fn)(void *ctx, const char *cand, size_t len), void *ctx)
{
	for (size_t i = 0; i < options_count; i++)
		fn(ctx, options_table[i].word, strlen(options_table[i].word));
	if (!fs)
		return;
	for (const char *k = fs->keys; *k;) {
		size_t n = strcspn(k, " ");

		if (!(n == 1 && k[0] == '*'))
			fn(ctx, k, n);
		k += n;
		while (*k == ' ')
			k++;
	}
}

/*
 * pathset.c — a set of paths with a prefix query (see pathset.h).  Open
 * addressing with linear probing, FNV-1a over the bytes; a prefix query
 * hashes each component-ending prefix of the path, so it costs one probe
 * per component.
 */
#include "pathset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t pathset_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

int pathset_init(struct pathset *set, uint32_t max)
{
	uint32_t cap = 16;

	while (cap < 2 * (uint64_t)max && cap < (1u << 30))
		cap *= 2;
	set->slot = calloc(cap, sizeof(*set->slot));
	set->mask = cap - 1;
	set->n = 0;
	return set->slot ? 0 : -ENOMEM;
}

void pathset_free(struct pathset *set)
{
	free(set->slot);
	set->slot = NULL;
	set->mask = 0;
	set->n = 0;
}

/* The slot holding the n bytes at s, or the empty slot where they would go. */
static uint32_t pathset_find(const struct pathset *set, const char *s, size_t n)
{
	uint32_t i = pathset_hash(s, n) & set->mask;

	while (set->slot[i] && (strncmp(set->slot[i], s, n) != 0 || set->slot[i][n] != '\0'))
		i = (i + 1) & set->mask;
	return i;
}

int pathset_add(struct pathset *set, const char *path)
{
	uint32_t i = pathset_find(set, path, strlen(path));

	if (set->slot[i])
		return 0;
	if (set->n >= (set->mask + 1) / 2) /* at most half full: probes stay short */
		return -ENOSPC;
	set->slot[i] = path;
	set->n++;
	return 0;
}

bool pathset_has(const struct pathset *set, const char *path)
{
	return set->n > 0 && set->slot[pathset_find(set, path, strlen(path))] != NULL;
}

bool pathset_has_prefix_of(const struct pathset *set, const char *path)
{
	size_t len = strlen(path);

	if (set->n == 0)
		return false;
	if (set->slot[pathset_find(set, "/", 1)])
		return true;
	for (size_t k = 1; k <= len; k++)
		if ((k == len || path[k] == '/') && set->slot[pathset_find(set, path, k)])
			return true;
	return false;
}

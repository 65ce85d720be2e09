/*
 * pathset.h — a set of normalized absolute paths, asked "is this path or
 * one of its textual prefixes in the set?".  exec.c's prepare scan uses it
 * to know which mount points a mount made earlier in the run may cover.
 * The set holds pointers to the caller's strings (the program's string
 * table), never copies.
 */
#ifndef MOUNTPLAN_PATHSET_H
#define MOUNTPLAN_PATHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pathset {
	const char **slot; /* open addressing; NULL = empty */
	uint32_t mask;     /* capacity - 1 (a power of two) */
	uint32_t n;
};

/* Room for at least max paths; -ENOMEM. */
int pathset_init(struct pathset *set, uint32_t max);

void pathset_free(struct pathset *set);

/* Add path (kept by pointer); a path already in the set is not added twice. -ENOSPC past max. */
int pathset_add(struct pathset *set, const char *path);

/* Whether path itself is in the set. */
bool pathset_has(const struct pathset *set, const char *path);

/* Whether path, "/" or any textual prefix of path ending at a component ("/a" of "/a/b") is in the set. */
bool pathset_has_prefix_of(const struct pathset *set, const char *path);

#endif

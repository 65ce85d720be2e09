/*
 * paths.h — lexical path handling shared by the compiler's front end
 * (normalization checks) and back end (ordering mounts by path).
 *
 * Everything here is purely textual: no file system is consulted, so the
 * compiler gives the same answer on any machine.  A normalized path is
 * absolute, has no empty, "." or ".." component and no trailing slash
 * (except "/" itself).  Paths are compared by components: a parent sorts
 * right before all its descendants, "/a/b" < "/a/b/c" < "/a/bc".
 */
#ifndef MOUNTPLAN_PATHS_H
#define MOUNTPLAN_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* True if p is absolute and normalized. */
bool path_is_normalized(const char *p);

/*
 * Normalize an absolute path: collapse "//", drop "." components, resolve
 * ".." lexically (never above "/"), drop a trailing "/".  *ret_escapes is
 * set when a ".." tried to go above "/" (the caller decides whether that
 * is an error: it is for paths inside the root).  Returns 0 with a malloc'd
 * *ret, -EINVAL for a relative or empty path, -ENOMEM.
 */
int path_normalize(const char *p, char **ret, bool *ret_escapes);

/* Total order by components (strcmp with '/' below every other byte); <0, 0, >0. */
int path_compare(const char *a, const char *b);

/* True if child is parent or lies under it, by components ("/" holds everything). */
bool path_is_under(const char *parent, const char *child);

/* True if child lies strictly under parent. */
bool path_is_strictly_under(const char *parent, const char *child);

/* Number of components: "/" is 0, "/a/b" is 2 (p normalized). */
size_t path_depth(const char *p);

#endif

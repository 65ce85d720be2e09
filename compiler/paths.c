/*
 * paths.c — lexical normalization and component-wise comparison of paths.
 * The back end sorts targets with path_compare so that every subtree is a
 * contiguous run (a parent immediately followed by its descendants), which
 * is what keeps the dependency graph out of quadratic territory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"

bool path_is_normalized(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	if (p[1] == '\0')
		return true;
	for (const char *c = p; *c;) {
		/* c points at a '/' that starts a component */
		const char *s = c + 1, *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0)
			return false; /* "//" or a trailing "/" */
		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		c = s + n;
	}
	return true;
}

int path_normalize(const char *p, char **ret, bool *ret_escapes)
{
	size_t len;
	char *out;
	size_t o = 0;
	bool escapes = false;

	if (!p || p[0] != '/')
		return -EINVAL;
	len = strlen(p);
	out = malloc(len + 2);
	if (!out)
		return -ENOMEM;
	for (const char *c = p; *c;) {
		const char *e;
		size_t n;

		while (*c == '/')
			c++;
		if (!*c)
			break;
		e = strchr(c, '/');
		n = e ? (size_t)(e - c) : strlen(c);
		if (n == 1 && c[0] == '.') {
			/* nothing */
		} else if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (o == 0)
				escapes = true;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the '/' before the dropped component */
		} else {
			out[o++] = '/';
			memcpy(out + o, c, n);
			o += n;
		}
		c += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	*ret = out;
	if (ret_escapes)
		*ret_escapes = escapes;
	return 0;
}

/* The byte order that puts '/' below everything but the terminating NUL. */
static int rank(unsigned char c)
{
	return c == '\0' ? 0 : c == '/' ? 1 : c + 1;
}

int path_compare(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;

	while (*x && *x == *y) {
		x++;
		y++;
	}
	return rank(*x) - rank(*y);
}

bool path_is_under(const char *parent, const char *child)
{
	size_t n = strlen(parent);

	if (n == 1 && parent[0] == '/')
		return child[0] == '/';
	if (strncmp(parent, child, n) != 0)
		return false;
	return child[n] == '\0' || child[n] == '/';
}

bool path_is_strictly_under(const char *parent, const char *child)
{
	return path_is_under(parent, child) && strcmp(parent, child) != 0;
}

size_t path_depth(const char *p)
{
	size_t d = 0;

	if (p[0] == '/' && p[1] == '\0')
		return 0;
	for (; *p; p++)
		if (*p == '/')
			d++;
	return d;
}

/*
 * cleanup.h — scope-bound destructors (GCC/Clang cleanup attribute).
 * Every destructor accepts the "empty" value (NULL, -1) so early returns
 * need no bookkeeping; TAKE_PTR/TAKE_FD hand ownership out of a scope.
 */
#ifndef MOUNTPLAN_CLEANUP_H
#define MOUNTPLAN_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno; /* close must not clobber the error being reported */
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Return the pointer and leave NULL behind, so the cleanup does nothing. */
#define TAKE_PTR(p) \
	({ \
		__typeof__(p) take_ptr_tmp_ = (p); \
		(p) = NULL; \
		take_ptr_tmp_; \
	})

/* Return the fd and leave -1 behind. */
#define TAKE_FD(fd) \
	({ \
		int take_fd_tmp_ = (fd); \
		(fd) = -1; \
		take_fd_tmp_; \
	})

#endif

/*
 * oci-hook.c — the OCI hook side of mrun (see oci-hook.h): the container
 * state and config.json read with SQLite's json_extract, and setns(2)
 * into the container's mount namespace.
 *
 * Trust: the state comes from the runtime that runs us as root, but it is
 * still parsed as untrusted input (size limit, types, id characters), and
 * the namespace we enter is checked to differ from ours, so a container
 * without a mount namespace cannot make the plan land on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "journal.h"
#include "oci-hook.h"

static void sqlite3_closep(sqlite3 **db)
{
	if (*db)
		sqlite3_close(*db);
}

static void sqlite3_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}

void oci_hook_free(struct oci_hook *hook)
{
	free(hook->id);
	free(hook->bundle);
	free(hook->rootfs);
	*hook = (struct oci_hook){ 0 };
}

/* One member of a JSON document, as SQLite's json_type / json_extract see it. */
struct json_field {
	const char *path; /* "$.root.path" */
	char type[8];     /* "text", "integer", "null" (also when missing), "object", ... */
	char *text;       /* owned, when type is "text" */
	int64_t integer;  /* when type is "integer" */
};

/*
 * Check that doc is a JSON object, then fill the type and value of each of
 * the n fields.  Free the texts with fields_free, also after a failure.
 */
static int json_fields(const char *what, const char *doc, size_t len, struct json_field *f, size_t n,
		       struct mp_error *err)
{
	_cleanup_(sqlite3_closep) sqlite3 *db = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	if (len > INT32_MAX)
		return error_set(err, EFBIG, "%s is too large", what);
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL);
	if (rc != SQLITE_OK)
		return error_set(err, ENOMEM, "%s: sqlite: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	/* json_valid first: json_type on a malformed document raises an error
	 * without saying where, and we want the plain "not JSON" answer */
	rc = sqlite3_prepare_v2(db, "SELECT json_valid(?1) AND json_type(?1, '$') = 'object'", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, doc, (int)len, SQLITE_STATIC);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		return error_set(err, EINVAL, "%s is not valid JSON (%s)", what, sqlite3_errmsg(db));
	if (sqlite3_column_int(st, 0) != 1)
		return error_set(err, EINVAL, "%s is not a JSON object", what);
	sqlite3_finalize(TAKE_PTR(st));
	/* SQLite cuts a string at a "\u0000" escape ("a\u0000b" reads as "a"):
	 * no state or config has one, so a document with it is refused */
	for (const char *p = doc; (p = memchr(p, '\\', len - (size_t)(p - doc))); p++)
		if ((size_t)(doc + len - p) >= 6 && strncasecmp(p + 1, "u0000", 5) == 0)
			return error_set(err, EINVAL, "%s holds a NUL character (\\u0000)", what);

	rc = sqlite3_prepare_v2(db, "SELECT ifnull(json_type(?1, ?2), 'null'), json_extract(?1, ?2)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return error_set(err, EIO, "%s: sqlite: %s", what, sqlite3_errmsg(db));
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		if (sqlite3_bind_text(st, 1, doc, (int)len, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_text(st, 2, f[i].path, -1, SQLITE_STATIC) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
			return error_set(err, EIO, "%s: sqlite: %s", what, sqlite3_errmsg(db));
		snprintf(f[i].type, sizeof(f[i].type), "%s", (const char *)sqlite3_column_text(st, 0));
		if (!strcmp(f[i].type, "text")) {
			const unsigned char *t = sqlite3_column_text(st, 1);
			int tl = sqlite3_column_bytes(st, 1);
			/* a "\u0000" escape would cut the C string short: refuse it */
			if (!t || memchr(t, '\0', (size_t)tl))
				return error_set(err, EINVAL, "%s: %s holds a NUL character", what, f[i].path + 2);
			f[i].text = strndup((const char *)t, (size_t)tl);
			if (!f[i].text)
				return error_set(err, ENOMEM, "%s: out of memory", what);
		} else if (!strcmp(f[i].type, "integer")) {
			f[i].integer = sqlite3_column_int64(st, 1);
		}
	}
	return 0;
}

static void fields_free(struct json_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].text);
		f[i].text = NULL;
	}
}

/* Lexically normalize an absolute path ("." dropped, ".." pops). */
static char *normalize(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 2);
	size_t o = 0;
	if (!out)
		return NULL;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = end;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

int oci_hook_parse_state(const char *json, size_t len, struct oci_hook *hook, struct mp_error *err)
{
	struct json_field f[] = { { .path = "$.id" }, { .path = "$.pid" }, { .path = "$.bundle" } };
	const size_t n = sizeof(f) / sizeof(f[0]);
	int r = json_fields("container state", json, len, f, n, err);

	if (r < 0)
		goto out;
	r = -EINVAL;
	if (strcmp(f[0].type, "text") != 0 || !f[0].text[0]) {
		error_set(err, EINVAL, "container state: id must be a non-empty string, not %s", f[0].type);
		goto out;
	}
	/* the id goes into the journal and into messages: keep it a plain name */
	if (strlen(f[0].text) > 1024 || strpbrk(f[0].text, "/\n\r\t ")) {
		error_set(err, EINVAL, "container state: id '%.64s' has a '/', a blank or is too long", f[0].text);
		goto out;
	}
	if (strcmp(f[1].type, "integer") != 0 || f[1].integer <= 0 || f[1].integer > INT32_MAX) {
		error_set(err, EINVAL, "container state: pid must be a positive integer (%s given)", f[1].type);
		goto out;
	}
	if (strcmp(f[2].type, "text") != 0 || f[2].text[0] != '/') {
		error_set(err, EINVAL, "container state: bundle must be an absolute path");
		goto out;
	}
	char *bundle = normalize(f[2].text);
	if (!bundle) {
		r = error_set(err, ENOMEM, "container state: out of memory");
		goto out;
	}
	oci_hook_free(hook);
	hook->id = TAKE_PTR(f[0].text);
	hook->pid = (pid_t)f[1].integer;
	hook->bundle = bundle;
	r = 0;
out:
	fields_free(f, n);
	return r;
}

int oci_hook_rootfs_from_config(const char *config, size_t len, const char *bundle, char **ret,
				struct mp_error *err)
{
	struct json_field f[] = { { .path = "$.root.path" } };
	_cleanup_free_ char *joined = NULL;
	int r = json_fields("config.json", config, len, f, 1, err);

	if (r < 0)
		return r;
	if (strcmp(f[0].type, "text") != 0 || !f[0].text[0]) {
		fields_free(f, 1);
		return error_set(err, EINVAL, "config.json: root.path must be a non-empty string");
	}
	if (f[0].text[0] == '/')
		joined = TAKE_PTR(f[0].text);
	else if (asprintf(&joined, "%s/%s", bundle, f[0].text) < 0)
		joined = NULL;
	fields_free(f, 1);
	if (!joined)
		return error_set(err, ENOMEM, "config.json: out of memory");
	*ret = normalize(joined);
	if (!*ret)
		return error_set(err, ENOMEM, "config.json: out of memory");
	return 0;
}

/* Read at most max bytes of fd; -EFBIG when there is more. */
static int read_bounded(int fd, size_t max, char **ret, size_t *ret_len, const char *what, struct mp_error *err)
{
	_cleanup_free_ char *buf = malloc(max + 1);
	size_t len = 0;

	if (!buf)
		return error_set(err, ENOMEM, "%s: out of memory", what);
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set_errno(err, errno, "reading %s", what);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return error_set(err, EFBIG, "%s is larger than %zu bytes", what, max);
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int oci_hook_find_rootfs(struct oci_hook *hook, struct mp_error *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	int r;

	if (asprintf(&path, "%s/config.json", hook->bundle) < 0)
		return error_set(err, ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_set_errno(err, errno, "cannot open the bundle's config '%s'", path);
	r = read_bounded(fd, OCI_HOOK_MAX_CONFIG, &text, &len, path, err);
	if (r < 0)
		return r;
	free(hook->rootfs);
	hook->rootfs = NULL;
	r = oci_hook_rootfs_from_config(text, len, hook->bundle, &hook->rootfs, err);
	if (r < 0)
		return error_wrap(err, "%s", path);
	return 0;
}

int oci_hook_read(int fd, struct oci_hook *hook, struct mp_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_bounded(fd, OCI_HOOK_MAX_STATE, &text, &len, "the container state on stdin", err);

	if (r < 0)
		return r;
	if (len == 0)
		return error_set(err, EINVAL, "no container state on stdin: --oci-hook is for a runtime's "
					      "createRuntime hook, which writes it there");
	r = oci_hook_parse_state(text, len, hook, err);
	if (r < 0)
		return r;
	return oci_hook_find_rootfs(hook, err);
}

/* Open /proc/PID/ns/NAME; *ret_same tells whether it is also ours. */
static int open_ns(const struct oci_hook *hook, const char *name, int *ret_fd, bool *ret_same, struct mp_error *err)
{
	char path[64], self[64];
	struct stat ours, theirs;
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)hook->pid, name);
	snprintf(self, sizeof(self), "/proc/self/ns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set_errno(err, errno, "container %s: cannot open %s", hook->id, path);
	if (fstat(fd, &theirs) < 0)
		return error_set_errno(err, errno, "container %s: stat %s", hook->id, path);
	if (stat(self, &ours) < 0)
		return error_set_errno(err, errno, "stat %s", self);
	*ret_same = ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int oci_hook_enter(const struct oci_hook *hook, bool *ret_child, int *ret_status, struct mp_error *err)
{
	_cleanup_close_ int mnt_fd = -1, pid_fd = -1;
	bool same_mnt, same_pid;
	int r;

	/* The pid cannot be recycled under us: the runtime keeps the
	 * container's init waiting until every createRuntime hook returned.
	 * Both fds are opened before the first setns, through our own /proc. */
	r = open_ns(hook, "mnt", &mnt_fd, &same_mnt, err);
	if (r < 0)
		return r;
	r = open_ns(hook, "pid", &pid_fd, &same_pid, err);
	if (r < 0)
		return r;
	if (same_mnt)
		return error_set(err, EPERM,
				 "container %s (pid %d) is in our own mount namespace: refusing to apply a plan "
				 "onto the host (does config.json list a mount namespace?)",
				 hook->id, (int)hook->pid);
	if (setns(mnt_fd, CLONE_NEWNS) < 0)
		return error_set_errno(err, errno, "container %s: setns into its mount namespace", hook->id);
	if (same_pid) {
		*ret_child = true;
		return 0;
	}
	if (setns(pid_fd, CLONE_NEWPID) < 0)
		return error_set_errno(err, errno, "container %s: setns into its pid namespace", hook->id);
	pid_t child = fork();
	if (child < 0)
		return error_set_errno(err, errno, "container %s: fork into its pid namespace", hook->id);
	if (child == 0) {
		/* if the runtime kills the hook (a timeout), the apply stops
		 * too; `mrun recover` undoes what it had done */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() == 1)
			_exit(1);
		*ret_child = true;
		return 0;
	}
	int st = 0;
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR)
			return error_set_errno(err, errno, "container %s: wait for the applying child", hook->id);
	}
	*ret_child = false;
	*ret_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

struct container_walk {
	const char *id;
	int64_t run;
	enum run_state state;
	int64_t finished_ns;
};

static int container_match(const struct journal_run *r, void *ud)
{
	struct container_walk *w = ud;

	if (!r->container_id || strcmp(r->container_id, w->id) != 0)
		return 0;
	w->run = r->id; /* runs come newest first: the first match is the one */
	w->state = r->state;
	w->finished_ns = r->finished_ns;
	return 1;
}

int oci_hook_container_run(const char *journal_path, const char *id, int64_t *ret_run, struct mp_error *err)
{
	_cleanup_(journal_closep) struct journal *j = NULL;
	struct container_walk w = { .id = id, .run = 0 };
	const char *path = journal_path ? journal_path : JOURNAL_DEFAULT_PATH;
	int r;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return error_set(err, ENOENT, "container %s: no journal at %s, so no run of it", id, path);
	r = journal_open(path, JOURNAL_READONLY, JOURNAL_DEFAULT_BUSY_MS, &j, err);
	if (r < 0)
		return r;
	r = journal_list_runs(j, RUN__COUNT, 0, container_match, &w, err);
	if (r < 0)
		return r;
	if (w.run == 0)
		return error_set(err, ENOENT, "container %s: the journal %s has no run of it", id, path);
	*ret_run = w.run;
	switch (w.state) {
	case RUN_APPLIED:
		return 0;
	case RUN_FAILED:
		/* a failed undo can be retried; a run still going cannot */
		return w.finished_ns ? 0 : error_set(err, EBUSY, "container %s: run %lld has not finished", id, (long long)w.run);
	case RUN_RUNNING:
		return error_set(err, EBUSY, "container %s: run %lld is still running (if its executor died, use `mrun "
					     "recover`)",
				 id, (long long)w.run);
	case RUN_ROLLED_BACK:
	case RUN_RECOVERED:
		return 1;
	case RUN__COUNT:
		break;
	}
	return error_set(err, EINVAL, "container %s: run %lld has an unknown state", id, (long long)w.run);
}

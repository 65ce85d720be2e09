/*
 * oci-hook.h — `mrun apply --oci-hook PLAN.mpb`: run as an OCI
 * createRuntime hook, apply a plan inside a container that is being made.
 *
 * The runtime (crun, runc) runs the hook after it has created the
 * container's namespaces and done its own mounts, before pivot_root, and
 * writes the container state to the hook's stdin:
 *   {"ociVersion": "1.0", "id": "c1", "pid": 4242, "bundle": "/b", "status": "creating", ...}
 * From it the hook learns which mount namespace to enter (/proc/PID/ns/mnt)
 * and where the root is: root.path of BUNDLE/config.json, relative to the
 * bundle unless absolute.  At that moment the root is a mount at that same
 * path inside the container's namespace (the runtime binds it onto itself).
 *
 * JSON is read with SQLite's JSON functions on an in-memory database: the
 * executor links SQLite for its journal and has no JSON parser of its own.
 */
#ifndef MOUNTPLAN_OCI_HOOK_H
#define MOUNTPLAN_OCI_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define OCI_HOOK_MAX_STATE 65536u      /* the state is a few hundred bytes; more is not a state */
#define OCI_HOOK_MAX_CONFIG (16u << 20) /* a config.json larger than this is refused */

struct oci_hook {
	char *id;     /* container id, recorded in the journal for `mrun rollback --container` */
	pid_t pid;    /* the container's init, stopped by the runtime until hooks return */
	char *bundle; /* absolute bundle directory */
	char *rootfs; /* absolute path of the container's root (after oci_hook_find_rootfs) */
};

void oci_hook_free(struct oci_hook *hook);

/*
 * Parse the container state JSON json[0..len): id (non-empty string
 * without '/' or NUL), pid (integer > 0), bundle (absolute path).  Fills
 * hook on success; on failure hook is untouched and err names the field.
 */
int oci_hook_parse_state(const char *json, size_t len, struct oci_hook *hook, struct mp_error *err);

/*
 * The root path from config.json text (root.path; relative to bundle unless
 * absolute).  *ret is a new string, lexically normalized.
 */
int oci_hook_rootfs_from_config(const char *config, size_t len, const char *bundle, char **ret,
				struct mp_error *err);

/* Read BUNDLE/config.json and set hook->rootfs. */
int oci_hook_find_rootfs(struct oci_hook *hook, struct mp_error *err);

/* Read the state from fd (the hook's stdin), parse it, and find the rootfs. */
int oci_hook_read(int fd, struct oci_hook *hook, struct mp_error *err);

/*
 * Enter the mount namespace of hook->pid, and its pid namespace.  Refuses
 * (-EPERM, nothing changed) when the mount namespace is the caller's own:
 * the container would then share the host's mounts, and applying a plan
 * there would change the host.  After it, the caller's root and cwd are
 * the namespace's root.
 *
 * The pid namespace matters for proc: fsopen("proc") makes an instance
 * for the pid namespace of the calling task, and setns(CLONE_NEWPID) only
 * places the caller's children in the new one, so when the container's pid
 * namespace differs from ours this forks.  Returns 0 in the child with
 * *ret_child true (it goes on to apply the plan and exits); in the parent
 * it waits for the child and returns 0 with *ret_child false and the
 * child's exit status in *ret_status (128 + signal if it was killed).
 * Without a separate pid namespace there is no fork: *ret_child is true.
 */
int oci_hook_enter(const struct oci_hook *hook, bool *ret_child, int *ret_status, struct mp_error *err);

/*
 * The run `mrun rollback --container ID` (a poststop hook) undoes: the
 * newest run of container id in the journal at journal_path (NULL: the
 * default).  Returns 0 with *ret_run when that run is applied, or failed
 * in its undo and so can be rolled back again; 1 when it needs nothing
 * (already rolled back or recovered, as after an apply that failed and
 * undid itself); -ENOENT when the journal has no run of that container.
 */
int oci_hook_container_run(const char *journal_path, const char *id, int64_t *ret_run, struct mp_error *err);

#endif

#!/bin/bash
# locked.t — a read-only bind keeps the flags the kernel locked on its
# source.  A mount copied into a mount namespace owned by a new user
# namespace has its nosuid/nodev/noexec locked (the kernel's
# CL_UNPRIVILEGED / MNT_LOCK_* case): a classic MS_REMOUNT|MS_BIND|MS_RDONLY
# that does not repeat them fails with EPERM there, while mrun's BIND
# (open_tree clone + mount_setattr of only RDONLY + move_mount) succeeds
# and the mount shows ro,nosuid,nodev,noexec.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
unshare -Urm true 2>/dev/null || skip_all "user namespaces are not available"
mount -t tmpfs -o mode=0755 srv /srv
mkdir -p $S/src
mount -t tmpfs -o nosuid,nodev,noexec srcfs $S/src
echo hello >$S/src/hello
new_root
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"
cat >"$W/plan.yaml" <<PLAN
version: 1
mounts:
  - type: bind
    source: $S/src
    target: /ro
    options: [ro]
PLAN
compile "$W/plan.yaml" "$W/plan.mpb"
mkdir -p "$ROOT/classic"

out=$(unshare -Urm --propagation private bash -c '
	root=$1 mrun=$2 plan=$3 src=$4
	if command -v python3 >/dev/null; then
		mount --bind "$src" "$root/classic"
		python3 -c "
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_REMOUNT, MS_BIND = 1, 32, 4096
r = libc.mount(None, sys.argv[1].encode(), None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
print(\"classic=\" + (\"ok\" if r == 0 else os.strerror(ctypes.get_errno())))
" "$root/classic"
	fi
	"$mrun" apply "$plan" --root "$root" >/dev/null 2>&1; echo "mrun=$?"
	awk -v p="$root/ro" "\$5 == p { print \"flags=\" \$6 }" /proc/self/mountinfo
	cat "$root/ro/hello"
' sh "$ROOT" "$MRUN" "$W/plan.mpb" "$S/src" 2>&1)
if command -v python3 >/dev/null; then
	like "$out" 'classic=Operation not permitted' "the flags are locked: a classic ro remount without them is refused"
fi
like "$out" 'mrun=0' "mrun's read-only bind succeeds on the locked source"
like "$out" 'flags=ro,nosuid,nodev,noexec,' "and keeps nosuid,nodev,noexec"
like "$out" 'hello' "the bind shows the source"
tap_done

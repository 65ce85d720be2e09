#!/bin/bash
# rofs.t — a root on a read-only filesystem (a read-only bind of a tmpfs).
# Mounting on directories that exist works on a read-only filesystem, and
# must roll back; a mount point that has to be created cannot be: the
# apply fails at that step with EROFS naming the path, and whatever was
# mounted before it is undone.  `readonly_root: true` on a root that is
# already read-only must leave it read-only after rollback.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"

tap_plan 0
SRC=$H/src
mkdir -p "$SRC"
echo file >"$SRC/file"

ro_root() { # a fresh root: a tmpfs with /exist, /etc/hosts, bound read-only at $ROOT
	new_root
	mkdir -p "$ROOT.rw"
	mount -t tmpfs -o mode=0755 rofs "$ROOT.rw"
	mkdir -p "$ROOT.rw/exist" "$ROOT.rw/exist2" "$ROOT.rw/etc"
	echo host >"$ROOT.rw/etc/hosts"
	mount --bind "$ROOT.rw" "$ROOT"
	mount -o remount,bind,ro "$ROOT"
}
root_opts() { awk -v r="$ROOT" '$5 == r { print $6 }' /proc/self/mountinfo | tail -1 | cut -d, -f1; }

ro_root
is "$(touch "$ROOT/x" 2>&1 | grep -c 'Read-only file system')" 1 "the root is read-only"
plan exist <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /exist
  - type: bind
    source: $SRC/file
    target: /etc/hosts
    options: [ro]
PLAN
before=$(snapshot)
apply exist
is "$st" 0 "mount points that exist: apply works on a read-only root"
[ "$st" -eq 0 ] || diag "$out"
is "$(cat "$ROOT/etc/hosts" 2>&1)" file "the file bind landed"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "rollback works on a read-only root"
is "$(snapshot)" "$before" "after rollback everything is as before"

ro_root
plan missing <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /exist
  - type: tmpfs
    target: /exist2
  - type: tmpfs
    target: /missing/deeper
PLAN
before=$(snapshot)
apply missing
check_failed_cleanly "$before" "a mount point to create on a read-only root"
like "$out" "step [0-9]+ .*'/missing(/deeper)?'.*Read-only file system" "the error names the step, the path and EROFS"
like "$out" "rolled back: [1-9][0-9]* steps undone, 0 undo failures" "the two mounts before it were undone"

ro_root
plan file <<PLAN
version: 1
mounts:
  - type: bind
    source: $SRC/file
    target: /etc/resolv.conf
PLAN
before=$(snapshot)
apply file
check_failed_cleanly "$before" "a file mount point to create on a read-only root"
like "$out" "'/etc/resolv.conf'.*Read-only file system" "the error names the file and EROFS"

ro_root
plan rootro <<PLAN
version: 1
readonly_root: true
mounts:
  - type: tmpfs
    target: /exist
PLAN
before=$(snapshot)
apply rootro
is "$st" 0 "readonly_root on a root that is already read-only applies"
[ "$st" -eq 0 ] || diag "$out"
is "$(root_opts)" ro "the root is read-only after apply"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "rollback of readonly_root works"
is "$(root_opts)" ro "the root is still read-only after rollback (it was before)"
is "$(snapshot)" "$before" "after rollback everything is as before"
tap_done

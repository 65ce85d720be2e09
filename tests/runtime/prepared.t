#!/bin/bash
# prepared.t — exec_prepare keeps the fd of each mount point it found, so
# the step does not look the path up again; an fd is only used while no
# mount of the run can have covered the path since.  Each case here has a
# mount point that existed before the run and is covered by an earlier
# mount of the same run: the later mount must land on what the path shows
# after that mount (the kernel's mountinfo says where), not on the covered
# directory.  And with a tight open-file limit the run still goes through.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
setup_srv
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"
mkdir -p $S/src/sub/inner
echo data >$S/src/sub/inner/f

# mountinfo's (mount id, parent id, mount point) of the top mount at PATH
top_mount() { awk -v p="$1" '$5 == p { id = $1; parent = $2 } END { print id, parent }' /proc/self/mountinfo; }
# the top mount's id at PATH
mount_id() { top_mount "$1" | cut -d' ' -f1; }
parent_id() { top_mount "$1" | cut -d' ' -f2; }

apply_ok() { # NAME: compile $W/NAME.yaml, apply it on $ROOT
	compile "$W/$1.yaml" "$W/$1.mpb"
	out=$("$MRUN" apply "$W/$1.mpb" --root "$ROOT" 2>&1)
	st=$?
	is "$st" 0 "$1: apply exits 0"
	[ "$st" -eq 0 ] || diag "$out"
}

# 1. a tmpfs on /a, then a bind on /a/b: /a/b existed under the tmpfs-to-be
new_root
mkdir -p "$ROOT/a/b"
cat >"$W/covered.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /a
  - type: bind
    source: $S/src/sub
    target: /a/b
PLAN
apply_ok covered
is "$(parent_id "$ROOT/a/b")" "$(mount_id "$ROOT/a")" "covered: the bind sits on the new tmpfs, not on the covered /a/b"
is "$(cat "$ROOT/a/b/inner/f" 2>&1)" data "covered: its content shows at /a/b"
"$MRUN" rollback --root "$ROOT" >/dev/null 2>&1
is "$(awk -v r="$ROOT" 'index($5, r) == 1' /proc/self/mountinfo | wc -l)" 0 "covered: rollback leaves nothing mounted"
ok "$([ -d "$ROOT/a/b" ]; echo $?)" "covered: the mount point that was there is still there"

# 2. the same through a symlink: the tmpfs goes on /l -> a, the bind on /a/b
new_root
mkdir -p "$ROOT/a/b"
ln -s a "$ROOT/l"
cat >"$W/symlink.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /l
  - type: bind
    source: $S/src/sub
    target: /a/b
PLAN
apply_ok symlink
like "$(mnt "$ROOT/a")" '^tmpfs ' "symlink: the tmpfs for /l is on the root's /a"
is "$(parent_id "$ROOT/a/b")" "$(mount_id "$ROOT/a")" "symlink: the bind on /a/b sits on that tmpfs"
"$MRUN" rollback --root "$ROOT" >/dev/null 2>&1

# 3. a bind on /x, then one on /x/inner, which only the first bind's source has
new_root
mkdir -p "$ROOT/x/inner"
cat >"$W/nested.yaml" <<PLAN
version: 1
mounts:
  - type: bind
    source: $S/src/sub
    target: /x
  - type: tmpfs
    target: /x/inner
PLAN
apply_ok nested
is "$(parent_id "$ROOT/x/inner")" "$(mount_id "$ROOT/x")" "nested: /x/inner is mounted inside the bind on /x"
ok "$([ -f "$S/src/sub/inner/f" ] && [ -z "$(ls -A "$ROOT/x/inner")" ]; echo $?)" \
	"nested: the tmpfs hides the source's inner/, whose file is still there"
"$MRUN" rollback --root "$ROOT" >/dev/null 2>&1

# 4. 400 existing mount points under an open-file limit of 300 (soft and hard):
# prepare keeps only what the limit allows, the rest are looked up at their step
new_root
{
	echo "version: 1"
	echo "mounts:"
	for i in $(seq 1 400); do
		mkdir -p "$ROOT/d$i"
		printf '  - type: bind\n    source: %s/src/sub\n    target: /d%d\n' "$S" "$i"
	done
} >"$W/many.yaml"
compile "$W/many.yaml" "$W/many.mpb"
out=$(ulimit -n 300 && "$MRUN" apply "$W/many.mpb" --root "$ROOT" 2>&1)
st=$?
is "$st" 0 "many: 400 binds under a 300-file limit apply"
[ "$st" -eq 0 ] || diag "$out"
is "$(awk -v r="$ROOT/d" 'index($5, r) == 1' /proc/self/mountinfo | wc -l)" 400 "many: all 400 are mounted"
"$MRUN" rollback --root "$ROOT" >/dev/null 2>&1
is "$(awk -v r="$ROOT" 'index($5, r) == 1' /proc/self/mountinfo | wc -l)" 0 "many: rollback unmounts all 400"

# 5. a failure half-way after prepared fds were taken: everything done is undone
new_root
mkdir -p "$ROOT/d1" "$ROOT/d2" "$ROOT/d3"
cat >"$W/fail.yaml" <<PLAN
version: 1
mounts:
  - type: bind
    source: $S/src/sub
    target: /d1
  - type: bind
    source: $S/src/sub
    target: /d2
  - type: bind
    source: $S/src/sub
    target: /d3
PLAN
compile "$W/fail.yaml" "$W/fail.mpb"
out=$(MOUNTPLAN_FAULT_STEP=4 "$MRUN" apply "$W/fail.mpb" --root "$ROOT" 2>&1)
st=$?
ok "$([ "$st" -ne 0 ]; echo $?)" "fail: an injected failure at step 4 fails the run (exit $st)"
is "$(awk -v r="$ROOT" 'index($5, r) == 1' /proc/self/mountinfo | wc -l)" 0 "fail: the two binds made before it are undone"
ok "$([ -d "$ROOT/d1" ] && [ -d "$ROOT/d2" ] && [ -d "$ROOT/d3" ]; echo $?)" "fail: the mount points that were there stay"
tap_done

#!/bin/bash
# apply.t — mrun apply for real, in a private mount namespace on a
# temporary root: each kind of entry lands with the fstype, options and
# propagation the plan asks for (checked in /proc/self/mountinfo), mount
# points are created as directories or empty files, `when: empty`,
# `optional`, masked and read-only paths, readonly_root, -v, --dry-run and --timings.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"

tap_plan 0
setup_srv
new_root
W=$(mktemp -d /tmp/mrun-plan.XXXXXX)
_roots="$_roots $W"

mkdir -p "$ROOT/notempty" "$ROOT/etc" "$ROOT/secretdir" "$ROOT/usr/bin"
touch "$ROOT/notempty/keep" "$ROOT/usr/bin/tool"
echo secret >"$ROOT/etc/secret"

cat >"$W/plan.yaml" <<PLAN
version: 1
readonly_root: true
mounts:
  - type: tmpfs
    target: /tmp
    options: [nosuid, nodev, mode=1777, size=64m]
  - type: bind
    source: $S/src
    target: /ro
    options: [ro]
  - type: rbind
    source: $S/tree
    target: /rb
  - type: bind
    source: $S/files/resolv.conf
    target: /etc/resolv.conf
    options: [ro]
  - type: tmpfs
    target: /empty
    when: empty
  - type: tmpfs
    target: /notempty
    when: empty
  - type: ext4
    source: $S/img/missing.img
    loop: {}
    target: /opt/missing
    optional: true
  - type: tmpfs
    target: /shared
    options: [shared]
  - type: tmpfs
    target: /unb
    options: [unbindable]
  - type: tmpfs
    target: /deep/a/b/c
masked: [/etc/secret, /secretdir, /nothere]
readonly: [/usr, /nothere2]
PLAN
compile "$W/plan.yaml" "$W/plan.mpb"

# --dry-run first: it must change nothing
before_tree=$(tree_of "$ROOT")
before_mounts=$(mounts_under "$ROOT")
out=$("$MRUN" apply "$W/plan.mpb" --root "$ROOT" --dry-run 2>&1); st=$?
is "$st" 0 "--dry-run exits 0"
like "$out" 'MOVE .*"/tmp"' "--dry-run prints the instructions"
like "$out" "$ROOT/deep/a/b/c: absent \(would create 4 components\)" "--dry-run shows the resolved path and what would be created"
like "$out" 'not empty: would skip' "--dry-run evaluates when: empty"
like "$out" "ROOT_BIND.*
 *-> $ROOT: would be bound onto itself" "--dry-run says the root would be bound onto itself"
is "$(tree_of "$ROOT")" "$before_tree" "--dry-run created nothing"
is "$(mounts_under "$ROOT")" "$before_mounts" "--dry-run mounted nothing"

out=$("$MRUN" apply "$W/plan.mpb" --root "$ROOT" -v 2>&1); st=$?
is "$st" 0 "apply exits 0"
[ "$st" -eq 0 ] || diag "$out"
like "$out" 'step 0 ROOT_BIND .* done in [0-9.]+ us' "-v logs each step with its duration"
like "$out" 'optional step [0-9]+ LOOP_ATTACH .*missing.img.*going on at step' "the optional entry's failure is logged"

like "$(mnt "$ROOT/tmp")" '^tmpfs rw,nosuid,nodev,relatime rw,size=65536k private$' "tmpfs with its options"
is "$(stat -c %a "$ROOT/tmp")" 1777 "tmpfs mode= applied"
like "$(mnt "$ROOT/ro")" '^tmpfs ro,nosuid,nodev,relatime ' "ro bind keeps the source's nosuid,nodev"
is "$(cat "$ROOT/ro/hello")" hello "the bind shows the source"
like "$(mnt "$ROOT/rb")" '^tmpfs rw,relatime ' "rbind mounted"
like "$(mnt "$ROOT/rb/sub")" '^tmpfs ' "rbind brings the submount along"
is "$(cat "$ROOT/rb/sub/f" 2>&1)" sub "the submount's file is visible through the rbind"
is "$(stat -c %F "$ROOT/etc/resolv.conf")" "regular file" "file bind: the mount point is a file"
like "$(mnt "$ROOT/etc/resolv.conf")" '^tmpfs ro,' "file bind mounted read-only"
is "$(cat "$ROOT/etc/resolv.conf")" "nameserver 192.0.2.1" "file bind shows the source file"
like "$(mnt "$ROOT/empty")" '^tmpfs ' "when: empty mounts on an absent (empty) target"
is "$(mnt "$ROOT/notempty")" "" "when: empty skips a non-empty target"
is "$(ls "$ROOT/notempty")" keep "the skipped target is untouched"
is "$(mnt "$ROOT/opt/missing")" "" "the failed optional entry left no mount"
ok "$([ ! -e "$ROOT/opt" ]; echo $?)" "the failed optional entry's mount point was removed"
like "$(mnt "$ROOT/shared")" ' shared:[0-9]+$' "propagation shared"
like "$(mnt "$ROOT/unb")" ' unbindable$' "propagation unbindable"
like "$(mnt "$ROOT/tmp")" ' private$' "a mount without propagation words stays private"
like "$(mnt "$ROOT/deep/a/b/c")" '^tmpfs ' "missing parents of a target are created"
is "$(stat -c '%t:%T %F' "$ROOT/etc/secret")" "1:3 character special file" "masked file: /dev/null over it"
like "$(mnt "$ROOT/secretdir")" '^tmpfs ro,nosuid,nodev,noexec,relatime ro' "masked directory: read-only tmpfs"
is "$(ls -A "$ROOT/secretdir")" "" "masked directory is empty"
ok "$([ ! -e "$ROOT/nothere" ]; echo $?)" "masking an absent path does nothing"
like "$(mnt "$ROOT/usr")" '^[a-z0-9]+ ro,' "readonly path bound read-only"
ok "$(touch "$ROOT/usr/bin/x" 2>/dev/null; [ $? -ne 0 ]; echo $?)" "readonly path refuses writes"
like "$(mnt "$ROOT")" '^[a-z0-9]+ ro,' "readonly_root: the root is read-only at the end"
ok "$(touch "$ROOT/newfile" 2>/dev/null; [ $? -ne 0 ]; echo $?)" "readonly_root refuses writes to the root"
ok "$(touch "$ROOT/tmp/newfile"; echo $?)" "readonly_root: submounts stay writable"
ok "$([ -z "$(ls -A "$PARK" 2>/dev/null)" ]; echo $?)" "no temporary park mount points left"

# An apply whose first step fails leaves nothing; the message names step, plan line, syscall.
cat >"$W/bad.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /x/y
  - type: bind
    source: $S/does/not/exist
    target: /z
PLAN
compile "$W/bad.yaml" "$W/bad.mpb"
new_root
before_tree=$(tree_of "$ROOT")
out=$("$MRUN" apply "$W/bad.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a failing apply exits 1"
like "$out" "step [0-9]+ \(MKPOINT\) at [^ ]*bad.yaml:7:13: .*'$S/does/not/exist'.*No such file or directory" \
	"the error names step, opcode, plan file:line:col, path and strerror"
like "$out" 'undo step [0-9]+ MOVE .*: undone' "the report lists each undone step"
like "$out" 'rolled back: [0-9]+ steps undone, 0 undo failures' "the report sums the rollback"
is "$(tree_of "$ROOT")" "$before_tree" "the root's tree is as before"
is "$(mounts_under "$ROOT")" 0 "no mount is left under the root"

# A root that already is a mount point is not bound again; a failure at the
# very end (END) undoes the final read-only remount: the root is rw again.
cat >"$W/rr.yaml" <<PLAN
version: 1
readonly_root: true
mounts:
  - type: tmpfs
    target: /tmp
PLAN
compile "$W/rr.yaml" "$W/rr.mpb"
new_root
mount -t tmpfs -o nosuid rootfs "$ROOT"
n=$("$MPLAN" disasm "$W/rr.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')
out=$(MOUNTPLAN_FAULT_STEP=$((n - 1)) "$MRUN" apply "$W/rr.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a failure at END fails the run"
like "$out" "undo step [0-9]+ REMOUNT .*undone" "the read-only remount of the root is undone"
like "$(mnt "$ROOT")" '^tmpfs rw,nosuid,' "the pre-existing root mount is rw again, its nosuid kept"
is "$(awk -v p="$ROOT" '$5 == p' /proc/self/mountinfo | wc -l)" 1 "the run's bind of the root, already a mount point, is gone"
out=$("$MRUN" apply "$W/rr.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 0 "the same plan then applies"
like "$(mnt "$ROOT")" '^tmpfs ro,nosuid,' "the run's bind of the root is read-only, nosuid kept"
is "$(awk -v p="$ROOT" '$5 == p' /proc/self/mountinfo | wc -l)" 2 "the run's bind of the root on the pre-existing root mount"

# masking checks the /dev/null it opened: a regular file bound over /dev/null is refused
cat >"$W/mask.yaml" <<PLAN
version: 1
mounts: []
masked: [/etc/secret]
PLAN
compile "$W/mask.yaml" "$W/mask.mpb"
new_root
mkdir -p "$ROOT/etc"
echo secret >"$ROOT/etc/secret"
: >"$W/fakenull"
mount --bind "$W/fakenull" /dev/null
out=$("$MRUN" apply "$W/mask.mpb" --root "$ROOT" 2>&1); st=$?
umount /dev/null
is "$st" 1 "a /dev/null that is not the character device 1:3 fails the mask"
like "$out" "/dev/null is not the character device 1:3" "and the error says why"
is "$(cat "$ROOT/etc/secret")" secret "the file is not masked with the impostor"

# --timings: one line on stderr, every phase of an apply in order, adding up to the total
cat >"$W/timed.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t
PLAN
compile "$W/timed.yaml" "$W/timed.mpb"
new_root
out=$("$MRUN" apply "$W/timed.mpb" --root "$ROOT" --timings 2>&1 >/dev/null); st=$?
is "$st" 0 "apply --timings exits 0"
is "$(echo "$out" | grep -c '^mrun: timings (ms): ')" 1 "--timings prints one timings line"
is "$(timings_phases "$out")" \
	"load+verify init journal-open prepare journal-begin steps journal-finish cleanup journal-close total" \
	"the phases of an apply, in order"
is "$(timings_sum "$out")" sums "the phases add up to the total"
is "$(mnt "$ROOT/t" | cut -d' ' -f1)" tmpfs "--timings applies as usual"
out=$("$MRUN" apply "$W/timed.mpb" --root "$ROOT" 2>&1 >/dev/null)
ok "$(echo "$out" | grep -q timings; echo $((! $?)))" "without --timings no timings line"

out=$("$MRUN" apply "$W/nonexistent.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a missing bytecode file is refused"
printf 'MPLANBC\n\002\0\0\0' >"$W/trunc.mpb"
out=$("$MRUN" apply "$W/trunc.mpb" --root "$ROOT" 2>&1); st=$?
is "$st" 1 "a bad bytecode file is refused"
like "$out" 'refused' "and the refusal is named"
tap_done

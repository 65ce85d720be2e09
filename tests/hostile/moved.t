#!/bin/bash
# moved.t — the root's owner renames a directory above the run's mount
# points between apply and undo (a rename moves the mounts below with the
# directory) and puts a FIFO, or an empty directory, where it was.  The
# plan's paths then lead nowhere; undo finds each mount by its unique
# mount id (statmount) where it is now:
#   1. `mrun rollback` of an applied run (journal outcomes: recover.c),
#      the propagation of a bind put back on the mount found by id;
#   2. the executor's own undo of a failed apply (undo.c): the apply
#      waits for a link that never comes up, the directory is swapped
#      meanwhile, the wait times out and the run is rolled back;
#   3. `mrun recover` of a run SIGKILLed after its last mount (no mount
#      id recorded: the run's mounts above its watermark, by name);
#   4. a directory moved OUT of the root: through the root itself the
#      rename fails (EXDEV: the run's root bind is a mount boundary); moved
#      through another mount of the same filesystem, the run's mounts go
#      with their root bind, nothing outside the root is removed, and the
#      rollback reports the mount points it could not remove;
#   5. a moved mount covered by another one is left alone (reported); once
#      the cover is gone, rollback again finishes.
# Checked every time: the kernel's view (mountinfo of this namespace) has
# no mount of the run left, nothing is mounted outside the root, and the
# root's tree is the owner's tree (the swap included) with every mount
# point the run created gone.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"

tap_plan 0
SRC=$H/src
mkdir -p "$SRC/dir"
echo data >"$SRC/file"
tree() { (cd "$1" && find . -xdev -printf '%p %y %m %u:%g %l\n' | sort); }
state() { sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT state FROM runs ORDER BY id DESC LIMIT 1" 2>/dev/null; }
# the root as the owner left it: the same swap on a copy that never saw an apply
expected() { # expected SWAP-COMMAND
	local ref
	ref=$(mktemp -d "$H/ref.XXXXXX")
	chmod 0755 "$ref"
	mkdir -p "$ref/t/keep"
	(cd "$ref" && eval "$1")
	tree "$ref"
}
fresh() {
	new_root
	mkdir -p "$ROOT/t/keep"
	outside=$(outside_mounts)
}
# b1 is made shared (a PROPAGATE step, whose undo finds the entry's mount by id too)
plan moved <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t/m1
  - type: bind
    source: $SRC/dir
    target: /t/b1
    options: [rshared]
  - type: bind
    source: $SRC/file
    target: /t/f1
  - type: tmpfs
    target: /t/n/deep
PLAN
# a crashed run recorded no mount id: its PROPAGATE would be restored by path (it is not here)
plan killed <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t/m1
  - type: bind
    source: $SRC/dir
    target: /t/b1
  - type: bind
    source: $SRC/file
    target: /t/f1
  - type: tmpfs
    target: /t/n/deep
PLAN
plan waits <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t/m1
  - type: bind
    source: $SRC/dir
    target: /t/b1
    options: [rshared]
  - type: tmpfs
    target: /t/n/deep
  - type: tmpfs
    target: /w
    requires: { link: mpnolink0, timeout: 2s }
PLAN
check() { # check DESC EXPECTED-TREE
	is "$(_mountinfo inside)" "" "$1: no mount of the run left in the root (mountinfo)"
	is "$(outside_mounts)" "$outside" "$1: nothing mounted outside the root"
	is "$(tree "$ROOT")" "$2" "$1: the root's tree is the owner's, every created mount point gone"
	[ "$(tree "$ROOT")" = "$2" ] || diff <(printf '%s\n' "$2") <(tree "$ROOT") | head | sed 's/^/#   /'
}

# 1. rollback of an applied run, /t replaced by a FIFO
fresh
apply moved
is "$st" 0 "apply"
[ "$st" -eq 0 ] || diag "$out"
is "$(_mountinfo inside | wc -l)" 5 "4 mounts under /t and the run's root bind"
mv "$ROOT/t" "$ROOT/t2" && mkfifo "$ROOT/t"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
is "$?" 0 "rollback after /t was renamed to /t2 and a FIFO put in its place"
[ -z "$(_mountinfo inside)" ] || diag "$out"
like "$out" "found at '/t2/m1'" "it says where it found the mounts"
is "$(state)" rolled_back "the run is rolled back"
check "rollback, /t now a FIFO" "$(expected 'mv t t2 && mkfifo t')"

# 2. the executor's own undo (a failed apply), /t replaced by a FIFO while it waits
fresh
"$MRUN" apply "$H/waits.mpb" --root "$ROOT" >"$H/waits.out" 2>&1 &
ex=$!
for _ in $(seq 100); do [ "$(_mountinfo inside | wc -l)" -eq 4 ] && break; sleep 0.02; done
is "$(_mountinfo inside | wc -l)" 4 "apply made 3 mounts and its root bind, and waits for a link"
mv "$ROOT/t" "$ROOT/t2" && mkfifo "$ROOT/t"
wait "$ex"
st=$?
ok "$([ "$st" -ne 0 ]; echo $?)" "the wait times out: the apply fails (exit $st)"
is "$(state)" rolled_back "and is rolled back by the executor"
[ "$(state)" = rolled_back ] || sed 's/^/#   /' "$H/waits.out"
check "executor's undo, /t now a FIFO" "$(expected 'mv t t2 && mkfifo t')"

# 3. recover of a run killed after its last mount, /t renamed and an empty /t made
for swap in 'mv t t2 && mkfifo t' 'mv t t2 && mkdir t'; do
	fresh
	k=$("$MPLAN" disasm "$H/killed.mpb" | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^(MOVE|BIND)$/ { k = $1 } END { print k }')
	# SIGKILLed: waited for by an inner shell whose "Killed" goes to /dev/null with the rest
	bash -c '"$@"; exit 0' sh env MOUNTPLAN_KILL_STEP="$k:after" "$MRUN" apply "$H/killed.mpb" --root "$ROOT" >/dev/null 2>&1
	is "$(state)" running "killed after step $k: the run is left running"
	is "$(_mountinfo inside | wc -l)" 5 "with its 4 mounts and its root bind"
	(cd "$ROOT" && eval "$swap")
	out=$("$MRUN" recover 2>&1)
	is "$?" 0 "recover after '$swap'"
	[ -z "$(_mountinfo inside)" ] || diag "$out"
	is "$(state)" recovered "the run is recovered"
	check "recover after '$swap'" "$(expected "$swap")"
done

# 4. /t moved out of the root (same filesystem): the mounts go, nothing out there is removed
fresh
apply moved
is "$st" 0 "apply"
away=$H/away
perl -e 'rename($ARGV[0], $ARGV[1]) or exit($! + 0)' "$ROOT/t" "$away"
is "$?" 18 "a rename out of the root through the root fails with EXDEV (the run's root bind is a mount)"
# through another mount of the same filesystem (the host's view of the root's parent)
view=$(mktemp -d /tmp/mp-view.XXXXXX)
mount --bind "$H" "$view"
mv "$view/${ROOT##*/}/t" "$view/away"
umount "$view" && rmdir "$view"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
st=$?
ok "$([ "$st" -ne 0 ]; echo $?)" "rollback after /t left the root fails (exit $st)"
like "$out" "undo FAILED: find the mount on '/t/m1': .*not reachable from this process's root" \
	"it says it cannot reach the run's mounts that went with /t"
like "$out" "undo FAILED: .*'/t'" "and reports each mount point it could not remove, by its plan path"
like "$out" "ROOT_BIND .*undo FAILED: unmount '/': busy" "and keeps the root bind they hang from, reported"
is "$(cd "$away" && find . | sort | tr '\n' ' ')" ". ./b1 ./f1 ./keep ./m1 ./n ./n/deep " \
	"the directories out there are left as they are"
is "$(state)" failed "the run is recorded as failed"
umount -l "$ROOT"
is "$(_mountinfo inside)" "" "detaching the root bind by hand takes the unreachable mounts with it"

# 5. a moved mount that another mount now covers is left alone, and a later rollback finishes
fresh
apply moved
is "$st" 0 "apply"
mount -t tmpfs cover "$ROOT/t/m1"
mv "$ROOT/t" "$ROOT/t2" && mkfifo "$ROOT/t"
out=$("$MRUN" rollback --root "$ROOT" 2>&1)
st=$?
ok "$([ "$st" -ne 0 ]; echo $?)" "rollback with the moved /t2/m1 covered by another mount fails (exit $st)"
like "$out" "undo FAILED: .*'/t/m1'.*left alone" "it names the mount it left alone"
is "$(_mountinfo inside | awk '{ print $1 }' | sed "s#^$ROOT##" | tr '\n' ' ')" " /t2/m1 /t2/m1 " \
	"only the root bind holding them, the run's mount there and the one on top are left"
umount "$ROOT/t2/m1"
run=$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT id FROM runs ORDER BY id DESC LIMIT 1")
out=$("$MRUN" rollback "$run" 2>&1)
is "$?" 0 "once the other mount is gone, \`mrun rollback $run\` finishes"
[ -z "$(_mountinfo inside)" ] || diag "$out"
is "$(state)" rolled_back "the run is rolled back"
check "rollback again" "$(expected 'mv t t2 && mkfifo t')"
tap_done

#!/bin/bash
# batched.t — rollback takes the run's mounts away with one detach of the
# run's own bind of the root (ROOT_BIND), and only when everything below
# that bind is the run's.  Counted with strace (umount2 calls: the detach,
# and in `mrun rollback` one MNT_EXPIRE probe per mount that holds no
# other), checked in the kernel's mountinfo and the root's tree:
#   1. `mrun rollback` of 40 binds and a tmpfs: one detach;
#   2. the executor's own undo of a failure at END: one detach;
#   3. a mount point the run created inside another of its mounts: one by
#      one (it must be removed while that mount is there), tree as before;
#   4. another's mount in the root: one by one, theirs is left, and so is
#      the root bind it is below (reported); once it is gone, rollback ends;
#   5. a busy mount: one by one, the busy one reported and kept;
#   6. a mount that was in the root before: the run's bind copied it, the
#      copy goes, the original stays;
#   7. `mrun rollback --timings`: its phases, in order, adding up.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/env.sh"
command -v strace >/dev/null || { echo "Bail out! strace is missing (configure --install-deps installs it)"; exit 1; }

tap_plan 0
setup_srv
W=$(mktemp -d /tmp/mrun-batch.XXXXXX)
_roots="$_roots $W"
export MOUNTPLAN_JOURNAL=$W/journal.db
mkdir -p "$S/src"
echo data >"$S/src/f"

inside() { awk -v r="$ROOT" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo; }
tree() { (cd "$ROOT" && find . -xdev -printf '%p %y\n' | sort); }
# umount2 calls in an strace -o file: detaches and unmounts (not the MNT_EXPIRE probes), and probes
unmounts() { grep -c '^[0-9]* *umount2(' "$1" | head -1; }
detaches() { grep '^[0-9]* *umount2(' "$1" | grep -vc MNT_EXPIRE; }
probes() { grep '^[0-9]* *umount2(' "$1" | grep -c MNT_EXPIRE; }
traced() { # traced OUT-FILE CMD...: run CMD under strace, output in $out, status in $st
	local f=$1
	shift
	# LeakSanitizer cannot run under ptrace; in a sanitized build it would fail the exit.
	out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=umount2 -o "$f" "$@" 2>&1)
	st=$?
}
binds_plan() { # binds_plan N: N binds onto existing /dI and a tmpfs on /t
	printf 'version: 1\nmounts:\n'
	for i in $(seq "$1"); do printf '  - type: bind\n    source: %s\n    target: /d%s\n' "$S/src" "$i"; done
	printf '  - type: tmpfs\n    target: /t\n'
}
fresh() { # fresh N: a new root with /d1 .. /dN
	new_root
	for i in $(seq "$1"); do mkdir "$ROOT/d$i"; done
}

binds_plan 40 >"$W/binds.yaml"
compile "$W/binds.yaml" "$W/binds.mpb"

# 1. mrun rollback: one detach
fresh 40
before=$(tree)
"$MRUN" apply "$W/binds.mpb" --root "$ROOT" >/dev/null 2>&1
is "$(inside | wc -l)" 42 "apply: 40 binds, a tmpfs and the run's root bind"
traced "$W/1.trace" "$MRUN" rollback --root "$ROOT"
is "$st" 0 "rollback exits 0"
like "$out" "rolled_back \(43 steps undone, 0 undo failures\)" "every step that changed something counts as undone (40 binds, the tmpfs, its mount point, the root bind)"
is "$(detaches "$W/1.trace")" 1 "one umount2 for the 42 mounts"
is "$(probes "$W/1.trace")" 41 "after one MNT_EXPIRE probe per mount holding no other (none busy)"
is "$(inside)" "" "nothing of the run is mounted"
is "$(tree)" "$before" "the root's tree is as before (/t removed)"

# 2. the executor's own undo: a failure at END, one detach
fresh 40
n=$("$MPLAN" disasm "$W/binds.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')
traced "$W/2.trace" env MOUNTPLAN_FAULT_STEP=$((n - 1)) "$MRUN" apply "$W/binds.mpb" --root "$ROOT"
is "$st" 1 "a failure at END fails the apply"
like "$out" "rolled back: [0-9]+ steps undone, 0 undo failures" "and it is rolled back"
is "$(detaches "$W/2.trace")" 1 "with one umount2"
is "$(inside)" "" "nothing of the run is mounted"
is "$(tree)" "$before" "the root's tree is as before"

# 3. a mount point created inside another mount of the run: one by one
cat >"$W/nested.yaml" <<PLAN
version: 1
mounts:
  - type: bind
    source: $S/src
    target: /d1
  - type: bind
    source: $S/src
    target: /d1/made/here
PLAN
compile "$W/nested.yaml" "$W/nested.mpb"
fresh 1
src_before=$(cd "$S/src" && find . | sort)
"$MRUN" apply "$W/nested.mpb" --root "$ROOT" >/dev/null 2>&1
ok "$([ -d "$S/src/made/here" ]; echo $?)" "nested: the mount point was made in the source the bind shows"
traced "$W/3.trace" "$MRUN" rollback --root "$ROOT"
is "$st" 0 "nested: rollback exits 0"
is "$(detaches "$W/3.trace")" 3 "nested: one unmount per mount"
is "$(cd "$S/src" && find . | sort)" "$src_before" "nested: what was made in the bound source is removed"
is "$(inside)" "" "nested: nothing of the run is mounted"

# 4. another's mount in the root: theirs stays, and the root bind above it
fresh 40
mkdir "$ROOT/theirs"
"$MRUN" apply "$W/binds.mpb" --root "$ROOT" >/dev/null 2>&1
mount -t tmpfs theirs "$ROOT/theirs"
traced "$W/4.trace" "$MRUN" rollback --root "$ROOT"
is "$st" 1 "another's mount in the root: rollback exits 1"
like "$out" "ROOT_BIND .*undo FAILED: .*busy" "it reports the root bind kept"
ok "$([ "$(detaches "$W/4.trace")" -gt 1 ]; echo $?)" "the run's mounts went one by one ($(detaches "$W/4.trace") umount2)"
is "$(inside | sed "s#^$ROOT##" | tr '\n' ' ')" " /theirs " "their mount and the root bind it is below are left, nothing else"
umount "$ROOT/theirs"
out=$("$MRUN" rollback "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT max(id) FROM runs")" 2>&1)
is "$?" 0 "once theirs is gone, rollback finishes"
is "$(inside)" "" "nothing is left mounted"

# 5. a busy mount: one by one, reported and kept
fresh 40
"$MRUN" apply "$W/binds.mpb" --root "$ROOT" >/dev/null 2>&1
(cd "$ROOT/d7" && exec sleep 60) &
busy=$!
sleep 0.2
traced "$W/5.trace" "$MRUN" rollback --root "$ROOT"
is "$st" 1 "a busy mount: rollback exits 1"
like "$out" "undo FAILED: unmount '/d7': busy" "and names it"
is "$(inside | sed "s#^$ROOT##" | tr '\n' ' ')" " /d7 " "the busy mount and the root bind holding it are left"
kill "$busy"
wait "$busy" 2>/dev/null
out=$("$MRUN" rollback "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT max(id) FROM runs")" 2>&1)
is "$?" 0 "once the process is gone, rollback finishes"
is "$(inside)" "" "nothing is left mounted"

# 6. a mount that was in the root before the run: its copy goes, it stays
for how in rollback failure; do
	fresh 40
	mkdir "$ROOT/pre"
	mount -t tmpfs pre "$ROOT/pre"
	if [ $how = rollback ]; then
		"$MRUN" apply "$W/binds.mpb" --root "$ROOT" >/dev/null 2>&1
		is "$(inside | grep -c "^$ROOT/pre\$")" 2 "pre-existing mount: the run's root bind shows a copy of it"
		traced "$W/6.trace" "$MRUN" rollback --root "$ROOT"
	else
		traced "$W/6.trace" env MOUNTPLAN_FAULT_STEP=$((n - 1)) "$MRUN" apply "$W/binds.mpb" --root "$ROOT"
		st=$((st == 1 ? 0 : 1))
	fi
	is "$st" 0 "pre-existing mount, $how: the run is undone"
	is "$(inside | sed "s#^$ROOT##" | tr '\n' ' ')" "/pre " "pre-existing mount, $how: it is the only mount left"
	umount "$ROOT/pre"
done

# 7. --timings: where a rollback's time went, one line on stderr
fresh 40
"$MRUN" apply "$W/binds.mpb" --root "$ROOT" >/dev/null 2>&1
err=$("$MRUN" rollback --root "$ROOT" --timings 2>&1 >/dev/null); st=$?
is "$st" 0 "rollback --timings exits 0"
is "$(timings_phases "$err")" \
	"journal-open find-run locks read-steps batch-plan undo journal-finish journal-close total" \
	"--timings: the phases of a rollback, in order"
is "$(timings_sum "$err")" sums "--timings: the phases add up to the total"
is "$(inside)" "" "--timings: the rollback happened"
tap_done

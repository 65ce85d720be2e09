#!/bin/bash
# special.t — mount points that are not what a mount point should be: a
# FIFO or a socket where the plan wants a directory or a file, a FIFO in
# the middle of a target path, a character device, and a directory that
# another process keeps exchanging with a FIFO while apply runs.  mrun
# must never block on a FIFO (every apply runs under a timeout), must
# refuse with the step and the path named, and must leave the root's tree
# and the mount table as they were.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/hostile.sh"

tap_plan 0
SRC=$H/src
mkdir -p "$SRC/dir"
echo file >"$SRC/file"

# run_case DESC PLAN-NAME REGEX [TODO-WHY]: apply must not hang, must fail
# naming the step and the path, and must leave everything as before.
run_case() {
	before=$(snapshot)
	out=$(timeout 20 "$MRUN" apply "$H/$2.mpb" --root "$ROOT" 2>&1)
	st=$?
	ok "$([ "$st" -ne 124 ]; echo $?)" "$1: apply does not hang"
	check_or_todo "$([ "$st" -ne 0 ]; echo $?)" "$1: apply fails (exit $st)" "${4:-}"
	[ "$st" -eq 0 ] && "$MRUN" rollback --root "$ROOT" >/dev/null 2>&1 # a TODO case applied: undo it
	# after a failure, or after the rollback of a TODO case that applied
	ok "$([ "$(snapshot)" = "$before" ]; echo $?)" "$1: nothing mounted anywhere, the root's tree as it was"
	check_or_todo "$(printf '%s\n' "$out" | grep -Eq -- "$3"; echo $?)" "$1: the error names the step and the path" "${4:-}"
}
# Reported: the executor takes any existing non-directory as a file mount point.
nondir="executor binds a file over a FIFO/socket/device node instead of refusing it"

new_root
mkfifo "$ROOT/fifo"
plan fifo-dir <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /fifo
PLAN
run_case "a FIFO where a tmpfs goes" fifo-dir "step [0-9]+ .*'/fifo'"

new_root
mkfifo "$ROOT/fifo"
plan fifo-file <<PLAN
version: 1
mounts:
  - type: bind
    source: $SRC/file
    target: /fifo
PLAN
run_case "a FIFO where a file bind goes" fifo-file "step [0-9]+ .*'/fifo'" "$nondir"

new_root
mkfifo "$ROOT/fifo"
plan fifo-mid <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /fifo/sub
PLAN
run_case "a FIFO in the middle of the target path" fifo-mid "step [0-9]+ .*'/fifo/sub'"

new_root
mksock "$ROOT/sock"
plan sock-dir <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /sock
PLAN
run_case "a socket where a tmpfs goes" sock-dir "step [0-9]+ .*'/sock'"

new_root
mksock "$ROOT/sock"
plan sock-file <<PLAN
version: 1
mounts:
  - type: bind
    source: $SRC/file
    target: /sock
PLAN
run_case "a socket where a file bind goes" sock-file "step [0-9]+ .*'/sock'" "$nondir"

new_root
mknod "$ROOT/chr" c 1 3
plan chr-file <<PLAN
version: 1
mounts:
  - type: bind
    source: $SRC/file
    target: /chr
PLAN
run_case "a character device where a file bind goes" chr-file "step [0-9]+ .*'/chr'" "$nondir"

# a directory exchanged with a FIFO in a tight loop while apply runs
new_root
mkdir -p "$ROOT/t"
mkfifo "$ROOT/t.fifo"
{
	echo "version: 1"
	echo "mounts:"
	for i in $(seq 1 10); do
		printf '  - type: tmpfs\n    target: /t/m%d\n' "$i"
		printf '  - type: bind\n    source: %s\n    target: /t/b%d\n' "$SRC/dir" "$i"
	done
} | plan race
outside=$(outside_mounts)
# the tree with the two exchanged names folded together, so it compares whichever way round they are
tree_folded() { (cd "$ROOT" && find . -xdev -printf '%p %y %m %u:%g %s %l\n' | sed 's#^\./t\.fifo#./t#' | sort); }
tree_before=$(tree_folded)
spawn swapper "$ROOT/t" "$ROOT/t.fifo"
for _ in $(seq 1 100); do [ -p "$ROOT/t" ] && break; sleep 0.02; done
hangs=0 escaped=0 leftover=0 applied=0 failed=0
for round in $(seq 1 8); do
	out=$(timeout 20 "$MRUN" apply "$H/race.mpb" --root "$ROOT" 2>&1)
	st=$?
	[ "$st" -eq 124 ] && hangs=$((hangs + 1))
	if [ "$st" -eq 0 ]; then
		applied=$((applied + 1))
		timeout 20 "$MRUN" rollback --root "$ROOT" >/dev/null 2>&1
	else
		failed=$((failed + 1))
	fi
	[ "$(outside_mounts)" != "$outside" ] && escaped=$((escaped + 1))
	if [ -n "$(_mountinfo inside)" ]; then
		leftover=$((leftover + 1))
		if [ "$leftover" -eq 1 ]; then
			diag "round $round, apply exit $st, left mounted: $(_mountinfo inside | wc -l) mounts; mrun said:"
			printf '%s\n' "$out" | grep -m3 FAILED | sed 's/^/#   /'
		fi
	fi
done
stop_spawned
diag "race: $applied applied and rolled back, $failed failed cleanly or not, of 8"
is "$hangs" 0 "8 applies racing a dir/FIFO exchange: none hangs"
is "$escaped" 0 "8 applies racing a dir/FIFO exchange: no mount outside the root"
# Undo finds each mount by its unique id wherever the exchange has put it
# (runtime/mount-find.c), and removes the mount point it created there.
ok "$([ "$leftover" -eq 0 ]; echo $?)" "8 applies racing a dir/FIFO exchange: nothing left mounted in the root after each ($leftover)"
ok "$([ "$(tree_folded)" = "$tree_before" ]; echo $?)" "after the race the root's tree is as it was"
[ "$(tree_folded)" = "$tree_before" ] || diff <(printf '%s\n' "$tree_before") <(tree_folded) | head | sed 's/^/#   /'
tap_done

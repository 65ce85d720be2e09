#!/bin/bash
# crash.t — the journal's promise, step by step, for the example plans:
# for every step k of each plan,
#   - a failure injected at k (MOUNTPLAN_FAULT_STEP, errno EBUSY) is rolled
#     back by the executor and recorded as rolled_back;
#   - a SIGKILL right before step k's syscall, and right after it when
#     step k changes the kernel (MOUNTPLAN_KILL_STEP=k:before|after; after a
#     step that changes nothing, "after k" is "before k+1") leaves a
#     'running' run that
#     `mrun recover` undoes, reconciling the run's intents with the kernel;
# and every time the mount table (normalized /proc/self/mountinfo), the loop
# devices, the root's directory tree and the park directory are exactly as
# before.  A second `mrun recover` then finds nothing to do.
# Also a plan whose loop device has no autoclear, so that a killed run's
# loop device stays and recover must find it by its tag.
# (removable.yaml is left out: each of its runs waits 500 ms for a disk.)
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"
. "$(dirname "$0")/../runtime/env.sh"

tap_plan 0
setup_srv
W=$(mktemp -d /tmp/mrun-crash.XXXXXX)
_roots="$_roots $W"
export MOUNTPLAN_JOURNAL=$W/journal.db
# private copies: a concurrent rebuild must not swap the binaries mid-test
cp "$MRUN" "$W/mrun" && cp "$MPLAN" "$W/mplan" && MRUN=$W/mrun && MPLAN=$W/mplan
R=$S/rootfs
mkdir -p "$S/volumes/data"

# loop devices backed by files on this test's /srv (loop devices are global: other tests' are not ours)
srv_dev=$(mountpoint -d /srv)
myloops() { losetup -n -O NAME,BACK-FILE,BACK-MAJ:MIN 2>/dev/null | awk -v d="$srv_dev" '$3 == d' | sort; }
snapshot() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; print }' /proc/self/mountinfo | sort
	echo ---
	myloops
	echo ---
	tree_of "$R"
	echo ---
	ls -A /run/mountplan/park 2>/dev/null
}
settle() { for _ in $(seq 20); do [ "$(snapshot)" = "$before" ] && return; sleep 0.05; done; }
last_state() { sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT state FROM runs ORDER BY id DESC LIMIT 1"; }

# matrix NAME [WRAPPER...]: every step of examples/NAME.yaml, three ways
matrix() {
	local name=$1 n k bad_fail=0 bad_before=0 bad_after=0 out st
	shift
	if [ -f "$W/$name.yaml" ]; then compile "$W/$name.yaml" "$W/$name.mpb"; else compile "$TOP/examples/$name.yaml" "$W/$name.mpb"; fi
	n=$("$MPLAN" disasm "$W/$name.mpb" | awk '/^; insns/ { sub(",", "", $3); print $3 }')
	changing=$("$MPLAN" disasm "$W/$name.mpb" |
		awk '$1 ~ /^[0-9]+$/ && $2 ~ /^(MKDIR|MKPOINT|ROOT_BIND|LOOP_ATTACH|MOVE|PARK|UMOUNT|BIND|MOUNT|MOUNT_HELPER|REMOUNT|PROPAGATE|MASK)$/ { print $1 }' | tr '\n' ' ')
	mkdir -p "$R/tmp"
	before=$(snapshot)
	out=$("$@" "$MRUN" apply "$W/$name.mpb" 2>&1); st=$?
	is "$st" 0 "$name: applies ($n steps)"
	[ "$st" -eq 0 ] || diag "$out"
	out=$("$MRUN" rollback --root "$R" 2>&1); st=$?
	is "$st" 0 "$name: rollback of the applied run"
	settle
	is "$(snapshot)" "$before" "$name: rollback restores the state before the apply"
	[ "$(snapshot)" = "$before" ] || { diff <(printf '%s\n' "$before") <(snapshot) | head | sed 's/^/#   /'; printf '%s\n' "$out" | head | sed 's/^/#   /'; }
	for k in $(seq 0 $((n - 2))); do
		out=$(MOUNTPLAN_FAULT_STEP=$k MOUNTPLAN_FAULT_ERRNO=16 "$@" "$MRUN" apply "$W/$name.mpb" 2>&1); st=$?
		if [ "$st" -eq 0 ] && printf '%s' "$out" | grep -q "optional step $k "; then
			# an optional entry's failure skips the entry and the run goes on: tear it down
			out=$("$MRUN" rollback --root "$R" 2>&1); st=1
		fi
		settle
		if [ "$st" -ne 1 ] || [ "$(snapshot)" != "$before" ] || [ "$(last_state)" != rolled_back ]; then
			bad_fail=$((bad_fail + 1))
			diag "$name: failure at step $k: exit $st, state $(last_state)"
			printf '%s\n' "$out" | tail -3 | sed 's/^/#   /'
			diff <(printf '%s\n' "$before") <(snapshot) | head -6 | sed 's/^/#   /'
		fi
		# "after k" differs from "before k+1" only when step k changes the kernel
		# (its undo kind is not none/close): kill after those only
		whens=before
		case " $changing " in *" $k "*) whens="before after" ;; esac
		for when in $whens; do
			st=$( (MOUNTPLAN_KILL_STEP=$k:$when "$@" "$MRUN" apply "$W/$name.mpb" >/dev/null 2>&1); echo $?) 2>/dev/null
			rec=$("$MRUN" recover 2>&1); rst=$?
			settle
			if [ "$st" -ne 137 ] || [ "$rst" -ne 0 ] || [ "$(snapshot)" != "$before" ] || [ "$(last_state)" != recovered ]; then
				[ $when = before ] && bad_before=$((bad_before + 1)) || bad_after=$((bad_after + 1))
				diag "$name: SIGKILL $when step $k: exit $st, recover exit $rst, state $(last_state)"
				printf '%s\n' "$rec" | grep -v "undone$" | tail -4 | sed 's/^/#   /'
				diff <(printf '%s\n' "$before") <(snapshot) | head -6 | sed 's/^/#   /'
				"$MRUN" recover >/dev/null 2>&1
			fi
		done
	done
	is "$bad_fail" 0 "$name: a failure at each of the $((n - 1)) steps leaves everything as before"
	is "$bad_before" 0 "$name: SIGKILL before each step, then recover: everything as before"
	is "$bad_after" 0 "$name: SIGKILL after each step, then recover: everything as before"
}

matrix container unshare -C
matrix idmapped-overlay
matrix loop-image
matrix readonly-root
if command -v ip >/dev/null; then
	matrix network unshare -n sh -c 'ip link add eth0 type veth peer name eth0p && ip link set eth0p up &&
		ip link set eth0 up && exec "$0" "$@"'
fi

# a loop device without autoclear outlives its killed executor: recover finds
# it by the tag (pid, start time, step) the executor put in its lo_file_name
cat >"$W/loop-keep.yaml" <<PLAN
version: 1
root: $R
mounts:
  - type: ext4
    source: $S/img/data.ext4
    loop: { autoclear: false }
    target: /data
    options: [ro]
PLAN
matrix loop-keep

out=$("$MRUN" recover 2>&1)
like "$out" "nothing to recover" "a second recover finds nothing to do"
is "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT count(*) FROM runs WHERE state NOT IN ('rolled_back', 'recovered')")" 0 \
	"every run ended rolled back or recovered"
tap_done

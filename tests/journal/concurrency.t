#!/bin/bash
# concurrency.t — one run at a time per root, many roots at once, one
# journal: 16 applies on 16 roots at the same time all succeed and are all
# recorded, and so do their 16 rollbacks; an apply on a root whose lock is
# held (flock on the journal's locks/DEV:INO, held by a process this test
# starts and kills by PID) fails after --lock-timeout naming the holder,
# with no mount made, or waits and succeeds when the holder lets go.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"

tap_plan 0
W=$(mktemp -d /tmp/mrun-jcc.XXXXXX)
holder=
cleanup() {
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	awk -v r="$W/" 'index($5, r) == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2- |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$W"
}
trap cleanup EXIT
export MOUNTPLAN_JOURNAL=$W/journal.db
mkdir -p "$W/src"
cat >"$W/plan.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t
  - type: bind
    source: $W/src
    target: /t/src
  - type: tmpfs
    target: /deep/er
PLAN
"$MPLAN" compile "$W/plan.yaml" -o "$W/plan.mpb" || { echo "Bail out! mplan compile failed"; exit 1; }
mounts() { awk '{ $1 = ""; $2 = ""; $3 = ""; print }' /proc/self/mountinfo | sort; }
for i in $(seq 16); do mkdir -p "$W/r$i"; done
before=$(mounts)

pids=
for i in $(seq 16); do
	"$MRUN" apply "$W/plan.mpb" --root "$W/r$i" >"$W/out$i" 2>&1 &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "16 concurrent applies on 16 roots all succeed"
[ "$fails" -eq 0 ] || cat "$W"/out* | head -10 | sed 's/^/#   /'
is "$(awk -v w="$W/r" 'index($5, w) == 1' /proc/self/mountinfo | wc -l)" 64 "all 48 mounts and the 16 root binds are there"
is "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT count(*) FROM runs WHERE state = 'applied'")" 16 "16 applied runs in the one journal"

pids=
for i in $(seq 16); do
	"$MRUN" rollback --root "$W/r$i" >"$W/out$i" 2>&1 &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "16 concurrent rollbacks all succeed"
is "$(mounts)" "$before" "and leave the mount table as before"
is "$(find "$W"/r* -mindepth 1 | wc -l)" 0 "and every created mount point is gone"

# the root's lock, held by another process
R=$W/r1
lock=$W/locks/$(printf '%x' "$(stat -c %d "$R")"):$(stat -c %i "$R")
ok "$([ -f "$lock" ]; echo $?)" "the root's lock file is locks/DEV:INO beside the journal"
# the holder: one process (a subshell that locks fd 8, then execs sleep) we kill by PID
(flock 8 && exec sleep 60) 8>"$lock" >/dev/null 2>&1 &
holder=$!
sleep 0.2
t0=$(date +%s%N)
out=$("$MRUN" apply "$W/plan.mpb" --root "$R" --lock-timeout 400 2>&1); st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$st" 1 "an apply on a locked root fails"
like "$out" "is busy: another mrun .* on it \(waited 400 ms\)" "saying the root is busy"
ok "$([ "$ms" -ge 380 ]; echo $?)" "after waiting the --lock-timeout ($ms ms)"
is "$(mounts)" "$before" "without a mount"
out=$("$MRUN" apply "$W/plan.mpb" --root "$W/r2" --lock-timeout 400 2>&1); st=$?
is "$st" 0 "another root is not blocked meanwhile"
"$MRUN" rollback --root "$W/r2" >/dev/null 2>&1
kill "$holder"
wait "$holder" 2>/dev/null

(flock 8 && exec sleep 0.6) 8>"$lock" >/dev/null 2>&1 &
holder=$!
sleep 0.1
out=$("$MRUN" apply "$W/plan.mpb" --root "$R" --lock-timeout 5000 2>&1); st=$?
is "$st" 0 "an apply waits for a lock that is let go in time, then applies"
wait "$holder" 2>/dev/null
holder=
out=$("$MRUN" rollback --root "$R" 2>&1); st=$?
is "$st" 0 "and its rollback"
is "$(mounts)" "$before" "all as before"

# a root a run has mounted over ("/" is a tmpfs now, with another dev:ino):
# its absolute path is locked too, so another apply on it still waits
J2=$W/j2/journal.db
mkdir -p "$W/j2" "$W/covered"
printf 'version: 1\nmounts:\n  - type: tmpfs\n    target: /\n' >"$W/cover.yaml"
"$MPLAN" compile "$W/cover.yaml" -o "$W/cover.mpb" || { echo "Bail out! mplan compile failed"; exit 1; }
out=$("$MRUN" apply "$W/cover.mpb" --root "$W/covered" --journal "$J2" 2>&1); st=$?
is "$st" 0 "a tmpfs over the root itself"
plock=$(ls "$W/j2/locks/" | grep '^path-')
is "$(echo "$plock" | wc -w)" 1 "the root's path has its lock file"
(flock 8 && exec sleep 60) 8>"$W/j2/locks/$plock" >/dev/null 2>&1 &
holder=$!
sleep 0.2
out=$("$MRUN" apply "$W/plan.mpb" --root "$W/covered" --journal "$J2" --lock-timeout 300 2>&1); st=$?
is "$st" 1 "an apply on the covered root waits for the path lock, then fails"
like "$out" "root $W/covered is busy" "naming the root"
kill "$holder"
wait "$holder" 2>/dev/null
holder=
out=$("$MRUN" rollback --root "$W/covered" --journal "$J2" 2>&1); st=$?
is "$st" 0 "the covering run rolls back"
is "$(mounts)" "$before" "all as before"
tap_done

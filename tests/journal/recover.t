#!/bin/bash
# recover.t — `mrun recover` beyond the step matrix of crash.t:
#   - a run whose executor is still alive (blocked in a readiness wait) is
#     left alone; once it is SIGKILLed, recover undoes it;
#   - a recover that itself died half way (simulated: part of the run's
#     mounts already gone) is simply run again;
#   - a run made in another mount namespace that is still alive (a process
#     sits in it) is undone inside that namespace (setns);
#   - a run whose mount namespace is gone (its mounts went with it) has the
#     mount points it created removed, by recover and by rollback (the OCI
#     poststop case).
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"

tap_plan 0
W=$(mktemp -d /tmp/mrun-jrc.XXXXXX)
pids=
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	awk -v r="$W/" 'index($5, r) == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2- |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$W"
}
trap cleanup EXIT
export MOUNTPLAN_JOURNAL=$W/journal.db
cp "$MRUN" "$W/mrun" && MRUN=$W/mrun
R=$W/root
mkdir -p "$R" "$W/src"
cat >"$W/plan.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t/one
  - type: bind
    source: $W/src
    target: /t/two
  - type: tmpfs
    target: /three
PLAN
cat >"$W/wait.yaml" <<PLAN
version: 1
mounts:
  - type: tmpfs
    target: /t/one
  - type: tmpfs
    target: /w
    requires: { link: mpnolink0, timeout: 20s }
PLAN
"$MPLAN" compile "$W/plan.yaml" -o "$W/plan.mpb" && "$MPLAN" compile "$W/wait.yaml" -o "$W/wait.mpb" ||
	{ echo "Bail out! mplan compile failed"; exit 1; }
snapshot() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; print }' /proc/self/mountinfo | sort
	(cd "$R" && find . | sort)
}
state() { sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT state FROM runs ORDER BY id DESC LIMIT 1"; }
before=$(snapshot)
end=$("$MPLAN" disasm "$W/plan.mpb" | awk '$2 == "END" { print $1 }')
quiet() { ("$@") >/dev/null 2>&1; } # a SIGKILLed child, without the shell's "Killed" line

# 1. a live executor is left alone
"$MRUN" apply "$W/wait.mpb" --root "$R" >/dev/null 2>&1 &
ex=$!
pids="$pids $ex"
for _ in $(seq 50); do [ -d "$R/t/one" ] && grep -q " $R/t/one " /proc/self/mountinfo && break; sleep 0.05; done
out=$("$MRUN" recover 2>&1); st=$?
is "$st" 0 "recover with an executor still running exits 0"
like "$out" "still running \(pid $ex\): left alone" "and leaves its run alone"
is "$(state)" running "the run is still running"
ok "$(grep -q " $R/t/one " /proc/self/mountinfo; echo $?)" "its first mount is untouched"
kill -KILL "$ex"
wait "$ex" 2>/dev/null
out=$("$MRUN" recover 2>&1); st=$?
is "$st" 0 "once it is SIGKILLed, recover undoes it"
is "$(state)" recovered "the run is recovered"
is "$(snapshot)" "$before" "and everything is as before"

# 2. a recover that died half way is run again
quiet env MOUNTPLAN_KILL_STEP=$end:before "$MRUN" apply "$W/plan.mpb" --root "$R" 2>/dev/null
umount "$R/three" && rmdir "$R/three"
out=$("$MRUN" recover 2>&1); st=$?
is "$st" 0 "recover after part of the run was already undone"
is "$(state)" recovered "recovers the run"
is "$(snapshot)" "$before" "and the rest is undone"

# 3. a run in another mount namespace that is still alive
unshare -m --propagation private sh -c 'MOUNTPLAN_KILL_STEP=$1 "$2" apply "$3" --root "$4" >/dev/null 2>&1; exec sleep 60' \
	sh "$end:before" "$MRUN" "$W/plan.mpb" "$R" &
ns=$!
pids="$pids $ns"
for _ in $(seq 100); do [ "$(state)" = running ] && [ -d "$R/three" ] && break; sleep 0.05; done
inside() { nsenter -m -t "$ns" awk -v r="$R/" 'index($5, r) == 1' /proc/self/mountinfo | wc -l; }
is "$(inside)" 3 "a killed run left 3 mounts in its (other, live) namespace"
is "$(snapshot | grep -c "$R")" 0 "none of them in ours"
out=$("$MRUN" recover 2>&1); st=$?
is "$st" 0 "recover joins the run's namespace"
is "$(inside)" 0 "and unmounts there"
is "$(state)" recovered "the run is recovered"
is "$(snapshot)" "$before" "its mount points are gone too"
kill -KILL "$ns"
wait "$ns" 2>/dev/null

# 4. a run whose namespace is gone: recover, and rollback (the OCI poststop case)
quiet unshare -m --propagation private sh -c 'MOUNTPLAN_KILL_STEP=$1 exec "$2" apply "$3" --root "$4"' \
	sh "$end:before" "$MRUN" "$W/plan.mpb" "$R" 2>/dev/null
ok "$([ -d "$R/t/two" ] && [ -d "$R/three" ]; echo $?)" "a run killed in a namespace that died left its mount points"
out=$("$MRUN" recover 2>&1); st=$?
is "$st" 0 "recover of a run whose namespace is gone"
is "$(state)" recovered "recovers it"
is "$(snapshot)" "$before" "removing the mount points it created"
unshare -m --propagation private "$MRUN" apply "$W/plan.mpb" --root "$R" >/dev/null 2>&1
run=$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT max(id) FROM runs WHERE state = 'applied'")
ok "$([ -n "$run" ] && [ -d "$R/three" ]; echo $?)" "a run applied in a namespace that is gone now"
out=$("$MRUN" rollback "$run" 2>&1); st=$?
is "$st" 0 "rollback of it"
is "$(state)" rolled_back "is rolled back"
is "$(snapshot)" "$before" "and removes its mount points"
tap_done

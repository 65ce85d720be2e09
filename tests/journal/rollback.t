#!/bin/bash
# rollback.t — the life of an applied run through the journal's commands:
# apply, history/show (table and --json), verify, a re-apply that changes
# nothing, drift detected by verify and refused as a conflict on re-apply,
# rollback back to the exact starting state; then a rollback whose unmount
# hits EBUSY (a process with its cwd in the mount, started and killed by
# PID): reported as undo_failed, the run 'failed', the busy mount and its
# data kept, nothing lost — and a second rollback once the process is gone
# finishes the job.
. "$(dirname "$0")/../lib.sh"
need_root
in_private_ns "$@"

tap_plan 0
W=$(mktemp -d /tmp/mrun-jrb.XXXXXX)
busy=
cleanup() {
	[ -n "$busy" ] && kill "$busy" 2>/dev/null && wait "$busy" 2>/dev/null
	awk -v r="$W/" 'index($5, r) == 1 { print length($5), $5 }' /proc/self/mountinfo | sort -rn | cut -d' ' -f2- |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$W"
}
trap cleanup EXIT
export MOUNTPLAN_JOURNAL=$W/journal.db
R=$W/root
mkdir -p "$R/keep" "$W/src"
echo data >"$W/src/file"
cat >"$W/plan.yaml" <<PLAN
version: 1
mounts:
  - type: bind
    source: $W/src
    target: /a
    options: [ro]
  - type: tmpfs
    target: /b
  - type: tmpfs
    target: /b/c
  - type: tmpfs
    target: /deep/x/y
PLAN
"$MPLAN" compile "$W/plan.yaml" -o "$W/plan.mpb" || { echo "Bail out! mplan compile failed"; exit 1; }
snapshot() {
	awk '{ $1 = ""; $2 = ""; $3 = ""; print }' /proc/self/mountinfo | sort
	(cd "$R" && find . -printf '%p %y %m\n' | sort)
}
under() { awk -v r="$R" '$5 == r || index($5, r "/") == 1' /proc/self/mountinfo | wc -l; }
before=$(snapshot)

out=$("$MRUN" apply "$W/plan.mpb" --root "$R" 2>&1); st=$?
is "$st" 0 "apply"
is "$(under)" 5 "four mounts under the root and the run's root bind"
run=$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT max(id) FROM runs")
like "$("$MRUN" history)" "^ +$run +applied " "history lists the run as applied"
out=$("$MRUN" show "$run")
like "$out" "run $run: applied" "show: the run's state"
like "$out" "MOVE +done +[0-9]+:[0-9]+ +mnt [0-9]+ +/b/c" "show: a step with its plan line:col and mount id"
like "$out" "MKDIR +done .*created 3 +/deep/x/y" "show: the components a step created"
json=$("$MRUN" show "$run" --json)
is "$(printf '%s' "$json" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["state"], len(d["steps"]), d["steps"][0]["op"])')" \
	"applied $(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT n_steps FROM runs WHERE id = $run") ROOT_BIND" "show --json parses and holds every step"
like "$("$MRUN" status)" "^ +$run +applied .*$R" "status lists the applied run"
is "$("$MRUN" status --json | python3 -c 'import json, sys; d = json.load(sys.stdin); print(len(d["running"]), [r["id"] for r in d["applied"]], len(d["failed"]))')" \
	"0 [$run] 0" "status --json: the applied run, none running or failed"
out=$("$MRUN" verify "$run" 2>&1); st=$?
is "$st" 0 "verify: the kernel matches"

out=$("$MRUN" apply "$W/plan.mpb" --root "$R" 2>&1); st=$?
is "$st" 0 "re-applying the applied plan exits 0"
like "$out" "already applied .* as run $run .*nothing to do" "and says so"
is "$(under)" 5 "no stacked duplicates"

umount "$R/b/c"
out=$("$MRUN" verify "$run" 2>&1); st=$?
is "$st" 1 "verify after a mount was removed behind our back fails"
like "$out" "step [0-9]+ MOVE /b/c: mount id [0-9]+ there, the run made [0-9]+" "and names the drifted mount"
out=$("$MRUN" apply "$W/plan.mpb" --root "$R" 2>&1); st=$?
is "$st" 1 "re-applying a drifted plan is refused"
like "$out" "conflict: .*run $run.*rollback" "as a conflict naming the run"
is "$(under)" 4 "and changes nothing"

out=$("$MRUN" rollback --root "$R" 2>&1); st=$?
is "$st" 0 "rollback --root of the drifted run"
like "$out" "run $run .*rolled_back" "reports it rolled back"
is "$(snapshot)" "$before" "mounts and tree exactly as before the apply"
out=$("$MRUN" rollback "$run" 2>&1); st=$?
is "$st" 1 "a run rolled back already cannot be rolled back again"
like "$out" "is rolled_back, not applied" "with the reason"
out=$("$MRUN" rollback 99999 2>&1); st=$?
is "$st" 1 "an unknown run is an error"

# EBUSY: a process holds its cwd inside /b while the run is rolled back
"$MRUN" apply "$W/plan.mpb" --root "$R" >/dev/null 2>&1
run=$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT max(id) FROM runs")
echo precious >"$R/b/data"
(cd "$R/b" && exec sleep 300) &
busy=$!
sleep 0.2
out=$("$MRUN" rollback "$run" 2>&1); st=$?
is "$st" 1 "rollback with a busy mount exits 1"
like "$out" "step [0-9]+ MOVE .*undo FAILED: unmount '/b': busy" "it reports the busy unmount"
like "$out" "could not be undone.*mrun rollback $run" "and how to finish later"
is "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT state FROM runs WHERE id = $run")" failed "the run is recorded failed"
is "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT count(*) FROM outcomes WHERE run_id = $run AND status = 'undo_failed'
	AND (error LIKE '%busy%' OR error LIKE '%still a mount point%')")" 3 \
	"the unmount, the mount point's removal and the root bind above them are undo_failed, with their reasons"
is "$(cat "$R/b/data" 2>&1)" precious "the busy mount and its data are kept"
is "$(under)" 2 "everything else was undone: the busy mount and the root bind holding it are left"
kill "$busy"
wait "$busy" 2>/dev/null
busy=
out=$("$MRUN" rollback "$run" 2>&1); st=$?
is "$st" 0 "once the process is gone, rollback again finishes"
is "$(sqlite3 "$MOUNTPLAN_JOURNAL" "SELECT state FROM runs WHERE id = $run")" rolled_back "the run is rolled_back"
is "$(snapshot)" "$before" "and everything is as before"

# a root that is a mount point already: the run binds it onto itself all
# the same, and readonly_root makes that bind read-only, not the caller's
# mount; rollback and recover take the bind away and never unmount the
# caller's mount, whose flags were never changed
R2=$W/mnt-root
mkdir -p "$R2"
mount -t tmpfs -o nosuid premounted "$R2"
printf 'version: 1\nreadonly_root: true\nmounts:\n  - type: tmpfs\n    target: /inner\n' >"$W/ro.yaml"
"$MPLAN" compile "$W/ro.yaml" -o "$W/ro.mpb" || { echo "Bail out! mplan compile failed"; exit 1; }
opts() { awk -v p="$R2" '$5 == p { print $6 }' /proc/self/mountinfo; }
before2=$(opts)
"$MRUN" apply "$W/ro.mpb" --root "$R2" >/dev/null 2>&1
like "$(opts | tail -1)" "^ro," "readonly_root made the run's bind of the root read-only"
is "$(opts | head -1)" "$before2" "and left the caller's mount under it as it was"
out=$("$MRUN" rollback --root "$R2" 2>&1); st=$?
is "$st" 0 "rollback"
is "$(opts)" "$before2" "gives the root mount its flags back"
is "$(awk -v p="$R2" '$5 == p' /proc/self/mountinfo | wc -l)" 1 "and leaves it mounted, once"
ok "$([ ! -e "$R2/inner" ]; echo $?)" "the inner mount point is gone"
end=$("$MPLAN" disasm "$W/ro.mpb" | awk '$2 == "END" { print $1 }')
st=$( (MOUNTPLAN_KILL_STEP=$end:before "$MRUN" apply "$W/ro.mpb" --root "$R2" >/dev/null 2>&1); echo $?) 2>/dev/null
like "$(opts | tail -1)" "^ro," "a run killed after the read-only remount"
out=$("$MRUN" recover 2>&1); st=$?
is "$st" 0 "is recovered"
is "$(opts)" "$before2" "with the root mount's flags back"
is "$(awk -v p="$R2" '$5 == p' /proc/self/mountinfo | wc -l)" 1 "still mounted, once"
umount "$R2"
tap_done

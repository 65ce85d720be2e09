#!/bin/bash
# journal-binds.sh [N] [RUNS] — what the journal costs `mrun` for a plan of
# N bind mounts (default 1000), median of RUNS (default 9) runs, each in
# its own private mount namespace on tmpfs (/tmp there), as root:
#   apply        journal on (an existing journal, as on a running host)
#                vs --journal off
#   undo         a run that fails at its last step (END), so the executor
#                undoes all N mounts in-process: journal on vs off
#   rollback     `mrun rollback RUN` of the applied run (a new process that
#                reads the journal and reconciles every step with the
#                kernel) vs the in-process undo of the same mounts
# Not part of `ninja test`; the README quotes its output.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-1000}
RUNS=${2:-9}
if [ -z "${JOURNAL_BENCH_IN_NS:-}" ]; then
	JOURNAL_BENCH_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
mount -t tmpfs journal-bench /mnt
B=/mnt
cp "$TOP/build/mrun" "$TOP/build/mplan" "$B/"
mkdir -p "$B/src" "$B/root"
for i in $(seq 0 $((N - 1))); do mkdir "$B/src/s$i" "$B/root/d$i"; done
{
	echo "version: 1"
	echo "mounts:"
	for i in $(seq 0 $((N - 1))); do printf '  - type: bind\n    source: %s/src/s%d\n    target: /d%d\n' "$B" "$i" "$i"; done
} >"$B/plan.yaml"
"$B/mplan" compile "$B/plan.yaml" -o "$B/plan.mpb"
end=$("$B/mplan" disasm "$B/plan.mpb" | awk '$2 == "END" { print $1 }')

# an existing journal with one earlier run in it
mkdir -p "$B/jroot/x" "$B/jsrc"
printf 'version: 1\nmounts:\n  - type: bind\n    source: %s/jsrc\n    target: /x\n' "$B" >"$B/j.yaml"
"$B/mplan" compile "$B/j.yaml" -o "$B/j.mpb"
MOUNTPLAN_JOURNAL=$B/template.db unshare -m --propagation private "$B/mrun" apply "$B/j.mpb" --root "$B/jroot"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
# us CMD...: "WALL CPU" microseconds of CMD (CPU = user + system of the child, from wait4(2) to the
# microsecond: bash's `time` rounds to milliseconds, as much as the journal now costs; the exit
# status is ignored).  CPU time is what the comparison uses: it does not count time other
# processes take the cores.
us() {
	python3 -c '
import os, subprocess, sys, time
t = time.monotonic()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ru = os.wait4(p.pid, 0)[2]
print(int((time.monotonic() - t) * 1e6), int((ru.ru_utime + ru.ru_stime) * 1e6))' "$@"
}
export -f us
# one MODE JOURNAL: in a fresh namespace, MODE=apply|undo|rollback, JOURNAL "off" or a copy of the template
one() {
	local mode=$1 j=$2
	[ "$j" = off ] || cp "$B/template.db" "$j"
	MOUNTPLAN_JOURNAL=$j B=$B END=$end MODE=$mode unshare -m --propagation private bash -c '
		case $MODE in
		apply) us "$B/mrun" apply "$B/plan.mpb" --root "$B/root" ;;
		undo) MOUNTPLAN_FAULT_STEP=$END us "$B/mrun" apply "$B/plan.mpb" --root "$B/root" ;;
		rollback) "$B/mrun" apply "$B/plan.mpb" --root "$B/root" >/dev/null; us "$B/mrun" rollback --root "$B/root" ;;
		esac'
}
# runs alternate between the two settings, so a change of load hits both alike
for i in $(seq "$RUNS"); do
	one apply off >>"$B/apply-off"
	one apply "$B/run.db" >>"$B/apply-on"
	one undo off >>"$B/undo-off"
	one undo "$B/run.db" >>"$B/undo-on"
	one rollback "$B/run.db" >>"$B/rollback"
done
wall() { cut -d' ' -f1 "$B/$1" | median; }
cpu() { cut -d' ' -f2 "$B/$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "N=$N bind mounts ($((2 * N + 1)) steps), median of $RUNS runs of the mrun process, tmpfs; CPU = user + system"
for m in apply undo; do
	printf '%-8s journal off: CPU %7d us (wall %7d)   on: CPU %7d us (wall %7d)   CPU ratio x%s\n' "$m" \
		"$(cpu $m-off)" "$(wall $m-off)" "$(cpu $m-on)" "$(wall $m-on)" "$(ratio "$(cpu $m-on)" "$(cpu $m-off)")"
done
printf 'rollback `mrun rollback` of the applied run: CPU %d us (wall %d); in-process undo (undo - apply, off): CPU %d us\n' \
	"$(cpu rollback)" "$(wall rollback)" "$(($(cpu undo-off) - $(cpu apply-off)))"

#!/bin/bash
# bench-binds.sh N RUNS — time `mrun apply` of a plan of N bind mounts
# against the same syscalls in a loop (build/bench/floor apply: openat2 +
# open_tree + move_mount per mount).  Every run is in its own private mount
# namespace on the same prepared tree; prints the median wall time of each.
# Not part of `ninja test`: run it by hand as root.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-1000}
RUNS=${2:-9}
B=$(mktemp -d /tmp/mrun-bench.XXXXXX)
trap 'rm -rf --one-file-system "$B"' EXIT
for i in $(seq 0 $((N - 1))); do echo "s$i d$i"; done | while read -r s d; do mkdir -p "$B/src/$s" "$B/root/$d"; done
{
	echo "version: 1"
	echo "mounts:"
	for i in $(seq 0 $((N - 1))); do printf '  - type: bind\n    source: %s/src/s%d\n    target: /d%d\n' "$B" "$i" "$i"; done
} >"$B/plan.yaml"
"$TOP/build/mplan" compile "$B/plan.yaml" -o "$B/plan.mpb"

# a journal that exists already (as on a running host): created once by a one-mount run, copied per run
mkdir -p "$B/jroot/x" "$B/jsrc"
printf 'version: 1\nmounts:\n  - type: bind\n    source: %s/jsrc\n    target: /x\n' "$B" >"$B/j.yaml"
"$TOP/build/mplan" compile "$B/j.yaml" -o "$B/j.mpb"
MOUNTPLAN_JOURNAL=$B/template.db unshare -m --propagation private "$TOP/build/mrun" apply "$B/j.mpb" --root "$B/jroot"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
run() { # run CMD...: wall microseconds of CMD in a fresh private mount namespace
	unshare -m --propagation private sh -c 't0=$(date +%s%N); "$@" >/dev/null || exit 1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000))' sh "$@"
}
mrun_us=$(for i in $(seq "$RUNS"); do cp "$B/template.db" "$B/run$i.db"
	MOUNTPLAN_JOURNAL=$B/run$i.db run "$TOP/build/mrun" apply "$B/plan.mpb" --root "$B/root"; done | median)
nojournal_us=$(for _ in $(seq "$RUNS"); do MOUNTPLAN_JOURNAL=off run "$TOP/build/mrun" apply "$B/plan.mpb" --root "$B/root"; done | median)
floor_us=$(for _ in $(seq "$RUNS"); do run "$TOP/build/bench/floor" apply "$N" "$B"; done | median)
inner=$(for _ in $(seq "$RUNS"); do unshare -m --propagation private "$TOP/build/bench/floor" apply "$N" "$B" | sed -n 's/inner_ns=//p'; done | median)
echo "N=$N runs=$RUNS (median wall time, process start to exit)"
echo "mrun apply:            $mrun_us us  ($((mrun_us * 1000 / N)) ns per mount, journal on)"
echo "mrun apply, no journal: $nojournal_us us  ($((nojournal_us * 1000 / N)) ns per mount)"
echo "raw syscalls (floor):  $floor_us us  (syscalls alone: $((inner / 1000)) us, $((inner / N)) ns per mount)"

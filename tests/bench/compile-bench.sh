#!/bin/sh
# compile-bench.sh — how `mplan compile` scales: plans of 1,000, 10,000 and
# 100,000 mounts in a deep and wide tree (tests/bench/gen-plan.py), each
# compiled three times; the median wall time, the median CPU time
# (user + sys: steadier than wall on a busy machine) and the peak RSS are
# printed as a markdown table, with the growth exponent between sizes
# (1.0 = linear, about 1.1 for n log n here; 2.0 = quadratic).
# A benchmark, not a test: never part of `ninja test`.
#
#   tests/bench/compile-bench.sh [N ...]      (default: 1000 10000 100000)
#
# Plans and outputs go to build/bench/compile/.  Peak RSS comes from
# /usr/bin/time -v when present, else from getrusage.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
MPLAN=${MPLAN:-$TOP/build/mplan}
OUT=$TOP/build/bench/compile
sizes=${*:-1000 10000 100000}

[ -x "$MPLAN" ] || { echo "compile-bench: build $MPLAN first (ninja)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "compile-bench: needs python3 (gen-plan.py)" >&2; exit 1; }
mkdir -p "$OUT"
# Any awk will do (Debian's is an alternatives link to mawk or gawk).
AWK=$(command -v awk || command -v mawk || command -v gawk) || { echo "compile-bench: needs awk" >&2; exit 1; }
awk() { "$AWK" "$@"; }

# One run: prints "wall_s cpu_s maxrss_kb".  Wall and CPU (user + sys of
# the process tree) come from getrusage through python3, to the
# microsecond; the peak RSS from /usr/bin/time -v when it is installed.
measure() {
	python3 - "$OUT/time.txt" "$@" <<'EOF'
import resource, shutil, subprocess, sys, time
out, argv = sys.argv[1], sys.argv[2:]
timer = shutil.which("time", path="/usr/bin")
if timer:
    argv = [timer, "-v", "-o", out] + argv
# A baseline: children of whatever ran before exec (a pyenv shim) count too.
b = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.monotonic()
r = subprocess.run(argv, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
if r.returncode:
    sys.exit("compile-bench: %s exited %d" % (" ".join(argv), r.returncode))
rss = u.ru_maxrss
if timer:
    for line in open(out):
        if "Maximum resident set size" in line:
            rss = int(line.split(":")[1])
print("%.4f %.4f %d" % (wall, u.ru_utime + u.ru_stime - b.ru_utime - b.ru_stime, rss))
EOF
}

median3() { sort -n | sed -n 2p; }

printf '| mounts | plan MB | bytecode MB | wall s (median of 3) | cpu s (median) | µs/mount (cpu) | peak RSS MB | exponent vs previous (cpu) |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|\n'
prev_n=
prev_cpu=
for n in $sizes; do
	plan=$OUT/plan-$n.yaml
	[ -s "$plan" ] || python3 "$TOP/tests/bench/gen-plan.py" "$n" >"$plan"
	: >"$OUT/runs-$n.txt"
	for run in 1 2 3; do
		measure "$MPLAN" compile "$plan" -o "$OUT/plan-$n.mpb" >>"$OUT/runs-$n.txt"
	done
	wall=$(awk '{ print $1 }' "$OUT/runs-$n.txt" | median3)
	cpu=$(awk '{ print $2 }' "$OUT/runs-$n.txt" | median3)
	rss=$(awk '{ print $3 }' "$OUT/runs-$n.txt" | sort -n | tail -1)
	planmb=$(wc -c <"$plan" | awk '{ printf "%.1f", $1 / 1048576 }')
	mpbmb=$(wc -c <"$OUT/plan-$n.mpb" | awk '{ printf "%.1f", $1 / 1048576 }')
	slope=-
	if [ -n "$prev_n" ]; then
		slope=$(awk -v a="$prev_cpu" -v b="$cpu" -v m="$prev_n" -v n="$n" \
			'BEGIN { if (a > 0 && b > 0) printf "%.2f", log(b / a) / log(n / m); else print "-" }')
	fi
	awk -v n="$n" -v p="$planmb" -v b="$mpbmb" -v w="$wall" -v c="$cpu" -v r="$rss" -v s="$slope" \
		'BEGIN { printf "| %d | %s | %s | %.3f | %.3f | %.2f | %.0f | %s |\n", n, p, b, w, c, c * 1e6 / n, r / 1024, s }'
	prev_n=$n
	prev_cpu=$cpu
done
printf '\n(%s, %s cores, load %s)\n' "$(uname -r)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"

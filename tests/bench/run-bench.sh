#!/bin/sh
# run-bench.sh — mountplan against the syscall floor and the tools people
# use today.  `ninja bench` runs it; never part of `ninja test`.
#
#   tests/bench/run-bench.sh [--quick] [--no-write]
#
# For N = 10, 100, 1000 bind mounts, and a mixed plan (tmpfs, read-only
# binds, binds, an overlay, an idmapped bind), every contender runs once per
# round, each trial in a fresh private mount namespace on a fresh tmpfs
# tree (build/bench/benchtime does the namespaces and the timing):
#
#   floor        build/bench/floor: the same syscalls as mrun, nothing else;
#                its unmounts four ways (umount2 each by path, MNT_DETACH
#                each through the resolved fd, MNT_DETACH each by path, one
#                MNT_DETACH of the parent holding all N)
#   mrun         `mrun apply` with its journal at the default path (a tmpfs
#                /run, as on a booted Debian), with --journal on a fresh
#                tmpfs file, and with --journal off; `mrun rollback`;
#                `mrun apply --dry-run`; `mrun --help` (start-up) -- each
#                when this build of mrun has it
#   mount loop   util-linux `mount --bind SRC DST` N times (and umount N times)
#   mount -a     `mount -a -T FSTAB` over an fstab of the same N entries
#   bwrap        `bwrap --bind / / --bind SRC DST ... true` minus an empty
#                `bwrap --bind / / true`, timed in the same trial
#   true         exec of /bin/true: the process start-up every row pays
#
# Then: mrun's own per-step times (-v) at the largest N, load + verify
# in-process (build/bench/startup), and the journal's and the compiler's
# benchmarks when they are built (journal-bench, compile-bench.sh).
#
# Ratios are computed per round against the floor's run of the same round
# (the machine is noisy; absolute times drift, ratios hold), then the
# median of the ratios is reported.  Output: the markdown table on stdout
# and in tests/bench/results.md, the plot in tests/bench/results.svg, the
# raw samples in build/bench/raw.tsv.
#
# Environment: BENCH_NS ("10 100 1000"), BENCH_ROUNDS (9), BENCH_WARMUP (2),
# BUILD (build), BENCH_SKIP_COMPILE (yes: do not run compile-bench.sh).
# --quick: N = 10 100, 3 rounds, no compile benchmark.  --no-write: leave
# results.md and results.svg alone (print only).
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
BUILD=${BUILD:-build}
BENCH=$BUILD/bench
NS=${BENCH_NS:-10 100 1000}
ROUNDS=${BENCH_ROUNDS:-9}
WARMUP=${BENCH_WARMUP:-2}
write=yes
quick=no
for arg in "$@"; do
	case $arg in
	--quick) NS=${BENCH_NS:-10 100}; ROUNDS=${BENCH_ROUNDS:-3}; WARMUP=${BENCH_WARMUP:-1}; quick=yes ;;
	--no-write) write=no ;;
	*) echo "run-bench.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "run-bench.sh: needs root (every trial makes a private mount namespace)" >&2
	exit 1
fi
# The whole run lives in a private mount namespace of its own, so not even
# a bug in a trial can leave a mount in the host's.
if [ -z "${MOUNTPLAN_BENCH_NS:-}" ]; then
	MOUNTPLAN_BENCH_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

for f in "$BENCH/benchtime" "$BENCH/floor"; do
	[ -x "$f" ] || { echo "run-bench.sh: $f missing: run 'ninja bench'" >&2; exit 1; }
done
MOUNT=$(command -v mount)
UMOUNT=$(command -v umount)
# An executable, not the shell's builtin.
TRUE=/usr/bin/true
[ -x "$TRUE" ] || TRUE=/bin/true
BWRAP=$(command -v bwrap || true)
CP=$(command -v cp)
# Any POSIX awk (Debian's default is mawk, reached through an alternatives
# link that a broken /etc would lose).
AWK=$(command -v awk || command -v mawk || command -v gawk || true)
[ -n "$AWK" ] || { echo "run-bench.sh: no awk" >&2; exit 1; }
FLOOR=$TOP/$BENCH/floor

W=$(mktemp -d /tmp/mpbench.XXXXXX)
# Mounts made in this namespace die with it; only the directory is ours
# to remove (the tmpfs on $W/shm is unmounted first).
trap 'umount -R "$W/shm" 2>/dev/null || true; rm -rf --one-file-system "$W"' EXIT INT TERM
T=$W/t
mkdir -p "$T" "$W/shm" "$W/bin"
# A copy of the programs as they are now: the other parts rebuild build/
# while a long run goes on.
MPLAN=$W/bin/mplan
MRUN=$W/bin/mrun
for p in mplan mrun; do
	[ ! -x "$BUILD/$p" ] || cp "$BUILD/$p" "$W/bin/$p"
done
# The default journal lives in /run/mountplan; on a booted Debian /run is a
# tmpfs (here it is not).  Each mrun trial mounts a tmpfs on /run in its own
# namespace, so the host's /run is never touched.  $W/shm: a tmpfs for the
# journal benchmark.
mount -t tmpfs -o mode=0755 tmpfs "$W/shm"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
RAW=$BENCH/raw.tsv
: >"$RAW"
log=$BENCH/bench.log
: >"$log"

# --- workload files -----------------------------------------------------

gen_bind() { # N -> $W/bind-N.yaml (plan), .fstab, .bwrap (arguments)
	n=$1
	{
		echo "version: 1"
		echo "root: $T/root"
		echo "mounts:"
		i=0
		while [ $i -lt "$n" ]; do
			printf '  - type: bind\n    source: %s/src/s%d\n    target: /d%d\n' "$T" $i $i
			i=$((i + 1))
		done
	} >"$W/bind-$n.yaml"
	"$AWK" -v n="$n" -v t="$T" 'BEGIN { for (i = 0; i < n; i++) printf "%s/src/s%d %s/root/d%d none bind 0 0\n", t, i, t, i }' >"$W/bind-$n.fstab"
	"$AWK" -v n="$n" -v t="$T" 'BEGIN { for (i = 0; i < n; i++) printf " --bind %s/src/s%d %s/root/d%d", t, i, t, i }' >"$W/bind-$n.bwrap"
}

# The mixed plan; floor.c's cmd_mixed makes the same mounts in the same
# order.  Per 10 entries: tmpfs, ro bind, bind, ro bind, ro bind, overlay,
# bind, idmapped bind, tmpfs, ro bind.
gen_mixed() {
	n=$1
	"$AWK" -v n="$n" -v t="$T" 'BEGIN {
		print "version: 1"; print "root: " t "/root"; print "mounts:"
		for (i = 0; i < n; i++) {
			k = i % 10
			if (k == 0 || k == 8)
				printf "  - type: tmpfs\n    target: /m%d\n    options: [size=1m]\n", i
			else if (k == 5)
				printf "  - type: overlay\n    lower: [%s/src/l%d/a, %s/src/l%d/b]\n    upper: %s/src/l%d/u\n    work: %s/src/l%d/w\n    target: /m%d\n", t, i, t, i, t, i, t, i, i
			else if (k == 7)
				printf "  - type: bind\n    source: %s/src/s%d\n    target: /m%d\n    idmap: { uid: \"0:100000:65536\", gid: \"0:100000:65536\" }\n", t, i, i
			else if (k == 2 || k == 6)
				printf "  - type: bind\n    source: %s/src/s%d\n    target: /m%d\n", t, i, i
			else
				printf "  - type: bind\n    source: %s/src/s%d\n    target: /m%d\n    options: [ro]\n", t, i, i
		}
	}' >"$W/mixed-$n.yaml"
	# util-linux 2.38 has no X-mount.idmap (2.39 has): the idmapped entry is
	# a plain bind there, so mount -a does a little less than the others.
	"$AWK" -v n="$n" -v t="$T" 'BEGIN {
		for (i = 0; i < n; i++) {
			k = i % 10; d = t "/root/m" i
			if (k == 0 || k == 8)
				printf "tmpfs %s tmpfs size=1m 0 0\n", d
			else if (k == 5)
				printf "overlay %s overlay lowerdir=%s/src/l%d/a:%s/src/l%d/b,upperdir=%s/src/l%d/u,workdir=%s/src/l%d/w 0 0\n", d, t, i, t, i, t, i, t, i
			else if (k == 2 || k == 6 || k == 7)
				printf "%s/src/s%d %s none bind 0 0\n", t, i, d
			else
				printf "%s/src/s%d %s none bind,ro 0 0\n", t, i, d
		}
	}' >"$W/mixed-$n.fstab"
}

# What this mrun build can do, from its usage text: the journal flag,
# rollback, a journal-off mode, --dry-run.  The mrun rows follow what
# exists (the executor and the journal land in steps).
mrun_usage() { "$MRUN" --help 2>&1; "$MRUN" apply --help 2>&1; "$MRUN" help 2>&1; }
mrun_has() { mrun_usage | grep -q -- "$1"; }

# Can mountplan run this plan?  Compile it, apply it (and roll it back, if
# this mrun can) once in a throwaway namespace; on failure say why (into
# the results) and leave the mrun contenders out.  Prints "yes" or why.
probe_mrun() { # NAME MKTREE-CMD N
	name=$1
	if [ ! -x "$MPLAN" ] || [ ! -x "$MRUN" ]; then
		echo "build/mplan or build/mrun missing"
		return
	fi
	if ! "$MPLAN" compile "$W/$name.yaml" -o "$W/$name.mpb" >"$W/probe.out" 2>&1; then
		echo "mplan compile fails: $(head -c 200 "$W/probe.out" | tr '\n' ' ')"
		return
	fi
	rb=
	mrun_has rollback && rb=yes
	jr=
	mrun_has --journal && jr="--journal $T/probe.db"
	# Default settings first, on a fresh tmpfs /run; what that leaves in
	# /run/mountplan after a rollback becomes the journal each mrun trial
	# starts from (a journal that has seen a run, as on a host that has
	# been up a while), so no trial sees another's applied run.
	rm -rf "$W/jtemplate-$name"
	if ! unshare -m --propagation private sh -c '
		set -e
		mount -t tmpfs tmpfs "$1"
		mount -t tmpfs -o mode=0755 tmpfs /run
		"$2" "$4" "$5" "$1" >/dev/null
		"$3" apply "$6" --root "$1/root"
		if [ -n "$7" ]; then
			"$3" rollback --root "$1/root"
			[ ! -d /run/mountplan ] || cp -a /run/mountplan "$9"
		fi
		[ -e /run/mountplan/journal.db ] && echo "default journal: yes" || echo "default journal: no"
		umount -R "$1/root"
		"$2" "$4" "$5" "$1" >/dev/null
		[ -z "$8" ] || "$3" apply "$6" --root "$1/root" $8
		[ -z "$8" ] || [ -z "$7" ] || "$3" rollback --root "$1/root" $8
	' probe "$T" "$FLOOR" "$MRUN" "$2" "$3" "$W/$name.mpb" "$rb" "$jr" "$W/jtemplate-$name" >"$W/probe.out" 2>&1; then
		echo "mrun apply/rollback fails: $(head -c 300 "$W/probe.out" | tr '\n' ' ')"
		return
	fi
	if grep -q 'default journal: no' "$W/probe.out"; then
		echo "this mrun build wrote no default journal (no /run/mountplan/journal.db after an apply): its rows ran without a journal" >>"$W/facts"
	else
		echo "mrun's default journal (/run/mountplan/journal.db) is on a tmpfs /run made for each trial, seeded with the journal of one applied and rolled-back run" >>"$W/facts"
	fi
	echo yes
}

# --- one spec per workload ------------------------------------------------

notes=$W/notes
: >"$notes"

spec_head() {
	printf 'tree %s\nrounds %s\nwarmup %s\n' "$T" "$ROUNDS" "$WARMUP"
}

mrun_contenders() { # NAME MKTREE-CMD N
	name=$1 mk=$2 n=$3
	why=$(probe_mrun "$name" "$mk" "$n")
	if [ "$why" != yes ]; then
		echo "$name: mountplan rows missing: $why" >>"$notes"
		return
	fi
	rollback=
	if mrun_has rollback; then
		rollback=yes
	else
		echo "$name: no \`mrun rollback\` in this build: rollback rows missing" >>"$notes"
	fi
	# Default settings: the default journal path, on a fresh tmpfs /run
	# seeded from the probe's journal.
	runsetup="! $MOUNT -t tmpfs -o mode=0755 tmpfs /run"
	[ ! -d "$W/jtemplate-$name" ] || runsetup="$runsetup
! $CP -a $W/jtemplate-$name /run/mountplan"
	printf 'contender mrun\n! %s %s %s %s\n%s\n= apply %s apply %s/%s.mpb --root %s/root\n' \
		"$FLOOR" "$mk" "$n" "$T" "$runsetup" "$MRUN" "$W" "$name" "$T"
	[ -z "$rollback" ] || printf '= rollback %s rollback --root %s/root\n' "$MRUN" "$T"
	if mrun_has --journal; then
		printf 'contender mrun-tmpfsjournal\n! %s %s %s %s\n= apply %s apply %s/%s.mpb --root %s/root --journal %s/journal.db\n' \
			"$FLOOR" "$mk" "$n" "$T" "$MRUN" "$W" "$name" "$T" "$T"
		[ -z "$rollback" ] || printf '= rollback %s rollback --root %s/root --journal %s/journal.db\n' "$MRUN" "$T" "$T"
	else
		echo "$name: no --journal in this build: the journal-on-tmpfs-path rows are missing" >>"$notes"
	fi
	# Journal off ("--journal off"), for comparison only: no rollback.
	if mrun_has '"off"'; then
		printf 'contender mrun-nojournal\n! %s %s %s %s\n= apply %s apply %s/%s.mpb --root %s/root --journal off\n' \
			"$FLOOR" "$mk" "$n" "$T" "$MRUN" "$W" "$name" "$T"
	fi
	printf 'contender mrun-exec\n= exec %s --help\n' "$MRUN"
	if mrun_has --dry-run; then
		printf 'contender mrun-dryrun\n! %s %s %s %s\n%s\n= load-verify %s apply --dry-run %s/%s.mpb --root %s/root\n' \
			"$FLOOR" "$mk" "$n" "$T" "$runsetup" "$MRUN" "$W" "$name" "$T"
	fi
}

spec_bind() {
	n=$1
	spec_head
	cat <<EOF
contender floor
! $FLOOR mktree $n $T
= apply $FLOOR apply $n $T
= umount-each $FLOOR umount $n $T each
contender floor-lazy
! $FLOOR mktree $n $T
= apply $FLOOR apply $n $T
= umount-lazy $FLOOR umount $n $T lazy
contender floor-lazypath
! $FLOOR mktree $n $T
= apply $FLOOR apply $n $T
= umount-lazypath $FLOOR umount $n $T lazypath
contender floor-parent
! $FLOOR mktree $n $T
= apply $FLOOR apply $n $T
= umount-parent $FLOOR umount $n $T parent
contender mount-loop
! $FLOOR mktree $n $T
* apply $n $MOUNT --bind $T/src/s%i $T/root/d%i
* rollback $n $UMOUNT $T/root/d%i
contender mount-a
! $FLOOR mktree $n $T
= apply $MOUNT -a -T $W/bind-$n.fstab
contender true
= exec $TRUE
EOF
	if [ -n "$BWRAP" ]; then
		printf 'contender bwrap\n! %s mktree %s %s\n= empty %s --bind / / %s\n= full %s --bind / /%s %s\n' \
			"$FLOOR" "$n" "$T" "$BWRAP" "$TRUE" "$BWRAP" "$(cat "$W/bind-$n.bwrap")" "$TRUE"
	fi
	mrun_contenders "bind-$n" mktree "$n"
}

spec_mixed() {
	n=$1
	echo "mixed-$n: no bubblewrap row: bwrap has no idmapped bind (nor, before 0.9, an overlay); no mount --bind loop row (its ro binds and overlay need other commands)" >>"$notes"
	spec_head
	cat <<EOF
contender floor
! $FLOOR mkmixed $n $T
= apply $FLOOR mixed $n $T
= umount-each $FLOOR umount $n $T each m
contender floor-lazy
! $FLOOR mkmixed $n $T
= apply $FLOOR mixed $n $T
= umount-lazy $FLOOR umount $n $T lazy m
contender mount-a
! $FLOOR mkmixed $n $T
= apply $MOUNT -a -T $W/mixed-$n.fstab
EOF
	mrun_contenders "mixed-$n" mkmixed "$n"
}

run_spec() { # WORKLOAD N SPEC
	echo "run-bench.sh: $1 N=$2 ($ROUNDS rounds after $WARMUP warm-up)" >&2
	# Raised priority (nice -10) against the noise of a shared machine;
	# the ratios are per round anyway.
	nice -n -10 "$BENCH/benchtime" "$3" 2>>"$log" | "$AWK" -v w="$1" -v n="$2" '{ print w "\t" n "\t" $0 }' >>"$RAW"
}

[ -n "$BWRAP" ] || echo "bind: bubblewrap not installed (apt-get install bubblewrap): bwrap rows missing" >>"$notes"
for n in $NS; do
	gen_bind "$n"
	spec_bind "$n" >"$W/spec"
	run_spec bind "$n" "$W/spec"
done
for n in $NS; do
	gen_mixed "$n"
	spec_mixed "$n" >"$W/spec"
	run_spec mixed "$n" "$W/spec"
done

# The other parts' benchmarks, when they exist: the journal's cost per
# SQLite setting (the journal's share of an apply) and compile time.  Their
# output goes into the results verbatim.
extras=$W/extras
# The other scripts call plain "awk": give them the one found above.
mkdir -p "$W/path"
ln -sf "$AWK" "$W/path/awk"
: >"$extras"
JBENCH=$BUILD/tests/bench/journal-bench
if [ -x "$JBENCH" ]; then
	echo "run-bench.sh: $JBENCH" >&2
	mkdir -p "$W/shm/jbench"
	{
		echo
		echo "Journal cost per SQLite setting (\`$JBENCH\`, on tmpfs):"
		echo
		echo '```'
		"$JBENCH" "$W/shm/jbench" 1000 2>&1 || echo "(journal-bench failed: exit $?)"
		echo '```'
	} >>"$extras"
fi
if [ -x tests/bench/compile-bench.sh ] && [ "${BENCH_SKIP_COMPILE:-$quick}" != yes ]; then
	echo "run-bench.sh: tests/bench/compile-bench.sh" >&2
	{
		echo
		echo "Compile time and peak memory (\`tests/bench/compile-bench.sh\`, its own table):"
		echo
		PATH=$W/path:$PATH tests/bench/compile-bench.sh 2>&1 || echo "(compile-bench.sh failed: exit $?)"
	} >>"$extras"
fi

# The floor's in-process time (ns) for STEP of the largest bind plan, the median over the rounds.
floor_inner_median() { # STEP (apply, umount-each, ...)
	"$AWK" -F '\t' -v n="$bigN" -v s="$1" '$1 == "bind" && $2 == n && $4 == "floor" && $5 == s && $9 == "ok" { print $8 }' "$RAW" |
		sort -n | "$AWK" '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

# Per-step times inside mrun (its -v log: "step K OP (...) done in X us"),
# summed by opcode over 3 applies of the largest bind plan, each in a
# fresh namespace, journal off and on: what each kind of step costs
# beside the floor's whole mount (open + open_tree + openat2 + move_mount).
bigN=$(echo "$NS" | tr ' ' '\n' | sort -n | tail -1)
if [ -f "$W/bind-$bigN.mpb" ]; then
	: >"$W/steps.log"
	for j in off default; do
		for _ in 1 2 3; do
			unshare -m --propagation private sh -c '
				mount -t tmpfs tmpfs "$1" && mount -t tmpfs -o mode=0755 tmpfs /run &&
				"$2" mktree "$4" "$1" >/dev/null &&
				if [ "$6" = off ]; then "$3" apply "$5" --root "$1/root" -v --journal off; else "$3" apply "$5" --root "$1/root" -v; fi
			' stepprof "$T" "$FLOOR" "$MRUN" "$bigN" "$W/bind-$bigN.mpb" "$j" 2>&1 | sed "s/^/$j /" >>"$W/steps.log" || true
		done
	done
	floor_inner=$(floor_inner_median apply)
	{
		echo
		echo "Inside \`mrun apply -v\` at N = $bigN binds (3 applies each, per-step times mrun logs; the floor's whole mount is open + open_tree + openat2 + move_mount):"
		echo
		echo "| journal | step | steps | mean µs | total ms |"
		echo "|---|---|---:|---:|---:|"
		"$AWK" '$2 == "mrun:" && $3 == "step" && $(NF - 1) ~ /^[0-9.]+$/ && $NF == "us" {
			k = $1 SUBSEP $5; sum[k] += $(NF - 1); cnt[k]++; tot[$1] += $(NF - 1)
			if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		}
		$2 == "mrun:" && $3 == "applied" { runs[$1]++ }
		END {
			for (i = 1; i <= n; i++) {
				split(order[i], p, SUBSEP)
				printf "| %s | %s | %d | %.2f | %.3f |\n", p[1], p[2], cnt[order[i]] / runs[p[1]], sum[order[i]] / cnt[order[i]], sum[order[i]] / runs[p[1]] / 1000
			}
			for (j in tot)
				printf "| %s | all steps | | | %.3f |\n", j, tot[j] / runs[j] / 1000
		}' "$W/steps.log"
		[ -z "$floor_inner" ] || "$AWK" -v f="$floor_inner" -v n="$bigN" 'BEGIN { printf "| (floor) | one whole mount, in-process | %d | %.2f | %.3f |\n", n, f / 1000 / n, f / 1e6 }'
	} >>"$extras"
fi

# Where an apply's and a rollback's time goes (`--timings`: a clock per
# phase), at the largest N, default journal seeded as in the mrun rows:
# benchtime runs the commands (so each has its wall time beside its
# phases); the median of each phase, beside the floor's in-process time for
# the same work, and what a process costs outside main (wall minus total).
phase_table() { # COMMAND (apply|rollback) FLOOR-STEP (apply|umount-each)
	{
		printf 'tree %s\nrounds %s\nwarmup 1\ncontender mrun\n! %s mktree %s %s\n! %s -t tmpfs -o mode=0755 tmpfs /run\n' \
			"$T" "$ROUNDS" "$FLOOR" "$bigN" "$T" "$MOUNT"
		[ ! -d "$W/jtemplate-bind-$bigN" ] || printf '! %s -a %s /run/mountplan\n' "$CP" "$W/jtemplate-bind-$bigN"
		if [ "$1" = apply ]; then
			printf '= apply %s apply %s --root %s/root --timings\n' "$MRUN" "$W/bind-$bigN.mpb" "$T"
		else
			printf '! %s apply %s --root %s/root\n= rollback %s rollback --root %s/root --timings\n' \
				"$MRUN" "$W/bind-$bigN.mpb" "$T" "$MRUN" "$T"
		fi
	} >"$W/timings-$1.spec"
	nice -n -10 "$BENCH/benchtime" "$W/timings-$1.spec" >"$W/timings-$1.tsv" 2>"$W/timings-$1.log" || true
	floor_in=$(floor_inner_median "$2")
	echo
	echo "Where \`mrun $1\` spends its time at N = $bigN binds (\`--timings\`, median of $ROUNDS runs after a warm-up, default journal; the share is of the sum of the phase medians):"
	echo
	echo "| phase | median ms | share |"
	echo "|---|---:|---:|"
	# one "index phase ms" line per phase and run (the warm-up's line is
	# the first: dropped), in the order mrun printed them; then the
	# wall time of each measured run as the phase "wall"
	{
		"$AWK" '$1 == "mrun:" && $2 == "timings" && ++runs > 1 { for (i = 4; i <= NF; i++) { split($i, kv, "="); if (!(kv[1] in idx)) idx[kv[1]] = ++n; print idx[kv[1]], kv[1], kv[2] } }' "$W/timings-$1.log"
		"$AWK" -F '\t' '$7 == "ok" { print 99, "wall", $4 / 1e6 }' "$W/timings-$1.tsv"
	} | sort -k1,1n -k3,3n | "$AWK" '
		{ v[$1, ++c[$1]] = $3; name[$1] = $2; if ($1 > m) m = $1 }
		END {
			# the median of each phase, their sum (the share is of it), the median of the totals
			for (i = 1; i <= m; i++) if (c[i]) { med[i] = v[i, int((c[i] + 1) / 2)]; if (name[i] == "total") tot = med[i]; else if (i < 99) sum += med[i] }
			for (i = 1; i < 99; i++)
				if (c[i] && name[i] != "total") printf "| %s | %.3f | %s |\n", name[i], med[i], (sum > 0 ? sprintf("%.0f%%", 100 * med[i] / sum) : "")
			printf "| sum of the phase medians | %.3f | 100%% |\n| total (the median run) | %.3f | |\n", sum, tot
			if (c[99] && tot > 0)
				printf "| (outside main: exec, dynamic linking, exit = median wall %.3f ms - median total) | %.3f | |\n", med[99], med[99] - tot
		}'
	[ -z "$floor_in" ] || "$AWK" -v f="$floor_in" -v s="$2" 'BEGIN { printf "| (floor %s, in-process) | %.3f | |\n", s, f / 1e6 }'
}
if [ -f "$W/bind-$bigN.mpb" ] && mrun_has --timings; then
	phase_table apply apply >>"$extras"
	! mrun_has rollback || phase_table rollback umount-each >>"$extras"
fi

# Syscalls per run (strace -f -c) at the largest N: unlike times, counts
# do not care how busy the machine is.  One namespace per column.
STRACE=$(command -v strace || true)
if [ -n "$STRACE" ] && [ -f "$W/bind-$bigN.mpb" ]; then
	sc() { # NAME SETUP-AND-RUN (sh -c script; $S is "strace -f -c -o FILE")
		unshare -m --propagation private sh -c "
			mount -t tmpfs tmpfs '$T' && mount -t tmpfs -o mode=0755 tmpfs /run &&
			'$FLOOR' mktree $bigN '$T' >/dev/null && $2" >/dev/null 2>&1 || echo "$1 failed" >>"$W/strace.fail"
	}
	S="$STRACE -f -c -o"
	sc floor "$S $W/sc.floor-apply '$FLOOR' apply $bigN '$T' && $S $W/sc.floor-umount-lazy '$FLOOR' umount $bigN '$T' lazy"
	sc floor2 "'$FLOOR' apply $bigN '$T' && $S $W/sc.floor-umount-parent '$FLOOR' umount $bigN '$T' parent"
	sc floor3 "'$FLOOR' apply $bigN '$T' && $S $W/sc.floor-umount-each '$FLOOR' umount $bigN '$T' each"
	sc mrun "$S $W/sc.mrun-apply '$MRUN' apply '$W/bind-$bigN.mpb' --root '$T/root' && $S $W/sc.mrun-rollback '$MRUN' rollback --root '$T/root'"
	sc mrun-off "$S $W/sc.mrun-apply-journal-off '$MRUN' apply '$W/bind-$bigN.mpb' --root '$T/root' --journal off"
	{
		echo
		echo "Syscalls per run at N = $bigN binds (\`strace -f -c\`; a count, so the machine's load does not matter):"
		echo
		echo "| run | syscalls | per mount | the most frequent (count) |"
		echo "|---|---:|---:|---|"
		for f in floor-apply mrun-apply mrun-apply-journal-off floor-umount-each floor-umount-lazy floor-umount-parent mrun-rollback; do
			[ -s "$W/sc.$f" ] || { echo "| $f | not measured | | |"; continue; }
			"$AWK" -v name="$f" -v n="$bigN" '
				$NF == "total" { total = $4; next }   # % time, seconds, usecs/call, calls
				$1 ~ /^[0-9.]+$/ && NF >= 5 { c[$NF] = $4 }
				END {
					top = ""
					for (k = 0; k < 8; k++) {   # the 8 largest, by selection
						best = ""; bv = -1
						for (s in c) if (c[s] + 0 > bv) { bv = c[s] + 0; best = s }
						if (best == "" || bv < n / 10) break
						top = top (top == "" ? "" : ", ") best " " bv
						delete c[best]
					}
					printf "| %s | %d | %.1f | %s |\n", name, total, total / n, top
				}' "$W/sc.$f"
		done
	} >>"$extras"
elif [ -z "$STRACE" ]; then
	printf '\nNo syscall counts: strace is not installed (Debian package strace).\n' >>"$extras"
fi

# Executor start-up in-process: load + verify of a 100-step plan (50
# binds: MKPOINT + BIND each, END) and of the 1000-bind plan, with mrun's
# own loader and verifier (build/bench/startup).
if [ -x "$BENCH/startup" ] && [ -x "$MPLAN" ]; then
	{
		echo
		echo "Executor start-up, in-process (\`build/bench/startup\`: runtime/load.c + verify.c, 200 iterations):"
		echo
		echo "| plan | instructions | bytes | first load + verify µs | median µs | min µs |"
		echo "|---|---:|---:|---:|---:|---:|"
		for n in 50 1000; do
			gen_bind "$n"
			line="mplan compile failed"
			if "$MPLAN" compile "$W/bind-$n.yaml" -o "$W/bind-$n.mpb" >/dev/null 2>&1 &&
				line=$("$BENCH/startup" "$W/bind-$n.mpb" 200 2>&1); then
				echo "$line" | "$AWK" -v n="$n" '{
					for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
					printf "| %d binds | %s | %s | %s | %s | %s |\n", n, v["insns"], v["bytes"], v["first_us"], v["median_us"], v["min_us"]
				}'
			else
				echo "| $n binds | failed: $(echo "$line" | head -1) | | | | |"
			fi
		done
	} >>"$extras"
fi

# --- summary --------------------------------------------------------------

machine="$(uname -sr), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) ($(nproc) CPUs),"
machine="$machine util-linux $("$MOUNT" --version | sed -n 's/.*util-linux \([0-9.]*\).*/\1/p'),"
machine="$machine SQLite $(pkg-config --modversion sqlite3 2>/dev/null || echo '?'),"
machine="$machine bubblewrap $([ -n "$BWRAP" ] && "$BWRAP" --version | sed 's/bubblewrap //' || echo 'not installed')"

table=$W/table.md
plotdata=$BENCH/plot.dat
"$AWK" -F '\t' -f tests/bench/summarize.awk -v plotfile="$plotdata" "$RAW" >"$table"

out=$W/results.md
{
	echo "# mountplan benchmarks"
	echo
	echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), \`ninja bench\` ($ROUNDS rounds after $WARMUP warm-up per workload)."
	echo "Machine: $machine; load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo "Tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- runtime compiler schema 2>/dev/null || echo ' (with uncommitted changes in runtime/, compiler/ or schema/)')."
	[ ! -s "$W/facts" ] || sort -u "$W/facts" | sed 's/^/Note: /; s/$/./'
	echo
	echo "Every trial runs in a fresh private mount namespace on a fresh tmpfs tree."
	echo "Times are whole commands (fork/exec to exit, CLOCK_MONOTONIC around posix_spawn + wait4):"
	echo "median, and min–max over the rounds.  \"× floor\" is the median over rounds of the"
	echo "per-round ratio to the floor's run in the same round (apply rows against \`floor apply\`,"
	echo "unmount and rollback rows against \`floor umount-each\`).  \"in-process\" is the floor's own"
	echo "clock around its syscalls, without exec and exit.  bwrap = full − empty in the same trial."
	echo "The mixed plan has, per 10 entries: 2 tmpfs, 4 ro binds, 2 binds, 1 overlay (2 lower"
	echo "layers), 1 idmapped bind; util-linux 2.38 cannot idmap, so its idmapped entry is a plain bind."
	echo
	if [ -s "$notes" ]; then
		echo "Missing rows:"
		echo
		sed 's/^/- /' "$notes"
		echo
	fi
	cat "$table"
	cat "$extras"
	echo
	echo "Plot: [results.svg](results.svg) (time per mount against N, log–log)."
} >"$out"
cat "$out"
if [ "$write" = yes ]; then
	cp "$out" tests/bench/results.md
	if command -v gnuplot >/dev/null 2>&1; then
		gnuplot -e "datafile='$plotdata'; outfile='tests/bench/results.svg'" tests/bench/plot.gp
	else
		echo "run-bench.sh: gnuplot missing (apt-get install gnuplot-nox): no plot" >&2
	fi
fi

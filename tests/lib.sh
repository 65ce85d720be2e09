# lib.sh — TAP for shell tests.  Source it, call tap_plan N (or 0 to count),
# then ok/is/like; finish with tap_done.  need_root skips the file when not
# root, and fails instead when MOUNTPLAN_REQUIRE_ROOT=1.  in_private_ns
# re-executes the test inside `unshare -m --propagation private` so its
# mounts never reach the host, with the host's files read-only there
# (tests/ns-guard.sh).

TOP=${TOP:-$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)}
[ -f "$TOP/build.ninja" ] || TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
MPLAN=$BUILD/mplan
MRUN=$BUILD/mrun
_tap_n=0
_tap_fail=0
_tap_planned=0

tap_plan() { _tap_planned=$1; [ "$1" -gt 0 ] && echo "1..$1"; return 0; }

ok() { # ok COND_STATUS DESC
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; _tap_fail=$((_tap_fail + 1)); fi
}

is() { # is GOT WANT DESC
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; printf '#        got: %s\n#   expected: %s\n' "$1" "$2" | sed '2,$s/^/# /;s/^# # /# /'
	fi
}

like() { # like TEXT EXTENDED_REGEX DESC
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; printf '%s\n' "$1" | head -20 | sed 's/^/#   /'; echo "#   does not match: $2"
	fi
}

diag() { echo "# $*"; }

skip_all() {
	if [ "${MOUNTPLAN_REQUIRE_ROOT:-}" = 1 ]; then
		echo "1..1"; echo "not ok 1 - required test skipped: $1 (MOUNTPLAN_REQUIRE_ROOT=1)"; exit 1
	fi
	echo "1..0 # SKIP $1"; exit 0
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root and a private mount namespace"
	unshare -m --propagation private true 2>/dev/null || skip_all "unshare -m is not permitted here"
}

# Re-run this script inside a private mount namespace (once), where
# ns-guard.sh makes every host path but the project tree read-only and gives
# the test its own /tmp and /run (see there why).
in_private_ns() {
	if [ -z "${MOUNTPLAN_IN_NS:-}" ]; then
		MOUNTPLAN_IN_NS=1 TOP=$TOP exec unshare -m --propagation private /bin/sh "$TOP/tests/ns-guard.sh" "$0" "$@"
	fi
}

tap_done() {
	[ "$_tap_planned" -gt 0 ] || echo "1..$_tap_n"
	if [ "$_tap_n" -eq 0 ]; then echo "# no check ran"; exit 1; fi
	if [ "$_tap_planned" -gt 0 ] && [ "$_tap_n" -ne "$_tap_planned" ]; then echo "# planned $_tap_planned, ran $_tap_n"; exit 1; fi
	[ "$_tap_fail" -eq 0 ]
}

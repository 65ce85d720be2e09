# replay-lib.sh — shared by the replay tests in tests/fuzz/ (plan.t,
# import-fstab.t, import-oci.t, journal.t); source it after ../lib.sh.
#
#   replay_suite NAME   replays tests/fuzz/corpus/NAME/ (every file, one
#                       process) and each crash regression in
#                       tests/fuzz/crashes/NAME/ (one process each) with
#                       build/tests/fuzz/replay-NAME.  A regression named
#                       open-* is a bug reported and not fixed yet: it is
#                       reported with a TAP "# TODO" directive, so it shows
#                       (and turns "unexpectedly succeeded" once fixed)
#                       without failing the suite.
#   todo_ok STATUS DESC WHY   a TAP line with a TODO directive
#   verdict_of FILE     the verdict the replay binary gives FILE

todo_ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_tap_n - $2 # TODO $3"; else echo "not ok $_tap_n - $2 # TODO $3"; fi
}

verdict_of() {
	"$REPLAY" "$1" 2>&1 | sed -n "s|^$1: ||p"
}

replay_suite() {
	name=$1
	REPLAY=$BUILD/tests/fuzz/replay-$name
	corpus=$TOP/tests/fuzz/corpus/$name
	crashes=$TOP/tests/fuzz/crashes/$name
	if [ ! -x "$REPLAY" ]; then
		echo "Bail out! $REPLAY is not built (ninja)"
		exit 1
	fi
	n=$(find "$corpus" -type f | wc -l)
	ok "$([ "$n" -gt 0 ]; echo $?)" "$name: the corpus has files ($n)"
	out=$(find "$corpus" -type f -print0 | sort -z | xargs -0 "$REPLAY" 2>&1)
	st=$?
	is "$st" 0 "$name: every corpus file replays without a crash or a broken invariant"
	[ "$st" -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
	is "$(printf '%s\n' "$out" | grep -cE ': (accepted|refused|read)')" "$n" "$name: a verdict for every corpus file"
	[ -d "$crashes" ] || return 0
	for f in "$crashes"/*; do
		[ -f "$f" ] || continue
		base=${f##*/}
		out=$(exec 2>&1; "$REPLAY" "$f"; echo "exit $?")
		st=${out##*exit }
		case $base in
		open-*)
			todo_ok "$st" "$name: crash regression $base" "open bug, see tests/fuzz/crashes/README"
			;;
		*)
			is "$st" 0 "$name: crash regression $base replays cleanly"
			[ "$st" -eq 0 ] || printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
			;;
		esac
	done
}

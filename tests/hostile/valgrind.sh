#!/bin/sh
# valgrind.sh — run the executor's integration tests once with every mrun
# under valgrind's memcheck (not part of `ninja test`: slow, and run by hand).
#
#   tests/hostile/valgrind.sh [TEST.t ...]   (default: tests/runtime, tests/journal, tests/hostile)
#
# A wrapper directory build/valgrind/ holds an `mrun` that execs the real
# build/mrun under valgrind (errors and definite/indirect leaks exit 99) and
# links to everything else in build/; the tests take it through BUILD (lib.sh).
# Each mrun writes build/valgrind/logs/mrun.PID.log; the summary counts the
# runs, the memory errors, the leaks and the syscalls valgrind does not know.
#
# Valgrind 3.19 (Debian 12) implements neither openat2 (437) nor open_tree
# (428) nor listmount (458): under it every resolution fails with ENOSYS, so
# applies fail early and what is checked is the verify, journal, error and
# rollback paths.  A valgrind that knows them checks the rest too.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 1; }
[ -x build/mrun ] || { echo "valgrind.sh: build/mrun is not built (ninja)" >&2; exit 1; }
vg=$top/build/valgrind
rm -rf "$vg"
mkdir -p "$vg/logs"
for f in build/*; do
	case ${f#build/} in mrun | valgrind) ;; *) ln -s "$top/$f" "$vg/" ;; esac
done
cat >"$vg/mrun" <<EOW
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
	--log-file=$vg/logs/mrun.%p.log $top/build/mrun "\$@"
EOW
chmod +x "$vg/mrun"
[ $# -gt 0 ] || set -- tests/runtime/*.t tests/journal/*.t tests/hostile/*.t
BUILD=$vg prove --exec '' "$@" >"$vg/prove.log" 2>&1
echo "valgrind.sh: prove exit $? (log: $vg/prove.log; tests fail where valgrind lacks a syscall)"
runs=$(ls "$vg/logs" | wc -l)
errors=$(cat "$vg"/logs/* | grep -c 'ERROR SUMMARY: [1-9]\|^==[0-9]*== \(Invalid\|Conditional\|Use of uninit\|Syscall param\|Mismatched\)')
leaks=$(cat "$vg"/logs/* | grep -c 'definitely lost\|indirectly lost')
echo "valgrind.sh: $runs mrun runs, $errors memory errors, $leaks leak reports"
grep -ho 'unhandled amd64-linux syscall: [0-9]*' "$vg"/logs/* | sort | uniq -c | sed 's/^/valgrind.sh: /'
[ "$errors" -eq 0 ] && [ "$leaks" -eq 0 ]

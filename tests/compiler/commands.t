#!/bin/sh
# commands.t — the mplan command line: usage and exit statuses (0 ok,
# 1 errors in the input, 2 usage), per-command --help, check from stdin,
# compile writing its output atomically (nothing left behind, nothing
# written on errors), disasm and graph on a compiled example.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EX=$TOP/examples
tap_plan 0

out=$("$MPLAN" --help); st=$?
is "$st" 0 "--help exits 0"
for c in check compile disasm graph; do
	like "$out" "^  $c " "--help lists $c"
	h=$("$MPLAN" "$c" --help); st=$?
	is "$st" 0 "$c --help exits 0"
	like "$h" "^usage: mplan $c" "$c --help prints its usage"
done
out=$("$MPLAN" 2>&1); st=$?
is "$st" 2 "no command: exit 2"
out=$("$MPLAN" chek x.yaml 2>&1); st=$?
is "$st" 2 "unknown command: exit 2"
like "$out" "unknown command 'chek'" "names the unknown command"
out=$("$MPLAN" check --jsn x.yaml 2>&1); st=$?
is "$st" 2 "unknown option: exit 2"
like "$out" "unknown option '--jsn'" "names the unknown option"
like "$out" "usage: mplan check" "and shows the command's usage"
out=$("$MPLAN" check a.yaml b.yaml 2>&1); st=$?
is "$st" 2 "two plans: exit 2"
like "$out" "'b.yaml'" "names the extra argument"
out=$("$MPLAN" compile "$EX/container.yaml" 2>&1); st=$?
is "$st" 2 "compile without -o: exit 2"
out=$("$MPLAN" compile "$EX/container.yaml" -o 2>&1); st=$?
is "$st" 2 "-o without a file: exit 2"

out=$("$MPLAN" check "$EX/container.yaml" 2>&1); st=$?
is "$st" 0 "check a good plan: exit 0"
is "$out" "" "and print nothing"
out=$("$MPLAN" check - <"$EX/network.yaml" 2>&1); st=$?
is "$st" 0 "check - reads the plan from stdin"
out=$(printf 'version: 1\nmounts:\n  - {type: tmpfs, target: /t, optoins: []}\n' | "$MPLAN" check - 2>&1); st=$?
is "$st" 1 "a bad plan on stdin: exit 1"
like "$out" "^-:3:31: error\[E200\]: unknown key 'optoins'; did you mean 'options'\?" "diagnostics name '-' with line:col"
out=$("$MPLAN" check --json "$EX/broken/unknown-type.yaml" 2>/dev/null); st=$?
is "$st" 0 "warnings only: exit 0"
like "$out" '"code": "W205"' "--json carries the warning"
out=$("$MPLAN" check --json "$EX/container.yaml"); st=$?
is "$out" "[]" "--json of a clean plan is an empty array"

# libyaml reads JSON too: a plan written as JSON is checked the same way.
/usr/bin/python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' \
	"$EX/loop-image.yaml" >"$tmp/plan.json" 2>/dev/null
out=$("$MPLAN" check "$tmp/plan.json" 2>&1); st=$?
is "$st" 0 "a JSON plan checks (loop-image.yaml as JSON)"
printf '{"version": 1, "mounts": [{"type": "tmpfs", "target": "/t/"}]}' >"$tmp/bad.json"
out=$("$MPLAN" check "$tmp/bad.json" 2>&1); st=$?
like "$out" "bad.json:1:55: error\[E301\]" "JSON diagnostics have line:col"
rm -f "$tmp/plan.json" "$tmp/bad.json"

# compile: atomic output, none on errors
"$MPLAN" compile "$EX/container.yaml" -o "$tmp/c.mpb"; st=$?
is "$st" 0 "compile container.yaml"
[ -s "$tmp/c.mpb" ]; ok $? "the output exists"
is "$(stat -c %a "$tmp/c.mpb")" 644 "with mode 0644"
is "$(ls "$tmp")" "c.mpb" "no temporary file left beside it"
"$MPLAN" compile "$EX/container.yaml" -o "$tmp/c2.mpb"
cmp -s "$tmp/c.mpb" "$tmp/c2.mpb"; ok $? "the same plan compiles to the same bytes"
cp "$tmp/c.mpb" "$tmp/keep.mpb"
out=$("$MPLAN" compile "$EX/broken/options.yaml" -o "$tmp/c.mpb" 2>&1); st=$?
is "$st" 1 "compile a broken plan: exit 1"
like "$out" "error\[E207\]" "with its diagnostics"
cmp -s "$tmp/c.mpb" "$tmp/keep.mpb"; ok $? "the old output is untouched"
out=$("$MPLAN" compile "$EX/container.yaml" -o "$tmp/no/such/dir/x.mpb" 2>&1); st=$?
is "$st" 1 "an unwritable output: exit 1"
like "$out" "no/such/dir" "naming the path"

out=$("$MPLAN" disasm "$tmp/c.mpb"); st=$?
is "$st" 0 "disasm the compiled plan"
like "$out" "container.yaml:[0-9]+:[0-9]+" "instructions carry plan positions"
printf 'garbage' >"$tmp/bad.mpb"
out=$("$MPLAN" disasm "$tmp/bad.mpb" 2>&1); st=$?
is "$st" 1 "disasm refuses a bad file: exit 1"
out=$("$MPLAN" graph "$EX/readonly-root.yaml"); st=$?
is "$st" 0 "graph exits 0"
like "$out" "^digraph" "graph prints DOT"
tap_done

#!/bin/sh
# hostile.t — bad input never crashes mplan: truncated YAML, random bytes,
# a 10 MB string, 10,000-deep nesting, a billion-laughs alias bomb, an
# empty file, a NUL byte, a file over the size limit, a directory, a
# missing file.  Each exits 1 with one clear E1xx line, within a second.
# MPLAN_UNDER_TEST runs another build of mplan (asan.t: the sanitized one).
. "$(dirname "$0")/../lib.sh"

MPLAN=${MPLAN_UNDER_TEST:-$MPLAN}
LIMIT_MS=${HOSTILE_LIMIT_MS:-1000} # asan.t allows the sanitized build more
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tap_plan 0

printf 'version: 1\nmounts:\n  - {type: tmpfs, target: "/tm' >"$tmp/truncated.yaml"
{ head -c 65536 /dev/urandom; printf '\377\376'; } >"$tmp/random.yaml"
$PY -c "import sys; sys.stdout.write('version: 1\nmounts:\n  - type: tmpfs\n    target: \"/' + 'A' * (10 << 20) + '\"\n')" >"$tmp/string10m.yaml"
$PY -c "import sys; sys.stdout.write('version: 1\nmounts: ' + '[' * 10000 + ']' * 10000 + '\n')" >"$tmp/deep-seq.yaml"
$PY -c "import sys; sys.stdout.write('version: 1\nmounts: [' + '{a: ' * 10000 + '1' + '}' * 10000 + ']\n')" >"$tmp/deep-map.yaml"
{
	echo 'version: 1'
	echo 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'
	for i in 1 2 3 4 5 6 7 8 9; do
		p=$((i - 1))
		echo "l$i: &l$i [*l$p, *l$p, *l$p, *l$p, *l$p, *l$p, *l$p, *l$p, *l$p, *l$p]"
	done
	echo 'mounts: *l9'
} >"$tmp/laughs.yaml"
: >"$tmp/empty.yaml"
printf 'version: 1\nmounts: []\nroot: "/a\\0b"\n' >"$tmp/nul.yaml"
truncate -s 65M "$tmp/huge.yaml"
mkdir "$tmp/a-directory"

$PY -c "import sys; sys.stdout.write('version: 1\nmounts:\n' + '- x\n' * 5000)" >"$tmp/many-errors.yaml"

# name  file                   code  needs a line:col
cases='truncated truncated.yaml E100 yes
random random.yaml E100 yes
string10m string10m.yaml E106 yes
deep-seq deep-seq.yaml E101 yes
deep-map deep-map.yaml E101 yes
laughs laughs.yaml E102 yes
empty empty.yaml E104 no
nul nul.yaml E100 yes
huge huge.yaml E103 no
directory a-directory E105 no
missing no-such-file.yaml E105 no'

while read -r name file code pos; do
	start=$(date +%s%N)
	out=$("$MPLAN" check "$tmp/$file" 2>&1); st=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	is "$st" 1 "$name: exit status 1"
	like "$out" "error\[$code\]" "$name: reports $code"
	if [ "$pos" = yes ]; then
		like "$out" "^$tmp/$file:[0-9]+:[0-9]+: error\[$code\]" "$name: the error has a line:col"
	fi
	is "$(printf '%s\n' "$out" | wc -l)" 1 "$name: one diagnostic line"
	[ "$ms" -lt "$LIMIT_MS" ]; ok $? "$name: answered in ${ms} ms (< $LIMIT_MS)"
done <<CASES
$cases
CASES

# Thousands of mistakes: the first 1000 are listed, the rest counted.
out=$("$MPLAN" check "$tmp/many-errors.yaml" 2>&1); st=$?
is "$st" 1 "5000 bad entries: exit 1"
is "$(printf '%s\n' "$out" | grep -c 'error\[E202\]')" 1000 "the first 1000 diagnostics are shown"
like "$out" "many-errors.yaml: 4000 more diagnostics not shown$" "and the rest are counted"

# Every prefix of a real plan: never a crash (status 0 or 1), never silence on failure.
plan=$TOP/examples/container.yaml
size=$(wc -c <"$plan")
bad=
i=0
while [ "$i" -lt "$size" ]; do
	head -c "$i" "$plan" >"$tmp/prefix.yaml"
	out=$("$MPLAN" check "$tmp/prefix.yaml" 2>&1); st=$?
	if [ "$st" -gt 1 ] || { [ "$st" -eq 1 ] && ! printf '%s' "$out" | grep -q 'error\['; } ||
		printf '%s' "$out" | grep -q -e Sanitizer -e 'runtime error'; then
		bad="$bad $i:$st"
	fi
	i=$((i + 7))
done
is "$bad" "" "every 7th prefix of container.yaml: exit 0 or 1 with diagnostics, no crash"
tap_done

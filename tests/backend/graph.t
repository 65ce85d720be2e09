#!/bin/sh
# graph.t — `mplan graph` prints the dependency graph as valid Graphviz DOT
# (checked with `dot` when graphviz is installed, by structure otherwise),
# with nodes for entries and remounts and edges labelled by reason; a
# cyclic plan still prints its graph, exits 1 and reports E500 naming every
# member with its line.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# Any awk will do (Debian's is an alternatives link to mawk or gawk).
AWK=$(command -v awk || command -v mawk || command -v gawk || echo awk)

# Check DOT structure without graphviz: one digraph, every edge between
# declared nodes, balanced braces.  Prints nothing when fine.
dot_problems() {
	"$AWK" '
	NR == 1 && $0 !~ /^digraph [A-Za-z_]+ \{$/ { print "first line: " $0 }
	/^  n[0-9]+ \[label="/ { split($1, a, " "); node[a[1]] = 1; next }
	/^  n[0-9]+ -> n[0-9]+ \[label="[a-z]+"\];$/ { from[++e] = $1; to[e] = $3; next }
	/^}$/ { closed++; next }
	NR > 1 && $0 !~ /^  (rankdir=|node )/ { print "unexpected line: " $0 }
	END {
		if (closed != 1) print "braces: " closed " closing lines"
		for (i = 1; i <= e; i++) if (!(from[i] in node) || !(to[i] in node)) print "edge to an undeclared node: " from[i] " -> " to[i]
	}' "$1"
}

tap_plan 0
(cd "$TOP/tests/backend/golden" && "$MPLAN" graph layered.yaml) >"$tmp/layered.dot" 2>"$tmp/err"
ok $? "mplan graph exits 0"
if command -v dot >/dev/null 2>&1; then
	dot -Tsvg "$tmp/layered.dot" >"$tmp/layered.svg" 2>"$tmp/err"
	ok $? "dot -Tsvg accepts the graph"
else
	out=$(dot_problems "$tmp/layered.dot" 2>&1)
	is "$?:$out" "0:" "the graph is well-formed DOT (graphviz not installed: structural check)"
fi
dot=$(cat "$tmp/layered.dot")
like "$dot" 'n0 \[label="/\\noverlay /\\nline 5"\]' "entry nodes name id, type, target and line"
like "$dot" 'n1 \[label="cache\\ntmpfs /data/cache\\nline 11"\]' "an entry with an id"
like "$dot" 'remount ro /data' "a split read-only entry has a remount node"
like "$dot" 'n0 -> n2 \[label="parent"\]' "/ before /data: parent"
like "$dot" 'n2 -> n1 \[label="after"\]' "after: data"
like "$dot" 'n2 -> n1 \[label="parent"\]' "/data before /data/cache: parent"
like "$dot" 'n1 -> n3 \[label="remount"\]' "the child before the parent's remount"

cat >"$tmp/cycle.yaml" <<'PLAN'
version: 1
mounts:
  - id: a
    type: tmpfs
    target: /a
    after: [c]
  - id: b
    type: tmpfs
    target: /b
    after: [a]
  - id: c
    type: tmpfs
    target: /c
    after: [b]
  - type: tmpfs
    target: /a/x
PLAN
"$MPLAN" graph "$tmp/cycle.yaml" >"$tmp/cycle.dot" 2>"$tmp/cycle.err"
is "$?" 1 "a cyclic plan: mplan graph exits 1"
like "$(cat "$tmp/cycle.dot")" 'n2 -> n0 \[label="after"\]' "and still prints the graph"
like "$(cat "$tmp/cycle.err")" "cycle.yaml:3:5: error\[E500\]: dependency cycle: 'a' \(line 3\) -> 'b' \(line 7\) -> 'c' \(line 11\) -> 'a' \(line 3\)" \
	"E500 names every member with its line, in cycle order"
"$MPLAN" compile "$tmp/cycle.yaml" -o "$tmp/cycle.mpb" 2>"$tmp/compile.err"
is "$?" 1 "mplan compile refuses the cycle"
like "$(cat "$tmp/compile.err")" 'E500' "with E500"
[ ! -e "$tmp/cycle.mpb" ]
ok $? "and writes no bytecode"
tap_done

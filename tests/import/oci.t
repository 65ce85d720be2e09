#!/bin/sh
# oci.t — `mplan import-oci` against OCI runtime-spec configs written by
# others: `crun spec` and `runc spec` (Debian 12's crun 1.8.1 and runc
# 1.1.5), the runtime-spec's documented example, and one with volumes,
# idmaps and runtime extensions.  Each plan is compared with a golden file
# (fixtures/NAME.json.plan) and must pass `mplan check`; malformed JSON and
# wrong JSON types fail with line:col (fixtures/NAME.json.err).
# MOUNTPLAN_REGEN=1 rewrites the golden files instead of comparing.
. "$(dirname "$0")/../lib.sh"
FIX=$TOP/tests/import/fixtures
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

tap_plan 0
cd "$FIX" || exit 1

golden() { # golden GOT_FILE WANT_FILE DESC
	if [ "${MOUNTPLAN_REGEN:-}" = 1 ]; then cp "$1" "$2"; fi
	if cmp -s "$1" "$2"; then ok 0 "$3"; else
		ok 1 "$3"; diff -u "$2" "$1" | head -40 | sed 's/^/#   /'
	fi
}

for f in *.json; do
	name=${f%.json}
	if [ -f "$f.err" ]; then
		"$MPLAN" import-oci "$f" >"$tmp/out" 2>"$tmp/err"; st=$?
		is "$st" 1 "$f: import fails with exit status 1"
		is "$(wc -c <"$tmp/out" | tr -d ' ')" 0 "$f: nothing on stdout when the input has errors"
		golden "$tmp/err" "$f.err" "$f: every problem reported with FILE:LINE:COL"
		continue
	fi
	"$MPLAN" import-oci "$f" >"$tmp/$name.yaml" 2>"$tmp/err"; st=$?
	is "$st" 0 "$f: import succeeds"
	golden "$tmp/$name.yaml" "$f.plan" "$f: plan matches the golden file"
	out=$("$MPLAN" check "$tmp/$name.yaml" 2>&1); st=$?
	is "$st" 0 "$f: the imported plan passes mplan check"
	case $out in *error*) ok 1 "$f: mplan check reports no error"; diag "$out" ;; *) ok 0 "$f: mplan check reports no error" ;; esac
	# every mount of the config is an entry, named by its index
	n=$(grep -c '"destination"' "$f")
	is "$(grep -c "^  # $f mounts\[[0-9]*\]" "$tmp/$name.yaml")" "$n" "$f: one commented entry per mount ($n)"
done

plan=$(cat "$tmp/crun-spec.yaml")
like "$plan" 'readonly_root: true' "root.readonly becomes readonly_root"
like "$plan" 'masked:' "maskedPaths become masked"
like "$plan" '  - /proc/kcore' "with their paths"
like "$plan" 'readonly:' "readonlyPaths become readonly"
like "$plan" "source 'shm' only names the mount" "a virtual fs's source name is explained, not passed"
plan=$(cat "$tmp/runtime-spec-example.yaml")
like "$plan" "rootfsPropagation 'slave'" "rootfsPropagation is noted"
plan=$(cat "$tmp/oci-volumes.yaml")
like "$plan" 'root: /var/lib/containers/c1/rootfs' "an absolute root.path becomes root"
like "$plan" 'idmap: \{uid: "0:100000:65536", gid: "0:100000:65536"\}' "the idmap option borrows linux.uidMappings"
like "$plan" 'idmap: \{uid: "0:200000:1000", gid: "0:200000:1000"\}' "a mount's own uidMappings win"
like "$plan" 'lower: \[/var/lib/layers/app, /var/lib/layers/base\]' "overlay lowerdir= becomes lower"
like "$plan" 'dropped option tmpcopyup' "a runtime extension is dropped with a comment"
if grep -q 'tmpcopyup\]' "$tmp/oci-volumes.yaml" || grep -q 'options:.*tmpcopyup' "$tmp/oci-volumes.yaml"; then
	ok 1 "tmpcopyup never reaches options"
else
	ok 0 "tmpcopyup never reaches options"
fi

# A relative bind source is relative to the bundle (the config's directory).
mkdir -p "$tmp/bundle"
printf '{"mounts": [{"destination": "/data", "type": "bind", "source": "data/vol", "options": ["rbind"]}]}\n' >"$tmp/bundle/config.json"
out=$("$MPLAN" import-oci "$tmp/bundle/config.json"); st=$?
is "$st" 0 "a relative bind source imports"
like "$out" "source: $(cd "$tmp/bundle" && pwd -P)/data/vol" "and resolves inside the bundle directory"
printf '{"mounts": [{"destination": "/d", "type": "bind", "source": "../../etc"}]}\n' >"$tmp/bundle/config.json"
"$MPLAN" import-oci "$tmp/bundle/config.json" >/dev/null 2>&1; st=$?
is "$st" 0 "a relative source with .. is resolved, not refused, when it stays absolute"
printf '[1, 2]\n' >"$tmp/array.json"
out=$("$MPLAN" import-oci "$tmp/array.json" 2>&1); st=$?
is "$st" 1 "a JSON array is not a config"
like "$out" 'array.json:1:1: error: a config.json is a JSON object' "and says so at 1:1"
: >"$tmp/empty.json"
"$MPLAN" import-oci "$tmp/empty.json" >/dev/null 2>&1; is "$?" 1 "an empty file is refused"
"$MPLAN" import-oci >/dev/null 2>&1; is "$?" 2 "a missing operand is a usage error"
# examples/oci/plan.yaml is what import-oci makes of examples/oci/config.json
out=$(cd "$TOP/examples/oci" && "$MPLAN" import-oci config.json)
is "$out" "$(cat "$TOP/examples/oci/plan.yaml")" "examples/oci/plan.yaml is the import of its config.json"

tap_done

#!/bin/sh
# schema.t — schema/plan.schema.json is a valid JSON Schema, every example
# plan passes it (validated by Debian's python3-jsonschema), a plan with an
# unknown key fails it, and the keys it declares are exactly the keys
# mplan accepts (`mplan keys`).
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
SCHEMA=$TOP/schema/plan.schema.json
$PY -c 'import jsonschema, yaml' 2>/dev/null || skip_all "needs python3-jsonschema and python3-yaml"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# validate FILE...: prints "FILE: ok" or "FILE: message" per file
validate() {
	$PY - "$SCHEMA" "$@" <<'PYEOF'
import json, sys, yaml, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft7Validator(schema)
for f in sys.argv[2:]:
    errs = sorted(v.iter_errors(yaml.safe_load(open(f))), key=lambda e: list(e.path))
    print(f + ": " + ("ok" if not errs else "; ".join(e.message for e in errs)))
PYEOF
}

tap_plan 0
$PY -c 'import json, sys, jsonschema; jsonschema.Draft7Validator.check_schema(json.load(open(sys.argv[1])))' "$SCHEMA"
ok $? "plan.schema.json is a valid draft-07 JSON Schema"

n=0
for f in "$TOP"/examples/*.yaml; do
	n=$((n + 1))
	is "$(validate "$f")" "$f: ok" "$(basename "$f") validates against the schema"
done
[ "$n" -ge 5 ]; ok $? "at least five example plans ($n)"

cat >"$tmp/bad.yaml" <<'PLAN'
version: 1
mounts:
  - type: tmpfs
    target: /tmp
    optoins: [nodev]
PLAN
like "$(validate "$tmp/bad.yaml")" "optoins" "a plan with an unknown key fails the schema"

# The dotted keys the schema declares, following $ref into local definitions.
$PY - "$SCHEMA" >"$tmp/schema-keys" <<'PYEOF'
import json, sys
schema = json.load(open(sys.argv[1]))
def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        path = node["$ref"].lstrip("#/").split("/")
        node = schema
        for p in path:
            node = node[p]
    return node
def walk(obj, prefix):
    for name, sub in obj.get("properties", {}).items():
        print(prefix + name)
        sub = resolve(sub)
        if sub.get("type") == "array" and "items" in sub:
            item = resolve(sub["items"])
            if "properties" in item:
                walk(item, prefix + name + "[].")
        elif "properties" in sub:
            walk(sub, prefix + name + ".")
walk(schema, "")
PYEOF
sort "$tmp/schema-keys" >"$tmp/schema-sorted"
"$MPLAN" keys | sort >"$tmp/mplan-keys"
[ -s "$tmp/mplan-keys" ]; ok $? "mplan keys prints the key table"
is "$(diff "$tmp/schema-sorted" "$tmp/mplan-keys")" "" "the schema declares exactly the keys mplan accepts"
like "$(cat "$tmp/mplan-keys")" '^mounts\[\]\.loop\.offset$' "nested keys are dotted (mounts[].loop.offset)"

# The completions the schema offers editors are the option table's words and types.
$PY - "$SCHEMA" "$tmp" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
e = s["definitions"]["entry"]["properties"]
open(sys.argv[2] + "/schema-options", "w").write("\n".join(sorted(e["options"]["items"]["anyOf"][0]["enum"])) + "\n")
types = list(e["type"]["anyOf"][0]["enum"])
if e["type"]["anyOf"][1].get("pattern") == "^fuse\\..+":
    types.append("fuse.*")
open(sys.argv[2] + "/schema-types", "w").write("\n".join(sorted(types)) + "\n")
PYEOF
is "$("$MPLAN" keys --options | sort | diff "$tmp/schema-options" -)" "" "the schema's option words are the option table's"
is "$("$MPLAN" keys --types | sort | diff "$tmp/schema-types" -)" "" "the schema's filesystem types are the option table's"
tap_done

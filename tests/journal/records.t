#!/bin/bash
# records.t — runs recorded before journal protocol v4 (a `steps` row per
# instruction, an `outcomes` row per reached step) read back byte for byte
# as the mrun that recorded them printed them: `mrun show` and `show
# --json`, first from the old journal as it is (opened read-only, not
# migrated), then once more after a write (`mrun prune`) migrated the file
# to the newest schema.  The golden files were written by the mrun of
# schema version 3 (tests/journal/golden/); the journals are a version-3
# one made by that mrun (apply, then rollback: created mount points, a
# propagation learnt while running) and two version-1 ones of the fuzz
# corpus.  Then a v4 record whose program blob is damaged: `mrun show`
# refuses it with an error naming the journal and the run.  Nothing here
# mounts.
. "$(dirname "$0")/../lib.sh"

tap_plan 0
W=$(mktemp -d /tmp/mrun-jold.XXXXXX)
trap 'rm -rf "$W"' EXIT
G=$TOP/tests/journal/golden

for f in "$TOP/tests/journal/fixtures/v3-rolled-back.db" "$TOP/tests/fuzz/corpus/journal/rolled-back-small.db" \
	"$TOP/tests/fuzz/corpus/journal/applied-and-killed.db"; do
	name=$(basename "$f" .db)
	cp "$f" "$W/$name.db"
	old=$(sqlite3 "$W/$name.db" "PRAGMA user_version")
	for pass in "as recorded (schema $old)" "migrated"; do
		if [ "$pass" = migrated ]; then
			"$MRUN" prune --keep 1000 --journal "$W/$name.db" >/dev/null
			is "$(sqlite3 "$W/$name.db" "PRAGMA user_version")" 4 "$name: a write migrates it to schema 4"
		fi
		for run in $(sqlite3 "$W/$name.db" "SELECT id FROM runs ORDER BY id"); do
			is "$("$MRUN" show "$run" --journal "$W/$name.db" 2>&1)" "$(cat "$G/$name-$run.show")" \
				"$name: run $run, $pass: show as before"
			is "$("$MRUN" show "$run" --json --journal "$W/$name.db" 2>&1)" "$(cat "$G/$name-$run.json")" \
				"$name: run $run, $pass: show --json as before"
		done
	done
done

cp "$TOP/tests/fuzz/corpus/journal/v4-damaged-program.db" "$W/damaged.db"
for json in "" --json; do
	out=$("$MRUN" show 1 $json --journal "$W/damaged.db" 2>&1); st=$?
	is "$st" 1 "show $json of a run whose program is damaged fails"
	like "$out" "^mrun show: journal $W/damaged.db: run 1: its program is damaged: bytecode: crc32 mismatch" \
		"show $json: naming the journal, the run and what is wrong"
done
tap_done

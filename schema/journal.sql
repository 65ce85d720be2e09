-- journal.sql — the SQL schema of mountplan's run journal (SQLite).
--
-- This file is the single source of the schema: runtime/journal.c embeds it
-- byte for byte (`.incbin`) and runs its migrations.  It is split into
-- migrations by marker lines of the exact form
--
--     -- @migration N
--
-- numbered 1, 2, 3, ... without gaps.  A migration once released is never
-- edited: a change of the schema is a new migration at the end.  Each one
-- runs in one transaction together with its row in schema_version and
-- `PRAGMA user_version = N` (the header copy journal_open reads without
-- touching a table).  The database also carries `PRAGMA application_id =
-- 0x4d504a31` ("MPJ1"), so journal_open refuses a SQLite file that belongs
-- to something else.
--
-- Protocol (DESIGN.md, "The executor": intent ahead, reconcile on recovery):
-- `runs` gets its row, and the run what undo and recovery need that the
-- kernel cannot tell later (did the path exist, prior attributes and
-- propagation, the image's inode, the mount-id watermark), in ONE
-- transaction before the executor's first syscall.  A second transaction
-- at the end writes the run's state and its steps' outcomes.  A run still
-- 'running' whose executor is gone (pid + start time) is reconciled with
-- the kernel by `mrun recover`.  Up to migration 3 a run kept a `steps`
-- row per instruction and an `outcomes` row per reached step; from
-- migration 4 on (protocol v4, described there) it keeps its program once
-- and rows only for the steps with something to say.
--
-- Times are nanoseconds since the epoch (CLOCK_REALTIME); ids of mounts are
-- unique mount ids (statx STATX_MNT_ID_UNIQUE, never reused within a boot);
-- dev numbers are the kernel's st_dev encoding.

-- @migration 1
CREATE TABLE schema_version (
	version    INTEGER PRIMARY KEY,   -- migration number
	applied_ns INTEGER NOT NULL       -- when this database got it
);

CREATE TABLE runs (
	id            INTEGER PRIMARY KEY,  -- the RUN of `mrun show RUN`
	state         TEXT NOT NULL CHECK (state IN
	              ('running', 'applied', 'rolled_back', 'failed', 'recovered')),
	plan_sha256   TEXT NOT NULL,        -- hex, from the bytecode header
	plan_file     TEXT NOT NULL,        -- the plan's file name (for file:line:col)
	bytecode      TEXT,                 -- the .mpb that was applied
	root          TEXT NOT NULL,        -- root path as given
	root_dev      INTEGER NOT NULL,     -- root directory st_dev / st_ino at begin
	root_ino      INTEGER NOT NULL,
	mntns_ino     INTEGER NOT NULL,     -- inode of /proc/self/ns/mnt
	boot_id       TEXT NOT NULL,        -- /proc/sys/kernel/random/boot_id
	pid           INTEGER NOT NULL,     -- the executor
	pid_start     INTEGER NOT NULL,     -- its start time (/proc/PID/stat field 22, clock ticks)
	mnt_watermark INTEGER NOT NULL,     -- highest unique mount id in the namespace at begin
	container_id  TEXT,                 -- OCI container id, if any
	n_steps       INTEGER NOT NULL,
	started_ns    INTEGER NOT NULL,
	finished_ns   INTEGER,              -- end of apply, rollback or recover
	failed_step   INTEGER,              -- index of the step that failed
	error         TEXT                  -- why the run failed / did not undo fully
);
CREATE INDEX runs_by_root ON runs (root_dev, root_ino, id);
CREATE INDEX runs_by_state ON runs (state, id);

-- One row per instruction, written by journal_begin_run: what the step is
-- and what undo and recovery need that the kernel cannot tell later.
-- Narrow on purpose: it is written once per step before the first syscall
-- (a wide row with JSON operands measured 5.8 us per step, this ~1.5 us).
CREATE TABLE steps (
	run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,       -- instruction index in the bytecode
	opcode      INTEGER NOT NULL,       -- enum op (the opcodes.def row)
	flags       INTEGER NOT NULL,       -- MP_IF_*
	entry       INTEGER NOT NULL,       -- plan entry (4294967295: a top-level key)
	line        INTEGER NOT NULL,       -- plan file:line:col of the step
	col         INTEGER NOT NULL,
	path        TEXT,                   -- the PATH operand (a target inside the root)
	src         TEXT,                   -- the SRC operand
	operands    BLOB NOT NULL,          -- the 7 raw u32 operands, little-endian (28 bytes)
	existed_before    INTEGER NOT NULL, -- MKDIR/MKPOINT: the path was there
	would_create      INTEGER NOT NULL, -- MKDIR/MKPOINT: trailing components missing at begin
	prior_attr        INTEGER NOT NULL, -- REMOUNT: MOUNT_ATTR_* before
	prior_propagation INTEGER NOT NULL, -- PROPAGATE: MS_* before
	backing_dev       INTEGER NOT NULL, -- LOOP_ATTACH: the image's st_dev / st_ino
	backing_ino       INTEGER NOT NULL,
	PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;

-- One row per step that was reached, written by journal_finish_run (and
-- replaced by rollback and recover): its outcome.  A step without a row is
-- 'pending' (never reached).
CREATE TABLE outcomes (
	run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,
	status      TEXT NOT NULL CHECK (status IN
	            ('pending', 'done', 'skipped', 'failed', 'undone', 'undo_failed')),
	created     INTEGER NOT NULL,       -- components really created
	made_mount  INTEGER NOT NULL,       -- ROOT_BIND: 0 when the root already was a mount
	mnt_id      INTEGER NOT NULL,       -- unique mount id of the mount made (0: none)
	loop_nr     INTEGER NOT NULL,       -- N of /dev/loopN (-1: none)
	park_path   TEXT,
	err         INTEGER NOT NULL,       -- errno of the failure / undo failure
	error       TEXT,
	duration_ns INTEGER NOT NULL,
	PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;

-- Steps with their outcome, as `mrun show` reads them.
CREATE VIEW step_view AS
SELECT s.*, coalesce(o.status, 'pending') AS status, coalesce(o.created, 0) AS created,
       coalesce(o.made_mount, 0) AS made_mount, coalesce(o.mnt_id, 0) AS mnt_id,
       coalesce(o.loop_nr, -1) AS loop_nr, o.park_path AS park_path, coalesce(o.err, 0) AS err,
       o.error AS error, coalesce(o.duration_ns, 0) AS duration_ns
FROM steps AS s LEFT JOIN outcomes AS o ON o.run_id = s.run_id AND o.idx = s.idx;

-- @migration 2
-- Where the run parked its temporary mount points (PARK, idmapped overlay
-- layers): recover looks there for a crashed run's park points, whose
-- names are only known after the step.
ALTER TABLE runs ADD COLUMN park_dir TEXT;

-- @migration 3
-- outcomes.status checked with OR'ed comparisons instead of IN (...):
-- SQLite evaluates an IN list in a CHECK through an ephemeral table built
-- for every row, measured at 1.8 us of the 2.6 us an outcome row cost
-- (tests/bench/journal-bench.c).  A CHECK cannot be altered: the table is
-- rebuilt, and the view over it with it.
DROP VIEW step_view;
CREATE TABLE outcomes_v3 (
	run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,
	status      TEXT NOT NULL CHECK (status = 'pending' OR status = 'done' OR status = 'skipped' OR
	                                 status = 'failed' OR status = 'undone' OR status = 'undo_failed'),
	created     INTEGER NOT NULL,
	made_mount  INTEGER NOT NULL,
	mnt_id      INTEGER NOT NULL,
	loop_nr     INTEGER NOT NULL,
	park_path   TEXT,
	err         INTEGER NOT NULL,
	error       TEXT,
	duration_ns INTEGER NOT NULL,
	PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
INSERT INTO outcomes_v3 SELECT * FROM outcomes;
DROP TABLE outcomes;
ALTER TABLE outcomes_v3 RENAME TO outcomes;
CREATE VIEW step_view AS
SELECT s.*, coalesce(o.status, 'pending') AS status, coalesce(o.created, 0) AS created,
       coalesce(o.made_mount, 0) AS made_mount, coalesce(o.mnt_id, 0) AS mnt_id,
       coalesce(o.loop_nr, -1) AS loop_nr, o.park_path AS park_path, coalesce(o.err, 0) AS err,
       o.error AS error, coalesce(o.duration_ns, 0) AS duration_ns
FROM steps AS s LEFT JOIN outcomes AS o ON o.run_id = s.run_id AND o.idx = s.idx;

-- @migration 4
-- Protocol v4: the program once, rows only for steps with something to say.
-- Measured before (tests/bench/journal-bench.c, 1000 bind mounts = 2001
-- steps): a `steps` row per instruction at begin and an `outcomes` row per
-- reached step at the end were 3-7 ms of a 22 ms apply, and `mrun
-- rollback` read them all back and wrote every outcome again.  A run
-- recorded from this version on has no `steps` rows.  It has:
--
--   programs       one row, written by journal_begin_run in its one
--                  transaction before the first syscall, never changed:
--     bytes        the .mpb the run executes, byte for byte.  Everything
--                  `steps` held about an instruction (opcode, flags,
--                  entry, line, col, operands, path, src) is decoded from
--                  it on read, after program_load_bytes and
--                  verify_program: a damaged blob is an error naming the
--                  journal and the run.
--     intents      the intent of every step whose intent is not the
--                  default, packed (format below).  The default intent:
--                  existed_before = 1 for MKDIR and MKPOINT and 0 for every
--                  other opcode; would_create = prior_attr =
--                  prior_propagation = backing_dev = backing_ino = 0.  So
--                  a mount point that is there, a bind, a mount, END say
--                  nothing; a missing mount point (would_create > 0), a
--                  REMOUNT or PROPAGATE of a mount that had attributes or
--                  propagation do.
--   outcome_packs  one row, written by journal_finish_run and replaced by
--                  each later finish (rollback, recover): the status,
--                  mount id, duration and created components of every
--                  step, packed (format below).
--   outcomes       a full row (as before) only for a reached step whose
--                  outcome is more than the pack holds: made_mount, a loop
--                  device (loop_nr other than -1), a park path, an errno
--                  or error text, or something learnt while running (the
--                  four columns added below).  A row overrides the pack
--                  for its step.  Each finish deletes the run's rows
--                  before writing its own, so no row outlives the outcome
--                  it described.
--
-- The packs: byte 0 is the format (1), then records of unsigned LEB128
-- varints (7 bits a byte, low bits first, the high bit set on every byte
-- but the last; at most 10 bytes each):
--   intents   per step with a non-default intent: its index minus (the
--             previous such step's index + 1) -- the first: its index --,
--             existed_before, would_create, prior_attr, prior_propagation,
--             backing_dev, backing_ino.
--   outcomes  per step in index order: the status as one byte (0 pending,
--             1 done, 2 skipped, 3 failed, 4 undone, 5 undo_failed), then
--             mnt_id, duration_ns, created.  A pending step's record is
--             0, 0, 0, 0; a step beyond the last record is pending.
-- A record cut short, an unknown status or a step the program does not
-- have makes the run unreadable: an error, never a guess.
--
-- A run recorded by an older version (rows in `steps`, no `programs` row)
-- reads back as before through step_view; a finish of such a run writes a
-- full `outcomes` row for every reached step and no pack.
CREATE TABLE programs (
	run_id  INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	bytes   BLOB NOT NULL,            -- the .mpb the run executes
	intents BLOB NOT NULL             -- the steps' intents that are not the default (format above)
);

CREATE TABLE outcome_packs (
	run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
	packed BLOB NOT NULL              -- every step's status, mnt_id, duration_ns, created (format above)
);

-- What a step learnt only while running (the image inode of a LOOP_ATTACH,
-- the attributes / propagation a REMOUNT / PROPAGATE found right before
-- it): NULL, or all four set, overriding the intent.  Before this version
-- journal_finish_run wrote them into `steps`; they now go with the outcome,
-- so an intent is written once and never updated.
ALTER TABLE outcomes ADD COLUMN backing_dev INTEGER;
ALTER TABLE outcomes ADD COLUMN backing_ino INTEGER;
ALTER TABLE outcomes ADD COLUMN prior_attr INTEGER;
ALTER TABLE outcomes ADD COLUMN prior_propagation INTEGER;

-- Steps of a run recorded before this version, with their outcome (the
-- learnt columns of an outcome row win over the step's).
DROP VIEW step_view;
CREATE VIEW step_view AS
SELECT s.run_id, s.idx, s.opcode, s.flags, s.entry, s.line, s.col, s.path, s.src, s.operands,
       s.existed_before, s.would_create,
       coalesce(o.prior_attr, s.prior_attr) AS prior_attr,
       coalesce(o.prior_propagation, s.prior_propagation) AS prior_propagation,
       coalesce(o.backing_dev, s.backing_dev) AS backing_dev,
       coalesce(o.backing_ino, s.backing_ino) AS backing_ino,
       coalesce(o.status, 'pending') AS status, coalesce(o.created, 0) AS created,
       coalesce(o.made_mount, 0) AS made_mount, coalesce(o.mnt_id, 0) AS mnt_id,
       coalesce(o.loop_nr, -1) AS loop_nr, o.park_path AS park_path, coalesce(o.err, 0) AS err,
       o.error AS error, coalesce(o.duration_ns, 0) AS duration_ns
FROM steps AS s LEFT JOIN outcomes AS o ON o.run_id = s.run_id AND o.idx = s.idx;

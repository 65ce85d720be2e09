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
-- `runs` gets its row and `steps` all of the run's rows in ONE transaction
-- before the executor's first syscall, holding what undo and recovery need
-- that the kernel cannot tell later (did the path exist, prior attributes
-- and propagation, the image's inode, the mount-id watermark).  A second
-- transaction at the end writes the run's state and every reached step's
-- outcome.  A run still 'running' whose executor is gone (pid + start time)
-- is reconciled with the kernel by `mrun recover`.
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

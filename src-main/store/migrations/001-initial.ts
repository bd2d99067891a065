/**
 * Schema 1: every table of DESIGN §7.
 *
 * Conventions: snake_case columns; times are ISO-8601 UTC strings (`...Z`), which sort as text;
 * sha256 values are 64 lowercase hex digits. REAL columns that may be NaN (losses, timings) are
 * nullable because SQLite stores NaN as NULL; the repositories read NULL back as NaN.
 * Stage indices (`idx`, `stage`, `after_stage`) are 0-based; optimizer steps are 1-based.
 * `after_stage` -1 is the base model, evaluated before the first stage.
 */

export const up = `
CREATE TABLE models (
  id           INTEGER PRIMARY KEY,
  path         TEXT    NOT NULL UNIQUE,
  name         TEXT    NOT NULL,
  architecture TEXT    NOT NULL,
  params       INTEGER NOT NULL CHECK (params >= 0),
  created_at   TEXT    NOT NULL
);

CREATE TABLE datasets (
  id          INTEGER PRIMARY KEY,
  sha256      TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  name        TEXT    NOT NULL,
  format      TEXT    NOT NULL,
  rows        INTEGER NOT NULL CHECK (rows >= 0),
  path        TEXT    NOT NULL, -- the stored copy, datasets/<sha256>
  source_path TEXT    NOT NULL, -- where the user imported it from
  bytes       INTEGER NOT NULL CHECK (bytes >= 0),
  created_at  TEXT    NOT NULL
);

CREATE TABLE runs (
  id          TEXT    PRIMARY KEY NOT NULL CHECK (length(id) > 0),
  name        TEXT    NOT NULL,
  status      TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'paused', 'failed', 'done')),
  plan_json   TEXT    NOT NULL,
  model_path  TEXT    NOT NULL,
  strategy    TEXT    NOT NULL,
  ratio       REAL    NOT NULL,
  seed        INTEGER NOT NULL,
  backend     TEXT,
  error       TEXT,
  op          REAL, -- average accuracy over tasks after the last stage; NULL until known
  bwt         REAL, -- backward transfer; NULL until known
  total_steps INTEGER NOT NULL CHECK (total_steps >= 0),
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL,
  finished_at TEXT
);
CREATE INDEX runs_by_created ON runs (created_at);

CREATE TABLE stages (
  run_id         TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx            INTEGER NOT NULL CHECK (idx >= 0),
  task_name      TEXT    NOT NULL,
  dataset_sha256 TEXT    NOT NULL CHECK (length(dataset_sha256) = 64 AND dataset_sha256 NOT GLOB '*[^0-9a-f]*'),
  steps          INTEGER NOT NULL CHECK (steps >= 0),
  mask_json      TEXT, -- the \`hft mask\` object, set when the stage starts
  status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done')),
  started_at     TEXT,
  finished_at    TEXT,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;

CREATE TABLE metrics (
  run_id       TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step         INTEGER NOT NULL CHECK (step >= 1), -- global optimizer step
  stage        INTEGER NOT NULL CHECK (stage >= 0),
  loss         REAL, -- NULL = NaN
  lr           REAL, -- NULL = NaN
  grad_norm    REAL, -- NULL = NaN
  tokens       INTEGER NOT NULL CHECK (tokens >= 0),
  ms           REAL, -- NULL = NaN
  tokens_per_s REAL, -- NULL = NaN
  memory_bytes INTEGER, -- NULL = not measured
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;

CREATE TABLE evals (
  run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  after_stage INTEGER NOT NULL CHECK (after_stage >= -1), -- -1 = the base model, before stage 0
  task        INTEGER NOT NULL CHECK (task >= -1), -- task index; -1 = the prior-knowledge probe
  loss        REAL, -- NULL = NaN
  accuracy    REAL, -- exact match in [0, 1]; NULL = not measured
  examples    INTEGER NOT NULL CHECK (examples >= 0),
  PRIMARY KEY (run_id, after_stage, task)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
  run_id          TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  stage           INTEGER NOT NULL CHECK (stage >= 0),
  step            INTEGER NOT NULL CHECK (step >= 0),
  path            TEXT    NOT NULL,
  manifest_sha256 TEXT    NOT NULL CHECK (length(manifest_sha256) = 64 AND manifest_sha256 NOT GLOB '*[^0-9a-f]*'),
  stage_end       INTEGER NOT NULL CHECK (stage_end IN (0, 1)),
  created_at      TEXT    NOT NULL,
  PRIMARY KEY (run_id, step, stage_end)
) WITHOUT ROWID;

CREATE TABLE exports (
  id         INTEGER PRIMARY KEY,
  run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  path       TEXT    NOT NULL,
  format     TEXT    NOT NULL,
  merge      TEXT    NOT NULL,
  created_at TEXT    NOT NULL
);
CREATE INDEX exports_by_run ON exports (run_id);
`;

/**
 * Schema 2: what export needs.
 * - `exports` gains the stage the weights came from, the bytes written and the GGUF type.
 * - `merge_evals`: the forgetting matrix of a candidate merge (average, half-reset) of a run, one
 *   row per (merge, after stage k, task i), laid out like `evals`, so the user can compare what
 *   each merge keeps before choosing one to export. `merge` is the label engine/merge.ts writes
 *   (`average(alpha=0.5)`, `half-reset(seed=0)`).
 */

export const up = `
ALTER TABLE exports ADD COLUMN stage INTEGER NOT NULL DEFAULT 0 CHECK (stage >= 0);
ALTER TABLE exports ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0);
ALTER TABLE exports ADD COLUMN gguf_type TEXT;

CREATE TABLE merge_evals (
  run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  merge       TEXT    NOT NULL CHECK (length(merge) > 0),
  after_stage INTEGER NOT NULL CHECK (after_stage >= 0),
  task        INTEGER NOT NULL CHECK (task >= -1), -- -1 = the prior-knowledge probe
  loss        REAL, -- NULL = NaN
  accuracy    REAL, -- exact match in [0, 1]; NULL = not measured
  examples    INTEGER NOT NULL CHECK (examples >= 0),
  PRIMARY KEY (run_id, merge, after_stage, task)
) WITHOUT ROWID;
`;

/**
 * The `metrics` table: one row per optimizer step of a run (global step, 1-based).
 *
 * Writes are idempotent upserts: a resumed run re-sends the steps after its checkpoint, with the
 * same values, and that must neither fail nor duplicate. NaN values (a diverged loss) are kept:
 * stored as NULL, read back as NaN.
 */
import { nanFromNull, type RepoContext } from './repo-context.js';

export interface MetricRow {
  step: number;
  /** 0-based stage index. */
  stage: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Tokens in this step's batch. */
  tokens: number;
  /** Wall time of the step. */
  ms: number;
  tokensPerS: number;
  /** Backend memory in use after the step; null where the backend cannot say. */
  memoryBytes: number | null;
}

/** A row to write; `memoryBytes` may be left out. */
export type MetricInput = Omit<MetricRow, 'memoryBytes'> & { memoryBytes?: number | null };

interface StoredMetric extends Omit<MetricRow, 'loss' | 'lr' | 'gradNorm' | 'ms' | 'tokensPerS'> {
  loss: number | null;
  lr: number | null;
  gradNorm: number | null;
  ms: number | null;
  tokensPerS: number | null;
}

const COLUMNS = `step, stage, loss, lr, grad_norm AS gradNorm, tokens, ms, tokens_per_s AS tokensPerS,
  memory_bytes AS memoryBytes`;

export class MetricsRepo {
  private readonly upsertStmt;
  private readonly listStmt;
  private readonly countStmt;
  private readonly lastStepStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    this.upsertStmt = db.prepare(
      `INSERT INTO metrics (run_id, step, stage, loss, lr, grad_norm, tokens, ms, tokens_per_s, memory_bytes)
       VALUES (@runId, @step, @stage, @loss, @lr, @gradNorm, @tokens, @ms, @tokensPerS, @memoryBytes)
       ON CONFLICT (run_id, step) DO UPDATE SET stage = excluded.stage, loss = excluded.loss, lr = excluded.lr,
         grad_norm = excluded.grad_norm, tokens = excluded.tokens, ms = excluded.ms,
         tokens_per_s = excluded.tokens_per_s, memory_bytes = excluded.memory_bytes`,
    );
    this.listStmt = db.prepare<StoredMetric>(
      `SELECT ${COLUMNS} FROM metrics WHERE run_id = ? AND step > ? ORDER BY step`,
    );
    this.countStmt = db.prepare<number>('SELECT count(*) FROM metrics WHERE run_id = ?').pluck();
    this.lastStepStmt = db.prepare<number>('SELECT coalesce(max(step), 0) FROM metrics WHERE run_id = ?').pluck();
  }

  /** Writes `rows` in one transaction, replacing any rows with the same step. */
  upsertMany(runId: string, rows: readonly MetricInput[]): void {
    this.ctx.db.transaction(() => {
      for (const r of rows) {
        this.upsertStmt.run({
          runId,
          step: r.step,
          stage: r.stage,
          loss: r.loss,
          lr: r.lr,
          gradNorm: r.gradNorm,
          tokens: r.tokens,
          ms: r.ms,
          tokensPerS: r.tokensPerS,
          memoryBytes: r.memoryBytes ?? null,
        });
      }
    })();
  }

  /** The run's rows in step order; with `afterStep`, only steps > afterStep (for live tailing). */
  list(runId: string, options: { afterStep?: number } = {}): MetricRow[] {
    return this.listStmt.all(runId, options.afterStep ?? 0).map((r) => ({
      ...r,
      loss: nanFromNull(r.loss),
      lr: nanFromNull(r.lr),
      gradNorm: nanFromNull(r.gradNorm),
      ms: nanFromNull(r.ms),
      tokensPerS: nanFromNull(r.tokensPerS),
    }));
  }

  count(runId: string): number {
    return this.countStmt.get(runId) ?? 0;
  }

  /** The highest recorded step, or 0 when the run has none (steps are 1-based). */
  lastStep(runId: string): number {
    return this.lastStepStmt.get(runId) ?? 0;
  }
}

/**
 * The `runs` table: one row per training run, its lifecycle status and its headline results.
 * Run ids are chosen by the caller (the runs service), so a run's folder can be named first.
 */
import { StoreError } from './errors.js';
import type { RepoContext } from './repo-context.js';

export const RUN_STATUSES = ['queued', 'running', 'paused', 'failed', 'done'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface NewRun {
  id: string;
  name: string;
  /** The run plan, already serialized; the store does not look inside. */
  planJson: string;
  modelPath: string;
  strategy: string;
  ratio: number;
  seed: number;
  totalSteps: number;
}

export interface RunRecord extends NewRun {
  status: RunStatus;
  backend: string | null;
  /** Why the run failed; null unless status is 'failed' (or a caller recorded one). */
  error: string | null;
  op: number | null;
  bwt: number | null;
  createdAt: string;
  updatedAt: string;
  /** Set when the run reaches 'done' or 'failed'; cleared if it runs again. */
  finishedAt: string | null;
}

export interface RunResult {
  op: number | null;
  bwt: number | null;
}

const COLUMNS = `id, name, status, plan_json AS planJson, model_path AS modelPath, strategy, ratio, seed,
  backend, error, op, bwt, total_steps AS totalSteps, created_at AS createdAt, updated_at AS updatedAt,
  finished_at AS finishedAt`;

export class RunsRepo {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly statusStmt;
  private readonly backendStmt;
  private readonly resultStmt;
  private readonly removeStmt;

  constructor(private readonly ctx: RepoContext) {
    const { db } = ctx;
    this.insertStmt = db.prepare(
      `INSERT INTO runs (id, name, status, plan_json, model_path, strategy, ratio, seed, total_steps, created_at, updated_at)
       VALUES (@id, @name, 'queued', @planJson, @modelPath, @strategy, @ratio, @seed, @totalSteps, @now, @now)`,
    );
    this.getStmt = db.prepare<RunRecord>(`SELECT ${COLUMNS} FROM runs WHERE id = ?`);
    // rowid breaks ties between runs created in the same millisecond: later insert first.
    this.listStmt = db.prepare<RunRecord>(`SELECT ${COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC`);
    this.statusStmt = db.prepare(
      `UPDATE runs SET status = @status, error = @error, updated_at = @now,
         finished_at = CASE WHEN @status IN ('done', 'failed') THEN @now ELSE NULL END
       WHERE id = @id`,
    );
    this.backendStmt = db.prepare('UPDATE runs SET backend = @backend, updated_at = @now WHERE id = @id');
    this.resultStmt = db.prepare('UPDATE runs SET op = @op, bwt = @bwt, updated_at = @now WHERE id = @id');
    this.removeStmt = db.prepare('DELETE FROM runs WHERE id = ?');
  }

  /** Inserts a run in status 'queued' and returns it as stored. */
  create(run: NewRun): RunRecord {
    this.insertStmt.run({
      id: run.id,
      name: run.name,
      planJson: run.planJson,
      modelPath: run.modelPath,
      strategy: run.strategy,
      ratio: run.ratio,
      seed: run.seed,
      totalSteps: run.totalSteps,
      now: this.ctx.now(),
    });
    const created = this.get(run.id);
    if (created === null) throw this.notFound(run.id);
    return created;
  }

  get(id: string): RunRecord | null {
    return this.getStmt.get(id) ?? null;
  }

  /** All runs, newest first. */
  list(): RunRecord[] {
    return this.listStmt.all();
  }

  /**
   * Moves a run to `status` and records `error` (null clears an old one, so a resumed run does
   * not keep its previous failure). 'done' and 'failed' stamp finished_at; others clear it.
   */
  setStatus(id: string, status: RunStatus, error: string | null = null): void {
    this.expectOne(id, this.statusStmt.run({ id, status, error, now: this.ctx.now() }).changes);
  }

  /** Records which tfjs backend the trainer picked. */
  setBackend(id: string, backend: string): void {
    this.expectOne(id, this.backendStmt.run({ id, backend, now: this.ctx.now() }).changes);
  }

  /** Records the run's overall performance (OP) and backward transfer (BWT). */
  setResult(id: string, result: RunResult): void {
    this.expectOne(id, this.resultStmt.run({ id, op: result.op, bwt: result.bwt, now: this.ctx.now() }).changes);
  }

  /** Deletes the run and, by cascade, its stages, metrics, evals, checkpoints and exports. */
  remove(id: string): boolean {
    return this.removeStmt.run(id).changes > 0;
  }

  private expectOne(id: string, changes: number): void {
    if (changes === 0) throw this.notFound(id);
  }

  private notFound(id: string): StoreError {
    return new StoreError('NOT_FOUND', this.ctx.file, `${this.ctx.file}: there is no run ${JSON.stringify(id)}`);
  }
}

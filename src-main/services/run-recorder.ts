/**
 * Records what a trainer reports into SQLite: the main side's half of the protocol (DESIGN §2:
 * only main writes the database).
 *
 * Step metrics are buffered and written in one transaction at most every second (a commit with
 * synchronous=FULL costs milliseconds), and always before anything else is recorded and when the
 * trainer ends, so a metric is acknowledged (in the database) before any checkpoint after it.
 * Checkpoints are pruned here: at a stage end every earlier mid-stage checkpoint of the run goes;
 * mid-stage, the newest two are kept (one may turn out damaged on disk).
 */
import { rmSync } from 'node:fs';
import type { MetricInput, Store } from '../store/index.js';
import type { FromTrainer } from '../trainer/protocol.js';
import { forgettingMatrix } from './forgetting.js';

const FLUSH_MS = 1000;
const KEEP_MID_STAGE = 2;

export class RunRecorder {
  private pending: MetricInput[] = [];
  private lastFlush = Date.now();
  /** How the trainer's run ended, as far as its messages say. */
  outcome: 'running' | 'done' | 'stopped' = 'running';

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    private readonly tasks: number,
  ) {}

  record(m: FromTrainer): void {
    if (m.type === 'step') {
      this.pending.push({ step: m.step, stage: m.stage, loss: m.loss, lr: m.lr, gradNorm: m.gradNorm, tokens: m.tokens, ms: m.ms, tokensPerS: (1000 * m.tokens) / m.ms, memoryBytes: m.memoryBytes });
      if (Date.now() - this.lastFlush >= FLUSH_MS) this.flush();
      return;
    }
    this.flush();
    const { store, runId } = this;
    switch (m.type) {
      case 'ready':
        store.runs.setBackend(runId, `${m.backend} (${m.device})`);
        store.runs.setStatus(runId, 'running');
        break;
      case 'stage-start':
        store.stages.start(runId, m.stage, JSON.stringify(m.mask));
        break;
      case 'checkpoint':
        store.checkpoints.add(runId, { stage: m.stage, step: m.step, path: m.path, manifestSha256: m.manifestSha256, stageEnd: m.stageEnd });
        if (m.stageEnd) store.stages.finish(runId, m.stage);
        this.prune(m.stageEnd ? 0 : KEEP_MID_STAGE);
        break;
      case 'eval':
        store.evals.upsert(runId, { afterStage: m.afterStage, task: m.task, loss: m.loss, accuracy: m.accuracy, examples: m.examples });
        break;
      case 'paused':
        store.runs.setStatus(runId, 'paused');
        break;
      case 'resumed':
        store.runs.setStatus(runId, 'running');
        break;
      case 'stopped':
        this.outcome = 'stopped';
        store.runs.setStatus(runId, 'paused');
        break;
      case 'done': {
        this.outcome = 'done';
        const f = forgettingMatrix(store.evals.list(runId), this.tasks);
        store.transaction(() => {
          store.runs.setResult(runId, { op: f.op, bwt: f.bwt });
          store.runs.setStatus(runId, 'done');
        });
        break;
      }
      default:
        break;
    }
  }

  /** Writes the buffered step metrics. */
  flush(): void {
    if (this.pending.length > 0) this.store.metrics.upsertMany(this.runId, this.pending);
    this.pending = [];
    this.lastFlush = Date.now();
  }

  /** The trainer ended without `done` or `stopped`: the run failed, resumably. */
  fail(reason: string): void {
    this.flush();
    this.store.runs.setStatus(this.runId, 'failed', reason);
  }

  private prune(keep: number): void {
    const mid = this.store.checkpoints.list(this.runId).filter((c) => !c.stageEnd).sort((a, b) => b.step - a.step);
    for (const c of mid.slice(keep)) {
      this.store.checkpoints.remove(this.runId, c.path); // the record goes first: a recorded checkpoint always exists
      rmSync(c.path, { recursive: true, force: true });
    }
  }
}

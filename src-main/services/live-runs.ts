/**
 * The runs this app process is supervising, for the app's screens: start one from a plan, pause,
 * resume, stop, and every trainer message turned into a contract `RunEvent` for the renderer.
 * The CLI drives runs.ts directly; the Electron shell and `hft serve` go through here.
 */
import { join } from 'node:path';
import type { RunEvent } from '../contract/index.js';
import type { Store } from '../store/index.js';
import type { FromTrainer } from '../trainer/protocol.js';
import { planFromText, prepareRun } from './run-prepare.js';
import { launchRun, RunError, type RunHandle } from './runs.js';
import { startWorker, type WorkerLauncher } from './trainer-host.js';

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** A trainer message as the renderer sees it; null for those it does not need. */
export function toRunEvent(runId: string, m: FromTrainer): RunEvent | null {
  switch (m.type) {
    case 'ready':
      return { runId, kind: 'ready', backend: m.backend, device: m.device };
    case 'stage-start':
      return { runId, kind: 'stage-start', stage: m.stage, taskName: m.taskName, steps: m.steps };
    case 'step':
      return { runId, kind: 'step', stage: m.stage, step: m.step, loss: finite(m.loss), lr: finite(m.lr), tokensPerS: m.ms > 0 ? finite((1000 * m.tokens) / m.ms) : null, memoryBytes: m.memoryBytes };
    case 'eval':
      return { runId, kind: 'eval', afterStage: m.afterStage, task: m.task, name: m.name, accuracy: m.accuracy, loss: finite(m.loss) };
    case 'checkpoint':
      return { runId, kind: 'checkpoint', stage: m.stage, step: m.step };
    case 'paused':
    case 'resumed':
    case 'stopped':
      return { runId, kind: m.type, step: m.step };
    case 'warning':
      return { runId, kind: 'warning', message: m.message };
    default:
      return null;
  }
}

export class LiveRuns {
  private readonly live = new Map<string, RunHandle>();

  constructor(
    private readonly store: Store,
    private readonly home: string,
    private readonly emit: (e: RunEvent) => void,
    /** How trainers start: fork by default; the Electron shell passes utilityProcess. */
    private readonly launcher: WorkerLauncher = startWorker,
  ) {}

  /** Validates the plan and its datasets (nothing is recorded if they fail), records and starts the run. */
  start(planJson: string, baseDir: string): string {
    const plan = planFromText(planJson, join(baseDir, 'plan.json'));
    const { runId } = prepareRun(this.store, this.home, plan);
    this.launch(runId);
    return runId;
  }

  pause(runId: string): void {
    this.handle(runId).pause();
  }

  stop(runId: string): void {
    this.handle(runId).stop();
  }

  /** Lets a paused live run go on; else continues the run from its newest checkpoint. */
  resume(runId: string): void {
    const h = this.live.get(runId);
    if (h != null) h.resume();
    else this.launch(runId);
  }

  /** At shutdown: stops every live run at a checkpoint (each stays resumable) and waits for them. */
  async stopAll(): Promise<void> {
    const handles = [...this.live.values()];
    for (const h of handles) h.stop();
    await Promise.all(handles.map((h) => h.finished));
  }

  private handle(runId: string): RunHandle {
    const h = this.live.get(runId);
    if (h == null) throw new RunError(`run ${runId} is not running here`);
    return h;
  }

  private launch(runId: string): void {
    const h = launchRun(
      this.store,
      runId,
      (m) => {
        const e = toRunEvent(runId, m);
        if (e != null) this.emit(e);
      },
      this.launcher,
    );
    this.live.set(runId, h);
    void h.finished.then((record) => {
      this.live.delete(runId);
      this.emit({ runId, kind: 'finished', status: record.status, error: record.error });
    });
  }
}

/**
 * Follows running trainers from the terminal: one progress line on stderr (steps, ETA, tokens/s,
 * the current stage, loss), warnings as they come, and Ctrl-C handling: the first Ctrl-C asks
 * every trainer to stop at a clean checkpoint (the runs stay resumable), a second one kills them.
 */
import type { RunRecord } from '../store/index.js';
import type { RunHandle } from '../services/runs.js';
import type { FromTrainer } from '../trainer/protocol.js';
import { progressBar, type Progress } from './progress.js';

interface Tracked {
  label: string;
  handle: RunHandle;
  totalSteps: number;
  stages: number;
  step: number;
  stage: string;
  loss: number | null;
  tokens: number;
  ms: number;
}

export interface Watched {
  label: string;
  handle: RunHandle;
  totalSteps: number;
  stages: number;
}

/** Builds the message listener for each run before it starts, then `follow` waits for them all. */
export class RunWatcher {
  private readonly runs = new Map<string, Tracked>();
  private bar: Progress | null = null;

  constructor(private readonly stderr: NodeJS.WriteStream = process.stderr) {}

  /** The onMessage callback to hand to launchRun for the run labelled `label`. */
  listener(label: string): (m: FromTrainer) => void {
    return (m) => this.onMessage(label, m);
  }

  async follow(watched: Watched[]): Promise<RunRecord[]> {
    for (const w of watched) this.runs.set(w.label, { ...w, step: 0, stage: '', loss: null, tokens: 0, ms: 0 });
    const total = watched.reduce((n, w) => n + w.totalSteps, 0);
    this.bar = progressBar(watched.length === 1 ? 'run' : 'demo', total, this.stderr);
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts === 1) {
        this.stderr.write('\nstopping at a clean checkpoint (Ctrl-C again to stop at once)...\n');
        for (const w of watched) w.handle.stop();
      } else {
        for (const w of watched) w.handle.kill();
      }
    };
    process.on('SIGINT', onSigint);
    try {
      const records = await Promise.all(watched.map((w) => w.handle.finished));
      const done = records.every((r) => r.status === 'done');
      this.bar.finish(done ? '' : records.map((r) => `${r.id}: ${r.status}`).join(', '));
      return records;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }

  private onMessage(label: string, m: FromTrainer): void {
    const t = this.runs.get(label);
    if (t == null) return;
    switch (m.type) {
      case 'ready':
        t.step = m.startStep;
        if (m.resumedFrom != null) this.note(`${label}: continuing after step ${m.startStep}`);
        this.note(`${label}: backend ${m.backend} (${m.device})`);
        break;
      case 'warning':
        this.note(`${label}: warning: ${m.message}`);
        break;
      case 'stage-start':
        t.stage = `stage ${m.stage + 1}/${t.stages} ${m.taskName}`;
        break;
      case 'step':
        t.step = m.step;
        t.loss = m.loss;
        t.tokens += m.tokens;
        t.ms += m.ms;
        this.render();
        break;
      case 'evaluating':
        t.stage = m.afterStage < 0 ? 'evaluating the base model' : `evaluating after stage ${m.afterStage + 1}`;
        this.render();
        break;
      case 'error':
        this.note(`${label}: ${m.message}`);
        break;
      default:
        break;
    }
  }

  private render(): void {
    if (this.bar == null) return;
    let done = 0;
    const parts: string[] = [];
    for (const t of this.runs.values()) {
      done += t.step;
      const tps = t.ms > 0 ? Math.round((1000 * t.tokens) / t.ms) : 0;
      const loss = t.loss == null ? '' : ` loss ${t.loss.toFixed(3)}`;
      parts.push(`${this.runs.size > 1 ? `${t.label} ` : ''}${t.stage}${loss} ${tps} tok/s`);
    }
    this.bar.update(done, parts.join(' | '));
  }

  private note(line: string): void {
    this.stderr.write(`${line}\n`);
  }
}

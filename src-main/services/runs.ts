/**
 * The runs service: start a prepared run, or continue one, in a trainer process, recording what
 * it reports; list the history. The CLI uses it now, the desktop app and `hft serve` later.
 *
 * A run ends in one of three states: done; paused (stopped on request at a checkpoint); failed
 * (the trainer crashed, ran out of memory, was killed: the reason is kept). Paused and failed runs
 * continue with `resume`, from the newest intact checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord, Store } from '../store/index.js';
import { removePartialCheckpoints } from '../trainer/checkpoints.js';
import type { CheckpointRef, FromTrainer } from '../trainer/protocol.js';
import { forgettingMatrix, type Forgetting } from './forgetting.js';
import type { StoredPlan } from './run-prepare.js';
import { RunRecorder } from './run-recorder.js';
import { startWorker, type WorkerLauncher } from './trainer-host.js';

export interface RunHandle {
  readonly runId: string;
  readonly pid: number;
  pause(): void;
  resume(): void;
  /** Checkpoint and end; the run stays resumable. */
  stop(): void;
  /** SIGKILL the trainer (what a crash looks like). */
  kill(): void;
  /** The run's record once the trainer has ended. */
  readonly finished: Promise<RunRecord>;
}

export class RunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunError';
  }
}

export function storedPlan(run: RunRecord): StoredPlan {
  return JSON.parse(run.planJson) as StoredPlan;
}

/** Hints for requireRun: where the CLI user finds the right id; what the app's user is told. */
export const LISTED = '`hft runs` lists them';
export const GONE = 'it may have been deleted';

/** The run's record; a RunError naming the id (and `hint`, where to find the right one) when there is none. */
export function requireRun(store: Store, runId: string, hint?: string): RunRecord {
  const run = store.runs.get(runId);
  if (run == null) throw new RunError(`no run with id ${runId}${hint === undefined ? '' : `; ${hint}`}`);
  return run;
}

/** Starts (status queued) or continues (paused, failed, or running with no live trainer) a run. */
export function launchRun(store: Store, runId: string, onMessage: (m: FromTrainer) => void = () => {}, launch: WorkerLauncher = startWorker): RunHandle {
  const run = requireRun(store, runId, LISTED);
  if (run.status === 'done') throw new RunError(`run ${runId} is already done`);
  const { job } = storedPlan(run);
  const release = takeLock(job.runDir, runId);
  // Newest first; at the same step the stage-end checkpoint (its stage's training is complete).
  const resumeFrom: CheckpointRef[] = store.checkpoints
    .list(runId)
    .sort((a, b) => b.step - a.step || Number(b.stageEnd) - Number(a.stageEnd))
    .map((c) => ({ path: c.path, manifestSha256: c.manifestSha256 }));
  removePartialCheckpoints(job.runDir); // a trainer killed mid-write leaves its temp folder
  const recorder = new RunRecorder(store, runId, job.tasks.length);
  store.runs.setStatus(runId, 'running');
  const trainer = launch({ type: 'start', job, resumeFrom }, (m) => {
    recorder.record(m);
    onMessage(m);
  });
  const finished = trainer.exit.finally(release).then((exit) => {
    if (recorder.outcome === 'running') {
      const reason = exit.reason ?? 'the trainer ended without finishing the run';
      recorder.fail(exit.kind === 'out-of-memory' && !/smaller batch/.test(reason) ? `${reason}: out of memory; try a smaller training.batchSize or training.maxLength` : reason);
    }
    else recorder.flush();
    return store.runs.get(runId) as RunRecord;
  });
  return {
    runId,
    pid: trainer.pid,
    pause: () => trainer.send({ type: 'pause' }),
    resume: () => trainer.send({ type: 'resume' }),
    stop: () => trainer.send({ type: 'stop' }),
    kill: () => trainer.kill(),
    finished,
  };
}

/**
 * One live trainer per run: a lock file in the run's folder names the process that supervises it.
 * A lock left by a process that no longer exists (killed, crashed) is taken over.
 */
function takeLock(dir: string, runId: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'supervisor.lock');
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid !== process.pid && isAlive(pid)) throw new RunError(`run ${runId} is already running (process ${pid}); stop it there first`);
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes a run: its records (stages, metrics, evaluations, checkpoints, merge evaluations and
 * export records, by cascade) and its folder of checkpoints. Exported model folders are the
 * user's and stay. A run a live process is training is refused.
 */
export function deleteRun(store: Store, runId: string): boolean {
  const run = store.runs.get(runId);
  if (run == null) return false;
  const { job } = storedPlan(run);
  const lock = join(job.runDir, 'supervisor.lock');
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (isAlive(pid)) throw new RunError(`run ${runId} is running (process ${pid}); stop it before deleting it`);
  }
  const removed = store.runs.remove(runId);
  rmSync(job.runDir, { recursive: true, force: true });
  return removed;
}

/** R, OP and BWT of a run from its recorded evaluations. */
export function runForgetting(store: Store, runId: string): Forgetting {
  const run = requireRun(store, runId);
  return forgettingMatrix(store.evals.list(runId), storedPlan(run).job.tasks.length);
}

/**
 * Starts and supervises one trainer process (DESIGN §2): `child_process.fork` in plain Node (CLI,
 * tests); the Electron shell will provide the same interface over `utilityProcess`.
 *
 * Whatever happens in the trainer (an exception, running out of memory, a SIGKILL, a GPU fault
 * that aborts the process), it ends here as a resolved `exit` promise with the reason in words;
 * it never throws into the caller, so the app keeps working.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isFinalMessage, type FirstMessage, type FromTrainer, type ToTrainer } from '../trainer/protocol.js';

export interface TrainerExit {
  /** True when the trainer reported `done` and exited cleanly. */
  ok: boolean;
  /** Why it ended, in plain words, when not ok. */
  reason: string | null;
  /** The trainer's own error report, when it sent one. */
  kind: Extract<FromTrainer, { type: 'error' }>['kind'] | null;
}

export interface TrainerHandle {
  readonly pid: number;
  send(m: Exclude<ToTrainer, FirstMessage>): void;
  /** Ends the process at once (SIGKILL). */
  kill(): void;
  readonly exit: Promise<TrainerExit>;
}

/** The trainer's entry: main.ts beside this tree when running from source (through tsx), main.js when built. */
function entry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  const file = join(dirname(here), '..', 'trainer', `main${ext}`);
  if (ext !== '.ts') return { file, execArgv: [] };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file, execArgv: ['--import', tsx] };
}

/** Starts a trainer process: child_process.fork here; the Electron shell passes a utilityProcess one. */
export type WorkerLauncher = (first: FirstMessage, onMessage: (m: FromTrainer) => void) => TrainerHandle;

/** A trainer process given its first message: a run to train, merges to evaluate, a backend probe or a playground model. */
export function startWorker(first: FirstMessage, onMessage: (m: FromTrainer) => void): TrainerHandle {
  const { file, execArgv } = entry();
  const env = { ...process.env };
  // A test runner's markers would make the child print test-mode warnings into our stderr.
  delete env.VITEST;
  delete env.NODE_ENV;
  const child = fork(file, [], { execArgv, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4000); // the tail, for the failure reason
  });
  let reported: Extract<FromTrainer, { type: 'error' }> | null = null;
  let finished = false;
  child.on('message', (m: FromTrainer) => {
    if (m.type === 'error') reported = m;
    if (isFinalMessage(m)) finished = true;
    onMessage(m);
  });
  const exit = new Promise<TrainerExit>((resolve) => {
    child.on('error', (e) => resolve({ ok: false, reason: `the trainer process could not start: ${e.message}`, kind: 'internal' }));
    child.on('exit', (code, signal) => {
      if (reported != null) return resolve({ ok: false, reason: reported.message, kind: reported.kind });
      if (code === 0 && finished) return resolve({ ok: true, reason: null, kind: null });
      resolve({ ok: false, reason: describeExit(code, signal, stderr), kind: looksOutOfMemory(stderr) ? 'out-of-memory' : 'internal' });
    });
  });
  child.send(first);
  return {
    pid: child.pid ?? -1,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    kill: () => {
      child.kill('SIGKILL');
    },
    exit,
  };
}

export function looksOutOfMemory(stderr: string): boolean {
  return /heap out of memory|Allocation failed|Cannot enlarge memory|out of memory/i.test(stderr);
}

function describeExit(code: number | null, signal: NodeJS.Signals | null, stderr: string): string {
  if (looksOutOfMemory(stderr)) return 'the trainer ran out of memory; try a smaller batch size or shorter sequences (training.maxLength)';
  const lastLine = stderr.trim().split('\n').pop() ?? '';
  if (signal != null) return `the trainer process was killed (${signal})${lastLine ? `: ${lastLine}` : ''}`;
  return `the trainer process exited with code ${code} before finishing${lastLine ? `: ${lastLine}` : ''}`;
}

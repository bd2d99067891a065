/**
 * The trainer under Electron's utilityProcess (DESIGN §2), without Electron: utilityProcess.fork
 * is faked by a worker thread that gives the module what a utility process has (process.parentPort,
 * no process.send; fixtures/utility-process-emulator.mjs). Through it the real trainer entry
 * (trainer-utility-entry.ts → trainer/main.ts) runs a real job end to end and fails a bad one,
 * so the shim is checked against the trainer's actual use of process.send / on('message').
 * The exit and kill rules are checked on a scripted fake child.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { FromTrainer, ToTrainer, TrainerJob } from '../../src-main/trainer/protocol.js';

const fork = vi.hoisted(() => ({ impl: null as null | ((entry: string, args: string[], opts: unknown) => unknown), calls: [] as unknown[][] }));
vi.mock('electron', () => ({
  utilityProcess: {
    fork: (entry: string, args: string[], opts: unknown) => {
      fork.calls.push([entry, args, opts]);
      return fork.impl!(entry, args, opts);
    },
  },
}));

const { utilityWorkerLauncher } = await import('../../src-main/app/trainer-utility.js');
const { adaptParentPort } = await import('../../src-main/app/utility-port-shim.js');

const ENTRY = fileURLToPath(new URL('../../src-main/app/trainer-utility-entry.ts', import.meta.url));
const EMULATOR = new URL('./fixtures/utility-process-emulator.mjs', import.meta.url);
const SAMPLE = fileURLToPath(new URL('../../resources/sample/', import.meta.url));

/** A utility process made of a worker thread (pid stays undefined: kill() terminates the thread). */
class WorkerChild extends EventEmitter {
  readonly pid = undefined;
  readonly stderr: NodeJS.ReadableStream;
  private readonly worker: Worker;
  constructor(entry: string) {
    super();
    this.worker = new Worker(EMULATOR, { workerData: { entry: pathToFileURL(entry).href, tsx: true }, stderr: true });
    this.stderr = this.worker.stderr;
    this.worker.on('online', () => this.emit('spawn'));
    this.worker.on('message', (m) => this.emit('message', m));
    // An uncaught exception in a utility process goes to its stderr; the exit code follows.
    this.worker.on('error', (e) => this.worker.stderr.emit('data', Buffer.from(`${String(e)}\n`)));
    this.worker.on('exit', (code) => this.emit('exit', code));
  }
  postMessage(m: unknown): void {
    this.worker.postMessage(m);
  }
  kill(): boolean {
    void this.worker.terminate();
    return true;
  }
}

function job(modelDir: string, runDir: string): TrainerJob {
  return {
    runId: 'utility-test',
    runDir,
    modelDir,
    backend: 'cpu',
    tasks: [],
    freeze: { strategy: 'category', ratio: 0.5, seed: 1, redrawEachStage: true, freezeEmbeddings: false },
    training: { batchSize: 1, gradAccum: 1, lr: 1e-3, schedule: 'constant', warmup: 0, weightDecay: 0, clipNorm: null, maxLength: 32, shuffle: false, seed: 1, checkpointEvery: 0 },
    evaluation: { evalFraction: 0.1, maxExamples: 1, probe: null, maxNewTokens: 4 },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'hft-utility-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the real trainer in an emulated utility process', () => {
  fork.impl = (entry) => new WorkerChild(entry);
  const launch = utilityWorkerLauncher(ENTRY);

  it.concurrent('gets its work, reports, and ends ok', async () => {
    const got: FromTrainer[] = [];
    // Merge evaluation with no stages: loads the backend, the model and tokenizer, then is done.
    const h = launch({ type: 'evaluate-merges', work: { job: job(SAMPLE, join(dir, 'a')), candidates: [], stages: [] } }, (m) => got.push(m));
    await expect(h.exit).resolves.toEqual({ ok: true, reason: null, kind: null });
    expect(got.map((m) => m.type)).toEqual(['ready', 'done']);
    expect(got[0]).toMatchObject({ type: 'ready', backend: 'cpu' });
  });

  it.concurrent('reports the trainer’s own error when the work fails', async () => {
    const missing = join(dir, 'no-model');
    const got: FromTrainer[] = [];
    const h = launch({ type: 'evaluate-merges', work: { job: job(missing, join(dir, 'b')), candidates: [], stages: [] } }, (m) => got.push(m));
    const exit = await h.exit;
    expect(exit).toEqual({ ok: false, reason: `cannot read ${join(missing, 'config.json')}: the folder does not exist; a Hugging Face model folder holds config.json, tokenizer.json and model.safetensors`, kind: 'model' });
    expect(got).toEqual([{ type: 'error', message: exit.reason, kind: 'model' }]);
  });

  it('forks the entry it was given, piping only stderr', () => {
    expect(fork.calls[0]).toEqual([ENTRY, [], { serviceName: 'HFT Studio trainer', stdio: ['ignore', 'ignore', 'pipe'] }]);
  });
});

/** A child that does what the test tells it to. */
class ScriptedChild extends EventEmitter {
  pid: number | undefined = 4242;
  readonly stderr = new PassThrough();
  posted: unknown[] = [];
  killed = 0;
  postMessage(m: unknown): void {
    this.posted.push(m);
  }
  kill(): boolean {
    this.killed++;
    return true;
  }
}

describe('exit and kill rules', () => {
  let child: ScriptedChild;
  const first: Extract<ToTrainer, { type: 'start' }> = { type: 'start', job: job('/m', '/r'), resumeFrom: [] };
  const start = (onMessage: (m: FromTrainer) => void = () => undefined) => {
    fork.impl = () => (child = new ScriptedChild());
    return utilityWorkerLauncher('/app/out/main/trainer.js')(first, onMessage);
  };
  afterEach(() => vi.restoreAllMocks());

  it('posts the first message at once and forwards control messages until exit', () => {
    const h = start();
    h.send({ type: 'pause' });
    child.emit('exit', 0);
    h.send({ type: 'stop' }); // after exit: dropped, never posted to a dead process
    expect(child.posted).toEqual([first, { type: 'pause' }]);
  });

  it('kills with SIGKILL, not utilityProcess.kill()’s SIGTERM', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const h = start();
    expect(h.pid).toBe(4242);
    h.kill();
    expect(kill).toHaveBeenCalledWith(4242, 'SIGKILL');
    expect(child.killed).toBe(0);
  });

  it('falls back to kill() before the process has a pid', () => {
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const h = start();
    child.pid = undefined;
    expect(h.pid).toBe(-1);
    h.kill();
    expect(kill).not.toHaveBeenCalled();
    expect(child.killed).toBe(1);
  });

  it('is ok only after done and a clean exit', async () => {
    const h = start();
    child.emit('message', { type: 'done' });
    child.emit('exit', 0);
    await expect(h.exit).resolves.toEqual({ ok: true, reason: null, kind: null });
  });

  it('says why when the process ends without finishing', async () => {
    const h = start();
    child.stderr.write('loading...\nError: boom in stage 0\n');
    await new Promise((r) => setImmediate(r));
    child.emit('exit', 0); // a clean exit without done is still a failure
    await expect(h.exit).resolves.toEqual({ ok: false, reason: 'the trainer process exited with code 0 before finishing: Error: boom in stage 0', kind: 'internal' });
  });

  it('recognises running out of memory from stderr', async () => {
    const h = start();
    child.stderr.write('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n');
    await new Promise((r) => setImmediate(r));
    child.emit('exit', 134);
    const exit = await h.exit;
    expect(exit.kind).toBe('out-of-memory');
    expect(exit.reason).toMatch(/ran out of memory; try a smaller batch size/);
  });

  it('names a fatal V8 error Electron reported', async () => {
    const h = start();
    child.emit('error', 'FatalError', 'v8::ToLocalChecked', '{report}');
    child.emit('exit', 133);
    await expect(h.exit).resolves.toMatchObject({ ok: false, reason: 'the trainer process hit a fatal error (FatalError at v8::ToLocalChecked)', kind: 'internal' });
  });

  it('prefers the trainer’s own report to the exit code', async () => {
    const got: FromTrainer[] = [];
    const h = start((m) => got.push(m));
    child.emit('message', { type: 'error', message: 'the dataset has no rows', kind: 'data' });
    child.emit('exit', 1);
    await expect(h.exit).resolves.toEqual({ ok: false, reason: 'the dataset has no rows', kind: 'data' });
    expect(got).toHaveLength(1);
  });
});

describe('parentPort shim', () => {
  function fakes() {
    const port = Object.assign(new EventEmitter(), { posted: [] as unknown[], postMessage(m: unknown) { port.posted.push(m); } });
    const proc = new EventEmitter() as EventEmitter & { send?: (m: unknown, ...rest: unknown[]) => boolean; connected?: boolean };
    return { port, proc };
  }

  it('gives the process send and connected, as a forked child has', async () => {
    const { port, proc } = fakes();
    adaptParentPort(proc, port);
    expect(proc.connected).toBe(true);
    const done = new Promise<Error | null>((resolve) => proc.send!({ type: 'done' }, undefined, {}, resolve));
    expect(port.posted).toEqual([{ type: 'done' }]);
    await expect(done).resolves.toBeNull();
    expect(proc.send!({ type: 'x' })).toBe(true);
  });

  it('delivers port messages as process messages only once listen() is called', () => {
    const { port, proc } = fakes();
    const got: unknown[] = [];
    proc.on('message', (m) => got.push(m));
    const channel = adaptParentPort(proc, port);
    // Before listen() the shim has no port listener, so Electron's parentPort keeps queueing.
    expect(port.listenerCount('message')).toBe(0);
    channel.listen();
    channel.listen();
    expect(port.listenerCount('message')).toBe(1);
    port.emit('message', { data: { type: 'stop' }, ports: [] });
    expect(got).toEqual([{ type: 'stop' }]);
  });
});

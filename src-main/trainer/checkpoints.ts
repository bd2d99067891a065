/**
 * Crash-safe checkpoints (DESIGN §7): what a run needs to continue bit-identically after a crash.
 *
 * A checkpoint is a folder `<runDir>/stage-<k>/step-<n>/` (n = global optimizer step) holding
 *   model.safetensors      every parameter, float32 (exact: resuming reads back the same bits)
 *   optimizer.safetensors  AdamW m and v of the stage's trainable tensors (mid-stage only; a stage
 *                          boundary starts a fresh optimizer, so its checkpoint needs none)
 *   state.json             where in the run it was taken, and the optimizer step counters
 *   manifest.json          sha256 of each file above: written last, so its presence means complete
 * It is written into a hidden temporary folder, each file fsynced, then renamed into place: a kill
 * at any moment leaves either no checkpoint folder or a complete one. `readCheckpoint` re-hashes
 * every file, so a flipped byte on disk is detected and the caller can fall back to an older one.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../formats/safetensors/index.js';
import { syncDir, writeFileAtomic } from '../formats/atomic-file.js';
import type { AdamWSlotState } from '../engine/optimizer.js';
import type { TrainStepState } from '../engine/train-step.js';
import type { WeightReader } from '../formats/model-folder.js';

const CHECKPOINT_FORMAT = 1;
const MODEL_FILE = 'model.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const STATE_FILE = 'state.json';
const MANIFEST_FILE = 'manifest.json';

/** Where in the run a checkpoint was taken. */
export interface CheckpointPosition {
  /** 0-based stage index. */
  stage: number;
  /** Global optimizer steps completed in the run. */
  step: number;
  /** Optimizer steps completed in this stage. */
  stageStep: number;
  /** True when the stage's training is finished (its evaluation may still be to do). */
  stageEnd: boolean;
}

interface StateFile extends CheckpointPosition {
  format: number;
  runId: string;
  /** TrainStep's step count and each tensor's AdamW step, mid-stage only. */
  trainSteps: number | null;
  optimizerSteps: Record<string, number> | null;
}

export interface Checkpoint extends CheckpointPosition {
  path: string;
  /** float32 values of every parameter, by HF name. */
  weights: Map<string, { shape: number[]; data: Float32Array }>;
  /** The stage's TrainStep state; null at a stage end. */
  train: TrainStepState | null;
}

export class CheckpointError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`checkpoint ${path}: ${reason}`);
    this.name = 'CheckpointError';
  }
}

function checkpointDir(runDir: string, stage: number, step: number): string {
  return join(runDir, `stage-${stage}`, `step-${step}`);
}

/**
 * Writes a checkpoint and returns its folder and the sha256 of its manifest (which pins every
 * file's hash). `weights` are read one at a time as the writer reaches them.
 */
export function writeCheckpoint(
  runDir: string,
  runId: string,
  pos: CheckpointPosition,
  weights: WeightReader[],
  train: TrainStepState | null,
): { path: string; manifestSha256: string } {
  const final = checkpointDir(runDir, pos.stage, pos.step);
  const tmp = join(dirname(final), `.tmp-${pos.step}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const files: string[] = [MODEL_FILE];
    writeSafetensors(join(tmp, MODEL_FILE), weights.map((w): TensorToWrite => ({ name: w.name, shape: w.shape, data: w.read })));
    holdForFaultInjection();
    if (train != null) {
      files.push(OPTIMIZER_FILE);
      const tensors: TensorToWrite[] = [];
      for (const [name, s] of Object.entries(train.optimizer)) {
        tensors.push({ name: `${name}.exp_avg`, shape: [s.m.length], data: s.m });
        tensors.push({ name: `${name}.exp_avg_sq`, shape: [s.v.length], data: s.v });
      }
      writeSafetensors(join(tmp, OPTIMIZER_FILE), tensors);
    }
    const state: StateFile = {
      format: CHECKPOINT_FORMAT,
      runId,
      ...pos,
      trainSteps: train?.steps ?? null,
      optimizerSteps: train == null ? null : Object.fromEntries(Object.entries(train.optimizer).map(([n, s]) => [n, s.step])),
    };
    writeText(join(tmp, STATE_FILE), JSON.stringify(state));
    files.push(STATE_FILE);
    const manifest = JSON.stringify({ format: CHECKPOINT_FORMAT, files: Object.fromEntries(files.map((f) => [f, sha256File(join(tmp, f))])) });
    writeText(join(tmp, MANIFEST_FILE), manifest);
    rmSync(final, { recursive: true, force: true }); // a leftover from a run that died before recording it
    renameSync(tmp, final);
    syncDir(dirname(final));
    return { path: final, manifestSha256: sha256(Buffer.from(manifest)) };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Fault injection for the crash tests: HFT_FAULT_CHECKPOINT_HOLD_MS keeps a checkpoint half-written
 * that long, so a test's SIGKILL lands inside the write however busy the machine is. Unset: nothing.
 */
function holdForFaultInjection(): void {
  const ms = Number(process.env.HFT_FAULT_CHECKPOINT_HOLD_MS ?? 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Removes what killed writers left behind (hidden .tmp-* folders); returns how many. */
export function removePartialCheckpoints(runDir: string): number {
  if (!existsSync(runDir)) return 0;
  let removed = 0;
  for (const stage of readdirSync(runDir).filter((d) => d.startsWith('stage-'))) {
    for (const leftover of readdirSync(join(runDir, stage)).filter((d) => d.startsWith('.tmp-'))) {
      rmSync(join(runDir, stage, leftover), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * Checks that every file matches the manifest (and the manifest the hash recorded with it, when
 * given), then reads the checkpoint. Throws CheckpointError naming what is wrong.
 */
export function readCheckpoint(path: string, expectedManifestSha256?: string): Checkpoint {
  const manifestPath = join(path, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new CheckpointError(path, 'incomplete (no manifest.json)');
  const manifestBytes = readFileSync(manifestPath);
  if (expectedManifestSha256 != null && sha256(manifestBytes) !== expectedManifestSha256) {
    throw new CheckpointError(path, 'manifest.json does not match the checksum recorded for it');
  }
  let files: Record<string, string>;
  try {
    files = (JSON.parse(manifestBytes.toString('utf8')) as { files: Record<string, string> }).files;
  } catch {
    throw new CheckpointError(path, 'manifest.json is not valid JSON');
  }
  for (const [file, hash] of Object.entries(files)) {
    const p = join(path, file);
    if (!existsSync(p)) throw new CheckpointError(path, `${file} is missing`);
    if (sha256File(p) !== hash) throw new CheckpointError(path, `${file} is corrupt (its sha256 differs from the manifest)`);
  }
  if (!(MODEL_FILE in files) || !(STATE_FILE in files)) throw new CheckpointError(path, 'the manifest lists no model or state');
  const state = JSON.parse(readFileSync(join(path, STATE_FILE), 'utf8')) as StateFile;
  if (state.format !== CHECKPOINT_FORMAT) throw new CheckpointError(path, `format ${state.format} is not one this app reads`);
  const weights = readTensors(join(path, MODEL_FILE));
  let train: TrainStepState | null = null;
  if (state.optimizerSteps != null && state.trainSteps != null) {
    if (!(OPTIMIZER_FILE in files)) throw new CheckpointError(path, 'mid-stage checkpoint without optimizer state');
    const moments = readTensors(join(path, OPTIMIZER_FILE));
    const optimizer: Record<string, AdamWSlotState> = {};
    for (const [name, step] of Object.entries(state.optimizerSteps)) {
      const m = moments.get(`${name}.exp_avg`);
      const v = moments.get(`${name}.exp_avg_sq`);
      if (m == null || v == null) throw new CheckpointError(path, `optimizer state for ${name} is missing`);
      optimizer[name] = { m: m.data, v: v.data, step };
    }
    train = { steps: state.trainSteps, optimizer };
  }
  return { path, stage: state.stage, step: state.step, stageStep: state.stageStep, stageEnd: state.stageEnd, weights, train };
}

function readTensors(file: string): Map<string, { shape: number[]; data: Float32Array }> {
  const f = SafetensorsFile.open(file);
  try {
    return new Map(f.tensors.map((t) => [t.name, { shape: t.shape, data: f.readFloat32(t.name) }]));
  } finally {
    f.close();
  }
}

function writeText(path: string, text: string): void {
  writeFileAtomic(path, (write) => write(Buffer.from(text, 'utf8')));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hashes a file in 1 MiB reads, so a large checkpoint is never held in memory twice. */
function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

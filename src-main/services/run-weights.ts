/**
 * The weights of a finished stage of a run, optionally merged with the base model: what export,
 * merge evaluation and the playground start from.
 *
 * A stage's weights are its stage-end checkpoint (kept for every stage; mid-stage ones are pruned),
 * read back with its checksums verified. The base model is the folder the run was trained from.
 */
import { checkMergeSpec, MERGE_KINDS, MergeError, mergeWithBase, type HostWeights, type MergeSpec } from '../engine/merge.js';
import { readHfConfig, type ModelConfig } from '../formats/hf-config.js';
import type { Store } from '../store/index.js';
import { readCheckpoint } from '../trainer/checkpoints.js';
import { LISTED, requireRun, RunError, storedPlan } from './runs.js';

export interface RunWeights {
  runId: string;
  /** 0-based stage whose end the weights come from. */
  stage: number;
  /** Stages in the run. */
  stages: number;
  /** The base model folder (config, tokenizer, original weights). */
  modelDir: string;
  cfg: ModelConfig;
  merge: MergeSpec;
  /** float32 values of every parameter, by HF name. */
  weights: HostWeights;
}

/** The 0-based stages of a run that finished training, oldest first. */
export function finishedStages(store: Store, runId: string): number[] {
  return [...new Set(store.checkpoints.list(runId).filter((c) => c.stageEnd).map((c) => c.stage))].sort((a, b) => a - b);
}

/** Reads the run's config, failing in plain words when the base model folder is gone. */
export function runModel(store: Store, runId: string): { modelDir: string; cfg: ModelConfig; stages: number } {
  const run = requireRun(store, runId, LISTED);
  const { job } = storedPlan(run);
  try {
    return { modelDir: job.modelDir, cfg: readHfConfig(job.modelDir), stages: job.tasks.length };
  } catch (e) {
    throw new RunError(`the base model of run ${runId} cannot be read (${e instanceof Error ? e.message : String(e)}); put the model folder back at ${job.modelDir}`);
  }
}

/**
 * The weights after `stage` (0-based; default the last finished stage), merged per `merge`
 * (default none). Throws RunError when the run has no finished stage yet, or not that one.
 */
export function runWeights(store: Store, runId: string, opts: { stage?: number; merge?: MergeSpec } = {}): RunWeights {
  const { modelDir, cfg, stages } = runModel(store, runId);
  const merge = checkMergeSpec(opts.merge ?? { kind: 'none' });
  const done = finishedStages(store, runId);
  if (done.length === 0) {
    throw new RunError(`run ${runId} has no trained weights yet: no stage has finished; \`hft resume ${runId}\` continues it`);
  }
  const stage = opts.stage ?? done[done.length - 1];
  if (!Number.isInteger(stage) || stage < 0 || stage >= stages) {
    throw new RunError(`run ${runId} has stages 1 to ${stages}; there is no stage ${stage + 1}`);
  }
  const ck = store.checkpoints.list(runId).find((c) => c.stageEnd && c.stage === stage);
  if (ck == null) {
    throw new RunError(`stage ${stage + 1} of run ${runId} has not finished training yet (finished: ${done.map((s) => s + 1).join(', ')})`);
  }
  let weights: HostWeights;
  try {
    weights = readCheckpoint(ck.path, ck.manifestSha256).weights;
  } catch (e) {
    throw new RunError(`the weights of stage ${stage + 1} of run ${runId} cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { runId, stage, stages, modelDir, cfg, merge, weights: mergeWithBase(cfg, modelDir, weights, merge) };
}

/**
 * `--merge` and `--alpha` of a command line as a MergeSpec. alpha defaults to 0.5; the half-reset
 * seed is `seed` (the run's freeze seed, so one run always resets the same half).
 */
export function parseMergeSpec(merge: string | undefined, alpha: string | undefined, seed: number): MergeSpec {
  const kind = merge ?? 'none';
  if (!(MERGE_KINDS as readonly string[]).includes(kind)) {
    throw new MergeError(`--merge must be one of ${MERGE_KINDS.join(', ')}, got "${kind}"`);
  }
  if (alpha !== undefined && kind !== 'average') throw new MergeError('--alpha only applies to --merge average');
  if (kind === 'average') {
    const a = alpha === undefined ? 0.5 : Number(alpha);
    if (alpha !== undefined && (alpha.trim() === '' || !Number.isFinite(a))) throw new MergeError(`--alpha must be a number from 0 to 1, got "${alpha}"`);
    return checkMergeSpec({ kind: 'average', alpha: a });
  }
  return kind === 'half-reset' ? checkMergeSpec({ kind: 'half-reset', seed }) : { kind: 'none' };
}

/**
 * `--stage K` of a command line: counted from 1, as the forgetting matrix labels its rows (stage 1 =
 * after the first task). Returns the 0-based index, or undefined for "the last finished stage".
 */
export function stageFromFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const k = Number(value);
  if (value.trim() === '' || !Number.isInteger(k) || k < 1) throw new MergeError(`--stage must be a stage number from 1, got "${value}"`);
  return k - 1;
}

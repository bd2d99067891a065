/**
 * Merges of a fine-tuned model with its base, applied after training (PAPER.md):
 *   none        the fine-tuned weights as they are
 *   average     α·fine-tuned + (1−α)·base, tensor by tensor (the reviewers' baseline)
 *   half-reset  a category-level random half of the decoder tensors goes back to the base values
 *               (the paper's pilot experiment); the rest keeps its fine-tuned values
 *
 * The half is drawn exactly like an HFT stage mask (engine/masks.ts, strategy `category`, ratio
 * 0.5, embeddings kept out of the draw), from its own key (seed, HALF_RESET_DRAW), so the same seed
 * always resets the same tensors. Pure arithmetic on Float32Arrays: no tfjs, so the export (main
 * side) and the merge evaluation (a worker) compute the very same bits.
 */
import type { ModelConfig } from '../formats/hf-config.js';
import { openModelWeights } from '../formats/safetensors/index.js';
import { drawMask } from './masks.js';
import { paramSpecs, type ParamSpec } from './param-specs.js';

export type MergeSpec = { kind: 'none' } | { kind: 'average'; alpha: number } | { kind: 'half-reset'; seed: number };

export const MERGE_KINDS = ['none', 'average', 'half-reset'] as const;

/** The draw index of the half-reset mask: far from any training stage's index. */
const HALF_RESET_DRAW = 1_000_000;

export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

export function checkMergeSpec(m: MergeSpec): MergeSpec {
  if (m.kind === 'average' && !(Number.isFinite(m.alpha) && m.alpha >= 0 && m.alpha <= 1)) {
    throw new MergeError(`the averaging weight alpha must be a number from 0 to 1 (1 = all fine-tuned), got ${m.alpha}`);
  }
  if (m.kind === 'half-reset' && !(Number.isSafeInteger(m.seed) && m.seed >= 0)) {
    throw new MergeError(`the half-reset seed must be a whole number of at least 0, got ${m.seed}`);
  }
  return m;
}

/** A short label for reports and file metadata: `none`, `average(alpha=0.5)`, `half-reset(seed=0)`. */
export function mergeLabel(m: MergeSpec): string {
  if (m.kind === 'average') return `average(alpha=${m.alpha})`;
  if (m.kind === 'half-reset') return `half-reset(seed=${m.seed})`;
  return 'none';
}

/** Names of the tensors a half-reset puts back to the base values, in paramSpecs order. */
export function halfResetTensors(specs: ParamSpec[], seed: number): string[] {
  return drawMask(specs, { strategy: 'category', ratio: 0.5, seed, stage: HALF_RESET_DRAW, freezeEmbeddings: true }).trainable;
}

/**
 * One merged tensor. `base` is called only when the merge needs the base values of this tensor
 * (`tuned` is returned unchanged otherwise). `reset` is the half-reset set (halfResetTensors).
 */
export function mergeTensor(m: MergeSpec, name: string, tuned: Float32Array, base: () => Float32Array, reset: ReadonlySet<string>): Float32Array {
  if (m.kind === 'none') return tuned;
  if (m.kind === 'half-reset') return reset.has(name) ? checkedBase(name, tuned, base()) : tuned;
  const b = checkedBase(name, tuned, base());
  const out = new Float32Array(tuned.length);
  // Computed in float64 and rounded once to float32.
  for (let i = 0; i < out.length; i++) out[i] = m.alpha * tuned[i] + (1 - m.alpha) * b[i];
  return out;
}

function checkedBase(name: string, tuned: Float32Array, base: Float32Array): Float32Array {
  if (base.length !== tuned.length) {
    throw new MergeError(`tensor "${name}" has ${base.length} values in the base model but ${tuned.length} after fine-tuning`);
  }
  return base;
}

export type HostWeights = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * The merge of `tuned` (every parameter, float32) with the base model in `modelDir`, as a new map;
 * `tuned` is left as it is (tensors a merge does not change are shared, not copied). Base tensors
 * are read one at a time, only where the merge needs them.
 */
export function mergeWithBase(cfg: ModelConfig, modelDir: string, tuned: HostWeights, m: MergeSpec): HostWeights {
  if (m.kind === 'none') return tuned;
  const specs = paramSpecs(cfg);
  const reset = new Set(m.kind === 'half-reset' ? halfResetTensors(specs, m.seed) : []);
  const base = openModelWeights(modelDir);
  const out: HostWeights = new Map();
  try {
    for (const spec of specs) {
      const w = tuned.get(spec.name);
      if (w == null) throw new MergeError(`the fine-tuned weights have no tensor "${spec.name}"`);
      out.set(spec.name, { shape: w.shape, data: mergeTensor(m, spec.name, w.data, () => base.readFloat32(spec.name), reset) });
    }
  } finally {
    base.close();
  }
  return out;
}

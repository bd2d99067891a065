/**
 * HFT masks: which tensors (or, for `parameter`, which elements) train in one stage.
 *
 * A mask is a pure function of `(strategy, ratio, seed, stage, freezeEmbeddings)` and the model's
 * parameter list, so a run is reproducible; each stage draws afresh (the random stream is keyed by
 * `(seed, stage, ...)`). `ratio` is the fraction TRAINED, 0 < ratio ≤ 1.
 *
 * Vocabulary. "Embeddings" means `embed_tokens`, the final `model.norm` and `lm_head`: they are
 * trainable in every strategy unless `freezeEmbeddings`, then all three are frozen. Everything else
 * is a decoder-layer tensor, and `ratio` applies to those. A bias always follows its matrix
 * (`q_proj.bias` goes wherever `q_proj.weight` goes): the unit of choice is a layer's (kind),
 * e.g. layer 3's `q` = its q_proj weight and bias. Rounding is `Math.round` (halves go up).
 *
 * Strategies:
 * - `category` (default, the paper's). Three groups of units across all L layers: attention
 *   {q,k,v,o} (4L units), FFN {gate,up,down} (3L), norms {input_layernorm,
 *   post_attention_layernorm} (2L). For a group of m kinds, n = clamp(round(ratio·m·L), 1, m·L)
 *   units train, spread as evenly as possible over layers: every layer trains floor(n/L) of the
 *   group's kinds and a uniformly random set of (n mod L) layers trains one more; inside a layer
 *   the kinds are a uniform random subset. At ratio 0.5 this is exactly the paper's rule:
 *   2 of {q,k,v,o} per layer; 2 of {gate,up,down} in round(L/2) = ceil(L/2) random layers and 1 in
 *   the rest; 1 of the 2 norms per layer. FFN and norm units within a group are equal-sized, so the
 *   group's trained fraction by parameter count is the closest whole tensors allow; attention
 *   units differ under GQA (k, v are smaller), and there every unit is equally likely, so the
 *   expected trained parameter fraction equals n/(4L). ratio 1 trains everything.
 * - `matrix` (the paper's "model-level"): layer units in random order; the trained set is the
 *   prefix whose parameter count is closest to ratio × (layer parameters), at least one unit; on
 *   an exact tie the longer prefix wins (so it reaches the ratio).
 * - `layer`: whole decoder layers in random order, same closest-prefix rule (layers are equal-
 *   sized, so this trains round(ratio·L) layers, at least one).
 * - `parameter`: every tensor is in `trainable` (each needs optimizer state); `elementMask` gives
 *   exactly Math.round(ratio·numel) trained elements per tensor, drawn from (seed, stage, name).
 *   With freezeEmbeddings the embeddings are frozen whole and their element mask is all zeros.
 * - `full`: every tensor trains (embeddings per freezeEmbeddings); ratio is reported as 1.
 */
import { numel, type ParamKind, type ParamSpec } from './param-specs.js';
import { rng } from './rng.js';

export type Strategy = 'category' | 'matrix' | 'layer' | 'parameter' | 'full';
export const STRATEGIES: readonly Strategy[] = ['category', 'matrix', 'layer', 'parameter', 'full'];

export interface MaskSpec {
  strategy: Strategy;
  ratio: number;
  seed: number;
  stage: number;
  freezeEmbeddings: boolean;
}

export interface Mask extends MaskSpec {
  /** Tensor names in the optimizer, in paramSpecs order. */
  trainable: string[];
  /** The rest, in paramSpecs order. */
  frozen: string[];
  /** Element count actually trained (for `parameter`: the exact count of selected elements). */
  trainableParams: number;
  totalParams: number;
}

export class MaskSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MaskSpecError';
  }
}

const EMBEDDING_KINDS: ReadonlySet<ParamKind> = new Set<ParamKind>(['embed', 'final_norm', 'lm_head']);
const CATEGORY_GROUPS: readonly (readonly [string, readonly ParamKind[]])[] = [
  ['attention', ['q', 'k', 'v', 'o']],
  ['ffn', ['gate', 'up', 'down']],
  ['norms', ['input_norm', 'post_norm']],
];

export const isEmbedding = (spec: ParamSpec): boolean => EMBEDDING_KINDS.has(spec.kind) || spec.layer === null;

/** One choosable unit: a layer's kind (weight + bias). */
interface Unit {
  layer: number;
  kind: ParamKind;
  names: string[];
  size: number;
}

function layerUnits(specs: ParamSpec[]): Unit[] {
  const byKey = new Map<string, Unit>();
  for (const s of specs) {
    if (isEmbedding(s)) continue;
    const key = `${s.layer}/${s.kind}`;
    let u = byKey.get(key);
    if (!u) byKey.set(key, (u = { layer: s.layer as number, kind: s.kind, names: [], size: 0 }));
    u.names.push(s.name);
    u.size += numel(s.shape);
  }
  return [...byKey.values()];
}

/** Length of the prefix of `sizes` whose sum is closest to `target`: at least 1; ties go to the longer. */
function closestPrefix(sizes: number[], target: number): number {
  let best = 1;
  let cum = sizes[0] ?? 0;
  let bestDiff = Math.abs(cum - target);
  for (let p = 2; p <= sizes.length; p++) {
    cum += sizes[p - 1];
    const diff = Math.abs(cum - target);
    if (diff <= bestDiff * (1 + 1e-12)) {
      best = p;
      bestDiff = diff;
    } else break; // cumulative sums only grow: past the crossing, it gets worse
  }
  return best;
}

function chooseCategory(units: Unit[], spec: MaskSpec): Set<Unit> {
  const layers = [...new Set(units.map((u) => u.layer))].sort((a, b) => a - b);
  const chosen = new Set<Unit>();
  for (const [group, kinds] of CATEGORY_GROUPS) {
    const r = rng(spec.seed, spec.stage, 'mask', 'category', group);
    const perLayer = layers.map((l) => units.filter((u) => u.layer === l && kinds.includes(u.kind)));
    const total = perLayer.reduce((a, us) => a + us.length, 0);
    if (total === 0) continue;
    const n = Math.min(total, Math.max(1, Math.round(spec.ratio * total)));
    const base = Math.floor(n / layers.length);
    const plusOne = new Set(r.sample(layers, n % layers.length));
    layers.forEach((l, i) => {
      const avail = perLayer[i];
      const count = Math.min(avail.length, base + (plusOne.has(l) ? 1 : 0));
      for (const u of r.sample(avail, count)) chosen.add(u);
    });
  }
  return chosen;
}

function chooseMatrix(units: Unit[], spec: MaskSpec): Set<Unit> {
  const order = rng(spec.seed, spec.stage, 'mask', 'matrix').shuffle(units.slice());
  const total = units.reduce((a, u) => a + u.size, 0);
  const p = closestPrefix(order.map((u) => u.size), spec.ratio * total);
  return new Set(order.slice(0, p));
}

function chooseLayer(units: Unit[], spec: MaskSpec): Set<Unit> {
  const layers = [...new Set(units.map((u) => u.layer))].sort((a, b) => a - b);
  const sizeOf = new Map<number, number>();
  for (const u of units) sizeOf.set(u.layer, (sizeOf.get(u.layer) ?? 0) + u.size);
  const order = rng(spec.seed, spec.stage, 'mask', 'layer').shuffle(layers);
  const total = units.reduce((a, u) => a + u.size, 0);
  const picked = new Set(order.slice(0, closestPrefix(order.map((l) => sizeOf.get(l) as number), spec.ratio * total)));
  return new Set(units.filter((u) => picked.has(u.layer)));
}

/** Throws a MaskSpecError for an invalid spec; returns it normalised (`full` → ratio 1). */
function checkSpec(spec: MaskSpec): MaskSpec {
  if (!STRATEGIES.includes(spec.strategy)) {
    throw new MaskSpecError(
      `unknown mask strategy ${JSON.stringify(spec.strategy)}: valid strategies are ${STRATEGIES.join(', ')}`,
    );
  }
  if (typeof spec.ratio !== 'number' || !Number.isFinite(spec.ratio) || spec.ratio <= 0 || spec.ratio > 1) {
    throw new MaskSpecError(`mask ratio must be a number with 0 < ratio <= 1 (the fraction trained), got ${JSON.stringify(spec.ratio)}`);
  }
  for (const key of ['seed', 'stage'] as const) {
    const v = spec[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new MaskSpecError(`mask ${key} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
  }
  if (typeof spec.freezeEmbeddings !== 'boolean') {
    throw new MaskSpecError(`mask freezeEmbeddings must be true or false, got ${JSON.stringify(spec.freezeEmbeddings)}`);
  }
  return { ...spec, ratio: spec.strategy === 'full' ? 1 : spec.ratio };
}

/** The mask for one stage. Pure and deterministic in (strategy, ratio, seed, stage, freezeEmbeddings). */
export function drawMask(specs: ParamSpec[], spec: MaskSpec): Mask {
  const s = checkSpec(spec);
  const units = layerUnits(specs);
  let chosen: Set<Unit>;
  if (s.strategy === 'full' || s.strategy === 'parameter' || s.ratio >= 1) chosen = new Set(units);
  else if (s.strategy === 'category') chosen = chooseCategory(units, s);
  else if (s.strategy === 'matrix') chosen = chooseMatrix(units, s);
  else chosen = chooseLayer(units, s);

  const trainableNames = new Set<string>();
  for (const u of chosen) for (const n of u.names) trainableNames.add(n);
  const trainable: string[] = [];
  const frozen: string[] = [];
  let trainableParams = 0;
  let totalParams = 0;
  for (const p of specs) {
    const size = numel(p.shape);
    totalParams += size;
    const on = isEmbedding(p) ? !s.freezeEmbeddings : trainableNames.has(p.name);
    (on ? trainable : frozen).push(p.name);
    if (on) trainableParams += s.strategy === 'parameter' ? Math.round(s.ratio * size) : size;
  }
  // Key order is the masks.json format.
  return {
    strategy: s.strategy,
    ratio: s.ratio,
    seed: s.seed,
    stage: s.stage,
    freezeEmbeddings: s.freezeEmbeddings,
    trainable,
    frozen,
    trainableParams,
    totalParams,
  };
}

/**
 * `parameter` strategy only: 1 = element trains. Exactly Math.round(ratio·numel) ones, uniformly
 * placed (selection sampling, Knuth's Algorithm S), drawn from (seed, stage, 'element', name).
 * All zeros for an embedding tensor when freezeEmbeddings. Throws for other strategies.
 */
export function elementMask(spec: ParamSpec, mask: MaskSpec): Uint8Array {
  const s = checkSpec(mask);
  if (s.strategy !== 'parameter') {
    throw new MaskSpecError(`elementMask is only for the "parameter" strategy, got ${JSON.stringify(s.strategy)}`);
  }
  const n = numel(spec.shape);
  const out = new Uint8Array(n);
  if (isEmbedding(spec) && s.freezeEmbeddings) return out;
  let need = Math.round(s.ratio * n);
  if (need === n) return out.fill(1);
  const r = rng(s.seed, s.stage, 'element', spec.name);
  for (let i = 0; i < n && need > 0; i++) {
    // select i with probability need / (elements left): exact count, every subset equally likely
    if (r.int(n - i) < need) {
      out[i] = 1;
      need--;
    }
  }
  return out;
}

type RawValue = number | string | undefined;

function parseNumber(v: RawValue, key: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const x = Number(v.trim());
    if (!Number.isNaN(x)) return x;
  }
  throw new MaskSpecError(`mask ${key} must be a number, got ${JSON.stringify(v)}`);
}

/**
 * Validates user input (CLI flags, project files) into a MaskSpec. Defaults: category, ratio 0.5,
 * seed 0, stage 0, freezeEmbeddings false. Numbers may come as strings. `full` reports ratio 1.
 * Errors are one-line MaskSpecErrors naming the bad value.
 */
export function parseMaskSpec(raw: {
  strategy?: string;
  ratio?: number | string;
  seed?: number | string;
  stage?: number | string;
  freezeEmbeddings?: boolean;
}): MaskSpec {
  const strategy = (raw.strategy ?? 'category') as Strategy;
  if (!STRATEGIES.includes(strategy)) {
    throw new MaskSpecError(`unknown mask strategy ${JSON.stringify(raw.strategy)}: valid strategies are ${STRATEGIES.join(', ')}`);
  }
  return checkSpec({
    strategy,
    ratio: parseNumber(raw.ratio, 'ratio', 0.5),
    seed: parseNumber(raw.seed, 'seed', 0),
    stage: parseNumber(raw.stage, 'stage', 0),
    freezeEmbeddings: raw.freezeEmbeddings ?? false,
  });
}

/**
 * Deterministic train/eval split. Each row gets a 32-bit key hashed from (seed, row index); the
 * rows with the smallest keys are the eval rows. The same rows and seed always give the same split,
 * on any machine, and both halves keep file order. (A local hash rather than engine/rng.ts:
 * formats/ does not import the engine.)
 */

export interface SplitOptions {
  /** Share of rows held out for evaluation, in [0, 1). */
  evalFraction: number;
  /** At most this many eval rows (default: no limit). */
  maxEval?: number;
  seed: number;
}

/** murmur3's 32-bit finaliser: every input bit flips about half of the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Key of row `index` under `seed`; the seed's high and low 32 bits both count. */
export function splitKey(seed: number, index: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x100000000) >>> 0;
  return fmix32(fmix32(fmix32(lo ^ 0x9e3779b9) ^ hi) ^ Math.imul(index + 1, 0x27d4eb2f));
}

/**
 * Eval gets round(n × evalFraction) rows, at least 1 when there are 2 or more rows and the
 * fraction is above 0, at most `maxEval`, and never all of them: training always keeps a row.
 */
export function evalCount(n: number, evalFraction: number, maxEval = Number.POSITIVE_INFINITY): number {
  if (n < 2 || evalFraction <= 0) return 0;
  return Math.max(0, Math.min(Math.max(1, Math.round(n * evalFraction)), n - 1, Math.floor(maxEval)));
}

export function splitRows<T>(rows: readonly T[], opts: SplitOptions): { train: T[]; eval: T[] } {
  const { evalFraction, maxEval, seed } = opts;
  if (!(evalFraction >= 0 && evalFraction < 1)) throw new RangeError(`evalFraction must be in [0, 1), got ${evalFraction}`);
  if (maxEval !== undefined && !(maxEval >= 0)) throw new RangeError(`maxEval must be 0 or more, got ${maxEval}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const k = evalCount(rows.length, evalFraction, maxEval);
  const keys = rows.map((_, i) => splitKey(seed, i));
  const order = rows.map((_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  const held = new Set(order.slice(0, k));
  const train: T[] = [];
  const evalRows: T[] = [];
  rows.forEach((r, i) => (held.has(i) ? evalRows : train).push(r));
  return { train, eval: evalRows };
}

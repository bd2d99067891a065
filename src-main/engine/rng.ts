/**
 * Deterministic seeded random numbers, keyed by tuples.
 *
 * Every random draw in the app (mask selection, element masks, data order, train/eval splits,
 * ...) comes from a stream derived from a tuple of keys such as `(seed, stage, 'mask')` or
 * `(seed, epoch, 'data')`. The same tuple always yields the same stream, on every platform and in
 * every run, so a run is reproducible from its settings alone; different tuples yield
 * independent-looking streams, so adding a new consumer never perturbs an existing one.
 *
 * How: the tuple is serialised unambiguously (numbers and strings are tagged, so `rng(1)` and
 * `rng('1')` differ, and strings are length-prefixed), hashed to 128 bits with cyrb128, and the
 * hash seeds a xoshiro128** generator (period 2^128 − 1). Pure TypeScript, no dependencies.
 */

export type RngKey = number | string;

export interface Rng {
  /** Next raw 32-bit unsigned integer. */
  uint32(): number;
  /** Float in [0, 1) with 32 bits of resolution. */
  next(): number;
  /** Unbiased integer in [0, n) for a positive integer n ≤ 2^53 (rejection sampling). */
  int(n: number): number;
  /**
   * Fisher–Yates shuffle of `arr` IN PLACE; returns `arr`. Runs forward (position i swaps with a
   * uniform j in [i, n)), so `shuffle([...a])` equals `sample(a, a.length)` from the same stream.
   */
  shuffle<T>(arr: T[]): T[];
  /**
   * k distinct elements of `arr` in random order, without modifying `arr` (partial Fisher–Yates).
   * From the same stream, `sample(a, k)` is a prefix of `sample(a, k + 1)`.
   */
  sample<T>(arr: readonly T[], k: number): T[];
}

/** Unambiguous text form of a key tuple. */
function serialise(keys: RngKey[]): string {
  return keys
    .map((k) => {
      if (typeof k === 'number') {
        if (!Number.isFinite(k)) throw new TypeError(`rng key must be a finite number or a string, got ${k}`);
        return `n${String(k)}`;
      }
      if (typeof k === 'string') return `s${k.length}:${k}`;
      throw new TypeError(`rng key must be a number or a string, got ${typeof k}`);
    })
    .join('|');
}

/** cyrb128: a fast, well-mixed 128-bit string hash (public domain, bryc). */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const TWO_32 = 4294967296;

/** A stream determined entirely by `keys`, e.g. `rng(seed, stage, 'mask')`. */
export function rng(...keys: RngKey[]): Rng {
  let [a, b, c, d] = cyrb128(serialise(keys));
  if ((a | b | c | d) === 0) a = 1; // xoshiro's one forbidden state

  const uint32 = (): number => {
    // xoshiro128** (Blackman & Vigna)
    const t = b << 9;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 53) {
      throw new RangeError(`rng.int: n must be a positive integer ≤ 2^53, got ${n}`);
    }
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n); // largest multiple of n that fits: reject above it
      for (;;) {
        const u = uint32();
        if (u < limit) return u % n;
      }
    }
    // n > 2^32: 53-bit float; the bias is below 2^-20 and irrelevant for our sizes.
    const hi = uint32() >>> 11; // 21 bits
    const lo = uint32(); // 32 bits
    return Math.floor(((hi * TWO_32 + lo) / 2 ** 53) * n);
  };

  const shuffle = <T>(arr: T[]): T[] => {
    for (let i = 0; i < arr.length - 1; i++) {
      const j = i + int(arr.length - i);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  };

  const sample = <T>(arr: readonly T[], k: number): T[] => {
    if (!Number.isInteger(k) || k < 0 || k > arr.length) {
      throw new RangeError(`rng.sample: k must be an integer in [0, ${arr.length}], got ${k}`);
    }
    const copy = arr.slice();
    for (let i = 0; i < k && i < copy.length - 1; i++) {
      const j = i + int(copy.length - i);
      const tmp = copy[i];
      copy[i] = copy[j];
      copy[j] = tmp;
    }
    return copy.slice(0, k);
  };

  return { uint32, next: () => uint32() / TWO_32, int, shuffle, sample };
}

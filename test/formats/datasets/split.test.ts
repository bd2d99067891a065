/** The deterministic train/eval split: same input, same split; sizes; fairness across seeds. */
import { describe, expect, it } from 'vitest';
import { splitRows } from '../../../src-main/formats/datasets/index.js';
import { evalCount, splitKey } from '../../../src-main/formats/datasets/split.js';

const rows = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('splitRows', () => {
  it('is a pure function of (rows, fraction, max, seed), keeps file order and loses no row', () => {
    const a = splitRows(rows(100), { evalFraction: 0.1, seed: 7 });
    const b = splitRows(rows(100), { evalFraction: 0.1, seed: 7 });
    expect(a).toEqual(b);
    expect(a.eval).toHaveLength(10);
    expect([...a.train, ...a.eval].sort((x, y) => x - y)).toEqual(rows(100));
    expect(a.train).toEqual([...a.train].sort((x, y) => x - y));
    expect(a.eval).toEqual([...a.eval].sort((x, y) => x - y));
    // Not just the first or last rows.
    expect(a.eval).not.toEqual(rows(10));
    expect(a.eval).not.toEqual(rows(100).slice(90));
  });

  it('draws another split for another seed, the high bits of the seed included', () => {
    const at = (seed: number): number[] => splitRows(rows(50), { evalFraction: 0.2, seed }).eval;
    expect(at(1)).not.toEqual(at(2));
    expect(at(1)).not.toEqual(at(1 + 2 ** 32));
    expect(splitKey(1, 0)).not.toBe(splitKey(1 + 2 ** 32, 0));
  });

  it('holds out at least one row from 2 rows up, at most maxEval, and never all rows', () => {
    expect(splitRows(rows(1), { evalFraction: 0.5, seed: 1 })).toEqual({ train: [0], eval: [] });
    expect(splitRows(rows(2), { evalFraction: 0.01, seed: 1 }).eval).toHaveLength(1);
    expect(splitRows(rows(2), { evalFraction: 0.01, seed: 1 }).train).toHaveLength(1);
    expect(splitRows(rows(10), { evalFraction: 0, seed: 1 }).eval).toEqual([]);
    expect(splitRows(rows(1000), { evalFraction: 0.5, maxEval: 3, seed: 1 }).eval).toHaveLength(3);
    expect(splitRows(rows(3), { evalFraction: 0.99, seed: 1 }).train).toHaveLength(1);
    expect(evalCount(10, 0.25)).toBe(3); // round(2.5) = 3
    expect(evalCount(10, 0.5, 0)).toBe(0);
  });

  it('gives every row about the same chance of eval over many seeds', () => {
    const hits = new Array<number>(10).fill(0);
    const seeds = 4000;
    for (let seed = 0; seed < seeds; seed++) for (const i of splitRows(rows(10), { evalFraction: 0.2, seed }).eval) hits[i]++;
    // Expected 0.2 each; binomial sd over 4000 draws is about 0.006.
    for (const h of hits) expect(Math.abs(h / seeds - 0.2)).toBeLessThan(0.03);
  });

  it('refuses settings outside their range', () => {
    expect(() => splitRows(rows(3), { evalFraction: 1, seed: 1 })).toThrow(/evalFraction must be in \[0, 1\)/);
    expect(() => splitRows(rows(3), { evalFraction: 0.1, seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => splitRows(rows(3), { evalFraction: 0.1, maxEval: -1, seed: 1 })).toThrow(/maxEval/);
  });
});

/** The CLI's one-line error text, and its suggestion when memory ran out. */
import { expect, it } from 'vitest';
import { explain } from '../../src-main/cli/explain.js';

it('keeps only the first line of an error', () => {
  expect(explain(new Error('bad thing\n    at stack'))).toBe('bad thing');
  expect(explain('plain string')).toBe('plain string');
});

it('suggests a fix when memory ran out', () => {
  for (const m of ['Cannot enlarge memory arrays', 'RangeError: Array buffer allocation failed', 'Aborted(OOM)', 'CUDA out of memory']) {
    expect(explain(new Error(m))).toMatch(/^out of memory \(.*\): try a smaller --batch-size/);
  }
});

/**
 * A trainer failure is sorted into what the user can do about it.
 */
import { describe, expect, it } from 'vitest';
import { errorKind } from '../../src-main/trainer/error-kind.js';

const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('errorKind', () => {
  it('recognises running out of memory on every backend', () => {
    for (const m of ['Aborted(OOM)', 'Cannot enlarge memory arrays', 'Array buffer allocation failed', 'CUDA error: out of memory', 'failed to allocate buffer']) {
      expect(errorKind(new Error(m)), m).toBe('out-of-memory');
    }
  });

  it('tells bad data and unusable models from our own bugs', () => {
    expect(errorKind(named('DatasetError', 'a.jsonl:3: missing field "output"'))).toBe('data');
    for (const n of ['ModelLoadError', 'ConfigError', 'TokenizerError', 'SafetensorsError', 'CheckpointError']) expect(errorKind(named(n, 'x')), n).toBe('model');
    expect(errorKind(new TypeError('x is undefined'))).toBe('internal');
    expect(errorKind('a thrown string')).toBe('internal');
  });
});

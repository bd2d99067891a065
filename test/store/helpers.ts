/**
 * Shared fixtures for the store tests: a temp folder per test file, a stepping clock, and
 * sample rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openStore, type NewRun, type OpenStoreOptions, type Store } from '../../src-main/store/index.js';

/** A fresh temp folder for this test file, removed after its tests. */
export function tempFolder(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return () => join(root, `db${n++}`, 'hft.db');
}

/** A clock that moves one second forward per reading, from 2024-01-01T00:00:00Z. */
export function steppingClock(): () => number {
  let t = Date.UTC(2024, 0, 1);
  return () => (t += 1000);
}

/** Opens a store on a new file with a stepping clock; the caller closes it. */
export function freshStore(nextFile: () => string, options: OpenStoreOptions = {}): Store {
  return openStore(nextFile(), { now: steppingClock(), ...options });
}

export function sampleRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    name: `run ${id}`,
    planJson: JSON.stringify({ tasks: ['a', 'b'], id }),
    modelPath: '/models/tiny-llama',
    strategy: 'category',
    ratio: 0.5,
    seed: 42,
    totalSteps: 20,
    ...overrides,
  };
}

export const SHA_A = 'a'.repeat(64);
export const SHA_B = '0123456789abcdef'.repeat(4);

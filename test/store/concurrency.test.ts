/**
 * WAL in practice: a second connection (the UI, `hft runs`) reads while the training run's
 * connection writes, without waiting on it and without seeing uncommitted rows. The snapshot
 * test is the one only WAL passes: in rollback-journal mode the writer's commit must wait for
 * the open reader and fails with SQLITE_BUSY after the 5 s busy timeout.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type MetricInput, type Store } from '../../src-main/store/index.js';
import { sampleRun, tempFolder } from './helpers.js';

const nextFile = tempFolder('store-wal');
let writer: Store;
let reader: Store;
beforeEach(() => {
  const file = nextFile();
  writer = openStore(file);
  writer.runs.create(sampleRun('r'));
  reader = openStore(file);
});
afterEach(() => {
  reader.close();
  writer.close();
});

const rows = (from: number, to: number): MetricInput[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ step: from + i, stage: 0, loss: 1, lr: 1, gradNorm: 1, tokens: 1, ms: 1, tokensPerS: 1 }));

describe('a second connection under WAL', () => {
  it('reads committed data while the writer holds an open write transaction', () => {
    writer.metrics.upsertMany('r', rows(1, 10));
    writer.transaction(() => {
      writer.metrics.upsertMany('r', rows(11, 20)); // written, not yet committed
      const t0 = performance.now();
      expect(reader.metrics.count('r')).toBe(10);
      expect(reader.metrics.lastStep('r')).toBe(10);
      expect(performance.now() - t0).toBeLessThan(1000); // did not sit in the busy timeout
    });
    expect(reader.metrics.count('r')).toBe(20);
  });

  it('keeps a reader’s snapshot stable while the writer commits underneath it', () => {
    writer.metrics.upsertMany('r', rows(1, 5));
    const seen = reader.transaction(() => {
      const before = reader.metrics.count('r'); // starts the read snapshot
      writer.metrics.upsertMany('r', rows(6, 8)); // commits: needs WAL while a reader is open
      writer.runs.setStatus('r', 'running');
      return { before, during: reader.metrics.count('r'), status: reader.runs.get('r')?.status };
    });
    expect(seen).toEqual({ before: 5, during: 5, status: 'queued' });
    expect(reader.metrics.count('r')).toBe(8);
    expect(reader.runs.get('r')?.status).toBe('running');
  });
});

/**
 * Runs and stages repositories: round trips, lifecycle timestamps, newest-first listing, the
 * status CHECK constraint, and the cascade when a run is deleted.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError, type Store } from '../../src-main/store/index.js';
import { freshStore, sampleRun, SHA_A, SHA_B, tempFolder } from './helpers.js';

const nextFile = tempFolder('store-runs');
let store: Store;
beforeEach(() => {
  store = freshStore(nextFile);
});
afterEach(() => store.close());

// The stepping clock starts at 2024-01-01T00:00:00Z and moves 1 s per reading.
const at = (s: number) => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();

describe('runs', () => {
  it('round-trips every field of a new run, queued, with nulls for what is not known yet', () => {
    const input = sampleRun('r1', { ratio: 0.25, seed: 7, totalSteps: 123, strategy: 'matrix' });
    const created = store.runs.create(input);
    expect(created).toEqual({
      ...input,
      status: 'queued',
      backend: null,
      error: null,
      op: null,
      bwt: null,
      createdAt: at(1),
      updatedAt: at(1),
      finishedAt: null,
    });
    expect(store.runs.get('r1')).toEqual(created);
    expect(store.runs.get('missing')).toBeNull();
  });

  it('refuses a second run with the same id', () => {
    store.runs.create(sampleRun('dup'));
    expect(() => store.runs.create(sampleRun('dup'))).toThrow(/UNIQUE|PRIMARY KEY/);
  });

  it('lists newest first, with op and bwt', () => {
    store.runs.create(sampleRun('old'));
    store.runs.create(sampleRun('mid'));
    store.runs.create(sampleRun('new'));
    store.runs.setResult('mid', { op: 51.3, bwt: -5.6 });
    const list = store.runs.list();
    expect(list.map((r) => r.id)).toEqual(['new', 'mid', 'old']);
    expect(list[1]).toMatchObject({ op: 51.3, bwt: -5.6 });
    expect(list[0]).toMatchObject({ op: null, bwt: null });
  });

  it('breaks a created_at tie by insertion order (later first)', () => {
    const frozen = freshStore(nextFile, { now: () => Date.UTC(2024, 5, 1) });
    for (const id of ['b', 'a', 'c']) frozen.runs.create(sampleRun(id));
    expect(frozen.runs.list().map((r) => r.id)).toEqual(['c', 'a', 'b']);
    frozen.close();
  });

  it('setStatus stamps updated_at, records errors, and sets finished_at only for done/failed', () => {
    store.runs.create(sampleRun('r')); // t=1
    store.runs.setStatus('r', 'running'); // t=2
    expect(store.runs.get('r')).toMatchObject({ status: 'running', error: null, updatedAt: at(2), finishedAt: null });
    store.runs.setStatus('r', 'failed', 'out of GPU memory'); // t=3
    expect(store.runs.get('r')).toMatchObject({ status: 'failed', error: 'out of GPU memory', updatedAt: at(3), finishedAt: at(3) });
    store.runs.setStatus('r', 'running'); // resumed: t=4
    expect(store.runs.get('r')).toMatchObject({ status: 'running', error: null, finishedAt: null });
    store.runs.setStatus('r', 'paused'); // t=5
    expect(store.runs.get('r')).toMatchObject({ status: 'paused', finishedAt: null });
    store.runs.setStatus('r', 'done'); // t=6
    expect(store.runs.get('r')).toMatchObject({ status: 'done', updatedAt: at(6), finishedAt: at(6), createdAt: at(1) });
  });

  it('setBackend and setResult update the row and updated_at', () => {
    store.runs.create(sampleRun('r'));
    store.runs.setBackend('r', 'wasm');
    store.runs.setResult('r', { op: 0.75, bwt: null });
    expect(store.runs.get('r')).toMatchObject({ backend: 'wasm', op: 0.75, bwt: null, updatedAt: at(3) });
  });

  it('updates on a missing run throw NOT_FOUND naming the file and the run', () => {
    for (const update of [
      () => store.runs.setStatus('ghost', 'running'),
      () => store.runs.setBackend('ghost', 'cpu'),
      () => store.runs.setResult('ghost', { op: 1, bwt: 0 }),
    ]) {
      expect(update).toThrow(StoreError);
      expect(update).toThrow(`${store.file}: there is no run "ghost"`);
    }
  });

  it('the CHECK constraint rejects a status outside the five, through the repo and through raw SQL', () => {
    store.runs.create(sampleRun('r'));
    const bogus = 'exploded' as unknown as 'done';
    expect(() => store.runs.setStatus('r', bogus)).toThrow(/CHECK constraint failed/);
    const raw = new Database(store.file);
    expect(() => raw.prepare("UPDATE runs SET status = 'Done' WHERE id = 'r'").run()).toThrow(
      expect.objectContaining({ code: 'SQLITE_CONSTRAINT_CHECK' }),
    );
    raw.close();
    expect(store.runs.get('r')?.status).toBe('queued');
  });

  it('remove deletes the run and cascades to stages, metrics, evals, checkpoints and exports', () => {
    for (const id of ['gone', 'kept']) {
      store.runs.create(sampleRun(id));
      store.stages.insertPlanned(id, [{ taskName: 'a', datasetSha256: SHA_A, steps: 2 }]);
      store.metrics.upsertMany(id, [{ step: 1, stage: 0, loss: 2, lr: 1e-3, gradNorm: 1, tokens: 10, ms: 5, tokensPerS: 2000 }]);
      store.evals.upsert(id, { afterStage: 0, task: 0, loss: 1.5, accuracy: 0.5, examples: 4 });
      store.checkpoints.add(id, { stage: 0, step: 1, path: `/ck/${id}`, manifestSha256: SHA_B, stageEnd: true });
    }
    const raw = new Database(store.file);
    raw.prepare("INSERT INTO exports (run_id, path, format, merge, created_at) VALUES ('gone', '/x', 'safetensors', 'none', 'now')").run();
    const count = (table: string, id: string) => raw.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(id);
    const tables = ['stages', 'metrics', 'evals', 'checkpoints'];
    expect(tables.map((t) => count(t, 'gone'))).toEqual([1, 1, 1, 1]);

    expect(store.runs.remove('gone')).toBe(true);
    expect(store.runs.remove('gone')).toBe(false);
    expect(store.runs.get('gone')).toBeNull();
    expect([...tables, 'exports'].map((t) => count(t, 'gone'))).toEqual([0, 0, 0, 0, 0]);
    expect(tables.map((t) => count(t, 'kept'))).toEqual([1, 1, 1, 1]);
    raw.close();
  });
});

describe('stages', () => {
  const plan = [
    { taskName: 'summarize', datasetSha256: SHA_A, steps: 10 },
    { taskName: 'translate', datasetSha256: SHA_B, steps: 15 },
  ];

  it('insertPlanned numbers stages from 0 in plan order, all pending', () => {
    store.runs.create(sampleRun('r'));
    store.stages.insertPlanned('r', plan);
    expect(store.stages.list('r')).toEqual(
      plan.map((p, idx) => ({ ...p, runId: 'r', idx, maskJson: null, status: 'pending', startedAt: null, finishedAt: null })),
    );
    expect(store.stages.list('other')).toEqual([]);
  });

  it('start records the mask and keeps the first start time on a resume; finish marks done', () => {
    store.runs.create(sampleRun('r')); // t=1
    store.stages.insertPlanned('r', plan);
    store.stages.start('r', 0, '{"trainable":["a"]}'); // t=2
    expect(store.stages.get('r', 0)).toMatchObject({ status: 'running', maskJson: '{"trainable":["a"]}', startedAt: at(2), finishedAt: null });
    store.stages.start('r', 0, '{"trainable":["b"]}'); // resumed, t=3
    expect(store.stages.get('r', 0)).toMatchObject({ status: 'running', maskJson: '{"trainable":["b"]}', startedAt: at(2) });
    store.stages.finish('r', 0); // t=4
    expect(store.stages.get('r', 0)).toMatchObject({ status: 'done', startedAt: at(2), finishedAt: at(4) });
    expect(store.stages.get('r', 1)?.status).toBe('pending');
    expect(store.stages.get('r', 9)).toBeNull();
  });

  it('start/finish on a stage that does not exist throw NOT_FOUND', () => {
    store.runs.create(sampleRun('r'));
    store.stages.insertPlanned('r', plan);
    expect(() => store.stages.start('r', 2, '{}')).toThrow(`${store.file}: run "r" has no stage 2`);
    expect(() => store.stages.finish('nope', 0)).toThrow(StoreError);
  });

  it('insertPlanned is all or nothing', () => {
    store.runs.create(sampleRun('r'));
    const bad = [plan[0], { taskName: 'broken', datasetSha256: 'not-a-sha', steps: 1 }];
    expect(() => store.stages.insertPlanned('r', bad)).toThrow(/CHECK constraint failed/);
    expect(store.stages.list('r')).toEqual([]);
  });
});

describe('store.transaction', () => {
  it('commits work across repositories together and returns fn’s value', () => {
    const n = store.transaction(() => {
      store.runs.create(sampleRun('t'));
      store.stages.insertPlanned('t', [{ taskName: 'a', datasetSha256: SHA_A, steps: 1 }]);
      return 7;
    });
    expect(n).toBe(7);
    expect(store.stages.list('t')).toHaveLength(1);
  });

  it('rolls everything back when fn throws, nested repo transactions included', () => {
    expect(() =>
      store.transaction(() => {
        store.runs.create(sampleRun('t'));
        store.metrics.upsertMany('t', [{ step: 1, stage: 0, loss: 1, lr: 1, gradNorm: 1, tokens: 1, ms: 1, tokensPerS: 1 }]);
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(store.runs.get('t')).toBeNull();
    expect(store.metrics.count('t')).toBe(0);
  });
});

/** Models and datasets repositories: round trips, uniqueness by folder / by content hash. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src-main/store/index.js';
import { freshStore, SHA_A, SHA_B, tempFolder } from './helpers.js';

const nextFile = tempFolder('store-models');
let store: Store;
beforeEach(() => {
  store = freshStore(nextFile);
});
afterEach(() => store.close());

const at = (s: number) => new Date(Date.UTC(2024, 0, 1) + s * 1000).toISOString();

describe('models', () => {
  const tiny = { path: '/models/tiny', name: 'Tiny', architecture: 'llama', params: 4_300_000 };

  it('round-trips a model; get, getByPath, list newest first, remove', () => {
    const a = store.models.upsert(tiny);
    const b = store.models.upsert({ path: '/models/qwen', name: 'Qwen', architecture: 'qwen2', params: 494_032_768 });
    expect(a).toEqual({ ...tiny, id: a.id, createdAt: at(1) });
    expect(store.models.get(a.id)).toEqual(a);
    expect(store.models.getByPath('/models/qwen')).toEqual(b);
    expect(store.models.getByPath('/elsewhere')).toBeNull();
    expect(store.models.list().map((m) => m.path)).toEqual(['/models/qwen', '/models/tiny']);
    expect(store.models.remove(a.id)).toBe(true);
    expect(store.models.remove(a.id)).toBe(false);
    expect(store.models.get(a.id)).toBeNull();
  });

  it('importing the same folder again updates it in place (same id and createdAt)', () => {
    const first = store.models.upsert(tiny);
    const again = store.models.upsert({ ...tiny, name: 'Tiny v2', params: 5 });
    expect(again).toEqual({ ...first, name: 'Tiny v2', params: 5 });
    expect(store.models.list()).toHaveLength(1);
  });
});

describe('datasets', () => {
  const alpaca = { sha256: SHA_A, name: 'recipes', format: 'alpaca', rows: 120, path: `/data/datasets/${SHA_A}`, sourcePath: '/home/u/recipes.jsonl', bytes: 48_213 };

  it('round-trips a dataset; get, getBySha256, list newest first, remove', () => {
    const a = store.datasets.add(alpaca);
    const b = store.datasets.add({ ...alpaca, sha256: SHA_B, name: 'chats', format: 'messages', path: `/data/datasets/${SHA_B}` });
    expect(a).toEqual({ ...alpaca, id: a.id, createdAt: at(1) });
    expect(store.datasets.get(a.id)).toEqual(a);
    expect(store.datasets.getBySha256(SHA_B)).toEqual(b);
    expect(store.datasets.getBySha256('f'.repeat(64))).toBeNull();
    expect(store.datasets.list().map((d) => d.name)).toEqual(['chats', 'recipes']);
    expect(store.datasets.remove(b.id)).toBe(true);
    expect(store.datasets.list().map((d) => d.name)).toEqual(['recipes']);
  });

  it('the same content imported twice is one dataset: the first record comes back unchanged', () => {
    const first = store.datasets.add(alpaca);
    const again = store.datasets.add({ ...alpaca, name: 'recipes copy', sourcePath: '/tmp/other.jsonl' });
    expect(again).toEqual(first);
    expect(store.datasets.list()).toHaveLength(1);
  });

  it('refuses a sha256 that is not 64 lowercase hex digits', () => {
    for (const sha256 of ['abc', SHA_A.toUpperCase(), `${'g'.repeat(64)}`, `${SHA_A}0`]) {
      expect(() => store.datasets.add({ ...alpaca, sha256 }), sha256).toThrow(/CHECK constraint failed/);
    }
  });
});

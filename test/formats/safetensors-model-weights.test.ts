/**
 * Hugging Face model folders: single `model.safetensors` vs shards + `model.safetensors.index.json`,
 * written like huggingface_hub / transformers write them, and every way a folder can be broken.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openModelWeights,
  writeModelWeights,
  writeSafetensors,
  type TensorToWrite,
} from '../../src-main/formats/safetensors/index.js';
import { errorCodeOf } from './safetensors-error-code.js';

const root = mkdtempSync(join(tmpdir(), 'st-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const tmpDir = () => {
  const d = join(root, `d${counter++}`);
  mkdirSync(d);
  return d;
};

describe('model folders', () => {
  const tensors = (): TensorToWrite[] => [
    { name: 'model.embed_tokens.weight', shape: [8, 4], data: new Float32Array(32).map((_, i) => i) },
    { name: 'model.layers.0.self_attn.q_proj.weight', shape: [4, 4], data: () => new Float32Array(16).fill(0.5) },
    { name: 'model.norm.weight', shape: [4], data: new Float32Array([1, 2, 3, 4]) },
    { name: 'lm_head.weight', shape: [8, 4], data: new Float32Array(32).fill(-1) },
  ];

  it('writes one model.safetensors when it fits, with format=pt metadata', () => {
    const d = tmpDir();
    const { files } = writeModelWeights(d, tensors(), { metadata: { note: 'hi' } });
    expect(files).toEqual([join(d, 'model.safetensors')]);
    const w = openModelWeights(d);
    expect(w.files).toEqual(files);
    expect(w.metadata).toEqual({ format: 'pt', note: 'hi' });
    expect(w.names()).toEqual(tensors().map((t) => t.name));
    expect(Array.from(w.readFloat32('model.norm.weight'))).toEqual([1, 2, 3, 4]);
    w.close();
  });

  it('shards like huggingface_hub, with an index like save_pretrained, and reads it back', () => {
    const d = tmpDir();
    // BF16 sizes: 64, 32, 8, 64 bytes. Limit 70: [embed] [q_proj, norm] [lm_head].
    const { files } = writeModelWeights(d, tensors(), { dtype: 'BF16', maxShardBytes: 70 });
    const shardNames = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
    expect(files).toEqual([...shardNames, 'model.safetensors.index.json'].map((f) => join(d, f)));
    const indexText = readFileSync(join(d, 'model.safetensors.index.json'), 'utf8');
    expect(indexText).toBe(`${JSON.stringify({
      metadata: { total_size: 168 },
      weight_map: {
        'lm_head.weight': shardNames[2],
        'model.embed_tokens.weight': shardNames[0],
        'model.layers.0.self_attn.q_proj.weight': shardNames[1],
        'model.norm.weight': shardNames[1],
      },
    }, null, 2)}\n`);
    const w = openModelWeights(d);
    expect(w.files).toEqual(shardNames.map((f) => join(d, f)));
    expect(w.metadata).toEqual({ format: 'pt', total_size: '168' });
    expect(w.names()).toEqual(tensors().map((t) => t.name));
    expect(w.info('lm_head.weight')).toMatchObject({ dtype: 'BF16', shape: [8, 4] });
    expect(Array.from(w.readFloat32('model.embed_tokens.weight'))).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(Array.from(w.readFloat32('model.layers.0.self_attn.q_proj.weight'))).toEqual(new Array(16).fill(0.5));
    expect(errorCodeOf(() => w.readFloat32('nope'))).toBe('TENSOR_NOT_FOUND');
    w.close();
  });

  it('a tensor larger than the limit gets a shard of its own, before the current one', () => {
    const d = tmpDir();
    writeModelWeights(d, [
      { name: 'a', shape: [2], data: new Float32Array(2) },
      { name: 'big', shape: [100], data: new Float32Array(100) },
      { name: 'b', shape: [2], data: new Float32Array(2) },
    ], { maxShardBytes: 64 });
    const index = JSON.parse(readFileSync(join(d, 'model.safetensors.index.json'), 'utf8'));
    expect(index.weight_map).toEqual({ a: 'model-00002-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', big: 'model-00001-of-00002.safetensors' });
    openModelWeights(d).close();
  });

  it('a new save removes the other layout left by an earlier one', () => {
    const d = tmpDir();
    writeModelWeights(d, tensors(), { maxShardBytes: 100 });
    expect(readdirSync(d).filter((f) => f.startsWith('model')).length).toBeGreaterThan(2);
    writeModelWeights(d, tensors());
    expect(readdirSync(d).sort()).toEqual(['model.safetensors']);
    writeModelWeights(d, tensors(), { maxShardBytes: 200 });
    expect(readdirSync(d).includes('model.safetensors')).toBe(false);
    const w = openModelWeights(d);
    expect(w.names().length).toBe(4);
    w.close();
  });

  describe('validation of a sharded folder', () => {
    const sharded = () => {
      const d = tmpDir();
      writeModelWeights(d, tensors(), { maxShardBytes: 150 });
      const index = JSON.parse(readFileSync(join(d, 'model.safetensors.index.json'), 'utf8'));
      return { d, index, save: (ix: unknown) => writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify(ix)) };
    };

    it('neither file -> MISSING_WEIGHTS', () => {
      expect(errorCodeOf(() => openModelWeights(tmpDir()))).toBe('MISSING_WEIGHTS');
      expect(errorCodeOf(() => openModelWeights(join(root, 'missing-dir')))).toBe('MISSING_WEIGHTS');
    });

    it('a missing shard -> MISSING_SHARD', () => {
      const { d } = sharded();
      rmSync(join(d, 'model-00002-of-00003.safetensors'));
      expect(errorCodeOf(() => openModelWeights(d))).toBe('MISSING_SHARD');
    });

    it('weight_map naming the wrong shard -> INDEX_MISMATCH', () => {
      const { d, index, save } = sharded();
      index.weight_map['model.norm.weight'] = 'model-00001-of-00003.safetensors';
      save(index);
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INDEX_MISMATCH');
    });

    it('a tensor missing from weight_map -> INDEX_MISMATCH', () => {
      const { d, index, save } = sharded();
      delete index.weight_map['model.norm.weight'];
      save(index);
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INDEX_MISMATCH');
    });

    it('a whole shard of the -of-N series missing from weight_map -> INDEX_MISMATCH', () => {
      const { d, index, save } = sharded();
      delete index.weight_map['lm_head.weight']; // the only tensor of shard 3 of 3
      save(index);
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INDEX_MISMATCH');
    });

    it('weight_map listing a tensor no shard has -> INDEX_MISMATCH', () => {
      const { d, index, save } = sharded();
      index.weight_map['ghost'] = 'model-00001-of-00003.safetensors';
      save(index);
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INDEX_MISMATCH');
    });

    it('the same tensor in two shards -> DUPLICATE_TENSOR', () => {
      const { d } = sharded();
      writeSafetensors(join(d, 'model-00003-of-00003.safetensors'), [
        { name: 'lm_head.weight', shape: [8, 4], data: new Float32Array(32) },
        { name: 'model.norm.weight', shape: [4], data: new Float32Array(4) },
      ]);
      expect(errorCodeOf(() => openModelWeights(d))).toBe('DUPLICATE_TENSOR');
    });

    it('an unreadable or ill-shaped index, or a shard path leaving the folder -> INVALID_INDEX', () => {
      const { d, index, save } = sharded();
      writeFileSync(join(d, 'model.safetensors.index.json'), '{"weight_map": ');
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INVALID_INDEX');
      save({ metadata: {} });
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INVALID_INDEX');
      save({ ...index, weight_map: { ...index.weight_map, x: '../model-00001-of-00003.safetensors' } });
      expect(errorCodeOf(() => openModelWeights(d))).toBe('INVALID_INDEX');
    });

    it('a corrupt shard reports the shard file', () => {
      const { d } = sharded();
      const shard = join(d, 'model-00001-of-00003.safetensors');
      writeFileSync(shard, readFileSync(shard).subarray(0, 30));
      try {
        openModelWeights(d);
        expect.unreachable();
      } catch (e) {
        expect(e).toMatchObject({ code: 'INVALID_HEADER_LENGTH', file: shard });
      }
    });
  });
});

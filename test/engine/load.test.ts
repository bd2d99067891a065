/**
 * saveModel -> loadModel round trips: bit-identical in F32 (single file and sharded fixtures),
 * BF16/F16 saves equal the rounding of the values, config.json keeps the source's fields with
 * torch_dtype set to the stored dtype, tokenizer files are copied, no tensor is leaked.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel, saveModel } from '../../src-main/engine/load.js';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { openModelWeights } from '../../src-main/formats/safetensors/index.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/engine');

const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);

describe('saveModel / loadModel', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'hft-save-'));
    await initBackend('cpu');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(['llama-mha', 'llama-gqa4-sharded', 'qwen2-bias', 'mistral-bf16'])('round-trips %s bit-identically in F32', async (name) => {
    const before = tf.memory().numTensors;
    const src = join(FIXTURES, name);
    const a = loadModel(src);
    const out = join(tmp, `${name}-f32`);
    await saveModel(out, a.cfg, a.params, { srcDir: src });
    const b = loadModel(out);
    expect(Object.keys(b.params)).toEqual(paramSpecs(a.cfg).map((s) => s.name));
    for (const [n, t] of Object.entries(a.params)) {
      expect(b.params[n].shape).toEqual(t.shape);
      expect(bits(b.params[n])).toEqual(bits(t));
    }
    const w = openModelWeights(out);
    expect(w.metadata.format).toBe('pt');
    expect(new Set(w.names().map((n) => w.info(n).dtype))).toEqual(new Set(['F32']));
    w.close();
    const srcRaw = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
    const outRaw = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(outRaw).toEqual({ ...srcRaw, torch_dtype: 'float32' });
    tf.dispose([...Object.values(a.params), ...Object.values(b.params)]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(['BF16', 'F16'] as const)('saves %s as the rounded values and back to float32 on load', async (dtype) => {
    const src = join(FIXTURES, 'llama-mqa-f16');
    const a = loadModel(src);
    const out = join(tmp, `mqa-${dtype}`);
    await saveModel(out, a.cfg, a.params, { dtype, metadata: { hft_stage: '1' } });
    const w = openModelWeights(out);
    expect(w.info('model.norm.weight').dtype).toBe(dtype);
    expect(w.metadata).toMatchObject({ format: 'pt', hft_stage: '1' });
    w.close();
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype).toBe(dtype === 'BF16' ? 'bfloat16' : 'float16');
    const b = loadModel(out);
    for (const [n, t] of Object.entries(a.params)) {
      const x = t.dataSync() as Float32Array;
      const y = b.params[n].dataSync() as Float32Array;
      for (let i = 0; i < x.length; i++) {
        // F16 source values survive F16 exactly; BF16 keeps 8 significant bits (rel. error <= 2^-8 after rounding).
        if (dtype === 'F16') expect(y[i]).toBe(x[i]);
        else expect(Math.abs(y[i] - x[i])).toBeLessThanOrEqual(Math.abs(x[i]) * 2 ** -8);
      }
    }
    tf.dispose([...Object.values(a.params), ...Object.values(b.params)]);
  });

  it('copies the tokenizer files from srcDir and nothing else', async () => {
    const src = join(tmp, 'with-tokenizer');
    const a = loadModel(join(FIXTURES, 'llama-small-eps'));
    await saveModel(src, a.cfg, a.params);
    writeFileSync(join(src, 'tokenizer.json'), '{"model":{}}');
    writeFileSync(join(src, 'tokenizer_config.json'), '{"chat_template":"x"}');
    writeFileSync(join(src, 'notes.txt'), 'not copied');
    const out = join(tmp, 'copied');
    await saveModel(out, a.cfg, a.params, { srcDir: src });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).toBe('{"chat_template":"x"}');
    const w = openModelWeights(out);
    expect(w.names()).not.toContain('lm_head.weight'); // tied: the head is the embedding, as HF saves it
    w.close();
    await saveModel(src, a.cfg, a.params, { srcDir: src }); // saving over its own source is fine
    tf.dispose(Object.values(a.params));
  });

  it('refuses to save a parameter map that does not match the config', async () => {
    const a = loadModel(join(FIXTURES, 'llama-small-eps'));
    const wrong = { ...a.params, 'model.norm.weight': tf.zeros([3]) };
    await expect(saveModel(join(tmp, 'bad'), a.cfg, wrong)).rejects.toThrow(/"model\.norm\.weight" is float32 \[3\], expected float32 \[16\]/);
    const missing = { ...a.params };
    delete missing['model.norm.weight'];
    await expect(saveModel(join(tmp, 'bad'), a.cfg, missing)).rejects.toThrow(/"model\.norm\.weight" is missing/);
    tf.dispose([...Object.values(a.params), wrong['model.norm.weight']]);
  });
});

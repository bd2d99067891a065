/**
 * The sample model through our own stack (tokenizer, dataset readers, engine, greedy evaluation)
 * knows what its PyTorch pretraining taught it: the probe's facts (32/32 by greedy decoding in
 * PyTorch, resources/sample-src/make_sample.py), and none of the three tasks yet.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel } from '../../src-main/engine/load.js';
import { loadDataset } from '../../src-main/formats/datasets/index.js';
import { loadTokenizer } from '../../src-main/formats/tokenizer/index.js';
import { evaluateSet } from '../../src-main/trainer/evaluate.js';

const SAMPLE = fileURLToPath(new URL('../../resources/sample/', import.meta.url));

describe('the sample model in our engine', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('answers the knowledge probe and not yet the tasks', async () => {
    const tokenizer = loadTokenizer(SAMPLE);
    const { cfg, params } = loadModel(SAMPLE);
    try {
      const score = async (file: string, n: number) => {
        const rows = loadDataset(SAMPLE + file, tokenizer, { maxLength: 64, vocabSize: cfg.vocabSize }).rows.slice(0, n);
        return evaluateSet(cfg, params, tokenizer, rows, { maxNewTokens: 12, batchSize: 16 });
      };
      const probe = await score('probe.jsonl', 32);
      expect(probe.examples).toBe(32);
      expect(probe.accuracy).toBeGreaterThanOrEqual(0.9);
      for (const task of ['task1-reverse.jsonl', 'task2-add.json', 'task3-colour-codes.csv']) {
        const r = await score(task, 16);
        expect(r.accuracy, task).toBeLessThanOrEqual(0.2);
        expect(r.loss, task).toBeGreaterThan(probe.loss);
      }
    } finally {
      tf.dispose(Object.values(params));
    }
  });
});

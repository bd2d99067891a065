/**
 * `hft score`: a model's causal-LM loss on a tokenized dataset, per example and token-weighted overall.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend.js';
import { loadModel } from '../../engine/load.js';
import { lossAndTokens } from '../../engine/model.js';
import { readTokenizedJsonl } from '../../formats/datasets/tokenized.js';
import { readHfConfig } from '../../formats/hf-config.js';
import { parseFlags, required } from '../args.js';
import { emit } from '../output.js';
import { progressBar } from '../progress.js';

export async function score(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const modelDir = required(values.model, '--model');
  const config = readHfConfig(modelDir);
  const rows = readTokenizedJsonl(required(values.data, '--data'), { vocabSize: config.vocabSize, maxLength: config.maxSequenceLength });
  await initBackend(values.backend);
  const { cfg, params } = loadModel(modelDir);
  const bar = progressBar('score', rows.length);
  const losses: number[] = [];
  let weighted = 0;
  let tokens = 0;
  for (const row of rows) {
    // Labels stay on the host; the loss is read back asynchronously (webgpu has no sync read).
    const out = tf.tidy(() => lossAndTokens(cfg, params, tf.tensor2d([row.inputIds], undefined, 'int32'), [row.labels]));
    let loss: number;
    try {
      loss = (await out.loss.data())[0];
    } finally {
      out.loss.dispose();
    }
    const n = out.tokens;
    losses.push(loss);
    weighted += loss * n;
    tokens += n;
    bar.update(losses.length);
  }
  bar.finish();
  tf.dispose(Object.values(params));
  const result = { losses, mean: tokens > 0 ? weighted / tokens : 0, tokens };
  emit(values.json === true, result, () => `mean loss ${result.mean.toFixed(4)} over ${tokens} tokens in ${rows.length} examples`);
}

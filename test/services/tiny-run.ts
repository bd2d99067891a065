/**
 * A tiny, fast run for service tests: a random 2-layer LLaMA (about 40k parameters) with the tiny
 * byte-level tokenizer of the tokenizer tests and a ChatML-style template, two datasets in two
 * containers (alpaca JSONL, prompt/completion CSV), and a plan over them. Everything lives in one
 * temp folder, with its own HFT_HOME and database.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../../src-main/engine/rng.js';
import { paramSpecs, numel } from '../../src-main/engine/param-specs.js';
import { parseHfConfig } from '../../src-main/formats/hf-config.js';
import { writeModelWeights } from '../../src-main/formats/safetensors/index.js';
import { prepareRun, readPlan } from '../../src-main/services/run-prepare.js';
import { launchRun } from '../../src-main/services/runs.js';
import type { Store } from '../../src-main/store/index.js';
import { tinyTokenizerJson } from '../formats/tokenizer/helpers.js';

export const CHAT_TEMPLATE =
  "{% for m in messages %}{{ '<|user|>' if m.role == 'user' else '' }}{{ m.content }}{{ '\\n' if m.role == 'user' else '</s>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{% endif %}";

export interface TinyRun {
  root: string;
  home: string;
  db: string;
  model: string;
  plan: string;
}

function writeModel(dir: string, dtype: 'F32' | 'BF16'): void {
  mkdirSync(dir, { recursive: true });
  const raw = {
    model_type: 'llama', architectures: ['LlamaForCausalLM'], hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 266, max_position_embeddings: 64, rms_norm_eps: 1e-5,
    rope_theta: 10000, tie_word_embeddings: false, bos_token_id: 0, eos_token_id: 1, torch_dtype: dtype === 'BF16' ? 'bfloat16' : 'float32',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw, null, 2));
  const r = rng('tiny-run-weights');
  const tensors = paramSpecs(parseHfConfig(raw)).map((s) => {
    const data = new Float32Array(numel(s.shape));
    const norm = s.kind.endsWith('norm');
    for (let i = 0; i < data.length; i++) data[i] = norm ? 1 : (r.next() - 0.5) * 0.2;
    return { name: s.name, shape: s.shape, data };
  });
  writeModelWeights(dir, tensors, { dtype });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', chat_template: CHAT_TEMPLATE }));
}

const WORDS = ['cat', 'dog', 'sun', 'map', 'pen', 'cup', 'hat', 'box', 'red', 'fox', 'owl', 'bee'];

/** Writes the folder; the overrides merge into the plan's sections (dtype: how the model is stored). */
export function tinyRun(overrides: { training?: object; evaluation?: object; freeze?: object; dtype?: 'F32' | 'BF16' } = {}): TinyRun {
  const root = mkdtempSync(join(tmpdir(), 'hft-run-'));
  const model = join(root, 'model');
  writeModel(model, overrides.dtype ?? 'F32');
  const a = WORDS.map((w) => JSON.stringify({ instruction: `reverse ${w}`, output: [...w].reverse().join('') }));
  writeFileSync(join(root, 'reverse.jsonl'), `${a.join('\n')}\n`);
  const b = WORDS.map((w) => `"upper ${w}",${w.toUpperCase()}`);
  writeFileSync(join(root, 'upper.csv'), `prompt,completion\n${b.join('\n')}\n`);
  const plan = {
    name: 'tiny',
    model: './model',
    tasks: [{ data: 'reverse.jsonl', steps: 20 }, { data: 'upper.csv', steps: 16 }],
    freeze: { strategy: 'category', ratio: 0.5, seed: 1, ...overrides.freeze },
    training: { batchSize: 2, lr: 0.01, checkpointEvery: 3, maxLength: 32, ...overrides.training },
    evaluation: { evalFraction: 0.25, maxExamples: 3, maxNewTokens: 4, ...overrides.evaluation },
    backend: 'wasm',
  };
  writeFileSync(join(root, 'plan.json'), JSON.stringify(plan, null, 2));
  const home = join(root, 'home');
  return { root, home, db: join(home, 'hft.db'), model, plan: join(root, 'plan.json') };
}

/** Records the tiny plan as a run in `store` and trains it to the end; returns its id. */
export async function finishTinyRun(store: Store, t: TinyRun): Promise<string> {
  const runId = prepareRun(store, t.home, readPlan(t.plan)).runId;
  const record = await launchRun(store, runId).finished;
  if (record.status !== 'done') throw new Error(`the tiny run ended ${record.status}: ${record.error}`);
  return runId;
}

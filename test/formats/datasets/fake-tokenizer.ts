/**
 * A small byte-level Tokenizer for the dataset tests: ids 0-3 are special tokens, 4-259 are the
 * UTF-8 bytes. Its optional chat template is ChatML (like Qwen's), optionally led by the BOS text.
 * Byte-level, so any text's ids are easy to write down independently in a test.
 */
import type { ChatMessage, Tokenizer } from '../../../src-main/formats/tokenizer/types.js';

export const BOS = 0;
export const EOS = 1;
export const IM_START = 2;
export const IM_END = 3;
const SPECIAL = ['<s>', '</s>', '<|im_start|>', '<|im_end|>'];

export interface FakeOptions {
  /** The tokenizer adds BOS when adding special tokens (default true). */
  addBos?: boolean;
  /** 'chatml', 'chatml-bos' (the template writes "<s>" first) or null for no template. */
  template?: 'chatml' | 'chatml-bos' | null;
  /** Every encode call starts with a space token, as SentencePiece's dummy prefix does. */
  dummyPrefix?: boolean;
}

export const SPACE = 0x20 + 4;

/** Ids of `text` with no special tokens added: special texts map to their ids, the rest to bytes. */
export function bytesOf(text: string): number[] {
  const ids: number[] = [];
  let i = 0;
  while (i < text.length) {
    const k = SPECIAL.findIndex((s) => text.startsWith(s, i));
    if (k >= 0) {
      ids.push(k);
      i += SPECIAL[k].length;
      continue;
    }
    let j = i;
    while (j < text.length && !SPECIAL.some((s) => text.startsWith(s, j))) j++;
    for (const b of new TextEncoder().encode(text.slice(i, j))) ids.push(b + 4);
    i = j;
  }
  return ids;
}

export function fakeTokenizer(opts: FakeOptions = {}): Tokenizer {
  const addBos = opts.addBos ?? true;
  const template = opts.template === undefined ? 'chatml' : opts.template;
  return {
    vocabSize: 260,
    bosToken: '<s>',
    bosId: BOS,
    eosToken: '</s>',
    eosId: EOS,
    stopIds: [EOS, IM_END],
    specialIds: new Set([BOS, EOS, IM_START, IM_END]),
    hasChatTemplate: template !== null,
    chatTemplateSource: () => null, // renders in code below, not from Jinja
    encode(text: string, o?: { addSpecialTokens?: boolean }): number[] {
      const ids = opts.dummyPrefix ? [SPACE, ...bytesOf(text)] : bytesOf(text);
      return (o?.addSpecialTokens ?? true) && addBos ? [BOS, ...ids] : ids;
    },
    decode(ids: readonly number[], o?: { skipSpecialTokens?: boolean }): string {
      let out = '';
      let bytes: number[] = [];
      const flush = (): void => {
        out += new TextDecoder().decode(new Uint8Array(bytes));
        bytes = [];
      };
      for (const id of ids) {
        if (id >= 4) bytes.push(id - 4);
        else {
          flush();
          if (!o?.skipSpecialTokens) out += SPECIAL[id];
        }
      }
      flush();
      return out;
    },
    applyChatTemplate(messages: readonly ChatMessage[], o?: { addGenerationPrompt?: boolean }): string {
      if (template === null) throw new Error('no chat template');
      let s = template === 'chatml-bos' ? '<s>' : '';
      for (const m of messages) s += `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`;
      if (o?.addGenerationPrompt) s += '<|im_start|>assistant\n';
      return s;
    },
  };
}

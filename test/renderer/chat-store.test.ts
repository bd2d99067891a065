/**
 * The playground's store over a stand-in api module: each side's answer pieces reach that side
 * (by chat id), the end or an error ends streaming, Stop asks the app to stop both answers, and
 * each side sends its own history with the next question.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChatEvent } from '../../src-main/contract/index.js';
import { answers, calls, emit, resetFakeApi } from './fake-api.js';

vi.mock('../../src-renderer/api.js', () => import('./fake-api.js'));

const { useChatStore } = await import('../../src-renderer/stores/chat.js');

/** chat.ask answers chat-base-N / chat-ft-N by side. */
let asked = 0;
beforeEach(() => {
  setActivePinia(createPinia());
  resetFakeApi();
  asked = 0;
  answers.set('chat.ask', async (p) => ({ chatId: `${(p as { side: string }).side === 'base' ? 'chat-base' : 'chat-ft'}-${++asked}` }));
  answers.set('chat.stop', async () => ({}));
});

const options = { runId: 'r', prompt: 'Reverse: abc', stage: 1, temperature: 0, maxNewTokens: 32 };
const done = (chatId: string, stoppedBy: 'eos' | 'interrupted' = 'eos'): ChatEvent => ({ chatId, kind: 'done', stoppedBy, tokens: 2, msPerToken: 4 });

describe('chat store', () => {
  it('sends each side the question with the right model and stage, and streams the pieces to the right side', async () => {
    const chat = useChatStore();
    await chat.askBoth(options);
    const asks = calls.filter((c) => c.method === 'chat.ask').map((c) => c.params);
    expect(asks).toEqual([
      { runId: 'r', side: 'base', messages: [{ role: 'user', content: 'Reverse: abc' }], maxNewTokens: 32, temperature: 0 },
      { runId: 'r', side: 'fine-tuned', stage: 1, messages: [{ role: 'user', content: 'Reverse: abc' }], maxNewTokens: 32, temperature: 0 },
    ]);
    expect(chat.sides.base.streaming && chat.sides['fine-tuned'].streaming).toBe(true);
    emit('chat.event', { chatId: 'chat-ft-2', kind: 'token', text: 'c' });
    emit('chat.event', { chatId: 'chat-base-1', kind: 'token', text: 'hello' });
    emit('chat.event', { chatId: 'chat-ft-2', kind: 'token', text: 'ba' });
    emit('chat.event', { chatId: 'someone-else', kind: 'token', text: 'x' });
    expect(chat.sides.base.partial).toBe('hello');
    expect(chat.sides['fine-tuned'].partial).toBe('cba');
    emit('chat.event', done('chat-ft-2'));
    expect(chat.sides['fine-tuned'].streaming).toBe(false);
    expect(chat.sides['fine-tuned'].turns).toEqual([
      { role: 'user', content: 'Reverse: abc' },
      { role: 'assistant', content: 'cba', stage: 1 },
    ]);
    expect(chat.sides['fine-tuned'].ended?.stoppedBy).toBe('eos');
    expect(chat.sides.base.streaming).toBe(true);
    // A piece after the end (a late event) changes nothing.
    emit('chat.event', { chatId: 'chat-ft-2', kind: 'token', text: '!' });
    expect(chat.sides['fine-tuned'].partial).toBe('');
  });

  it('ends streaming on an error, keeps the failed question on screen, and never sends it again', async () => {
    const chat = useChatStore();
    await chat.askBoth(options);
    emit('chat.event', { chatId: 'chat-base-1', kind: 'error', message: 'the model folder /m is missing' });
    emit('chat.event', done('chat-ft-2'));
    const base = chat.sides.base;
    expect(base.streaming).toBe(false);
    expect(base.error).toBe('the model folder /m is missing');
    expect(base.turns).toEqual([{ role: 'user', content: 'Reverse: abc', failed: true }]);
    emit('chat.event', { chatId: 'chat-ft-2', kind: 'token', text: 'late' });
    calls.length = 0;
    await chat.askBoth({ ...options, prompt: 'again' });
    const [baseAsk, ftAsk] = calls.filter((c) => c.method === 'chat.ask').map((c) => (c.params as { messages: unknown }).messages);
    expect(baseAsk).toEqual([{ role: 'user', content: 'again' }]);
    // The fine-tuned side's own history: its question and its answer (empty: no pieces came).
    expect(ftAsk).toEqual([
      { role: 'user', content: 'Reverse: abc' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'again' },
    ]);
    expect(base.error).toBeNull();
  });

  it('a refused question ends that side at once with the reason', async () => {
    answers.set('chat.ask', async (p) => {
      if ((p as { side: string }).side === 'fine-tuned') throw new Error('run r has no finished stage yet');
      return { chatId: 'chat-base-1' };
    });
    const chat = useChatStore();
    await chat.askBoth(options);
    expect(chat.sides['fine-tuned'].streaming).toBe(false);
    expect(chat.sides['fine-tuned'].error).toBe('run r has no finished stage yet');
    expect(chat.sides.base.streaming).toBe(true);
  });

  it('Stop asks the app to stop each streaming answer; what arrived stays as the answer', async () => {
    const chat = useChatStore();
    await chat.askBoth(options);
    emit('chat.event', { chatId: 'chat-base-1', kind: 'token', text: 'part' });
    emit('chat.event', done('chat-ft-2'));
    await chat.stop();
    expect(calls.filter((c) => c.method === 'chat.stop').map((c) => c.params)).toEqual([{ chatId: 'chat-base-1' }]);
    emit('chat.event', done('chat-base-1', 'interrupted'));
    expect(chat.sides.base.streaming).toBe(false);
    expect(chat.sides.base.turns[1]).toEqual({ role: 'assistant', content: 'part', stage: undefined });
    expect(chat.sides.base.ended?.stoppedBy).toBe('interrupted');
  });

  it('keeps pieces that arrive before the app has said which chat they belong to', async () => {
    let release: () => void = () => undefined;
    answers.set('chat.ask', (p) =>
      (p as { side: string }).side === 'base' ? new Promise((ok) => (release = () => ok({ chatId: 'b' }))) : Promise.resolve({ chatId: 'f' }),
    );
    const chat = useChatStore();
    const asking = chat.askBoth(options);
    emit('chat.event', { chatId: 'b', kind: 'token', text: 'ear' });
    emit('chat.event', { chatId: 'b', kind: 'token', text: 'ly' });
    release();
    await asking;
    expect(chat.sides.base.partial).toBe('early');
  });

  it('Clear forgets both conversations, but not while an answer is arriving', async () => {
    const chat = useChatStore();
    await chat.askBoth(options);
    chat.clear();
    expect(chat.sides.base.turns).toHaveLength(1);
    emit('chat.event', done('chat-base-1'));
    emit('chat.event', done('chat-ft-2'));
    chat.clear();
    expect(chat.sides.base.turns).toEqual([]);
    expect(chat.sides['fine-tuned'].turns).toEqual([]);
  });
});

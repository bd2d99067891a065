/**
 * The playground's two conversations about one run: the base model and the fine-tuned one. "Ask
 * both" adds the question to each side's history and starts one streamed answer per side
 * (`chat.ask`); `chat.event`s then carry the answer's pieces to the side whose chat id they name,
 * and its end. Each side keeps its own history (its own answers), which is sent with every
 * question. A question whose answer failed stays on screen, marked, but is not sent again.
 */
import { defineStore } from 'pinia';
import { reactive, ref } from 'vue';
import type { ChatEvent } from '../../src-main/contract/index.js';
import { api, onEvent } from '../api.js';
import { errorText } from './errors.js';

export type Side = 'base' | 'fine-tuned';
export const SIDES: readonly Side[] = ['base', 'fine-tuned'];

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
  /** Its answer failed: shown, never sent to the model again. */
  failed?: boolean;
  /** The fine-tuned side's answers: which stage's weights wrote it (0-based). */
  stage?: number;
}

export interface SideState {
  turns: Turn[];
  /** The answer arriving now. */
  partial: string;
  streaming: boolean;
  chatId: string | null;
  error: string | null;
  /** How the last answer ended. */
  ended: Extract<ChatEvent, { kind: 'done' }> | null;
}

export interface AskOptions {
  runId: string;
  prompt: string;
  /** The fine-tuned side's stage (0-based); undefined = the last finished. */
  stage?: number;
  temperature: number;
  maxNewTokens: number;
}

const blank = (): SideState => ({ turns: [], partial: '', streaming: false, chatId: null, error: null, ended: null });

export const useChatStore = defineStore('chat', () => {
  const runId = ref<string | null>(null);
  const sides = reactive<Record<Side, SideState>>({ base: blank(), 'fine-tuned': blank() });
  const sideOf = new Map<string, Side>();
  /** Events for a chat id not known yet: an answer may start before `chat.ask` has replied. */
  const early = new Map<string, ChatEvent[]>();
  let asking = 0;
  const stopWanted = new Set<Side>();
  /** The stage each side's current answer comes from. */
  const answerStage = new Map<Side, number | undefined>();

  function reset(): void {
    for (const side of SIDES) Object.assign(sides[side], blank());
    sideOf.clear();
  }

  function open(id: string): void {
    if (runId.value === id) return;
    runId.value = id;
    reset();
  }

  function finish(side: Side): void {
    const s = sides[side];
    if (s.chatId !== null) sideOf.delete(s.chatId);
    s.chatId = null;
    s.streaming = false;
    s.partial = '';
    stopWanted.delete(side);
  }

  function apply(side: Side, e: ChatEvent): void {
    const s = sides[side];
    if (e.kind === 'token') {
      s.partial += e.text;
    } else if (e.kind === 'done') {
      s.turns.push({ role: 'assistant', content: s.partial, stage: answerStage.get(side) });
      s.ended = e;
      finish(side);
    } else {
      const asked = s.turns[s.turns.length - 1];
      if (asked?.role === 'user') asked.failed = true;
      if (s.partial !== '') s.turns.push({ role: 'assistant', content: s.partial, failed: true, stage: answerStage.get(side) });
      s.error = e.message;
      finish(side);
    }
  }

  onEvent('chat.event', (e) => {
    const side = sideOf.get(e.chatId);
    if (side !== undefined) apply(side, e);
    else if (asking > 0) early.set(e.chatId, [...(early.get(e.chatId) ?? []), e]);
  });

  async function askSide(side: Side, o: AskOptions): Promise<void> {
    const s = sides[side];
    const messages = s.turns.filter((t) => !t.failed).map((t) => ({ role: t.role, content: t.content }));
    const stage = side === 'fine-tuned' ? o.stage : undefined;
    answerStage.set(side, stage);
    try {
      const { chatId } = await api['chat.ask']({
        runId: o.runId,
        side,
        ...(stage === undefined ? {} : { stage }),
        messages,
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
      });
      if (runId.value !== o.runId) return;
      s.chatId = chatId;
      sideOf.set(chatId, side);
      for (const e of early.get(chatId) ?? []) if (s.streaming) apply(side, e);
      early.delete(chatId);
      if (stopWanted.has(side) && s.streaming) await api['chat.stop']({ chatId });
    } catch (e) {
      if (runId.value !== o.runId) return;
      const asked = s.turns[s.turns.length - 1];
      if (asked?.role === 'user') asked.failed = true;
      s.error = errorText(e);
      finish(side);
    }
  }

  /** Asks both models the same question, each with its own conversation so far. */
  async function askBoth(o: AskOptions): Promise<void> {
    if (SIDES.some((side) => sides[side].streaming)) return;
    open(o.runId);
    for (const side of SIDES) {
      const s = sides[side];
      s.turns.push({ role: 'user', content: o.prompt });
      s.partial = '';
      s.error = null;
      s.ended = null;
      s.streaming = true;
    }
    asking++;
    try {
      await Promise.all(SIDES.map((side) => askSide(side, o)));
    } finally {
      if (--asking === 0) early.clear();
    }
  }

  /** Stops both answers where they are; what has arrived stays as the answer. */
  async function stop(): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (const side of SIDES) {
      const s = sides[side];
      if (!s.streaming) continue;
      if (s.chatId === null) stopWanted.add(side); // asked, not answered yet: stop as soon as it is
      else calls.push(api['chat.stop']({ chatId: s.chatId }).catch((e: unknown) => (s.error = errorText(e))));
    }
    await Promise.all(calls);
  }

  /** Forgets both conversations (not while an answer is arriving). */
  function clear(): void {
    if (SIDES.some((side) => sides[side].streaming)) return;
    reset();
  }

  return { runId, sides, open, askBoth, stop, clear };
});

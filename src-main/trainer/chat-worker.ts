/**
 * The playground's model process: loads one model once (a base model folder, or a run stage's
 * checkpoint merged with its base as asked), then answers questions one at a time, streaming each
 * answer's text as it comes (engine/chat.ts, as `hft chat` answers). Loading is the slow part, so
 * the main side keeps this process for later questions. A stop ends the answer being written, or
 * one still waiting its turn, as 'interrupted'.
 */
import { initBackend } from '../engine/backend.js';
import { answer, type ChatModel, type ChatSettings } from '../engine/chat.js';
import { conversationIds, loadChatModel } from '../engine/chat-model.js';
import { mergeWithBase } from '../engine/merge.js';
import { readHfConfig } from '../formats/hf-config.js';
import { loadTokenizer } from '../formats/tokenizer/index.js';
import type { ChatMessage, Tokenizer } from '../formats/tokenizer/types.js';
import { readCheckpoint } from './checkpoints.js';
import type { ChatModelRef, FromTrainer } from './protocol.js';

interface Loaded {
  model: ChatModel;
  tok: Tokenizer;
}

async function loadRef(ref: ChatModelRef): Promise<Loaded> {
  await initBackend(ref.backend === 'auto' ? undefined : ref.backend);
  const tok = loadTokenizer(ref.modelDir);
  if (ref.checkpoint === null) return { model: loadChatModel('base', ref.modelDir), tok };
  const cfg = readHfConfig(ref.modelDir);
  const tuned = readCheckpoint(ref.checkpoint.path, ref.checkpoint.manifestSha256).weights;
  return { model: loadChatModel('fine-tuned', ref.modelDir, mergeWithBase(cfg, ref.modelDir, tuned, ref.merge)), tok };
}

export class ChatWorker {
  private loaded: Promise<Loaded> | null = null;
  /** Answers run one after another: one model on one backend. */
  private queue: Promise<void> = Promise.resolve();
  /** Answers asked and not ended, by chat id. */
  private readonly open = new Map<string, AbortController>();

  constructor(private readonly send: (m: FromTrainer) => void) {}

  /** Loads the model; rejects when it cannot (the process then fails with the reason). */
  load(ref: ChatModelRef): Promise<void> {
    this.loaded = loadRef(ref);
    return this.loaded.then(() => undefined);
  }

  /** Queues an answer to `messages` (the assistant speaks next); it streams when its turn comes. */
  ask(chatId: string, messages: ChatMessage[], settings: ChatSettings): void {
    const stop = new AbortController();
    this.open.set(chatId, stop);
    this.queue = this.queue.then(async () => {
      try {
        await this.answer(chatId, messages, settings, stop.signal);
      } finally {
        this.open.delete(chatId);
      }
    });
  }

  stop(chatId: string): void {
    this.open.get(chatId)?.abort();
  }

  private async answer(chatId: string, messages: ChatMessage[], settings: ChatSettings, signal: AbortSignal): Promise<void> {
    try {
      if (this.loaded === null) throw new Error('no model is loaded in this process');
      const { model, tok } = await this.loaded;
      const ids = conversationIds(tok, messages, model.cfg, 'start a new conversation');
      const a = await answer(model, tok, ids, settings, (text) => this.send({ type: 'chat-token', chatId, text }), signal);
      this.send({ type: 'chat-done', chatId, stoppedBy: a.stoppedBy, tokens: a.tokens, msPerToken: a.msPerToken });
    } catch (e) {
      this.send({ type: 'chat-error', chatId, message: e instanceof Error ? e.message : String(e) });
    }
  }
}

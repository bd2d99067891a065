/**
 * The playground's answers (`chat.ask`, `chat.stop`): each comes from a worker process that holds
 * one model, the run's base model or the weights after one of its finished stages
 * (trainer/chat-worker.ts), so a fault while generating never takes down the app. Loading is the
 * slow part, so a worker stays for later questions about the same model; the least recently used
 * idle ones are ended when too many are held. What a worker streams goes out as `ChatEvent`s; a
 * worker that dies ends its pending answers with an error in words.
 */
import { randomUUID } from 'node:crypto';
import type { ChatEvent, Params } from '../contract/index.js';
import type { ChatSettings } from '../engine/chat.js';
import type { Store } from '../store/index.js';
import type { ChatModelRef, FromTrainer } from '../trainer/protocol.js';
import { finishedStages, runModel } from './run-weights.js';
import { GONE, requireRun, RunError, storedPlan } from './runs.js';
import { startWorker, type TrainerHandle, type WorkerLauncher } from './trainer-host.js';

export type ChatRequest = Params<'chat.ask'>;

const DEFAULT_MAX_NEW_TOKENS = 128;

/** Models held at once (each is the model's weights in a process of its own); idle ones beyond go. */
const MAX_WORKERS = 3;

interface ChatWorkerEntry {
  handle: TrainerHandle;
  /** Chats asked of it that have not ended. */
  pending: Set<string>;
  /** Set when we end it on purpose (stopAll, too many held): its pending answers end quietly worded. */
  closing: boolean;
  lastUsed: number;
}

/** The settings of a request: greedy unless a temperature is given, 128 new tokens, seed 0. */
export function chatSettings(req: Pick<ChatRequest, 'maxNewTokens' | 'temperature' | 'seed'>): ChatSettings {
  return {
    sampling: { temperature: req.temperature ?? 0 },
    seed: req.seed ?? 0,
    maxNewTokens: req.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS,
    stopStrings: [],
  };
}

export class ChatSessions {
  /** Live workers by the model they hold. */
  private readonly workers = new Map<string, ChatWorkerEntry>();
  private uses = 0;

  constructor(
    private readonly store: Store,
    private readonly emit: (e: ChatEvent) => void,
    /** How workers start: fork by default; the Electron shell passes utilityProcess. */
    private readonly launcher: WorkerLauncher = startWorker,
  ) {}

  /** Checks the request, sends it to the model's worker (started if needed) and returns the new chat's id. */
  ask(req: ChatRequest): string {
    if (req.messages.length === 0) throw new RunError('there is nothing to answer: the conversation has no message');
    const { key, ref } = this.modelOf(req);
    const chatId = randomUUID();
    const worker = this.workerFor(key, ref);
    worker.pending.add(chatId);
    worker.lastUsed = ++this.uses;
    worker.handle.send({ type: 'chat-ask', chatId, messages: req.messages, settings: chatSettings(req) });
    return chatId;
  }

  /** Ends an answer where it is (it finishes as 'interrupted'); nothing if it has already ended. */
  stop(chatId: string): void {
    for (const w of this.workers.values()) {
      if (w.pending.has(chatId)) w.handle.send({ type: 'chat-stop', chatId });
    }
  }

  /** At shutdown: ends every worker and waits until each process is gone. */
  async stopAll(): Promise<void> {
    const entries = [...this.workers.values()];
    for (const w of entries) this.end(w);
    await Promise.all(entries.map((w) => w.handle.exit));
  }

  /** Which model answers, checked in plain words before any process starts; `key` names it for reuse. */
  private modelOf(req: ChatRequest): { key: string; ref: ChatModelRef } {
    const run = requireRun(this.store, req.runId, GONE);
    const { modelDir, stages } = runModel(this.store, req.runId);
    const backend = storedPlan(run).job.backend;
    if (req.side === 'base') {
      return { key: JSON.stringify(['base', modelDir, backend]), ref: { modelDir, checkpoint: null, merge: { kind: 'none' }, backend } };
    }
    const done = finishedStages(this.store, req.runId);
    if (done.length === 0) {
      throw new RunError(`run "${run.name}" has no fine-tuned weights yet: no stage has finished training; ask the base model, or wait for the first stage to finish`);
    }
    const stage = req.stage ?? done[done.length - 1];
    if (stage >= stages) throw new RunError(`run "${run.name}" has stages 1 to ${stages}; there is no stage ${stage + 1}`);
    const ck = this.store.checkpoints.list(req.runId).find((c) => c.stageEnd && c.stage === stage);
    if (ck == null) {
      throw new RunError(`stage ${stage + 1} of run "${run.name}" has not finished training yet; finished: ${done.map((s) => s + 1).join(', ')}`);
    }
    const checkpoint = { path: ck.path, manifestSha256: ck.manifestSha256 };
    return { key: JSON.stringify(['fine-tuned', req.runId, stage, ck.manifestSha256]), ref: { modelDir, checkpoint, merge: { kind: 'none' }, backend } };
  }

  private workerFor(key: string, ref: ChatModelRef): ChatWorkerEntry {
    const held = this.workers.get(key);
    if (held != null) return held;
    this.makeRoom();
    const pending = new Set<string>();
    const handle = this.launcher({ type: 'chat-load', model: ref }, (m) => this.onMessage(pending, m));
    const entry: ChatWorkerEntry = { handle, pending, closing: false, lastUsed: 0 };
    this.workers.set(key, entry);
    void handle.exit.then((exit) => {
      if (this.workers.get(key) === entry) this.workers.delete(key);
      const why = entry.closing
        ? 'the playground was closed before the answer finished'
        : `the model's process ended before the answer finished: ${exit.reason ?? 'it exited'}; ask again to restart it`;
      for (const chatId of entry.pending) this.emit({ chatId, kind: 'error', message: why });
      entry.pending.clear();
    });
    return entry;
  }

  /** Ends the least recently used idle workers while MAX_WORKERS are held. */
  private makeRoom(): void {
    const idle = [...this.workers.values()].filter((w) => w.pending.size === 0 && !w.closing).sort((a, b) => a.lastUsed - b.lastUsed);
    const live = [...this.workers.values()].filter((w) => !w.closing).length;
    for (const w of idle.slice(0, Math.max(0, live - MAX_WORKERS + 1))) this.end(w);
  }

  private end(w: ChatWorkerEntry): void {
    w.closing = true;
    w.handle.kill();
  }

  /** A worker's message as the renderer sees it, for the chats still pending on that worker. */
  private onMessage(pending: Set<string>, m: FromTrainer): void {
    switch (m.type) {
      case 'chat-token':
        if (pending.has(m.chatId)) this.emit({ chatId: m.chatId, kind: 'token', text: m.text });
        break;
      case 'chat-done':
        if (pending.delete(m.chatId)) this.emit({ chatId: m.chatId, kind: 'done', stoppedBy: m.stoppedBy, tokens: m.tokens, msPerToken: m.msPerToken });
        break;
      case 'chat-error':
        if (pending.delete(m.chatId)) this.emit({ chatId: m.chatId, kind: 'error', message: m.message });
        break;
    }
  }
}

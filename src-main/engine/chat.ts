/**
 * One chat answer, as the playground gives it: the conversation goes through the model's chat
 * template and is encoded exactly as evaluation encodes a prompt (formats/datasets/encode.ts: the
 * ids before the assistant's answer), so a task's prompt gets the same ids here as in a run's
 * exact-match evaluation; the answer streams out as text (engine/text-stream.ts) and ends at the
 * tokenizer's stop ids, at a stop string, or after the token budget. Greedy unless the sampling
 * options say otherwise (engine/sampling.ts follows transformers' generate).
 */
import { encodeExample } from '../formats/datasets/encode.js';
import type { Example } from '../formats/datasets/formats.js';
import type { ChatMessage, Tokenizer } from '../formats/tokenizer/types.js';
import { generate, type StopReason } from './generate.js';
import type { ModelConfig, Params } from './model.js';
import type { SamplingOptions } from './sampling.js';
import { TextStream } from './text-stream.js';

export type Label = 'fine-tuned' | 'base';

export interface ChatModel {
  label: Label;
  cfg: ModelConfig;
  params: Params;
}

/** How an answer ended: a stop token, a stop string, the token budget, or an abort (Ctrl-C). */
export type AnswerStop = 'eos' | 'stop-string' | 'length' | 'interrupted';

export interface Answer {
  model: Label;
  text: string;
  /** Tokens generated, the stop token included. */
  tokens: number;
  stoppedBy: AnswerStop;
}

/** An answer with what the human summary line shows. */
export interface AnswerDetail extends Answer {
  promptTokens: number;
  /** Decode speed, from the first token (after the prefill) to the last; null under 2 tokens. */
  msPerToken: number | null;
}

export interface ChatSettings {
  sampling: SamplingOptions;
  seed: number;
  maxNewTokens: number;
  stopStrings: string[];
}

/**
 * The prompt ids for a conversation that the assistant answers next: encodeExample on the
 * conversation plus an empty assistant turn, whose promptIds are everything before that turn's
 * content: exactly what evaluation feeds the model for a row with this conversation. Without a chat
 * template, the turns' texts one after the other (an answer followed by a blank line), as plain text.
 */
export function chatPromptIds(tok: Tokenizer, messages: readonly ChatMessage[], vocabSize: number): number[] {
  let ex: Example;
  if (tok.hasChatTemplate) {
    ex = { kind: 'chat', messages: [...messages, { role: 'assistant', content: '' }] };
  } else {
    const text = messages.map((m) => (m.role === 'assistant' ? `${m.content}\n\n` : m.content)).join('');
    ex = { kind: 'pair', prompt: text, user: text, completion: '' };
  }
  const row = encodeExample(ex, tok, 0, { maxLength: Number.POSITIVE_INFINITY, vocabSize });
  if (typeof row === 'string') throw new Error(`cannot encode the conversation: ${row}`);
  if (row.promptIds === null || row.promptIds.length === 0) throw new Error('cannot encode the conversation: it gives an empty prompt');
  return row.promptIds;
}

const STOPS: Record<StopReason, AnswerStop> = { 'stop-id': 'eos', callback: 'stop-string', length: 'length', aborted: 'interrupted' };

/** One answer, streamed through `write` as it comes; timing on the side. */
export async function answer(
  m: ChatModel,
  tok: Tokenizer,
  promptIds: readonly number[],
  s: ChatSettings,
  write: (chunk: string) => void,
  signal?: AbortSignal,
): Promise<AnswerDetail> {
  const stream = new TextStream(tok, { stopStrings: s.stopStrings, stopIds: tok.stopIds });
  const times: number[] = [];
  const r = await generate(m.cfg, m.params, promptIds, {
    maxNewTokens: s.maxNewTokens,
    stopIds: tok.stopIds,
    sampling: s.sampling,
    seed: s.seed,
    signal,
    onToken: (id) => {
      times.push(performance.now());
      const chunk = stream.push(id);
      if (chunk !== '') write(chunk);
      return stream.done;
    },
  });
  const tail = stream.end();
  if (tail !== '') write(tail);
  const msPerToken = times.length >= 2 ? (times[times.length - 1] - times[0]) / (times.length - 1) : null;
  return { model: m.label, text: stream.text, tokens: r.ids.length, stoppedBy: STOPS[r.stoppedBy], msPerToken, promptTokens: promptIds.length };
}


/**
 * What `hft chat` and the playground's worker process share around engine/chat.ts: the model an
 * answer comes from, loaded onto the current backend (a model folder's own weights, or a run
 * stage's host weights with that folder's config), and the prompt ids of a conversation, refused
 * in words when the model has no room left to answer.
 */
import type { ChatMessage, Tokenizer } from '../formats/tokenizer/types.js';
import { readHfConfig } from '../formats/hf-config.js';
import { chatPromptIds, type ChatModel, type Label } from './chat.js';
import { loadModel, paramsFromArrays } from './load.js';
import type { HostWeights } from './merge.js';
import type { ModelConfig } from './model.js';

/** The folder's own weights, or `weights` (float32 on the host, HF names) shaped by the folder's config. */
export function loadChatModel(label: Label, modelDir: string, weights?: HostWeights): ChatModel {
  if (weights === undefined) return { label, ...loadModel(modelDir) };
  const cfg = readHfConfig(modelDir);
  return { label, cfg, params: paramsFromArrays(cfg, weights) };
}

/**
 * The ids the model continues for the assistant's next turn. Throws when they fill the model's
 * length, ending the message with `hint` (what the user can do about it).
 */
export function conversationIds(tok: Tokenizer, messages: readonly ChatMessage[], cfg: ModelConfig, hint: string): number[] {
  const ids = chatPromptIds(tok, messages, cfg.vocabSize);
  if (ids.length >= cfg.maxSequenceLength) {
    throw new Error(`the conversation has ${ids.length} tokens, the model's length is ${cfg.maxSequenceLength}: no room for an answer; ${hint}`);
  }
  return ids;
}

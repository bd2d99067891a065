/**
 * The tokenizer contract the rest of the app codes against (datasets, evaluation, generation).
 *
 * Semantics follow Hugging Face Transformers: `encode(text)` adds the special tokens the
 * tokenizer's post-processor adds (for example Llama 3's BOS) unless `addSpecialTokens` is false;
 * `applyChatTemplate` renders `chat_template` from tokenizer_config.json with the variables
 * Transformers passes (messages, add_generation_prompt, bos_token, eos_token, ...).
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatTemplateOptions {
  /** Append the assistant header so the model continues with its answer (default false). */
  addGenerationPrompt?: boolean;
}

export interface Tokenizer {
  /** Number of ids the tokenizer can produce: max id + 1, added tokens included. */
  readonly vocabSize: number;
  readonly bosToken: string | null;
  readonly bosId: number | null;
  readonly eosToken: string | null;
  readonly eosId: number | null;
  /** Every id that ends generation: eos_token plus generation_config.json's eos_token_id(s). */
  readonly stopIds: readonly number[];
  /** Ids of special (added, special=true) tokens. */
  readonly specialIds: ReadonlySet<number>;
  readonly hasChatTemplate: boolean;
  /** The chat template's Jinja source (tokenizer_config.json or chat_template.jinja); null when none. */
  chatTemplateSource(): string | null;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** Throws TokenizerError when the folder has no chat template. */
  applyChatTemplate(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string;
}

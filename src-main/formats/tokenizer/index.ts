/**
 * Public API of the tokenizer format: load a Hugging Face tokenizer folder, encode/decode text and
 * render chat templates as Transformers does. Knows nothing of tfjs.
 */
export type { ChatRole, ChatMessage, ChatTemplateOptions, Tokenizer } from './types.js';
export { TokenizerError, type TokenizerErrorCode } from './errors.js';
export { loadTokenizer, tokenizerFromJson } from './tokenizer.js';

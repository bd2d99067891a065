/**
 * Load a Hugging Face tokenizer folder (tokenizer.json + tokenizer_config.json, optionally
 * special_tokens_map.json, generation_config.json, chat_template.jinja) into the app's Tokenizer.
 *
 * Token ids come from @huggingface/tokenizers. Around it we keep the parts of Transformers'
 * PreTrainedTokenizerFast (v4) that the JSON files alone do not say:
 * - special tokens: bos/eos/unk/pad_token in tokenizer_config.json are strings or AddedToken
 *   objects `{content}`; special_tokens_map.json, where present, overrides them.
 * - add_bos_token / add_eos_token: LlamaTokenizerFast (tokenizer_class LlamaTokenizer[Fast] or
 *   CodeLlamaTokenizer[Fast], as mistral folders use) replaces tokenizer.json's post-processor with
 *   `[bos] $A [eos]` from those flags (defaults true / false). For other classes the post-processor
 *   decides; a flag set to true there still adds its token if the post-processor does not already.
 * - clean_up_tokenization_spaces defaults to false (Transformers >= 4.45).
 * - decode skips ids that name no token, as the Rust tokenizer does.
 * Nothing is cached between calls: each tokenizer owns its own tables.
 */
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ChatTemplate, resolveChatTemplate, type TemplateTokens } from './chat-template.js';
import { describe, TokenizerError } from './errors.js';
import { readJson, readText } from './read-json.js';
import type { ChatMessage, ChatTemplateOptions, Tokenizer } from './types.js';

type Json = Record<string, unknown>;

/** Where each part came from, for messages: paths when loaded from a folder, else bare names. */
interface Sources {
  tokenizer: string;
  config: string;
  generation: string;
  template: string; // tokenizer_config.json, or chat_template.jinja when that file supplied it
  overrides?: { file: string; keys: ReadonlySet<string> }; // keys special_tokens_map.json supplied
}

const SUPPORTED_MODELS = ['BPE', 'Unigram', 'WordPiece'];
/** Transformers classes whose constructor rebuilds the post-processor from add_bos/eos_token. */
const LLAMA_CLASSES = /^(Code)?LlamaTokenizer(Fast)?$/;
const LLAMA_DEFAULTS: Json = { bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>' };

/** Reads a model folder. Throws TokenizerError naming the file at fault. */
export function loadTokenizer(dir: string): Tokenizer {
  const path = (name: string) => join(dir, name);
  const tokenizerJson = readJson(path('tokenizer.json'), 'not found; a model folder needs tokenizer.json (the Hugging Face fast-tokenizer file)');
  let config = (readJson(path('tokenizer_config.json')) ?? {}) as Json;
  const sources: Sources = {
    tokenizer: path('tokenizer.json'),
    config: path('tokenizer_config.json'),
    generation: path('generation_config.json'),
    template: path('tokenizer_config.json'),
  };
  const specialMap = readJson(path('special_tokens_map.json'));
  if (specialMap !== undefined) {
    const file = path('special_tokens_map.json');
    if (!isObject(specialMap)) throw new TokenizerError('INVALID_FORMAT', file, 'must be a JSON object');
    // Transformers lets special_tokens_map.json override tokenizer_config.json, key by key.
    if (isObject(config)) config = { ...config, ...specialMap };
    sources.overrides = { file, keys: new Set(Object.keys(specialMap)) };
  }
  const generation = readJson(path('generation_config.json'));
  // Newer Transformers saves the template as its own file, which wins over the config's.
  const jinja = readText(path('chat_template.jinja'));
  if (jinja !== undefined && isObject(config)) {
    config = { ...config, chat_template: jinja };
    sources.template = path('chat_template.jinja');
  }
  return build(tokenizerJson, config, generation, sources);
}

/** The same from JSON already in memory; `source` (a folder) only prefixes file names in messages. */
export function tokenizerFromJson(tokenizerJson: object, tokenizerConfig: object, generationConfig?: object, source?: string): Tokenizer {
  const name = (f: string) => (source === undefined ? f : join(source, f));
  const config = name('tokenizer_config.json');
  return build(tokenizerJson, tokenizerConfig, generationConfig, {
    tokenizer: name('tokenizer.json'), config, generation: name('generation_config.json'), template: config,
  });
}

function build(tokenizerJson: unknown, rawConfig: unknown, generation: unknown, src: Sources): Tokenizer {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new TokenizerError('INVALID_FORMAT', src.tokenizer, 'not a Hugging Face tokenizer file (no "model" object)');
  }
  if (!isObject(rawConfig)) throw new TokenizerError('INVALID_FORMAT', src.config, 'must be a JSON object');
  const model = tokenizerJson.model;
  const modelType = model.type ?? (Array.isArray(model.vocab) ? 'Unigram' : 'merges' in model ? 'BPE' : undefined);
  if (typeof modelType !== 'string' || !SUPPORTED_MODELS.includes(modelType)) {
    throw new TokenizerError('UNSUPPORTED_MODEL', src.tokenizer,
      `unsupported tokenizer model ${JSON.stringify(modelType ?? null)} (supported: ${SUPPORTED_MODELS.join(', ')})`);
  }
  const addedTokens = tokenizerJson.added_tokens ?? [];
  if (!Array.isArray(addedTokens) || !addedTokens.every((t) => isObject(t) && isId(t.id) && typeof t.content === 'string')) {
    throw new TokenizerError('INVALID_FORMAT', src.tokenizer, '"added_tokens" must be a list of {"id", "content"}');
  }

  const llama = typeof rawConfig.tokenizer_class === 'string' && LLAMA_CLASSES.test(rawConfig.tokenizer_class);
  const fileOf = (key: string) => (src.overrides?.keys.has(key) ? src.overrides.file : src.config);
  const tok = (key: string) => tokenString(key in rawConfig ? rawConfig[key] : llama ? LLAMA_DEFAULTS[key] : undefined, key, fileOf(key));
  const bosToken = tok('bos_token');
  const eosToken = tok('eos_token');
  const unkToken = tok('unk_token');
  const padToken = tok('pad_token');
  const extra = rawConfig.additional_special_tokens;
  const additional = Array.isArray(extra) ? extra.map((t) => tokenString(t, 'additional_special_tokens', fileOf('additional_special_tokens')) ?? '').filter((t) => t !== '') : [];

  // Copies: the library reads these objects; the caller's stay untouched and tokens are plain strings.
  const json = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...tokenizerJson, added_tokens: addedTokens };
  const config = {
    ...rawConfig,
    bos_token: bosToken, eos_token: eosToken, unk_token: unkToken, pad_token: padToken,
    additional_special_tokens: additional,
    clean_up_tokenization_spaces: rawConfig.clean_up_tokenization_spaces ?? false,
  };
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, config);
  } catch (err) {
    throw new TokenizerError('UNSUPPORTED_MODEL', src.tokenizer, `cannot build the tokenizer: ${describe(err)}`);
  }

  const idOf = (t: string | null) => (t === null ? null : (hf.token_to_id(t) ?? null));
  const bosId = idOf(bosToken);
  const eosId = idOf(eosToken);

  // Which special tokens encode() adds around the text, beyond (or instead of) the post-processor.
  const addBos = flag(rawConfig, 'add_bos_token', src.config);
  const addEos = flag(rawConfig, 'add_eos_token', src.config);
  const need = (kind: 'bos' | 'eos', token: string | null, id: number | null): number[] => {
    if (id !== null) return [id];
    const why = token === null ? `there is no ${kind}_token` : `${kind}_token ${JSON.stringify(token)} is not in the vocabulary`;
    throw new TokenizerError('INVALID_FORMAT', src.config, `add_${kind}_token is true but ${why}`);
  };
  let prefix: number[] = [];
  let suffix: number[] = [];
  if (llama) {
    if (addBos ?? true) prefix = need('bos', bosToken, bosId);
    if (addEos ?? false) suffix = need('eos', eosToken, eosId);
  } else if (addBos === true || addEos === true) {
    const probe = hf.encode('', { add_special_tokens: true }).ids;
    if (addBos === true && probe[0] !== bosId) prefix = need('bos', bosToken, bosId);
    if (addEos === true && probe[probe.length - 1] !== eosId) suffix = need('eos', eosToken, eosId);
  }

  const stopIds = [...new Set([...(eosId === null ? [] : [eosId]), ...generationEosIds(generation, src.generation)])];
  const specialIds = new Set<number>();
  for (const [id, t] of hf.get_added_tokens_decoder()) if (t.special) specialIds.add(id);

  const templateTokens: TemplateTokens = {};
  if (bosToken !== null) templateTokens.bos_token = bosToken;
  if (eosToken !== null) templateTokens.eos_token = eosToken;
  if (unkToken !== null) templateTokens.unk_token = unkToken;
  if (padToken !== null) templateTokens.pad_token = padToken;
  if (additional.length > 0) templateTokens.additional_special_tokens = additional;

  return new HfBackedTokenizer(hf, {
    vocabSize: vocabSizeOf(model, addedTokens as { id: number }[]),
    bosToken, bosId, eosToken, eosId,
    stopIds: Object.freeze(stopIds),
    specialIds,
    usePostProcessor: !llama,
    prefix, suffix,
    templateSource: rawConfig.chat_template ?? null,
    templateFile: src.template,
    templateTokens,
  });
}

interface Parts {
  vocabSize: number;
  bosToken: string | null;
  bosId: number | null;
  eosToken: string | null;
  eosId: number | null;
  stopIds: readonly number[];
  specialIds: ReadonlySet<number>;
  usePostProcessor: boolean; // false: the Llama rule replaces the post-processor
  prefix: number[]; // ids added before the text when addSpecialTokens
  suffix: number[];
  templateSource: unknown; // tokenizer_config.json's chat_template, resolved on first use
  templateFile: string;
  templateTokens: TemplateTokens;
}

class HfBackedTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosToken: string | null;
  readonly bosId: number | null;
  readonly eosToken: string | null;
  readonly eosId: number | null;
  readonly stopIds: readonly number[];
  readonly specialIds: ReadonlySet<number>;
  readonly hasChatTemplate: boolean;
  private template: ChatTemplate | null = null;

  constructor(private readonly hf: HfTokenizer, private readonly parts: Parts) {
    ({ vocabSize: this.vocabSize, bosToken: this.bosToken, bosId: this.bosId, eosToken: this.eosToken, eosId: this.eosId,
      stopIds: this.stopIds, specialIds: this.specialIds } = parts);
    const t = parts.templateSource;
    this.hasChatTemplate = (typeof t === 'string' && t !== '') || (Array.isArray(t) && t.length > 0);
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[] {
    if (typeof text !== 'string') throw new TypeError(`encode: text must be a string, got ${typeof text}`);
    const add = opts?.addSpecialTokens ?? true;
    const ids = this.hf.encode(text, { add_special_tokens: add && this.parts.usePostProcessor }).ids;
    // A BPE without unk_token yields no id for an unknown piece; Rust drops it, so do we.
    const out = ids.every(Number.isInteger) ? ids : ids.filter(Number.isInteger);
    return add && (this.parts.prefix.length > 0 || this.parts.suffix.length > 0) ? [...this.parts.prefix, ...out, ...this.parts.suffix] : out;
  }

  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string {
    const known: number[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id)) throw new TypeError(`decode: token ids must be integers, got ${String(id)}`);
      if (this.hf.id_to_token(id) !== undefined) known.push(id);
    }
    if (known.length === 0) return ''; // the library refuses an empty list
    return this.hf.decode(known, { skip_special_tokens: opts?.skipSpecialTokens ?? false });
  }

  chatTemplateSource(): string | null {
    const source = resolveChatTemplate(this.parts.templateSource, this.parts.templateFile);
    return source === '' ? null : source;
  }

  applyChatTemplate(messages: readonly ChatMessage[], opts?: ChatTemplateOptions): string {
    if (this.template === null) {
      const file = this.parts.templateFile;
      const source = this.chatTemplateSource();
      if (source === null) {
        throw new TokenizerError('NO_CHAT_TEMPLATE', file, 'has no chat_template, so chat messages cannot be rendered (use a chat/instruct model, or a text or prompt/completion dataset)');
      }
      this.template = new ChatTemplate(source, file);
    }
    return this.template.render(messages, opts?.addGenerationPrompt ?? false, this.parts.templateTokens);
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** A special token as tokenizer_config.json writes it: a string, `{content: ...}`, or null. */
function tokenString(v: unknown, key: string, file: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  throw new TokenizerError('INVALID_FORMAT', file, `"${key}" must be a string or an object with "content", got ${JSON.stringify(v)}`);
}

function flag(config: Json, key: string, file: string): boolean | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new TokenizerError('INVALID_FORMAT', file, `"${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** generation_config.json's eos_token_id: an id, a list of ids, or absent. */
function generationEosIds(gen: unknown, file: string): number[] {
  if (gen === undefined) return [];
  if (!isObject(gen)) throw new TokenizerError('INVALID_FORMAT', file, 'must be a JSON object');
  const v = gen.eos_token_id;
  if (v === undefined || v === null) return [];
  const ids = Array.isArray(v) ? v : [v];
  if (!ids.every(isId)) throw new TokenizerError('INVALID_FORMAT', file, `"eos_token_id" must be an id or a list of ids, got ${JSON.stringify(v)}`);
  return ids;
}

/** Max id over the model's vocabulary and the added tokens, plus one. */
function vocabSizeOf(model: Json, added: readonly { id: number }[]): number {
  let max = -1;
  const vocab = model.vocab;
  if (Array.isArray(vocab)) max = vocab.length - 1; // Unigram: [piece, score] in id order
  else if (isObject(vocab)) for (const id of Object.values(vocab)) if (typeof id === 'number' && id > max) max = id;
  for (const t of added) if (t.id > max) max = t.id;
  return max + 1;
}

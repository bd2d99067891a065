/**
 * Special-token metadata for GGUF, following gguf-py's SpecialVocab (vocab.py) as
 * convert_hf_to_gguf.py uses it for byte-level BPE tokenizers:
 * - ids of bos/eos/unk/sep/pad/cls/mask: tokenizer_config.json's `{type}_token` (a string or an
 *   AddedToken `{content}`) looked up among tokenizer.json's added_tokens; what is still unknown
 *   then comes from config.json's `{type}_token_id` (first source wins);
 * - add_bos/add_eos: from tokenizer.json's TemplateProcessing post-processor (a leading bos, a
 *   trailing eos), overridden by tokenizer_config.json's add_bos_token/add_eos_token;
 * - the chat template.
 *
 * Where SpecialVocab leaves add_bos/add_eos unknown (and llama.cpp would fall back to a default
 * of its own per pre-tokenizer), we write what Transformers does, which is what training saw:
 * LlamaTokenizer(Fast) adds bos by default, any other class only what its post-processor adds
 * (nothing, here). Token contents are compared as strings, also when tokenizer_config.json
 * stores them as AddedToken objects (SpecialVocab compares such objects as unequal).
 */
import type { GgufKv } from './writer.js';

type Json = Record<string, unknown>;

const TYPES = ['bos', 'eos', 'unk', 'sep', 'pad', 'cls', 'mask', 'eot'] as const;
type SpecialType = (typeof TYPES)[number];

/** tokenizer.ggml.* key of each id (gguf-py constants.py; "seperator" is spelled so there). */
const ID_KEY: Record<SpecialType, string> = {
  bos: 'tokenizer.ggml.bos_token_id',
  eos: 'tokenizer.ggml.eos_token_id',
  unk: 'tokenizer.ggml.unknown_token_id',
  sep: 'tokenizer.ggml.seperator_token_id',
  pad: 'tokenizer.ggml.padding_token_id',
  cls: 'tokenizer.ggml.cls_token_id',
  mask: 'tokenizer.ggml.mask_token_id',
  eot: 'tokenizer.ggml.eot_token_id',
};

/** Transformers classes whose constructor rebuilds the post-processor from add_bos/eos_token. */
const LLAMA_CLASSES = /^(Code)?LlamaTokenizer(Fast)?$/;

export interface SpecialTokenInput {
  tokenizerJson: Json;
  tokenizerConfig: Json;
  modelConfig: Json; // config.json
  chatTemplate: unknown; // tokenizer_config's chat_template, or chat_template.jinja's text
  vocabSize: number;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A token entry of tokenizer_config.json as its content string, or null. */
function content(entry: unknown): string | null {
  if (typeof entry === 'string' && entry !== '') return entry;
  if (isObject(entry) && typeof entry.content === 'string' && entry.content !== '') return entry.content;
  return null;
}

function specialTokenId(step: unknown): string | null {
  if (!isObject(step) || !isObject(step.SpecialToken)) return null;
  const id = step.SpecialToken.id;
  return typeof id === 'string' ? id : null;
}

export function specialTokenMetadata(input: SpecialTokenInput, warnings: string[]): GgufKv[] {
  const { tokenizerJson, modelConfig, vocabSize } = input;
  const cfg: Json = { ...input.tokenizerConfig };
  const added = Array.isArray(tokenizerJson.added_tokens) ? (tokenizerJson.added_tokens as Json[]) : [];
  const tokens: Partial<Record<SpecialType, string | null>> = {};
  for (const t of TYPES) tokens[t] = content(cfg[`${t}_token`]);
  if (tokens.bos === null && tokens.cls !== null) tokens.bos = tokens.cls;
  if (tokens.eos === null && tokens.sep !== null) tokens.eos = tokens.sep;

  const addFlag: Partial<Record<'bos' | 'eos', boolean>> = {};
  const pp = tokenizerJson.post_processor;
  const processors = isObject(pp) ? (Array.isArray(pp.processors) ? pp.processors : [pp]) : [];
  for (const p of processors) {
    if (!isObject(p)) continue;
    if (p.type === 'RobertaProcessing') {
      addFlag.bos = true;
      addFlag.eos = true;
      continue;
    }
    if (p.type !== 'TemplateProcessing' || !Array.isArray(p.single) || p.single.length <= 1) continue;
    const first = specialTokenId(p.single[0]);
    if (first !== null) addFlag.bos = first === tokens.bos || first === tokens.cls;
    const last = specialTokenId(p.single[p.single.length - 1]);
    if (last !== null) {
      if (last !== tokens.eos) {
        // SpecialVocab: the template's trailing token becomes eos, the configured one eot.
        if (tokens.eos !== null && tokens.eos !== undefined) tokens.eot = tokens.eos;
        tokens.eos = last;
      }
      addFlag.eos = true;
    }
  }
  for (const t of ['bos', 'eos'] as const) {
    const flag = cfg[`add_${t}_token`];
    if (typeof flag === 'boolean') addFlag[t] = flag;
  }

  const ids: Partial<Record<SpecialType, number>> = {};
  const set = (t: SpecialType, id: unknown, from: string) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || ids[t] !== undefined) return;
    if (id < 0 || id >= vocabSize) {
      warnings.push(`${t} token id ${id} from ${from} is outside the vocabulary (${vocabSize}); not written`);
      return;
    }
    ids[t] = id;
  };
  for (const t of TYPES) {
    const c = tokens[t];
    if (c === null || c === undefined) continue;
    const found = added.find((a) => isObject(a) && a.content === c);
    set(t, found?.id, 'tokenizer.json');
  }
  for (const t of TYPES) set(t, modelConfig[`${t}_token_id`], 'config.json');

  const llamaClass = typeof cfg.tokenizer_class === 'string' && LLAMA_CLASSES.test(cfg.tokenizer_class);
  const kv: GgufKv[] = [];
  for (const t of TYPES) {
    const id = ids[t];
    if (id !== undefined) kv.push([ID_KEY[t], { type: 'uint32', value: id }]);
  }
  kv.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: addFlag.bos ?? llamaClass }]);
  kv.push(['tokenizer.ggml.add_eos_token', { type: 'bool', value: addFlag.eos ?? false }]);
  kv.push(...chatTemplateMetadata(input.chatTemplate, warnings));
  return kv;
}

/**
 * tokenizer.chat_template; a list of named templates (Transformers' multi-template form) is
 * written as GGUFWriter.add_chat_template does: "default" as tokenizer.chat_template, each other
 * as tokenizer.chat_template.<name>, and their names in tokenizer.chat_templates.
 */
function chatTemplateMetadata(value: unknown, warnings: string[]): GgufKv[] {
  if (typeof value === 'string') return value === '' ? [] : [['tokenizer.chat_template', { type: 'string', value }]];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    warnings.push('chat_template is neither a string nor a list of named templates; not written');
    return [];
  }
  const kv: GgufKv[] = [];
  const names: string[] = [];
  for (const entry of value) {
    if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.template !== 'string') continue;
    if (entry.name === 'default') {
      kv.unshift(['tokenizer.chat_template', { type: 'string', value: entry.template }]);
    } else {
      const name = entry.name.replace(/[^A-Za-z0-9]/g, '_');
      names.push(name);
      kv.push([`tokenizer.chat_template.${name}`, { type: 'string', value: entry.template }]);
    }
  }
  if (names.length > 0) kv.push(['tokenizer.chat_templates', { type: 'string[]', value: names }]);
  return kv;
}

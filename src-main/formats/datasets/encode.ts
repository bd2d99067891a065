/**
 * Examples to token ids with labels: -100 on every token that is not trained (prompts, user and
 * system turns, the chat template's scaffolding), the token itself on every trained one.
 *
 * Choices, in the order a row meets them:
 * - messages: the conversation is rendered through the model's chat template and encoded once, as
 *   a whole, so the ids are exactly what the model sees at inference. Each assistant turn's content
 *   is trained together with what the template writes after it up to and including the next
 *   special token (its end of turn: `<|im_end|>`, `<|eot_id|>`, `</s>`), so the model learns to
 *   stop. Scaffolding the template puts before the content (a role header, Qwen3's empty
 *   `<think></think>`) is prompt, not target.
 * - alpaca and prompt/completion: with a chat template, a two-turn chat (user = the instruction,
 *   plus "\n\n" and the input when there is one; or the prompt), trained as above. Without one, plain
 *   text: BOS as the tokenizer adds it, the prompt (alpaca: the user text and "\n\n"), then the
 *   completion and EOS, trained. The chat form is what an instruct model is asked with later.
 * - text: BOS as the tokenizer adds it, the text, EOS; every token after BOS is trained.
 * - tokenized: the ids and labels as given.
 * A template that writes the BOS text itself gets no second BOS.
 *
 * Finding a turn: the prefix rendered with add_generation_prompt (messages[:i]) says where the
 * assistant turn starts in the full rendering; the content is the last occurrence of its text (or
 * of its trimmed text, for templates that trim) between there and the next special token. Positions
 * are always taken in the full rendering, never by gluing prefix renderings together, because some
 * templates render a turn differently once more turns follow (Qwen3 drops the empty think block of
 * earlier turns). When the template rewrites the content (Qwen3 moves a `<think>` block out of an
 * earlier turn), the whole rendered turn up to its end token is trained instead.
 *
 * Characters to tokens: a cut at character c is the number of leading tokens that encoding the
 * text before c shares with encoding the whole text, so the ids are always those of the whole
 * rendering. Encoding the pieces on their own and concatenating would not do in general:
 * SentencePiece tokenizers (Llama 2, Mistral) glue a leading space to the next word and prefix
 * each encoded piece with "▁". A token that straddles a cut counts as after it, so a trained span
 * begins with the first token that holds answer text. (encodeWithCuts has a fast path for
 * tokenizers whose pieces between special tokens do encode independently, checked per row.)
 */
import type { ChatMessage, Tokenizer } from '../tokenizer/types.js';
import type { Example } from './formats.js';
import type { TokenizedRow } from './tokenized.js';

export interface EncodedRow extends TokenizedRow {
  /** Every id before the last trained span's first token (the prompt to answer, for exact match). */
  promptIds: number[] | null;
  /** The last trained span's source text: the completion, output or last assistant message. */
  answer: string | null;
  /** The row was longer than the maximum length and was cut. */
  truncated: boolean;
}

export const IGNORE = -100;

interface TokenizerFacts {
  /** Ids the tokenizer puts in front of a text when adding special tokens (BOS, or nothing). */
  lead: number[];
  /** Finds the texts of the special and stop tokens (longest first): where a turn ends. */
  specials: RegExp | null;
}

/** A special token's place in a text, in characters. */
interface Mark {
  at: number;
  end: number;
}

const facts = new WeakMap<Tokenizer, TokenizerFacts>();

function factsOf(tok: Tokenizer): TokenizerFacts {
  let f = facts.get(tok);
  if (f === undefined) {
    const withSpecial = tok.encode('a');
    const bare = tok.encode('a', { addSpecialTokens: false });
    let lead: number[] = [];
    for (let k = 0; k + bare.length <= withSpecial.length; k++) {
      if (bare.every((id, j) => withSpecial[k + j] === id)) {
        lead = withSpecial.slice(0, k);
        break;
      }
    }
    const texts = new Set<string>();
    for (const id of new Set([...tok.specialIds, ...tok.stopIds])) texts.add(tok.decode([id], { skipSpecialTokens: false }));
    if (tok.eosToken) texts.add(tok.eosToken);
    texts.delete('');
    const alternatives = [...texts].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    f = { lead, specials: alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : null };
    facts.set(tok, f);
  }
  return f;
}

/** A row before truncation: ids, labels and the last trained span [start, end) in tokens. */
interface Encoded {
  ids: number[];
  labels: number[];
  last: { start: number; end: number; answer: string } | null;
}

/** Every special-token text in `text`, in order. */
function marksOf(text: string, specials: RegExp | null): Mark[] {
  if (specials === null) return [];
  return [...text.matchAll(specials)].map((m) => ({ at: m.index!, end: m.index! + m[0].length }));
}

/** Number of leading ids two lists share. */
function sharedPrefix(a: readonly number[], b: readonly number[], bFrom = 0, bTo = b.length): number {
  let k = 0;
  while (k < a.length && bFrom + k < bTo && a[k] === b[bFrom + k]) k++;
  return k;
}

/**
 * Encodes `text` (with `lead` in front) and maps each character cut to a token index: the number
 * of leading tokens that encoding the text before the cut shares with encoding the whole.
 *
 * Fast path: tokenizers split added tokens out before anything else, so when the pieces between
 * special tokens, encoded one by one, give exactly the whole text's ids, a cut only needs its own
 * piece encoded up to it. Otherwise (a tokenizer that treats pieces differently in context) each cut
 * encodes the whole text before it.
 */
function encodeWithCuts(tok: Tokenizer, lead: readonly number[], text: string, marks: readonly Mark[], cuts: readonly number[]): { ids: number[]; at: number[] } {
  const enc = (t: string): number[] => tok.encode(t, { addSpecialTokens: false });
  const body = enc(text);
  // Pieces alternate text and special token: [charStart, charEnd, tokenStart, tokenEnd].
  const pieces: [number, number, number, number][] = [];
  let fast = true;
  const bounds = [0, ...marks.flatMap((m) => [m.at, m.end]), text.length];
  let tokens = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const [from, to] = [bounds[k], bounds[k + 1]];
    if (from === to) continue;
    const ids = enc(text.slice(from, to));
    if (sharedPrefix(ids, body, tokens) !== ids.length) {
      fast = false;
      break;
    }
    pieces.push([from, to, tokens, tokens + ids.length]);
    tokens += ids.length;
  }
  fast &&= tokens === body.length;
  const at = cuts.map((c) => {
    if (c <= 0) return lead.length;
    if (c >= text.length) return lead.length + body.length;
    if (!fast) return lead.length + sharedPrefix(enc(text.slice(0, c)), body);
    const [from, , t0, t1] = pieces.find(([f, to]) => f <= c && c < to)!;
    return lead.length + t0 + (c === from ? 0 : sharedPrefix(enc(text.slice(from, c)), body, t0, t1));
  });
  return { ids: [...lead, ...body], at };
}

function labelled(ids: readonly number[], spans: readonly { start: number; end: number }[]): number[] {
  const labels = new Array<number>(ids.length).fill(IGNORE);
  for (const { start, end } of spans) for (let t = start; t < end; t++) labels[t] = ids[t];
  return labels;
}

function commonPrefixLength(a: string, b: string): number {
  let k = 0;
  while (k < a.length && k < b.length && a.charCodeAt(k) === b.charCodeAt(k)) k++;
  return k;
}

/** The first mark at or after `from`. */
function nextMark(marks: readonly Mark[], from: number): Mark | null {
  return marks.find((m) => m.at >= from) ?? null;
}

/** Character span of the assistant turn whose content is `content`, searched from `base`. */
function locateTurn(full: string, content: string, base: number, marks: readonly Mark[]): { start: number; end: number } {
  const bound = nextMark(marks, base);
  const limit = bound?.at ?? full.length;
  for (const c of [content, content.trim()]) {
    // The last occurrence in the turn: scaffolding before the content may contain its text (an
    // answer "think" inside Qwen3's "<think></think>").
    const at = full.lastIndexOf(c, limit - c.length);
    if (at < base || limit - c.length < 0) continue;
    const contentEnd = at + c.length;
    const eot = nextMark(marks, contentEnd);
    // Only what the template writes between the content and its end token (Llama 2's " ") joins.
    const end = eot !== null && full.slice(contentEnd, eot.at).trim() === '' ? eot.end : contentEnd;
    return { start: at, end };
  }
  return { start: base, end: bound?.end ?? full.length };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function encodeChat(tok: Tokenizer, messages: readonly ChatMessage[], answer: string): Encoded | string {
  const { lead, specials } = factsOf(tok);
  let full: string;
  try {
    full = tok.applyChatTemplate(messages);
  } catch (e) {
    return `the chat template cannot render this conversation: ${message(e)}`;
  }
  const marks = marksOf(full, specials);
  const spans: { start: number; end: number }[] = [];
  let from = 0;
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    let base = from;
    try {
      const prompt = tok.applyChatTemplate(messages.slice(0, i), { addGenerationPrompt: true });
      base = Math.max(from, commonPrefixLength(prompt, full));
    } catch {
      // A template may refuse a conversation that starts with the assistant; search from `from`.
    }
    const span = locateTurn(full, m.content, base, marks);
    spans.push(span);
    from = span.end;
  });
  const bos = tok.bosToken;
  const useLead = bos !== null && bos !== '' && full.startsWith(bos) ? [] : lead;
  const { ids, at } = encodeWithCuts(tok, useLead, full, marks, spans.flatMap((s) => [s.start, s.end]));
  const tokenSpans = spans.map((_, k) => ({ start: at[2 * k], end: at[2 * k + 1] }));
  const last = tokenSpans[tokenSpans.length - 1];
  return { ids, labels: labelled(ids, tokenSpans), last: { ...last, answer } };
}

function encodePlain(tok: Tokenizer, prompt: string, completion: string): Encoded {
  const { lead, specials } = factsOf(tok);
  const text = prompt + completion;
  const { ids, at } = encodeWithCuts(tok, lead, text, marksOf(text, specials), [prompt.length]);
  if (tok.eosId !== null) ids.push(tok.eosId);
  const span = { start: at[0], end: ids.length };
  return { ids, labels: labelled(ids, [span]), last: { ...span, answer: completion } };
}

function encodeText(tok: Tokenizer, text: string): Encoded {
  const { lead } = factsOf(tok);
  const ids = [...lead, ...tok.encode(text, { addSpecialTokens: false })];
  if (tok.eosId !== null) ids.push(tok.eosId);
  return { ids, labels: labelled(ids, [{ start: lead.length, end: ids.length }]), last: null };
}

function encodeUntruncated(ex: Example, tok: Tokenizer | null): Encoded | string {
  if (ex.kind === 'tokens') return { ids: ex.inputIds, labels: ex.labels, last: null };
  if (tok === null) return `reading ${ex.kind} rows needs the model's tokenizer`;
  switch (ex.kind) {
    case 'chat': {
      const lastAssistant = [...ex.messages].reverse().find((m) => m.role === 'assistant');
      return encodeChat(tok, ex.messages, lastAssistant?.content ?? '');
    }
    case 'pair':
      if (!tok.hasChatTemplate) return encodePlain(tok, ex.prompt, ex.completion);
      return encodeChat(tok, [{ role: 'user', content: ex.user }, { role: 'assistant', content: ex.completion }], ex.completion);
    case 'text':
      return encodeText(tok, ex.text);
  }
}

/** Encodes one example and cuts it to `maxLength` tokens; returns the reason when nothing is left to train. */
export function encodeExample(ex: Example, tok: Tokenizer | null, line: number, limits: { maxLength: number; vocabSize: number }): EncodedRow | string {
  const enc = encodeUntruncated(ex, tok);
  if (typeof enc === 'string') return enc;
  const outside = enc.ids.find((id) => id < 0 || id >= limits.vocabSize);
  if (outside !== undefined) {
    return `the tokenizer gives token id ${outside}, outside the model's vocabulary of ${limits.vocabSize} (is it the model's own tokenizer?)`;
  }
  const truncated = enc.ids.length > limits.maxLength;
  const inputIds = truncated ? enc.ids.slice(0, limits.maxLength) : enc.ids;
  const labels = truncated ? enc.labels.slice(0, limits.maxLength) : enc.labels;
  // labels[0] is never a target: logits at t predict token t + 1.
  if (!labels.some((l, t) => t > 0 && l !== IGNORE)) {
    return truncated
      ? `nothing to train after truncating to ${limits.maxLength} tokens`
      : `nothing to train: the row has ${inputIds.length} token${inputIds.length === 1 ? '' : 's'} and none after the first is trained`;
  }
  const last = enc.last !== null && enc.last.end <= inputIds.length ? enc.last : null;
  return {
    inputIds,
    labels,
    line,
    promptIds: last === null ? null : inputIds.slice(0, last.start),
    answer: last === null ? null : last.answer,
    truncated,
  };
}

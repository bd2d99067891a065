/**
 * Generated token ids to streamed text, with stop strings and stop ids.
 *
 * Each push decodes the whole generated id list again and emits what is new at its end (as
 * transformers' TextStreamer does), holding back:
 * - a trailing run of U+FFFD: a byte-level BPE token can end inside a multi-byte UTF-8 character,
 *   which decodes as U+FFFD until the token holding the rest arrives;
 * - the longest tail that could be the start of a stop string, until it is known either way.
 * When a stop string appears, the text before it is emitted and the stream is done; the stop string
 * is not shown. A stop id ends the stream without its text (an end-of-turn token is not an answer).
 * end() emits whatever is still held back (the answer ran out of tokens). Concatenated, the chunks
 * are the decoded answer: decode(ids without the stop id), cut before the first stop string.
 *
 * Uses only the Tokenizer contract (formats/tokenizer/types.ts), so it knows nothing of tfjs.
 */
import type { Tokenizer } from '../formats/tokenizer/types.js';

export interface TextStreamOptions {
  /** Texts that end the answer; the first one to appear wins and is not shown. */
  stopStrings?: readonly string[];
  /** Token ids that end the answer without being shown (the tokenizer's stopIds, usually). */
  stopIds?: Iterable<number>;
  /** Leave special tokens out of the text (default true, as evaluation decodes answers). */
  skipSpecialTokens?: boolean;
}

/** Why the stream ended: null while it goes on (or when end() was called without a stop). */
export type TextStop = 'stop-id' | 'stop-string' | null;

export class TextStream {
  private readonly ids: number[] = [];
  private readonly stopStrings: string[];
  private readonly stopIds: Set<number>;
  private readonly skipSpecialTokens: boolean;
  private shown = ''; // every chunk so far, concatenated
  private decoded = ''; // decode(ids) at the last push
  private stop: TextStop = null;
  private ended = false;

  constructor(private readonly tokenizer: Tokenizer, opts: TextStreamOptions = {}) {
    this.stopStrings = (opts.stopStrings ?? []).filter((s) => s !== '');
    this.stopIds = new Set(opts.stopIds ?? []);
    this.skipSpecialTokens = opts.skipSpecialTokens ?? true;
  }

  /** True once a stop id or stop string has ended the answer, or end() was called. */
  get done(): boolean {
    return this.ended || this.stop !== null;
  }

  get stoppedBy(): TextStop {
    return this.stop;
  }

  /** The answer so far: everything emitted. */
  get text(): string {
    return this.shown;
  }

  /** Adds one generated token; returns the text to show now ('' when nothing new is certain). */
  push(id: number): string {
    if (this.done) return '';
    if (this.stopIds.has(id)) {
      this.stop = 'stop-id';
      return this.release(this.cutAtStopString(this.decoded) ?? this.decoded);
    }
    this.ids.push(id);
    this.decoded = this.tokenizer.decode(this.ids, { skipSpecialTokens: this.skipSpecialTokens });
    const cut = this.cutAtStopString(this.decoded);
    if (cut !== null) {
      this.stop = 'stop-string';
      return this.release(cut);
    }
    return this.release(this.decoded.slice(0, this.safeEnd(this.decoded)));
  }

  /** Ends the stream (the token budget ran out): returns whatever was held back. */
  end(): string {
    if (this.done) return '';
    this.ended = true;
    return this.release(this.decoded);
  }

  /** Emits what `upTo` has beyond what was shown (nothing if the decoding changed what was shown). */
  private release(upTo: string): string {
    if (upTo.length <= this.shown.length || !upTo.startsWith(this.shown)) return '';
    const chunk = upTo.slice(this.shown.length);
    this.shown = upTo;
    return chunk;
  }

  /** The text before the earliest stop string in `text`, or null when there is none. */
  private cutAtStopString(text: string): string | null {
    let at = -1;
    for (const s of this.stopStrings) {
      const k = text.indexOf(s);
      if (k >= 0 && (at < 0 || k < at)) at = k;
    }
    return at < 0 ? null : text.slice(0, at);
  }

  /** Length of the prefix of `text` that is safe to show: no trailing U+FFFD, no possible stop-string start. */
  private safeEnd(text: string): number {
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
    // The longest suffix of text[0, end) that is a proper prefix of any stop string is held back.
    let hold = 0;
    for (const s of this.stopStrings) {
      for (let n = Math.min(s.length - 1, end); n > hold; n--) {
        if (text.endsWith(s.slice(0, n), end)) {
          hold = n;
          break;
        }
      }
    }
    return end - hold;
  }
}

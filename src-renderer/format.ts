/**
 * Numbers, statuses and settings in plain words, the same way on every view. Scores are fractions
 * 0..1 in the contract; people read percentages with one decimal, like `hft runs` prints them.
 */
import type { RunStatus } from '../src-main/contract/index.js';

/** The minus sign (U+2212), which reads better than a hyphen next to digits. */
const MINUS = '\u2212';
/** Shown where there is no number. */
export const DASH = '\u2013';

/** 0.125 → "12.5%"; null → "–". */
export function percent(v: number | null): string {
  return v == null ? DASH : `${(100 * v).toFixed(1)}%`;
}

/** A change in score, in percentage points: -0.125 → "−12.5 points", 0 → "0.0 points". */
export function points(v: number | null): string {
  if (v == null) return DASH;
  const text = Math.abs(100 * v).toFixed(1);
  if (text === '0.0') return '0.0 points';
  return `${v < 0 ? MINUS : '+'}${text} points`;
}

/** 86272 → "86 thousand"; 1_543_000_000 → "1.5 billion": the size a person remembers. */
export function roughCount(n: number): string {
  if (n < 1_000) return String(n);
  if (n < 1_000_000) return `${Math.round(n / 1_000)} thousand`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)} million`;
  return `${(n / 1_000_000_000).toFixed(1)} billion`;
}

/** 86272 → "86,272" (grouping in English, whatever the browser's language). */
export function exactCount(n: number): string {
  return n.toLocaleString('en-US');
}

const STATUS: Record<RunStatus, { label: string; hint: string }> = {
  queued: { label: 'Waiting', hint: 'recorded, not started yet' },
  running: { label: 'Training', hint: 'training now' },
  paused: { label: 'Paused', hint: 'stopped at a checkpoint; it can be resumed' },
  failed: { label: 'Failed', hint: 'stopped by an error; the reason is shown on the run' },
  done: { label: 'Finished', hint: 'all stages trained and tested' },
};

export const statusLabel = (s: RunStatus): string => STATUS[s].label;
export const statusHint = (s: RunStatus): string => STATUS[s].hint;

const STAGE_STATUS: Record<'pending' | 'running' | 'done', string> = { pending: 'Not started', running: 'Training', done: 'Finished' };
export const stageStatusLabel = (s: 'pending' | 'running' | 'done'): string => STAGE_STATUS[s];

/** How a run chose what to train, briefly: "Half fine-tuning, 50%" or "Full fine-tuning". */
export function methodShort(strategy: string, ratio: number): string {
  if (strategy === 'full') return 'Full fine-tuning';
  return `Half fine-tuning, ${Math.round(ratio * 100)}%`;
}

const STRATEGY_WORDS: Record<string, string> = {
  category: 'whole parts of each layer, as in the HFT paper',
  matrix: 'whole weight tables, anywhere in the model',
  layer: 'whole layers',
  parameter: 'single numbers inside every weight table',
};

/** The same in a sentence, for a run's page. */
export function methodLong(strategy: string, ratio: number): string {
  if (strategy === 'full') return 'Full fine-tuning: every part of the model trains in every stage.';
  const what = STRATEGY_WORDS[strategy] ?? strategy;
  return `Half fine-tuning: in each stage about ${Math.round(ratio * 100)}% of the model trains and the rest stays frozen; it picks ${what} ("${strategy}").`;
}

const ARCHITECTURES: Record<string, string> = { llama: 'Llama', mistral: 'Mistral', qwen2: 'Qwen2' };
export const architectureName = (a: string): string => ARCHITECTURES[a] ?? a;

const DTYPES: Record<string, string> = {
  F32: '32-bit floating point (F32)',
  F16: '16-bit floating point (F16)',
  BF16: '16-bit brain floating point (BF16)',
};
export const dtypeWords = (d: string): string => DTYPES[d.toUpperCase()] ?? d;

const DATASET_FORMATS: Record<string, string> = {
  alpaca: 'instruction / answer pairs (alpaca)',
  messages: 'chat conversations (messages)',
  'prompt-completion': 'prompt / completion pairs',
  text: 'plain text (all of it is trained)',
  preference: 'preference pairs: a chosen and a rejected answer',
  tokenized: 'token ids, already tokenized',
};
/** A dataset format in words: "alpaca" → "instruction / answer pairs (alpaca)". */
export const datasetFormatWords = (f: string): string => DATASET_FORMATS[f] ?? f;

/** "27 Nov 2026, 12:34" in the browser's own language and time zone. */
export function dateTime(iso: string | null): string {
  if (iso == null) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

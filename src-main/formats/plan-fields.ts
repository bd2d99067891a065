/**
 * Typed field readers for hand-written JSON config files (the plan file), built on json-locate.
 *
 * Every reader records a problem in an IssueList instead of throwing, so one pass reports every
 * mistake in the file, each with the line where the offending value starts (or, for a missing
 * field, where its parent object starts). A reader returns `undefined` when the value is absent
 * or bad; the caller substitutes the default and carries on. Unknown keys get a "did you mean"
 * from a cheap edit distance, plus an alias table for names other tools use.
 */
import type { JsonNode, JsonObjectNode } from './json-locate.js';

export interface PlanIssue {
  file: string;
  line: number;
  /** Dotted path of the field, e.g. `training.lr` or `tasks[1].data`; '' for a JSON syntax error. */
  field: string;
  reason: string;
}

export class IssueList {
  readonly issues: PlanIssue[] = [];
  constructor(readonly file: string) {}

  add(line: number, field: string, reason: string): void {
    this.issues.push({ file: this.file, line, field, reason: reason.replace(/[\r\n\u2028\u2029]+/g, ' ') });
  }
}

/** What a value is, for "expected X, found Y". */
export function describe(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'null':
      return 'null';
    case 'boolean':
      return String(node.value);
    case 'number':
      return `the number ${node.value}`;
    case 'string': {
      const q = JSON.stringify(node.value);
      return `the text ${q.length > 60 ? `${q.slice(0, 57)}..."` : q}`;
    }
  }
}

/** The value of `key` in `obj` (the first, if repeated: duplicates are reported by checkKeys). */
export function get(obj: JsonObjectNode, key: string): JsonNode | undefined {
  return obj.entries.find((e) => e.key === key)?.value;
}

export const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/** Checks `node` is an object; otherwise records "expected an object" and returns undefined. */
export function asObject(list: IssueList, node: JsonNode, field: string, what = 'an object'): JsonObjectNode | undefined {
  if (node.kind === 'object') return node;
  list.add(node.line, field, `expected ${what}, found ${describe(node)}`);
  return undefined;
}

/**
 * Reports unknown and repeated keys of `obj`. `suggest` maps an unknown key to the full field path
 * it probably meant, or undefined.
 */
export function checkKeys(
  list: IssueList,
  obj: JsonObjectNode,
  path: string,
  known: readonly string[],
  suggest: (key: string) => string | undefined,
  unknown = 'unknown field',
): void {
  const seen = new Map<string, number>();
  for (const e of obj.entries) {
    const field = join(path, e.key);
    const first = seen.get(e.key);
    if (first !== undefined) {
      list.add(e.keyPos.line, field, `given twice (first on line ${first}); keep one`);
      continue;
    }
    seen.set(e.key, e.keyPos.line);
    if (!known.includes(e.key)) {
      const hint = suggest(e.key);
      list.add(e.keyPos.line, field, `${unknown}${hint ? ` — did you mean ${hint}?` : `; known fields here: ${known.join(', ')}`}`);
    }
  }
}

export interface NumberRule {
  integer?: boolean;
  min?: number; // inclusive
  exclusiveMin?: number;
  max?: number; // inclusive
  exclusiveMax?: number;
}

function rangeWords(r: NumberRule): string {
  const lo = r.min !== undefined ? ['at least', r.min] : r.exclusiveMin !== undefined ? ['more than', r.exclusiveMin] : undefined;
  const hi = r.max !== undefined ? ['at most', r.max] : r.exclusiveMax !== undefined ? ['less than', r.exclusiveMax] : undefined;
  const kind = r.integer ? 'a whole number' : 'a number';
  if (r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}`;
  const parts = [lo, hi].filter((p) => p !== undefined).map((p) => `${p![0]} ${p![1]}`);
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

/** A number within `rule`; null is accepted (and returned) only when `nullable`. */
export function readNumber(list: IssueList, node: JsonNode, field: string, rule: NumberRule, nullable = false): number | null | undefined {
  if (node.kind === 'null' && nullable) return null;
  if (node.kind !== 'number') {
    list.add(node.line, field, `expected ${rangeWords(rule)}${nullable ? ' or null' : ''}, found ${describe(node)}`);
    return undefined;
  }
  const v = node.value;
  const ok =
    Number.isFinite(v) &&
    (!rule.integer || Number.isInteger(v)) &&
    (rule.min === undefined || v >= rule.min) &&
    (rule.exclusiveMin === undefined || v > rule.exclusiveMin) &&
    (rule.max === undefined || v <= rule.max) &&
    (rule.exclusiveMax === undefined || v < rule.exclusiveMax);
  if (!ok) {
    list.add(node.line, field, `must be ${rangeWords(rule)}${nullable ? ' (or null)' : ''}, found ${v}`);
    return undefined;
  }
  return v;
}

export function readBoolean(list: IssueList, node: JsonNode, field: string): boolean | undefined {
  if (node.kind === 'boolean') return node.value;
  list.add(node.line, field, `expected true or false, found ${describe(node)}`);
  return undefined;
}

export interface StringRule {
  /** Must hold a non-space character and no control characters (names shown in tables). */
  label?: boolean;
  maxLength?: number;
}

/** The label rule as a regular expression; the JSON schema's `pattern` for names is the same. */
export const LABEL_PATTERN = /^[^\u0000-\u001f\u007f]*\S[^\u0000-\u001f\u007f]*$/u;

export function readString(list: IssueList, node: JsonNode, field: string, rule: StringRule = {}, nullable = false): string | null | undefined {
  if (node.kind === 'null' && nullable) return null;
  if (node.kind !== 'string') {
    list.add(node.line, field, `expected text in double quotes${nullable ? ' or null' : ''}, found ${describe(node)}`);
    return undefined;
  }
  const v = node.value;
  if (v.length === 0) {
    list.add(node.line, field, 'must not be empty');
    return undefined;
  }
  if (rule.maxLength !== undefined && v.length > rule.maxLength) {
    list.add(node.line, field, `must be at most ${rule.maxLength} characters, found ${v.length}`);
    return undefined;
  }
  if (rule.label && !LABEL_PATTERN.test(v)) {
    list.add(node.line, field, 'must be one line of visible text (no line breaks or control characters)');
    return undefined;
  }
  return v;
}

/** One of `choices`; `aliases` (normalised other names → choice) sharpen the "did you mean". */
export function readChoice<T extends string>(
  list: IssueList,
  node: JsonNode,
  field: string,
  choices: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): T | undefined {
  if (node.kind === 'string' && (choices as readonly string[]).includes(node.value)) return node.value as T;
  const hint = node.kind === 'string' ? (aliases[normalise(node.value)] ?? closest(node.value, choices)) : undefined;
  list.add(
    node.line,
    field,
    `expected one of ${choices.join(', ')}; found ${describe(node)}${hint ? ` — did you mean "${hint}"?` : ''}`,
  );
  return undefined;
}

/** Lower case, no separators: `learning_rate`, `Learning-Rate` and `learningRate` all match. */
export const normalise = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

/** Levenshtein distance, with an early exit once every entry of a row exceeds `cap`. */
export function editDistance(a: string, b: string, cap = Infinity): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    if (Math.min(...row) > cap) return cap + 1;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate `word` most likely means: same up to case and separators, else the nearest within
 * an edit distance that grows with length (1 up to 4 letters, 2 up to 8, then 3), else one that
 * contains the other (`warmupSteps` → `warmup`). Undefined when nothing is close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = normalise(word);
  if (!w) return undefined;
  const exact = candidates.find((c) => normalise(c) === w);
  if (exact) return exact;
  const cap = w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestD = cap + 1;
  for (const c of candidates) {
    const d = editDistance(w, normalise(c), cap);
    if (d < bestD) [best, bestD] = [c, d];
  }
  if (best) return best;
  return candidates.find((c) => {
    const n = normalise(c);
    return Math.min(n.length, w.length) >= 4 && (n.includes(w) || w.includes(n));
  });
}

/**
 * resources/plan.schema.json against parsePlan, checked independently with ajv: every example plan
 * under test/fixtures/plans/ (good and bad), every one-value edit of a full plan (probing each
 * bound either side states) and random pairs of edits must be
 * accepted or refused by both alike; for a refused plan, every place ajv complains about must be
 * a place parsePlan names. The schema's ranges and choices must be the code's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  DATA_FORMATS,
  DEFAULT_PLAN_VALUES,
  FREEZE_STRATEGIES,
  LR_SCHEDULES,
  MAPPING_FIELDS,
  MAX_NAME_LENGTH,
  MAX_TASKS,
  parsePlan,
  PLAN_BACKENDS,
  PLAN_LIMITS,
  PlanError,
} from '../../src-main/formats/plan.js';

const ROOT = resolve(__dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/plans');
const schema = JSON.parse(readFileSync(join(ROOT, 'resources/plan.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

type Verdict = { ok: true } | { ok: false; places: string[] };

/** ajv's verdict on the text, with the places it complains about as our field paths. */
function ajvVerdict(text: string): Verdict {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, places: [''] };
  }
  if (validate(value)) return { ok: true };
  // "/tasks/0/mapping/columns" -> "tasks[0].mapping.columns"
  const places = (validate.errors ?? []).map((e) =>
    e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), ''),
  );
  return { ok: false, places };
}

function ourVerdict(text: string): Verdict {
  try {
    parsePlan(text, '/plans/p.json');
    return { ok: true };
  } catch (e) {
    if (!(e instanceof PlanError)) throw e;
    return { ok: false, places: e.issues.map((i) => i.field) };
  }
}

/** Why the two disagree on `text`, or null when they agree (parsePlan's verdict in `accepted`). */
function disagreement(text: string, label: () => string, tally?: { accepted: number }): string | null {
  const theirs = ajvVerdict(text);
  const ours = ourVerdict(text);
  if (ours.ok && tally) tally.accepted++;
  if (ours.ok !== theirs.ok) {
    return `${label()}: parsePlan ${ours.ok ? 'accepts' : `refuses (${!ours.ok && ours.places.join(', ')})`}, ajv ${theirs.ok ? 'accepts' : 'refuses'}`;
  }
  if (!theirs.ok && !ours.ok) {
    for (const place of theirs.places) {
      const named = place === '' || ours.places.some((f) => f === place || f.startsWith(`${place}.`) || f.startsWith(`${place}[`));
      if (!named) return `${label()}: ajv complains about "${place}", parsePlan names only ${ours.places.join(', ')}`;
    }
  }
  return null;
}

describe('plan.schema.json', () => {
  it('is a strict-mode-clean draft 2020-12 schema', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.errors ?? null).toBeNull();
  });

  it('agrees with parsePlan on every example plan', () => {
    for (const kind of ['good', 'bad']) {
      const names = readdirSync(join(FIXTURES, kind));
      expect(names.length).toBeGreaterThan(3);
      for (const name of names) {
        const text = readFileSync(join(FIXTURES, kind, name), 'utf8');
        expect(disagreement(text, () => `${kind}/${name}`)).toBeNull();
        expect(ourVerdict(text).ok, `${kind}/${name}`).toBe(kind === 'good');
      }
    }
  });

  it('agrees with parsePlan on every single edit of a full plan, and on random pairs of edits', () => {
    const base = JSON.parse(readFileSync(join(FIXTURES, 'good/full.json'), 'utf8'));
    // Every place a value sits in the full plan, plus a few it could sit.
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]): void => {
      if (path.length) paths.push(path);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
    };
    walk(base, []);
    paths.push(['training', 'epochs'], ['tasks', 2, 'epochs'], ['tasks', 1, 'mapping', 'columns'], ['tasks', 0, 'mapping', 'columns', 'input']);
    paths.push(['tasks', 0, 'mapping', 'columns', 'text'], ['evaluation', 'unknownKey'], ['lr'], ['tasks', 3]);
    // Probe values: every number either side states as a bound, and its neighbours.
    const bounds = new Set<number>();
    const collect = (v: unknown): void => {
      if (typeof v === 'number') bounds.add(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(collect);
    };
    collect(schema);
    collect(PLAN_LIMITS);
    const numbers = [...bounds].flatMap((n) => [n, n - 1, n + 1, n - 0.5, n + 0.5]);
    const numeric = [...new Set(numbers.filter(Number.isFinite)), 1e20];
    const values: unknown[] = [
      -1, 0, 0.5, 1, 2.5, 1e20, 'x', '', ' ', 'a\nb', 'x'.repeat(MAX_NAME_LENGTH + 1), 'full', 'cosine',
      'alpaca', 'messages', 'text', 'wasm', null, true, false, [], [{}], [{ data: 'a' }], {}, { format: 'text' }, { text: 'body' },
      { format: 'tokenized', columns: { text: 'b' } }, Array.from({ length: MAX_TASKS + 1 }, () => ({ data: 'a' })), undefined,
    ];
    const edited = (edits: [(string | number)[], unknown][]): string => {
      const plan = structuredClone(base);
      for (const [path, value] of edits) {
        let parent = plan;
        for (const p of path.slice(0, -1)) {
          if (parent[p] === null || typeof parent[p] !== 'object') parent[p] = {};
          parent = parent[p];
        }
        if (value === undefined) delete parent[path[path.length - 1]];
        else parent[path[path.length - 1]] = structuredClone(value);
      }
      return JSON.stringify(plan, null, 2);
    };
    const tally = { accepted: 0 };
    const failures: string[] = [];
    let total = 0;
    const check = (edits: [(string | number)[], unknown][]): void => {
      total++;
      const why = disagreement(edited(edits), () => edits.map(([p, v]) => `${p.join('.')} = ${JSON.stringify(v)}`).join('; '), tally);
      if (why) failures.push(why);
    };
    // Bounds are probed where a number belongs (a number in the full plan, or epochs/steps).
    const isNumeric = (path: (string | number)[]): boolean => {
      const at = path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined), base);
      return typeof at === 'number' || ['epochs', 'steps'].includes(String(path[path.length - 1]));
    };
    for (const path of paths) for (const value of isNumeric(path) ? [...numeric, ...values] : values) check([[path, value]]);
    let seed = 2024;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pool = [...numeric, ...values];
    for (let trial = 0; trial < 300; trial++) check([0, 1].map(() => [paths[rand(paths.length)], pool[rand(pool.length)]]));
    expect(failures.slice(0, 5)).toEqual([]);
    expect(total).toBeGreaterThan(2000);
    const accepted = tally.accepted;
    // Both verdicts occur often enough for the agreement to mean something.
    expect(accepted).toBeGreaterThan(total / 10);
    expect(accepted).toBeLessThan(total * 0.9);
  });

  it('states the same ranges, choices, fields and defaults as the code', () => {
    const defs = schema.$defs;
    const sections = { freeze: schema.properties.freeze.properties, training: schema.properties.training.properties, evaluation: schema.properties.evaluation.properties };
    const resolveRef = (s: Record<string, unknown>): Record<string, unknown> => (typeof s.$ref === 'string' ? { ...defs[s.$ref.split('/').pop()!], ...s } : s);
    const where: Record<keyof typeof PLAN_LIMITS, Record<string, unknown>[]> = {
      ratio: [sections.freeze.ratio],
      seed: [sections.freeze.seed, sections.training.seed],
      epochs: [sections.training.epochs, defs.task.properties.epochs],
      steps: [sections.training.steps, defs.task.properties.steps],
      batchSize: [sections.training.batchSize],
      gradAccum: [sections.training.gradAccum],
      lr: [sections.training.lr],
      warmup: [sections.training.warmup],
      weightDecay: [sections.training.weightDecay],
      clipNorm: [sections.training.clipNorm],
      maxLength: [sections.training.maxLength],
      checkpointEvery: [sections.training.checkpointEvery],
      evalFraction: [sections.evaluation.evalFraction],
      maxExamples: [sections.evaluation.maxExamples],
      maxNewTokens: [sections.evaluation.maxNewTokens],
    };
    expect(Object.keys(where).sort()).toEqual(Object.keys(PLAN_LIMITS).sort());
    for (const [name, places] of Object.entries(where)) {
      const limits = PLAN_LIMITS[name as keyof typeof PLAN_LIMITS] as Record<string, unknown>;
      for (const place of places) {
        const s = resolveRef(place);
        const types = [s.type].flat();
        expect(types.includes('integer'), name).toBe(limits.integer === true);
        expect([s.minimum, s.exclusiveMinimum, s.maximum, s.exclusiveMaximum], name).toEqual([limits.min, limits.exclusiveMin, limits.max, limits.exclusiveMax]);
      }
    }
    expect(schema.properties.tasks.maxItems).toBe(MAX_TASKS);
    expect(defs.label.maxLength).toBe(MAX_NAME_LENGTH);
    expect(sections.freeze.strategy.enum).toEqual(FREEZE_STRATEGIES);
    expect(sections.training.schedule.enum).toEqual(LR_SCHEDULES);
    expect(schema.properties.backend.enum).toEqual(PLAN_BACKENDS);
    expect(defs.mapping.properties.format.enum).toEqual(DATA_FORMATS);
    expect(defs.mapping.required).toEqual(["format"]);
    expect(defs.mapping.properties.columns.anyOf[0].propertyNames.enum.sort()).toEqual([...new Set(Object.values(MAPPING_FIELDS).flat())].sort());
    for (const rule of defs.mapping.allOf) {
      const format = rule.if.properties.format.const as keyof typeof MAPPING_FIELDS;
      expect(rule.then.properties.columns.propertyNames.enum, format).toEqual(MAPPING_FIELDS[format]);
    }
    expect(defs.mapping.allOf.map((r: { if: { properties: { format: { const: string } } } }) => r.if.properties.format.const)).toEqual(DATA_FORMATS);
    for (const [section, props] of Object.entries(sections)) {
      const defaults = DEFAULT_PLAN_VALUES[section as keyof typeof sections] as Record<string, unknown>;
      expect(Object.keys(props).sort(), section).toEqual(Object.keys(defaults).sort());
      for (const [key, prop] of Object.entries(props as Record<string, Record<string, unknown>>)) {
        // training.epochs/steps have no single default: it depends on which the plan gives.
        if (section === 'training' && (key === 'epochs' || key === 'steps')) continue;
        expect(resolveRef(prop).default, `${section}.${key}`).toEqual(defaults[key]);
      }
    }
    expect(schema.properties.backend.default).toBe(DEFAULT_PLAN_VALUES.backend);
  });
});

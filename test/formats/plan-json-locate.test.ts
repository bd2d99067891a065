/**
 * The position-recording JSON parser behind the plan file: it must read exactly what JSON.parse
 * reads (checked against JSON.parse on hand-picked and randomly mutated documents), and put every
 * value, key and syntax error on the right line and column.
 */
import { describe, expect, it } from 'vitest';
import { JsonSyntaxError, parseLocated, toPlain, type JsonNode } from '../../src-main/formats/json-locate.js';

const VALID = [
  '{}',
  '[]',
  ' \t\r\n{ "a" : [ 1 , -2.5e+3 , 0 , -0 , 1E-2 , 123456789012 ] }\n',
  '"plain"',
  '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 é 😀"',
  'true',
  'false',
  'null',
  '0',
  '[[[]], {"": {"x": null}}, "", 1e400]',
  '{"a": 1, "a": 2}',
  '{"__proto__": {"polluted": true}, "constructor": 1}',
];

const INVALID = [
  '',
  '   ',
  '{',
  '[1,]',
  '{"a": 1,}',
  "{'a': 1}",
  '{a: 1}',
  '01',
  '1.',
  '.5',
  '-',
  '+1',
  '1e',
  'tru',
  'True',
  'NaN',
  'Infinity',
  '"\\x"',
  '"a\nb"',
  '"\\u12G4"',
  '"unterminated',
  '{} x',
  '[1 2]',
  '{"a" 1}',
  '{"a": }',
  '// c\n{}',
  '{"a": 1 /* c */}',
  '[,1]',
  '\u00a0{}',
];

function parses(text: string): boolean {
  try {
    parseLocated(text);
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(JsonSyntaxError);
    return false;
  }
}

function jsonParses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('parseLocated', () => {
  it('reads valid JSON to exactly what JSON.parse gives', () => {
    for (const text of VALID) expect(toPlain(parseLocated(text)), text).toStrictEqual(JSON.parse(text));
  });

  it('keeps a "__proto__" key as data, as JSON.parse does', () => {
    const v = toPlain(parseLocated('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses what JSON.parse refuses', () => {
    for (const text of INVALID) {
      expect(jsonParses(text), `JSON.parse(${JSON.stringify(text)})`).toBe(false);
      expect(parses(text), JSON.stringify(text)).toBe(false);
    }
  });

  it('agrees with JSON.parse on randomly mutated documents', () => {
    const base = '{\n  "a": [1, -2.5e3, true, null],\n  "b": {"c": "d\\n\\u0041", "e": []},\n  "f": false\n}';
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '0', '1', '-', '.', 'e', 'a', 't', 'n', 'u', '/', "'"];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let accepted = 0;
    for (let trial = 0; trial < 3000; trial++) {
      let text = base;
      for (let k = 1 + rand(2); k > 0; k--) {
        const at = rand(text.length + 1);
        const op = rand(3);
        const ch = alphabet[rand(alphabet.length)];
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      const ok = jsonParses(text);
      expect(parses(text), JSON.stringify(text)).toBe(ok);
      if (ok) {
        accepted++;
        expect(toPlain(parseLocated(text))).toStrictEqual(JSON.parse(text));
      }
    }
    expect(accepted).toBeGreaterThan(100); // the mutations did not only break things
  });

  it('skips a leading byte-order mark', () => {
    expect(toPlain(parseLocated('\ufeff{"a": 1}'))).toEqual({ a: 1 });
  });

  it('records the line and column where each value and key starts', () => {
    const text = '{\n  "model": "m",\n  "tasks": [\n    { "data": 1 },\n\n      true\n  ]\n}';
    const root = parseLocated(text);
    expect(root).toMatchObject({ kind: 'object', line: 1, column: 1 });
    const obj = root as Extract<JsonNode, { kind: 'object' }>;
    expect(obj.entries.map((e) => [e.key, e.keyPos.line, e.keyPos.column, e.value.line, e.value.column])).toEqual([
      ['model', 2, 3, 2, 12],
      ['tasks', 3, 3, 3, 12],
    ]);
    const tasks = obj.entries[1].value as Extract<JsonNode, { kind: 'array' }>;
    expect(tasks.items.map((n) => [n.kind, n.line, n.column])).toEqual([
      ['object', 4, 5],
      ['boolean', 6, 7],
    ]);
    const task = tasks.items[0] as Extract<JsonNode, { kind: 'object' }>;
    expect(task.entries[0]).toMatchObject({ key: 'data', keyPos: { line: 4, column: 7 }, value: { kind: 'number', value: 1, line: 4, column: 15 } });
  });

  it('counts lines across escaped and CRLF line breaks', () => {
    const root = parseLocated('{\r\n"a": "x\\ny",\r\n"b": 2}') as Extract<JsonNode, { kind: 'object' }>;
    expect(root.entries.map((e) => e.value.line)).toEqual([2, 3]);
  });

  it('places syntax errors and says what went wrong in plain words', () => {
    const cases: [string, number, number, RegExp][] = [
      ['', 1, 1, /file is empty/],
      ['{\n  "a": 1,\n}', 2, 9, /trailing comma before '}'/],
      ['[1,\n 2,\n]', 2, 3, /trailing comma before ']'/],
      ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '}' after the value of "a", found '"'/],
      ['{\n  // note\n}', 2, 3, /comments are not allowed/],
      ["{'a': 1}", 1, 2, /double quotes, not single quotes/],
      ['{"a": \'x\'}', 1, 7, /double quotes, not single quotes/],
      ['{\n "a": "b\n"}', 2, 9, /line break inside a string/],
      ['{"a": tru}', 1, 7, /expected a value, found 'tru'/],
      ['{"a": 01}', 1, 7, /invalid number '01'/],
      ['{"a": 1} {}', 1, 10, /unexpected '\{' after the end/],
      ['{"a": 1', 1, 8, /found the end of the file/],
      ['"abc', 1, 5, /unterminated string/],
      ['{a: 1}', 1, 2, /field name in double quotes, found 'a'/],
      ['"\\q"', 1, 2, /invalid escape '\\q'/],
    ];
    for (const [text, line, column, reason] of cases) {
      let err: unknown;
      try {
        parseLocated(text);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(text)).toBeInstanceOf(JsonSyntaxError);
      const e = err as JsonSyntaxError;
      expect([e.line, e.column], JSON.stringify(text)).toEqual([line, column]);
      expect(e.reason).toMatch(reason);
    }
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    expect(() => parseLocated('['.repeat(100_000))).toThrow(/nested more than 256 levels/);
    expect(toPlain(parseLocated(`${'['.repeat(200)}${']'.repeat(200)}`))).toBeInstanceOf(Array);
  });
});

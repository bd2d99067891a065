/** Containers and encodings: JSONL, JSON arrays and CSV to raw rows with their lines; UTF-8 only. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectContainer, parseRecords, readRecords } from '../../../src-main/formats/datasets/records.js';
import { firstInvalidUtf8 } from '../../../src-main/formats/datasets/text-encoding.js';
import { datasetErrorOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'hft-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('JSONL', () => {
  it('gives each row its line, skips blank lines and reports bad lines with a column', () => {
    const r = parseRecords('{"a":1}\n\n{"a":2}\r\n{"a":\n{"a":3 "b":4}\n', 'd.jsonl');
    expect(r.container).toBe('jsonl');
    expect(r.records).toEqual([
      { line: 1, value: { a: 1 } },
      { line: 3, value: { a: 2 } },
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([4, 5]);
    expect(r.errors[0].reason).toMatch(/^invalid JSON/);
    expect(r.errors[1].reason).toBe("invalid JSON: Expected ',' or '}' after property value at column 8");
  });
});

describe('JSON array', () => {
  const text = ['[', '  {"a": 1},', '  {', '    "a": 2', '  },', '', '  {"a": 3}', ']', ''].join('\n');

  it('gives each element the line where it starts', () => {
    const r = parseRecords(text, 'd.json');
    expect(r.container).toBe('json');
    expect(r.errors).toEqual([]);
    expect(r.records).toEqual([
      { line: 2, value: { a: 1 } },
      { line: 3, value: { a: 2 } },
      { line: 7, value: { a: 3 } },
    ]);
  });

  it('reads on past a bad element and names its start line (and the error line)', () => {
    const bad = ['[', '  {"a": 1},', '  {', '    "a": 2,', '  },', '  {"a": "x,]}"},', '  {"a": [1, 2}', ']'].join('\n');
    const r = parseRecords(bad, 'd.json');
    expect(r.records).toEqual([
      { line: 2, value: { a: 1 } },
      { line: 6, value: { a: 'x,]}' } },
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([3, 7]);
    expect(r.errors[0].reason).toMatch(/^invalid JSON: .* at line 5, column 3$/);
  });

  it('reports a missing comma, a trailing comma, text after the array and a missing "]"', () => {
    expect(parseRecords('[{"a":1}\n{"a":2}]', 'd.json').errors).toEqual([{ file: 'd.json', line: 2, reason: 'invalid JSON: expected "," or "]" after the row above' }]);
    expect(parseRecords('[{"a":1}\n{"a":2}]', 'd.json').records).toHaveLength(2);
    expect(parseRecords('[{"a":1},\n]', 'd.json').errors.map((e) => [e.line, e.reason])).toEqual([[2, expect.stringMatching(/trailing or doubled comma/)]]);
    expect(parseRecords('[{"a":1}]\nx', 'd.json').errors.map((e) => [e.line, e.reason])).toEqual([[2, 'unexpected text after the closing "]" of the JSON array']]);
    expect(parseRecords('[{"a":1},\n{"a":2}\n', 'd.json').errors.map((e) => [e.line, e.reason])).toEqual([[3, 'the JSON array is not closed: the file ends before its "]"']]);
  });

  it('refuses an empty array', () => {
    expect(datasetErrorOf(() => parseRecords('[ ]', 'e.json')).message).toBe('e.json:1: the JSON array is empty');
  });
});

describe('CSV', () => {
  it('reads quoted fields, "" escapes and line breaks inside quotes, with each record\'s start line', () => {
    const text = 'prompt,completion\r\n"a, b","say ""hi"""\r\n"line one\r\nline two",x\r\n\r\nplain,"multi\nline\nanswer"\nlast,"" \n';
    const r = parseRecords(text, 'd.csv');
    expect(r.container).toBe('csv');
    expect(r.records).toEqual([
      { line: 2, value: { prompt: 'a, b', completion: 'say "hi"' } },
      { line: 3, value: { prompt: 'line one\nline two', completion: 'x' } },
      { line: 6, value: { prompt: 'plain', completion: 'multi\nline\nanswer' } },
    ]);
    // `"" ` has text after the closing quote.
    expect(r.errors.map((e) => [e.line, e.reason])).toEqual([[9, expect.stringMatching(/^unexpected text after a closing quote/)]]);
  });

  it('reports ragged rows with their start line, after multi-line records too', () => {
    const text = 'a,b\n1,2\n"x\ny",2,3\n4\n5,6';
    const r = parseRecords(text, 'd.csv');
    expect(r.records.map((x) => x.line)).toEqual([2, 6]);
    expect(r.errors).toEqual([
      { file: 'd.csv', line: 3, reason: 'the row has 3 fields but the header has 2 columns' },
      { file: 'd.csv', line: 5, reason: 'the row has 1 fields but the header has 2 columns' },
    ]);
  });

  it('reports an unterminated quote where its record starts, trims header names, refuses duplicates', () => {
    expect(parseRecords('a,b\n1,2\n3,"oops\n4,5\n', 'd.csv').errors.map((e) => e.line)).toEqual([3]);
    expect(parseRecords(' a , b \n1,2', 'd.csv').records[0].value).toEqual({ a: '1', b: '2' });
    expect(parseRecords('a,a\n1,2', 'd.csv').errors[0].reason).toBe('the header names the column "a" twice');
  });

  it('reports a header with no rows', () => {
    expect(parseRecords('a,b\n\n', 'd.csv').errors).toEqual([{ file: 'd.csv', line: 1, reason: 'the file has a header row but no rows' }]);
  });

  it('keeps a "__proto__" column as data', () => {
    const v = parseRecords('__proto__,b\n1,2', 'd.csv').records[0].value as Record<string, string>;
    expect(Object.keys(v)).toEqual(['__proto__', 'b']);
  });
});

describe('container detection', () => {
  it('uses the extension for CSV and the first character otherwise', () => {
    expect(detectContainer('x.csv', '[1]')).toBe('csv');
    expect(detectContainer('x.json', '\n {"a":1}\n{"a":2}')).toBe('jsonl');
    expect(detectContainer('x.jsonl', '[{"a":1}]')).toBe('json');
    expect(detectContainer('x.json', '[')).toBe('json');
    expect(detectContainer('x.txt', 'a,b\n1,2')).toBe('csv');
    expect(detectContainer('data', '{"a":1}')).toBe('jsonl');
  });

  it('says so when a .json file holds a single pretty-printed object', () => {
    const e = datasetErrorOf(() => parseRecords('{\n  "data": [\n    {"text": "a"}\n  ]\n}\n', 'd.json'));
    expect(e.errors).toHaveLength(1);
    expect(e.message).toBe('d.json:1: the file holds one JSON object, not rows: use a JSON array of rows or one JSON object per line (JSONL); the rows seem to be in "data": save that array on its own');
  });
});

describe('encoding', () => {
  it('drops a UTF-8 BOM (so the first CSV column keeps its name)', () => {
    const f = write('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('text\nhé\n')]));
    expect(readRecords(f).records).toEqual([{ line: 2, value: { text: 'hé' } }]);
  });

  it('refuses UTF-16 by its BOM and by NUL bytes, naming the line', () => {
    const le = write('le.jsonl', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"text":"a"}\n', 'utf16le')]));
    expect(datasetErrorOf(() => readRecords(le)).message).toBe(`${le}:1: the file is UTF-16 text (it starts with a UTF-16 byte-order mark); save the file as UTF-8`);
    const nul = write('nul.jsonl', Buffer.concat([Buffer.from('{"text":"a"}\n{"text":"b"}\n'), Buffer.from('{"text":"c"}', 'utf16le')]));
    expect(datasetErrorOf(() => readRecords(nul)).message).toMatch(/:3: the file holds NUL bytes.*; save the file as UTF-8$/);
  });

  it('refuses invalid UTF-8 with the line of the first bad byte', () => {
    const f = write('latin1.jsonl', Buffer.concat([Buffer.from('{"text":"a"}\n{"text":"b"}\n{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    const e = datasetErrorOf(() => readRecords(f));
    expect(e.errors).toEqual([{ file: f, line: 3, reason: expect.stringMatching(/^invalid UTF-8 \(byte 0xe9 at offset 38\); save the file as UTF-8$/) }]);
  });

  it('agrees with TextDecoder (fatal) on which byte strings are valid UTF-8', () => {
    // Independent check: random bytes biased to the interesting ranges (lead bytes, continuations, edges).
    const pool = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
    let seed = 12345;
    // An LCG's low bits cycle quickly, so use its high bits.
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
    const fatal = new TextDecoder('utf-8', { fatal: true });
    let invalid = 0;
    const disagree: number[][] = [];
    for (let n = 0; n < 20000; n++) {
      const bytes = Uint8Array.from({ length: 1 + (next() % 6) }, () => pool[next() % pool.length]);
      let ok = true;
      try {
        fatal.decode(bytes);
      } catch {
        ok = false;
        invalid++;
      }
      if ((firstInvalidUtf8(bytes) === -1) !== ok) disagree.push([...bytes]);
    }
    expect(disagree).toEqual([]);
    expect(invalid).toBeGreaterThan(1000);
  });

  it('refuses an empty or blank file, and a missing one', () => {
    expect(datasetErrorOf(() => readRecords(write('empty.jsonl', ''))).message).toMatch(/empty\.jsonl:1: the file is empty$/);
    expect(datasetErrorOf(() => readRecords(write('blank.csv', '\n \n'))).message).toMatch(/blank\.csv:1: the file is empty$/);
    expect(datasetErrorOf(() => readRecords(join(dir, 'nope.jsonl'))).message).toBe(`${join(dir, 'nope.jsonl')}: the file does not exist`);
  });
});

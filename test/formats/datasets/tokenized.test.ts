/** The tokenized JSONL reader: good rows, defaults, and every bad row named by file:line. */
import { describe, expect, it } from 'vitest';
import { DatasetError, parseTokenizedJsonl } from '../../../src-main/formats/datasets/tokenized.js';

const LIMITS = { vocabSize: 10, maxLength: 4 };

describe('parseTokenizedJsonl', () => {
  it('reads rows, defaulting labels to input_ids and skipping blank lines', () => {
    const rows = parseTokenizedJsonl('{"input_ids":[1,2,3]}\n\n{"input_ids":[4,5],"labels":[-100,5]}\n', 'd.jsonl', LIMITS);
    expect(rows).toEqual([
      { inputIds: [1, 2, 3], labels: [1, 2, 3], line: 1 },
      { inputIds: [4, 5], labels: [-100, 5], line: 3 },
    ]);
  });

  it('reports every bad row with its line and reason, and returns nothing', () => {
    const text = [
      '{"input_ids":[1,2]}',
      '{"input_ids":[1,2]',
      '{"labels":[1,2]}',
      '{"input_ids":[1,99]}',
      '{"input_ids":[1,2],"labels":[1]}',
      '{"input_ids":[1,2.5]}',
      '{"input_ids":[1,2],"labels":[-100,-100]}',
      '[1,2]',
      '{"input_ids":[1]}',
      '{"input_ids":[1,2,3,4,5]}',
    ].join('\n');
    let err: DatasetError | undefined;
    try {
      parseTokenizedJsonl(text, 'd.jsonl', LIMITS);
    } catch (e) {
      err = e as DatasetError;
    }
    expect(err).toBeInstanceOf(DatasetError);
    expect(err!.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(err!.errors.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^invalid JSON/),
      'missing field "input_ids"',
      '"input_ids" holds token id 99, outside the model\'s vocabulary of 10',
      '"labels" has 1 entries but "input_ids" has 2',
      '"input_ids" holds 2.5, not an integer token id',
      'no trained token: every label after the first is -100',
      'each row must be a JSON object',
      '"input_ids" needs at least 2 tokens (one to read, one to predict)',
      "the row has 5 tokens, more than the model's 4-token context",
    ]);
    expect(err!.message).toMatch(/^d\.jsonl:2: invalid JSON.*\(and 8 more bad rows\)$/);
  });

  it('refuses an empty file', () => {
    expect(() => parseTokenizedJsonl('\n', 'e.jsonl', LIMITS)).toThrow(/e\.jsonl:1: the file holds no rows/);
  });
});

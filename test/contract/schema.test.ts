/**
 * The contract's schema checks: what the IPC gate and the WebSocket server refuse before a handler
 * runs. Every problem is named with its path, in words.
 */
import { describe, expect, it } from 'vitest';
import { arr, bool, METHODS, METHOD_NAMES, num, obj, oneOf, opt, parse, str } from '../../src-main/contract/index.js';

const s = obj({ name: str({ min: 1, max: 5 }), n: opt(num({ int: true, min: 0, max: 9 })), on: bool(), kind: oneOf(['a', 'b'] as const), xs: arr(num(), { max: 2 }) });
const ok = { name: 'abc', on: true, kind: 'a', xs: [1] };

describe('contract schemas', () => {
  it('accepts a fitting value, with or without an optional field', () => {
    expect(parse(s, ok, 'p')).toEqual(ok);
    expect(parse(s, { ...ok, n: 3 }, 'p').n).toBe(3);
  });

  it.each([
    [{ ...ok, extra: 1 }, 'p has an unknown field "extra"'],
    [{ ...ok, name: '' }, 'p.name must not be empty'],
    [{ ...ok, name: 'toolong' }, 'p.name is longer than 5 characters'],
    [{ ...ok, n: 1.5 }, 'p.n must be a whole number, got 1.5'],
    [{ ...ok, n: 10 }, 'p.n must be at most 9, got 10'],
    [{ ...ok, n: Number.NaN }, 'p.n must be a number, got number'],
    [{ ...ok, on: 'yes' }, 'p.on must be true or false, got string'],
    [{ ...ok, kind: 'c' }, 'p.kind must be one of a, b, got "c"'],
    [{ ...ok, xs: [1, 2, 3] }, 'p.xs has more than 2 items'],
    [{ ...ok, xs: ['1'] }, 'p.xs[0] must be a number, got string'],
    [{ name: 'a', on: true, kind: 'a' }, 'p.xs must be a list, got undefined'],
    [null, 'p must be an object, got null'],
    [[ok], 'p must be an object, got an array'],
    [JSON.parse('{"__proto__": {"polluted": true}, "name": "a", "on": true, "kind": "a", "xs": []}'), 'p has an unknown field "__proto__"'],
    [Object.assign(Object.create({ inherited: 1 }), ok), 'p must be a plain object'],
  ])('refuses %j: %s', (value, message) => {
    expect(() => parse(s, value, 'p')).toThrow(message);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('every method has a params schema that refuses a non-object', () => {
    expect(METHOD_NAMES.length).toBeGreaterThan(0);
    for (const m of METHOD_NAMES) expect(METHODS[m].params.check('x', 'params')).toMatch(/must be an object/);
  });
});

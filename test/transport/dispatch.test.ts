/**
 * dispatch: only contract methods with arguments that pass their schema reach a handler; every
 * refusal and every handler failure comes back as {ok: false, error} in one plain line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch, isMethodName } from '../../src-main/transport/dispatch.js';
import { fakeHandlers } from './fake-handlers.js';

afterEach(() => {
  // No call below may have polluted Object.prototype.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('dispatch', () => {
  it('runs a good call and hands back its value', async () => {
    const { handlers, calls } = fakeHandlers();
    const reply = await dispatch(handlers, 'runs.get', { runId: 'r1' });
    expect(reply).toEqual({ ok: true, value: { method: 'runs.get', params: { runId: 'r1' } } });
    expect(calls).toEqual([{ method: 'runs.get', params: { runId: 'r1' } }]);
    expect(await dispatch(handlers, 'runs.metrics', { runId: 'r1', afterStep: 3 })).toMatchObject({ ok: true });
    expect(await dispatch(handlers, 'runs.metrics', { runId: 'r1' })).toMatchObject({ ok: true });
  });

  it.each([
    ['nope', 'unknown method "nope"'],
    ['__proto__', 'unknown method "__proto__"'],
    ['constructor', 'unknown method "constructor"'],
    ['toString', 'unknown method "toString"'],
    ['hasOwnProperty', 'unknown method "hasOwnProperty"'],
    ['runs', 'unknown method "runs"'],
    ['RUNS.GET', 'unknown method "RUNS.GET"'],
    ['runs.get ', 'unknown method "runs.get "'],
    [42, 'the method name must be text, got number'],
    [null, 'the method name must be text, got null'],
    [undefined, 'the method name must be text, got undefined'],
    [['runs.get'], 'the method name must be text, got an array'],
    [{ toString: () => 'runs.get' }, 'the method name must be text, got object'],
  ])('refuses the method %j', async (method, error) => {
    const { handlers, calls } = fakeHandlers();
    expect(await dispatch(handlers, method, { runId: 'r1' })).toEqual({ ok: false, error });
    expect(calls).toEqual([]);
  });

  it('cuts a very long unknown name short', async () => {
    const { handlers } = fakeHandlers();
    const reply = await dispatch(handlers, 'x'.repeat(100_000), {});
    expect(reply.ok).toBe(false);
    if (!reply.ok) expect(reply.error.length).toBeLessThan(200);
  });

  // Expected messages follow schema.ts's wording, written out by hand.
  it.each([
    ['runs.get', undefined, 'params must be an object, got undefined'],
    ['runs.get', null, 'params must be an object, got null'],
    ['runs.get', 'r1', 'params must be an object, got string'],
    ['runs.get', ['r1'], 'params must be an object, got an array'],
    ['runs.get', {}, 'params.runId must be text, got undefined'],
    ['runs.get', { runId: 7 }, 'params.runId must be text, got number'],
    ['runs.get', { runId: '' }, 'params.runId must not be empty'],
    ['runs.get', { runId: 'x'.repeat(201) }, 'params.runId is longer than 200 characters'],
    ['runs.get', { runId: 'r1', extra: 1 }, 'params has an unknown field "extra"'],
    ['runs.get', new Date(0), 'params must be a plain object'],
    ['runs.get', Object.create({ runId: 'inherited' }), 'params must be a plain object'],
    ['runs.metrics', { runId: 'r1', afterStep: -1 }, 'params.afterStep must be at least 0, got -1'],
    ['runs.metrics', { runId: 'r1', afterStep: 1.5 }, 'params.afterStep must be a whole number, got 1.5'],
    ['runs.metrics', { runId: 'r1', afterStep: '3' }, 'params.afterStep must be a number, got string'],
    ['app.info', { anything: true }, 'params has an unknown field "anything"'],
    ['masks.draw', { modelPath: '/m', strategy: 'half', ratio: 0.5, seed: 0, stage: 0, freezeEmbeddings: false }, 'params.strategy must be one of category, matrix, layer, parameter, full, got "half"'],
    ['masks.draw', { modelPath: '/m', strategy: 'category', ratio: 0, seed: 0, stage: 0, freezeEmbeddings: false }, 'params.ratio must be at least 0.01, got 0'],
    ['masks.draw', { modelPath: '/m', strategy: 'category', ratio: Number.NaN, seed: 0, stage: 0, freezeEmbeddings: false }, 'params.ratio must be a number, got number'],
    ['masks.draw', { modelPath: '/m', strategy: 'category', ratio: 0.5, seed: 0, stage: 0, freezeEmbeddings: 'no' }, 'params.freezeEmbeddings must be true or false, got string'],
  ])('refuses %s with bad arguments %#', async (method, params, problem) => {
    const { handlers, calls } = fakeHandlers();
    expect(await dispatch(handlers, method, params)).toEqual({ ok: false, error: `${method} was called with bad arguments: ${problem}` });
    expect(calls).toEqual([]);
  });

  it('refuses prototype pollution attempts as unknown fields', async () => {
    const { handlers, calls } = fakeHandlers();
    // JSON.parse makes "__proto__" an own field, as a message off the wire would.
    const attempts = [
      JSON.parse('{"runId": "r1", "__proto__": {"polluted": true}}') as unknown,
      JSON.parse('{"runId": "r1", "constructor": {"prototype": {"polluted": true}}}') as unknown,
      JSON.parse('{"__proto__": {"runId": "r1"}}') as unknown,
    ];
    const errors = [];
    for (const params of attempts) {
      const reply = await dispatch(handlers, 'runs.get', params);
      expect(reply.ok).toBe(false);
      if (!reply.ok) errors.push(reply.error);
    }
    expect(errors).toEqual([
      'runs.get was called with bad arguments: params has an unknown field "__proto__"',
      'runs.get was called with bad arguments: params has an unknown field "constructor"',
      'runs.get was called with bad arguments: params has an unknown field "__proto__"',
    ]);
    expect(calls).toEqual([]);
  });

  it.each([
    ['boom', 'no run with id boom'],
    ['sync-throw', 'thrown synchronously'],
    ['throw-text', 'plain text thrown'],
    ['throw-object', 'runs.get failed'],
  ])('turns a handler failure (%s) into one line and never throws', async (runId, error) => {
    const { handlers, calls } = fakeHandlers();
    expect(await dispatch(handlers, 'runs.get', { runId })).toEqual({ ok: false, error });
    expect(calls).toHaveLength(1);
  });

  it('says so when the handlers lack a method', async () => {
    const { handlers } = fakeHandlers();
    const partial = { ...handlers, 'runs.delete': undefined } as unknown as typeof handlers;
    expect(await dispatch(partial, 'runs.delete', { runId: 'r1' })).toEqual({ ok: false, error: 'runs.delete is not available in this app' });
  });

  it('knows the contract names and nothing else', () => {
    expect(isMethodName('runs.list')).toBe(true);
    expect(isMethodName('__proto__')).toBe(false);
    expect(isMethodName('valueOf')).toBe(false);
    expect(isMethodName(Symbol('runs.list'))).toBe(false);
  });
});

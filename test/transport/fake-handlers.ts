/**
 * Test helper: an Api whose every method records the call and answers with what it was given, so
 * a test can tell exactly which calls reached a handler. `runs.get` misbehaves on purpose for
 * some run ids, to check that a handler's failure comes back as a reply and never as a throw.
 */
import { METHOD_NAMES, type Api } from '../../src-main/contract/index.js';

export interface Call {
  method: string;
  params: unknown;
}

export interface FakeHandlers {
  handlers: Api;
  calls: Call[];
}

export function fakeHandlers(): FakeHandlers {
  const calls: Call[] = [];
  const table: Record<string, (params: unknown) => unknown> = {};
  for (const method of METHOD_NAMES) {
    table[method] = async (params) => {
      calls.push({ method, params });
      return { method, params };
    };
  }
  table['runs.get'] = (params) => {
    calls.push({ method: 'runs.get', params });
    const { runId } = params as { runId: string };
    if (runId === 'boom') return Promise.reject(new Error('no run with id boom\n    at detail (api.ts:1:1)'));
    // Thrown before any promise exists: dispatch must still catch it.
    if (runId === 'sync-throw') throw new Error('thrown synchronously');
    if (runId === 'throw-text') return Promise.reject('plain text thrown');
    if (runId === 'throw-object') return Promise.reject({ code: 42 });
    // JSON has no BigInt: the WebSocket server must report this rather than crash.
    if (runId === 'bigint') return Promise.resolve({ big: 1n });
    return Promise.resolve({ method: 'runs.get', params });
  };
  return { handlers: table as unknown as Api, calls };
}

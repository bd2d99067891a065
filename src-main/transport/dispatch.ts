/**
 * One call from outside the main process, checked and run: the method name must be one of the
 * contract's METHODS, the argument must pass that method's schema, and only then does the handler
 * run. Every outcome, a refusal or a handler's failure included, comes back as a Reply: this
 * function never throws, so neither the IPC gate nor the WebSocket server can be crashed by what
 * a caller sends. Shared by both front doors (DESIGN §2).
 */
import { METHODS, parse, type Api, type MethodName, type Reply } from '../contract/index.js';

/** Longest error text sent back, in characters: one readable line, not a dump. */
const MAX_ERROR_CHARS = 2000;

/**
 * Whether `m` names a contract method. Own properties only: `__proto__`, `constructor`,
 * `toString` and friends live on Object.prototype and are not methods.
 */
export function isMethodName(m: unknown): m is MethodName {
  return typeof m === 'string' && Object.hasOwn(METHODS, m);
}

/** The first line of an error's message, trimmed and capped. */
export function errorLine(e: unknown, fallback = 'the call failed'): string {
  const text = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (line === '') return fallback;
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS)}...` : line;
}

function unknownMethod(m: unknown): string {
  if (typeof m === 'string') return `unknown method ${JSON.stringify(m.length > 100 ? `${m.slice(0, 100)}...` : m)}`;
  const got = m === null ? 'null' : Array.isArray(m) ? 'an array' : typeof m;
  return `the method name must be text, got ${got}`;
}

/**
 * Runs `method` with `params` on `handlers` (the services' implementation of the contract's Api,
 * e.g. apiHandlers(...)), after checking both. Resolves with {ok: true, value} or {ok: false, error}.
 */
export async function dispatch(handlers: Api, method: unknown, params: unknown): Promise<Reply<unknown>> {
  if (!isMethodName(method)) return { ok: false, error: unknownMethod(method) };
  // `method` is a contract name (never __proto__ or constructor), so this lookup is safe.
  const handler: unknown = handlers[method];
  if (typeof handler !== 'function') return { ok: false, error: `${method} is not available in this app` };
  let checked: unknown;
  try {
    checked = parse(METHODS[method].params, params, 'params');
  } catch (e) {
    return { ok: false, error: `${method} was called with bad arguments: ${errorLine(e, 'they do not fit the contract')}` };
  }
  try {
    // The schema has checked `checked` against exactly this method's params type. The call goes
    // through a promise chain so a handler that throws synchronously is caught like a rejection.
    const run = handler as (p: unknown) => unknown;
    const value = await Promise.resolve().then(() => run.call(handlers, checked));
    return { ok: true, value };
  } catch (e) {
    return { ok: false, error: errorLine(e, `${method} failed`) };
  }
}

/**
 * A stand-in for src-renderer/api.js (the stores' only way out) in the renderer store tests:
 * every method call is recorded in `calls` and answered by the function the test put in `answers`
 * for that method (a call with no answer is refused); event listeners are kept per event name and
 * `emit` calls them as the app would; the connection never changes.
 *
 * A test uses it with `vi.mock('../../src-renderer/api.js', () => import('./fake-api.js'))` and
 * imports what it needs from './fake-api.js' (the same module the stores get), calling
 * `resetFakeApi()` in beforeEach.
 */
import type { Api, EventName, Events } from '../../src-main/contract/index.js';

/** Each method call the stores made, in order. */
export const calls: { method: string; params: unknown }[] = [];
/** What each method answers, by method name. */
export const answers = new Map<string, (params: unknown) => Promise<unknown>>();
const listeners = new Map<EventName, ((data: never) => void)[]>();

export const api = new Proxy(
  {},
  {
    get: (_t, method: string) => (params: unknown) => {
      calls.push({ method, params });
      const answer = answers.get(method);
      return answer === undefined ? Promise.reject(new Error(`no answer for ${method}`)) : answer(params);
    },
  },
) as Api;

export function onEvent<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void {
  const list = listeners.get(event) ?? [];
  listeners.set(event, [...list, listener]);
  return () => listeners.set(event, (listeners.get(event) ?? []).filter((l) => l !== listener));
}

/** The connection never changes here, so its listeners are never called. */
export function onConnectionState(): () => void {
  return () => undefined;
}

/** Sends `data` to each listener of `event`, as the app pushes an event. */
export function emit<E extends EventName>(event: E, data: Events[E]): void {
  for (const listener of listeners.get(event) ?? []) (listener as (d: Events[E]) => void)(data);
}

/** How many listeners `event` has now. */
export function listenerCount(event: EventName): number {
  return listeners.get(event)?.length ?? 0;
}

/** Forgets the calls, answers and listeners of the test before. */
export function resetFakeApi(): void {
  calls.length = 0;
  answers.clear();
  listeners.clear();
}

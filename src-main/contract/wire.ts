/**
 * The wire format of `hft serve`'s WebSocket, as the browser sees it: part of the contract, so the
 * renderer's api.ts and the server (transport/ws-server.ts) share it.
 *
 * The page is opened at `http://127.0.0.1:PORT/?token=TOKEN`. It connects to
 * `ws://<its own host>/api?token=TOKEN` (the token from its own query string); the server refuses
 * the handshake with 403 unless Host, Origin and token all match, so no message is ever read from
 * an unauthenticated socket. Then:
 *   client -> server  {id, method, params}          id: a string or a whole number, echoed back
 *   server -> client  {id, ok: true, value}        the call's result
 *                     {id, ok: false, error}       a refusal or failure, in plain words
 *                     {id: null, ok: false, error} a message that could not be read at all
 *                     {event, data}                 pushed by the server (no id)
 * Replies can arrive out of order: match them by id.
 */
import type { EventName, Events, Reply } from './methods.js';

/** Path of the WebSocket endpoint. */
export const API_PATH = '/api';
/** Query parameter carrying the per-launch token, on the page URL and on the WebSocket URL. */
export const TOKEN_PARAM = 'token';

export type CallId = string | number;

export interface CallMessage {
  id: CallId;
  method: string;
  params: unknown;
}

export type ReplyMessage = { id: CallId | null } & Reply<unknown>;

export type EventMessage = { [E in EventName]: { event: E; data: Events[E] } }[EventName];

export type ServerMessage = ReplyMessage | EventMessage;

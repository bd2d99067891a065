/**
 * `hft serve`'s server (DESIGN §8): the built renderer over HTTP and the contract over a WebSocket,
 * on 127.0.0.1 only. The page is public (it holds no data); the API is not. A WebSocket handshake
 * is refused with 403 before any message is read unless its Host and Origin name this server and
 * its `token` query parameter is this launch's token (request-guards.ts). The wire format is in
 * contract/wire.ts. Nothing a client sends can crash the server: bad messages get an error reply,
 * oversized ones close that socket (1009).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { Api, EventName, Events } from '../contract/index.js';
import { dispatch, errorLine } from './dispatch.js';
import { hostProblem, newToken, originProblem, tokenMatches } from './request-guards.js';
import { COMMON_HEADERS, readPageCsp, serveCsp, staticFiles, type StaticHandler } from './static-files.js';
import { API_PATH, TOKEN_PARAM, type CallId, type ReplyMessage } from '../contract/wire.js';

/**
 * Largest message a client may send, in bytes; larger ones close the socket with 1009. A dataset
 * upload carries up to 12 MB of text (the contract's limit), which JSON escaping of quotes and
 * newlines can come close to doubling.
 */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** Calls one connection may have running at once; more get an error reply instead of queueing. */
export const MAX_CALLS_IN_FLIGHT = 256;
/** How long close() waits for clients to acknowledge the close frame, in ms. */
const CLOSE_GRACE_MS = 500;

export interface ServerOptions {
  /** The contract's implementation, e.g. apiHandlers({store, home}). */
  handlers: Api;
  /** The built renderer: index.html + assets/. */
  rendererDir: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
}

export interface RunningServer {
  /** The page to open, token included: http://127.0.0.1:PORT/?token=TOKEN */
  url: string;
  token: string;
  port: number;
  /** Pushes {event, data} to every connected page. */
  broadcast<E extends EventName>(event: E, data: Events[E]): void;
  /** Closes every connection and stops listening. */
  close(): Promise<void>;
}

/** The port is taken by another program. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} on 127.0.0.1 is already in use; pick another with --port, or 0 for any free port`);
    this.name = 'PortInUseError';
  }
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<number> {
  return new Promise((resolveListen, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(e.code === 'EADDRINUSE' ? new PortInUseError(port) : new Error(`could not listen on 127.0.0.1:${port}: ${e.message}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolveListen((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/** Ends a raw upgrade socket with an HTTP status: the handshake never becomes a WebSocket. */
function refuseUpgrade(socket: Duplex, status: 403 | 404, text: string): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  const reason = status === 403 ? 'Forbidden' : 'Not Found';
  const headers = Object.entries({ ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), Connection: 'close' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${reason}\r\n${headers}\r\n`, 'latin1'), body]));
}

function plainAnswer(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store', ...extra });
  res.end(status === 204 || res.req.method === 'HEAD' ? undefined : body);
}

const isCallId = (v: unknown): v is CallId =>
  (typeof v === 'string' && v.length > 0 && v.length <= 200) || (typeof v === 'number' && Number.isSafeInteger(v));

/** Turns one raw message into a reply: the id it carried (if readable) and the call's outcome. */
async function answerMessage(handlers: Api, raw: RawData, isBinary: boolean): Promise<ReplyMessage> {
  if (isBinary) return { id: null, ok: false, error: 'messages must be JSON text, not binary' };
  let msg: unknown;
  try {
    msg = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)]).toString('utf8'));
  } catch {
    return { id: null, ok: false, error: 'the message is not valid JSON' };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return { id: null, ok: false, error: 'a message must be an object {id, method, params}' };
  }
  const fields = msg as Record<string, unknown>;
  const id = fields.id;
  if (!isCallId(id)) return { id: null, ok: false, error: 'a message needs an id: text of 1 to 200 characters or a whole number' };
  const extra = Object.keys(fields).find((k) => k !== 'id' && k !== 'method' && k !== 'params');
  if (extra !== undefined) return { id, ok: false, error: `the message has an unknown field "${extra.slice(0, 100)}"` };
  return { id, ...(await dispatch(handlers, fields.method, fields.params)) };
}

function encode(reply: ReplyMessage): string {
  try {
    return JSON.stringify(reply);
  } catch (e) {
    // A result JSON cannot carry (a BigInt, a cycle) is the server's bug, reported to that call.
    return JSON.stringify({ id: reply.id, ok: false, error: `the result could not be sent: ${errorLine(e)}` });
  }
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const pageCsp = await readPageCsp(opts.rendererDir);
  const token = newToken();
  const clients = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  let port = 0;
  let serveStatic: StaticHandler | null = null;

  const server = createServer((req, res) => {
    void handleRequest(req, res).catch((e: unknown) => {
      if (!res.headersSent) plainAnswer(res, 500, `the server failed: ${errorLine(e)}`);
      else res.destroy();
    });
  });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = hostProblem(req.headers.host, port);
    if (host !== null) return plainAnswer(res, 403, `refused: ${host}`);
    const pathname = (req.url ?? '/').split(/[?#]/, 1)[0] ?? '/';
    if (pathname === API_PATH) {
      if (req.method === 'GET' || req.method === 'HEAD') return plainAnswer(res, 426, 'the API is a WebSocket: connect to it with a token', { Upgrade: 'websocket' });
      return plainAnswer(res, 405, `${req.method ?? 'this method'} is not allowed here`, { Allow: 'GET' });
    }
    if (serveStatic === null) return plainAnswer(res, 503, 'the server is starting, try again');
    return serveStatic(req, res, pathname);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that drops mid-handshake must not raise an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return refuseUpgrade(socket, 404, 'not found');
    }
    if (url.pathname !== API_PATH) return refuseUpgrade(socket, 404, `no WebSocket here; the API is at ${API_PATH}`);
    const problem = hostProblem(req.headers.host, port) ?? originProblem(req.headers.origin, port);
    if (problem !== null) return refuseUpgrade(socket, 403, `refused: ${problem}`);
    if (!tokenMatches(url.searchParams.get(TOKEN_PARAM), token)) {
      return refuseUpgrade(socket, 403, 'refused: the token is missing or wrong (open the URL that `hft serve` printed)');
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    clients.add(ws);
    let inFlight = 0;
    // Oversized frames and protocol errors arrive here; ws then closes the socket itself.
    ws.on('error', () => undefined);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (inFlight >= MAX_CALLS_IN_FLIGHT) {
        ws.send(encode({ id: null, ok: false, error: `too many calls at once (more than ${MAX_CALLS_IN_FLIGHT}); wait for replies` }));
        return;
      }
      inFlight++;
      void answerMessage(opts.handlers, raw, isBinary)
        .catch((e: unknown): ReplyMessage => ({ id: null, ok: false, error: errorLine(e) }))
        .then((reply) => {
          inFlight--;
          if (ws.readyState === WebSocket.OPEN) ws.send(encode(reply));
        });
    });
  }

  port = await listen(server, opts.port ?? 0);
  try {
    serveStatic = await staticFiles(opts.rendererDir, serveCsp(pageCsp, port));
  } catch (e) {
    server.close();
    throw e;
  }

  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}/?${TOKEN_PARAM}=${token}`,
    token,
    port,
    broadcast(event, data) {
      const text = JSON.stringify({ event, data });
      for (const ws of clients) if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close() {
      closing ??= (async () => {
        const closed = [...clients].map((ws) => new Promise<void>((done) => {
          if (ws.readyState === WebSocket.CLOSED) return done();
          ws.once('close', () => done());
          ws.close(1001, 'the server is shutting down');
        }));
        await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
        for (const ws of clients) ws.terminate();
        await new Promise<void>((done) => wss.close(() => done()));
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/**
 * The checks `hft serve` makes before it answers a request or opens a WebSocket:
 * - Host must name this server on the loopback address, so a web page whose domain has been
 *   re-pointed at 127.0.0.1 (DNS rebinding) is refused even though the browser thinks it is
 *   same-origin;
 * - Origin (WebSocket only) must be this server's own page, so no other site, sandboxed frame or
 *   file (`Origin: null`) can open the API; browsers always send it on a WebSocket handshake;
 * - the per-launch token must match, compared in constant time.
 * Each returns the problem in words, or null when the request passes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The names the server answers to: the page is opened as 127.0.0.1, a user may type localhost. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'] as const;

export function hostProblem(host: string | undefined, port: number): string | null {
  if (host === undefined || host === '') return 'the request has no Host header';
  if (LOOPBACK_NAMES.some((name) => host === `${name}:${port}`)) return null;
  return `the Host header ${JSON.stringify(host.slice(0, 200))} is not this server (open it as http://127.0.0.1:${port}/)`;
}

export function originProblem(origin: string | undefined, port: number): string | null {
  if (origin === undefined || origin === '') return 'the request has no Origin header';
  if (LOOPBACK_NAMES.some((name) => origin === `http://${name}:${port}`)) return null;
  return `the Origin ${JSON.stringify(origin.slice(0, 200))} is not this server's page`;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether `given` is the token. Both sides are hashed first, so timingSafeEqual always compares
 * two 32-byte buffers: neither a wrong length nor a wrong prefix shows in the time taken.
 */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string') return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** A fresh per-launch token: 32 random bytes, base64url (43 characters, safe in a URL). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

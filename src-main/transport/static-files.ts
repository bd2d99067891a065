/**
 * The built renderer (index.html + assets/) served read-only for `hft serve`: GET and HEAD only,
 * never a file outside the folder, the right Content-Type, and the page's Content-Security-Policy
 * as a header. The policy is the one in index.html's <meta> tag (so the browser and the Electron
 * window run the page under the same rules) with `connect-src` opened to this server's WebSocket
 * and the directives a <meta> tag cannot carry (frame-ancestors) added.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export const contentType = (file: string): string => CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/** Headers on every answer, static or not: no sniffing, no framing, the token never leaks as a Referer. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Reads the policy from index.html's `<meta http-equiv="Content-Security-Policy" content="...">`. */
export function metaCsp(html: string): string | null {
  for (const tag of html.match(/<meta\b[^>]*>/gi) ?? []) {
    if (!/http-equiv\s*=\s*["']content-security-policy["']/i.test(tag)) continue;
    const m = /\bcontent\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(tag);
    if (m) return (m[1] ?? m[2] ?? '').replace(/&#39;|&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  }
  return null;
}

/**
 * The header policy: the page's own directives, `connect-src` replaced by this server and its
 * WebSocket under both names the server answers to, and frame-ancestors 'none'.
 */
export function serveCsp(pageCsp: string, port: number): string {
  const directives = new Map<string, string>();
  for (const part of pageCsp.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values.join(' '));
  }
  directives.set('connect-src', `'self' ws://127.0.0.1:${port} ws://localhost:${port}`);
  directives.set('frame-ancestors', "'none'");
  return [...directives].map(([name, value]) => (value === '' ? name : `${name} ${value}`)).join('; ');
}

export type StaticHandler = (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void>;

function answer(res: ServerResponse, status: number, text: string, head: boolean, extra: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`, 'utf8');
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : body);
}

/**
 * Answers static requests from `rootDir` (already checked to exist). `pathname` is the request
 * path still percent-encoded, without the query. `csp` is the header policy (serveCsp).
 */
export async function staticFiles(rootDir: string, csp: string): Promise<StaticHandler> {
  const root = await realpath(resolve(rootDir));
  return async (req, res, pathname) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      answer(res, 405, `${req.method ?? 'this method'} is not allowed here: the interface's files are read-only (GET or HEAD)`, false, { Allow: 'GET, HEAD' });
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      answer(res, 400, 'the path is not valid percent-encoding', head);
      return;
    }
    if (decoded.includes('\0')) {
      answer(res, 400, 'the path contains a NUL character', head);
      return;
    }
    const wanted = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
    if (!inside(root, wanted)) {
      answer(res, 403, 'that path is outside the interface folder', head);
      return;
    }
    // Dotfiles are never part of a build; refusing them keeps stray .env or .git files private.
    if (relative(root, wanted).split(sep).some((part) => part.startsWith('.'))) {
      answer(res, 404, 'not found', head);
      return;
    }
    let file: string;
    let body: Buffer;
    try {
      // A symlink inside the folder must not lead out of it.
      file = await realpath(wanted);
      if (!inside(root, file) || !(await stat(file)).isFile()) throw new Error('not a file');
      body = await readFile(file);
    } catch {
      answer(res, 404, 'not found', head);
      return;
    }
    const isIndex = relative(root, file) === 'index.html';
    const assets = relative(root, file).startsWith(`assets${sep}`);
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Type': contentType(file),
      'Content-Length': body.length,
      'Content-Security-Policy': csp,
      // The page carries the token in its URL: never keep it. Vite's asset names carry a content
      // hash, so an asset never changes under its name.
      'Cache-Control': isIndex ? 'no-store' : assets ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(head ? undefined : body);
  };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The page's policy from `rootDir/index.html`, or a plain-words error if the build is missing. */
export async function readPageCsp(rootDir: string): Promise<string> {
  const index = join(resolve(rootDir), 'index.html');
  let html: string;
  try {
    html = await readFile(index, 'utf8');
  } catch {
    throw new Error(`the interface is not built: ${index} is missing (run \`npm run build\`)`);
  }
  const csp = metaCsp(html);
  if (csp === null || csp.trim() === '') {
    throw new Error(`${index} has no Content-Security-Policy <meta> tag; rebuild the interface from src-renderer/index.html`);
  }
  return csp;
}

/**
 * The renderer's Content-Security-Policy, in one place (DESIGN §8). Scripts come only from the
 * app itself; 'wasm-unsafe-eval' lets WebAssembly compile (tfjs' wasm backend), and nothing
 * allows eval() or inline scripts. Styles allow inline because Vue's dev server and scoped
 * styles inject <style> elements; styles cannot run code.
 *
 * It reaches the page twice: as a response header set by the session (installCsp) and as the
 * <meta> tag in src-renderer/index.html, which also covers file:// loads and `hft serve`. The
 * meta form leaves out frame-ancestors, which browsers ignore in a <meta> tag.
 */

/**
 * Directive name → sources. No connect-src: it falls back to default-src 'self', and `hft serve`
 * (transport/static-files.ts) sets its own, naming its WebSocket.
 */
const DIRECTIVES: readonly (readonly [string, string])[] = [
  ['default-src', "'self'"],
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  ['style-src', "'self' 'unsafe-inline'"],
  ['img-src', "'self' data: blob:"],
  ['font-src', "'self' data:"],
  ['worker-src', "'self' blob:"],
  ['object-src', "'none'"],
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
];

const join = (ds: readonly (readonly [string, string])[]): string => ds.map(([name, sources]) => `${name} ${sources}`).join('; ');

/** The policy as a response header. */
export const CSP_HEADER = join(DIRECTIVES);

/** The policy as index.html's <meta http-equiv> carries it. */
export const CSP_META = join(DIRECTIVES.filter(([name]) => name !== 'frame-ancestors'));

/** The part of Electron's Session that installCsp uses. */
export interface HeaderSession {
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { responseHeaders?: Record<string, string[]> },
        callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
      ) => void,
    ): void;
  };
}

/** Sets the policy on every response of this session, replacing any the server sent. */
export function installCsp(session: HeaderSession): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      // Header names are case-insensitive: a server's own CSP (any spelling) must not survive beside ours.
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [CSP_HEADER];
    callback({ responseHeaders: headers });
  });
}

/**
 * The renderer's Content-Security-Policy (DESIGN §8): read back directive by directive, the way a
 * browser parses it (CSP3: ';'-separated directives, whitespace-separated sources), not compared
 * with the string it was built from. Also: the session sets it on every response, and index.html
 * carries the same policy in its <meta> tag.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CSP_HEADER, CSP_META, installCsp } from '../../src-main/app/csp.js';
import { FakeSession } from './fake-electron.js';

function parse(policy: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(out.has(name.toLowerCase()), `directive ${name} given twice`).toBe(false);
    out.set(name.toLowerCase(), sources);
  }
  return out;
}

describe('content security policy', () => {
  const csp = parse(CSP_HEADER);

  it('never allows eval, and allows nothing beyond WebAssembly compilation for scripts', () => {
    for (const [name, sources] of csp) expect(sources, name).not.toContain("'unsafe-eval'");
    expect(new Set(csp.get('script-src'))).toEqual(new Set(["'self'", "'wasm-unsafe-eval'"]));
  });

  it('falls back to self, blocks plugins, base and form targets, and framing', () => {
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it('loads nothing from any other origin', () => {
    for (const [name, sources] of csp) {
      for (const s of sources) expect(["'self'", "'none'", "'wasm-unsafe-eval'", "'unsafe-inline'", 'data:', 'blob:'], `${name} ${s}`).toContain(s);
    }
    // Inline code only for styles; scripts and workers never.
    expect(csp.get('script-src')).not.toContain("'unsafe-inline'");
    expect(csp.get('worker-src')).not.toContain("'unsafe-inline'");
  });

  it('is the same policy in index.html, less frame-ancestors (ignored in a meta tag)', () => {
    const html = readFileSync(new URL('../../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
    expect(meta, 'index.html has no CSP meta tag').not.toBeNull();
    expect(meta![1]).toBe(CSP_META);
    const header = parse(CSP_HEADER);
    header.delete('frame-ancestors');
    expect(parse(meta![1])).toEqual(header);
  });

  it('is set as a response header, replacing whatever policy a response brought', () => {
    const session = new FakeSession();
    installCsp(session);
    let headers: Record<string, string[]> | undefined;
    session.headersListener!(
      { responseHeaders: { 'content-security-policy': ["script-src * 'unsafe-eval'"], 'Content-Type': ['text/html'] } },
      (r) => (headers = r.responseHeaders),
    );
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [CSP_HEADER] });
    session.headersListener!({}, (r) => (headers = r.responseHeaders));
    expect(headers).toEqual({ 'Content-Security-Policy': [CSP_HEADER] });
  });
});

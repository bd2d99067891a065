/**
 * `electron-vite build` turns src-main/app, src-main/preload and src-renderer into a runnable app:
 * an ESM main process with the trainer's utility-process entry beside it, a CommonJS preload
 * (sandboxed preloads must be CJS) and the renderer page with the app's CSP.
 * No Electron binary is needed to build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { CSP_META } from '../../src-main/app/csp.js';

it('builds main, the trainer entry, preload and renderer', () => {
  const out = mkdtempSync(join(tmpdir(), 'hft-build-'));
  try {
    const cli = fileURLToPath(new URL('../../node_modules/electron-vite/bin/electron-vite.js', import.meta.url));
    const r = spawnSync(process.execPath, [cli, 'build', '--outDir', out], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const main = readFileSync(join(out, 'main/index.js'), 'utf8');
    expect(main).toContain('contextIsolation: true');
    expect(main).toContain('sandbox: true');
    expect(main).toContain('../preload/index.cjs');
    // The utility-process entry installs the parentPort shim, then loads the trainer chunk.
    const trainer = readFileSync(join(out, 'main/trainer.js'), 'utf8');
    expect(trainer).toContain('parentPort');
    expect(trainer).toMatch(/await import\("\.\/chunks\/[^"]+\.js"\)/);
    const preload = readFileSync(join(out, 'preload/index.cjs'), 'utf8');
    expect(preload).toMatch(/require\(["']electron["']\)/);
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    const html = readFileSync(join(out, 'renderer/index.html'), 'utf8');
    expect(html).toContain('<div id="app">');
    expect(html).toContain(`content="${CSP_META}"`);
    expect(existsSync(join(out, 'renderer/assets'))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/**
 * `electron-vite build` turns src-main/app, src-main/preload and src-renderer into a runnable app:
 * an ESM main process, a CommonJS preload (sandboxed preloads must be CJS) and the renderer page.
 * No Electron binary is needed to build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('builds main, preload and renderer', () => {
  const out = mkdtempSync(join(tmpdir(), 'hft-build-'));
  const cli = fileURLToPath(new URL('../../node_modules/electron-vite/bin/electron-vite.js', import.meta.url));
  const r = spawnSync(process.execPath, [cli, 'build', '--outDir', out], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const main = readFileSync(join(out, 'main/index.js'), 'utf8');
  expect(main).toContain('contextIsolation: true');
  expect(main).toContain('sandbox: true');
  expect(main).toContain('../preload/index.cjs');
  expect(readFileSync(join(out, 'preload/index.cjs'), 'utf8')).toMatch(/require\(["']electron["']\)/);
  expect(readFileSync(join(out, 'renderer/index.html'), 'utf8')).toContain('<div id="app">');
  expect(existsSync(join(out, 'renderer/assets'))).toBe(true);
});

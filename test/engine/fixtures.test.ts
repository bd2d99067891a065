/**
 * The committed PyTorch fixtures are exactly what the committed script produces: regenerate them
 * with Debian's torch into a temp folder and compare byte for byte. Skipped only where
 * /usr/bin/python3 has no torch (CI installs python3-torch, so there it runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

it.skipIf(!hasTorch)('test/fixtures/engine is reproduced byte for byte by make_engine_fixtures.py', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'hft-fix-')), 'engine');
  const r = spawnSync(PY, [join(FIXTURES, 'make_engine_fixtures.py'), out], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const committed = join(FIXTURES, 'engine');
  expect(files(out)).toEqual(files(committed));
  for (const f of files(committed)) expect(readFileSync(join(out, f)).equals(readFileSync(join(committed, f))), f).toBe(true);
});

/**
 * The committed chat-template fixture is exactly what the committed script produces: regenerate it
 * with Debian's Python and jinja2 into a temp folder, from the same tokenizer_config.json files the
 * tests read, and compare byte for byte. Skipped only where /usr/bin/python3 has no jinja2
 * (Debian package python3-jinja2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { modelDir } from './helpers.js';

const PY = '/usr/bin/python3';
const hasJinja = spawnSync(PY, ['-c', 'import jinja2'], { encoding: 'utf8' }).status === 0;
const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

it.skipIf(!hasJinja)('test/fixtures/tokenizer/chat_templates.json is reproduced byte for byte by make_chat_template_fixtures.py', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hft-tok-fix-'));
  try {
    const out = join(dir, 'chat_templates.json');
    const models = (['qwen3', 'llama3'] as const).flatMap((m) => ['--model', `${m}=${join(modelDir(m), 'tokenizer_config.json')}`]);
    const r = spawnSync(PY, [join(FIXTURES, 'make_chat_template_fixtures.py'), out, ...models], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const committed = readFileSync(join(FIXTURES, 'tokenizer', 'chat_templates.json'));
    expect(readFileSync(out).equals(committed)).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

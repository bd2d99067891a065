/**
 * Crash-safe output folders: the target appears only complete; a failed write leaves nothing; the
 * temporary folder a killed process left behind is removed by the next write to the same target,
 * while one that a live process is still writing, or one for another target, is kept.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeDirAtomic } from '../../src-main/formats/atomic-dir.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hft-atomic-dir-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

it('writes the folder whole, and a failed write leaves neither the target nor its temporary folder', async () => {
  const out = join(root, 'model');
  await writeDirAtomic(out, false, (tmp) => writeFileSync(join(tmp, 'a.txt'), 'done'));
  expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('done');
  await expect(
    writeDirAtomic(join(root, 'broken'), false, (tmp) => {
      writeFileSync(join(tmp, 'half.txt'), 'x');
      throw new Error('disk gone');
    }),
  ).rejects.toThrow('disk gone');
  expect(readdirSync(root).sort()).toEqual(['model']);
});

it("removes a killed write's leftover for the same target, and keeps a live writer's and another target's", async () => {
  const out = join(root, 'model');
  const dead = join(root, `.model.partial-${deadPid()}`);
  const live = join(root, `.model.partial-${process.ppid}`);
  const other = join(root, `.other.partial-${deadPid()}`);
  for (const d of [dead, live, other]) {
    mkdirSync(d);
    writeFileSync(join(d, 'weights.bin'), 'half');
  }
  await writeDirAtomic(out, false, (tmp) => writeFileSync(join(tmp, 'a.txt'), 'done'));
  expect(existsSync(dead)).toBe(false);
  expect(existsSync(live)).toBe(true);
  expect(existsSync(other)).toBe(true);
  expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('done');
});

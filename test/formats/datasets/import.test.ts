/** Importing a dataset: content-addressed, atomic, idempotent, and the source is never touched. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError, importDataset } from '../../../src-main/formats/datasets/index.js';

const root = mkdtempSync(join(tmpdir(), 'hft-import-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('importDataset', () => {
  const src = join(root, 'My Data.JSONL');
  const content = '{"text":"héllo"}\n{"text":"world"}\n';
  writeFileSync(src, content);
  const sha = createHash('sha256').update(Buffer.from(content)).digest('hex');
  const home = join(root, 'home');

  it('copies the file to <home>/datasets/<sha256><ext> and leaves the source as it was', () => {
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(src, old, old);
    const before = statSync(src);
    const r = importDataset(src, home);
    expect(r).toEqual({ sha256: sha, path: join(home, 'datasets', `${sha}.jsonl`), bytes: Buffer.byteLength(content) });
    expect(readFileSync(r.path, 'utf8')).toBe(content);
    expect(readFileSync(src, 'utf8')).toBe(content);
    expect(statSync(src).mtimeMs).toBe(before.mtimeMs);
    expect(readdirSync(join(home, 'datasets'))).toEqual([`${sha}.jsonl`]); // no temp file left
  });

  it('is idempotent: the same bytes again give the same path and nothing is rewritten', () => {
    const first = importDataset(src, home);
    const old = new Date('2021-06-01T00:00:00Z');
    utimesSync(first.path, old, old);
    const copy = join(root, 'copy.jsonl');
    writeFileSync(copy, content);
    const again = importDataset(copy, home);
    expect(again).toEqual(first);
    expect(statSync(again.path).mtimeMs).toBe(old.getTime());
  });

  it('gives other bytes another path, and replaces a damaged copy', () => {
    const other = join(root, 'other.csv');
    writeFileSync(other, 'text\nabc\n');
    const r = importDataset(other, home);
    expect(r.path).toBe(join(home, 'datasets', `${createHash('sha256').update('text\nabc\n').digest('hex')}.csv`));
    writeFileSync(r.path, 'text\nabd\n'); // same size, wrong content
    importDataset(other, home);
    expect(readFileSync(r.path, 'utf8')).toBe('text\nabc\n');
  });

  it('says plainly when the source cannot be read or the copy cannot be written', () => {
    expect(() => importDataset(join(root, 'missing.jsonl'), home)).toThrow(DatasetError);
    expect(() => importDataset(join(root, 'missing.jsonl'), home)).toThrow(/missing\.jsonl: cannot read the file \(ENOENT\)/);
    const blocked = join(root, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'datasets'), 'a file where the folder should be');
    expect(() => importDataset(src, blocked)).toThrow(/cannot copy it into .*datasets \((EEXIST|ENOTDIR)\)/);
  });
});

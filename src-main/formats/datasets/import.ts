/**
 * Copies a dataset file into the app's data folder as `<home>/datasets/<sha256><ext>`.
 *
 * Content-addressed, so importing the same bytes twice gives the same path and writes nothing the
 * second time. Crash-safe: the copy is written to a temp file in the same folder, fsynced and
 * renamed into place, so the final name only ever holds the complete file. The source is only
 * read. The bytes are read once and both hashed and written from memory, so the name always
 * matches the content even if the source changes meanwhile; an upload's bytes take the same path. Validate first (loadDataset), then
 * import: an import is all or nothing.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { DatasetError } from './errors.js';

export interface ImportedDataset {
  sha256: string;
  /** Absolute or home-relative path of the copy, as `home` was given. */
  path: string;
  bytes: number;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `.jsonl`, `.json`, `.csv` (lower-cased), or none for other names: the extension tells the container. */
function extensionOf(file: string): string {
  const ext = extname(file).toLowerCase();
  return /^\.[a-z0-9]{1,10}$/.test(ext) ? ext : '';
}

export function importDataset(file: string, home: string): ImportedDataset {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new DatasetError([{ file, line: 0, reason: `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})` }]);
  }
  return importDatasetBytes(file, data, home);
}

/**
 * importDataset for a file's bytes (an upload). `fileName` only names it in errors and gives the
 * copy its extension; it is never used as a path.
 */
export function importDatasetBytes(fileName: string, data: Uint8Array, home: string): ImportedDataset {
  const hash = sha256(data);
  const dir = join(home, 'datasets');
  const path = join(dir, hash + extensionOf(fileName));
  try {
    mkdirSync(dir, { recursive: true });
    if (!alreadyThere(path, data.length, hash)) writeFileAtomic(path, (write) => write(data));
  } catch (e) {
    throw new DatasetError([{ file: fileName, line: 0, reason: `cannot copy it into ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})` }]);
  }
  return { sha256: hash, path, bytes: data.length };
}

/** An earlier import of the same bytes; checked by content, since the name alone could be a stray file. */
function alreadyThere(path: string, size: number, hash: string): boolean {
  try {
    if (statSync(path).size !== size) return false;
  } catch {
    return false;
  }
  return sha256(readFileSync(path)) === hash;
}

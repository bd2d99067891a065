/**
 * Crash-safe file replacement: write a uniquely named temp file beside `path`, fsync it, rename
 * it over `path`, fsync the folder. A crash leaves either the old file or the complete new one,
 * never a torn one; two writers of the same path never share a temp file.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Calls `fill(write)` to produce the content. Errors (fs or `fill`'s own) pass through after the temp file is removed. */
export function writeFileAtomic(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    const out = fd;
    fill((bytes) => {
      for (let done = 0; done < bytes.byteLength; ) done += writeSync(out, bytes, done, bytes.byteLength - done);
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
  syncDir(dirname(path));
}

/** Makes a rename in `dir` durable. Best effort: a folder cannot be opened for fsync on Windows. */
export function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported on this platform
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

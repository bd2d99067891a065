/**
 * Crash-safe file replacement: write `path + '.tmp'`, fsync it, rename it over `path`, fsync
 * the folder. A crash leaves either the old file or the complete new one, never a torn one.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ioError } from './errors.js';

/**
 * Calls `fill(write)` to produce the content. Errors thrown by `fill` itself (not by fs) pass
 * through unchanged after the tmp file is removed; fs errors become IO_ERROR naming `path`.
 */
export function writeAtomic(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  const tmp = `${path}.tmp`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const out = fd;
    fill((bytes) => {
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(out, bytes, done, bytes.byteLength - done);
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
    throw isFsError(e) ? ioError(path, 'write failed', e) : e;
  }
  syncDir(dirname(path));
}

/** Makes the rename durable. Best effort: a folder cannot be opened for fsync on Windows. */
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

function isFsError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

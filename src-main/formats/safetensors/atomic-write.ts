/**
 * formats/atomic-file.ts for safetensors files: the same crash-safe replacement, with fs errors
 * reported as SafetensorsError IO_ERROR naming the file.
 */
import { writeFileAtomic } from '../atomic-file.js';
import { ioError } from './errors.js';

/**
 * Calls `fill(write)` to produce the content. Errors thrown by `fill` itself (not by fs) pass
 * through unchanged after the tmp file is removed; fs errors become IO_ERROR naming `path`.
 */
export function writeAtomic(path: string, fill: (write: (bytes: Uint8Array) => void) => void): void {
  try {
    writeFileAtomic(path, fill);
  } catch (e) {
    throw isFsError(e) ? ioError(path, 'write failed', e) : e;
  }
}

function isFsError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

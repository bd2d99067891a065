/**
 * Turns an error into the one line `hft` prints: its first line, plus a suggested fix where the
 * cause is a known one (running out of memory).
 */
import { isOutOfMemory } from '../trainer/error-kind.js';

export function explain(err: unknown): string {
  const reason = String(err instanceof Error ? err.message : err).split('\n')[0];
  if (isOutOfMemory(reason)) {
    return `out of memory (${reason}): try a smaller --batch-size, shorter sequences, or --backend webgpu/tensorflow`;
  }
  return reason;
}

/**
 * Turns an error into the one line `hft` prints: its first line, plus a suggested fix where the
 * cause is a known one (running out of memory).
 */
const OUT_OF_MEMORY = /out of memory|\bOOM\b|Cannot enlarge memory|Array buffer allocation failed|Aborted\(/i;

export function explain(err: unknown): string {
  const reason = String(err instanceof Error ? err.message : err).split('\n')[0];
  if (OUT_OF_MEMORY.test(reason)) {
    return `out of memory (${reason}): try a smaller --batch-size, shorter sequences, or --backend webgpu/tensorflow`;
  }
  return reason;
}

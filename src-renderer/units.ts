/**
 * Sizes and speeds in words people read at a glance: memory and file sizes in KB/MB/GB (powers of
 * 1024, as operating systems show memory), speeds as whole numbers with thousands grouped.
 */
import { DASH } from './format.js';

const UNITS = ['KB', 'MB', 'GB', 'TB'] as const;

/** 512 → "512 bytes"; 1536 → "1.5 KB"; 300 × 1024² → "300 MB"; null → "–". One decimal below 10. */
export function bytesWords(bytes: number | null): string {
  if (bytes === null) return DASH;
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // 9.96 rounds to "10.0": show it as "10" like every other value of 10 and above.
  const text = value < 10 && value.toFixed(1) !== '10.0' ? value.toFixed(1) : String(Math.round(value));
  return `${text} ${UNITS[unit]}`;
}

/** 612.4 → "612 tokens a second"; null → "–". */
export function tokensPerSecondWords(v: number | null): string {
  return v === null ? DASH : `${Math.round(v).toLocaleString('en-US')} tokens a second`;
}

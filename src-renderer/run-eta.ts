/**
 * How fast a live run goes and when it will be done, from the steps the page has seen arrive.
 * The contract's metric points carry no time, so the live store notes when each step event came
 * (StepSample.atMs, any clock in milliseconds); the rate is taken over the most recent window only,
 * so a run that speeds up or slows down (another program on the GPU) is followed quickly.
 */

export interface StepSample {
  /** The run's global optimizer step (1-based). */
  step: number;
  /** When the page heard of it, in milliseconds. */
  atMs: number;
}

/** Only the last minute counts: older speed says little about the time left. */
export const RATE_WINDOW_MS = 60_000;

/** Optimizer steps per second over the samples of the last `windowMs`; null until two samples differ. */
export function stepsPerSecond(samples: readonly StepSample[], windowMs = RATE_WINDOW_MS): number | null {
  if (samples.length < 2) return null;
  const last = samples[samples.length - 1];
  const recent = samples.filter((s) => s.atMs >= last.atMs - windowMs);
  const first = recent[0];
  const seconds = (last.atMs - first.atMs) / 1000;
  const steps = last.step - first.step;
  if (seconds <= 0 || steps <= 0) return null;
  return steps / seconds;
}

/** Seconds until `totalSteps` at the recent rate: 0 when there is nothing left, null when unknown. */
export function etaSeconds(samples: readonly StepSample[], totalSteps: number, windowMs = RATE_WINDOW_MS): number | null {
  if (samples.length === 0) return null;
  const left = totalSteps - samples[samples.length - 1].step;
  if (left <= 0) return 0;
  const rate = stepsPerSecond(samples, windowMs);
  return rate === null ? null : left / rate;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** 42 → "less than a minute"; 150 → "about 3 minutes"; 7500 → "about 2 hours 5 minutes". */
export function durationWords(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${plural(minutes, 'minute')}`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${plural(hours, 'hour')}` : `about ${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}

/** The mean of the last `n` known values (speed per step is noisy); null when none is known. */
export function recentMean(values: readonly (number | null)[], n = 10): number | null {
  const known = values.slice(-n).filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}

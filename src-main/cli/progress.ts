/**
 * A human progress bar on stderr, so stdout stays clean for `--json`.
 *
 * On a terminal it redraws one line; elsewhere (CI, pipes) it prints a line every ~10%.
 */
export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  if (s < 60) return `${Math.round(s)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const start = Date.now();
  const tty = stream.isTTY === true;
  let lastDecile = -1;
  // The ETA counts only work done since the first update: a resumed run starts part-way.
  let base: number | null = null;
  const render = (done: number, detail: string) => {
    if (base === null) base = Math.max(0, done - 1);
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const elapsed = (Date.now() - start) / 1000;
    // Too few steps say nothing yet about the pace (the first one includes warm-up).
    const eta = done - base >= 3 ? (elapsed / (done - base)) * (total - done) : Infinity;
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    return `${label} [${bar}] ${done}/${total} ${Math.round(frac * 100)}% eta ${formatSeconds(eta)}${detail ? ` ${detail}` : ''}`;
  };
  return {
    update(done, detail = '') {
      if (tty) {
        stream.write(`\r${render(done, detail)}\x1b[K`);
        return;
      }
      const decile = Math.floor((10 * done) / Math.max(1, total));
      if (decile !== lastDecile) {
        lastDecile = decile;
        stream.write(`${render(done, detail)}\n`);
      }
    },
    finish(detail = '') {
      const line = `${label} done in ${formatSeconds((Date.now() - start) / 1000)}${detail ? ` ${detail}` : ''}`;
      stream.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}

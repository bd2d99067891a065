/**
 * Trainer process entry (DESIGN §2): forked by the main side once per run (or once per merge
 * evaluation), speaks trainer/protocol.ts over the fork channel, and exits when the work is done,
 * stopped or failed.
 *
 * It ignores SIGINT: on Ctrl-C in a terminal the whole process group gets the signal, and it is
 * main's job to turn that into a clean `stop` (checkpoint first). If main goes away, the channel
 * disconnects and the trainer exits rather than train for nobody.
 */
import { evaluateMerges } from './merge-eval.js';
import { runJob, type TrainerControl } from './run-loop.js';
import type { FromTrainer, ToTrainer } from './protocol.js';
import { errorKind } from './error-kind.js';

if (typeof process.send !== 'function') {
  process.stderr.write('the trainer is started by HFT Studio (hft run), not by hand\n');
  process.exit(2);
}

function send(m: FromTrainer): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });
}

/** The newest send: channel writes complete in order, so awaiting it flushes every earlier one. */
let lastSend: Promise<void> = Promise.resolve();
function post(m: FromTrainer): void {
  lastSend = send(m);
}

let request: TrainerControl['request'] = 'none';
let wake: ((next: 'resume' | 'stop') => void) | null = null;
let started = false;

const control: TrainerControl = {
  get request() {
    return request;
  },
  waitWhilePaused() {
    return new Promise((resolve) => {
      wake = (next) => {
        wake = null;
        request = 'none';
        resolve(next);
      };
    });
  },
};

process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(1));
process.on('message', (raw: ToTrainer) => {
  switch (raw.type) {
    case 'start':
    case 'evaluate-merges':
      if (started) return;
      started = true;
      (raw.type === 'start' ? runJob(raw.job, raw.resumeFrom, post, control) : evaluateMerges(raw.work, post)).then(
        async () => {
          await lastSend;
          process.exit(0);
        },
        async (e: unknown) => {
          post({ type: 'error', message: e instanceof Error ? e.message : String(e), kind: errorKind(e) });
          await lastSend;
          process.exit(1);
        },
      );
      break;
    case 'pause':
      if (request === 'none') request = 'pause';
      break;
    case 'resume':
      wake?.('resume');
      break;
    case 'stop':
      request = 'stop';
      wake?.('stop');
      break;
  }
});

/**
 * Trainer process entry (DESIGN §2): forked by the main side once per run, merge evaluation,
 * backend probe or playground model; speaks trainer/protocol.ts over the fork channel. Its first
 * message says which: a run, a merge evaluation or a probe exits when the work is done, stopped
 * or failed; a playground model answers questions until main kills it.
 *
 * It ignores SIGINT: on Ctrl-C in a terminal the whole process group gets the signal, and it is
 * main's job to turn that into a clean `stop` (checkpoint first). If main goes away, the channel
 * disconnects and the trainer exits rather than train for nobody.
 */
import { ChatWorker } from './chat-worker.js';
import { evaluateMerges } from './merge-eval.js';
import { probeBackends } from './probe.js';
import { runJob, type TrainerControl } from './run-loop.js';
import type { FirstMessage, FromTrainer, ToTrainer } from './protocol.js';
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

/** Reports the failure and exits with it. */
async function fail(e: unknown): Promise<void> {
  post({ type: 'error', message: e instanceof Error ? e.message : String(e), kind: errorKind(e) });
  await lastSend;
  process.exit(1);
}

const chat = new ChatWorker(post);

/** The work the first message names. A playground model has no end of its own: it serves until killed. */
function begin(first: FirstMessage): void {
  if (first.type === 'chat-load') {
    chat.load(first.model).catch(fail);
    return;
  }
  const work =
    first.type === 'start' ? runJob(first.job, first.resumeFrom, post, control) : first.type === 'evaluate-merges' ? evaluateMerges(first.work, post) : probeBackends(post);
  work.then(async () => {
    await lastSend;
    process.exit(0);
  }, fail);
}

process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(1));
process.on('message', (raw: ToTrainer) => {
  switch (raw.type) {
    case 'start':
    case 'evaluate-merges':
    case 'probe':
    case 'chat-load':
      if (started) return;
      started = true;
      begin(raw);
      break;
    case 'chat-ask':
      chat.ask(raw.chatId, raw.messages, raw.settings);
      break;
    case 'chat-stop':
      chat.stop(raw.chatId);
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

/**
 * Starts trainer processes with Electron's utilityProcess (DESIGN §2), behind the same interface
 * as services/trainer-host.ts's startWorker (child_process.fork), so the services run unchanged:
 * a TrainerHandle to send control messages and kill, and an `exit` promise that always resolves
 * with the reason in words, whatever happens in the trainer (exception, out of memory, a fatal
 * V8 error, being killed).
 */
import { utilityProcess } from 'electron';
import { looksOutOfMemory, type TrainerExit, type TrainerHandle, type WorkerLauncher } from '../services/trainer-host.js';
import { isFinalMessage, type FromTrainer } from '../trainer/protocol.js';

/** Same wording as trainer-host.ts, so a failure reads the same in the app and in the CLI. */
function describeExit(code: number, fatal: string | null, stderr: string): string {
  if (looksOutOfMemory(stderr)) return 'the trainer ran out of memory; try a smaller batch size or shorter sequences (training.maxLength)';
  const lastLine = stderr.trim().split('\n').pop() ?? '';
  if (fatal !== null) return `the trainer process hit a fatal error (${fatal})${lastLine ? `: ${lastLine}` : ''}`;
  return `the trainer process exited with code ${code} before finishing${lastLine ? `: ${lastLine}` : ''}`;
}

/** A launcher that forks `entryFile` (the built trainer-utility-entry, out/main/trainer.js). */
export function utilityWorkerLauncher(entryFile: string): WorkerLauncher {
  return (first, onMessage) => {
    const child = utilityProcess.fork(entryFile, [], { serviceName: 'HFT Studio trainer', stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-4000); // the tail, for the failure reason
    });
    let reported: Extract<FromTrainer, { type: 'error' }> | null = null;
    let finished = false;
    let exited = false;
    let fatal: string | null = null;
    child.on('message', (m: FromTrainer) => {
      if (m.type === 'error') reported = m;
      if (isFinalMessage(m)) finished = true;
      onMessage(m);
    });
    // Electron reports a fatal V8 error here, then still emits exit.
    child.on('error', (type: string, location: string) => {
      fatal = `${type} at ${location}`;
    });
    const exit = new Promise<TrainerExit>((resolve) => {
      child.on('exit', (code: number) => {
        exited = true;
        if (reported != null) return resolve({ ok: false, reason: reported.message, kind: reported.kind });
        if (code === 0 && finished) return resolve({ ok: true, reason: null, kind: null });
        resolve({ ok: false, reason: describeExit(code, fatal, stderr), kind: looksOutOfMemory(stderr) ? 'out-of-memory' : 'internal' });
      });
    });
    child.postMessage(first);
    const handle: TrainerHandle = {
      get pid() {
        return child.pid ?? -1;
      },
      // Posting to a utility process that has exited is at best dropped (some Electron versions crash).
      send: (m) => {
        if (!exited) child.postMessage(m);
      },
      kill: () => {
        if (exited) return;
        // utilityProcess.kill() sends SIGTERM; the interface promises an immediate end, as SIGKILL.
        if (child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
            return;
          } catch {
            // Already gone between the check and the signal: nothing left to kill.
          }
        }
        child.kill();
      },
      exit,
    };
    return handle;
  };
}

/**
 * `app.probe`: which compute backend training would use here, and what else was tried. The probe
 * loads every backend (a GPU driver among them), so it runs in a worker process
 * (trainer/probe.ts), never in the app's own: a GPU fault ends the worker, not the app. The answer
 * does not change while the app runs, so the first one is kept; a failed probe is not.
 */
import type { ProbeInfo } from '../contract/index.js';
import { RunError } from './runs.js';
import { startWorker, type WorkerLauncher } from './trainer-host.js';

let answer: Promise<ProbeInfo> | null = null;

function probeInWorker(launch: WorkerLauncher): Promise<ProbeInfo> {
  return new Promise((resolve, reject) => {
    const worker = launch({ type: 'probe' }, (m) => {
      if (m.type === 'probe-result') resolve({ backend: m.backend, device: m.device, reason: m.reason, attempts: m.attempts });
    });
    // Resolving first wins: an exit after the result changes nothing.
    void worker.exit.then((exit) => reject(new RunError(`could not find out which compute backend works here: ${exit.reason ?? 'the probe ended without an answer'}`)));
  });
}

/** The probe's result, from a worker the first time (or after a failure), then from memory. */
export function probeBackends(launch: WorkerLauncher = startWorker): Promise<ProbeInfo> {
  if (answer === null) {
    const asked = probeInWorker(launch);
    answer = asked;
    asked.catch(() => {
      if (answer === asked) answer = null;
    });
  }
  return answer;
}

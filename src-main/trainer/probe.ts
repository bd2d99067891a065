/**
 * The backend probe, inside a worker process (the app's `app.probe`): every candidate backend is
 * tried, then auto-selection picks one, exactly as a run would. Loading a GPU backend can crash
 * the process that does it, so the app never does this in its own.
 */
import { availableBackends, initBackend } from '../engine/backend.js';
import type { FromTrainer } from './protocol.js';

export async function probeBackends(send: (m: FromTrainer) => void): Promise<void> {
  const attempts = await availableBackends();
  const choice = await initBackend();
  send({ type: 'probe-result', backend: choice.backend, device: choice.device, reason: choice.reason, attempts });
}

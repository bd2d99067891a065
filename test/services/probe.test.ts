/**
 * `app.probe` (services/probe.ts) with a real worker process: the chosen backend is one the worker
 * found working, the candidates are engine/backend.ts's in their order, the answer is kept (a
 * second call starts no process, counted on the launcher), and a probe whose worker dies is
 * refused in words and not kept.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CANDIDATES } from '../../src-main/engine/backend.js';
import { startWorker, type WorkerLauncher } from '../../src-main/services/trainer-host.js';

/** A fresh services/probe.ts each test: its cache lives as long as the module. */
let probeBackends: typeof import('../../src-main/services/probe.js').probeBackends;
beforeEach(async () => {
  vi.resetModules();
  ({ probeBackends } = await import('../../src-main/services/probe.js'));
});

function counting(inner: WorkerLauncher = startWorker): { launch: WorkerLauncher; started: () => number } {
  let n = 0;
  return { launch: (first, onMessage) => (n++, inner(first, onMessage)), started: () => n };
}

describe('app.probe', () => {
  it('answers from a worker with a backend that worked there, then from memory', async () => {
    const c = counting();
    const info = await probeBackends(c.launch);
    expect(c.started()).toBe(1);
    expect(info.attempts.map((a) => a.name)).toEqual(CANDIDATES.map((k) => k.name));
    expect(info.attempts.some((a) => a.ok && a.name === info.backend)).toBe(true);
    expect(info.attempts.find((a) => a.ok && a.name === info.backend)?.detail).toBe(info.device);
    expect(info.reason).toMatch(/^auto: /);
    const again = await probeBackends(c.launch);
    expect(again).toEqual(info);
    expect(c.started()).toBe(1);
  }, 120_000);

  it('refuses in words when the worker dies, and tries again next time', async () => {
    const killed = counting((first, onMessage) => {
      const h = startWorker(first, onMessage);
      h.kill();
      return h;
    });
    await expect(probeBackends(killed.launch)).rejects.toThrow(/^could not find out which compute backend works here: the trainer process was killed \(SIGKILL\)/);
    const c = counting();
    const info = await probeBackends(c.launch);
    expect(c.started()).toBe(1);
    expect(info.attempts.some((a) => a.ok && a.name === info.backend)).toBe(true);
  }, 120_000);
});
